"""PDFs of invoices, credit notes and agreements: pure Python (fpdf2), PDF/A-3b, in French.

Invoices and credit notes are French legal documents, so their words are French literals here
(not Flask-Babel messages). Every PDF is built from the same blocks (`Sheet`): the letterhead,
the two parties, the lines table, the totals box with each subsidy, the payment block and the
legal mentions. An invoice's and a credit note's PDF embed their Factur-X XML (`facturx`), built
from the same `Document` view as the page, so the two cannot disagree.

PDF/A as far as fpdf2 allows: fonts embedded (Source Sans Pro, from the `font-source-sans-pro`
package, never a system font), the sRGB output intent, XMP metadata, no encryption; factur-x
then rewrites the XMP to declare PDF/A-3b and the attached XML. The PDF is rendered again from
the stored invoice on every download; it never depends on anything that can change later.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, time
from importlib.resources import files
from typing import TYPE_CHECKING, Any

from fpdf import FPDF
from fpdf.enums import CellBordersLayout
from fpdf.fonts import FontFace

from marketplace import clock
from marketplace.billing.facturx import (
    Document,
    document_of,
    document_of_credit_note,
    document_xml,
    embed,
)
from marketplace.billing.invoice_models import CreditNote, Invoice
from marketplace.billing.invoices import PLATFORM_NAME, french_date, percent_text
from marketplace.billing.money import format_euros
from marketplace.bookings.models import Booking
from marketplace.clock import PARIS
from marketplace.geo import DEPARTMENT_BY_CODE
from marketplace.taxonomy import french_category_label

if TYPE_CHECKING:
    from marketplace.billing.claim_models import SubsidyClaim
    from marketplace.billing.payments import ShareAccount

FONT = "SourceSans"
FONT_FILES = {"": "Regular", "B": "Bold", "I": "It"}  # the styles the documents use
BRAND = (11, 85, 99)  # deep teal
BRAND_LIGHT = (225, 240, 242)
INK = (33, 37, 41)
MUTED = (108, 117, 125)
RULE = (206, 212, 218)
MARGIN = 16.0
WIDTH = 210.0 - 2 * MARGIN
TAGLINE = "Le numérique des PME, soutenu par les dispositifs publics"
UNIT_WORDS = {
    "fixed": "forfait",
    "per_day": "jour",
    "per_hour": "heure",
    "per_month": "mois",
    "per_session": "séance",
}
DELIVERY_WORDS = {"remote": "à distance", "on_site": "sur site", "hybrid": "mixte"}


def euros(cents: int) -> str:
    return format_euros(cents, "fr")


def grouped(reference: str) -> str:
    """RF41CC0000012026000001 → "RF41 CC00 0001 2026 0000 01" (how references are printed)."""
    return " ".join(reference[i : i + 4] for i in range(0, len(reference), 4))


class Sheet(FPDF):
    """An A4 page in the platform's house style, with the blocks every document is made of."""

    def __init__(self, title: str, footer_text: str, created: datetime) -> None:
        super().__init__(orientation="P", unit="mm", format="A4", enforce_compliance="PDF/A-3B")
        font_dir = files("font_source_sans_pro") / "files"
        for style, name in FONT_FILES.items():
            self.add_font(FONT, style, str(font_dir / f"SourceSansPro-{name}.ttf"))
        self.footer_text = footer_text
        self.set_margins(MARGIN, 14, MARGIN)
        self.set_auto_page_break(True, margin=20)
        self.set_lang("fr-FR")
        self.set_title(title)
        self.set_author(PLATFORM_NAME)
        self.set_creator(PLATFORM_NAME)
        self.set_creation_date(created)
        self.add_page()

    # --- Page furniture ---------------------------------------------------------------------

    def footer(self) -> None:
        self.set_y(-14)
        self.set_draw_color(*RULE)
        self.line(MARGIN, self.get_y(), MARGIN + WIDTH, self.get_y())
        self.set_font(FONT, "", 7.5)
        self.set_text_color(*MUTED)
        self.cell(WIDTH / 2, 7, f"{PLATFORM_NAME} · {TAGLINE}")
        self.cell(WIDTH / 2, 7, f"{self.footer_text} · page {self.page_no()}/{{nb}}", align="R")

    def text_style(self, size: float, style: str = "", color: tuple[int, int, int] = INK) -> None:
        self.set_font(FONT, style, size)
        self.set_text_color(*color)

    # --- Blocks ---------------------------------------------------------------------------

    def letterhead(self, title: str, facts: Sequence[tuple[str, str]]) -> None:
        """The logo area on the left; the document's title and key facts on the right."""
        top = self.get_y()
        self.set_fill_color(*BRAND)
        self.rect(MARGIN, top, 15, 15, style="F", round_corners=True, corner_radius=2.5)
        self.set_xy(MARGIN, top + 3.2)
        self.text_style(14, "B", (255, 255, 255))
        self.cell(15, 8.5, "CC", align="C")
        self.set_xy(MARGIN + 18, top + 1)
        self.text_style(15, "B", BRAND)
        self.cell(90, 7, PLATFORM_NAME)
        self.set_xy(MARGIN + 18, top + 8)
        self.text_style(8.5, "", MUTED)
        self.cell(90, 5, TAGLINE)

        self.set_xy(MARGIN + WIDTH - 80, top - 1)
        self.text_style(22, "B", BRAND)
        size = min(22.0, 22.0 * 80 / self.get_string_width(title.upper()))
        self.text_style(size, "B", BRAND)  # long titles shrink to stay clear of the logo area
        self.cell(80, 10, title.upper(), align="R")
        y = top + 10
        for label, value in facts:
            self.set_xy(MARGIN + WIDTH - 80, y)
            self.text_style(9, "", MUTED)
            self.cell(38, 5, label, align="R")
            self.text_style(9, "B")
            self.cell(42, 5, value, align="R")
            y += 5
        bottom = max(top + 18, y) + 3
        self.set_draw_color(*BRAND)
        self.set_line_width(0.6)
        self.line(MARGIN, bottom, MARGIN + WIDTH, bottom)
        self.set_line_width(0.2)
        self.set_y(bottom + 5)

    def parties(self, left: tuple[str, Sequence[str]], right: tuple[str, Sequence[str]]) -> None:
        """Two boxes side by side: a small caption, the name in bold, then its identifiers."""
        top, gap = self.get_y(), 6.0
        width = (WIDTH - gap) / 2
        heights = []
        for index, (caption, lines) in enumerate((left, right)):
            x = MARGIN + index * (width + gap)
            self.set_xy(x + 4, top + 3)
            self.text_style(7.5, "B", MUTED)
            self.cell(width - 8, 4, caption.upper())
            self.set_xy(x + 4, top + 8)
            self.text_style(11, "B")
            self.multi_cell(width - 8, 5.2, lines[0])
            self.text_style(8.5)
            for line in lines[1:]:
                self.set_x(x + 4)
                self.multi_cell(width - 8, 4.4, line)
            heights.append(self.get_y() - top + 3)
        height = max(heights)
        self.set_draw_color(*RULE)
        for index in range(2):
            self.rect(MARGIN + index * (width + gap), top, width, height, round_corners=True)
        self.set_y(top + height + 4)

    def note(self, text: str, style: str = "I", size: float = 8.5) -> None:
        self.text_style(size, style, MUTED)
        self.multi_cell(WIDTH, 4.4, text)
        self.ln(1.5)

    def facts_band(self, facts: Sequence[tuple[str, str]]) -> None:
        """A tinted band of label/value pairs (reference, period, nature…)."""
        top = self.get_y()
        self.set_fill_color(*BRAND_LIGHT)
        self.rect(MARGIN, top, WIDTH, 12, style="F")
        width = WIDTH / len(facts)
        for index, (label, value) in enumerate(facts):
            self.set_xy(MARGIN + index * width + 3, top + 1.5)
            self.text_style(7, "B", BRAND)
            self.cell(width - 6, 4, label.upper())
            self.set_xy(MARGIN + index * width + 3, top + 5.6)
            self.text_style(9)
            self.cell(width - 6, 5, value)
        self.set_y(top + 16)

    def lines_table(self, rows: Sequence[Sequence[str]], details: Sequence[str]) -> None:
        """Désignation, quantity, unit, unit price, VAT rate, total; each line's detail in a
        muted row under it."""
        headings = ("Désignation", "Qté", "Unité", "PU HT", "TVA", "Total HT")
        self.text_style(9)
        self.set_draw_color(*RULE)
        self.set_fill_color(255, 255, 255)  # tables start from the current fill colour
        bold = FontFace(emphasis="BOLD")
        muted = FontFace(color=MUTED, size_pt=8)
        with self.table(
            col_widths=(78, 13, 19, 27, 14, 27),
            text_align=("LEFT", "RIGHT", "CENTER", "RIGHT", "RIGHT", "RIGHT"),
            headings_style=FontFace(emphasis="BOLD", color=(255, 255, 255), fill_color=BRAND),
            borders_layout="NONE",
            line_height=5,
            padding=(1.8, 1.5),
            width=WIDTH,
        ) as table:
            table.row(headings)
            for cells, detail in zip(rows, details, strict=True):
                border = CellBordersLayout.NONE if detail else CellBordersLayout.BOTTOM
                row = table.row()
                row.cell(cells[0], style=bold, border=border)
                for value in cells[1:]:
                    row.cell(value, border=border)
                if detail:
                    table.row().cell(
                        detail, style=muted, colspan=len(headings), border=CellBordersLayout.BOTTOM
                    )
        self.ln(4)

    def totals(
        self, rows: Sequence[tuple[str, str, str]], left: Sequence[tuple[str, str, str]] = ()
    ) -> None:
        """The totals box on the right (label, amount, style: "", "B", "I" or "HL" for the
        highlighted last line); an optional small table on the left (the VAT summary)."""
        top = self.get_y()
        x, width = MARGIN + WIDTH - 100, 100.0
        label_width, line = width - 34, 4.6
        y = top
        for label, value, style in rows:
            strong = style in ("B", "HL")
            color = (255, 255, 255) if style == "HL" else MUTED if style == "I" else INK
            self.text_style(
                10 if strong else 8.5 if style == "I" else 9, "B" if strong else style, color
            )
            wrapped = self.multi_cell(
                label_width, line, label, align="L", dry_run=True, output="LINES"
            )
            assert isinstance(wrapped, list)
            height = len(wrapped) * line + (2.4 if strong else 1.4)
            if style == "HL":
                self.set_fill_color(*BRAND)
                self.rect(x, y, width, height + 1, style="F")
            if style == "B":
                self.set_draw_color(*INK)
                self.line(x, y, x + width, y)
            offset = 1.2 if strong else 0.7
            self.set_xy(x + 2, y + offset)
            self.multi_cell(label_width, line, label, align="L")
            self.set_xy(x + width - 32, y + offset)
            self.cell(30, line, value, align="R")
            y += height + (1 if style == "HL" else 0)
        if left:
            self.set_xy(MARGIN, top)
            self.text_style(7.5, "B", MUTED)
            self.cell(72, 5, "RÉCAPITULATIF DE LA TVA")
            self.set_xy(MARGIN, top + 6)
            self.text_style(8.5)
            self.set_fill_color(255, 255, 255)
            with self.table(
                col_widths=(20, 26, 26),
                width=72,
                align="LEFT",
                text_align=("LEFT", "RIGHT", "RIGHT"),
                headings_style=FontFace(emphasis="BOLD", color=MUTED),
                borders_layout="HORIZONTAL_LINES",
                line_height=4.6,
                padding=(1, 1.2),
            ) as table:
                table.row(("Taux", "Base HT", "TVA"))
                for cells in left:
                    table.row(cells)
            y = max(y, self.get_y())
        self.set_y(y + 5)

    def framed(self, title: str, lines: Sequence[tuple[str, str]]) -> None:
        """A box with a brand bar on its left: a title, then label/value lines (label may be
        empty for a plain sentence)."""
        top = self.get_y()
        self.set_xy(MARGIN + 6, top + 3)
        self.text_style(10, "B", BRAND)
        self.cell(WIDTH - 10, 5, title)
        self.set_y(top + 9)
        for label, value in lines:
            self.set_x(MARGIN + 6)
            if label:
                self.text_style(9, "", MUTED)
                self.cell(58, 5, label)
                self.text_style(9, "B")
                self.multi_cell(WIDTH - 68, 5, value)
            else:
                self.text_style(8.5)
                self.multi_cell(WIDTH - 10, 4.4, value)
        bottom = self.get_y() + 3
        self.set_fill_color(*BRAND)
        self.rect(MARGIN, top, 2, bottom - top, style="F")
        self.set_draw_color(*RULE)
        self.rect(MARGIN, top, WIDTH, bottom - top)
        self.set_y(bottom + 5)

    def section(self, title: str) -> None:
        self.text_style(8, "B", BRAND)
        self.cell(WIDTH, 5, title.upper(), new_x="LMARGIN", new_y="NEXT")

    def small_print(self, texts: Sequence[str]) -> None:
        self.section("Mentions légales")
        self.text_style(7.5, "", MUTED)
        for text in texts:
            self.multi_cell(WIDTH, 3.7, text)
            self.ln(0.6)

    def render(self) -> bytes:
        return bytes(self.output())


# --- Invoices and credit notes ---------------------------------------------------------------


def _seller_lines(document: Document) -> list[str]:
    seller = document.seller
    lines = [seller.name, f"SIREN {seller.siren} · SIRET {seller.siret}"]
    lines.append(
        f"N° TVA intracommunautaire : {seller.vat_number}"
        if seller.vat_number
        else "Sans numéro de TVA intracommunautaire"
    )
    return lines


def _buyer_lines(document: Document) -> list[str]:
    buyer = document.buyer
    lines = [buyer.name, f"SIREN {buyer.siren}"]
    if buyer.vat_number:
        lines.append(f"N° TVA intracommunautaire : {buyer.vat_number}")
    if buyer.department_name:
        lines.append(f"{buyer.department_name} ({buyer.department_code}), France")
    return lines


def _vat_label(rate_bp: int) -> str:
    return f"TVA {percent_text(rate_bp)}" if rate_bp else "TVA 0 % (exonération)"


def render_document(document: Document, issued_at: datetime) -> bytes:
    """The page of an invoice or credit note (PDF/A-3b, before its XML is attached)."""
    credit = document.is_credit_note
    pdf = Sheet(
        f"{document.title} {document.number}",
        f"{document.title} {document.number}",
        issued_at,
    )
    facts = [("N°", document.number), ("Date d'émission", french_date(document.issue_date))]
    if document.due_date:
        facts.append(("Date d'échéance", french_date(document.due_date)))
    if document.preceding:
        number, issued = document.preceding
        facts.append(("Facture annulée", f"{number} du {french_date(issued)}"))
    pdf.letterhead(document.title, facts)
    pdf.parties(
        ("Prestataire (vendeur)", _seller_lines(document)), ("Client", _buyer_lines(document))
    )
    pdf.note(document.mentions[0]["text"])  # the billing mandate, right under the parties
    period = (
        f"le {french_date(document.service_start)}"
        if document.service_start == document.service_end
        else f"du {french_date(document.service_start)} au {french_date(document.service_end)}"
    )
    pdf.facts_band(
        [
            ("Accord de prestation", document.booking_reference),
            ("Date de la prestation", period),
            ("Nature", "Prestation de services"),
        ]
    )
    if credit:
        pdf.note(f"Motif de l'avoir : {document.reason}", style="", size=9)
    pdf.lines_table(
        [
            (
                line.description,
                str(line.quantity),
                line.unit_label,
                euros(line.unit_price_excl_vat_cents),
                percent_text(line.vat_rate_bp),
                euros(line.total_excl_vat_cents),
            )
            for line in document.lines
        ],
        [line.detail for line in document.lines],
    )
    rows: list[tuple[str, str, str]] = [("Total HT", euros(document.total_excl_vat_cents), "")]
    rows += [(_vat_label(tax.vat_rate_bp), euros(tax.vat_cents), "") for tax in document.taxes]
    rows.append(("Total TTC", euros(document.total_incl_vat_cents), "B"))
    rows += [
        (f"dont pris en charge par {s.programme_name}", euros(s.amount_cents), "I")
        for s in document.subsidies
    ]
    last = "Montant de l'avoir pour le client" if credit else "Reste à payer par le client"
    rows.append((last, euros(document.company_share_cents), "HL"))
    recap = [
        (percent_text(t.vat_rate_bp), euros(t.base_cents), euros(t.vat_cents))
        for t in document.taxes
    ]
    pdf.totals(rows, recap)

    if credit:
        pdf.framed(
            "Remboursement",
            [
                ("Montant en faveur du client", euros(document.company_share_cents)),
                (
                    "",
                    "Ce que le client a réglé sur la facture annulée lui est remboursé ou "
                    "imputé sur une prochaine facture. Les dispositifs d'aide ne versent pas "
                    "leur part d'une facture annulée.",
                ),
            ],
        )
    else:
        assert document.payment_reference is not None and document.due_date is not None
        lines = [
            ("Montant à régler", euros(document.company_share_cents)),
            ("À payer au plus tard le", french_date(document.due_date)),
            ("Référence de paiement à rappeler", grouped(document.payment_reference)),
            (
                "",
                f"Par carte bancaire ou par virement sur la plateforme {PLATFORM_NAME}, qui "
                "encaisse pour le compte du prestataire.",
            ),
        ]
        if document.subsidies:
            lines.append(
                (
                    "",
                    "La part prise en charge par les dispositifs d'aide est versée par leurs "
                    "financeurs : elle n'est pas à régler par le client.",
                )
            )
        pdf.framed("Règlement", lines)
    pdf.small_print([m["text"] for m in document.mentions[1:]])
    return pdf.render()


def _at(day: date) -> datetime:
    return datetime.combine(day, time(12), tzinfo=PARIS)


def invoice_pdf(invoice: Invoice) -> bytes:
    """The invoice's PDF/A-3b with its Factur-X EN 16931 XML attached."""
    document = document_of(invoice)
    page = render_document(document, invoice.issued_at or _at(invoice.issue_date))
    return embed(page, document_xml(document), document)


def credit_note_pdf(note: CreditNote) -> bytes:
    """The credit note's PDF/A-3b with its Factur-X EN 16931 XML (type 381) attached."""
    document = document_of_credit_note(note)
    page = render_document(document, note.issued_at or _at(note.issue_date))
    return embed(page, document_xml(document), document)


# --- The agreement ---------------------------------------------------------------------------


def _paris_date(iso: str | None) -> date | None:
    if not iso:
        return None
    moment = datetime.fromisoformat(iso)
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(PARIS).date()


def _day(iso: object) -> str:
    return french_date(date.fromisoformat(iso)) if isinstance(iso, str) and iso else "à convenir"


def agreement_pdf(booking: Booking) -> bytes:
    """The accord de prestation frozen when the company accepted the quote (PDF/A-3b)."""
    agreement: Mapping[str, Any] | None = booking.agreement
    if agreement is None:
        raise ValueError("this booking has no agreement yet")
    offer, quote, split = agreement["offer"], agreement["quote"], agreement["split"]
    company, provider = agreement["company"], agreement["provider"]
    accepted = _paris_date(agreement.get("accepted_at")) or clock.today()
    pdf = Sheet(
        f"Accord de prestation {booking.reference}",
        f"Accord de prestation {booking.reference}",
        booking.agreed_at or _at(accepted),
    )
    pdf.letterhead(
        "Accord de prestation",
        [
            ("Référence", booking.reference),
            ("Accepté le", french_date(accepted)),
            ("Par", str(agreement.get("accepted_by", {}).get("name", ""))),
        ],
    )
    provider_lines = [str(provider["name"]), f"SIRET {provider['siret']}"]
    if provider.get("vat_number"):
        provider_lines.append(f"N° TVA intracommunautaire : {provider['vat_number']}")
    company_lines = [str(company["name"]), f"SIREN {company['siren']}"]
    department = company.get("department")
    if department:
        known = DEPARTMENT_BY_CODE.get(str(department))
        company_lines.append(f"{known.name if known else department} ({department}), France")
    pdf.parties(("Prestataire labellisé", provider_lines), ("Entreprise", company_lines))
    pdf.note(
        f"Accord conclu sur la plateforme {PLATFORM_NAME} : l'entreprise a accepté le devis "
        "ci-dessous et la répartition de son prix entre les dispositifs d'aide et elle-même, "
        "telles qu'elles étaient à cette date. Cet accord ne change plus."
    )
    pdf.facts_band(
        [
            ("Catégorie", french_category_label(str(offer.get("category", "")))),
            ("Modalité", DELIVERY_WORDS.get(str(offer.get("delivery_mode")), "—")),
            ("Dates prévues", f"du {_day(quote.get('start'))} au {_day(quote.get('end'))}"),
        ]
    )
    unit = UNIT_WORDS.get(str(offer.get("pricing_unit")), "unité")
    excl = int(quote["quantity"]) * int(quote["unit_price_cents"])
    pdf.lines_table(
        [
            (
                str(offer["title"]),
                str(quote["quantity"]),
                unit,
                euros(int(quote["unit_price_cents"])),
                percent_text(int(quote["vat_rate_bp"])),
                euros(excl),
            )
        ],
        ["\n".join(t for t in (str(offer.get("summary") or ""), quote.get("note") or "") if t)],
    )
    rows: list[tuple[str, str, str]] = [
        ("Total HT", euros(int(split["excl_vat_cents"])), ""),
        (_vat_label(int(split["vat_rate_bp"])), euros(int(split["vat_cents"])), ""),
        ("Total TTC", euros(int(split["incl_vat_cents"])), "B"),
    ]
    rows += [
        (f"dont pris en charge par {line['programme_name']}", euros(int(line["amount_cents"])), "I")
        for line in split["lines"]
        if int(line["amount_cents"]) > 0
    ]
    rows.append(("Reste à charge de l'entreprise", euros(int(split["company_share_cents"])), "HL"))
    pdf.totals(rows)
    explanations = [str(line.get("explanation_fr", "")) for line in split["lines"]]
    pdf.framed(
        "Aides publiques",
        [("", text) for text in explanations if text]
        + [
            (
                "",
                "Les aides sont réservées à l'acceptation de cet accord, engagées à la "
                "facturation et versées par leurs financeurs une fois la prestation réalisée "
                "et facturée. Une annulation avant facturation les libère.",
            )
        ],
    )
    return pdf.render()


# --- The corrective statement ----------------------------------------------------------------


def share_statement_pdf(
    invoice: Invoice, account: ShareAccount, refused: Sequence[SubsidyClaim], today: date
) -> bytes:
    """The décompte rectificatif sent after a funder refused a subsidy (PDF/A-3b).

    The invoice itself does not change (its total and VAT stand; the subsidies were a way of
    paying it, not a discount): this statement says who pays what now, and how much is due.
    """
    title = f"Décompte rectificatif {invoice.number}"
    pdf = Sheet(title, title, _at(today))
    pdf.letterhead(
        "Décompte rectificatif",
        [
            ("Facture", invoice.number),
            ("Établi le", french_date(today)),
            ("Référence de paiement", invoice.payment_reference),
        ],
    )
    pdf.parties(
        ("Prestataire", [invoice.seller_name, f"SIRET {invoice.seller_siret}"]),
        ("Entreprise", [invoice.buyer_name, f"SIREN {invoice.buyer_siren}"]),
    )
    pdf.note(
        f"La facture {invoice.number} du {french_date(invoice.issue_date)} reste inchangée. "
        "Un financeur a refusé l'aide qui devait en payer une partie : ce montant est "
        "désormais à la charge de l'entreprise, qui le règle comme son reste à charge."
    )
    rows: list[tuple[str, str, str]] = [
        ("Total TTC de la facture", euros(invoice.total_incl_vat_cents), "B"),
        ("Reste à charge initial", euros(account.share_cents), ""),
    ]
    rows += [
        (f"Aide refusée : {claim.programme.name}", f"+ {euros(claim.amount_cents)}", "I")
        for claim in refused
    ]
    rows += [
        ("Nouveau reste à charge", euros(account.owed_cents), "B"),
        ("Déjà réglé", f"− {euros(account.paid_cents)}", ""),
        ("Reste dû", euros(account.due_cents), "HL"),
    ]
    pdf.totals(rows)
    pdf.framed(
        "Motif du refus",
        [(claim.programme.name, claim.rejection_reason) for claim in refused],
    )
    return pdf.render()
