"""Offer rules, called as services (no HTTP): validation, publishing, ownership, the outbox."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from marketplace.accounts.models import User
from marketplace.audit import AuditEvent
from marketplace.catalog.indexing import (
    catalogue_query,
    indexable,
    offer_facts,
    offers_of,
    offers_to_index,
)
from marketplace.catalog.models import Offer, OfferStatus
from marketplace.catalog.operations import (
    OfferData,
    admin_unpublish_offer,
    archive_offer,
    create_offer,
    offer_data,
    publish_offer,
    update_offer,
)
from marketplace.errors import Conflict, Forbidden, ValidationFailed
from marketplace.labels.operations import Decision, decide_on_label, expire_lapsed_labels
from marketplace.mail import LogMailer
from marketplace.search.documents import offer_document
from marketplace.search.outbox import OFFER, PROVIDER, SearchJob
from tests.factories import (
    admin_user,
    approved_label,
    company_user,
    pending_label,
    provider_user,
)

TODAY = date.today()


def offer_input(**overrides: Any) -> OfferData:
    base = OfferData(
        title="Site vitrine clé en main",
        summary="Un site vitrine rapide, adapté au mobile, livré en un mois.",
        description="Maquette, rédaction, référencement local et formation.",
        category="online-presence",
        needs=["online-presence", "marketing"],
        price_excl_vat_cents=240_000,
        vat_rate_bp=2000,
        pricing_unit="fixed",
        duration_days=30,
        delivery_mode="hybrid",
        regions=["53"],
        languages=["fr", "en"],
    )
    return replace(base, **overrides)


def jobs(session: Session, kind: str, entity_id: int) -> int:
    return len(
        session.scalars(
            select(SearchJob).where(SearchJob.kind == kind, SearchJob.entity_id == entity_id)
        ).all()
    )


def labelled_expert(
    session: Session, admin: User, categories: tuple[str, ...] = ("online-presence",)
) -> User:
    user = provider_user(session, regions=("53",))
    approved_label(session, user, admin, categories)
    return user


@pytest.fixture
def admin(session: Session) -> User:
    return admin_user(session)


@pytest.fixture
def expert(session: Session, admin: User) -> User:
    return labelled_expert(session, admin)


def new_offer(session: Session, user: User, **overrides: Any) -> Offer:
    assert user.provider is not None
    return create_offer(session, user, user.provider, offer_input(**overrides))


# --- Creating and validating ----------------------------------------------------------------


def test_create_saves_a_draft_and_writes_an_outbox_row(session: Session, expert: User) -> None:
    offer = new_offer(session, expert)
    assert offer.id is not None and offer.status == OfferStatus.DRAFT
    assert offer.need_codes == ["online-presence", "marketing"]
    assert offer.region_codes == ["53"] and offer.languages == ["fr", "en"]
    assert offer.published_at is None
    assert jobs(session, OFFER, offer.id) == 1
    assert not indexable(offer, TODAY)


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"title": "Site"}, "title"),
        ({"title": "   Site   "}, "title"),
        ({"title": "x" * 121}, "title"),
        ({"summary": ""}, "summary"),
        ({"summary": "x" * 301}, "summary"),
        ({"description": "x" * 5001}, "description"),
        ({"price_excl_vat_cents": -1}, "price_excl_vat_cents"),
        ({"price_excl_vat_cents": 1500.0}, "price_excl_vat_cents"),
        ({"price_excl_vat_cents": True}, "price_excl_vat_cents"),
        ({"vat_rate_bp": 1960}, "vat_rate_bp"),
        ({"vat_rate_bp": 20}, "vat_rate_bp"),
        ({"pricing_unit": "per_year"}, "pricing_unit"),
        ({"duration_days": 0}, "duration_days"),
        ({"delivery_mode": "by_post"}, "delivery_mode"),
        ({"regions": []}, "regions"),
        ({"regions": ["99"]}, "regions"),
        ({"languages": []}, "languages"),
        ({"languages": ["fr", "xx"]}, "languages"),
        ({"category": "astrology"}, "category"),
        ({"needs": ["online-presence", "astrology"]}, "needs"),
        ({"needs": ["marketing"]}, "needs"),
    ],
)
def test_invalid_input_is_refused_field_by_field(
    session: Session, expert: User, overrides: dict[str, Any], field: str
) -> None:
    with pytest.raises(ValidationFailed) as caught:
        new_offer(session, expert, **overrides)
    assert list(caught.value.errors) == [field]
    assert session.scalars(select(Offer)).all() == []


def test_every_fault_is_reported_at_once(session: Session, expert: User) -> None:
    with pytest.raises(ValidationFailed) as caught:
        new_offer(session, expert, title="abc", vat_rate_bp=1234, regions=[])
    assert set(caught.value.errors) == {"title", "vat_rate_bp", "regions"}


def test_a_remote_offer_needs_no_region(session: Session, expert: User) -> None:
    offer = new_offer(session, expert, delivery_mode="remote", regions=[], duration_days=None)
    assert offer.region_codes == [] and offer.duration_days is None


def test_the_accepted_vat_rates(session: Session, expert: User) -> None:
    for n, rate in enumerate((0, 550, 1000, 2000)):
        assert new_offer(session, expert, title=f"Offre numéro {n}", vat_rate_bp=rate)


def test_volunteers_offer_free_sessions_only(session: Session, admin: User) -> None:
    volunteer = provider_user(session, kind="volunteer", regions=("53",))
    approved_label(session, volunteer, admin, ("training",))
    with pytest.raises(ValidationFailed) as caught:
        new_offer(session, volunteer, category="training", needs=["training"])
    assert list(caught.value.errors) == ["price_excl_vat_cents"]
    offer = new_offer(
        session, volunteer, category="training", needs=["training"], price_excl_vat_cents=0
    )
    publish_offer(session, volunteer, offer, TODAY)
    assert offer.status == OfferStatus.PUBLISHED and indexable(offer, TODAY)


# --- Publishing rules -----------------------------------------------------------------------


def test_publish_with_a_live_label_covering_the_category(session: Session, expert: User) -> None:
    offer = new_offer(session, expert)
    publish_offer(session, expert, offer, TODAY)
    assert offer.status == OfferStatus.PUBLISHED and offer.published_at is not None
    assert indexable(offer, TODAY)
    assert jobs(session, OFFER, offer.id) == 2  # create and publish, in this transaction


def test_after_publishing_a_search_job_exists_for_the_offer(session: Session, expert: User) -> None:
    """Is the outbox row written in the same transaction as the publication?"""
    offer = new_offer(session, expert)
    session.commit()
    publish_offer(session, expert, offer, TODAY)
    pending = session.scalars(select(SearchJob).where(SearchJob.done_at.is_(None))).all()
    assert [(j.kind, j.entity_id) for j in pending][-1] == (OFFER, offer.id)
    session.rollback()  # the publication and its job go together
    assert jobs(session, OFFER, offer.id) == 1
    assert session.get(Offer, offer.id).status == OfferStatus.DRAFT  # type: ignore[union-attr]


@pytest.mark.parametrize("price", [240_000, 0])
def test_no_label_no_publication(session: Session, price: int) -> None:
    """Can a provider without a label publish, even a free offer? No."""
    user = provider_user(session, regions=("53",))
    offer = new_offer(session, user, price_excl_vat_cents=price)
    with pytest.raises(Conflict, match="label"):
        publish_offer(session, user, offer, TODAY)
    assert offer.status == OfferStatus.DRAFT


def test_a_pending_label_does_not_allow_publishing(session: Session) -> None:
    user = provider_user(session, regions=("53",))
    pending_label(session, user)
    offer = new_offer(session, user)
    with pytest.raises(Conflict):
        publish_offer(session, user, offer, TODAY)


def test_a_paid_offer_needs_its_category_in_the_label(session: Session, expert: User) -> None:
    offer = new_offer(session, expert, category="cybersecurity", needs=["cybersecurity"])
    with pytest.raises(Conflict, match=r"Cybers[eé]curit"):
        publish_offer(session, expert, offer, TODAY)
    free = new_offer(
        session,
        expert,
        title="Diagnostic cybersécurité offert",
        category="cybersecurity",
        needs=["cybersecurity"],
        price_excl_vat_cents=0,
    )
    publish_offer(session, expert, free, TODAY)  # a labelled expert may give a free session
    assert indexable(free, TODAY)


def test_publishing_twice_is_a_conflict(session: Session, expert: User) -> None:
    offer = new_offer(session, expert)
    publish_offer(session, expert, offer, TODAY)
    with pytest.raises(Conflict):
        publish_offer(session, expert, offer, TODAY)


def test_a_published_offer_stays_publishable_when_edited(session: Session, expert: User) -> None:
    offer = new_offer(session, expert)
    publish_offer(session, expert, offer, TODAY)
    moved = offer_input(category="crm", needs=["crm"])
    with pytest.raises(Conflict):
        update_offer(session, expert, offer, moved, TODAY)
    assert offer.category_code == "online-presence"
    update_offer(session, expert, offer, offer_input(price_excl_vat_cents=199_000), TODAY)
    assert offer.price_excl_vat_cents == 199_000 and offer.status == OfferStatus.PUBLISHED
    assert jobs(session, OFFER, offer.id) == 3


def test_update_changes_everything_given(session: Session, expert: User) -> None:
    offer = new_offer(session, expert)
    data = offer_input(
        title="Refonte de site web",
        needs=["online-presence", "crm", "data-ai"],
        regions=["53", "52"],
        languages=["en"],
        vat_rate_bp=1000,
        pricing_unit="per_day",
        delivery_mode="on_site",
    )
    update_offer(session, expert, offer, data, TODAY)
    assert offer_data(offer) == data
    assert offer.region_codes == ["53", "52"]  # by name: Bretagne, Pays de la Loire


# --- Archive and admin unpublish ------------------------------------------------------------


def test_archive_then_publish_again(session: Session, expert: User) -> None:
    offer = new_offer(session, expert)
    publish_offer(session, expert, offer, TODAY)
    archive_offer(session, expert, offer)
    assert offer.status == OfferStatus.ARCHIVED and offer.archived_at is not None
    assert not indexable(offer, TODAY)
    with pytest.raises(Conflict):
        archive_offer(session, expert, offer)
    publish_offer(session, expert, offer, TODAY)
    assert offer.status == OfferStatus.PUBLISHED and offer.archived_at is None
    assert jobs(session, OFFER, offer.id) == 4


def test_admin_unpublishes_with_a_reason_and_an_audit_event(
    session: Session, expert: User, admin: User
) -> None:
    offer = new_offer(session, expert)
    publish_offer(session, expert, offer, TODAY)
    with pytest.raises(ValidationFailed) as caught:
        admin_unpublish_offer(session, admin, offer, "  ")
    assert list(caught.value.errors) == ["reason"]
    admin_unpublish_offer(session, admin, offer, "Prix trompeur : frais cachés")
    assert offer.status == OfferStatus.DRAFT
    assert offer.unpublished_reason == "Prix trompeur : frais cachés"
    event = session.scalars(
        select(AuditEvent).where(AuditEvent.action == "offer.unpublished")
    ).one()
    assert event.actor_id == admin.id and event.subject_id == offer.id
    assert event.data["reason"] == "Prix trompeur : frais cachés"
    assert jobs(session, OFFER, offer.id) == 3
    with pytest.raises(Conflict):
        admin_unpublish_offer(session, admin, offer, "Encore")
    publish_offer(session, expert, offer, TODAY)  # corrected: the reason is cleared
    assert offer.unpublished_reason == ""


def test_only_admins_unpublish(session: Session, expert: User) -> None:
    offer = new_offer(session, expert)
    publish_offer(session, expert, offer, TODAY)
    with pytest.raises(Forbidden):
        admin_unpublish_offer(session, expert, offer, "Je retire mon offre")


# --- Ownership ------------------------------------------------------------------------------


def test_a_provider_cannot_touch_another_providers_offer(
    session: Session, expert: User, admin: User
) -> None:
    """Can a provider edit, publish or archive another provider's offer? No."""
    offer = new_offer(session, expert)
    other = labelled_expert(session, admin)
    with pytest.raises(Forbidden):
        update_offer(session, other, offer, offer_input(title="Offre détournée"), TODAY)
    with pytest.raises(Forbidden):
        publish_offer(session, other, offer, TODAY)
    with pytest.raises(Forbidden):
        archive_offer(session, other, offer)
    with pytest.raises(Forbidden):
        create_offer(session, other, expert.provider, offer_input())  # type: ignore[arg-type]
    assert offer.title == "Site vitrine clé en main" and offer.status == OfferStatus.DRAFT


@pytest.mark.parametrize("who", ["company", "admin"])
def test_companies_and_admins_do_not_write_offers(
    session: Session, expert: User, admin: User, who: str
) -> None:
    actor = company_user(session) if who == "company" else admin
    offer = new_offer(session, expert)
    with pytest.raises(Forbidden):
        create_offer(session, actor, expert.provider, offer_input())  # type: ignore[arg-type]
    with pytest.raises(Forbidden):
        publish_offer(session, actor, offer, TODAY)


# --- Lapsed labels: offers keep their status, visibility follows the label ------------------


def test_label_suspension_enqueues_the_provider_and_hides_its_offers(
    session: Session, expert: User, admin: User
) -> None:
    offer = new_offer(session, expert)
    publish_offer(session, expert, offer, TODAY)
    label = expert.provider.current_label  # type: ignore[union-attr]
    assert label is not None
    provider_id = expert.provider.id  # type: ignore[union-attr]
    approvals = jobs(session, PROVIDER, provider_id)
    assert approvals == 1  # the approval

    decide_on_label(session, admin, label, Decision.SUSPEND, "Contrôle", LogMailer(), TODAY)
    assert jobs(session, PROVIDER, provider_id) == approvals + 1
    assert offer.status == OfferStatus.PUBLISHED  # kept, but no longer shown
    assert not indexable(offer, TODAY)
    assert list(offers_to_index(session, TODAY)) == []

    decide_on_label(session, admin, label, Decision.APPROVE, "Rétabli", LogMailer(), TODAY)
    assert jobs(session, PROVIDER, provider_id) == approvals + 2
    assert indexable(offer, TODAY)  # reinstated: back without re-publishing


def test_a_label_past_its_date_hides_offers_before_the_sweep(
    session: Session, expert: User
) -> None:
    offer = new_offer(session, expert)
    publish_offer(session, expert, offer, TODAY)
    label = expert.provider.current_label  # type: ignore[union-attr]
    assert label is not None and label.valid_until is not None
    later = label.valid_until + timedelta(days=1)
    assert indexable(offer, label.valid_until) and not indexable(offer, later)
    assert list(offers_to_index(session, later)) == []
    before = jobs(session, PROVIDER, label.provider_id)
    expire_lapsed_labels(session, LogMailer(), later)  # the sweep enqueues the provider
    assert jobs(session, PROVIDER, label.provider_id) == before + 1


def test_publishing_after_the_label_lapsed_is_refused(session: Session, expert: User) -> None:
    offer = new_offer(session, expert)
    label = expert.provider.current_label  # type: ignore[union-attr]
    assert label is not None and label.valid_until is not None
    with pytest.raises(Conflict):
        publish_offer(session, expert, offer, label.valid_until + timedelta(days=1))


def test_a_renewed_label_without_the_category_hides_paid_offers_only(
    session: Session, admin: User
) -> None:
    expert = labelled_expert(session, admin, ("online-presence", "marketing"))
    paid = new_offer(session, expert, category="marketing", needs=["marketing"])
    free = new_offer(
        session,
        expert,
        title="Diagnostic SEO offert",
        category="marketing",
        needs=["marketing"],
        price_excl_vat_cents=0,
    )
    for offer in (paid, free):
        publish_offer(session, expert, offer, TODAY)
    old = expert.provider.current_label  # type: ignore[union-attr]
    old.valid_until = TODAY - timedelta(days=1)  # type: ignore[union-attr]
    expire_lapsed_labels(session, LogMailer(), TODAY)  # a lapsed label may be renewed
    approved_label(session, expert, admin, ("online-presence",))
    session.expire_all()
    assert not indexable(paid, TODAY) and indexable(free, TODAY)
    assert [o.id for o in offers_to_index(session, TODAY)] == [free.id]


# --- Indexing helpers -----------------------------------------------------------------------


def test_sql_visibility_agrees_with_indexable(session: Session, admin: User) -> None:
    """Does the query the reindex uses select exactly the offers `indexable` accepts?"""
    expert = labelled_expert(session, admin, ("online-presence", "crm"))
    suspended = labelled_expert(session, admin)
    unlabelled = provider_user(session, regions=("53",))
    offers: list[Offer] = []
    for n, user in enumerate((expert, suspended, unlabelled)):
        for status in ("draft", "published", "archived"):
            offer = new_offer(session, user, title=f"Offre {n} {status}")
            offers.append(offer)
            if status != "draft" and user is not unlabelled:
                publish_offer(session, user, offer, TODAY)
            if status == "archived" and user is not unlabelled:
                archive_offer(session, user, offer)
    label = suspended.provider.current_label  # type: ignore[union-attr]
    decide_on_label(session, admin, label, Decision.SUSPEND, "Contrôle", LogMailer(), TODAY)  # type: ignore[arg-type]
    session.expire_all()
    expected = sorted(o.id for o in offers if indexable(o, TODAY))
    assert expected == [offers[1].id]
    assert [o.id for o in offers_to_index(session, TODAY)] == expected
    assert [o.id for o in session.scalars(catalogue_query(TODAY))] == expected


def test_catalogue_filters(session: Session, admin: User) -> None:
    expert = labelled_expert(session, admin, ("online-presence", "crm"))
    site = new_offer(session, expert, regions=["53"])
    crm = new_offer(
        session,
        expert,
        title="CRM à distance",
        category="crm",
        needs=["crm", "data-ai"],
        delivery_mode="remote",
        regions=[],
    )
    for offer in (site, crm):
        publish_offer(session, expert, offer, TODAY)

    def ids(**filters: Any) -> set[int]:
        return {o.id for o in session.scalars(catalogue_query(TODAY, **filters))}

    assert ids() == {site.id, crm.id}
    assert ids(category="crm") == {crm.id}
    assert ids(need="data-ai") == {crm.id}
    assert ids(need="online-presence") == {site.id}
    assert ids(region="53") == {site.id, crm.id}  # remote offers reach every region
    assert ids(region="11") == {crm.id}
    assert ids(provider_id=expert.provider.id + 1) == set()  # type: ignore[union-attr]


def test_offer_facts_feed_the_search_document(session: Session, expert: User) -> None:
    offer = new_offer(session, expert)
    publish_offer(session, expert, offer, TODAY)
    facts = offer_facts(offer)
    assert facts.category == "online-presence" and facts.needs == ("online-presence", "marketing")
    assert facts.provider_kind == "expert" and facts.delivery_mode == "hybrid"
    assert facts.pricing_unit == "fixed" and facts.price_cents == 240_000
    assert facts.regions == ("53",) and facts.languages == ("fr", "en")
    document = offer_document(facts)
    assert document["provider_name"] == expert.provider.name  # type: ignore[union-attr]
    assert document["price_band"] == "2000_5000" and document["remote"] is True


def test_offers_of_takes_ids_and_providers(session: Session, admin: User) -> None:
    first, second = labelled_expert(session, admin), labelled_expert(session, admin)
    a = new_offer(session, first)
    b = new_offer(session, second)
    c = new_offer(session, second, title="Autre offre")
    assert [o.id for o in offers_of(session, {a.id}, ())] == [a.id]
    assert [o.id for o in offers_of(session, (), {second.provider.id})] == [b.id, c.id]  # type: ignore[union-attr]
    assert offers_of(session, (), ()) == []
