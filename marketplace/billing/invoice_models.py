"""Invoices and credit notes, their lines, VAT and subsidy breakdowns, and the number counters.

An issued invoice never changes (DESIGN §3 rule 6): the only columns that may move afterwards are
its status and the time it was cancelled, when a credit note cancels it. `invoices` enforces
that on every flush (`guard_issued_documents`); the CHECKs below are the database's own share of
the money rules, so a bug elsewhere cannot store an invoice whose totals do not add up.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    Date,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    event,
    inspect,
)
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from marketplace.accounts.models import Company, Provider, User, enum_column
from marketplace.dbtypes import UTCDateTime, utcnow
from marketplace.extensions import Model

INVOICE_SERIES = "F"  # facture
CREDIT_NOTE_SERIES = "A"  # avoir


class InvoiceStatus(StrEnum):
    ISSUED = "issued"
    CANCELLED = "cancelled"  # by a credit note, which says why


class InvoiceCounter(Model):
    """The last number given in one series of one provider for one year.

    Numbers come from this row, raised by an `UPDATE … RETURNING` in the issuing transaction: the
    row stays locked until that transaction ends, and a rollback gives the number back, so the
    series has neither gaps nor duplicates (a database sequence would leave gaps).
    """

    __tablename__ = "invoice_counters"

    provider_id: Mapped[int] = mapped_column(ForeignKey("providers.id"), primary_key=True)
    series: Mapped[str] = mapped_column(String(1), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_number: Mapped[int] = mapped_column(Integer, default=0)

    __table_args__ = (
        CheckConstraint("series IN ('F', 'A')", name="series_known"),
        CheckConstraint("last_number >= 0", name="last_number_not_negative"),
    )


# The totals every issued document carries, and the CHECKs that tie them (DESIGN §3 rule 4).
_TOTAL_CHECKS = (
    ("total_excl_vat_cents >= 0", "excl_vat_not_negative"),
    ("total_vat_cents >= 0", "vat_not_negative"),
    ("total_incl_vat_cents = total_excl_vat_cents + total_vat_cents", "incl_vat_is_sum"),
    ("subsidies_cents >= 0", "subsidies_not_negative"),
    ("company_share_cents >= 0", "company_share_not_negative"),
    ("company_share_cents + subsidies_cents = total_incl_vat_cents", "split_is_whole"),
    ("sequence >= 1", "sequence_positive"),
    ("year >= 2000 AND year <= 9999", "year_range"),
)


def _total_checks(series: str) -> tuple[CheckConstraint, ...]:
    return (
        *(CheckConstraint(sql, name=name) for sql, name in _TOTAL_CHECKS),
        CheckConstraint(f"series = '{series}'", name="series_fixed"),
    )


class Invoice(Model):
    """A provider's invoice to a company for one confirmed booking, issued by the platform under
    a billing mandate; every mention the law asks for is stored here as issued."""

    __tablename__ = "invoices"

    id: Mapped[int] = mapped_column(primary_key=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("providers.id"), index=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"), index=True)
    booking_id: Mapped[int] = mapped_column(ForeignKey("bookings.id"), unique=True)
    series: Mapped[str] = mapped_column(String(1), default=INVOICE_SERIES)
    year: Mapped[int] = mapped_column(Integer)
    sequence: Mapped[int] = mapped_column(Integer)
    number: Mapped[str] = mapped_column(String(24))  # F-2026-000123
    status: Mapped[InvoiceStatus] = mapped_column(
        enum_column(InvoiceStatus), default=InvoiceStatus.ISSUED, index=True
    )
    issue_date: Mapped[date] = mapped_column(Date, index=True)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))  # None: automatic
    service_start: Mapped[date] = mapped_column(Date)
    service_end: Mapped[date] = mapped_column(Date)
    due_date: Mapped[date] = mapped_column(Date)
    currency: Mapped[str] = mapped_column(String(3), default="EUR")
    booking_reference: Mapped[str] = mapped_column(String(24))  # the agreement, CC-000042

    # Seller (the provider) and buyer (the company), as the agreement froze them
    seller_name: Mapped[str] = mapped_column(String(160))
    seller_siren: Mapped[str] = mapped_column(String(9))
    seller_siret: Mapped[str] = mapped_column(String(14))
    seller_vat_number: Mapped[str | None] = mapped_column(String(13))
    buyer_name: Mapped[str] = mapped_column(String(160))
    buyer_siren: Mapped[str] = mapped_column(String(9))
    buyer_vat_number: Mapped[str | None] = mapped_column(String(13))
    buyer_department_code: Mapped[str] = mapped_column(String(3))

    total_excl_vat_cents: Mapped[int] = mapped_column(BigInteger)
    total_vat_cents: Mapped[int] = mapped_column(BigInteger)
    total_incl_vat_cents: Mapped[int] = mapped_column(BigInteger)
    subsidies_cents: Mapped[int] = mapped_column(BigInteger)
    company_share_cents: Mapped[int] = mapped_column(BigInteger)  # reste à payer par le client

    # Payment: the structured reference (ISO 11649) the company quotes, late-payment terms
    payment_reference: Mapped[str] = mapped_column(String(25), unique=True)
    late_penalty_rate_bp: Mapped[int] = mapped_column(Integer)
    recovery_indemnity_cents: Mapped[int] = mapped_column(BigInteger)
    # The legal mentions as printed (mandate, nature, VAT exemption, payment terms…), each
    # {"code": its UNTDID 4451 subject code, "text": …}
    mentions: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list)

    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    provider: Mapped[Provider] = relationship()
    company: Mapped[Company] = relationship()
    issued_by: Mapped[User | None] = relationship()
    lines: Mapped[list[InvoiceLine]] = relationship(
        order_by="InvoiceLine.position", back_populates="invoice"
    )
    taxes: Mapped[list[InvoiceTax]] = relationship(
        order_by="InvoiceTax.vat_rate_bp", back_populates="invoice"
    )
    subsidies: Mapped[list[InvoiceSubsidy]] = relationship(
        order_by="InvoiceSubsidy.position", back_populates="invoice"
    )
    credit_note: Mapped[CreditNote | None] = relationship(back_populates="invoice", uselist=False)

    __table_args__ = (
        UniqueConstraint(
            "provider_id", "series", "year", "sequence", name="uq_invoices_number_per_provider"
        ),
        UniqueConstraint("provider_id", "number", name="uq_invoices_number_text_per_provider"),
        *_total_checks(INVOICE_SERIES),
        CheckConstraint("due_date >= issue_date", name="due_after_issue"),
        CheckConstraint("service_end >= service_start", name="service_dates_ordered"),
        CheckConstraint("late_penalty_rate_bp >= 0", name="penalty_not_negative"),
        CheckConstraint("recovery_indemnity_cents >= 0", name="indemnity_not_negative"),
        CheckConstraint(
            "(status = 'cancelled') = (cancelled_at IS NOT NULL)", name="cancelled_when_dated"
        ),
    )

    @property
    def is_cancelled(self) -> bool:
        return self.status == InvoiceStatus.CANCELLED

    def __repr__(self) -> str:
        return f"<Invoice {self.id} {self.number!r} {self.status}>"


class InvoiceLine(Model):
    """What was sold: the quoted service, its quantity, unit and unit price excl. VAT."""

    __tablename__ = "invoice_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoices.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    description: Mapped[str] = mapped_column(Text)
    detail: Mapped[str] = mapped_column(Text, default="")
    quantity: Mapped[int] = mapped_column(Integer)
    unit_code: Mapped[str] = mapped_column(String(3))  # UN/ECE recommendation 20 (C62, DAY…)
    unit_label: Mapped[str] = mapped_column(String(20))  # as printed: forfait, jour…
    unit_price_excl_vat_cents: Mapped[int] = mapped_column(BigInteger)
    vat_rate_bp: Mapped[int] = mapped_column(Integer)
    total_excl_vat_cents: Mapped[int] = mapped_column(BigInteger)

    invoice: Mapped[Invoice] = relationship(back_populates="lines")

    __table_args__ = (
        UniqueConstraint("invoice_id", "position", name="uq_invoice_lines_one_per_position"),
        CheckConstraint("position >= 1", name="position_positive"),
        CheckConstraint("quantity >= 1", name="quantity_positive"),
        CheckConstraint("unit_price_excl_vat_cents >= 0", name="unit_price_not_negative"),
        CheckConstraint("vat_rate_bp >= 0 AND vat_rate_bp <= 10000", name="vat_rate_range"),
        CheckConstraint(
            "total_excl_vat_cents = quantity * unit_price_excl_vat_cents", name="total_is_product"
        ),
    )


class InvoiceTax(Model):
    """VAT for one rate: computed on the invoice's base at that rate, rounded half-up (§3.2)."""

    __tablename__ = "invoice_taxes"

    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoices.id"), primary_key=True)
    vat_rate_bp: Mapped[int] = mapped_column(Integer, primary_key=True)
    base_cents: Mapped[int] = mapped_column(BigInteger)
    vat_cents: Mapped[int] = mapped_column(BigInteger)
    category_code: Mapped[str] = mapped_column(String(2))  # EN 16931 VAT category: S, E
    exemption_reason: Mapped[str] = mapped_column(Text, default="")

    invoice: Mapped[Invoice] = relationship(back_populates="taxes")

    __table_args__ = (
        CheckConstraint("vat_rate_bp >= 0 AND vat_rate_bp <= 10000", name="vat_rate_range"),
        CheckConstraint("base_cents >= 0", name="base_not_negative"),
        # Half-up rounding of base × rate, in integers: the same on every backend.
        CheckConstraint(
            "vat_cents = (base_cents * vat_rate_bp + 5000) / 10000", name="vat_rounded_half_up"
        ),
    )


class InvoiceSubsidy(Model):
    """One programme's part of the total: "dont pris en charge par <programme>"."""

    __tablename__ = "invoice_subsidies"

    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoices.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    allocation_id: Mapped[int] = mapped_column(ForeignKey("subsidy_allocations.id"), unique=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("subsidy_programmes.id"), index=True)
    programme_code: Mapped[str] = mapped_column(String(40))
    programme_name: Mapped[str] = mapped_column(String(160))
    funder: Mapped[str] = mapped_column(String(16))
    applied_rate_bp: Mapped[int] = mapped_column(Integer)
    amount_cents: Mapped[int] = mapped_column(BigInteger)

    invoice: Mapped[Invoice] = relationship(back_populates="subsidies")

    __table_args__ = (
        UniqueConstraint("invoice_id", "position", name="uq_invoice_subsidies_one_per_position"),
        CheckConstraint("amount_cents > 0", name="amount_positive"),
        CheckConstraint("applied_rate_bp >= 0 AND applied_rate_bp <= 10000", name="rate_range"),
    )


class CreditNote(Model):
    """An avoir that cancels one invoice in full, with its own gapless series.

    Its amounts are the invoice's, stated positive (EN 16931 type 381); its lines, VAT and
    subsidy breakdown are those of the invoice it cancels.
    """

    __tablename__ = "credit_notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("providers.id"), index=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"), index=True)
    # One credit note per invoice: only full cancellations for now.
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoices.id"), unique=True)
    series: Mapped[str] = mapped_column(String(1), default=CREDIT_NOTE_SERIES)
    year: Mapped[int] = mapped_column(Integer)
    sequence: Mapped[int] = mapped_column(Integer)
    number: Mapped[str] = mapped_column(String(24))  # A-2026-000001
    issue_date: Mapped[date] = mapped_column(Date, index=True)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reason: Mapped[str] = mapped_column(Text)

    total_excl_vat_cents: Mapped[int] = mapped_column(BigInteger)
    total_vat_cents: Mapped[int] = mapped_column(BigInteger)
    total_incl_vat_cents: Mapped[int] = mapped_column(BigInteger)
    subsidies_cents: Mapped[int] = mapped_column(BigInteger)
    company_share_cents: Mapped[int] = mapped_column(BigInteger)
    # What the credit note did to the subsidies, for the ledger and the claims to come
    released_subsidies_cents: Mapped[int] = mapped_column(BigInteger, default=0)
    mentions: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    invoice: Mapped[Invoice] = relationship(back_populates="credit_note")
    issued_by: Mapped[User | None] = relationship()

    __table_args__ = (
        UniqueConstraint(
            "provider_id", "series", "year", "sequence", name="uq_credit_notes_number_per_provider"
        ),
        UniqueConstraint("provider_id", "number", name="uq_credit_notes_number_text_per_provider"),
        *_total_checks(CREDIT_NOTE_SERIES),
        CheckConstraint(
            "released_subsidies_cents >= 0 AND released_subsidies_cents <= subsidies_cents",
            name="released_within_subsidies",
        ),
    )

    def __repr__(self) -> str:
        return f"<CreditNote {self.id} {self.number!r}>"


# --- Issued documents never change ----------------------------------------------------------

# Columns an issued invoice may still change (a credit note cancels it); nothing else moves.
INVOICE_MUTABLE = frozenset({"status", "cancelled_at"})
IMMUTABLE_DOCUMENTS: tuple[type[Any], ...] = (
    Invoice,
    InvoiceLine,
    InvoiceTax,
    InvoiceSubsidy,
    CreditNote,
)
_PARTS = (InvoiceLine, InvoiceTax, InvoiceSubsidy)


class ImmutableDocument(RuntimeError):
    """Code tried to change or delete an issued invoice or credit note (a bug, never user input)."""


def _changed_columns(obj: Any) -> set[str]:
    state = inspect(obj)
    keys = [attr.key for attr in state.mapper.column_attrs]
    return {key for key in keys if state.attrs[key].history.has_changes()}


@event.listens_for(Session, "before_flush")
def guard_issued_documents(session: Session, _context: Any, _instances: Any) -> None:
    """Refuse, at every ORM flush, any change to an issued document but its cancellation.

    Bulk `update()`/`delete()` statements bypass the ORM and so this guard: only the credit note
    service issues one (the conditional cancellation of an invoice).
    """
    for obj in session.dirty:
        if not isinstance(obj, IMMUTABLE_DOCUMENTS):
            continue
        changed = _changed_columns(obj)
        allowed = INVOICE_MUTABLE if isinstance(obj, Invoice) else frozenset()
        if changed - allowed:
            raise ImmutableDocument(f"{obj!r} is issued: {sorted(changed - allowed)} cannot change")
        if "status" in changed and obj.status != InvoiceStatus.CANCELLED:
            raise ImmutableDocument(f"{obj!r}: a cancelled invoice stays cancelled")
    for obj in session.deleted:
        if isinstance(obj, IMMUTABLE_DOCUMENTS):
            raise ImmutableDocument(f"{obj!r} is issued: it cannot be deleted")
    for obj in session.new:
        if isinstance(obj, _PARTS) and (obj.invoice is None or obj.invoice not in session.new):
            raise ImmutableDocument(f"{obj!r}: lines are added with their invoice, never after")
