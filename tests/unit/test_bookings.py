"""The booking lifecycle as services (no HTTP): the table, reservations, timers, the ledger."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from marketplace.accounts.models import User
from marketplace.audit import AuditEvent
from marketplace.billing.deminimis import declare_aid, ledger, withdraw_declared_aid
from marketplace.billing.invoices import invoice_of_booking
from marketplace.billing.models import AllocationStatus, SubsidyAllocation, SubsidyProgramme
from marketplace.billing.quotes import quote
from marketplace.bookings.evidence import EvidenceStore, Upload
from marketplace.bookings.lifecycle import (
    TERMINAL,
    TIMED,
    TRANSITIONS,
    Party,
    State,
    allowed,
)
from marketplace.bookings.models import Booking
from marketplace.bookings.operations import (
    QuoteData,
    RequestData,
    SplitChanged,
    TransitionInput,
    TransitionNotAllowed,
    booking_for,
    current_split,
    fire,
    post_message,
    request_booking,
    tick,
)
from marketplace.dbtypes import utcnow
from marketplace.errors import NotFound, ValidationFailed
from marketplace.mail import LogMailer, OutboundEmail
from tests.factories import admin_user, company_user, programme, provider_user, published_offer

TODAY = date.today()
PDF = b"%PDF-1.4 minimal evidence"
MAILER = LogMailer()


# --- The table ------------------------------------------------------------------------------


def test_each_state_and_transition_pair_is_declared_once() -> None:
    keys = [(t.source, t.name) for t in TRANSITIONS]
    assert len(keys) == len(set(keys))


def test_every_state_is_reachable_from_the_request() -> None:
    reached, frontier = {State.REQUESTED}, [State.REQUESTED]
    while frontier:
        source = frontier.pop()
        for t in TRANSITIONS:
            if t.source == source and t.target not in reached:
                reached.add(t.target)
                frontier.append(t.target)
    assert reached == set(State)


def test_terminal_states_and_timers_are_as_the_issue_says() -> None:
    # A confirmed booking waits for its money; billing closes it once everything is paid.
    terminal = {State.CLOSED, State.DECLINED, State.CANCELLED, State.EXPIRED}
    assert terminal == TERMINAL
    timers = {(t.source, t.after.days) for t in TIMED if t.after}
    assert timers == {(State.REQUESTED, 7), (State.QUOTED, 14), (State.DELIVERED, 14)}
    assert all(t.parties == {Party.SYSTEM} for t in TIMED)


def test_cancelling_after_agreement_needs_a_reason_and_releases_subsidies() -> None:
    (before,) = [t for t in allowed(State.QUOTED, {Party.COMPANY}) if t.name == "cancel"]
    (after,) = [t for t in allowed(State.AGREED, {Party.PROVIDER}) if t.name == "cancel"]
    assert not before.needs_reason and after.needs_reason
    assert "release-subsidies" in after.effects and not before.effects


# --- Scenario -------------------------------------------------------------------------------


@pytest.fixture
def admin(session: Session) -> User:
    return admin_user(session)


@pytest.fixture
def expert(session: Session) -> User:
    return provider_user(session)


@pytest.fixture
def company(session: Session) -> User:
    return company_user(session, department="33", size_band="3-9")  # Nouvelle-Aquitaine


@pytest.fixture
def national(session: Session, admin: User) -> SubsidyProgramme:
    return programme(session, admin, budget_cents=300_000, cap_per_company_cents=500_000)


@pytest.fixture
def store(tmp_path: Path) -> EvidenceStore:
    return EvidenceStore(tmp_path / "evidence")


def requested(session: Session, company: User, offer, quantity: int = 1) -> Booking:
    data = RequestData(quantity=quantity, message="Nous voulons un site pour le printemps.")
    return request_booking(session, company, offer, data, MAILER, TODAY)


def quoted(session: Session, company: User, expert: User, offer, **quote) -> Booking:
    booking = requested(session, company, offer, quote.get("quantity", 1))
    given = TransitionInput(quote=QuoteData(quantity=quote.pop("quantity", 1), **quote))
    return fire(session, expert, booking, "propose_quote", MAILER, TODAY, given)


def accept(session: Session, company: User, booking: Booking) -> Booking:
    split = current_split(session, booking, TODAY)
    assert split is not None
    given = TransitionInput(expected_company_share_cents=split.company_share_cents)
    return fire(session, company, booking, "accept", MAILER, TODAY, given)


def test_request_quote_accept_reserves_each_subsidy(
    session: Session, admin: User, expert: User, company: User, national: SubsidyProgramme
) -> None:
    offer = published_offer(session, expert, admin)  # 4,000 € excl. VAT, 20 % VAT
    booking = quoted(session, company, expert, offer)
    assert booking.state == State.QUOTED and booking.quote_unit_price_cents == 400_000

    accept(session, company, booking)

    assert booking.state == State.AGREED
    split = booking.agreement["split"]
    assert split["incl_vat_cents"] == 480_000
    assert split["subsidies_cents"] == 200_000  # 50 % of 4,000 € = 2,000 €, under the cap
    assert split["company_share_cents"] == 280_000
    assert booking.agreement["company"]["siren"] == company.company.siren
    assert booking.agreement["provider"]["siret"] == expert.provider.siret
    (allocation,) = session.scalars(select(SubsidyAllocation)).all()
    assert allocation.status == AllocationStatus.RESERVED and allocation.amount_cents == 200_000
    session.refresh(national)
    assert national.allocated_cents == 200_000 and national.remaining_budget_cents == 100_000
    history = [(e.transition, e.to_state) for e in booking.events]
    assert history == [
        ("request", State.REQUESTED),
        ("propose_quote", State.QUOTED),
        ("accept", State.AGREED),
    ]
    actions = set(session.scalars(select(AuditEvent.action)))
    assert {"booking.requested", "booking.accept", "subsidy.reserved"} <= actions


def test_the_second_acceptance_gets_what_remains_of_the_budget(
    session: Session, admin: User, expert: User, national: SubsidyProgramme
) -> None:
    offer = published_offer(session, expert, admin)
    first = quoted(session, company_user(session, department="33"), expert, offer)
    second_company = company_user(session, department="69")
    second = quoted(session, second_company, expert, offer)
    seen = current_split(session, second, TODAY)  # before the first acceptance: 2,000 €
    first_user = session.get(User, first.requested_by_id)
    accept(session, first_user, first)

    with pytest.raises(SplitChanged) as refused:
        fire(
            session,
            second_company,
            second,
            "accept",
            MAILER,
            TODAY,
            TransitionInput(expected_company_share_cents=seen.company_share_cents),
        )
    assert refused.value.split.subsidies_cents == 100_000  # what remains of the 3,000 € budget
    assert second.state == State.QUOTED
    assert len(session.scalars(select(SubsidyAllocation)).all()) == 1

    accept(session, second_company, second)
    session.refresh(national)
    assert national.allocated_cents == 300_000 and national.remaining_budget_cents == 0


def test_a_forbidden_transition_lists_the_allowed_ones_and_changes_nothing(
    session: Session, admin: User, expert: User, company: User
) -> None:
    booking = requested(session, company, published_offer(session, expert, admin))
    with pytest.raises(TransitionNotAllowed) as refused:
        fire(session, company, booking, "mark_delivered", MAILER, TODAY)
    assert refused.value.allowed == ["cancel"]
    with pytest.raises(TransitionNotAllowed) as refused:
        fire(session, expert, booking, "accept", MAILER, TODAY)
    assert refused.value.allowed == ["propose_quote", "decline"]
    assert booking.state == State.REQUESTED and len(booking.events) == 1


def test_declining_needs_a_reason(
    session: Session, admin: User, expert: User, company: User
) -> None:
    booking = requested(session, company, published_offer(session, expert, admin))
    with pytest.raises(ValidationFailed):
        fire(session, expert, booking, "decline", MAILER, TODAY, TransitionInput(reason=" "))
    assert booking.state == State.REQUESTED
    fire(session, expert, booking, "decline", MAILER, TODAY, TransitionInput(reason="Complet"))
    assert booking.state == State.DECLINED and booking.reason == "Complet"


def test_cancelling_an_agreement_releases_the_reservation(
    session: Session, admin: User, expert: User, company: User, national: SubsidyProgramme
) -> None:
    booking = accept(
        session, company, quoted(session, company, expert, published_offer(session, expert, admin))
    )
    session.refresh(national)
    assert national.allocated_cents == 200_000
    with pytest.raises(ValidationFailed):
        fire(session, company, booking, "cancel", MAILER, TODAY)
    fire(session, expert, booking, "cancel", MAILER, TODAY, TransitionInput(reason="Malade"))
    session.refresh(national)
    assert booking.state == State.CANCELLED and national.allocated_cents == 0
    (allocation,) = session.scalars(select(SubsidyAllocation)).all()
    assert allocation.status == AllocationStatus.RELEASED and allocation.released_at


def test_delivery_with_evidence_then_confirmation(
    session: Session,
    admin: User,
    expert: User,
    company: User,
    national: SubsidyProgramme,
    store: EvidenceStore,
) -> None:
    booking = accept(
        session, company, quoted(session, company, expert, published_offer(session, expert, admin))
    )
    bad = TransitionInput(evidence=[Upload("site.exe", b"MZ\x90\x00")])
    with pytest.raises(ValidationFailed) as refused:
        fire(session, expert, booking, "mark_delivered", MAILER, TODAY, bad, evidence_store=store)
    assert "evidence" in refused.value.errors and booking.state == State.AGREED
    assert not list(store.root.glob("*")) if store.root.exists() else True

    good = TransitionInput(delivery_note="Site en ligne", evidence=[Upload("../pv.pdf", PDF)])
    fire(session, expert, booking, "mark_delivered", MAILER, TODAY, good, evidence_store=store)
    (evidence,) = booking.evidence
    assert evidence.original_name == "pv.pdf" and evidence.content_type == "application/pdf"
    assert store.path(evidence.storage_name).read_bytes() == PDF

    fire(session, company, booking, "confirm", MAILER, TODAY)
    assert booking.state == State.CONFIRMED and booking.confirmed_at is not None


def test_a_dispute_settled_for_the_company_releases_the_subsidies(
    session: Session, admin: User, expert: User, company: User, national: SubsidyProgramme
) -> None:
    booking = accept(
        session, company, quoted(session, company, expert, published_offer(session, expert, admin))
    )
    fire(
        session,
        expert,
        booking,
        "mark_delivered",
        MAILER,
        TODAY,
        TransitionInput(delivery_note="Livré"),
    )
    fire(
        session,
        company,
        booking,
        "dispute",
        MAILER,
        TODAY,
        TransitionInput(reason="Le site n'est pas en ligne"),
    )
    assert booking.state == State.DISPUTED
    with pytest.raises(TransitionNotAllowed):
        fire(
            session,
            expert,
            booking,
            "settle_for_provider",
            MAILER,
            TODAY,
            TransitionInput(reason="Si"),
        )
    fire(
        session,
        admin,
        booking,
        "settle_for_company",
        MAILER,
        TODAY,
        TransitionInput(reason="Pas de preuve de mise en ligne"),
    )
    session.refresh(national)
    assert booking.state == State.CANCELLED and national.allocated_cents == 0


def test_per_unit_offers_scale_with_the_quantity(
    session: Session, admin: User, expert: User, company: User, national: SubsidyProgramme
) -> None:
    offer = published_offer(
        session, expert, admin, pricing_unit="per_day", price_excl_vat_cents=60_000
    )
    booking = quoted(session, company, expert, offer, quantity=3)
    split = current_split(session, booking, TODAY)
    assert split.excl_vat_cents == 180_000 and split.subsidies_cents == 90_000
    fixed = published_offer(session, expert, admin, title="Audit de cybersécurité")
    with pytest.raises(ValidationFailed) as refused:
        requested(session, company, fixed, quantity=2)
    assert "quantity" in refused.value.errors


def test_volunteer_sessions_are_never_subsidised(
    session: Session, admin: User, company: User, national: SubsidyProgramme
) -> None:
    volunteer = provider_user(session, kind="volunteer")
    offer = published_offer(session, volunteer, admin, price_excl_vat_cents=0)
    split = quote(session, company.company, offer, TODAY)
    assert split.subsidies_cents == 0 and split.company_share_cents == 0


def test_others_cannot_see_a_booking(
    session: Session, admin: User, expert: User, company: User
) -> None:
    booking = requested(session, company, published_offer(session, expert, admin))
    stranger = company_user(session)
    with pytest.raises(NotFound):
        booking_for(session, stranger, booking.id)
    with pytest.raises(NotFound):
        post_message(session, stranger, booking, "Bonjour", MAILER)
    assert booking_for(session, admin, booking.id) is booking


def test_messages_reach_the_other_party(
    session: Session, admin: User, expert: User, company: User
) -> None:
    booking = requested(session, company, published_offer(session, expert, admin))
    post_message(session, company, booking, "Pouvez-vous commencer en mars ?", MAILER)
    mails = session.scalars(select(OutboundEmail).where(OutboundEmail.recipient == expert.email))
    bodies = [m.body for m in mails]
    assert any("commencer en mars" in body for body in bodies)
    with pytest.raises(ValidationFailed):
        post_message(session, expert, booking, "   ", MAILER)


# --- The clock ------------------------------------------------------------------------------


def test_tick_expires_and_confirms_when_due_and_only_once(
    session: Session, admin: User, expert: User, company: User
) -> None:
    offer = published_offer(session, expert, admin)
    waiting = requested(session, company, offer)
    fresh = requested(session, company, offer)
    delivered = quoted(session, company, expert, offer, unit_price_cents=0)
    accept(session, company, delivered)
    fire(
        session,
        expert,
        delivered,
        "mark_delivered",
        MAILER,
        TODAY,
        TransitionInput(delivery_note="Livré"),
    )
    now = utcnow()
    waiting.state_changed_at = now - timedelta(days=7, minutes=1)
    fresh.state_changed_at = now - timedelta(days=6)
    delivered.state_changed_at = now - timedelta(days=15)
    session.flush()

    fired = tick(session, MAILER, now)

    assert sorted(fired) == sorted([(waiting.id, "expire"), (delivered.id, "auto_confirm")])
    assert waiting.state == State.EXPIRED and fresh.state == State.REQUESTED
    assert delivered.state == State.CONFIRMED
    assert waiting.events[-1].actor_id is None
    assert tick(session, MAILER, now) == []


# --- De minimis ledger ----------------------------------------------------------------------


def test_declared_aid_counts_in_the_window_and_can_refuse_an_award(
    session: Session, admin: User, expert: User, company: User
) -> None:
    programme(session, admin, de_minimis=True, code="dm-programme")
    offer = published_offer(session, expert, admin)
    long_ago = TODAY.replace(year=TODAY.year - 4)
    declare_aid(session, company, company.company, long_ago, 100_000_00, "Région", TODAY)
    recent = declare_aid(
        session, company, company.company, TODAY - timedelta(days=30), 299_000_00, "BPI", TODAY
    )
    book = ledger(session, company.company, TODAY)
    assert book.total_cents == 299_000_00 and book.headroom_cents == 1_000_00
    assert [e.counts for e in book.entries] == [True, False]

    split = quote(session, company.company, offer, TODAY)
    assert split.subsidies_cents == 0  # 2,000 € would exceed the 1,000 € headroom: nothing
    assert split.lines[0].capped_by == "de-minimis"

    withdraw_declared_aid(session, company, company.company, recent.id)
    assert quote(session, company.company, offer, TODAY).subsidies_cents == 200_000


def test_declarations_are_checked(session: Session, company: User) -> None:
    with pytest.raises(ValidationFailed) as refused:
        declare_aid(session, company, company.company, TODAY + timedelta(days=1), 0, "", TODAY)
    assert set(refused.value.errors) == {"granted_on", "amount_cents", "funder"}


def test_a_budget_running_low_requeues_its_offers_for_search(
    session: Session, admin: User, expert: User, company: User
) -> None:
    """Search stores each offer's best case: once a budget bounds an award, it must move."""
    from marketplace.search.outbox import PROGRAMME, SearchJob

    large = programme(session, admin, code="large", budget_cents=10_000_000)
    small = programme(session, admin, code="small", budget_cents=300_000, stacking_order=1)
    offer = published_offer(session, expert, admin)

    def jobs(scheme: SubsidyProgramme) -> int:
        query = select(SearchJob).where(SearchJob.kind == PROGRAMME)
        return len(session.scalars(query.where(SearchJob.entity_id == scheme.id)).all())

    queued = jobs(large), jobs(small)
    booking = accept(session, company, quoted(session, company, expert, offer))
    assert jobs(large) == queued[0]  # 2,000 € taken, 98,000 € left: best case unchanged
    assert jobs(small) == queued[1] + 1  # 1,000 € left, under its 2,500 € cap per booking
    fire(session, company, booking, "cancel", MAILER, TODAY, TransitionInput(reason="Reporté"))
    assert jobs(small) == queued[1] + 2 and jobs(large) == queued[0]


def test_a_transition_rolled_back_by_its_caller_leaves_nothing(
    app, admin: User, expert: User, company: User
) -> None:
    """On SQLite too: the savepoint `fire` takes must not commit the caller's transaction."""
    from marketplace.extensions import db

    session = db.session()
    booking = requested(session, company, published_offer(session, expert, admin))
    session.commit()
    given = TransitionInput(quote=QuoteData(quantity=1))
    fire(session, expert, booking, "propose_quote", MAILER, TODAY, given)
    session.rollback()
    session.expire_all()
    assert session.get(Booking, booking.id).state == State.REQUESTED


# --- Automatic invoicing --------------------------------------------------------------------


def _delivered(session: Session, company: User, expert: User, offer, **quote) -> Booking:
    booking = accept(session, company, quoted(session, company, expert, offer, **quote))
    given = TransitionInput(delivery_note="Livré")
    return fire(session, expert, booking, "mark_delivered", MAILER, TODAY, given)


def test_confirmation_invoices_at_once_when_the_provider_chose_it(
    session: Session, admin: User, expert: User, company: User, national: SubsidyProgramme
) -> None:
    """Does each way to confirmation (company, clock, admin) issue the automatic invoice, and
    only for a provider that chose it?"""
    offer = published_offer(session, expert, admin)
    manual = _delivered(session, company, expert, offer)
    fire(session, company, manual, "confirm", MAILER, TODAY)
    assert invoice_of_booking(session, manual) is None  # the provider invoices by hand

    expert.provider.auto_invoice = True
    confirmed = _delivered(session, company, expert, offer)
    fire(session, company, confirmed, "confirm", MAILER, TODAY)
    invoice = invoice_of_booking(session, confirmed)
    assert invoice is not None and invoice.issued_by_id is None and invoice.sequence == 1

    by_clock = _delivered(session, company, expert, offer)
    by_clock.state_changed_at = utcnow() - timedelta(days=15)
    session.flush()
    assert tick(session, MAILER, utcnow()) == [(by_clock.id, "auto_confirm")]
    assert invoice_of_booking(session, by_clock).sequence == 2  # type: ignore[union-attr]

    settled = _delivered(session, company, expert, offer)
    fire(session, company, settled, "dispute", MAILER, TODAY, TransitionInput(reason="Rien"))
    given = TransitionInput(reason="La livraison est prouvée")
    fire(session, admin, settled, "settle_for_provider", MAILER, TODAY, given)
    assert invoice_of_booking(session, settled).sequence == 3  # type: ignore[union-attr]


def test_a_free_session_is_confirmed_without_an_invoice(
    session: Session, admin: User, expert: User, company: User
) -> None:
    """Is a confirmation still done when the automatic invoice is refused (nothing to bill)?"""
    expert.provider.auto_invoice = True
    free = _delivered(
        session, company, expert, published_offer(session, expert, admin), unit_price_cents=0
    )
    fire(session, company, free, "confirm", MAILER, TODAY)
    assert free.state == State.CONFIRMED and invoice_of_booking(session, free) is None
