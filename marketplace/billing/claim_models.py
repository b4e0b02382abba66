"""Subsidy claims: what the platform asks each programme to pay for one invoice.

One claim per subsidy line of an invoice, made once the company's share is paid and the
delivery confirmed, with the evidence the funder checks. An admin approves it, rejects it with a
reason (the company then owes that amount), or marks it paid with the funder's payment
reference; its allocation follows (claimed, released, paid).
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, BigInteger, CheckConstraint, Date, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.accounts.models import Company, Provider, User, enum_column
from marketplace.billing.invoice_models import Invoice, InvoiceSubsidy
from marketplace.billing.models import SubsidyAllocation, SubsidyProgramme
from marketplace.dbtypes import UTCDateTime, utcnow
from marketplace.extensions import Model


class ClaimStatus(StrEnum):
    SUBMITTED = "submitted"  # waits for an admin's check
    APPROVED = "approved"  # checked; waits for the funder's payment
    REJECTED = "rejected"  # the company owes the amount instead
    PAID = "paid"


OPEN_CLAIM = (ClaimStatus.SUBMITTED, ClaimStatus.APPROVED)


class SubsidyClaim(Model):
    __tablename__ = "subsidy_claims"

    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoices.id"), index=True)
    invoice_subsidy_id: Mapped[int] = mapped_column(ForeignKey("invoice_subsidies.id"), unique=True)
    allocation_id: Mapped[int] = mapped_column(ForeignKey("subsidy_allocations.id"), unique=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("subsidy_programmes.id"), index=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("providers.id"), index=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"), index=True)
    booking_id: Mapped[int] = mapped_column(ForeignKey("bookings.id"), index=True)
    status: Mapped[ClaimStatus] = mapped_column(enum_column(ClaimStatus), index=True)
    amount_cents: Mapped[int] = mapped_column(BigInteger)
    # What the funder checks, each {"kind": agreement|delivery|invoice|payment, "label", "ref"}
    evidence: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    rejection_reason: Mapped[str] = mapped_column(Text, default="")
    paid_on: Mapped[date | None] = mapped_column(Date)
    funder_payment_reference: Mapped[str] = mapped_column(String(140), default="")

    invoice: Mapped[Invoice] = relationship()
    invoice_subsidy: Mapped[InvoiceSubsidy] = relationship()
    allocation: Mapped[SubsidyAllocation] = relationship()
    programme: Mapped[SubsidyProgramme] = relationship()
    provider: Mapped[Provider] = relationship()
    company: Mapped[Company] = relationship()
    decided_by: Mapped[User | None] = relationship()

    __table_args__ = (
        CheckConstraint("amount_cents > 0", name="amount_positive"),
        CheckConstraint("(status = 'paid') = (paid_on IS NOT NULL)", name="paid_when_dated"),
        CheckConstraint(
            "status <> 'rejected' OR rejection_reason <> ''", name="rejection_has_reason"
        ),
    )

    def __repr__(self) -> str:
        return f"<SubsidyClaim {self.id} {self.status} {self.amount_cents}>"
