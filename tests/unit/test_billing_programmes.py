"""Subsidy programme rules, called as services (no HTTP): who may, validation, audit, outbox."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

import pytest
from flask_babel import force_locale
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from marketplace.accounts.models import User
from marketplace.audit import AuditEvent
from marketplace.billing.models import Funder, SubsidyProgramme
from marketplace.billing.programmes import (
    ProgrammeData,
    create_programme,
    programme_by_code,
    programme_data,
    programme_facts,
    programme_list,
    update_programme,
)
from marketplace.billing.split import ProgrammeFacts
from marketplace.errors import AlreadyExists, Forbidden, ValidationFailed
from marketplace.search.outbox import PROGRAMME, SearchJob
from tests.factories import admin_user, company_user, provider_user


def programme_input(**overrides: Any) -> ProgrammeData:
    base = ProgrammeData(
        funder="region",
        code="bretagne-numerique",
        name="Pass numérique Bretagne",
        description="La Région prend en charge la moitié de la prestation.",
        rate_bp=5000,
        regions=["53"],
        categories=["online-presence", "ecommerce"],
        size_bands=["3-9", "0-2"],
        cap_per_booking_cents=150_000,
        cap_per_company_cents=300_000,
        budget_cents=10_000_000,
        valid_from=date(2026, 1, 1),
        valid_to=date(2026, 12, 31),
        de_minimis=True,
        stacking_order=2,
        max_aid_intensity_bp=8000,
    )
    return replace(base, **overrides)


@pytest.fixture
def admin(session: Session) -> User:
    return admin_user(session)


def jobs(session: Session, entity_id: int) -> int:
    query = select(SearchJob).where(SearchJob.kind == PROGRAMME, SearchJob.entity_id == entity_id)
    return len(session.scalars(query).all())


def events(session: Session, action: str) -> list[AuditEvent]:
    return list(session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


# --- Creating -------------------------------------------------------------------------------


def test_create_saves_every_field(session: Session, admin: User) -> None:
    programme = create_programme(session, admin, programme_input(code="  bretagne-numerique "))
    session.expire_all()
    saved = session.get(SubsidyProgramme, programme.id)
    assert saved is not None
    assert saved.funder == Funder.REGION and saved.code == "bretagne-numerique"
    assert saved.region_codes == ["53"]
    assert saved.category_codes == ["online-presence", "ecommerce"]
    assert saved.size_bands == ["0-2", "3-9"]  # in SizeBand order
    assert (saved.rate_bp, saved.max_aid_intensity_bp, saved.stacking_order) == (5000, 8000, 2)
    assert (saved.cap_per_booking_cents, saved.cap_per_company_cents) == (150_000, 300_000)
    assert saved.budget_cents == 10_000_000 and saved.de_minimis is True
    assert (saved.valid_from, saved.valid_to) == (date(2026, 1, 1), date(2026, 12, 31))
    assert saved.created_at.tzinfo is not None
    assert programme_data(saved) == programme_input(size_bands=["0-2", "3-9"])


def test_empty_lists_and_no_caps_mean_everything_and_unlimited(
    session: Session, admin: User
) -> None:
    programme = create_programme(
        session,
        admin,
        ProgrammeData(funder="state", code="france-num", name="France Num", rate_bp=3000),
    )
    assert programme.regions == [] and programme.categories == [] and programme.size_bands == []
    assert programme.cap_per_booking_cents is None and programme.budget_cents is None
    assert programme.valid_from is None and programme.max_aid_intensity_bp is None


def test_create_writes_an_audit_event_and_an_outbox_job(session: Session, admin: User) -> None:
    programme = create_programme(session, admin, programme_input())
    [event] = events(session, "programme.created")
    assert (event.actor_id, event.subject_type, event.subject_id) == (
        admin.id,
        "programme",
        programme.id,
    )
    assert event.data["code"] == "bretagne-numerique" and event.data["rate_bp"] == 5000
    assert event.data["valid_to"] == "2026-12-31" and event.data["regions"] == ["53"]
    assert jobs(session, programme.id) == 1


@pytest.mark.parametrize("make", [company_user, provider_user])
def test_only_administrators_may_create(session: Session, make: Any) -> None:
    """Can a company or a provider member create a programme? No."""
    with pytest.raises(Forbidden):
        create_programme(session, make(session), programme_input())
    assert session.scalars(select(SubsidyProgramme)).all() == []


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"funder": "city"}, "funder"),
        ({"code": "x"}, "code"),
        ({"code": "Bretagne Numérique"}, "code"),
        ({"code": "bretagne--numerique"}, "code"),
        ({"code": "-bretagne"}, "code"),
        ({"code": "x" * 41}, "code"),
        ({"name": "ab"}, "name"),
        ({"name": "x" * 161}, "name"),
        ({"description": "x" * 5001}, "description"),
        ({"regions": ["53", "99"]}, "regions"),
        ({"categories": ["astrology"]}, "categories"),
        ({"size_bands": ["250+"]}, "size_bands"),
        ({"rate_bp": 0}, "rate_bp"),
        ({"rate_bp": 10001}, "rate_bp"),
        ({"rate_bp": 50.0}, "rate_bp"),
        ({"rate_bp": True}, "rate_bp"),
        ({"cap_per_booking_cents": -1}, "cap_per_booking_cents"),
        ({"cap_per_company_cents": 10.5}, "cap_per_company_cents"),
        ({"budget_cents": -100}, "budget_cents"),
        ({"valid_to": date(2025, 12, 31)}, "valid_to"),
        ({"valid_from": "2026-01-01"}, "valid_from"),
        ({"de_minimis": "yes"}, "de_minimis"),
        ({"stacking_order": -1}, "stacking_order"),
        ({"stacking_order": 10_000}, "stacking_order"),
        ({"max_aid_intensity_bp": 0}, "max_aid_intensity_bp"),
        ({"max_aid_intensity_bp": 10001}, "max_aid_intensity_bp"),
    ],
)
def test_invalid_input_is_refused_field_by_field(
    session: Session, admin: User, overrides: dict[str, Any], field: str
) -> None:
    with pytest.raises(ValidationFailed) as caught:
        create_programme(session, admin, programme_input(**overrides))
    assert not isinstance(caught.value, AlreadyExists)
    assert list(caught.value.errors) == [field]
    assert session.scalars(select(SubsidyProgramme)).all() == []


def test_every_fault_is_reported_at_once(session: Session, admin: User) -> None:
    with pytest.raises(ValidationFailed) as caught:
        create_programme(
            session, admin, programme_input(funder="", rate_bp=-5, valid_to=date(2020, 1, 1))
        )
    assert set(caught.value.errors) == {"funder", "rate_bp", "valid_to"}


def test_zero_caps_and_one_day_programmes_are_allowed(session: Session, admin: User) -> None:
    day = date(2026, 6, 1)
    programme = create_programme(
        session, admin, programme_input(budget_cents=0, valid_from=day, valid_to=day)
    )
    assert programme.budget_cents == 0 and programme.valid_to == day


def test_a_taken_code_alone_is_a_conflict(session: Session, admin: User) -> None:
    create_programme(session, admin, programme_input())
    with pytest.raises(AlreadyExists) as caught:
        create_programme(session, admin, programme_input(name="Un autre dispositif"))
    assert list(caught.value.errors) == ["code"]


def test_a_taken_code_with_other_faults_is_a_validation_failure(
    session: Session, admin: User
) -> None:
    create_programme(session, admin, programme_input())
    with pytest.raises(ValidationFailed) as caught:
        create_programme(session, admin, programme_input(rate_bp=0))
    assert not isinstance(caught.value, AlreadyExists)
    assert set(caught.value.errors) == {"code", "rate_bp"}


def test_messages_are_translated(session: Session, admin: User) -> None:
    with force_locale("fr"), pytest.raises(ValidationFailed) as caught:
        create_programme(session, admin, programme_input(rate_bp=0))
    assert caught.value.errors["rate_bp"] == [
        "Indiquez un taux entre 0,01 % et 100 %, en points de base."
    ]


def test_the_database_refuses_a_rate_over_100_percent(session: Session) -> None:
    """The CHECK constraints hold even when the service is bypassed."""
    session.add(
        SubsidyProgramme(funder=Funder.EU, code="bad", name="Bad", rate_bp=10_001, size_bands=[])
    )
    with pytest.raises(IntegrityError):
        session.flush()


# --- Updating -------------------------------------------------------------------------------


def test_update_changes_fields_and_audits_before_and_after(session: Session, admin: User) -> None:
    programme = create_programme(session, admin, programme_input())
    created_jobs = jobs(session, programme.id)
    update_programme(
        session,
        admin,
        programme,
        programme_input(rate_bp=4000, regions=[], categories=["crm"], budget_cents=None),
    )
    assert programme.rate_bp == 4000 and programme.regions == []
    assert programme.category_codes == ["crm"] and programme.budget_cents is None
    [event] = events(session, "programme.updated")
    assert event.actor_id == admin.id and event.subject_id == programme.id
    assert event.data["changes"] == {
        "rate_bp": [5000, 4000],
        "regions": [["53"], []],
        "categories": [["online-presence", "ecommerce"], ["crm"]],
        "budget_cents": [10_000_000, None],
    }
    assert jobs(session, programme.id) == created_jobs + 1


def test_update_may_keep_its_own_code(session: Session, admin: User) -> None:
    programme = create_programme(session, admin, programme_input())
    update_programme(session, admin, programme, programme_input(name="Pass Bretagne"))
    assert programme.name == "Pass Bretagne"


def test_update_may_not_take_another_programmes_code(session: Session, admin: User) -> None:
    create_programme(session, admin, programme_input())
    other = create_programme(session, admin, programme_input(code="autre"))
    with pytest.raises(AlreadyExists):
        update_programme(session, admin, other, programme_input())
    assert other.code == "autre"


def test_invalid_update_changes_nothing(session: Session, admin: User) -> None:
    programme = create_programme(session, admin, programme_input())
    with pytest.raises(ValidationFailed):
        update_programme(session, admin, programme, programme_input(rate_bp=0, name="ok"))
    assert programme.rate_bp == 5000 and events(session, "programme.updated") == []


def test_the_budget_cannot_drop_below_what_bookings_hold(session: Session, admin: User) -> None:
    """Can an admin cut a budget under its reservations? No: 422, not the CHECK's 500."""
    programme = create_programme(session, admin, programme_input())
    programme.allocated_cents = 500_000  # what reservations took (billing.reservations)
    session.flush()
    with force_locale("fr"), pytest.raises(ValidationFailed) as caught:
        update_programme(session, admin, programme, programme_input(budget_cents=499_999))
    assert list(caught.value.errors) == ["budget_cents"]
    assert "5\u202f000,00\xa0€" in caught.value.errors["budget_cents"][0]
    assert programme.budget_cents == 10_000_000
    update_programme(session, admin, programme, programme_input(budget_cents=500_000))
    assert programme.budget_cents == 500_000
    update_programme(session, admin, programme, programme_input(budget_cents=None))
    assert programme.budget_cents is None  # no limit at all is fine too


def test_only_administrators_may_update(session: Session, admin: User) -> None:
    """Can a company member change a programme's rate? No."""
    programme = create_programme(session, admin, programme_input())
    with pytest.raises(Forbidden):
        update_programme(session, company_user(session), programme, programme_input(rate_bp=10000))
    assert programme.rate_bp == 5000


# --- Finding and listing ---------------------------------------------------------------------


def test_find_by_code_and_nothing_for_a_malformed_one(session: Session, admin: User) -> None:
    programme = create_programme(session, admin, programme_input())
    assert programme_by_code(session, "bretagne-numerique") is programme
    for code in ("inconnu", "Bretagne-Numerique", "bretagne-numerique ", "", "x" * 41):
        assert programme_by_code(session, code) is None, code


def test_the_list_is_in_stacking_order_and_filters_keep_open_programmes(
    session: Session, admin: User
) -> None:
    """Does a region or category filter keep the programmes open to every region or category?"""
    create_programme(session, admin, programme_input())  # Bretagne, online presence + shop
    create_programme(
        session,
        admin,
        ProgrammeData(funder="state", code="france-num", name="France Num", rate_bp=5000),
    )
    create_programme(
        session,
        admin,
        programme_input(code="occitanie", regions=["76"], categories=["crm"], stacking_order=1),
    )

    def codes(**filters: str) -> list[str]:
        return [p.code for p in session.scalars(programme_list(**filters))]

    assert codes() == ["france-num", "occitanie", "bretagne-numerique"]  # 0, 1, 2
    assert codes(region="53") == ["france-num", "bretagne-numerique"]
    assert codes(region="11") == ["france-num"]
    assert codes(category="crm") == ["france-num", "occitanie"]
    assert codes(funder="region", category="ecommerce") == ["bretagne-numerique"]
    assert codes(funder="eu") == []


# --- The split engine's facts ---------------------------------------------------------------


def test_facts_map_every_field(session: Session, admin: User) -> None:
    programme = create_programme(session, admin, programme_input())
    assert programme_facts(programme, 20_000, 9_000_000) == ProgrammeFacts(
        code="bretagne-numerique",
        name="Pass numérique Bretagne",
        funder="region",
        rate_bp=5000,
        stacking_order=2,
        cap_per_booking_cents=150_000,
        cap_per_company_cents=300_000,
        company_used_cents=20_000,
        remaining_budget_cents=9_000_000,
        de_minimis=True,
        max_aid_intensity_bp=8000,
        regions=frozenset({"53"}),
        departments=None,
        size_bands=frozenset({"0-2", "3-9"}),
        categories=frozenset({"online-presence", "ecommerce"}),
        valid_from=date(2026, 1, 1),
        valid_to=date(2026, 12, 31),
    )


def test_facts_of_an_open_programme_restrict_nothing(session: Session, admin: User) -> None:
    programme = create_programme(
        session,
        admin,
        ProgrammeData(funder="eu", code="feder", name="FEDER numérique", rate_bp=2000),
    )
    facts = programme_facts(programme, 0, None)
    assert facts.regions is None and facts.categories is None and facts.size_bands is None
    assert facts.remaining_budget_cents is None and facts.cap_per_company_cents is None
    assert facts.funder == "eu" and facts.de_minimis is False


def test_programmes_opening_or_closing_by_date_requeue_their_offers_once(
    session: Session,
) -> None:
    """Time passing changes an offer's best case as much as an edit: the worker re-indexes."""
    from datetime import timedelta

    from marketplace.billing.programmes import requeue_on_calendar

    admin = admin_user(session)
    today = date.today()
    opening = create_programme(
        session, admin, programme_input(code="opens-today", valid_from=today)
    )
    closed = create_programme(
        session,
        admin,
        programme_input(
            code="closed-yesterday",
            valid_from=today - timedelta(days=90),
            valid_to=today - timedelta(days=1),
        ),
    )
    create_programme(
        session, admin, programme_input(code="open-for-long", valid_from=today - timedelta(days=90))
    )
    # Their creation queued them already (today): nothing to do until a boundary passes.
    assert requeue_on_calendar(session, today) == []

    tomorrow = today + timedelta(days=1)
    closing_tomorrow = create_programme(
        session, admin, programme_input(code="closes-today", valid_to=today)
    )
    queued = requeue_on_calendar(session, tomorrow)
    assert [p.code for p in queued] == [closing_tomorrow.code]
    for job in session.scalars(select(SearchJob).where(SearchJob.entity_id == queued[0].id)):
        job.created_at += timedelta(days=1)  # as if queued by tomorrow's run
    assert requeue_on_calendar(session, tomorrow) == []  # once
    assert {opening.code, closed.code}.isdisjoint(p.code for p in queued)
