"""Invoice, credit note and agreement PDFs: PDF/A-3b, the Factur-X XML inside, what they say."""

from __future__ import annotations

import io
import shutil
import subprocess
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from lxml import etree
from PIL import Image
from pypdf import PdfReader
from sqlalchemy.orm import Session

from marketplace.accounts.models import User
from marketplace.billing.facturx import NS, check_xml, xml_from_pdf
from marketplace.billing.invoice_models import CreditNote, Invoice
from marketplace.billing.invoice_pdf import agreement_pdf, credit_note_pdf, grouped, invoice_pdf
from marketplace.billing.invoices import issue_credit_note, issue_invoice
from marketplace.billing.money import format_euros
from marketplace.bookings.models import Booking
from tests.factories import admin_user, company_user, programme, provider_user, published_offer
from tests.invoicing import confirmed_booking

TODAY = date.today()


@pytest.fixture
def scenario(session: Session) -> tuple[User, Booking, Invoice]:
    """A provider's invoice split between two stacked programmes and the company."""
    admin = admin_user(session)
    expert = provider_user(session)
    company = company_user(session, department="33", size_band="3-9")
    programme(session, admin, budget_cents=10**9)  # 50 % up to 2,500 €
    programme(
        session,
        admin,
        code="pass-na",
        name="Pass Numérique Nouvelle-Aquitaine",
        funder="region",
        rate_bp=2000,
        stacking_order=5,
    )
    offer = published_offer(
        session, expert, admin, price_excl_vat_cents=1_234_56, pricing_unit="per_day"
    )
    booking = confirmed_booking(session, company, expert, offer, TODAY, quantity=3)
    invoice = issue_invoice(session, expert, booking, TODAY)
    session.commit()
    return expert, booking, invoice


def _text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def _cents(value: str | None) -> int:
    assert value is not None
    cents = Decimal(value) * 100
    assert cents == cents.to_integral_value(), f"{value} is not whole cents"
    return int(cents)


def _one(tree: etree._Element, path: str) -> str:
    (found,) = tree.xpath(path, namespaces=NS)
    return found.text if isinstance(found, etree._Element) else str(found)


def test_the_facturx_xml_in_the_pdf_states_every_total_of_the_database(
    session: Session, scenario: tuple[User, Booking, Invoice]
) -> None:
    """Extract the XML back from the PDF: is it valid, and is every amount the stored one?"""
    _expert, _booking, issued = scenario
    pdf = invoice_pdf(issued)
    session.expire_all()
    invoice = session.get(Invoice, issued.id)  # read back from the database
    assert invoice is not None

    xml = xml_from_pdf(pdf)  # checked against the XSD on the way out
    check_xml(xml)
    tree = etree.fromstring(xml)
    settlement = "//rsm:SupplyChainTradeTransaction/ram:ApplicableHeaderTradeSettlement"
    totals = f"{settlement}/ram:SpecifiedTradeSettlementHeaderMonetarySummation"
    assert _one(tree, "//ram:GuidelineSpecifiedDocumentContextParameter/ram:ID") == (
        "urn:cen.eu:en16931:2017"
    )
    assert _one(tree, "//rsm:ExchangedDocument/ram:ID") == invoice.number
    assert _one(tree, "//rsm:ExchangedDocument/ram:TypeCode") == "380"
    assert _one(tree, "//ram:IssueDateTime/udt:DateTimeString") == f"{TODAY:%Y%m%d}"
    assert _cents(_one(tree, f"{totals}/ram:LineTotalAmount")) == invoice.total_excl_vat_cents
    assert _cents(_one(tree, f"{totals}/ram:TaxBasisTotalAmount")) == invoice.total_excl_vat_cents
    assert _cents(_one(tree, f"{totals}/ram:TaxTotalAmount")) == invoice.total_vat_cents
    assert _one(tree, f"{totals}/ram:TaxTotalAmount/@currencyID") == "EUR"
    assert _cents(_one(tree, f"{totals}/ram:GrandTotalAmount")) == invoice.total_incl_vat_cents
    assert _cents(_one(tree, f"{totals}/ram:TotalPrepaidAmount")) == invoice.subsidies_cents
    assert _cents(_one(tree, f"{totals}/ram:DuePayableAmount")) == invoice.company_share_cents
    (tax,) = invoice.taxes
    header_tax = f"{settlement}/ram:ApplicableTradeTax"
    assert _cents(_one(tree, f"{header_tax}/ram:CalculatedAmount")) == tax.vat_cents
    assert _cents(_one(tree, f"{header_tax}/ram:BasisAmount")) == tax.base_cents
    assert _one(tree, f"{header_tax}/ram:CategoryCode") == "S"
    assert Decimal(_one(tree, f"{header_tax}/ram:RateApplicablePercent")) == Decimal(20)
    (line,) = invoice.lines
    item = "//ram:IncludedSupplyChainTradeLineItem"
    assert _one(tree, f"{item}/ram:SpecifiedTradeProduct/ram:Name") == line.description
    assert _cents(_one(tree, f"{item}//ram:ChargeAmount")) == line.unit_price_excl_vat_cents
    assert Decimal(_one(tree, f"{item}//ram:BilledQuantity")) == line.quantity == 3
    assert _one(tree, f"{item}//ram:BilledQuantity/@unitCode") == "DAY"
    assert _cents(_one(tree, f"{item}//ram:LineTotalAmount")) == line.total_excl_vat_cents
    # The split adds up in the XML too, and each programme is named
    assert _cents(_one(tree, f"{totals}/ram:TotalPrepaidAmount")) + _cents(
        _one(tree, f"{totals}/ram:DuePayableAmount")
    ) == _cents(_one(tree, f"{totals}/ram:GrandTotalAmount"))
    notes = tree.xpath("//rsm:ExchangedDocument/ram:IncludedNote", namespaces=NS)
    codes = [n.findtext("ram:SubjectCode", namespaces=NS) for n in notes]
    contents = [n.findtext("ram:Content", namespaces=NS) for n in notes]
    assert [codes.count(code) for code in ("PMD", "PMT", "AAB")] == [1, 1, 1]
    assert len(invoice.subsidies) == 2
    for subsidy in invoice.subsidies:
        expected = f"Dont pris en charge par {subsidy.programme_name} : "
        assert expected + format_euros(subsidy.amount_cents, "fr") in contents
    # Who is who, and how to pay
    seller = "//ram:SellerTradeParty"
    assert _one(tree, f"{seller}/ram:SpecifiedLegalOrganization/ram:ID") == invoice.seller_siren
    assert _one(tree, f"{seller}/ram:GlobalID") == invoice.seller_siret
    assert _one(tree, f"{seller}/ram:SpecifiedTaxRegistration/ram:ID") == invoice.seller_vat_number
    buyer = "//ram:BuyerTradeParty"
    assert _one(tree, f"{buyer}/ram:SpecifiedLegalOrganization/ram:ID") == invoice.buyer_siren
    assert _one(tree, f"{buyer}/ram:SpecifiedTaxRegistration/ram:ID") == invoice.buyer_vat_number
    assert _one(tree, f"{buyer}//ram:CountrySubDivisionName") == "Gironde"
    assert _one(tree, f"{settlement}/ram:PaymentReference") == invoice.payment_reference
    assert _one(tree, f"{settlement}//ram:DueDateDateTime/udt:DateTimeString") == (
        f"{invoice.due_date:%Y%m%d}"
    )
    assert _one(tree, "//ram:ContractReferencedDocument/ram:IssuerAssignedID") == (
        invoice.booking_reference
    )


def test_the_invoice_pdf_is_pdf_a_3b_with_its_xml_attached(
    scenario: tuple[User, Booking, Invoice],
) -> None:
    reader = PdfReader(io.BytesIO(invoice_pdf(scenario[2])))
    assert not reader.is_encrypted
    root = reader.trailer["/Root"]
    assert root["/Lang"] == "fr-FR" and "/OutputIntents" in root
    xmp = root["/Metadata"].get_object().get_data().decode()
    assert "<pdfaid:part>3</pdfaid:part>" in xmp and "<pdfaid:conformance>B" in xmp
    assert "factur-x.xml" in xmp and "EN 16931" in xmp
    (attachment,) = root["/AF"].get_object()
    assert attachment.get_object()["/AFRelationship"] == "/Data"
    assert attachment.get_object()["/F"] == "factur-x.xml"
    fonts = reader.pages[0]["/Resources"]["/Font"]
    for font in fonts.values():  # every font is embedded (no base 14 font, no system font)
        descendant = font.get_object()["/DescendantFonts"][0].get_object()
        assert "/FontFile2" in descendant["/FontDescriptor"]
        assert "SourceSansPro" in descendant["/BaseFont"]


def test_the_invoice_pdf_says_every_mention(
    scenario: tuple[User, Booking, Invoice],
) -> None:
    invoice = scenario[2]
    text = _text(invoice_pdf(invoice))
    for expected in [
        "FACTURE",
        invoice.number,
        f"Facture émise par Croissance Connectée au nom et pour le compte de {invoice.seller_name}",
        "Prestation de services",
        f"SIRET {invoice.seller_siret}",
        f"SIREN {invoice.buyer_siren}",
        f"N° TVA intracommunautaire : {invoice.seller_vat_number}",
        f"N° TVA intracommunautaire : {invoice.buyer_vat_number}",
        invoice.issue_date.strftime("%d/%m/%Y"),
        invoice.due_date.strftime("%d/%m/%Y"),
        "Total HT",
        "Total TTC",
        format_euros(invoice.total_incl_vat_cents, "fr"),
        "dont pris en charge par Chèque numérique",
        "Reste à payer par le client",
        format_euros(invoice.company_share_cents, "fr"),
        "8,28",  # 3 × 2.76 %
        "40,00",
        "Pas d'escompte",
        grouped(invoice.payment_reference),
        invoice.booking_reference,
    ]:
        assert expected in text, expected


def test_the_pdf_never_changes_once_issued(
    session: Session, scenario: tuple[User, Booking, Invoice]
) -> None:
    """Rendered again after the provider renamed itself: the same page, the same XML."""
    expert, _booking, invoice = scenario
    first = invoice_pdf(invoice)
    expert.provider.name = "Nouveau Nom SAS"
    session.commit()
    session.expire_all()
    again = invoice_pdf(session.get(Invoice, invoice.id))
    assert xml_from_pdf(again) == xml_from_pdf(first)
    assert _text(again) == _text(first)
    assert "Nouveau Nom SAS" not in _text(again)


def test_the_credit_note_pdf_cancels_the_invoice_in_factur_x_too(
    session: Session, scenario: tuple[User, Booking, Invoice]
) -> None:
    expert, _booking, invoice = scenario
    note = issue_credit_note(
        session, expert, invoice, "Prestation annulée d'un commun accord", TODAY
    )
    session.commit()
    pdf = credit_note_pdf(session.get(CreditNote, note.id))
    tree = etree.fromstring(xml_from_pdf(pdf))
    assert _one(tree, "//rsm:ExchangedDocument/ram:ID") == note.number
    assert _one(tree, "//rsm:ExchangedDocument/ram:TypeCode") == "381"
    referenced = "//ram:InvoiceReferencedDocument"
    assert _one(tree, f"{referenced}/ram:IssuerAssignedID") == invoice.number
    totals = "//ram:SpecifiedTradeSettlementHeaderMonetarySummation"
    assert _cents(_one(tree, f"{totals}/ram:GrandTotalAmount")) == note.total_incl_vat_cents
    assert _cents(_one(tree, f"{totals}/ram:DuePayableAmount")) == note.company_share_cents
    text = _text(pdf)
    assert "AVOIR" in text and note.number in text and invoice.number in text
    assert "Prestation annulée d'un commun accord" in text


def test_a_provider_without_vat_number_states_the_franchise(session: Session) -> None:
    admin = admin_user(session)
    expert = provider_user(session)
    expert.provider.vat_number = None
    company = company_user(session)
    offer = published_offer(session, expert, admin, vat_rate_bp=0, price_excl_vat_cents=90_000)
    invoice = issue_invoice(
        session, expert, confirmed_booking(session, company, expert, offer, TODAY), TODAY
    )
    assert invoice.total_vat_cents == 0 and invoice.company_share_cents == 90_000
    pdf = invoice_pdf(invoice)
    tree = etree.fromstring(xml_from_pdf(pdf))
    tax = "//ram:ApplicableHeaderTradeSettlement/ram:ApplicableTradeTax"
    assert _one(tree, f"{tax}/ram:CategoryCode") == "E"
    assert _one(tree, f"{tax}/ram:ExemptionReasonCode") == "VATEX-FR-FRANCHISE"
    assert not tree.xpath("//ram:SellerTradeParty/ram:SpecifiedTaxRegistration", namespaces=NS)
    text = _text(pdf)
    assert "TVA non applicable, art. 293 B du CGI" in text
    assert "Sans numéro de TVA intracommunautaire" in text


def test_the_agreement_pdf_shows_the_frozen_accord(
    scenario: tuple[User, Booking, Invoice],
) -> None:
    _expert, booking, _invoice = scenario
    pdf = agreement_pdf(booking)
    reader = PdfReader(io.BytesIO(pdf))
    xmp = reader.trailer["/Root"]["/Metadata"].get_object().get_data().decode()
    assert "<pdfaid:part>3</pdfaid:part>" in xmp
    text = _text(pdf)
    split = booking.agreement["split"]
    for expected in [
        "ACCORD DE PRESTATION",
        booking.reference,
        booking.agreement["provider"]["name"],
        booking.agreement["company"]["name"],
        booking.agreement["offer"]["title"],
        format_euros(split["incl_vat_cents"], "fr"),
        format_euros(split["company_share_cents"], "fr"),
        "Reste à charge de l'entreprise",
        "Pris en charge par Chèque numérique",
    ]:
        assert expected in text, expected
    with pytest.raises(ValueError):
        agreement_pdf(Booking())


@pytest.mark.skipif(
    shutil.which("pdftoppm") is None,
    reason="pdftoppm is not installed (Debian: apt-get install poppler-utils); .ci/run installs it",
)
def test_page_one_renders_to_a_png_that_looks_like_an_invoice(
    scenario: tuple[User, Booking, Invoice], tmp_path: Path
) -> None:
    """Render page 1 with poppler, the way a person would look at it (the PNG stays in
    tmp_path); check it is an A4 page with ink on it and the brand colour of the header."""
    pdf_path = tmp_path / "invoice.pdf"
    pdf_path.write_bytes(invoice_pdf(scenario[2]))
    subprocess.run(
        [
            "pdftoppm",
            "-png",
            "-r",
            "100",
            "-f",
            "1",
            "-l",
            "1",
            "-singlefile",
            str(pdf_path),
            str(tmp_path / "page"),
        ],
        check=True,
        timeout=60,
    )
    with Image.open(tmp_path / "page.png") as image:
        rgb = image.convert("RGB")
        width, height = rgb.size
        assert abs(width - 827) <= 1 and abs(height - 1169) <= 1  # A4 at 100 dpi
        colours = rgb.getcolors(maxcolors=1 << 20)
        assert colours is not None
        ink = sum(n for n, colour in colours if sum(colour) < 600)
        teal = sum(n for n, (r, g, b) in colours if abs(r - 11) + abs(g - 85) + abs(b - 99) < 30)
        assert ink > 0.02 * width * height  # text and rules, not a blank page
        assert teal > 5000  # the logo, the table header and the payable box
    print(f"page 1 of {scenario[2].number}: {tmp_path / 'page.png'}")  # -s to see where
