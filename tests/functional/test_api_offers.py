"""The JSON API of the offer catalogue: public reading, providers writing their own offers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from marketplace.accounts.models import Provider, User
from marketplace.catalog.models import Offer, OfferStatus
from marketplace.extensions import db
from marketplace.labels.operations import Decision, decide_on_label
from marketplace.mail import LogMailer
from marketplace.search.outbox import OFFER, SearchJob
from tests.factories import admin_user, approved_label, bearer_for, company_user, provider_user


@dataclass
class Callers:
    expert: dict[str, str]
    other: dict[str, str]
    volunteer: dict[str, str]
    unlabelled: dict[str, str]
    company: dict[str, str]
    admin: dict[str, str]
    expert_provider_id: int


@pytest.fixture
def callers(app: Flask) -> Callers:
    with app.app_context():
        admin = admin_user(db.session)
        expert = provider_user(db.session, name="Atelier Web", regions=("53",))
        approved_label(db.session, expert, admin, ("online-presence", "ecommerce"))
        other = provider_user(db.session, name="Autre Agence")
        approved_label(db.session, other, admin)
        volunteer = provider_user(db.session, name="Connecteur Anne", kind="volunteer")
        approved_label(db.session, volunteer, admin, ("training",))
        unlabelled = provider_user(db.session, name="Sans Label")
        assert expert.provider is not None
        result = Callers(
            bearer_for(expert),
            bearer_for(other),
            bearer_for(volunteer),
            bearer_for(unlabelled),
            bearer_for(company_user(db.session)),
            bearer_for(admin),
            expert.provider.id,
        )
        db.session.commit()
        return result


def body(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "title": "Site vitrine clé en main",
        "summary": "Un site vitrine rapide et adapté au mobile.",
        "category": "online-presence",
        "price_excl_vat_cents": 240_050,
        "pricing_unit": "fixed",
        "delivery_mode": "hybrid",
        "regions": ["53"],
    }
    data.update(overrides)
    return data


def create(client: FlaskClient, headers: dict[str, str], **overrides: Any) -> dict[str, Any]:
    response = client.post("/api/v1/offers", json=body(**overrides), headers=headers)
    assert response.status_code == 201, response.get_json()
    return response.get_json()  # type: ignore[no-any-return]


def test_provider_creates_publishes_and_archives(
    app: Flask, client: FlaskClient, callers: Callers
) -> None:
    """Can a labelled provider run an offer's whole life through the API?"""
    offer = create(client, callers.expert)
    assert offer["status"] == "draft" and offer["needs"] == ["online-presence"]
    assert offer["price_excl_vat_cents"] == 240_050 and offer["vat_rate_bp"] == 2000
    assert offer["vat_cents"] == 48_010 and offer["price_incl_vat_cents"] == 288_060
    assert offer["languages"] == ["fr"] and offer["provider"]["name"] == "Atelier Web"
    assert client.get(f"/api/v1/offers/{offer['id']}").status_code == 404  # a draft

    published = client.post(f"/api/v1/offers/{offer['id']}/publish", headers=callers.expert)
    assert published.status_code == 200, published.get_json()
    assert published.get_json()["status"] == "published"
    public = client.get(f"/api/v1/offers/{offer['id']}")
    assert public.status_code == 200 and public.get_json()["title"] == "Site vitrine clé en main"
    with app.app_context():
        jobs = db.session.scalars(
            select(SearchJob).where(SearchJob.kind == OFFER, SearchJob.entity_id == offer["id"])
        ).all()
        assert len(jobs) == 2  # created, published

    archived = client.post(f"/api/v1/offers/{offer['id']}/archive", headers=callers.expert)
    assert archived.status_code == 200 and archived.get_json()["status"] == "archived"
    assert client.get(f"/api/v1/offers/{offer['id']}").status_code == 404
    again = client.post(f"/api/v1/offers/{offer['id']}/archive", headers=callers.expert)
    assert again.status_code == 409


def test_patch_changes_only_what_is_sent(client: FlaskClient, callers: Callers) -> None:
    offer = create(client, callers.expert, needs=["online-presence", "marketing"])
    response = client.patch(
        f"/api/v1/offers/{offer['id']}",
        json={"price_excl_vat_cents": 199_000, "vat_rate_bp": 1000},
        headers=callers.expert,
    )
    assert response.status_code == 200, response.get_json()
    patched = response.get_json()
    assert patched["price_excl_vat_cents"] == 199_000 and patched["vat_cents"] == 19_900
    assert patched["title"] == offer["title"] and patched["needs"] == offer["needs"]

    moved = client.patch(
        f"/api/v1/offers/{offer['id']}", json={"category": "ecommerce"}, headers=callers.expert
    )
    assert moved.status_code == 200, moved.get_json()
    assert moved.get_json()["needs"] == ["ecommerce", "marketing"]  # category swapped in


def test_what_the_api_fills_in_rather_than_refuses(
    app: Flask, client: FlaskClient, callers: Callers
) -> None:
    """Does an offer sent without regions or without its category among the needs get them?"""
    response = client.post(
        "/api/v1/offers",
        json=body(regions=[], needs=["marketing"], delivery_mode="on_site"),
        headers=callers.expert,
    )
    assert response.status_code == 201, response.get_json()
    offer = response.get_json()
    assert offer["needs"][0] == offer["category"] and "marketing" in offer["needs"]
    assert offer["regions"]  # the regions the provider serves


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"title": "Site"}, "title"),
        ({"price_excl_vat_cents": -1}, "price_excl_vat_cents"),
        ({"price_excl_vat_cents": 12.5}, "price_excl_vat_cents"),
        ({"price_excl_vat_cents": "100"}, "price_excl_vat_cents"),
        ({"vat_rate_bp": 1960}, "vat_rate_bp"),
        ({"regions": ["99"]}, "regions"),
        ({"category": "astrology"}, "category"),
        ({"needs": ["astrology"]}, "needs"),
        ({"title": " Site vitrine"}, "title"),
        ({"summary": "Un site\u0000 rapide"}, "summary"),
        ({"title": "Site \u202evitrine"}, "title"),
        ({"duration_days": 2**31}, "duration_days"),
        ({"languages": ["xx"]}, "languages"),
        ({"pricing_unit": "per_year"}, "pricing_unit"),
        ({"unexpected": 1}, "unexpected"),
    ],
)
def test_invalid_offers_are_422_per_field(
    app: Flask, client: FlaskClient, callers: Callers, overrides: dict[str, Any], field: str
) -> None:
    response = client.post("/api/v1/offers", json=body(**overrides), headers=callers.expert)
    assert response.status_code == 422, response.get_json()
    assert field in response.get_json()["errors"]["json"]
    with app.app_context():
        assert db.session.scalars(select(Offer)).all() == []


def test_missing_fields_are_422(client: FlaskClient, callers: Callers) -> None:
    response = client.post("/api/v1/offers", json={}, headers=callers.expert)
    assert response.status_code == 422
    assert {"title", "summary", "category", "price_excl_vat_cents"} <= set(
        response.get_json()["errors"]["json"]
    )


def test_volunteers_create_free_sessions_only(client: FlaskClient, callers: Callers) -> None:
    paid = client.post(
        "/api/v1/offers",
        json=body(category="training", price_excl_vat_cents=5000),
        headers=callers.volunteer,
    )
    assert paid.status_code == 422
    assert "price_excl_vat_cents" in paid.get_json()["errors"]["json"]
    free = create(client, callers.volunteer, category="training", price_excl_vat_cents=0)
    published = client.post(f"/api/v1/offers/{free['id']}/publish", headers=callers.volunteer)
    assert published.status_code == 200


def test_publishing_refusals_are_409(client: FlaskClient, callers: Callers) -> None:
    unlabelled = create(client, callers.unlabelled)
    refused = client.post(f"/api/v1/offers/{unlabelled['id']}/publish", headers=callers.unlabelled)
    assert refused.status_code == 409 and refused.get_json()["message"]
    uncovered = create(client, callers.expert, category="crm")
    refused = client.post(f"/api/v1/offers/{uncovered['id']}/publish", headers=callers.expert)
    assert refused.status_code == 409


@pytest.mark.parametrize("who", ["other", "unlabelled"])
def test_other_providers_get_403(client: FlaskClient, callers: Callers, who: str) -> None:
    """Can a provider change, publish or archive another provider's offer? No: 403."""
    offer = create(client, callers.expert)
    headers = getattr(callers, who)
    url = f"/api/v1/offers/{offer['id']}"
    assert client.patch(url, json={"title": "Offre volée"}, headers=headers).status_code == 403
    assert client.post(f"{url}/publish", headers=headers).status_code == 403
    assert client.post(f"{url}/archive", headers=headers).status_code == 403
    assert client.get(url, headers=headers).status_code == 404  # a draft stays hidden
    mine = client.get(url, headers=callers.expert).get_json()
    assert mine["title"] == "Site vitrine clé en main" and mine["status"] == "draft"


@pytest.mark.parametrize("who", ["company", "admin"])
def test_only_providers_write(client: FlaskClient, callers: Callers, who: str) -> None:
    headers = getattr(callers, who)
    assert client.post("/api/v1/offers", json=body(), headers=headers).status_code == 403
    offer = create(client, callers.expert)
    response = client.patch(f"/api/v1/offers/{offer['id']}", json={}, headers=headers)
    assert response.status_code == 403


def test_anonymous_writes_are_401(client: FlaskClient, callers: Callers) -> None:
    assert client.post("/api/v1/offers", json=body()).status_code == 401
    offer = create(client, callers.expert)
    assert client.post(f"/api/v1/offers/{offer['id']}/publish").status_code == 401


def test_admins_preview_drafts(client: FlaskClient, callers: Callers) -> None:
    offer = create(client, callers.expert)
    assert client.get(f"/api/v1/offers/{offer['id']}", headers=callers.admin).status_code == 200


def test_public_list_is_filtered_and_paginated(
    app: Flask, client: FlaskClient, callers: Callers
) -> None:
    site = create(client, callers.expert)
    shop = create(
        client,
        callers.expert,
        title="Boutique en ligne à distance",
        category="ecommerce",
        needs=["ecommerce", "marketing"],
        delivery_mode="remote",
        regions=[],
    )
    create(client, callers.expert, title="Brouillon jamais publié")
    for offer in (site, shop):
        client.post(f"/api/v1/offers/{offer['id']}/publish", headers=callers.expert)

    def titles(query: str = "") -> list[str]:
        response = client.get(f"/api/v1/offers{query}")
        assert response.status_code == 200, response.get_json()
        return [item["title"] for item in response.get_json()["items"]]

    assert sorted(titles()) == sorted([site["title"], shop["title"]])
    assert titles("?category=ecommerce") == [shop["title"]]
    assert titles("?need=marketing") == [shop["title"]]
    assert sorted(titles("?region=53")) == sorted([site["title"], shop["title"]])
    assert titles("?region=11") == [shop["title"]]  # remote reaches every region
    assert titles(f"?provider={callers.expert_provider_id + 1000}") == []
    page = client.get("/api/v1/offers?page_size=1&page=2").get_json()
    assert len(page["items"]) == 1
    assert page["pagination"] == {"page": 2, "page_size": 1, "total": 2, "pages": 2}
    assert client.get("/api/v1/offers?region=99").status_code == 422

    with app.app_context():  # a suspended label takes the offers out of the catalogue
        provider = db.session.get(Provider, callers.expert_provider_id)
        assert provider is not None and provider.current_label is not None
        admin = db.session.scalars(select(User).where(User.role == "admin")).one()
        decide_on_label(
            db.session,
            admin,
            provider.current_label,
            Decision.SUSPEND,
            "Contrôle",
            LogMailer(),
            date.today(),
        )
        db.session.commit()
        assert db.session.get(Offer, site["id"]).status == OfferStatus.PUBLISHED  # type: ignore[union-attr]
    assert titles() == []
