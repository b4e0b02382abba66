"""Invoices and credit notes as services (no HTTP): the pure draft, numbering, the rules."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import func, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from marketplace import clock
from marketplace.accounts.models import User
from marketplace.audit import AuditEvent
from marketplace.billing import invoices
from marketplace.billing.invoice_models import (
    CreditNote,
    ImmutableDocument,
    Invoice,
    InvoiceCounter,
    InvoiceLine,
    InvoiceStatus,
    InvoiceTax,
)
from marketplace.billing.invoices import (
    AgreementMismatch,
    InvoiceTerms,
    allocate_number,
    auto_invoice,
    credit_note_for,
    document_number,
    draft_invoice,
    invoice_for,
    invoice_terms,
    invoices_of,
    is_valid_rf_reference,
    issue_credit_note,
    issue_invoice,
    payment_reference,
    percent_text,
    service_period,
    taxes_of,
)
from marketplace.billing.models import AllocationStatus, SubsidyAllocation, SubsidyProgramme
from marketplace.billing.money import vat_amount
from marketplace.billing.split import (
    BookingLine,
    CompanyFacts,
    OfferFacts,
    ProgrammeFacts,
    compute_split,
    split_as_dict,
)
from marketplace.bookings.lifecycle import State
from marketplace.bookings.models import Booking
from marketplace.catalog.models import Offer
from marketplace.errors import Conflict, Forbidden, NotFound, ValidationFailed
from marketplace.identifiers import french_vat_number, make_siren, make_siret
from tests.factories import admin_user, company_user, programme, provider_user, published_offer
from tests.invoicing import agreed_booking, confirmed_booking

TODAY = date.today()
TERMS = InvoiceTerms()


# --- Numbers and references -----------------------------------------------------------------


def test_numbers_read_series_year_and_six_digits() -> None:
    assert document_number("F", 2026, 123) == "F-2026-000123"
    assert document_number("A", 2026, 1) == "A-2026-000001"
    assert document_number("F", 2027, 1_234_567) == "F-2027-1234567"


@given(st.integers(1, 999_999), st.integers(2000, 9999), st.integers(1, 999_999), st.data())
def test_payment_references_are_valid_iso_11649_and_tell_documents_apart(
    provider_id: int, year: int, sequence: int, data: st.DataObject
) -> None:
    """Is every reference RF-valid, and does changing any part of it change it?"""
    reference = payment_reference(provider_id, year, sequence)
    assert is_valid_rf_reference(reference) and len(reference) <= 25
    other = data.draw(st.integers(1, 999_999).filter(lambda n: n != sequence))
    assert payment_reference(provider_id, year, other) != reference
    assert payment_reference(provider_id % 999_999 + 1, year, sequence) != reference


def test_a_mistyped_reference_fails_its_check_digits() -> None:
    reference = payment_reference(42, 2026, 123)
    assert is_valid_rf_reference(reference)
    assert is_valid_rf_reference(" ".join(reference[i : i + 4] for i in range(0, 24, 4)))
    swapped = reference[:-2] + reference[-1] + reference[-2]
    assert not is_valid_rf_reference(swapped)
    assert not is_valid_rf_reference(reference[:-1] + "9")
    assert not is_valid_rf_reference("XX" + reference[2:])
    # The standard's own example
    assert is_valid_rf_reference("RF18 5390 0754 7034")


def test_percentages_are_written_the_french_way() -> None:
    assert percent_text(2000) == "20\u00a0%"
    assert percent_text(550) == "5,5\u00a0%"
    assert percent_text(828) == "8,28\u00a0%"
    assert percent_text(0) == "0\u00a0%"


def test_the_penalty_rate_is_three_times_the_legal_rate_from_the_settings() -> None:
    terms = invoice_terms({"INVOICE_PAYMENT_DAYS": 45, "LEGAL_INTEREST_RATE_BP": 371})
    assert terms.payment_days == 45 and terms.late_penalty_rate_bp == 1113
    assert terms.recovery_indemnity_cents == 4000
    assert invoice_terms({}) == InvoiceTerms()


# --- VAT and dates --------------------------------------------------------------------------


def _line(quantity: int, unit_price: int, rate: int) -> invoices.LineDraft:
    return invoices.LineDraft("Service", "", quantity, "C62", "forfait", unit_price, rate)


def test_vat_is_per_rate_on_the_invoice_base_rounded_half_up() -> None:
    """Is VAT computed once per rate on the sum of the lines, not line by line?"""
    lines = [_line(1, 1_25, 2000), _line(1, 1_25, 2000), _line(3, 10_01, 550)]
    taxes = taxes_of(lines, seller_has_vat_number=True)
    assert [(t.vat_rate_bp, t.base_cents, t.vat_cents, t.category_code) for t in taxes] == [
        (550, 30_03, vat_amount(30_03, 550), "S"),  # 1.65165 → 1.65
        (2000, 2_50, 50, "S"),  # line by line: 0.25 + 0.25, the same here
    ]
    # 0.025 € of VAT rounds up to 0.03 €; two lines rounded alone would give 0.02 + 0.02
    halves = taxes_of([_line(1, 25, 1000), _line(1, 25, 1000)], True)
    assert halves[0].vat_cents == 5 and vat_amount(25, 1000) * 2 == 6


def test_zero_rate_states_its_exemption() -> None:
    (franchise,) = taxes_of([_line(1, 500_00, 0)], seller_has_vat_number=False)
    assert (franchise.category_code, franchise.vat_cents) == ("E", 0)
    assert franchise.exemption_reason == "TVA non applicable, art. 293 B du CGI"
    (exempt,) = taxes_of([_line(1, 500_00, 0)], seller_has_vat_number=True)
    assert exempt.category_code == "E" and exempt.exemption_reason == "Exonération de TVA"


def test_the_service_runs_from_the_quoted_start_to_delivery() -> None:
    d = date(2026, 3, 10)
    assert service_period(date(2026, 3, 1), date(2026, 3, 31), d, d) == (date(2026, 3, 1), d)
    # Delivered early, before the quoted start: the service is that one day
    assert service_period(date(2026, 3, 20), None, d, d) == (d, d)
    # No start quoted: the day of delivery
    assert service_period(None, None, d, date(2026, 4, 1)) == (d, d)
    # Never marked delivered: the quote's end, else the issue date
    assert service_period(None, date(2026, 3, 5), None, d) == (date(2026, 3, 5),) * 2
    assert service_period(None, None, None, d) == (d, d)


# --- The draft from an agreement (pure, property-based) --------------------------------------

SIREN = make_siren(4242)
PROVIDER_SIRET = make_siret(make_siren(4343), 1)


def agreement_for(split_value: object, quantity: int, unit_price: int, rate: int) -> dict:
    return {
        "offer": {"title": "Site vitrine", "summary": "Un site rapide", "pricing_unit": "per_day"},
        "quote": {
            "quantity": quantity,
            "unit_price_cents": unit_price,
            "vat_rate_bp": rate,
            "start": "2026-03-01",
            "end": "2026-03-20",
        },
        "split": split_value,
        "company": {"name": "Boulangerie", "siren": SIREN, "department": "33"},
        "provider": {
            "name": "Atelier",
            "siret": PROVIDER_SIRET,
            "vat_number": french_vat_number(PROVIDER_SIRET[:9]),
        },
    }


programmes_strategy = st.lists(
    st.builds(
        ProgrammeFacts,
        code=st.sampled_from(["national", "region", "europe", "city"]),
        name=st.just("Chèque"),
        funder=st.sampled_from(["state", "region", "eu"]),
        rate_bp=st.integers(0, 10_000),
        stacking_order=st.integers(0, 3),
        cap_per_booking_cents=st.none() | st.integers(0, 10**7),
        remaining_budget_cents=st.none() | st.integers(0, 10**7),
        max_aid_intensity_bp=st.none() | st.integers(0, 10_000),
    ),
    max_size=4,
    unique_by=lambda p: p.code,
)


@settings(max_examples=300, deadline=None)
@given(
    quantity=st.integers(1, 999),
    unit_price=st.integers(1, 10**8),
    rate=st.sampled_from([0, 550, 1000, 2000]),
    programmes=programmes_strategy,
)
def test_every_draft_splits_its_total_exactly(
    quantity: int, unit_price: int, rate: int, programmes: list[ProgrammeFacts]
) -> None:
    """Whatever the agreement, do subsidies + company share equal the total incl. VAT, exactly,
    with VAT half-up on the invoice's base and every amount the agreement's?"""
    line = BookingLine(unit_price, quantity, rate)
    split = compute_split(
        line,
        OfferFacts("online-presence", unit_price, "expert"),
        CompanyFacts("3-9", "75", "33"),
        programmes,
        date(2026, 3, 1),
    )
    draft = draft_invoice(
        agreement_for(split_as_dict(split), quantity, unit_price, rate), TODAY, None, TERMS
    )
    assert draft.total_excl_vat_cents == quantity * unit_price == split.excl_vat_cents
    assert draft.total_vat_cents == vat_amount(draft.total_excl_vat_cents, rate)
    assert draft.total_incl_vat_cents == draft.total_excl_vat_cents + draft.total_vat_cents
    assert draft.subsidies_cents == sum(s.amount_cents for s in draft.subsidies)
    assert draft.subsidies_cents + draft.company_share_cents == draft.total_incl_vat_cents
    assert draft.company_share_cents == split.company_share_cents >= 0
    assert all(s.amount_cents > 0 for s in draft.subsidies)
    assert [s.programme_code for s in draft.subsidies] == [
        s.programme_code for s in split.subsidised_lines
    ]
    assert sum(t.vat_cents for t in draft.taxes) == draft.total_vat_cents


def _split(unit_price: int = 400_000, rate: int = 2000) -> dict:
    national = ProgrammeFacts("national", "Chèque numérique", "state", 5000, 0)
    split = compute_split(
        BookingLine(unit_price, 1, rate),
        OfferFacts("online-presence", unit_price, "expert"),
        CompanyFacts("3-9", "75", "33"),
        [national],
        date(2026, 3, 1),
    )
    return split_as_dict(split)


def test_a_draft_carries_every_mention() -> None:
    agreement = agreement_for(_split(), 1, 400_000, 2000)
    draft = draft_invoice(agreement, date(2026, 4, 2), date(2026, 3, 25), TERMS)
    assert (draft.seller_siren, draft.seller_siret) == (PROVIDER_SIRET[:9], PROVIDER_SIRET)
    assert draft.seller_vat_number == french_vat_number(PROVIDER_SIRET[:9])
    assert draft.buyer_vat_number == french_vat_number(SIREN)
    assert (draft.service_start, draft.service_end) == (date(2026, 3, 1), date(2026, 3, 25))
    assert draft.due_date == date(2026, 5, 2)  # 30 days
    assert draft.lines[0].unit_code == "DAY" and draft.lines[0].unit_label == "jour"
    assert (draft.late_penalty_rate_bp, draft.recovery_indemnity_cents) == (828, 4000)
    by_code: dict[str, list[str]] = {}
    for mention in draft.mentions:
        by_code.setdefault(mention["code"], []).append(mention["text"])
    text = " ".join(m["text"] for m in draft.mentions)
    assert by_code["REG"] == [
        "Facture émise par Croissance Connectée au nom et pour le compte de Atelier"
        " (mandat de facturation)."
    ]
    assert "prestation de services" in text and "02/05/2026" in text
    # French rules: each of PMD (penalties), PMT (the 40 € indemnity), AAB (discount) once
    assert [len(by_code[code]) for code in ("PMD", "PMT", "AAB")] == [1, 1, 1]
    assert "8,28\u00a0%" in by_code["PMD"][0] and "40,00\u00a0€" in by_code["PMT"][0]
    assert "escompte" in by_code["AAB"][0]
    assert "293 B" not in text  # 20 % VAT: no exemption to state


def test_a_zero_rate_draft_states_the_exemption_and_the_terms_come_from_the_settings() -> None:
    agreement = agreement_for(_split(rate=0), 1, 400_000, 0)
    agreement["provider"]["vat_number"] = ""
    terms = InvoiceTerms(payment_days=45, legal_interest_rate_bp=371)
    draft = draft_invoice(agreement, date(2026, 4, 2), None, terms)
    assert draft.seller_vat_number is None and draft.total_vat_cents == 0
    assert {"code": "AAI", "text": "TVA non applicable, art. 293 B du CGI."} in draft.mentions
    assert draft.due_date == date(2026, 5, 17) and draft.late_penalty_rate_bp == 1113
    assert any("11,13\u00a0%" in m["text"] for m in draft.mentions if m["code"] == "PMD")


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (("split", "incl_vat_cents"), 480_001),
        (("split", "company_share_cents"), 279_999),
        (("split", "subsidies_cents"), 1),
        (("quote", "unit_price_cents"), 399_999),
        (("quote", "quantity"), 2),
        (("quote", "vat_rate_bp"), 1000),
        (("quote", "quantity"), "1"),
    ],
)
def test_an_agreement_that_does_not_add_up_is_refused(path: tuple[str, str], value: object) -> None:
    agreement = agreement_for(_split(), 1, 400_000, 2000)
    agreement[path[0]][path[1]] = value
    with pytest.raises(AgreementMismatch):
        draft_invoice(agreement, TODAY, None, TERMS)


def test_an_incomplete_agreement_is_refused() -> None:
    agreement = agreement_for(_split(), 1, 400_000, 2000)
    del agreement["provider"]
    with pytest.raises(AgreementMismatch):
        draft_invoice(agreement, TODAY, None, TERMS)


# --- Issuing (database) ---------------------------------------------------------------------


@pytest.fixture
def admin(session: Session) -> User:
    return admin_user(session)


@pytest.fixture
def expert(session: Session) -> User:
    return provider_user(session)


@pytest.fixture
def company(session: Session) -> User:
    return company_user(session, department="33", size_band="3-9")


@pytest.fixture
def national(session: Session, admin: User) -> SubsidyProgramme:
    return programme(session, admin, budget_cents=10**9)


@pytest.fixture
def offer(session: Session, admin: User, expert: User, national: SubsidyProgramme) -> Offer:
    return published_offer(session, expert, admin)  # 4,000 € excl. VAT at 20 %


def test_the_provider_issues_the_invoice_of_a_confirmed_booking(
    session: Session, expert: User, company: User, offer: Offer, national: SubsidyProgramme
) -> None:
    booking = confirmed_booking(session, company, expert, offer, TODAY)
    invoice = issue_invoice(session, expert, booking, TODAY)

    split = booking.agreement["split"]
    assert invoice.number == f"F-{TODAY.year}-000001" and invoice.sequence == 1
    assert invoice.status == InvoiceStatus.ISSUED and invoice.issued_by_id == expert.id
    assert (invoice.booking_id, invoice.booking_reference) == (booking.id, booking.reference)
    assert invoice.total_excl_vat_cents == split["excl_vat_cents"] == 400_000
    assert invoice.total_vat_cents == split["vat_cents"] == 80_000
    assert invoice.total_incl_vat_cents == split["incl_vat_cents"] == 480_000
    assert invoice.subsidies_cents == split["subsidies_cents"] == 200_000
    assert invoice.company_share_cents == split["company_share_cents"] == 280_000
    (line,) = invoice.lines
    assert (line.quantity, line.unit_price_excl_vat_cents, line.total_excl_vat_cents) == (
        1,
        400_000,
        400_000,
    )
    assert line.unit_label == "forfait" and line.description == offer.title
    ((tax),) = invoice.taxes
    assert (tax.vat_rate_bp, tax.base_cents, tax.vat_cents) == (2000, 400_000, 80_000)
    (subsidy,) = invoice.subsidies
    assert (subsidy.programme_name, subsidy.amount_cents) == ("Chèque numérique", 200_000)
    assert invoice.seller_siret == expert.provider.siret
    assert invoice.buyer_siren == company.company.siren
    assert invoice.due_date == TODAY + timedelta(days=30)
    assert invoice.service_end == TODAY  # delivered today
    assert is_valid_rf_reference(invoice.payment_reference)

    (allocation,) = session.scalars(select(SubsidyAllocation)).all()
    assert (
        allocation.status == AllocationStatus.COMMITTED and subsidy.allocation_id == allocation.id
    )
    session.refresh(national)
    assert national.allocated_cents == 200_000  # committed still holds the budget
    actions = [e.action for e in session.scalars(select(AuditEvent).order_by(AuditEvent.id))]
    assert actions[-2:] == ["subsidy.committed", "invoice.issued"]


def test_late_evening_utc_is_already_the_next_day_in_paris(
    session: Session, expert: User, company: User, offer: Offer
) -> None:
    # 23:30 UTC on 2 December is 00:30 on 3 December in Paris, on a server whose zone is UTC.
    with time_machine.travel(datetime(2026, 12, 2, 23, 30, tzinfo=ZoneInfo("UTC")), tick=False):
        assert date.today() == date(2026, 12, 2)
        today = clock.today()
        booking = confirmed_booking(session, company, expert, offer, today)
        invoice = issue_invoice(session, expert, booking, today)

    assert today == date(2026, 12, 3)
    assert invoice.issue_date == invoice.service_end == date(2026, 12, 3)  # delivered that night


def test_numbers_follow_each_other_per_provider_and_restart_each_year(
    session: Session, admin: User, expert: User, company: User, offer: Offer
) -> None:
    other = provider_user(session, name="Studio Web")
    other_offer = published_offer(session, other, admin)
    first = issue_invoice(
        session, expert, confirmed_booking(session, company, expert, offer, TODAY), TODAY
    )
    second = issue_invoice(
        session, expert, confirmed_booking(session, company, expert, offer, TODAY), TODAY
    )
    theirs = issue_invoice(
        session, other, confirmed_booking(session, company, other, other_offer, TODAY), TODAY
    )
    next_year = date(TODAY.year + 1, 1, 2)
    january = issue_invoice(
        session, expert, confirmed_booking(session, company, expert, offer, TODAY), next_year
    )
    assert [first.sequence, second.sequence, theirs.sequence, january.sequence] == [1, 2, 1, 1]
    assert january.number == f"F-{TODAY.year + 1}-000001"
    assert len({first.payment_reference, theirs.payment_reference, january.payment_reference}) == 3


def test_a_booking_that_is_not_confirmed_cannot_be_invoiced_and_uses_no_number(
    session: Session, expert: User, company: User, offer: Offer
) -> None:
    agreed = agreed_booking(session, company, expert, offer, TODAY)
    with pytest.raises(Conflict):
        issue_invoice(session, expert, agreed, TODAY)
    assert session.scalar(select(func.count()).select_from(Invoice)) == 0
    assert session.scalar(select(func.coalesce(func.max(InvoiceCounter.last_number), 0))) == 0
    (allocation,) = session.scalars(select(SubsidyAllocation)).all()
    assert allocation.status == AllocationStatus.RESERVED
    confirmed = confirmed_booking(session, company, expert, offer, TODAY)
    assert issue_invoice(session, expert, confirmed, TODAY).sequence == 1


def test_a_booking_is_invoiced_once(
    session: Session, expert: User, company: User, offer: Offer
) -> None:
    booking = confirmed_booking(session, company, expert, offer, TODAY)
    issue_invoice(session, expert, booking, TODAY)
    with pytest.raises(Conflict):
        issue_invoice(session, expert, booking, TODAY)
    assert session.scalar(select(InvoiceCounter.last_number)) == 1


def test_only_the_providers_members_issue_its_invoices(
    session: Session, admin: User, expert: User, company: User, offer: Offer
) -> None:
    """Can the company, an admin, another provider or the system issue the invoice? No."""
    booking = confirmed_booking(session, company, expert, offer, TODAY)
    stranger = provider_user(session, name="Autre Prestataire")
    for actor in (company, admin, stranger, None):
        with pytest.raises(Forbidden):
            issue_invoice(session, actor, booking, TODAY)
    assert invoices.invoice_of_booking(session, booking) is None


def test_automatic_invoicing_only_when_the_provider_chose_it(
    session: Session, expert: User, company: User, offer: Offer
) -> None:
    booking = confirmed_booking(session, company, expert, offer, TODAY)
    assert auto_invoice(session, booking, TODAY) is None
    expert.provider.auto_invoice = True
    invoice = auto_invoice(session, booking, TODAY)
    assert invoice is not None and invoice.issued_by_id is None and invoice.sequence == 1
    assert auto_invoice(session, booking, TODAY) is None  # already invoiced: nothing more
    agreed = agreed_booking(session, company, expert, offer, TODAY)
    assert auto_invoice(session, agreed, TODAY) is None  # not confirmed yet


def test_the_invoice_says_what_was_agreed_not_what_the_offer_says_now(
    session: Session, expert: User, company: User, offer: Offer
) -> None:
    booking = confirmed_booking(session, company, expert, offer, TODAY, unit_price_cents=350_000)
    title = offer.title
    offer.title, offer.price_excl_vat_cents, offer.vat_rate_bp = "Autre chose", 999_999, 1000
    expert.provider.name = "Nouveau nom"
    session.flush()
    invoice = issue_invoice(session, expert, booking, TODAY)
    assert invoice.lines[0].description == title
    assert invoice.lines[0].unit_price_excl_vat_cents == 350_000
    assert invoice.taxes[0].vat_rate_bp == 2000
    assert invoice.seller_name == "Atelier Numérique"
    assert invoice.total_incl_vat_cents == 420_000


def test_without_subsidy_the_company_pays_everything(
    session: Session, admin: User, company: User
) -> None:
    expert = provider_user(session)
    offer = published_offer(session, expert, admin, price_excl_vat_cents=123_45, vat_rate_bp=550)
    booking = confirmed_booking(session, company, expert, offer, TODAY, quantity=1)
    invoice = issue_invoice(session, expert, booking, TODAY)
    assert invoice.subsidies == [] and invoice.subsidies_cents == 0
    assert invoice.total_vat_cents == vat_amount(123_45, 550) == 6_79  # 6.78975 → 6.79
    assert invoice.company_share_cents == invoice.total_incl_vat_cents == 130_24


def test_subsidies_that_no_longer_match_the_agreement_stop_the_invoice(
    session: Session, expert: User, company: User, offer: Offer
) -> None:
    booking = confirmed_booking(session, company, expert, offer, TODAY)
    (allocation,) = session.scalars(select(SubsidyAllocation)).all()
    allocation.status = AllocationStatus.RELEASED
    session.flush()
    with pytest.raises(AgreementMismatch):
        issue_invoice(session, expert, booking, TODAY)
    assert session.scalar(select(func.count()).select_from(Invoice)) == 0


def test_a_free_session_has_nothing_to_invoice(session: Session, admin: User) -> None:
    volunteer = provider_user(session, kind="volunteer")
    company = company_user(session)
    offer = published_offer(session, volunteer, admin, price_excl_vat_cents=0)
    booking = confirmed_booking(session, company, volunteer, offer, TODAY)
    with pytest.raises(Conflict):
        issue_invoice(session, volunteer, booking, TODAY)


# --- No gaps ---------------------------------------------------------------------------------


def test_a_rolled_back_issue_gives_its_number_back(
    session: Session, expert: User, company: User, offer: Offer
) -> None:
    first = confirmed_booking(session, company, expert, offer, TODAY)
    second = confirmed_booking(session, company, expert, offer, TODAY)
    session.commit()
    assert issue_invoice(session, expert, first, TODAY).sequence == 1
    session.rollback()  # the request failed after issuing: nothing of it stays
    assert session.scalar(select(func.count()).select_from(Invoice)) == 0
    assert issue_invoice(session, expert, second, TODAY).number == f"F-{TODAY.year}-000001"
    session.commit()
    assert issue_invoice(session, expert, first, TODAY).sequence == 2


def test_a_failure_after_the_number_is_taken_leaves_no_gap(
    session: Session, expert: User, company: User, offer: Offer, monkeypatch: pytest.MonkeyPatch
) -> None:
    booking = confirmed_booking(session, company, expert, offer, TODAY)

    def broken(*args: object) -> str:
        raise RuntimeError("the disk is full")

    monkeypatch.setattr(invoices, "payment_reference", broken)
    with pytest.raises(RuntimeError):
        issue_invoice(session, expert, booking, TODAY)
    monkeypatch.undo()
    (allocation,) = session.scalars(select(SubsidyAllocation)).all()
    assert allocation.status == AllocationStatus.RESERVED  # the savepoint undid it all
    assert issue_invoice(session, expert, booking, TODAY).sequence == 1


def test_allocate_number_counts_each_series_on_its_own(session: Session, expert: User) -> None:
    provider_id = expert.provider.id
    assert [allocate_number(session, provider_id, "F", 2026) for _ in range(3)] == [1, 2, 3]
    assert allocate_number(session, provider_id, "A", 2026) == 1
    assert allocate_number(session, provider_id, "F", 2027) == 1
    assert allocate_number(session, provider_id, "F", 2026) == 4


# --- Issued means frozen ----------------------------------------------------------------------


def test_an_issued_invoice_never_changes(
    session: Session, expert: User, company: User, offer: Offer
) -> None:
    invoice = issue_invoice(
        session, expert, confirmed_booking(session, company, expert, offer, TODAY), TODAY
    )
    session.commit()
    changes = [
        lambda: setattr(invoice, "company_share_cents", 1),
        lambda: setattr(invoice, "buyer_name", "Autre"),
        lambda: setattr(invoice.lines[0], "quantity", 2),
        lambda: setattr(invoice.taxes[0], "vat_cents", 0),
        lambda: setattr(invoice.subsidies[0], "amount_cents", 1),
        lambda: session.delete(invoice.lines[0]),
        lambda: session.delete(invoice),
        lambda: invoice.lines.append(
            InvoiceLine(
                position=2,
                description="En plus",
                quantity=1,
                unit_code="C62",
                unit_label="forfait",
                unit_price_excl_vat_cents=1,
                vat_rate_bp=0,
                total_excl_vat_cents=1,
            )
        ),
    ]
    for change in changes:
        change()
        with pytest.raises(ImmutableDocument):
            session.flush()
        session.rollback()
    session.refresh(invoice)
    assert invoice.company_share_cents == 280_000 and len(invoice.lines) == 1


def test_the_database_refuses_totals_that_do_not_add_up(
    session: Session, expert: User, company: User, offer: Offer
) -> None:
    invoice = issue_invoice(
        session, expert, confirmed_booking(session, company, expert, offer, TODAY), TODAY
    )
    session.commit()
    row = {c.key: getattr(invoice, c.key) for c in Invoice.__table__.columns if c.key != "id"} | {
        "booking_id": invoice.booking_id,
        "sequence": 99,
        "number": "F-X",
        "payment_reference": "R",
    }
    broken = [
        {"company_share_cents": 280_001},  # shares + subsidies ≠ total
        {"total_incl_vat_cents": 480_001, "company_share_cents": 280_001},  # ≠ excl. + VAT
        {"company_share_cents": -1, "subsidies_cents": 480_001},
        {"sequence": 0},
        {"status": "cancelled"},  # cancelled needs its date
    ]
    for change in broken:
        booking = confirmed_booking(session, company, expert, offer, TODAY)
        session.commit()
        with pytest.raises(IntegrityError):
            session.execute(insert(Invoice).values(row | {"booking_id": booking.id} | change))
        session.rollback()
    with pytest.raises(IntegrityError):  # VAT not rounded half-up
        session.execute(
            insert(InvoiceTax).values(
                invoice_id=invoice.id,
                vat_rate_bp=550,
                base_cents=12345,
                vat_cents=678,
                category_code="S",
                exemption_reason="",
            )
        )
    session.rollback()
    with pytest.raises(IntegrityError):  # a line total that is not quantity × unit price
        session.execute(
            insert(InvoiceLine).values(
                invoice_id=invoice.id,
                position=2,
                description="x",
                detail="",
                quantity=2,
                unit_code="C62",
                unit_label="forfait",
                unit_price_excl_vat_cents=100,
                vat_rate_bp=2000,
                total_excl_vat_cents=201,
            )
        )
    session.rollback()
    with pytest.raises(IntegrityError):  # the same number twice
        session.execute(insert(Invoice).values(row | {"sequence": 1}))
    session.rollback()


# --- Credit notes ----------------------------------------------------------------------------


def test_a_credit_note_cancels_the_invoice_and_releases_its_subsidies(
    session: Session, expert: User, company: User, offer: Offer, national: SubsidyProgramme
) -> None:
    booking = confirmed_booking(session, company, expert, offer, TODAY)
    invoice = issue_invoice(session, expert, booking, TODAY)
    note = issue_credit_note(
        session, expert, invoice, "  Prestation annulée d'un commun accord ", TODAY
    )

    assert note.number == f"A-{TODAY.year}-000001" and note.invoice_id == invoice.id
    assert note.reason == "Prestation annulée d'un commun accord"
    assert invoice.status == InvoiceStatus.CANCELLED and invoice.cancelled_at is not None
    assert invoice.credit_note is note
    for name in ("total_excl_vat_cents", "total_vat_cents", "total_incl_vat_cents"):
        assert getattr(note, name) == getattr(invoice, name)
    assert (note.subsidies_cents, note.company_share_cents) == (200_000, 280_000)
    assert note.released_subsidies_cents == 200_000
    assert any(invoice.number in m["text"] for m in note.mentions)
    (allocation,) = session.scalars(select(SubsidyAllocation)).all()
    assert allocation.status == AllocationStatus.RELEASED and allocation.released_at
    session.refresh(national)
    assert national.allocated_cents == 0
    actions = [e.action for e in session.scalars(select(AuditEvent).order_by(AuditEvent.id))]
    assert actions[-2:] == ["subsidy.released", "credit_note.issued"]
    # The booking's life ends there: it is not invoiced again
    with pytest.raises(Conflict):
        issue_invoice(session, expert, booking, TODAY)


def test_credit_notes_have_their_own_series(
    session: Session, admin: User, expert: User, company: User, offer: Offer
) -> None:
    first, second = (
        issue_invoice(
            session, expert, confirmed_booking(session, company, expert, offer, TODAY), TODAY
        )
        for _ in range(2)
    )
    notes = [
        issue_credit_note(session, expert, second, "Erreur de destinataire", TODAY),
        issue_credit_note(session, admin, first, "Litige réglé en faveur du client", TODAY),
    ]
    assert [n.sequence for n in notes] == [1, 2]
    third = issue_invoice(
        session, expert, confirmed_booking(session, company, expert, offer, TODAY), TODAY
    )
    assert third.sequence == 3  # the invoice series did not move


def test_an_invoice_is_cancelled_once(
    session: Session, expert: User, company: User, offer: Offer
) -> None:
    invoice = issue_invoice(
        session, expert, confirmed_booking(session, company, expert, offer, TODAY), TODAY
    )
    issue_credit_note(session, expert, invoice, "Erreur de facturation", TODAY)
    with pytest.raises(Conflict):
        issue_credit_note(session, expert, invoice, "Encore une fois", TODAY)
    assert session.scalar(select(func.count()).select_from(CreditNote)) == 1
    counters = dict(
        session.execute(select(InvoiceCounter.series, InvoiceCounter.last_number)).all()
    )
    assert counters == {"F": 1, "A": 1}


def test_who_may_issue_a_credit_note_and_with_what_reason(
    session: Session, expert: User, company: User, offer: Offer
) -> None:
    invoice = issue_invoice(
        session, expert, confirmed_booking(session, company, expert, offer, TODAY), TODAY
    )
    stranger = provider_user(session, name="Autre Prestataire")
    for actor in (company, stranger):
        with pytest.raises(Forbidden):
            issue_credit_note(session, actor, invoice, "Je veux annuler", TODAY)
    for reason in ("", "  x ", "x" * 2001):
        with pytest.raises(ValidationFailed):
            issue_credit_note(session, expert, invoice, reason, TODAY)
    with pytest.raises(ValidationFailed):
        issue_credit_note(session, expert, invoice, "Trop tôt", TODAY - timedelta(days=1))
    assert invoice.status == InvoiceStatus.ISSUED


def test_a_claimed_subsidy_blocks_the_credit_note(
    session: Session, expert: User, company: User, offer: Offer
) -> None:
    invoice = issue_invoice(
        session, expert, confirmed_booking(session, company, expert, offer, TODAY), TODAY
    )
    (allocation,) = session.scalars(select(SubsidyAllocation)).all()
    allocation.status = AllocationStatus.CLAIMED
    session.flush()
    with pytest.raises(Conflict):
        issue_credit_note(session, expert, invoice, "Prestation annulée", TODAY)
    session.refresh(invoice)
    assert invoice.status == InvoiceStatus.ISSUED and invoice.cancelled_at is None
    assert session.scalar(select(func.count()).select_from(CreditNote)) == 0
    assert allocation.status == AllocationStatus.CLAIMED
    assert session.scalar(
        select(InvoiceCounter.last_number).where(InvoiceCounter.series == "A")
    ) in (None, 0)


def test_a_cancelled_invoice_cannot_be_revived(
    session: Session, expert: User, company: User, offer: Offer
) -> None:
    invoice = issue_invoice(
        session, expert, confirmed_booking(session, company, expert, offer, TODAY), TODAY
    )
    issue_credit_note(session, expert, invoice, "Erreur de facturation", TODAY)
    session.commit()
    invoice.status = InvoiceStatus.ISSUED
    invoice.cancelled_at = None
    with pytest.raises(ImmutableDocument):
        session.flush()
    session.rollback()
    note = invoice.credit_note
    assert note is not None
    note.reason = "Autre motif"
    with pytest.raises(ImmutableDocument):
        session.flush()


# --- Who sees what -----------------------------------------------------------------------------


def test_only_the_parties_and_admins_see_an_invoice(
    session: Session, admin: User, expert: User, company: User, offer: Offer
) -> None:
    invoice = issue_invoice(
        session, expert, confirmed_booking(session, company, expert, offer, TODAY), TODAY
    )
    note = issue_credit_note(session, expert, invoice, "Erreur de facturation", TODAY)
    for actor in (admin, expert, company):
        assert invoice_for(session, actor, invoice.id) is invoice
        assert credit_note_for(session, actor, note.id) is note
    for actor in (company_user(session), provider_user(session)):
        with pytest.raises(NotFound):
            invoice_for(session, actor, invoice.id)
        with pytest.raises(NotFound):
            credit_note_for(session, actor, note.id)
        assert session.scalars(invoices_of(actor)).all() == []
    with pytest.raises(NotFound):
        invoice_for(session, admin, invoice.id + 1000)
    for actor in (admin, expert, company):
        assert session.scalars(invoices_of(actor)).all() == [invoice]
    assert session.scalars(invoices_of(expert, InvoiceStatus.ISSUED)).all() == []
    assert session.scalars(invoices_of(company, InvoiceStatus.CANCELLED)).all() == [invoice]


def test_service_dates_come_from_the_quote_and_the_delivery(
    session: Session, expert: User, company: User, offer: Offer
) -> None:
    start = TODAY + timedelta(days=3)  # delivered before the quoted start
    booking = confirmed_booking(
        session, company, expert, offer, TODAY, start=start, end=start + timedelta(days=5)
    )
    booking.delivered_at = datetime(TODAY.year, TODAY.month, TODAY.day, 23, 30, tzinfo=UTC)
    session.flush()
    invoice = issue_invoice(session, expert, booking, TODAY + timedelta(days=1))
    paris = booking.delivered_at.astimezone(invoices.PARIS).date()  # 23:30 UTC is tomorrow in Paris
    assert invoice.service_start == invoice.service_end == paris
    assert booking.state == State.CONFIRMED
    assert isinstance(session.get(Booking, booking.id), Booking)
