"""The platform's books: one balanced journal entry per money event (DESIGN §3 rule 7).

Whose books. The platform issues each invoice in the name and on behalf of the provider (billing
mandate) and collects the money for it: the company's share, and each programme's subsidy. The
sale, and its VAT, are the provider's: they are in the provider's books, not in these. What the
platform's books hold is who owes whom through it:
- the company owes the platform its share (411 Clients, auxiliary: the company);
- each programme owes the platform its subsidy (4687 Produits à recevoir while only committed,
  441 once claimed — "subventions à recevoir" from a public funder; auxiliary: the programme);
- the platform owes the provider the whole invoice incl. VAT (467 Autres comptes débiteurs ou
  créditeurs — sommes dues aux prestataires; auxiliary: the provider).
So 44571 TVA collectée and 706 Prestations de services stay at zero until the platform bills a
fee of its own; they are in the chart for that day.

The postings, each one call of `post_entry`:
- invoice issued (VT): D 411 share, D 4687 each subsidy / C 467 total incl. VAT;
- credit note issued (VT): the exact reverse of its invoice's entry;
- share received (BQ): D 512 / C 411;   refund (BQ): D 411 / C 512;
- subsidy claimed (OD): D 441 / C 4687; subsidy approved: no amount moves (a status only);
- subsidy rejected (OD): D 411 / C 441, the company owes what the funder will not pay;
- subsidy paid (BQ): D 512 / C 441;     provider paid (BQ): D 467 / C 512.
Amounts in a line are never negative: a reversal swaps debit and credit.

Entry numbers (the FEC's EcritureNum) are given at export, in (date, id) order: a counter row
would serialise every money event of the platform on one lock.

Functions flush and never commit: the caller's transaction holds the event and its entry.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session, selectinload

from marketplace.accounts.models import Company, Provider
from marketplace.billing.claim_models import SubsidyClaim
from marketplace.billing.invoice_models import CreditNote, Invoice
from marketplace.billing.ledger_models import (
    CHART,
    EntrySource,
    Journal,
    JournalEntry,
    JournalLine,
)
from marketplace.billing.models import SubsidyProgramme
from marketplace.billing.payment_models import Payment, Refund

CLIENTS = "411"
SUBSIDIES_COMMITTED = "4687"
SUBSIDIES_CLAIMED = "441"
PROVIDERS = "467"
BANK = "512"


class UnbalancedEntry(ValueError):
    """An entry whose debits and credits differ, or with a malformed line (a bug, not input)."""


@dataclass(frozen=True)
class Line:
    """One line to post: an account of the chart, debit or credit, and its third party."""

    account: str
    label: str
    debit_cents: int = 0
    credit_cents: int = 0
    company_id: int | None = None
    provider_id: int | None = None
    programme_id: int | None = None

    def reversed(self) -> Line:
        return Line(
            self.account,
            self.label,
            debit_cents=self.credit_cents,
            credit_cents=self.debit_cents,
            company_id=self.company_id,
            provider_id=self.provider_id,
            programme_id=self.programme_id,
        )


def check_balanced(lines: Sequence[Line]) -> int:
    """The entry's total (Σ debits = Σ credits); UnbalancedEntry for anything else."""
    if len(lines) < 2:
        raise UnbalancedEntry("an entry has two lines or more")
    for line in lines:
        if line.account not in CHART:
            raise UnbalancedEntry(f"account {line.account!r} is not in the chart")
        for amount in (line.debit_cents, line.credit_cents):
            if isinstance(amount, bool) or not isinstance(amount, int) or amount < 0:
                raise UnbalancedEntry(f"amounts are non-negative integer cents: {amount!r}")
        if (line.debit_cents == 0) == (line.credit_cents == 0):
            raise UnbalancedEntry(f"a line is a debit or a credit: {line!r}")
    debits = sum(line.debit_cents for line in lines)
    credits = sum(line.credit_cents for line in lines)
    if debits != credits:
        raise UnbalancedEntry(f"debits {debits} differ from credits {credits}")
    return debits


def post_entry(
    session: Session,
    *,
    journal: Journal,
    entry_date: date,
    piece_ref: str,
    piece_date: date,
    label: str,
    source: EntrySource,
    source_id: int,
    lines: Sequence[Line],
) -> JournalEntry:
    """Write one balanced entry (checked here, and again by the database) and flush it."""
    total = check_balanced(lines)
    entry = JournalEntry(
        entry_date=entry_date,
        journal_code=journal,
        piece_ref=piece_ref,
        piece_date=piece_date,
        label=label[:200],
        source=source,
        source_id=source_id,
        total_cents=total,
        line_count=len(lines),
    )
    entry.lines = [
        JournalLine(
            position=position,
            account=line.account,
            label=line.label[:200],
            debit_cents=line.debit_cents,
            credit_cents=line.credit_cents,
            company_id=line.company_id,
            provider_id=line.provider_id,
            programme_id=line.programme_id,
        )
        for position, line in enumerate(lines, start=1)
    ]
    session.add(entry)
    session.flush()
    return entry


def invoice_lines(invoice: Invoice, label: str) -> list[Line]:
    """What issuing the invoice moves: the company's share and each subsidy are owed to the
    platform, which owes the provider the total incl. VAT."""
    lines = []
    if invoice.company_share_cents:
        lines.append(
            Line(
                CLIENTS,
                label,
                debit_cents=invoice.company_share_cents,
                company_id=invoice.company_id,
            )
        )
    for subsidy in invoice.subsidies:
        lines.append(
            Line(
                SUBSIDIES_COMMITTED,
                f"{label} - {subsidy.programme_name}",
                debit_cents=subsidy.amount_cents,
                programme_id=subsidy.programme_id,
            )
        )
    lines.append(
        Line(
            PROVIDERS,
            f"{label} - {invoice.seller_name}",
            credit_cents=invoice.total_incl_vat_cents,
            provider_id=invoice.provider_id,
        )
    )
    return lines


def record_invoice_issued(session: Session, invoice: Invoice) -> JournalEntry:
    """The sales-journal entry of an issued invoice."""
    return post_entry(
        session,
        journal=Journal.SALES,
        entry_date=invoice.issue_date,
        piece_ref=invoice.number,
        piece_date=invoice.issue_date,
        label=f"Facture {invoice.number} {invoice.buyer_name}",
        source=EntrySource.INVOICE_ISSUED,
        source_id=invoice.id,
        lines=invoice_lines(invoice, f"Facture {invoice.number} {invoice.buyer_name}"),
    )


def record_credit_note(session: Session, credit_note: CreditNote) -> JournalEntry:
    """The sales-journal entry of a credit note: its invoice's entry, reversed."""
    invoice = credit_note.invoice
    label = f"Avoir {credit_note.number} facture {invoice.number}"
    lines = [line.reversed() for line in invoice_lines(invoice, label)]
    return post_entry(
        session,
        journal=Journal.SALES,
        entry_date=credit_note.issue_date,
        piece_ref=credit_note.number,
        piece_date=credit_note.issue_date,
        label=label,
        source=EntrySource.CREDIT_NOTE_ISSUED,
        source_id=credit_note.id,
        lines=lines,
    )


def record_share_received(session: Session, payment: Payment) -> JournalEntry:
    """Bank journal: the company's payment lands in the platform's account (D 512 / C 411)."""
    invoice = payment.invoice
    assert payment.received_on is not None
    label = f"Règlement facture {invoice.number} {invoice.buyer_name}"
    return post_entry(
        session,
        journal=Journal.BANK,
        entry_date=payment.received_on,
        piece_ref=invoice.number,
        piece_date=payment.received_on,
        label=label,
        source=EntrySource.SHARE_RECEIVED,
        source_id=payment.id,
        lines=[
            Line(BANK, label, debit_cents=payment.amount_cents),
            Line(CLIENTS, label, credit_cents=payment.amount_cents, company_id=invoice.company_id),
        ],
    )


def record_refund(session: Session, refund: Refund) -> JournalEntry:
    """Bank journal: money given back to the company after a credit note (D 411 / C 512)."""
    invoice = refund.payment.invoice
    assert refund.sent_on is not None
    label = f"Remboursement avoir {refund.credit_note.number} facture {invoice.number}"
    return post_entry(
        session,
        journal=Journal.BANK,
        entry_date=refund.sent_on,
        piece_ref=refund.credit_note.number,
        piece_date=refund.sent_on,
        label=label,
        source=EntrySource.REFUND,
        source_id=refund.id,
        lines=[
            Line(CLIENTS, label, debit_cents=refund.amount_cents, company_id=invoice.company_id),
            Line(BANK, label, credit_cents=refund.amount_cents),
        ],
    )


def record_subsidy_claimed(session: Session, claim: SubsidyClaim, day: date) -> JournalEntry:
    """Miscellaneous journal: a committed subsidy becomes a claim on its funder (D 441 / C 4687)."""
    invoice = claim.invoice
    label = f"Demande d'aide {claim.programme.code} facture {invoice.number}"
    return post_entry(
        session,
        journal=Journal.MISC,
        entry_date=day,
        piece_ref=invoice.number,
        piece_date=invoice.issue_date,
        label=label,
        source=EntrySource.SUBSIDY_CLAIMED,
        source_id=claim.id,
        lines=[
            Line(
                SUBSIDIES_CLAIMED,
                label,
                debit_cents=claim.amount_cents,
                programme_id=claim.programme_id,
            ),
            Line(
                SUBSIDIES_COMMITTED,
                label,
                credit_cents=claim.amount_cents,
                programme_id=claim.programme_id,
            ),
        ],
    )


def record_subsidy_rejected(session: Session, claim: SubsidyClaim, day: date) -> JournalEntry:
    """Miscellaneous journal: a rejected claim is owed by the company instead (D 411 / C 441)."""
    invoice = claim.invoice
    label = f"Aide refusée {claim.programme.code} facture {invoice.number}"
    return post_entry(
        session,
        journal=Journal.MISC,
        entry_date=day,
        piece_ref=invoice.number,
        piece_date=invoice.issue_date,
        label=label,
        source=EntrySource.SUBSIDY_REJECTED,
        source_id=claim.id,
        lines=[
            Line(CLIENTS, label, debit_cents=claim.amount_cents, company_id=claim.company_id),
            Line(
                SUBSIDIES_CLAIMED,
                label,
                credit_cents=claim.amount_cents,
                programme_id=claim.programme_id,
            ),
        ],
    )


def record_subsidy_paid(session: Session, claim: SubsidyClaim) -> JournalEntry:
    """Bank journal: the funder pays the claim (D 512 / C 441)."""
    assert claim.paid_on is not None
    invoice = claim.invoice
    label = f"Versement aide {claim.programme.code} facture {invoice.number}"
    return post_entry(
        session,
        journal=Journal.BANK,
        entry_date=claim.paid_on,
        piece_ref=claim.funder_payment_reference[:40] or invoice.number,
        piece_date=claim.paid_on,
        label=label,
        source=EntrySource.SUBSIDY_PAID,
        source_id=claim.id,
        lines=[
            Line(BANK, label, debit_cents=claim.amount_cents),
            Line(
                SUBSIDIES_CLAIMED,
                label,
                credit_cents=claim.amount_cents,
                programme_id=claim.programme_id,
            ),
        ],
    )


# --- Reading the books -----------------------------------------------------------------------


@dataclass(frozen=True)
class AccountBalance:
    account: str
    name: str
    debit_cents: int
    credit_cents: int

    @property
    def balance_cents(self) -> int:
        """Debit minus credit: positive for a debtor account, negative for a creditor one."""
        return self.debit_cents - self.credit_cents


@dataclass(frozen=True)
class TrialBalance:
    accounts: tuple[AccountBalance, ...]

    @property
    def debit_cents(self) -> int:
        return sum(a.debit_cents for a in self.accounts)

    @property
    def credit_cents(self) -> int:
        return sum(a.credit_cents for a in self.accounts)

    @property
    def balanced(self) -> bool:
        return self.debit_cents == self.credit_cents


def trial_balance(session: Session, until: date | None = None) -> TrialBalance:
    """Debits, credits and balance per account (in chart order) of the entries up to `until`."""
    query = (
        select(
            JournalLine.account,
            func.coalesce(func.sum(JournalLine.debit_cents), 0),
            func.coalesce(func.sum(JournalLine.credit_cents), 0),
        )
        .join(JournalEntry)
        .group_by(JournalLine.account)
    )
    if until is not None:
        query = query.where(JournalEntry.entry_date <= until)
    sums = {account: (int(debit), int(credit)) for account, debit, credit in session.execute(query)}
    return TrialBalance(
        tuple(
            AccountBalance(code, name, *sums[code]) for code, name in CHART.items() if code in sums
        )
    )


@dataclass(frozen=True)
class JournalFilters:
    """What a journal screen or export narrows to; every field optional."""

    start: date | None = None
    until: date | None = None
    journal: Journal | None = None
    account: str | None = None
    piece_ref: str | None = None
    company_id: int | None = None
    provider_id: int | None = None


def journal_query(filters: JournalFilters | None = None) -> Select[JournalEntry]:
    """Entries in book order (date, then posting order), their lines loaded with them."""
    f = filters or JournalFilters()
    query = select(JournalEntry).options(
        selectinload(JournalEntry.lines).selectinload(JournalLine.company),
        selectinload(JournalEntry.lines).selectinload(JournalLine.provider),
        selectinload(JournalEntry.lines).selectinload(JournalLine.programme),
    )
    if f.start is not None:
        query = query.where(JournalEntry.entry_date >= f.start)
    if f.until is not None:
        query = query.where(JournalEntry.entry_date <= f.until)
    if f.journal is not None:
        query = query.where(JournalEntry.journal_code == f.journal)
    if f.piece_ref:
        query = query.where(JournalEntry.piece_ref == f.piece_ref)
    line_filters = [
        column == value
        for column, value in (
            (JournalLine.account, f.account),
            (JournalLine.company_id, f.company_id),
            (JournalLine.provider_id, f.provider_id),
        )
        if value is not None
    ]
    if line_filters:
        query = query.where(JournalEntry.id.in_(select(JournalLine.entry_id).where(*line_filters)))
    return query.order_by(JournalEntry.entry_date, JournalEntry.id)


def journal(session: Session, filters: JournalFilters | None = None) -> list[JournalEntry]:
    """The entries that match `filters`, in book order, with their lines."""
    return list(session.scalars(journal_query(filters)))


def unbalanced_entries(session: Session) -> list[int]:
    """Entries whose lines do not add up to their total and count: none, unless someone wrote
    past the service on SQLite (which checks lines as they come, not at commit) — or a bug."""
    sums = (
        select(
            JournalLine.entry_id,
            func.sum(JournalLine.debit_cents).label("debits"),
            func.sum(JournalLine.credit_cents).label("credits"),
            func.count().label("lines"),
        )
        .group_by(JournalLine.entry_id)
        .subquery()
    )
    query = (
        select(JournalEntry.id)
        .outerjoin(sums, sums.c.entry_id == JournalEntry.id)
        .where(
            (func.coalesce(sums.c.debits, 0) != JournalEntry.total_cents)
            | (func.coalesce(sums.c.credits, 0) != JournalEntry.total_cents)
            | (func.coalesce(sums.c.lines, 0) != JournalEntry.line_count)
        )
        .order_by(JournalEntry.id)
    )
    return list(session.scalars(query))


def entry_of(session: Session, source: EntrySource, source_id: int) -> JournalEntry | None:
    """The entry an event posted, if any."""
    return session.scalar(
        select(JournalEntry).where(
            JournalEntry.source == source, JournalEntry.source_id == source_id
        )
    )


# --- The admin screens and API: the journal newest first, balances per third party ------------

# The auxiliary accounts: each line names its company, provider or programme.
THIRD_PARTY_ACCOUNTS = (CLIENTS, SUBSIDIES_COMMITTED, SUBSIDIES_CLAIMED, PROVIDERS)


def journal_newest_first(filters: JournalFilters | None = None) -> Select[JournalEntry]:
    """The entries of `filters` for a screen: newest first (date, then posting order)."""
    return (
        journal_query(filters)
        .order_by(None)
        .order_by(JournalEntry.entry_date.desc(), JournalEntry.id.desc())
    )


@dataclass(frozen=True)
class ThirdPartyBalance:
    """What one company, provider or programme moved on an auxiliary account."""

    account: str
    kind: str  # "company", "provider", "programme", or "" for a line without a third party
    third_party_id: int | None
    name: str
    debit_cents: int
    credit_cents: int

    @property
    def balance_cents(self) -> int:
        return self.debit_cents - self.credit_cents


def third_party_balances(
    session: Session, until: date | None = None
) -> dict[str, list[ThirdPartyBalance]]:
    """Per auxiliary account (411, 4687, 441, 467) that has lines up to `until`: debits,
    credits and balance of each third party, by name."""
    query = (
        select(
            JournalLine.account,
            JournalLine.company_id,
            JournalLine.provider_id,
            JournalLine.programme_id,
            func.coalesce(func.sum(JournalLine.debit_cents), 0),
            func.coalesce(func.sum(JournalLine.credit_cents), 0),
        )
        .join(JournalEntry)
        .where(JournalLine.account.in_(THIRD_PARTY_ACCOUNTS))
        .group_by(
            JournalLine.account,
            JournalLine.company_id,
            JournalLine.provider_id,
            JournalLine.programme_id,
        )
    )
    if until is not None:
        query = query.where(JournalEntry.entry_date <= until)
    rows = session.execute(query).all()
    names = {
        kind: {
            party_id: name
            for party_id, name in session.execute(
                select(model.id, model.name).where(model.id.in_(ids))
            )
        }
        for kind, model, ids in (
            ("company", Company, {row[1] for row in rows if row[1] is not None}),
            ("provider", Provider, {row[2] for row in rows if row[2] is not None}),
            ("programme", SubsidyProgramme, {row[3] for row in rows if row[3] is not None}),
        )
        if ids
    }
    balances: dict[str, list[ThirdPartyBalance]] = {}
    for account, company_id, provider_id, programme_id, debit, credit in rows:
        kind, party_id = next(
            (
                (k, i)
                for k, i in (
                    ("company", company_id),
                    ("provider", provider_id),
                    ("programme", programme_id),
                )
                if i is not None
            ),
            ("", None),
        )
        name = names.get(kind, {}).get(party_id, "") if party_id is not None else ""
        balances.setdefault(account, []).append(
            ThirdPartyBalance(account, kind, party_id, name, int(debit), int(credit))
        )
    for parties in balances.values():
        parties.sort(key=lambda p: (p.name.casefold(), p.kind, p.third_party_id or 0))
    return {code: balances[code] for code in THIRD_PARTY_ACCOUNTS if code in balances}


def source_invoices(session: Session, entries: Sequence[JournalEntry]) -> dict[int, int]:
    """The invoice whose page documents each entry (its own, or the one its credit note
    cancels), by entry id; entries of other events are left out."""
    found = {
        entry.id: entry.source_id for entry in entries if entry.source == EntrySource.INVOICE_ISSUED
    }
    notes = {
        entry.id: entry.source_id
        for entry in entries
        if entry.source == EntrySource.CREDIT_NOTE_ISSUED
    }
    if notes:
        invoice_of = {
            note_id: invoice_id
            for note_id, invoice_id in session.execute(
                select(CreditNote.id, CreditNote.invoice_id).where(
                    CreditNote.id.in_(notes.values())
                )
            )
        }
        found |= {
            entry_id: invoice_of[note_id]
            for entry_id, note_id in notes.items()
            if note_id in invoice_of
        }
    return found


def entry_years(session: Session) -> list[int]:
    """The years from the first entry's to the last one's, latest first (none: empty)."""
    first, last = session.execute(
        select(func.min(JournalEntry.entry_date), func.max(JournalEntry.entry_date))
    ).one()
    if first is None or last is None:
        return []
    return list(range(last.year, first.year - 1, -1))
