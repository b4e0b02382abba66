"""The journal: balanced double-entry entries on the platform's chart of accounts (DESIGN §3.7).

The chart itself is data (`CHART`, with what each account means in `billing.ledger`); lines may
only name its accounts (a CHECK). An entry states its total (Σ debits = Σ credits) and how many
lines it has; the database refuses an entry whose lines do not add up to it:
- PostgreSQL: a deferred constraint trigger checks every touched entry at commit (its lines'
  debits and credits both equal its total, and there are `line_count` of them);
- SQLite (no deferred triggers): lines come in order, each insert refuses a line past the
  entry's count, and the last one is refused unless the entry balances; lines and amounts never
  change afterwards. Migration 0007 creates both sets of triggers.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    ForeignKey,
    Integer,
    String,
    UniqueConstraint,
    event,
)
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from marketplace.accounts.models import Company, Provider, enum_column
from marketplace.billing.models import SubsidyProgramme
from marketplace.dbtypes import UTCDateTime, utcnow
from marketplace.extensions import Model

# The chart of accounts (Plan comptable général numbers); `billing.ledger` says what each holds.
CHART: dict[str, str] = {
    "411": "Clients",
    "4191": "Clients - avances et acomptes reçus",
    "441": "Dispositifs d'aide - subventions réclamées à recevoir",
    "4687": "Produits à recevoir - subventions engagées",
    "467": "Prestataires - sommes dues (mandat)",
    "44571": "TVA collectée",
    "512": "Banque",
    "706": "Prestations de services",
}


class Journal(StrEnum):
    """Journal codes, as the FEC's JournalCode."""

    SALES = "VT"  # ventes: invoices and credit notes issued under the mandate
    BANK = "BQ"  # banque: money in and out
    MISC = "OD"  # opérations diverses: subsidy claims and approvals


JOURNAL_NAMES = {
    Journal.SALES: "Ventes",
    Journal.BANK: "Banque",
    Journal.MISC: "Opérations diverses",
}


class EntrySource(StrEnum):
    """The money event an entry records; one entry per (source, source id)."""

    INVOICE_ISSUED = "invoice_issued"
    CREDIT_NOTE_ISSUED = "credit_note_issued"
    SHARE_RECEIVED = "share_received"
    SUBSIDY_CLAIMED = "subsidy_claimed"
    SUBSIDY_APPROVED = "subsidy_approved"
    SUBSIDY_REJECTED = "subsidy_rejected"
    SUBSIDY_PAID = "subsidy_paid"
    REFUND = "refund"
    PROVIDER_PAID = "provider_paid"


class JournalEntry(Model):
    """One écriture: a date, a journal, the piece it rests on, and balanced lines."""

    __tablename__ = "journal_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_date: Mapped[date] = mapped_column(Date, index=True)
    journal_code: Mapped[Journal] = mapped_column(enum_column(Journal), index=True)
    piece_ref: Mapped[str] = mapped_column(String(40), index=True)  # F-2026-000001
    piece_date: Mapped[date] = mapped_column(Date)
    label: Mapped[str] = mapped_column(String(200))
    source: Mapped[EntrySource] = mapped_column(enum_column(EntrySource, length=24))
    source_id: Mapped[int] = mapped_column(Integer)
    total_cents: Mapped[int] = mapped_column(BigInteger)  # Σ debits = Σ credits
    line_count: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    lines: Mapped[list[JournalLine]] = relationship(
        order_by="JournalLine.position", back_populates="entry"
    )

    __table_args__ = (
        UniqueConstraint("source", "source_id", name="uq_journal_entries_one_per_event"),
        CheckConstraint("total_cents > 0", name="total_positive"),
        CheckConstraint("line_count >= 2", name="two_lines_or_more"),
    )

    def __repr__(self) -> str:
        return f"<JournalEntry {self.id} {self.journal_code} {self.piece_ref!r}>"


_ACCOUNTS_SQL = ", ".join(f"'{code}'" for code in CHART)


class JournalLine(Model):
    """One side of an entry: an account debited or credited (never both), and for whom."""

    __tablename__ = "journal_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("journal_entries.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    account: Mapped[str] = mapped_column(String(8), index=True)
    label: Mapped[str] = mapped_column(String(200))
    debit_cents: Mapped[int] = mapped_column(BigInteger, default=0)
    credit_cents: Mapped[int] = mapped_column(BigInteger, default=0)
    # The third party of an auxiliary account (411: company, 467: provider, 4687/441: programme)
    company_id: Mapped[int | None] = mapped_column(ForeignKey("companies.id"), index=True)
    provider_id: Mapped[int | None] = mapped_column(ForeignKey("providers.id"), index=True)
    programme_id: Mapped[int | None] = mapped_column(
        ForeignKey("subsidy_programmes.id"), index=True
    )

    entry: Mapped[JournalEntry] = relationship(back_populates="lines")
    company: Mapped[Company | None] = relationship()
    provider: Mapped[Provider | None] = relationship()
    programme: Mapped[SubsidyProgramme | None] = relationship()

    __table_args__ = (
        UniqueConstraint("entry_id", "position", name="uq_journal_lines_one_per_position"),
        CheckConstraint("position >= 1", name="position_positive"),
        CheckConstraint(f"account IN ({_ACCOUNTS_SQL})", name="account_in_chart"),
        CheckConstraint("debit_cents >= 0 AND credit_cents >= 0", name="amounts_not_negative"),
        CheckConstraint("(debit_cents = 0) <> (credit_cents = 0)", name="one_side_only"),
        CheckConstraint(
            "CASE WHEN company_id IS NULL THEN 0 ELSE 1 END"
            " + CASE WHEN provider_id IS NULL THEN 0 ELSE 1 END"
            " + CASE WHEN programme_id IS NULL THEN 0 ELSE 1 END <= 1",
            name="one_third_party_at_most",
        ),
    )


class PostedEntry(RuntimeError):
    """Code tried to change or delete a posted journal row (a bug: post a reversal instead)."""


@event.listens_for(Session, "before_flush")
def guard_posted_entries(session: Session, _context: Any, _instances: Any) -> None:
    """Refuse, at every ORM flush, a change or deletion of a journal entry or line (the
    database refuses changes too; deletions only on PostgreSQL, where they unbalance)."""
    for obj in (*session.dirty, *session.deleted):
        if isinstance(obj, JournalEntry | JournalLine) and (
            obj in session.deleted or session.is_modified(obj, include_collections=False)
        ):
            raise PostedEntry(f"{obj!r} is posted: it never changes")
