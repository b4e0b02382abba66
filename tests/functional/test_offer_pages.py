"""Offer pages: providers write and publish, anyone reads, admins unpublish."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from marketplace.accounts.service import find_user_by_email
from marketplace.audit import AuditEvent
from marketplace.catalog.models import Offer, OfferStatus
from marketplace.catalog.operations import OfferData, create_offer, publish_offer
from marketplace.extensions import db
from marketplace.labels.operations import Decision, decide_on_label
from marketplace.mail import LogMailer
from marketplace.search.outbox import OFFER, SearchJob
from tests.factories import admin_user, approved_label, company_user, login, provider_user


@dataclass
class World:
    expert: str
    other: str
    unlabelled: str
    company: str
    admin: str
    provider_id: int
    draft_id: int
    published_id: int


def offer_form(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "title": "Boutique en ligne pour artisans",
        "summary": "Une boutique en ligne prête à vendre, paiement et livraison compris.",
        "description": "Catalogue, paiement en ligne, retrait en magasin.",
        "category": "ecommerce",
        "needs": ["online-presence"],
        "price": "2 400,50",
        "vat_rate": "2000",
        "pricing_unit": "fixed",
        "duration_days": "30",
        "delivery_mode": "hybrid",
        "regions": ["53"],
        "languages": ["fr"],
        "action": "save",
    }
    data.update(overrides)
    return data


def service_offer(title: str, price: int = 150_000) -> OfferData:
    return OfferData(
        title=title,
        summary="Un site vitrine professionnel.",
        category="online-presence",
        needs=["online-presence"],
        price_excl_vat_cents=price,
        pricing_unit="fixed",
        delivery_mode="remote",
    )


@pytest.fixture
def world(app: Flask) -> World:
    with app.app_context():
        admin = admin_user(db.session)
        expert = provider_user(db.session, regions=("53",), name="Atelier Breton")
        approved_label(db.session, expert, admin, ("online-presence", "ecommerce"))
        other = provider_user(db.session, name="Concurrent Web")
        approved_label(db.session, other, admin)
        unlabelled = provider_user(db.session, name="Sans Label")
        company = company_user(db.session)
        assert expert.provider is not None
        draft = create_offer(
            db.session, expert, expert.provider, service_offer("Site en brouillon")
        )
        published = create_offer(
            db.session, expert, expert.provider, service_offer("Site vitrine publié")
        )
        publish_offer(db.session, expert, published, date.today())
        db.session.commit()
        return World(
            expert.email,
            other.email,
            unlabelled.email,
            company.email,
            admin.email,
            expert.provider.id,
            draft.id,
            published.id,
        )


def offer(app: Flask, offer_id: int) -> Offer:
    with app.app_context():
        found = db.session.get(Offer, offer_id)
        assert found is not None
        db.session.expunge(found)
        return found


# --- Provider pages -------------------------------------------------------------------------


def test_provider_writes_an_offer_in_euros_and_publishes_it(
    app: Flask, client: FlaskClient, world: World
) -> None:
    login(client, world.expert)
    assert "/provider/offers" in client.get("/provider/").get_data(as_text=True)  # nav link
    assert client.get("/provider/offers/new").status_code == 200
    response = client.post("/provider/offers/new", data=offer_form())
    assert response.status_code == 302
    with app.app_context():
        created = db.session.scalars(
            select(Offer).where(Offer.title == "Boutique en ligne pour artisans")
        ).one()
        assert created.price_excl_vat_cents == 240_050  # exactly, from "2 400,50"
        assert created.status == OfferStatus.DRAFT
        assert created.need_codes == ["online-presence", "ecommerce"]
        offer_id = created.id
    listing = client.get("/provider/offers").get_data(as_text=True)
    assert "Boutique en ligne pour artisans" in listing
    assert f"/provider/offers/{offer_id}/publish" in listing

    assert client.post(f"/provider/offers/{offer_id}/publish").status_code == 302
    assert offer(app, offer_id).status == OfferStatus.PUBLISHED
    client.post("/logout")

    page = client.get(f"/offers/{offer_id}")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Boutique en ligne pour artisans" in text and "Atelier Breton" in text
    assert "400,50" in text  # price excl. VAT: 2 400,50 €
    assert "480,10" in text  # VAT at 20 %
    assert "880,60" in text  # total incl. VAT: 2 880,60 €


def test_save_and_publish_in_one_step(app: Flask, client: FlaskClient, world: World) -> None:
    login(client, world.expert)
    response = client.post(
        "/provider/offers/new", data=offer_form(title="Offre publiée d'emblée", action="publish")
    )
    assert response.status_code == 302
    with app.app_context():
        saved = db.session.scalars(select(Offer).where(Offer.title.startswith("Offre pub"))).one()
        assert saved.status == OfferStatus.PUBLISHED
        jobs = db.session.scalars(select(SearchJob).where(SearchJob.entity_id == saved.id)).all()
        assert {j.kind for j in jobs} == {OFFER} and len(jobs) == 2


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"price": "12,345"}, "price"),
        ({"price": "-5"}, "price"),
        ({"price": "douze"}, "price"),
        ({"price": ""}, "price"),
        ({"title": "Site"}, "title"),
        ({"regions": [], "delivery_mode": "on_site"}, "regions"),
        ({"vat_rate": "1960"}, "vat_rate"),
    ],
)
def test_invalid_offer_form_keeps_input_and_stores_nothing(
    app: Flask, client: FlaskClient, world: World, overrides: dict[str, Any], field: str
) -> None:
    login(client, world.expert)
    response = client.post("/provider/offers/new", data=offer_form(**overrides))
    assert response.status_code == 422
    text = response.get_data(as_text=True)
    marker = 'has-error" id="regions"' if field == "regions" else f'id="{field}-error"'
    assert marker in text
    if "title" not in overrides:
        assert "Boutique en ligne pour artisans" in text  # the input is kept
    with app.app_context():
        assert len(db.session.scalars(select(Offer)).all()) == 2


def test_publishing_is_refused_with_a_message(
    app: Flask, client: FlaskClient, world: World
) -> None:
    """Without a live label, or outside the label's categories, the offer stays a draft."""
    login(client, world.unlabelled)
    client.post("/provider/offers/new", data=offer_form(action="publish"))
    with app.app_context():
        draft = db.session.scalars(select(Offer).where(Offer.provider_id != world.provider_id))
        unlabelled_offer = draft.one()
        assert unlabelled_offer.status == OfferStatus.DRAFT
    page = client.get("/provider/offers").get_data(as_text=True)
    assert "flash-error" in page and "flash-warning" in page  # the refusal, the label notice
    client.post("/logout")

    login(client, world.expert)
    client.post(
        "/provider/offers/new",
        data=offer_form(title="Audit de cybersécurité", category="cybersecurity", needs=[]),
    )
    with app.app_context():
        audit = db.session.scalars(select(Offer).where(Offer.category_code == "cybersecurity"))
        audit_id = audit.one().id
    response = client.post(f"/provider/offers/{audit_id}/publish", follow_redirects=True)
    assert "flash-error" in response.get_data(as_text=True)
    assert offer(app, audit_id).status == OfferStatus.DRAFT


def test_edit_prefills_in_euros_and_saves(app: Flask, client: FlaskClient, world: World) -> None:
    login(client, world.expert)
    form_page = client.get(f"/provider/offers/{world.draft_id}/edit").get_data(as_text=True)
    assert 'value="1500,00"' in form_page  # the French decimal comma
    assert "Site en brouillon" in form_page
    response = client.post(
        f"/provider/offers/{world.draft_id}/edit",
        data=offer_form(title="Site en brouillon revu", price="1800", category="online-presence"),
    )
    assert response.status_code == 302
    edited = offer(app, world.draft_id)
    assert edited.title == "Site en brouillon revu" and edited.price_excl_vat_cents == 180_000


def test_a_published_offer_cannot_move_out_of_the_label(
    app: Flask, client: FlaskClient, world: World
) -> None:
    login(client, world.expert)
    response = client.post(
        f"/provider/offers/{world.published_id}/edit",
        data=offer_form(category="crm", needs=[]),
    )
    assert response.status_code == 409
    assert offer(app, world.published_id).category_code == "online-presence"


def test_archive_asks_for_confirmation(app: Flask, client: FlaskClient, world: World) -> None:
    login(client, world.expert)
    confirm = client.get(f"/provider/offers/{world.published_id}/archive")
    assert confirm.status_code == 200
    assert "Site vitrine publié" in confirm.get_data(as_text=True)
    assert offer(app, world.published_id).status == OfferStatus.PUBLISHED
    assert client.post(f"/provider/offers/{world.published_id}/archive").status_code == 302
    assert offer(app, world.published_id).status == OfferStatus.ARCHIVED
    assert client.get(f"/offers/{world.published_id}").status_code == 200  # owner's preview
    client.post("/logout")
    assert client.get(f"/offers/{world.published_id}").status_code == 404


@pytest.mark.parametrize("who", ["other", "unlabelled"])
def test_other_providers_cannot_manage_the_offer(
    app: Flask, client: FlaskClient, world: World, who: str
) -> None:
    """Can a provider edit, publish or archive another provider's offer? No: 403."""
    login(client, getattr(world, who))
    assert client.get(f"/provider/offers/{world.draft_id}/edit").status_code == 403
    assert (
        client.post(f"/provider/offers/{world.draft_id}/edit", data=offer_form()).status_code == 403
    )
    assert client.post(f"/provider/offers/{world.draft_id}/publish").status_code == 403
    assert client.get(f"/provider/offers/{world.published_id}/archive").status_code == 403
    assert client.post(f"/provider/offers/{world.published_id}/archive").status_code == 403
    assert "Site en brouillon" not in client.get("/provider/offers").get_data(as_text=True)
    assert offer(app, world.draft_id).status == OfferStatus.DRAFT
    assert offer(app, world.published_id).status == OfferStatus.PUBLISHED


@pytest.mark.parametrize("who", ["company", "admin"])
def test_only_providers_open_offer_management(client: FlaskClient, world: World, who: str) -> None:
    login(client, getattr(world, who))
    for path in (
        "/provider/offers",
        "/provider/offers/new",
        f"/provider/offers/{world.draft_id}/edit",
    ):
        assert client.get(path).status_code == 403, path
    assert client.post(f"/provider/offers/{world.draft_id}/publish").status_code == 403


def test_anonymous_is_sent_to_login(client: FlaskClient, world: World) -> None:
    for path in ("/provider/offers", "/provider/offers/new"):
        response = client.get(path)
        assert response.status_code == 302 and "/login" in response.headers["Location"]


# --- Public page ----------------------------------------------------------------------------


@pytest.mark.parametrize("who", [None, "company", "other"])
def test_drafts_are_not_found_by_others(client: FlaskClient, world: World, who: str | None) -> None:
    if who:
        login(client, getattr(world, who))
    assert client.get(f"/offers/{world.draft_id}").status_code == 404
    assert client.get(f"/offers/{world.published_id}").status_code == 200
    assert client.get("/offers/999999").status_code == 404


@pytest.mark.parametrize("who", ["expert", "admin"])
def test_owner_and_admins_preview_drafts(client: FlaskClient, world: World, who: str) -> None:
    login(client, getattr(world, who))
    page = client.get(f"/offers/{world.draft_id}")
    assert page.status_code == 200
    assert "flash-warning" in page.get_data(as_text=True)  # the preview banner


def test_offers_of_a_suspended_provider_disappear(
    app: Flask, client: FlaskClient, world: World
) -> None:
    with app.app_context():
        admin_account = find_user_by_email(db.session, world.admin)
        published = db.session.get(Offer, world.published_id)
        assert admin_account is not None and published is not None
        label = published.provider.current_label
        assert label is not None
        decide_on_label(
            db.session,
            admin_account,
            label,
            Decision.SUSPEND,
            "Contrôle",
            LogMailer(),
            date.today(),
        )
        db.session.commit()
    assert client.get(f"/offers/{world.published_id}").status_code == 404
    assert offer(app, world.published_id).status == OfferStatus.PUBLISHED  # kept
    login(client, world.expert)
    listing = client.get("/provider/offers").get_data(as_text=True)
    assert "offer-note" in listing  # "not visible to companies: …"


def test_provider_profile_lists_its_published_offers(client: FlaskClient, world: World) -> None:
    page = client.get(f"/providers/{world.provider_id}").get_data(as_text=True)
    assert "Site vitrine publié" in page
    assert f"/offers/{world.published_id}" in page
    assert "Site en brouillon" not in page


# --- Admin unpublish ------------------------------------------------------------------------


def test_admin_unpublishes_with_a_reason(app: Flask, client: FlaskClient, world: World) -> None:
    login(client, world.admin)
    page = client.get(f"/offers/{world.published_id}").get_data(as_text=True)
    assert f"/admin/offers/{world.published_id}/unpublish" in page
    refused = client.post(f"/admin/offers/{world.published_id}/unpublish", data={"reason": ""})
    assert refused.status_code == 422
    assert offer(app, world.published_id).status == OfferStatus.PUBLISHED

    reason = "Tarif trompeur : hébergement facturé en plus"
    done = client.post(f"/admin/offers/{world.published_id}/unpublish", data={"reason": reason})
    assert done.status_code == 302
    unpublished = offer(app, world.published_id)
    assert unpublished.status == OfferStatus.DRAFT and unpublished.unpublished_reason == reason
    with app.app_context():
        event = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "offer.unpublished")
        ).one()
        assert event.subject_id == world.published_id and event.data["reason"] == reason
    client.post("/logout")
    assert client.get(f"/offers/{world.published_id}").status_code == 404
    login(client, world.expert)
    assert reason in client.get("/provider/offers").get_data(as_text=True)


@pytest.mark.parametrize("who", ["expert", "company"])
def test_only_admins_unpublish(app: Flask, client: FlaskClient, world: World, who: str) -> None:
    login(client, getattr(world, who))
    response = client.post(
        f"/admin/offers/{world.published_id}/unpublish", data={"reason": "Je retire"}
    )
    assert response.status_code == 403
    assert offer(app, world.published_id).status == OfferStatus.PUBLISHED
