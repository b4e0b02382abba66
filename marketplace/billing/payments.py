"""The company's share: what is owed, transfers recorded, card payments, Stripe events, refunds.

What a company owes on an invoice is its share, plus any subsidy a funder refused (the company
pays it instead), minus what its succeeded payments brought in. A cancelled invoice owes
nothing; what was paid on it is refunded (one refund per payment, created with the credit note).

Card payments run in two steps, each committed by the caller: `prepare_card_payment` writes
the payment and its idempotency key, then `open_card_payment` asks Stripe for the
PaymentIntent with that key. Whatever happens between the two, a retry asks Stripe for the same
PaymentIntent, never a second one. The outcome is read back from Stripe (`apply_intent`), from
the webhook or from the page the company returns to, whichever comes first; both are idempotent.

Functions flush and never commit.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from marketplace.accounts.models import User
from marketplace.audit import record_event
from marketplace.billing.claim_models import ClaimStatus, SubsidyClaim
from marketplace.billing.gateway import (
    STRIPE_MINIMUM_CENTS,
    IntentFacts,
    PaymentGateway,
    PaymentGatewayError,
    WebhookEvent,
)
from marketplace.billing.invoice_models import CreditNote, Invoice, InvoiceStatus
from marketplace.billing.ledger import record_refund, record_share_received
from marketplace.billing.locks import lock_row
from marketplace.billing.money import format_euros
from marketplace.billing.payment_models import (
    Payment,
    PaymentMethod,
    PaymentStatus,
    Refund,
    RefundStatus,
    StripeEvent,
)
from marketplace.dbtypes import utcnow
from marketplace.errors import Conflict, Forbidden, InputConflict, NotFound, ValidationFailed
from marketplace.mail import Mailer

PAYER_REFERENCE_MAX = 140
# Stripe's PaymentIntent states that end an attempt without money
FAILED_INTENT = frozenset({"canceled", "requires_payment_method"})


def _eur(cents: int) -> str:
    return format_euros(cents, str(get_locale() or "fr"))


class ShareStatus(StrEnum):
    UNPAID = "unpaid"
    PARTLY_PAID = "partly_paid"
    PAID = "paid"
    NOTHING_DUE = "nothing_due"  # a share of 0 € (fully subsidised) or a cancelled invoice


@dataclass(frozen=True)
class ShareAccount:
    """Where one invoice's company share stands."""

    invoice_id: int
    share_cents: int  # as invoiced
    refused_subsidies_cents: int  # subsidies a funder refused: owed by the company too
    paid_cents: int  # succeeded payments
    pending_cents: int  # card payments under way
    cancelled: bool

    @property
    def owed_cents(self) -> int:
        return 0 if self.cancelled else self.share_cents + self.refused_subsidies_cents

    @property
    def due_cents(self) -> int:
        return max(self.owed_cents - self.paid_cents, 0)

    @property
    def status(self) -> ShareStatus:
        if self.owed_cents == 0:
            return ShareStatus.NOTHING_DUE
        if self.paid_cents >= self.owed_cents:
            return ShareStatus.PAID
        return ShareStatus.PARTLY_PAID if self.paid_cents else ShareStatus.UNPAID

    @property
    def card_possible(self) -> bool:
        """Stripe refuses charges under its minimum: such a share is paid by transfer."""
        return self.due_cents >= STRIPE_MINIMUM_CENTS


def share_accounts(session: Session, invoices: Iterable[Invoice]) -> dict[int, ShareAccount]:
    """Each invoice's share account, in three queries whatever the number of invoices."""
    invoices = list(invoices)
    ids = [invoice.id for invoice in invoices]
    if not ids:
        return {}
    sums: dict[tuple[int, PaymentStatus], int] = {
        (invoice_id, status): int(total)
        for invoice_id, status, total in session.execute(
            select(Payment.invoice_id, Payment.status, func.sum(Payment.amount_cents))
            .where(Payment.invoice_id.in_(ids))
            .group_by(Payment.invoice_id, Payment.status)
        )
    }
    refused = {
        invoice_id: int(total)
        for invoice_id, total in session.execute(
            select(SubsidyClaim.invoice_id, func.sum(SubsidyClaim.amount_cents))
            .where(SubsidyClaim.invoice_id.in_(ids))
            .where(SubsidyClaim.status == ClaimStatus.REJECTED)
            .group_by(SubsidyClaim.invoice_id)
        )
    }
    return {
        invoice.id: ShareAccount(
            invoice_id=invoice.id,
            share_cents=invoice.company_share_cents,
            refused_subsidies_cents=refused.get(invoice.id, 0),
            paid_cents=sums.get((invoice.id, PaymentStatus.SUCCEEDED), 0),
            pending_cents=sums.get((invoice.id, PaymentStatus.PENDING), 0),
            cancelled=invoice.status == InvoiceStatus.CANCELLED,
        )
        for invoice in invoices
    }


def share_account(session: Session, invoice: Invoice) -> ShareAccount:
    return share_accounts(session, [invoice])[invoice.id]


def payments_of(session: Session, invoice: Invoice) -> list[Payment]:
    return list(
        session.scalars(
            select(Payment).where(Payment.invoice_id == invoice.id).order_by(Payment.id)
        )
    )


def _is_provider_member(actor: User, invoice: Invoice) -> bool:
    return actor.provider is not None and actor.provider.id == invoice.provider_id


def _is_company_member(actor: User, invoice: Invoice) -> bool:
    return actor.company is not None and actor.company.id == invoice.company_id


def _after_share_paid(session: Session, mailer: Mailer, invoice: Invoice, today: date) -> None:
    """Once the share is paid in full, the subsidies can be claimed (claims imports us)."""
    from marketplace.billing.claims import after_share_paid

    after_share_paid(session, mailer, invoice, today)


# --- Bank transfers --------------------------------------------------------------------------


def record_transfer(
    session: Session,
    actor: User,
    invoice: Invoice,
    amount_cents: int,
    received_on: date,
    payer_reference: str,
    today: date,
    mailer: Mailer,
) -> Payment:
    """A member of the invoice's provider, or an admin, records a transfer seen on the bank
    statement. Partial payments are fine; more than is due is refused, with what is due."""
    if not (actor.is_admin or _is_provider_member(actor, invoice)):
        raise Forbidden(str(_l("Only the provider's members or an administrator can do this.")))
    errors: dict[str, list[str]] = {}
    if isinstance(amount_cents, bool) or not isinstance(amount_cents, int) or amount_cents <= 0:
        errors["amount"] = [str(_l("Give an amount greater than zero."))]
    reference = " ".join(payer_reference.split())
    if len(reference) > PAYER_REFERENCE_MAX:
        errors["payer_reference"] = [
            str(_l("At most %(max)d characters.", max=PAYER_REFERENCE_MAX))
        ]
    if errors:
        raise ValidationFailed(errors)
    if received_on > today:
        raise InputConflict(
            {"received_on": [str(_l("A transfer cannot be received in the future."))]}
        )
    if received_on < invoice.issue_date:
        raise InputConflict(
            {"received_on": [str(_l("A transfer for this invoice cannot predate the invoice."))]}
        )

    lock_row(session, Invoice, invoice.id)  # one payment decision at a time
    session.refresh(invoice)
    if invoice.status == InvoiceStatus.CANCELLED:
        raise Conflict(str(_l("This invoice is cancelled: nothing is due on it.")))
    account = share_account(session, invoice)
    room = account.due_cents - account.pending_cents
    if amount_cents > room:
        if account.due_cents == 0:
            message = _l("This invoice is already paid in full.")
        elif account.pending_cents:
            message = _l(
                "Only %(room)s can be recorded: %(due)s is due and a card payment of "
                "%(pending)s is under way.",
                room=_eur(max(room, 0)),
                due=_eur(account.due_cents),
                pending=_eur(account.pending_cents),
            )
        else:
            message = _l(
                "That is more than is due: %(due)s remains to be paid on this invoice.",
                due=_eur(account.due_cents),
            )
        raise InputConflict({"amount": [str(message)]})

    payment = Payment(
        invoice=invoice,
        method=PaymentMethod.BANK_TRANSFER,
        status=PaymentStatus.SUCCEEDED,
        amount_cents=amount_cents,
        received_on=received_on,
        payer_reference=reference,
        recorded_by_id=actor.id,
        settled_at=utcnow(),
    )
    session.add(payment)
    session.flush()
    record_share_received(session, payment)
    record_event(
        session,
        actor,
        "payment.received",
        "invoice",
        invoice.id,
        payment_id=payment.id,
        method=payment.method.value,
        amount_cents=amount_cents,
        received_on=received_on.isoformat(),
    )
    if account.due_cents == amount_cents:
        _after_share_paid(session, mailer, invoice, today)
    session.flush()
    return payment


# --- Card payments (Stripe) ------------------------------------------------------------------


def prepare_card_payment(session: Session, actor: User, invoice: Invoice) -> Payment:
    """A company member starts paying what is due by card: the payment under way if there is
    one for that amount, else a new one with its idempotency key (commit before calling Stripe)."""
    if not _is_company_member(actor, invoice):
        raise Forbidden(str(_l("Only the company's members can pay its invoices.")))
    lock_row(session, Invoice, invoice.id)  # one payment decision at a time
    session.refresh(invoice)
    if invoice.status == InvoiceStatus.CANCELLED:
        raise Conflict(str(_l("This invoice is cancelled: nothing is due on it.")))
    account = share_account(session, invoice)
    open_payment = session.scalar(
        select(Payment)
        .where(Payment.invoice_id == invoice.id, Payment.method == PaymentMethod.CARD)
        .where(Payment.status == PaymentStatus.PENDING)
        .order_by(Payment.id.desc())
    )
    if open_payment is not None and open_payment.amount_cents == account.due_cents:
        return open_payment
    if open_payment is not None:
        # The amount due moved (a transfer arrived): that attempt is void, Stripe is told later
        # by the intent never being confirmed; a new one carries the right amount.
        open_payment.status = PaymentStatus.FAILED
        open_payment.failure_message = "superseded"
    if account.due_cents == 0:
        raise Conflict(str(_l("This invoice is already paid in full.")))
    if not account.card_possible:
        raise Conflict(
            str(
                _l(
                    "Card payments start at %(minimum)s: please pay %(due)s by bank transfer.",
                    minimum=_eur(STRIPE_MINIMUM_CENTS),
                    due=_eur(account.due_cents),
                )
            )
        )
    attempts = session.scalar(
        select(func.count())
        .select_from(Payment)
        .where(Payment.invoice_id == invoice.id, Payment.method == PaymentMethod.CARD)
    )
    payment = Payment(
        invoice=invoice,
        method=PaymentMethod.CARD,
        status=PaymentStatus.PENDING,
        amount_cents=account.due_cents,
        recorded_by_id=None,
        idempotency_key=f"cc-share-{invoice.id}-{(attempts or 0) + 1}",
    )
    session.add(payment)
    session.flush()
    record_event(
        session,
        actor,
        "payment.card_started",
        "invoice",
        invoice.id,
        payment_id=payment.id,
        amount_cents=payment.amount_cents,
    )
    return payment


def open_card_payment(
    session: Session, gateway: PaymentGateway, mailer: Mailer, payment: Payment, today: date
) -> IntentFacts:
    """The PaymentIntent of a prepared payment (created with its key, or read back), for the
    payment page's client secret. Raises PaymentGatewayError when Stripe does not answer."""
    if payment.stripe_payment_intent_id is None:
        assert payment.idempotency_key is not None
        facts = gateway.create_intent(
            payment.amount_cents,
            payment.idempotency_key,
            {"invoice": payment.invoice.number, "payment": str(payment.id)},
        )
        payment.stripe_payment_intent_id = facts.id
        session.flush()
    else:
        facts = gateway.retrieve_intent(payment.stripe_payment_intent_id)
    if facts.amount_cents != payment.amount_cents:
        raise PaymentGatewayError(f"PaymentIntent {facts.id} is for another amount")
    apply_intent(session, mailer, facts, today)
    return facts


def _declined(facts: IntentFacts) -> bool:
    """An attempt that ended without money: cancelled, or back to "requires_payment_method"
    with the card's refusal (a fresh intent is in that state too, with no error)."""
    return facts.status == "canceled" or (
        facts.status in FAILED_INTENT and bool(facts.failure_message)
    )


def apply_intent(
    session: Session, mailer: Mailer, facts: IntentFacts, today: date
) -> Payment | None:
    """Bring our payment in line with Stripe's PaymentIntent, as read from Stripe itself.

    A succeeded intent makes its payment succeeded (once: it never goes back); a failed one
    marks it failed with Stripe's message — the company may try again with the same intent,
    and a later success still counts. Anything else (processing…) changes nothing.
    """
    payment = session.scalar(
        select(Payment).where(Payment.stripe_payment_intent_id == facts.id).with_for_update()
    )
    if payment is None or payment.status == PaymentStatus.SUCCEEDED:
        return payment
    if facts.status == "succeeded":
        invoice = payment.invoice
        lock_row(session, Invoice, invoice.id)  # one payment decision at a time
        before = share_account(session, invoice)
        payment.status = PaymentStatus.SUCCEEDED
        payment.received_on = today
        payment.settled_at = utcnow()
        payment.failure_message = ""
        session.flush()
        record_share_received(session, payment)
        record_event(
            session,
            None,
            "payment.received",
            "invoice",
            invoice.id,
            payment_id=payment.id,
            method=payment.method.value,
            amount_cents=payment.amount_cents,
            stripe_payment_intent=facts.id,
        )
        if before.cancelled:
            _refund_after_cancellation(session, payment)
        elif before.paid_cents < before.owed_cents <= before.paid_cents + payment.amount_cents:
            _after_share_paid(session, mailer, invoice, today)
    elif _declined(facts) and payment.status != PaymentStatus.FAILED:
        payment.status = PaymentStatus.FAILED
        payment.failure_message = facts.failure_message or facts.status
        record_event(
            session,
            None,
            "payment.failed",
            "invoice",
            payment.invoice_id,
            payment_id=payment.id,
            reason=payment.failure_message,
        )
    session.flush()
    return payment


def process_webhook(
    session: Session, gateway: PaymentGateway, mailer: Mailer, event: WebhookEvent, today: date
) -> str:
    """Handle one verified Stripe event once: store its id, re-read the intent it names from
    Stripe (never trust the event's copy: events come late, twice or out of order) and apply
    it. Returns what happened, for the log: duplicate, ignored, applied or unknown."""
    savepoint = session.begin_nested()
    try:
        session.add(
            StripeEvent(id=event.id, type=event.type, payment_intent_id=event.payment_intent_id)
        )
        session.flush()
    except IntegrityError:
        savepoint.rollback()
        return "duplicate"
    savepoint.commit()
    stored = session.get(StripeEvent, event.id)
    assert stored is not None
    if not event.type.startswith("payment_intent.") or event.payment_intent_id is None:
        stored.outcome = "ignored"
    else:
        facts = gateway.retrieve_intent(event.payment_intent_id)
        payment = apply_intent(session, mailer, facts, today)
        stored.outcome = "unknown" if payment is None else f"payment {payment.status.value}"
    session.flush()
    return stored.outcome


# --- Refunds ---------------------------------------------------------------------------------


def _refund_after_cancellation(session: Session, payment: Payment) -> Refund | None:
    """A refund of what `payment` brought in, owed because its invoice was cancelled."""
    note = session.scalar(select(CreditNote).where(CreditNote.invoice_id == payment.invoice_id))
    left = payment.amount_cents - payment.refunded_cents
    if note is None or left <= 0:
        return None
    refund = Refund(
        payment=payment,
        invoice_id=payment.invoice_id,
        credit_note=note,
        status=RefundStatus.PENDING,
        amount_cents=left,
        idempotency_key=f"cc-refund-{note.id}-{payment.id}",
    )
    session.add(refund)
    session.flush()
    record_event(
        session,
        None,
        "refund.owed",
        "invoice",
        payment.invoice_id,
        refund_id=refund.id,
        payment_id=payment.id,
        credit_note=note.number,
        amount_cents=left,
    )
    return refund


def refunds_for_credit_note(session: Session, note: CreditNote) -> list[Refund]:
    """The refunds a credit note owes: one per succeeded payment of its invoice."""
    payments = session.scalars(
        select(Payment)
        .where(Payment.invoice_id == note.invoice_id, Payment.status == PaymentStatus.SUCCEEDED)
        .order_by(Payment.id)
    ).all()
    return [r for p in payments if (r := _refund_after_cancellation(session, p)) is not None]


def refunds_of(session: Session, invoice: Invoice) -> list[Refund]:
    return list(
        session.scalars(select(Refund).where(Refund.invoice_id == invoice.id).order_by(Refund.id))
    )


def pending_card_refunds(session: Session, credit_note_id: int | None = None) -> Sequence[Refund]:
    """Card refunds not sent yet (all of them, or one credit note's)."""
    query = (
        select(Refund)
        .join(Payment)
        .where(Refund.status == RefundStatus.PENDING, Payment.method == PaymentMethod.CARD)
        .order_by(Refund.id)
    )
    if credit_note_id is not None:
        query = query.where(Refund.credit_note_id == credit_note_id)
    return session.scalars(query).all()


def _refund_done(session: Session, actor: User | None, refund: Refund, sent_on: date) -> None:
    refund.status = RefundStatus.SUCCEEDED
    refund.sent_on = sent_on
    refund.settled_at = utcnow()
    refund.recorded_by_id = actor.id if actor else None
    session.flush()
    record_refund(session, refund)
    record_event(
        session,
        actor,
        "refund.sent",
        "invoice",
        refund.invoice_id,
        refund_id=refund.id,
        amount_cents=refund.amount_cents,
        sent_on=sent_on.isoformat(),
    )


def send_card_refund(
    session: Session, gateway: PaymentGateway, refund: Refund, today: date
) -> Refund:
    """Ask Stripe to refund (with the refund's own idempotency key: a retry cannot refund
    twice); commit after. A Stripe failure leaves the refund pending for the next try."""
    lock_row(session, Refund, refund.id)  # one sender at a time (two workers, a page)
    session.refresh(refund)
    if refund.status != RefundStatus.PENDING:
        return refund
    payment = refund.payment
    assert payment.stripe_payment_intent_id is not None
    facts = gateway.refund(
        payment.stripe_payment_intent_id, refund.amount_cents, refund.idempotency_key
    )
    refund.stripe_refund_id = facts.id
    if facts.status == "succeeded":
        _refund_done(session, None, refund, today)
    elif facts.status == "failed":
        refund.status = RefundStatus.FAILED
        refund.failure_message = "Stripe refused the refund"
    session.flush()
    return refund


def send_pending_card_refunds(
    session: Session, gateway: PaymentGateway, today: date, credit_note_id: int | None = None
) -> tuple[int, int]:
    """Send each pending card refund (or one credit note's), committing after each so one
    that Stripe does not take leaves the others done. Returns (sent, left for a retry)."""
    sent = left = 0
    for refund_id in [r.id for r in pending_card_refunds(session, credit_note_id)]:
        refund = session.get(Refund, refund_id)
        assert refund is not None
        try:
            send_card_refund(session, gateway, refund, today)
            session.commit()
        except PaymentGatewayError:
            session.rollback()
            left += 1
            continue
        if refund.status == RefundStatus.SUCCEEDED:
            sent += 1
        elif refund.status == RefundStatus.PENDING:
            left += 1
    return sent, left


def record_refund_sent(
    session: Session, actor: User, refund_id: int, sent_on: date, today: date
) -> Refund:
    """An admin records the transfer that gave a company its money back."""
    if not actor.is_admin:
        raise Forbidden(str(_l("Only administrators can record a refund.")))
    refund = session.get(Refund, refund_id)
    if refund is None:
        raise NotFound(str(_l("No such refund.")))
    if refund.payment.method == PaymentMethod.CARD:
        raise Conflict(str(_l("Card payments are refunded through Stripe.")))
    if refund.status != RefundStatus.PENDING:
        raise Conflict(str(_l("This refund is already recorded.")))
    if sent_on > today:
        raise ValidationFailed({"sent_on": [str(_l("A refund cannot be sent in the future."))]})
    if sent_on < refund.credit_note.issue_date:
        raise ValidationFailed(
            {"sent_on": [str(_l("A refund cannot predate the credit note it follows."))]}
        )
    _refund_done(session, actor, refund, sent_on)
    return refund
