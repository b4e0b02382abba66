"""Invoices and credit notes: issue them from the frozen agreement, number them without gaps.

The platform issues each invoice in the name and on behalf of the provider (billing mandate):
one invoice per confirmed booking, built only from the agreement frozen at quote acceptance
(never from the live offer), numbered `F-<year>-<n>` per provider and per year, and a credit
note (`A-<year>-<n>`, its own series) to cancel one. Numbers come from a counter row raised in
the issuing transaction (`allocate_number`), so a rollback gives the number back: no gap, no
duplicate (DESIGN §3 rule 6).

The functions flush and never commit: the caller owns the transaction. Each document posts its
journal entry (`billing.ledger`) in the same savepoint, so no invoice is without its entry.

Decisions where the issue is silent (each one has a test):
- Who issues: the provider's members, or nobody (`actor` None, "the system") when the provider
  chose automatic invoicing; `auto_invoice` is the call for the confirmation to make. Admins do
  not issue invoices; they may issue a credit note (a settled dispute), as the provider may.
- Issuing commits the booking's reserved subsidies (reserved → committed); their amounts must be
  the agreement's, programme by programme, or nothing is issued.
- A credit note cancels its invoice in full and releases the committed subsidies (their budget
  and the company's allowances come back, and they leave the de minimis ledger): the sale is
  undone, so no programme pays for it. It is refused while a subsidy is claimed or paid: that
  claim is settled with the administrators first. The booking cannot be invoiced again.
- Dates are French dates (Europe/Paris): the service ran from the quote's start (if any) to the
  day the provider marked it delivered; the due date is `payment_days` after the issue date.
- The buyer's VAT number is derived from its SIREN (the agreement froze no other).
- VAT at 0 % states "TVA non applicable, art. 293 B du CGI" when the provider has no VAT number
  (franchise en base), otherwise a generic exemption; offers do not record the legal ground yet.
- The payment reference is an ISO 11649 creditor reference (RF…), unique platform-wide.
- A free booking (a volunteer's session) has nothing to invoice: refused.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from marketplace.accounts.models import User
from marketplace.accounts.parties import own_rows
from marketplace.audit import record_event
from marketplace.billing.claims import claims_of_invoice, open_claims
from marketplace.billing.invoice_models import (
    CREDIT_NOTE_SERIES,
    INVOICE_SERIES,
    CreditNote,
    Invoice,
    InvoiceCounter,
    InvoiceLine,
    InvoiceStatus,
    InvoiceSubsidy,
    InvoiceTax,
)
from marketplace.billing.ledger import record_credit_note, record_invoice_issued
from marketplace.billing.locks import lock_row
from marketplace.billing.models import AllocationStatus, SubsidyAllocation, SubsidyProgramme
from marketplace.billing.money import format_euros, vat_amount
from marketplace.billing.payments import refunds_for_credit_note
from marketplace.bookings.lifecycle import State
from marketplace.bookings.models import Booking
from marketplace.clock import PARIS
from marketplace.dbtypes import utcnow
from marketplace.errors import Conflict, Forbidden, NotFound, ValidationFailed
from marketplace.identifiers import french_vat_number, is_valid_siren

PLATFORM_NAME = "Croissance Connectée"

REASON_MIN, REASON_MAX = 3, 2000

# UN/ECE recommendation 20 unit codes and the French word printed for each pricing unit.
UNITS: dict[str, tuple[str, str]] = {
    "fixed": ("C62", "forfait"),
    "per_day": ("DAY", "jour"),
    "per_hour": ("HUR", "heure"),
    "per_month": ("MON", "mois"),
    "per_session": ("C62", "séance"),
}


# --- Terms (settings) ----------------------------------------------------------------------


@dataclass(frozen=True)
class InvoiceTerms:
    """What the settings decide on every invoice; frozen on it at issue."""

    payment_days: int = 30
    legal_interest_rate_bp: int = 276  # 2.76 %: second half of 2025, other cases
    recovery_indemnity_cents: int = 40_00  # Code de commerce D441-5

    @property
    def late_penalty_rate_bp(self) -> int:
        """Three times the legal interest rate, the floor of Code de commerce L441-10."""
        return 3 * self.legal_interest_rate_bp


def invoice_terms(config: Mapping[str, Any]) -> InvoiceTerms:
    """The terms from the app's settings (INVOICE_PAYMENT_DAYS, LEGAL_INTEREST_RATE_BP)."""
    return InvoiceTerms(
        payment_days=int(config.get("INVOICE_PAYMENT_DAYS", 30)),
        legal_interest_rate_bp=int(config.get("LEGAL_INTEREST_RATE_BP", 276)),
    )


# --- Numbers and references (pure) ---------------------------------------------------------


def document_number(series: str, year: int, sequence: int) -> str:
    """F-2026-000123: the series letter, the year, the number within both."""
    return f"{series}-{year}-{sequence:06d}"


def _rf_check_digits(body: str) -> str:
    digits = "".join(str(int(char, 36)) for char in body + "RF00")
    return f"{98 - int(digits) % 97:02d}"


def payment_reference(provider_id: int, year: int, sequence: int) -> str:
    """An ISO 11649 creditor reference (RF + 2 check digits + our body), unique on the
    platform since the body holds the provider, the year and the invoice number."""
    body = f"CC{provider_id:06d}{year}{sequence:06d}"
    return f"RF{_rf_check_digits(body)}{body}"


def is_valid_rf_reference(reference: str) -> bool:
    """The ISO 11649 check: the reference read with its first four characters last, mod 97, is 1."""
    text = reference.replace(" ", "").upper()
    if not (5 <= len(text) <= 25 and text.startswith("RF") and text.isalnum()):
        return False
    rotated = text[4:] + text[:4]
    return int("".join(str(int(char, 36)) for char in rotated)) % 97 == 1


def percent_text(bp: int) -> str:
    """Basis points as a French percentage: 2000 → "20 %", 550 → "5,5 %", 828 → "8,28 %"."""
    whole, rest = divmod(bp, 100)
    text = str(whole) if not rest else f"{whole},{rest:02d}".rstrip("0")
    return text + "\u00a0%"


def french_date(day: date) -> str:
    return day.strftime("%d/%m/%Y")


# --- The draft: everything an invoice says, computed from the agreement (pure) --------------


class AgreementMismatch(Conflict):
    """The frozen agreement does not add up (or no longer matches its subsidies): no invoice."""


@dataclass(frozen=True)
class LineDraft:
    description: str
    detail: str
    quantity: int
    unit_code: str
    unit_label: str
    unit_price_excl_vat_cents: int
    vat_rate_bp: int

    @property
    def total_excl_vat_cents(self) -> int:
        return self.quantity * self.unit_price_excl_vat_cents


@dataclass(frozen=True)
class TaxDraft:
    vat_rate_bp: int
    base_cents: int
    vat_cents: int
    category_code: str  # EN 16931: S (standard or reduced rate), E (exempt)
    exemption_reason: str = ""


@dataclass(frozen=True)
class SubsidyDraft:
    programme_code: str
    programme_name: str
    funder: str
    applied_rate_bp: int
    amount_cents: int


@dataclass(frozen=True)
class InvoiceDraft:
    """An invoice before its number: identities, dates, lines, VAT per rate, the split."""

    seller_name: str
    seller_siren: str
    seller_siret: str
    seller_vat_number: str | None
    buyer_name: str
    buyer_siren: str
    buyer_vat_number: str | None
    buyer_department_code: str
    issue_date: date
    service_start: date
    service_end: date
    due_date: date
    lines: tuple[LineDraft, ...]
    taxes: tuple[TaxDraft, ...]
    subsidies: tuple[SubsidyDraft, ...]
    total_excl_vat_cents: int
    total_vat_cents: int
    total_incl_vat_cents: int
    subsidies_cents: int
    company_share_cents: int
    late_penalty_rate_bp: int
    recovery_indemnity_cents: int
    mentions: tuple[dict[str, str], ...]  # {"code": UNTDID 4451 subject, "text": as printed}


def taxes_of(lines: Sequence[LineDraft], seller_has_vat_number: bool) -> tuple[TaxDraft, ...]:
    """VAT per rate on the invoice's base at that rate, rounded half-up (DESIGN §3 rule 2)."""
    bases: dict[int, int] = {}
    for line in lines:
        bases[line.vat_rate_bp] = bases.get(line.vat_rate_bp, 0) + line.total_excl_vat_cents
    taxes = []
    for rate, base in sorted(bases.items()):
        if rate:
            taxes.append(TaxDraft(rate, base, vat_amount(base, rate), "S"))
        else:
            reason = (
                "Exonération de TVA"
                if seller_has_vat_number
                else "TVA non applicable, art. 293 B du CGI"
            )
            taxes.append(TaxDraft(rate, base, 0, "E", reason))
    return tuple(taxes)


def service_period(
    quote_start: date | None, quote_end: date | None, delivered_on: date | None, issue_date: date
) -> tuple[date, date]:
    """When the service ran: from the quote's start to delivery (the quote's end, or the issue
    date, when the booking never recorded a delivery); a start after the end is the end."""
    end = delivered_on or quote_end or issue_date
    start = quote_start if quote_start is not None and quote_start <= end else end
    return start, end


def mentions_for(
    seller_name: str,
    taxes: Sequence[TaxDraft],
    due_date: date,
    terms: InvoiceTerms,
) -> tuple[dict[str, str], ...]:
    """The legal mentions, worded as printed (French: invoices are French legal documents),
    each with its UNTDID 4451 subject code, as Factur-X notes carry them (PMD, PMT and AAB
    are the ones French rules require)."""
    indemnity = format_euros(terms.recovery_indemnity_cents, "fr")
    mentions = [
        (
            "REG",
            f"Facture émise par {PLATFORM_NAME} au nom et pour le compte de {seller_name}"
            " (mandat de facturation).",
        ),
        ("AAI", "Nature de l'opération : prestation de services."),
        *(("AAI", tax.exemption_reason + ".") for tax in taxes if tax.exemption_reason),
        (
            "AAI",
            f"Date d'échéance : {french_date(due_date)} (paiement à {terms.payment_days} jours"
            " à compter de la date d'émission).",
        ),
        ("AAB", "Pas d'escompte pour paiement anticipé."),
        (
            "PMD",
            "En cas de retard de paiement, pénalités au taux annuel de "
            f"{percent_text(terms.late_penalty_rate_bp)} (trois fois le taux d'intérêt légal), "
            "exigibles le jour suivant la date d'échéance (art. L441-10 du Code de commerce).",
        ),
        (
            "PMT",
            f"Indemnité forfaitaire pour frais de recouvrement en cas de retard de paiement : "
            f"{indemnity} (art. D441-5 du Code de commerce).",
        ),
    ]
    return tuple({"code": code, "text": text} for code, text in mentions)


def _int(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise AgreementMismatch(str(_l("The agreement of this booking is incomplete.")))
    return value


def _day(value: object) -> date | None:
    return date.fromisoformat(value) if isinstance(value, str) and value else None


def draft_invoice(
    agreement: Mapping[str, Any],
    issue_date: date,
    delivered_on: date | None,
    terms: InvoiceTerms,
) -> InvoiceDraft:
    """Everything the invoice says, from the frozen agreement alone; refuses one that does not
    add up (its line against its split, its subsidies and share against its total)."""
    try:
        offer, quote, split = agreement["offer"], agreement["quote"], agreement["split"]
        company, provider = agreement["company"], agreement["provider"]
    except (KeyError, TypeError) as missing:
        raise AgreementMismatch(
            str(_l("The agreement of this booking is incomplete."))
        ) from missing
    code, label = UNITS.get(str(offer.get("pricing_unit")), ("C62", "unité"))
    line = LineDraft(
        description=str(offer["title"]),
        detail=str(offer.get("summary") or ""),
        quantity=_int(quote["quantity"]),
        unit_code=code,
        unit_label=label,
        unit_price_excl_vat_cents=_int(quote["unit_price_cents"]),
        vat_rate_bp=_int(quote["vat_rate_bp"]),
    )
    lines = (line,)
    seller_vat = provider.get("vat_number") or None
    taxes = taxes_of(lines, seller_vat is not None)
    excl = sum(item.total_excl_vat_cents for item in lines)
    vat = sum(tax.vat_cents for tax in taxes)
    incl = excl + vat
    subsidies = tuple(
        SubsidyDraft(
            programme_code=str(item["programme_code"]),
            programme_name=str(item["programme_name"]),
            funder=str(item["funder"]),
            applied_rate_bp=_int(item["applied_rate_bp"]),
            amount_cents=_int(item["amount_cents"]),
        )
        for item in split["lines"]
        if _int(item["amount_cents"]) > 0
    )
    subsidised = sum(item.amount_cents for item in subsidies)
    share = incl - subsidised
    frozen = (
        _int(split["excl_vat_cents"]),
        _int(split["vat_cents"]),
        _int(split["incl_vat_cents"]),
        _int(split["subsidies_cents"]),
        _int(split["company_share_cents"]),
    )
    if frozen != (excl, vat, incl, subsidised, share) or share < 0:
        raise AgreementMismatch(
            str(_l("The agreement's amounts do not add up: this booking cannot be invoiced."))
        )
    start, end = service_period(
        _day(quote.get("start")), _day(quote.get("end")), delivered_on, issue_date
    )
    due = issue_date + timedelta(days=terms.payment_days)
    siret = str(provider["siret"])
    siren = str(company["siren"])
    return InvoiceDraft(
        seller_name=str(provider["name"]),
        seller_siren=siret[:9],
        seller_siret=siret,
        seller_vat_number=seller_vat,
        buyer_name=str(company["name"]),
        buyer_siren=siren,
        buyer_vat_number=french_vat_number(siren) if is_valid_siren(siren) else None,
        buyer_department_code=str(company.get("department") or ""),
        issue_date=issue_date,
        service_start=start,
        service_end=end,
        due_date=due,
        lines=lines,
        taxes=taxes,
        subsidies=subsidies,
        total_excl_vat_cents=excl,
        total_vat_cents=vat,
        total_incl_vat_cents=incl,
        subsidies_cents=subsidised,
        company_share_cents=share,
        late_penalty_rate_bp=terms.late_penalty_rate_bp,
        recovery_indemnity_cents=terms.recovery_indemnity_cents,
        mentions=mentions_for(str(provider["name"]), taxes, due, terms),
    )


# --- Numbering -----------------------------------------------------------------------------


def allocate_number(session: Session, provider_id: int, series: str, year: int) -> int:
    """The next number of the series, taken in the caller's transaction.

    `UPDATE … SET last_number = last_number + 1 … RETURNING` locks the counter row until the
    transaction ends (PostgreSQL: other issuers of that provider wait; SQLite: the write takes
    the database lock), and a rollback undoes it: numbers are 1, 2, 3… without gaps. The first
    number of a year inserts the row first (`ON CONFLICT DO NOTHING`: two first issuers at once
    both end up raising the one row).
    """
    bump = (
        update(InvoiceCounter)
        .where(
            InvoiceCounter.provider_id == provider_id,
            InvoiceCounter.series == series,
            InvoiceCounter.year == year,
        )
        .values(last_number=InvoiceCounter.last_number + 1)
        .returning(InvoiceCounter.last_number)
        .execution_options(synchronize_session=False)
    )
    number = session.execute(bump).scalar_one_or_none()
    if number is not None:
        return int(number)
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    session.execute(
        insert(InvoiceCounter)
        .values(provider_id=provider_id, series=series, year=year, last_number=0)
        .on_conflict_do_nothing()
    )
    return int(session.execute(bump).scalar_one())


# --- Who may see and issue ------------------------------------------------------------------


def _is_provider_member(actor: User, provider_id: int) -> bool:
    return actor.provider is not None and actor.provider.id == provider_id


def _is_party(actor: User, provider_id: int, company_id: int) -> bool:
    return (
        actor.is_admin
        or _is_provider_member(actor, provider_id)
        or (actor.company is not None and actor.company.id == company_id)
    )


def invoice_for(session: Session, actor: User, invoice_id: int) -> Invoice:
    """The invoice if the actor is its provider's or company's member, or an admin; anyone
    else is told it does not exist."""
    invoice = session.get(Invoice, invoice_id)
    if invoice is None or not _is_party(actor, invoice.provider_id, invoice.company_id):
        raise NotFound(str(_l("No such invoice.")))
    return invoice


def credit_note_for(session: Session, actor: User, credit_note_id: int) -> CreditNote:
    """The credit note, on the same terms as its invoice."""
    note = session.get(CreditNote, credit_note_id)
    if note is None or not _is_party(actor, note.provider_id, note.company_id):
        raise NotFound(str(_l("No such credit note.")))
    return note


def invoices_of(actor: User, status: InvoiceStatus | None = None) -> Select[Invoice]:
    """The actor's invoices (its provider's or its company's; all of them for admins), newest
    first."""
    query = select(Invoice).order_by(Invoice.issue_date.desc(), Invoice.id.desc())
    query = own_rows(query, actor, Invoice.company_id, Invoice.provider_id)
    if status is not None:
        query = query.where(Invoice.status == status)
    return query


def invoice_of_booking(session: Session, booking: Booking) -> Invoice | None:
    return session.scalar(select(Invoice).where(Invoice.booking_id == booking.id))


# --- Issuing ---------------------------------------------------------------------------------


def _delivered_on(booking: Booking) -> date | None:
    return booking.delivered_at.astimezone(PARIS).date() if booking.delivered_at else None


def _commit_allocations(
    session: Session,
    actor: User | None,
    booking: Booking,
    subsidies: Sequence[SubsidyDraft],
) -> list[SubsidyAllocation]:
    """Move the booking's reserved subsidies to committed; they must be the agreement's."""
    reserved = session.execute(
        select(SubsidyAllocation, SubsidyProgramme.code)
        .join(SubsidyProgramme)
        .where(SubsidyAllocation.booking_id == booking.id)
        .where(SubsidyAllocation.status == AllocationStatus.RESERVED)
    ).all()
    by_code = {code: allocation for allocation, code in reserved}
    expected = {s.programme_code: s.amount_cents for s in subsidies}
    if {code: a.amount_cents for code, a in by_code.items()} != expected:
        raise AgreementMismatch(
            str(_l("The subsidies reserved for this booking no longer match its agreement."))
        )
    ordered = [by_code[s.programme_code] for s in subsidies]
    for subsidy, allocation in zip(subsidies, ordered, strict=True):
        allocation.status = AllocationStatus.COMMITTED
        record_event(
            session,
            actor,
            "subsidy.committed",
            "allocation",
            allocation.id,
            booking_id=booking.id,
            programme=subsidy.programme_code,
            company_id=allocation.company_id,
            amount_cents=allocation.amount_cents,
        )
    return ordered


def issue_invoice(
    session: Session,
    actor: User | None,
    booking: Booking,
    today: date,
    terms: InvoiceTerms | None = None,
) -> Invoice:
    """Issue the invoice of a confirmed booking: numbered, its subsidies committed, audited.

    `actor` is a member of the booking's provider, or None for the automatic invoice of a
    provider that chose it. Refuses (Conflict) a booking that is not confirmed or already
    invoiced; a refusal leaves nothing behind (not even a number).
    """
    terms = terms or InvoiceTerms()
    if actor is None:
        if not booking.provider.auto_invoice:
            raise Forbidden(str(_l("This provider issues its invoices itself.")))
    elif not _is_provider_member(actor, booking.provider_id):
        raise Forbidden(str(_l("Only the provider's members can issue its invoices.")))

    lock_row(session, Booking, booking.id)  # one issuer per booking; see its latest state
    session.refresh(booking)
    savepoint = session.begin_nested()
    try:
        invoice = _issue(session, actor, booking, today, terms)
    except IntegrityError as error:  # another issuer got there first (the unique booking)
        savepoint.rollback()
        raise Conflict(str(_l("This booking is already invoiced."))) from error
    except BaseException:
        savepoint.rollback()
        raise
    savepoint.commit()
    return invoice


def _issue(
    session: Session, actor: User | None, booking: Booking, today: date, terms: InvoiceTerms
) -> Invoice:
    if booking.state != State.CONFIRMED or booking.agreement is None:
        raise Conflict(str(_l("Only a confirmed booking can be invoiced.")))
    if invoice_of_booking(session, booking) is not None:
        raise Conflict(str(_l("This booking is already invoiced.")))
    draft = draft_invoice(booking.agreement, today, _delivered_on(booking), terms)
    if draft.total_incl_vat_cents == 0:
        raise Conflict(str(_l("This service was free: there is nothing to invoice.")))
    allocations = _commit_allocations(session, actor, booking, draft.subsidies)
    session.flush()

    # The number last: its counter row stays locked only from here to the commit, so
    # everything else is written before.
    sequence = allocate_number(session, booking.provider_id, INVOICE_SERIES, today.year)
    invoice = Invoice(
        provider_id=booking.provider_id,
        company_id=booking.company_id,
        booking_id=booking.id,
        series=INVOICE_SERIES,
        year=today.year,
        sequence=sequence,
        number=document_number(INVOICE_SERIES, today.year, sequence),
        status=InvoiceStatus.ISSUED,
        issue_date=today,
        issued_at=utcnow(),
        issued_by_id=actor.id if actor else None,
        service_start=draft.service_start,
        service_end=draft.service_end,
        due_date=draft.due_date,
        currency="EUR",
        booking_reference=booking.reference,
        seller_name=draft.seller_name,
        seller_siren=draft.seller_siren,
        seller_siret=draft.seller_siret,
        seller_vat_number=draft.seller_vat_number,
        buyer_name=draft.buyer_name,
        buyer_siren=draft.buyer_siren,
        buyer_vat_number=draft.buyer_vat_number,
        buyer_department_code=draft.buyer_department_code,
        total_excl_vat_cents=draft.total_excl_vat_cents,
        total_vat_cents=draft.total_vat_cents,
        total_incl_vat_cents=draft.total_incl_vat_cents,
        subsidies_cents=draft.subsidies_cents,
        company_share_cents=draft.company_share_cents,
        payment_reference=payment_reference(booking.provider_id, today.year, sequence),
        late_penalty_rate_bp=draft.late_penalty_rate_bp,
        recovery_indemnity_cents=draft.recovery_indemnity_cents,
        mentions=list(draft.mentions),
    )
    invoice.lines = [
        InvoiceLine(
            position=position,
            description=line.description,
            detail=line.detail,
            quantity=line.quantity,
            unit_code=line.unit_code,
            unit_label=line.unit_label,
            unit_price_excl_vat_cents=line.unit_price_excl_vat_cents,
            vat_rate_bp=line.vat_rate_bp,
            total_excl_vat_cents=line.total_excl_vat_cents,
        )
        for position, line in enumerate(draft.lines, start=1)
    ]
    invoice.taxes = [
        InvoiceTax(
            vat_rate_bp=tax.vat_rate_bp,
            base_cents=tax.base_cents,
            vat_cents=tax.vat_cents,
            category_code=tax.category_code,
            exemption_reason=tax.exemption_reason,
        )
        for tax in draft.taxes
    ]
    invoice.subsidies = [
        InvoiceSubsidy(
            position=position,
            allocation_id=allocation.id,
            programme_id=allocation.programme_id,
            programme_code=subsidy.programme_code,
            programme_name=subsidy.programme_name,
            funder=subsidy.funder,
            applied_rate_bp=subsidy.applied_rate_bp,
            amount_cents=subsidy.amount_cents,
        )
        for position, (subsidy, allocation) in enumerate(
            zip(draft.subsidies, allocations, strict=True), start=1
        )
    ]
    session.add(invoice)
    session.flush()
    record_invoice_issued(session, invoice)
    record_event(
        session,
        actor,
        "invoice.issued",
        "invoice",
        invoice.id,
        number=invoice.number,
        booking_id=booking.id,
        provider_id=invoice.provider_id,
        company_id=invoice.company_id,
        total_incl_vat_cents=invoice.total_incl_vat_cents,
        subsidies_cents=invoice.subsidies_cents,
        company_share_cents=invoice.company_share_cents,
    )
    session.flush()
    if invoice.company_share_cents == 0:  # nothing for the company to pay: claim at once
        open_claims(session, invoice, today)
    return invoice


def auto_invoice(
    session: Session, booking: Booking, today: date, terms: InvoiceTerms | None = None
) -> Invoice | None:
    """The invoice of a just-confirmed booking, when its provider chose automatic invoicing
    (None otherwise); for the confirmation to call in its own transaction."""
    if not booking.provider.auto_invoice or booking.state != State.CONFIRMED:
        return None
    if invoice_of_booking(session, booking) is not None:
        return None
    return issue_invoice(session, None, booking, today, terms)


# --- Credit notes ----------------------------------------------------------------------------


def _release_committed(
    session: Session, actor: User, booking_id: int, allocations: Sequence[SubsidyAllocation]
) -> int:
    """Give the committed subsidies back to their programmes' budgets; the total released."""
    released = 0
    for allocation in allocations:
        session.execute(
            update(SubsidyProgramme)
            .where(SubsidyProgramme.id == allocation.programme_id)
            .values(allocated_cents=SubsidyProgramme.allocated_cents - allocation.amount_cents)
            .execution_options(synchronize_session=False)
        )
        session.expire(allocation.programme, ["allocated_cents"])
        allocation.status = AllocationStatus.RELEASED
        allocation.released_at = utcnow()
        released += allocation.amount_cents
        record_event(
            session,
            actor,
            "subsidy.released",
            "allocation",
            allocation.id,
            booking_id=booking_id,
            programme=allocation.programme.code,
            company_id=allocation.company_id,
            amount_cents=allocation.amount_cents,
        )
    return released


def credit_note_mentions(invoice: Invoice, reason: str) -> tuple[dict[str, str], ...]:
    mentions = (
        (
            "REG",
            f"Avoir émis par {PLATFORM_NAME} au nom et pour le compte de {invoice.seller_name}"
            " (mandat de facturation).",
        ),
        (
            "AAI",
            f"Annulation totale de la facture {invoice.number} du "
            f"{french_date(invoice.issue_date)}.",
        ),
        ("AAI", f"Motif : {reason}"),
    )
    return tuple({"code": code, "text": text} for code, text in mentions)


def issue_credit_note(
    session: Session, actor: User, invoice: Invoice, reason: str, today: date
) -> CreditNote:
    """Cancel an issued invoice in full with a credit note of its provider's own series.

    A member of the invoice's provider or an admin issues it, with a reason. It releases the
    invoice's committed subsidies (the sale is undone); it is refused while one of them is
    claimed or paid. A refusal leaves nothing behind.
    """
    if not (actor.is_admin or _is_provider_member(actor, invoice.provider_id)):
        raise Forbidden(str(_l("Only the provider's members or an administrator can do this.")))
    text = reason.strip()
    if not REASON_MIN <= len(text) <= REASON_MAX:
        raise ValidationFailed(
            {
                "reason": [
                    str(
                        _l(
                            "Give a reason of %(min)d to %(max)d characters.",
                            min=REASON_MIN,
                            max=REASON_MAX,
                        )
                    )
                ]
            }
        )
    if today < invoice.issue_date:
        raise ValidationFailed(
            {"issue_date": [str(_l("A credit note cannot predate the invoice it cancels."))]}
        )

    lock_row(session, Invoice, invoice.id)
    savepoint = session.begin_nested()
    try:
        note = _credit(session, actor, invoice, text, today)
    except IntegrityError as error:  # the unique invoice: another credit note got there first
        savepoint.rollback()
        raise Conflict(str(_l("This invoice is already cancelled."))) from error
    except BaseException:
        savepoint.rollback()
        raise
    savepoint.commit()
    return note


def _credit(
    session: Session, actor: User, invoice: Invoice, reason: str, today: date
) -> CreditNote:
    # The conditional update is the lock: of two concurrent cancellations only one matches.
    cancelled_at = utcnow()
    done = session.execute(
        update(Invoice)
        .where(Invoice.id == invoice.id, Invoice.status == InvoiceStatus.ISSUED)
        .values(status=InvoiceStatus.CANCELLED, cancelled_at=cancelled_at)
        .execution_options(synchronize_session=False)
    )
    session.expire(invoice, ["status", "cancelled_at"])
    if done.rowcount != 1:  # type: ignore[attr-defined]
        raise Conflict(str(_l("This invoice is already cancelled.")))
    allocations = session.scalars(
        select(SubsidyAllocation)
        .where(SubsidyAllocation.booking_id == invoice.booking_id)
        .where(
            SubsidyAllocation.status.in_(
                (AllocationStatus.COMMITTED, AllocationStatus.CLAIMED, AllocationStatus.PAID)
            )
        )
        .order_by(SubsidyAllocation.programme_id)
    ).all()
    if claims_of_invoice(session, invoice) or any(
        a.status != AllocationStatus.COMMITTED for a in allocations
    ):
        raise Conflict(
            str(
                _l(
                    "A subsidy of this invoice is already claimed or paid: settle the claim "
                    "with the administrators before cancelling the invoice."
                )
            )
        )
    released = _release_committed(session, actor, invoice.booking_id, allocations)

    sequence = allocate_number(session, invoice.provider_id, CREDIT_NOTE_SERIES, today.year)
    note = CreditNote(
        provider_id=invoice.provider_id,
        company_id=invoice.company_id,
        invoice_id=invoice.id,
        series=CREDIT_NOTE_SERIES,
        year=today.year,
        sequence=sequence,
        number=document_number(CREDIT_NOTE_SERIES, today.year, sequence),
        issue_date=today,
        issued_at=cancelled_at,
        issued_by_id=actor.id,
        reason=reason,
        total_excl_vat_cents=invoice.total_excl_vat_cents,
        total_vat_cents=invoice.total_vat_cents,
        total_incl_vat_cents=invoice.total_incl_vat_cents,
        subsidies_cents=invoice.subsidies_cents,
        company_share_cents=invoice.company_share_cents,
        released_subsidies_cents=released,
        mentions=list(credit_note_mentions(invoice, reason)),
    )
    session.add(note)
    session.flush()
    record_credit_note(session, note)
    refunds_for_credit_note(session, note)  # what the company paid goes back to it
    record_event(
        session,
        actor,
        "credit_note.issued",
        "credit_note",
        note.id,
        number=note.number,
        invoice_id=invoice.id,
        invoice_number=invoice.number,
        reason=reason,
        total_incl_vat_cents=note.total_incl_vat_cents,
        released_subsidies_cents=released,
    )
    session.flush()
    return note
