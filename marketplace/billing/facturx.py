"""Factur-X: the EN 16931 CII XML of an invoice or credit note, checked and embedded in its PDF.

`document_of` / `document_of_credit_note` turn the stored document into one plain view that both
renderings read (this XML and the PDF of `invoice_pdf`), so they can never disagree. The XML is
built with lxml in the order the Factur-X 1.0 "EN 16931" XSD requires, checked against the XSD
the `factur-x` package ships, then embedded with `facturx.generate_from_binary` (which writes the
PDF/A-3 XMP metadata and the attachment relationship).

How the split reads in EN 16931 (there is no "third party pays" term): the programmes' share is
stated as the paid amount (BT-113), so the amount due (BT-115) is what the company pays; each
programme is named in a note ("Dont pris en charge par …"), and the payee (BG-10) is the
platform, which collects under the billing mandate. Schematron rules are not run (they need a
Saxon server): only the XSD is checked here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import facturx  # type: ignore[import-untyped]
from lxml import etree  # type: ignore[import-untyped]

from marketplace.billing.invoice_models import (
    CreditNote,
    Invoice,
    InvoiceLine,
    InvoiceSubsidy,
    InvoiceTax,
)
from marketplace.billing.invoices import PLATFORM_NAME
from marketplace.billing.money import format_euros
from marketplace.geo import DEPARTMENT_BY_CODE

LEVEL = "en16931"
GUIDELINE = "urn:cen.eu:en16931:2017"
NS = {
    "rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
    "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
    "qdt": "urn:un:unece:uncefact:data:standard:QualifiedDataType:100",
    "udt": "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100",
}
INVOICE_TYPE, CREDIT_NOTE_TYPE = "380", "381"  # UNTDID 1001
PAYMENT_MEANS = "ZZZ"  # UNTDID 4461 "mutually defined": card or transfer on the platform
PAYMENT_INFORMATION = f"Paiement sur la plateforme {PLATFORM_NAME} (carte bancaire ou virement)"
FRANCHISE = "TVA non applicable, art. 293 B du CGI"


@dataclass(frozen=True)
class Party:
    name: str
    siren: str
    siret: str | None
    vat_number: str | None
    department_code: str | None = None

    @property
    def department_name(self) -> str | None:
        department = DEPARTMENT_BY_CODE.get(self.department_code or "")
        return department.name if department else None


@dataclass(frozen=True)
class Document:
    """An issued invoice or credit note, as both its PDF and its XML state it."""

    type_code: str
    title: str  # Facture, Avoir
    number: str
    issue_date: date
    due_date: date | None  # invoices only
    service_start: date
    service_end: date
    seller: Party
    buyer: Party
    lines: Sequence[InvoiceLine]
    taxes: Sequence[InvoiceTax]
    subsidies: Sequence[InvoiceSubsidy]
    total_excl_vat_cents: int
    total_vat_cents: int
    total_incl_vat_cents: int
    subsidies_cents: int
    company_share_cents: int
    booking_reference: str
    payment_reference: str | None
    mentions: Sequence[dict[str, str]]
    preceding: tuple[str, date] | None = None  # credit notes: the invoice they cancel
    reason: str = ""

    @property
    def is_credit_note(self) -> bool:
        return self.type_code == CREDIT_NOTE_TYPE


def _parties(invoice: Invoice) -> tuple[Party, Party]:
    seller = Party(
        invoice.seller_name,
        invoice.seller_siren,
        invoice.seller_siret,
        invoice.seller_vat_number,
    )
    buyer = Party(
        invoice.buyer_name,
        invoice.buyer_siren,
        None,
        invoice.buyer_vat_number,
        invoice.buyer_department_code,
    )
    return seller, buyer


def document_of(invoice: Invoice) -> Document:
    seller, buyer = _parties(invoice)
    return Document(
        type_code=INVOICE_TYPE,
        title="Facture",
        number=invoice.number,
        issue_date=invoice.issue_date,
        due_date=invoice.due_date,
        service_start=invoice.service_start,
        service_end=invoice.service_end,
        seller=seller,
        buyer=buyer,
        lines=list(invoice.lines),
        taxes=list(invoice.taxes),
        subsidies=list(invoice.subsidies),
        total_excl_vat_cents=invoice.total_excl_vat_cents,
        total_vat_cents=invoice.total_vat_cents,
        total_incl_vat_cents=invoice.total_incl_vat_cents,
        subsidies_cents=invoice.subsidies_cents,
        company_share_cents=invoice.company_share_cents,
        booking_reference=invoice.booking_reference,
        payment_reference=invoice.payment_reference,
        mentions=list(invoice.mentions),
    )


def document_of_credit_note(note: CreditNote) -> Document:
    """A full credit note: the cancelled invoice's lines, VAT and subsidies, its own totals."""
    invoice = note.invoice
    seller, buyer = _parties(invoice)
    return Document(
        type_code=CREDIT_NOTE_TYPE,
        title="Avoir",
        number=note.number,
        issue_date=note.issue_date,
        due_date=None,
        service_start=invoice.service_start,
        service_end=invoice.service_end,
        seller=seller,
        buyer=buyer,
        lines=list(invoice.lines),
        taxes=list(invoice.taxes),
        subsidies=list(invoice.subsidies),
        total_excl_vat_cents=note.total_excl_vat_cents,
        total_vat_cents=note.total_vat_cents,
        total_incl_vat_cents=note.total_incl_vat_cents,
        subsidies_cents=note.subsidies_cents,
        company_share_cents=note.company_share_cents,
        booking_reference=invoice.booking_reference,
        payment_reference=None,
        mentions=list(note.mentions),
        preceding=(invoice.number, invoice.issue_date),
        reason=note.reason,
    )


# --- Values as CII writes them ---------------------------------------------------------------


def amount(cents: int) -> str:
    """Integer cents as a CII amount: 480000 → "4800.00" (exact, no float)."""
    sign = "-" if cents < 0 else ""
    whole, rest = divmod(abs(cents), 100)
    return f"{sign}{whole}.{rest:02d}"


def percent(bp: int) -> str:
    """Basis points as a CII percentage: 550 → "5.50"."""
    whole, rest = divmod(bp, 100)
    return f"{whole}.{rest:02d}"


def _date_102(day: date) -> str:
    return day.strftime("%Y%m%d")


class _Builder:
    """Tiny helper: child elements in the `ram:` (or any) namespace, text set when given."""

    def __call__(self, parent: Any, tag: str, text: str | None = None, **attributes: str) -> Any:
        prefix, _, name = tag.partition(":")
        element = etree.SubElement(parent, f"{{{NS[prefix]}}}{name}", attributes)
        if text is not None:
            element.text = text
        return element

    def date_time(self, parent: Any, tag: str, day: date) -> Any:
        holder = self(parent, tag)
        self(holder, "udt:DateTimeString", _date_102(day), format="102")
        return holder


def _party(add: _Builder, parent: Any, tag: str, party: Party, *, seller: bool) -> None:
    element = add(parent, tag)
    if seller and party.siret:
        add(element, "ram:GlobalID", party.siret, schemeID="0009")  # SIRET
    add(element, "ram:Name", party.name)
    legal = add(element, "ram:SpecifiedLegalOrganization")
    add(legal, "ram:ID", party.siren, schemeID="0002")  # SIREN
    address = add(element, "ram:PostalTradeAddress")
    add(address, "ram:CountryID", "FR")
    if party.department_name:
        add(address, "ram:CountrySubDivisionName", party.department_name)
    if party.vat_number:
        registration = add(element, "ram:SpecifiedTaxRegistration")
        add(registration, "ram:ID", party.vat_number, schemeID="VA")


def _tax(add: _Builder, parent: Any, tax: InvoiceTax, *, header: bool) -> None:
    element = add(parent, "ram:ApplicableTradeTax")
    if header:
        add(element, "ram:CalculatedAmount", amount(tax.vat_cents))
    add(element, "ram:TypeCode", "VAT")
    if header and tax.exemption_reason:
        add(element, "ram:ExemptionReason", tax.exemption_reason)
    if header:
        add(element, "ram:BasisAmount", amount(tax.base_cents))
    add(element, "ram:CategoryCode", tax.category_code)
    if header and tax.exemption_reason == FRANCHISE:
        add(element, "ram:ExemptionReasonCode", "VATEX-FR-FRANCHISE")
    add(element, "ram:RateApplicablePercent", percent(tax.vat_rate_bp))


def subsidy_notes(document: Document) -> list[str]:
    """The split in words, as printed on the PDF's totals."""
    notes = [
        f"Dont pris en charge par {s.programme_name} : {format_euros(s.amount_cents, 'fr')}"
        for s in document.subsidies
    ]
    if document.subsidies:
        share = format_euros(document.company_share_cents, "fr")
        notes.append(f"Reste à payer par le client : {share}")
    return notes


def document_xml(document: Document) -> bytes:
    """The CII XML (Factur-X, EN 16931 profile) of the document, checked against the XSD."""
    add = _Builder()
    root = etree.Element(f"{{{NS['rsm']}}}CrossIndustryInvoice", nsmap=NS)
    context = add(root, "rsm:ExchangedDocumentContext")
    guideline = add(context, "ram:GuidelineSpecifiedDocumentContextParameter")
    add(guideline, "ram:ID", GUIDELINE)

    header = add(root, "rsm:ExchangedDocument")
    add(header, "ram:ID", document.number)
    add(header, "ram:TypeCode", document.type_code)
    add.date_time(header, "ram:IssueDateTime", document.issue_date)
    for mention in document.mentions:
        note = add(header, "ram:IncludedNote")
        add(note, "ram:Content", mention["text"])
        add(note, "ram:SubjectCode", mention["code"])
    for text in subsidy_notes(document):
        note = add(header, "ram:IncludedNote")
        add(note, "ram:Content", text)
        add(note, "ram:SubjectCode", "AAI")

    transaction = add(root, "rsm:SupplyChainTradeTransaction")
    for line in document.lines:
        item = add(transaction, "ram:IncludedSupplyChainTradeLineItem")
        add(add(item, "ram:AssociatedDocumentLineDocument"), "ram:LineID", str(line.position))
        product = add(item, "ram:SpecifiedTradeProduct")
        add(product, "ram:Name", line.description)
        if line.detail:
            add(product, "ram:Description", line.detail)
        agreement = add(item, "ram:SpecifiedLineTradeAgreement")
        price = add(agreement, "ram:NetPriceProductTradePrice")
        add(price, "ram:ChargeAmount", amount(line.unit_price_excl_vat_cents))
        delivery = add(item, "ram:SpecifiedLineTradeDelivery")
        add(delivery, "ram:BilledQuantity", str(line.quantity), unitCode=line.unit_code)
        settlement = add(item, "ram:SpecifiedLineTradeSettlement")
        tax = next(t for t in document.taxes if t.vat_rate_bp == line.vat_rate_bp)
        _tax(add, settlement, tax, header=False)
        summation = add(settlement, "ram:SpecifiedTradeSettlementLineMonetarySummation")
        add(summation, "ram:LineTotalAmount", amount(line.total_excl_vat_cents))

    agreement = add(transaction, "ram:ApplicableHeaderTradeAgreement")
    _party(add, agreement, "ram:SellerTradeParty", document.seller, seller=True)
    _party(add, agreement, "ram:BuyerTradeParty", document.buyer, seller=False)
    contract = add(agreement, "ram:ContractReferencedDocument")
    add(contract, "ram:IssuerAssignedID", document.booking_reference)

    delivery = add(transaction, "ram:ApplicableHeaderTradeDelivery")
    event = add(delivery, "ram:ActualDeliverySupplyChainEvent")
    add.date_time(event, "ram:OccurrenceDateTime", document.service_end)

    settlement = add(transaction, "ram:ApplicableHeaderTradeSettlement")
    if document.payment_reference:
        add(settlement, "ram:PaymentReference", document.payment_reference)
    add(settlement, "ram:InvoiceCurrencyCode", "EUR")
    payee = add(settlement, "ram:PayeeTradeParty")
    add(payee, "ram:Name", PLATFORM_NAME)
    means = add(settlement, "ram:SpecifiedTradeSettlementPaymentMeans")
    add(means, "ram:TypeCode", PAYMENT_MEANS)
    add(means, "ram:Information", PAYMENT_INFORMATION)
    for tax in document.taxes:
        _tax(add, settlement, tax, header=True)
    period = add(settlement, "ram:BillingSpecifiedPeriod")
    add.date_time(period, "ram:StartDateTime", document.service_start)
    add.date_time(period, "ram:EndDateTime", document.service_end)
    terms = add(settlement, "ram:SpecifiedTradePaymentTerms")
    if document.preceding:
        add(terms, "ram:Description", f"Avoir sur la facture {document.preceding[0]}")
    else:
        add(terms, "ram:Description", "Paiement à réception, au plus tard à l'échéance")
    if document.due_date:
        add.date_time(terms, "ram:DueDateDateTime", document.due_date)
    totals = add(settlement, "ram:SpecifiedTradeSettlementHeaderMonetarySummation")
    add(
        totals, "ram:LineTotalAmount", amount(sum(ln.total_excl_vat_cents for ln in document.lines))
    )
    add(totals, "ram:TaxBasisTotalAmount", amount(document.total_excl_vat_cents))
    add(totals, "ram:TaxTotalAmount", amount(document.total_vat_cents), currencyID="EUR")
    add(totals, "ram:GrandTotalAmount", amount(document.total_incl_vat_cents))
    add(totals, "ram:TotalPrepaidAmount", amount(document.subsidies_cents))
    add(totals, "ram:DuePayableAmount", amount(document.company_share_cents))
    if document.preceding:
        referenced = add(settlement, "ram:InvoiceReferencedDocument")
        add(referenced, "ram:IssuerAssignedID", document.preceding[0])
        issued = add(referenced, "ram:FormattedIssueDateTime")
        add(issued, "qdt:DateTimeString", _date_102(document.preceding[1]), format="102")

    xml = etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
    check_xml(xml)
    return bytes(xml)


def check_xml(xml: bytes) -> None:
    """Raise unless the XML is valid against the Factur-X EN 16931 XSD."""
    facturx.xml_check_xsd(xml, flavor="factur-x", level=LEVEL)


def embed(pdf: bytes, xml: bytes, document: Document) -> bytes:
    """The PDF/A-3 with its Factur-X XML attached (factur-x.xml) and the XMP that says so."""
    return bytes(
        facturx.generate_from_binary(
            pdf,
            xml,
            flavor="factur-x",
            level=LEVEL,
            check_xsd=False,  # `document_xml` checked it
            pdf_metadata={
                "author": PLATFORM_NAME,
                "keywords": f"Factur-X, {document.title}",
                "title": f"{document.title} {document.number}",
                "subject": f"{document.title} {document.number} de {document.seller.name} "
                f"à {document.buyer.name}",
            },
            lang="fr-FR",
        )
    )


def xml_from_pdf(pdf: bytes) -> bytes:
    """The Factur-X XML embedded in a PDF (checked against the XSD on the way out)."""
    _name, xml = facturx.get_xml_from_pdf(pdf, check_xsd=True)
    if not xml:
        raise ValueError("no Factur-X XML in this PDF")
    return bytes(xml)
