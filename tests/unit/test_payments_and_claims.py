"""The company's share and the subsidy claims as services (no HTTP): transfers, overpayment,
claims from submission to payment or refusal, refunds after a credit note, the booking closing,
and at every step the books and the programmes' budgets adding up."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from marketplace.billing.claim_models import ClaimStatus
from marketplace.billing.claims import (
    approve_claim,
    claim_for,
    claims_of,
    claims_of_invoice,
    mark_claim_paid,
    reject_claim,
)
from marketplace.billing.invoice_models import Invoice
from marketplace.billing.invoices import issue_credit_note, issue_invoice
from marketplace.billing.ledger import entry_of, trial_balance
from marketplace.billing.ledger_models import EntrySource
from marketplace.billing.models import AllocationStatus
from marketplace.billing.payment_models import PaymentStatus, RefundStatus
from marketplace.billing.payments import (
    ShareStatus,
    payments_of,
    record_refund_sent,
    record_transfer,
    refunds_of,
    share_account,
)
from marketplace.bookings.lifecycle import State
from marketplace.bookings.models import Booking
from marketplace.errors import Conflict, Forbidden, NotFound, ValidationFailed
from marketplace.mail import OutboundEmail
from tests.billing_scenario import Scenario, assert_budgets_add_up
from tests.bookkeeping import assert_books_balance
from tests.factories import admin_user, company_user, programme, provider_user, published_offer
from tests.invoicing import MAILER, confirmed_booking

TODAY = date.today()


@pytest.fixture
def s(session: Session) -> Scenario:
    return Scenario(session)


def booking_state(session: Session, booking: Booking) -> State:
    session.refresh(booking)
    return State(booking.state)


def test_the_split_of_the_scenario(s: Scenario) -> None:
    assert (s.invoice.total_incl_vat_cents, s.invoice.company_share_cents) == (1_440_00, 600_00)
    assert [x.amount_cents for x in s.invoice.subsidies] == [600_00, 240_00]
    account = share_account(s.session, s.invoice)
    assert (account.status, account.due_cents) == (ShareStatus.UNPAID, 600_00)


def test_partial_transfers_then_the_rest_open_one_claim_per_programme(s: Scenario) -> None:
    """Can the provider record two partial transfers, and does paying in full claim the aid?"""
    s.pay(200_00)
    account = share_account(s.session, s.invoice)
    assert (account.status, account.due_cents) == (ShareStatus.PARTLY_PAID, 400_00)
    assert claims_of_invoice(s.session, s.invoice) == []

    s.pay(400_00)
    assert share_account(s.session, s.invoice).status == ShareStatus.PAID
    claims = claims_of_invoice(s.session, s.invoice)
    assert sorted(c.amount_cents for c in claims) == [240_00, 600_00]
    assert {c.status for c in claims} == {ClaimStatus.SUBMITTED}
    assert {c.allocation.status for c in claims} == {AllocationStatus.CLAIMED}
    kinds = [item["kind"] for item in claims[0].evidence]
    assert kinds == ["agreement", "delivery", "invoice", "payment", "payment"]
    for payment in payments_of(s.session, s.invoice):
        assert entry_of(s.session, EntrySource.SHARE_RECEIVED, payment.id) is not None
    for claim in claims:
        assert entry_of(s.session, EntrySource.SUBSIDY_CLAIMED, claim.id) is not None
    balance = {a.account: a.balance_cents for a in trial_balance(s.session).accounts}
    assert balance["411"] == 0  # the company owes nothing more
    assert balance["441"] == 840_00  # the programmes owe the subsidies, claimed
    assert balance["4687"] == 0
    assert balance["512"] == 600_00
    assert balance["467"] == -1_440_00  # the provider is owed the whole invoice
    assert_books_balance(s.session)
    assert_budgets_add_up(s.session)


def test_more_than_is_due_is_refused_with_what_is_due(s: Scenario) -> None:
    s.pay(500_00)
    with pytest.raises(ValidationFailed) as refused:
        s.pay(100_01)
    assert "100,00" in refused.value.errors["amount"][0]
    s.pay(100_00)
    with pytest.raises(ValidationFailed) as again:
        s.pay(1)
    assert "déjà entièrement payée" in again.value.errors["amount"][0]
    assert len(payments_of(s.session, s.invoice)) == 2


@pytest.mark.parametrize(
    ("amount", "received_on", "reference", "field"),
    [
        (0, TODAY, "", "amount"),
        (-5, TODAY, "", "amount"),
        (True, TODAY, "", "amount"),
        (100, TODAY + timedelta(days=1), "", "received_on"),
        (100, TODAY - timedelta(days=400), "", "received_on"),
        (100, TODAY, "x" * 141, "payer_reference"),
    ],
)
def test_a_bad_transfer_is_refused_field_by_field(
    s: Scenario, amount: int, received_on: date, reference: str, field: str
) -> None:
    with pytest.raises(ValidationFailed) as refused:
        record_transfer(
            s.session, s.expert, s.invoice, amount, received_on, reference, TODAY, MAILER
        )
    assert field in refused.value.errors
    assert payments_of(s.session, s.invoice) == []


def test_only_the_provider_or_an_admin_records_a_transfer(s: Scenario) -> None:
    other = provider_user(s.session)
    for actor in (s.company, other):
        with pytest.raises(Forbidden):
            record_transfer(s.session, actor, s.invoice, 100, TODAY, "", TODAY, MAILER)
    record_transfer(s.session, s.admin, s.invoice, 100, TODAY, "", TODAY, MAILER)


def test_claims_approved_and_paid_close_the_booking(s: Scenario) -> None:
    """Does the booking close once the share and both subsidies are paid?"""
    s.pay(600_00)
    national, regional = s.claim(s.national), s.claim(s.regional)
    with pytest.raises(Conflict):  # paid before approval: refused
        mark_claim_paid(s.session, s.admin, national.id, TODAY, "VIR-ETAT-1", TODAY, MAILER)
    approve_claim(s.session, s.admin, national.id)
    with pytest.raises(Conflict):
        approve_claim(s.session, s.admin, national.id)
    mark_claim_paid(s.session, s.admin, national.id, TODAY, "VIR-ETAT-1", TODAY, MAILER)
    assert national.allocation.status == AllocationStatus.PAID
    assert booking_state(s.session, s.booking) == State.CONFIRMED  # the region has not paid

    approve_claim(s.session, s.admin, regional.id)
    mark_claim_paid(s.session, s.admin, regional.id, TODAY, "REGION-2026-7", TODAY, MAILER)
    assert booking_state(s.session, s.booking) == State.CLOSED
    assert entry_of(s.session, EntrySource.SUBSIDY_PAID, regional.id) is not None
    balance = {a.account: a.balance_cents for a in trial_balance(s.session).accounts}
    assert balance["441"] == 0 and balance["411"] == 0
    assert balance["512"] == 1_440_00 == -balance["467"]
    assert_books_balance(s.session)
    assert_budgets_add_up(s.session)


def test_a_bad_funder_payment_is_refused(s: Scenario) -> None:
    s.pay(600_00)
    claim = s.claim(s.national)
    approve_claim(s.session, s.admin, claim.id)
    with pytest.raises(ValidationFailed) as refused:
        mark_claim_paid(s.session, s.admin, claim.id, TODAY + timedelta(days=1), " ", TODAY, MAILER)
    assert set(refused.value.errors) == {"paid_on", "funder_reference"}
    assert claim.status == ClaimStatus.APPROVED


def test_a_rejected_claim_falls_back_to_the_company(s: Scenario) -> None:
    """Is the refused subsidy back in the budget, owed by the company, and the company told?"""
    s.pay(600_00)
    regional = s.claim(s.regional)
    before = s.regional.remaining_budget_cents
    with pytest.raises(ValidationFailed):
        reject_claim(s.session, s.admin, regional.id, "court", TODAY, MAILER)
    reject_claim(
        s.session, s.admin, regional.id, "Entreprise hors du périmètre régional.", TODAY, MAILER
    )
    s.session.refresh(s.regional)
    assert s.regional.remaining_budget_cents == before + 240_00
    assert regional.allocation.status == AllocationStatus.RELEASED
    account = share_account(s.session, s.invoice)
    assert (account.status, account.due_cents) == (ShareStatus.PARTLY_PAID, 240_00)
    mail = s.session.scalars(
        select(OutboundEmail).where(OutboundEmail.recipient == s.company.email)
    ).all()[-1]
    assert "Pass Numérique Nouvelle-Aquitaine" in mail.body and "240,00" in mail.body
    balance = {a.account: a.balance_cents for a in trial_balance(s.session).accounts}
    assert balance["411"] == 240_00 and balance["441"] == 600_00
    assert_books_balance(s.session)
    assert_budgets_add_up(s.session)

    # The company pays what it now owes; the national claim is paid; the booking closes.
    s.pay(240_00)
    national = s.claim(s.national)
    approve_claim(s.session, s.admin, national.id)
    mark_claim_paid(s.session, s.admin, national.id, TODAY, "VIR-ETAT-2", TODAY, MAILER)
    assert booking_state(s.session, s.booking) == State.CLOSED
    assert_books_balance(s.session)


def test_only_admins_decide_and_providers_see_only_theirs(s: Scenario) -> None:
    s.pay(600_00)
    claim = s.claim(s.national)
    for actor in (s.expert, s.company):
        with pytest.raises(Forbidden):
            approve_claim(s.session, actor, claim.id)
    assert claim_for(s.session, s.expert, claim.id) is claim
    with pytest.raises(NotFound):
        claim_for(s.session, provider_user(s.session), claim.id)
    with pytest.raises(NotFound):
        claim_for(s.session, s.company, claim.id)
    assert len(s.session.scalars(claims_of(s.expert)).all()) == 2
    assert s.session.scalars(claims_of(provider_user(s.session))).all() == []


def test_a_credit_note_after_payment_owes_a_refund(s: Scenario) -> None:
    """Cancelled after a partial payment: the transfer is owed back, and recorded by an admin."""
    s.pay(150_00)
    note = issue_credit_note(
        s.session, s.expert, s.invoice, "Prestation annulée d'un commun accord.", TODAY
    )
    (refund,) = refunds_of(s.session, s.invoice)
    assert (refund.status, refund.amount_cents, refund.credit_note_id) == (
        RefundStatus.PENDING,
        150_00,
        note.id,
    )
    account = share_account(s.session, s.invoice)
    assert (account.status, account.due_cents) == (ShareStatus.NOTHING_DUE, 0)
    with pytest.raises(Conflict):
        s.pay(1)
    balance = {a.account: a.balance_cents for a in trial_balance(s.session).accounts}
    assert balance["411"] == -150_00  # the platform owes the company its money back
    with pytest.raises(Forbidden):
        record_refund_sent(s.session, s.expert, refund.id, TODAY, TODAY)
    with pytest.raises(ValidationFailed):
        record_refund_sent(s.session, s.admin, refund.id, TODAY + timedelta(days=1), TODAY)
    record_refund_sent(s.session, s.admin, refund.id, TODAY, TODAY)
    assert refund.status == RefundStatus.SUCCEEDED
    with pytest.raises(Conflict):
        record_refund_sent(s.session, s.admin, refund.id, TODAY, TODAY)
    balance = {a.account: a.balance_cents for a in trial_balance(s.session).accounts}
    assert balance["411"] == 0 and balance["512"] == 0
    assert_books_balance(s.session)
    assert_budgets_add_up(s.session)


def test_no_credit_note_once_the_subsidies_are_claimed(s: Scenario) -> None:
    s.pay(600_00)
    with pytest.raises(Conflict):
        issue_credit_note(s.session, s.expert, s.invoice, "Annulation demandée.", TODAY)
    assert all(p.status == PaymentStatus.SUCCEEDED for p in payments_of(s.session, s.invoice))


def test_a_fully_subsidised_invoice_is_claimed_at_once(session: Session) -> None:
    admin = admin_user(session)
    expert = provider_user(session)
    company = company_user(session)
    # 100 % of the excl.-VAT price, and VAT-free (a provider without VAT number): share 0 €
    programme(session, admin, rate_bp=10000, cap_per_booking_cents=None)
    offer = published_offer(session, expert, admin, price_excl_vat_cents=300_00, vat_rate_bp=0)
    booking = confirmed_booking(session, company, expert, offer, TODAY)
    invoice: Invoice = issue_invoice(session, expert, booking, TODAY)
    assert invoice.company_share_cents == 0
    (claim,) = claims_of_invoice(session, invoice)
    assert claim.amount_cents == invoice.total_incl_vat_cents
    assert share_account(session, invoice).status == ShareStatus.NOTHING_DUE
    approve_claim(session, admin, claim.id)
    mark_claim_paid(session, admin, claim.id, TODAY, "VIR-1", TODAY, MAILER)
    assert booking_state(session, booking) == State.CLOSED
    assert_books_balance(session)
