"""The company's share coming in, and going back: payments, refunds and Stripe's events.

A payment is one attempt to pay (part of) an invoice's company share: a bank transfer someone
saw arrive, or a card payment through a Stripe PaymentIntent. Only succeeded payments count
towards what is paid; a card payment is written *before* Stripe is called, with the
idempotency key the call carries, so a retry after a crash asks Stripe for the same
PaymentIntent instead of a second charge (DESIGN §3 rule 8). A refund gives back money a
succeeded payment brought in, after a credit note. Every Stripe event is stored once, by id,
so a replayed webhook changes nothing.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import BigInteger, CheckConstraint, Date, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.accounts.models import User, enum_column
from marketplace.billing.invoice_models import CreditNote, Invoice
from marketplace.dbtypes import UTCDateTime, utcnow
from marketplace.extensions import Model


class PaymentMethod(StrEnum):
    BANK_TRANSFER = "bank_transfer"
    CARD = "card"  # Stripe


class PaymentStatus(StrEnum):
    PENDING = "pending"  # a card payment under way; a transfer is recorded succeeded at once
    SUCCEEDED = "succeeded"
    FAILED = "failed"  # declined or abandoned: counts for nothing


class Payment(Model):
    __tablename__ = "payments"

    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoices.id"), index=True)
    method: Mapped[PaymentMethod] = mapped_column(enum_column(PaymentMethod))
    status: Mapped[PaymentStatus] = mapped_column(enum_column(PaymentStatus), index=True)
    amount_cents: Mapped[int] = mapped_column(BigInteger)
    # The day the money arrived (a transfer's value date; a card payment's success)
    received_on: Mapped[date | None] = mapped_column(Date)
    # What the bank statement shows for a transfer (its label or reference), as recorded
    payer_reference: Mapped[str] = mapped_column(String(140), default="")
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))  # None: Stripe
    idempotency_key: Mapped[str | None] = mapped_column(String(80), unique=True)
    stripe_payment_intent_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    failure_message: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    settled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    invoice: Mapped[Invoice] = relationship()
    recorded_by: Mapped[User | None] = relationship()
    refunds: Mapped[list[Refund]] = relationship(back_populates="payment", order_by="Refund.id")

    __table_args__ = (
        CheckConstraint("amount_cents > 0", name="amount_positive"),
        CheckConstraint(
            "(status = 'succeeded') = (received_on IS NOT NULL)", name="received_when_succeeded"
        ),
        CheckConstraint(
            "method = 'card' OR (stripe_payment_intent_id IS NULL AND status = 'succeeded')",
            name="transfers_are_received",
        ),
    )

    @property
    def refunded_cents(self) -> int:
        return sum(r.amount_cents for r in self.refunds if r.status != RefundStatus.FAILED)

    def __repr__(self) -> str:
        return f"<Payment {self.id} {self.method} {self.status} {self.amount_cents}>"


class RefundStatus(StrEnum):
    PENDING = "pending"  # owed: Stripe not yet asked, or a transfer back not yet sent
    SUCCEEDED = "succeeded"
    FAILED = "failed"


class Refund(Model):
    """Money given back to the company from one payment, because a credit note cancelled what
    it paid for. Card refunds go through Stripe; transfers back are recorded by an admin."""

    __tablename__ = "refunds"

    id: Mapped[int] = mapped_column(primary_key=True)
    payment_id: Mapped[int] = mapped_column(ForeignKey("payments.id"), index=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoices.id"), index=True)
    credit_note_id: Mapped[int] = mapped_column(ForeignKey("credit_notes.id"), index=True)
    status: Mapped[RefundStatus] = mapped_column(enum_column(RefundStatus), index=True)
    amount_cents: Mapped[int] = mapped_column(BigInteger)
    idempotency_key: Mapped[str] = mapped_column(String(80), unique=True)
    stripe_refund_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    sent_on: Mapped[date | None] = mapped_column(Date)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    failure_message: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    settled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    payment: Mapped[Payment] = relationship(back_populates="refunds")
    credit_note: Mapped[CreditNote] = relationship()

    __table_args__ = (
        CheckConstraint("amount_cents > 0", name="amount_positive"),
        CheckConstraint(
            "(status = 'succeeded') = (sent_on IS NOT NULL)", name="sent_when_succeeded"
        ),
    )


class StripeEvent(Model):
    """A webhook event, stored once by its id: the second delivery of an id is a no-op."""

    __tablename__ = "stripe_events"

    id: Mapped[str] = mapped_column(String(255), primary_key=True)  # evt_…
    type: Mapped[str] = mapped_column(String(80))
    payment_intent_id: Mapped[str | None] = mapped_column(String(255), index=True)
    outcome: Mapped[str] = mapped_column(String(32), default="")
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
