"""The demo seed goes through the real services, covers every label state and is idempotent.

The module builds its own app and database (create_all) so it does not depend on shared fixtures.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from marketplace import create_app
from marketplace.accounts.models import Company, Provider, ProviderKind, User
from marketplace.accounts.service import authenticate
from marketplace.audit import AuditEvent
from marketplace.billing.claim_models import ClaimStatus, SubsidyClaim
from marketplace.billing.fec import fec_text
from marketplace.billing.invoice_models import Invoice
from marketplace.billing.models import (
    AllocationStatus,
    Funder,
    SubsidyAllocation,
    SubsidyProgramme,
)
from marketplace.billing.payments import share_account
from marketplace.billing.programmes import programme_facts, programme_list
from marketplace.billing.split import BookingLine, CompanyFacts, OfferFacts, compute_split
from marketplace.bookings.lifecycle import State
from marketplace.bookings.models import Booking
from marketplace.demo import (
    DemoSummary,
    format_logins,
    seed_demo,
    seed_demo_billing,
    seed_demo_offers,
)
from marketplace.demo.accounts import ADMIN_EMAIL, COMPANIES, DEMO_PASSWORD, PROVIDERS
from marketplace.demo.billing import BOOKINGS, PROGRAMMES
from marketplace.demo.diagnoses import STORIES
from marketplace.diagnosis.operations import company_diagnoses
from marketplace.extensions import db
from marketplace.identifiers import is_valid_french_vat, is_valid_siren, is_valid_siret
from marketplace.labels.models import Label, LabelDecision, LabelReference, LabelStatus
from marketplace.mail import LogMailer, OutboundEmail
from marketplace.reference import sync_reference_data
from marketplace.reviews.models import Review
from marketplace.taxonomy import CATEGORY_CODES
from tests.billing_scenario import assert_budgets_add_up
from tests.bookkeeping import assert_books_balance, assert_fec_balances, parse_fec

TODAY = date(2026, 3, 15)
COUNTED = (
    User,
    Company,
    Provider,
    Label,
    LabelDecision,
    LabelReference,
    AuditEvent,
    OutboundEmail,
    SubsidyProgramme,
)


@dataclass
class Seeded:
    session: Session
    summary: DemoSummary


def seed_all(session: Session) -> DemoSummary:
    """The seed as the CLI runs it: accounts and the rest, offers, then billing."""
    summary = seed_demo(session, LogMailer(), TODAY)
    seed_demo_offers(session, TODAY)
    for key, (created, present) in seed_demo_billing(session, LogMailer(), TODAY).items():
        summary.created[key] += created
        summary.already_present[key] += present
    return summary


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Seeded]:
    """Seed once per module: hashing ~30 passwords with Argon2 is the slow part."""
    path: Path = tmp_path_factory.mktemp("demo")
    app = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}/demo.db",
            "SECRET_KEY": "test",
            "WTF_CSRF_ENABLED": False,
            "RATELIMIT_ENABLED": False,
        }
    )
    with app.app_context():
        db.create_all()
        sync_reference_data(db.session)
        summary = seed_all(db.session)
        db.session.commit()
        yield Seeded(db.session, summary)
        db.session.remove()
        db.drop_all()
        db.engine.dispose()


def _row_counts(session: Session) -> dict[str, int]:
    return {
        model.__tablename__: session.scalar(select(func.count()).select_from(model))
        for model in COUNTED
    }


def test_seed_creates_providers_in_every_label_state(seeded: Seeded) -> None:
    session = seeded.session
    providers = session.scalars(select(Provider)).all()
    assert len(providers) == len(PROVIDERS) >= 18
    assert len({p.department.region_code for p in providers}) >= 10

    statuses = Counter(p.current_label.status for p in providers if p.current_label)
    assert set(statuses) == set(LabelStatus)
    assert statuses[LabelStatus.APPROVED] > len(providers) // 2
    assert statuses[LabelStatus.PENDING] >= 3
    assert statuses[LabelStatus.REJECTED] == 2
    assert statuses[LabelStatus.EXPIRED] == 2
    assert statuses[LabelStatus.SUSPENDED] == 1
    assert seeded.summary.created == {
        "admins": 1,
        "providers": len(PROVIDERS),
        "companies": len(COMPANIES),
        "labels": len(PROVIDERS),
        "diagnoses": sum(len(takes) for takes in STORIES.values()),
        "programmes": len(PROGRAMMES),
        "bookings": len(BOOKINGS),
        "invoices": 5,  # six confirmed bookings, one of them a free session
        "payments": 5,  # each invoice's share paid, its claims at every stage
    }


def test_demo_bookings_show_every_state_and_hold_subsidies(seeded: Seeded) -> None:
    """Does the demo hold a booking in each state a user meets, with the agreed ones' subsidies
    reserved (committed, once invoiced) from the programmes' budgets?"""
    session = seeded.session
    states = {booking.state for booking in session.scalars(select(Booking))}
    assert states == set(State)
    reserved = session.scalar(
        select(func.sum(SubsidyAllocation.amount_cents)).where(
            SubsidyAllocation.status.in_(
                (
                    AllocationStatus.RESERVED,
                    AllocationStatus.COMMITTED,
                    AllocationStatus.CLAIMED,
                    AllocationStatus.PAID,
                )
            )
        )
    )
    held = session.scalar(select(func.sum(SubsidyProgramme.allocated_cents)))
    assert reserved and reserved == held
    released = session.scalars(
        select(SubsidyAllocation).where(SubsidyAllocation.status == AllocationStatus.RELEASED)
    ).all()
    assert released  # the cancelled agreement gave its subsidies back
    running_low = [
        p
        for p in session.scalars(select(SubsidyProgramme))
        if p.budget_cents and p.remaining_budget_cents < p.budget_cents // 4
    ]
    assert running_low  # a company's next booking shows a split capped by what remains


def test_demo_companies_have_diagnoses_and_one_shows_progress(seeded: Seeded) -> None:
    """Does the demo show results right away, with a company that retook the diagnosis?"""
    session = seeded.session
    per_company = {
        company.name: session.scalars(company_diagnoses(company)).all()
        for company in session.scalars(select(Company))
    }
    assert all(per_company.values()), "every demo company has a diagnosis"
    bakery = per_company["Boulangerie Les Canuts"]
    assert len(bakery) == 2
    latest, first = bakery
    assert latest.overall_score > first.overall_score
    assert latest.created_at > first.created_at

    for label in session.scalars(select(Label)):
        assert 1 <= len(label.categories) <= 4
        assert set(label.category_codes) <= set(CATEGORY_CODES)
        if label.status == LabelStatus.APPROVED:
            assert label.valid_until > TODAY
        if label.status == LabelStatus.EXPIRED:
            assert label.valid_until < TODAY
            assert [d.to_status for d in label.decisions] == [
                LabelStatus.APPROVED,
                LabelStatus.EXPIRED,
            ]
        if label.provider.kind == ProviderKind.EXPERT:
            assert len(label.references) == 3
            assert label.similar_projects_turnover_cents > 0
            assert all(TODAY.year - 6 <= ref.year <= TODAY.year for ref in label.references)


def test_identifiers_pass_the_validators(seeded: Seeded) -> None:
    session = seeded.session
    for provider in session.scalars(select(Provider)):
        assert is_valid_siret(provider.siret), provider.name
        if provider.kind == ProviderKind.EXPERT:
            assert is_valid_french_vat(provider.vat_number or "", provider.siret[:9])
        else:
            assert provider.vat_number is None
    companies = session.scalars(select(Company)).all()
    assert len(companies) == len(COMPANIES)
    assert all(is_valid_siren(company.siren) for company in companies)


def test_every_demo_login_authenticates(seeded: Seeded) -> None:
    logins = seeded.summary.logins
    assert len(logins) == 1 + len(PROVIDERS) + len(COMPANIES)
    assert logins[0].email == ADMIN_EMAIL
    for login in logins:
        user = authenticate(seeded.session, login.email, DEMO_PASSWORD)
        assert user is not None, login.email
        assert user.role.value == login.role
    seeded.session.rollback()


def test_every_label_decision_is_audited(seeded: Seeded) -> None:
    session = seeded.session
    decisions = session.scalars(select(LabelDecision)).all()
    assert decisions
    events = Counter(
        (event.action, event.subject_id)
        for event in session.scalars(select(AuditEvent).where(AuditEvent.subject_type == "label"))
    )
    for decision in decisions:
        assert events[(f"label.{decision.to_status.value}", decision.label_id)] >= 1
    decision_actions = sum(n for (action, _), n in events.items() if action != "label.applied")
    assert decision_actions == len(decisions)
    admin = session.scalar(select(User).where(User.email == ADMIN_EMAIL))
    expired = {LabelStatus.EXPIRED}
    assert all(d.actor == admin for d in decisions if d.to_status not in expired)
    assert all(d.actor is None for d in decisions if d.to_status in expired)


def test_seeding_twice_creates_nothing(seeded: Seeded) -> None:
    session = seeded.session
    before = _row_counts(session)
    again = seed_all(session)
    session.commit()
    assert _row_counts(session) == before
    assert not again.created_anything
    assert again.already_present == seeded.summary.created
    assert [login.email for login in again.logins] == [
        login.email for login in seeded.summary.logins
    ]


def test_the_demo_fec_is_not_empty_and_balances(seeded: Seeded) -> None:
    """Does the accountants' export of the demo hold its invoices and money, balanced?"""
    session = seeded.session
    invoices = session.scalars(select(Invoice)).all()
    assert all(invoice.company_share_cents > 0 for invoice in invoices)
    rows = parse_fec(fec_text(session, TODAY))
    assert {invoice.number for invoice in invoices} <= {row["PieceRef"] for row in rows}
    assert {"411", "4687", "467", "441"} <= {row["CompteNum"] for row in rows}
    assert_fec_balances(rows)
    assert_books_balance(session)


def test_demo_programmes_stack_a_national_one_and_two_regional_ones(seeded: Seeded) -> None:
    """Is there the national programme, two regional ones stacking after it, open today, with
    budgets small enough to run low during a demo, each created by the admin (audited)?"""
    session = seeded.session
    national, *regional = session.scalars(programme_list()).all()
    assert (national.funder, national.rate_bp, national.stacking_order) == (Funder.STATE, 5000, 10)
    assert (national.cap_per_booking_cents, national.cap_per_company_cents) == (250_000, 500_000)
    assert national.size_bands == ["0-2", "3-9", "10-49"] and national.region_codes == []
    assert national.de_minimis is True
    assert len(regional) == 2
    assert {p.region_codes[0] for p in regional} == {"75", "53"}
    aquitaine = next(p for p in regional if p.region_codes == ["75"])
    assert (aquitaine.rate_bp, aquitaine.cap_per_booking_cents) == (3000, 300_000)
    for programme in (national, *regional):
        assert programme.valid_from <= TODAY <= programme.valid_to, programme.code
        assert programme.category_codes and programme.max_aid_intensity_bp is not None
    for programme in regional:
        assert (programme.funder, programme.stacking_order) == (Funder.REGION, 20)
        assert programme.budget_cents is not None and programme.cap_per_booking_cents
        assert programme.budget_cents <= 3 * programme.cap_per_booking_cents  # runs low fast
        # a demo company can use it: it sits in the region, with a size band it covers
        assert any(
            c.department.region_code in programme.region_codes
            and c.size_band in programme.size_bands
            for c in session.scalars(select(Company))
        ), programme.code
    events = session.scalars(select(AuditEvent).where(AuditEvent.action == "programme.created"))
    admin = session.scalar(select(User).where(User.email == ADMIN_EMAIL))
    assert sorted((e.subject_id, e.actor_id) for e in events) == sorted(
        (p.id, admin.id) for p in (national, *regional)
    )


def test_demo_programmes_split_a_bill_in_nouvelle_aquitaine(seeded: Seeded) -> None:
    """Does a 4,000 EUR website for a small firm near Bordeaux get 50 % from the State and 30 %
    from the Region (the 80 % ceiling exactly), and a volunteer's free session nothing?"""
    programmes = [
        programme_facts(p, 0, p.budget_cents) for p in seeded.session.scalars(programme_list())
    ]
    company = CompanyFacts(size_band="10-49", region="75", department="33")
    line = BookingLine(unit_price_excl_vat_cents=400_000, quantity=1, vat_rate_bp=2000)
    website = OfferFacts("online-presence", 400_000, "expert")
    split = compute_split(line, website, company, programmes, TODAY)
    paid = {s.programme_code: s.amount_cents for s in split.subsidised_lines}
    assert paid == {"cheque-france-num": 200_000, "cheque-numerique-nouvelle-aquitaine": 120_000}
    assert split.company_share_cents == 480_000 - 320_000
    workshop = OfferFacts("training", 0, "volunteer")
    free = BookingLine(unit_price_excl_vat_cents=0, quantity=1, vat_rate_bp=0)
    assert compute_split(free, workshop, company, programmes, TODAY).subsidies_cents == 0


def test_format_logins_lists_every_account_and_the_password(seeded: Seeded) -> None:
    text = format_logins(seeded.summary)
    assert DEMO_PASSWORD in text
    for login in seeded.summary.logins:
        assert login.email in text
    assert "label expired" in text and "label suspended" in text


def test_demo_money_shows_claims_at_every_stage_and_adds_up(seeded: Seeded) -> None:
    """Does the demo hold paid shares and claims waiting, approved, paid and refused, with the
    books balanced and every programme's budget accounted for?"""
    session = seeded.session
    statuses = Counter(claim.status for claim in session.scalars(select(SubsidyClaim)))
    assert set(statuses) == set(ClaimStatus)
    closed = session.scalars(select(Booking).where(Booking.state == State.CLOSED)).all()
    assert len(closed) == 2  # the two stories whose funders paid
    reviews = session.scalars(select(Review)).all()
    assert sorted(r.booking_id for r in reviews) == sorted(b.id for b in closed)
    refused = session.scalars(
        select(SubsidyClaim).where(SubsidyClaim.status == ClaimStatus.REJECTED)
    ).one()
    assert share_account(session, refused.invoice).due_cents == refused.amount_cents
    assert_books_balance(session)
    assert_budgets_add_up(session)
