"""API: invoices and credit notes — issue, list, read, download, cancel.

An invoice the caller's company or provider is not party to is a 404 (admins see them all);
issuing a booking that is not confirmed, or already invoiced, and cancelling a cancelled
invoice, are 409s. In every refusal nothing changes.
"""

from __future__ import annotations

from typing import Any

from flask import current_app
from flask.views import MethodView
from werkzeug.wrappers import Response

from marketplace import clock
from marketplace.auth import current_actor, login_required, provider_required
from marketplace.billing.invoice_models import CreditNote, Invoice, InvoiceStatus
from marketplace.billing.invoice_pdf import credit_note_pdf, invoice_pdf
from marketplace.billing.invoice_schemas import (
    CreditNoteRequestSchema,
    CreditNoteSchema,
    InvoicePageSchema,
    InvoiceQuerySchema,
    InvoiceRequestSchema,
    InvoiceSchema,
)
from marketplace.billing.invoices import (
    PLATFORM_NAME,
    credit_note_for,
    invoice_for,
    invoice_terms,
    invoices_of,
    issue_credit_note,
    issue_invoice,
)
from marketplace.billing.payment_models import Payment, PaymentMethod, PaymentStatus, RefundStatus
from marketplace.billing.payment_schemas import (
    InvoicePaymentsSchema,
    PaymentSchema,
    TransferRequestSchema,
)
from marketplace.billing.payments import payments_of, record_transfer, refunds_of, share_account
from marketplace.blueprints.api.common import LOGGED_IN, make_blueprint, paginate
from marketplace.blueprints.invoice_pages import pdf_download
from marketplace.bookings.operations import booking_for
from marketplace.errors import ValidationFailed
from marketplace.extensions import db

bp = make_blueprint("api_invoices", "/invoices", "Invoices: issued from confirmed bookings.")
credit_notes_bp = make_blueprint(
    "api_credit_notes", "/credit-notes", "Credit notes: each cancels one invoice in full."
)

PDF_RESPONSE = {
    "200": {
        "description": "The PDF/A-3b document, its Factur-X (EN 16931 CII) XML embedded.",
        "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
        "headers": {
            "Content-Disposition": {
                "description": "attachment; filename=<number>.pdf",
                "schema": {"type": "string"},
            }
        },
    }
}


def invoice_body(invoice: Invoice) -> dict[str, Any]:
    """The invoice as issued (InvoiceSchema)."""
    note = invoice.credit_note
    return {
        **{column: getattr(invoice, column) for column in _INVOICE_COLUMNS},
        "status": InvoiceStatus(invoice.status).value,
        "automatic": invoice.issued_by_id is None,
        "lines": invoice.lines,
        "taxes": invoice.taxes,
        "subsidies": invoice.subsidies,
        "credit_note_id": note.id if note else None,
    }


_INVOICE_COLUMNS = (
    "id",
    "number",
    "booking_id",
    "booking_reference",
    "provider_id",
    "company_id",
    "issue_date",
    "issued_at",
    "service_start",
    "service_end",
    "due_date",
    "currency",
    "seller_name",
    "seller_siren",
    "seller_siret",
    "seller_vat_number",
    "buyer_name",
    "buyer_siren",
    "buyer_vat_number",
    "buyer_department_code",
    "total_excl_vat_cents",
    "total_vat_cents",
    "total_incl_vat_cents",
    "subsidies_cents",
    "company_share_cents",
    "payment_reference",
    "late_penalty_rate_bp",
    "recovery_indemnity_cents",
    "mentions",
    "cancelled_at",
)


def credit_note_body(note: CreditNote) -> dict[str, Any]:
    """The credit note as issued (CreditNoteSchema)."""
    return {
        "id": note.id,
        "number": note.number,
        "invoice_id": note.invoice_id,
        "invoice_number": note.invoice.number,
        "provider_id": note.provider_id,
        "company_id": note.company_id,
        "issue_date": note.issue_date,
        "issued_at": note.issued_at,
        "reason": note.reason,
        "total_excl_vat_cents": note.total_excl_vat_cents,
        "total_vat_cents": note.total_vat_cents,
        "total_incl_vat_cents": note.total_incl_vat_cents,
        "subsidies_cents": note.subsidies_cents,
        "company_share_cents": note.company_share_cents,
        "released_subsidies_cents": note.released_subsidies_cents,
        "mentions": note.mentions,
    }


def _invoice(invoice_id: int) -> Invoice:
    """A foreign one is a NotFound, which the error handler answers with a 404."""
    return invoice_for(db.session(), current_actor(), invoice_id)


def _credit_note(credit_note_id: int) -> CreditNote:
    """A foreign one is a NotFound, which the error handler answers with a 404."""
    return credit_note_for(db.session(), current_actor(), credit_note_id)


@bp.route("")
class Invoices(MethodView):
    @bp.doc(security=LOGGED_IN)
    @login_required
    @bp.arguments(InvoiceQuerySchema, location="query")
    @bp.response(200, InvoicePageSchema)
    @bp.alt_response(401, response="UNAUTHORIZED")
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Any logged-in user: its company's or its provider's invoices (admins: all), newest
        first.

        Filter by `status`; paginated (`page`, `page_size` in; `{items, pagination}` out).
        """
        status = InvoiceStatus(args["status"]) if args.get("status") else None
        page = paginate(invoices_of(current_actor(), status), args["page"], args["page_size"])
        page["items"] = [invoice_body(invoice) for invoice in page["items"]]
        return page

    @bp.doc(security=LOGGED_IN)
    @provider_required
    @bp.arguments(InvoiceRequestSchema)
    @bp.response(201, InvoiceSchema)
    @bp.alt_response(401, response="UNAUTHORIZED")
    @bp.alt_response(403, response="FORBIDDEN")
    @bp.alt_response(404, response="NOT_FOUND")
    @bp.alt_response(409, response="CONFLICT")
    def post(self, args: dict[str, Any]) -> dict[str, Any]:
        """Providers: issue the invoice of one of their confirmed bookings (409 if it is not
        confirmed, is free or is already invoiced). Irreversible: only a credit note cancels it.
        """
        actor = current_actor()
        booking = booking_for(db.session(), actor, args["booking_id"])
        invoice = issue_invoice(
            db.session(), actor, booking, clock.today(), invoice_terms(current_app.config)
        )
        db.session.commit()
        return invoice_body(invoice)


@bp.route("/<int:invoice_id>", methods=["GET"])
@bp.doc(security=LOGGED_IN)
@login_required
@bp.response(200, InvoiceSchema)
@bp.alt_response(401, response="UNAUTHORIZED")
@bp.alt_response(404, response="NOT_FOUND")
def get_invoice(invoice_id: int) -> dict[str, Any]:
    """Any logged-in user of the invoice's company or provider (or an admin): the invoice with
    every mention, line, VAT rate and subsidy it holds."""
    return invoice_body(_invoice(invoice_id))


@bp.route("/<int:invoice_id>/pdf", methods=["GET"])
@bp.doc(security=LOGGED_IN, responses=PDF_RESPONSE)
@login_required
@bp.alt_response(401, response="UNAUTHORIZED")
@bp.alt_response(404, response="NOT_FOUND")
def get_invoice_pdf(invoice_id: int) -> Response:
    """Any logged-in user of the invoice's company or provider (or an admin): the invoice as a
    PDF (application/pdf), with its Factur-X XML."""
    invoice = _invoice(invoice_id)
    return pdf_download(invoice_pdf(invoice), invoice.number)


@bp.route("/<int:invoice_id>/credit-notes", methods=["POST"])
@bp.doc(security=LOGGED_IN)
@login_required
@bp.arguments(CreditNoteRequestSchema)
@bp.response(201, CreditNoteSchema)
@bp.alt_response(401, response="UNAUTHORIZED")
@bp.alt_response(403, response="FORBIDDEN")
@bp.alt_response(404, response="NOT_FOUND")
@bp.alt_response(409, response="CONFLICT")
def post_credit_note(args: dict[str, Any], invoice_id: int) -> dict[str, Any]:
    """Any logged-in user of the invoice's provider, or an admin: cancel the invoice in full
    with a credit note and a reason (its subsidies are released). 409 if it is already
    cancelled or a subsidy of it is claimed."""
    invoice = _invoice(invoice_id)
    note = issue_credit_note(db.session(), current_actor(), invoice, args["reason"], clock.today())
    db.session.commit()
    return credit_note_body(note)


def payments_body(invoice: Invoice) -> dict[str, Any]:
    """What the company owes on the invoice and what came in (InvoicePaymentsSchema)."""
    session = db.session()
    account = share_account(session, invoice)
    card = current_app.extensions.get("payments") is not None
    return {
        "invoice_id": invoice.id,
        "status": account.status.value,
        "share_cents": account.share_cents,
        "refused_subsidies_cents": account.refused_subsidies_cents,
        "owed_cents": account.owed_cents,
        "paid_cents": account.paid_cents,
        "due_cents": account.due_cents,
        "card_payment_offered": card and account.card_possible and not invoice.is_cancelled,
        "bank_details": {
            "beneficiary": PLATFORM_NAME,
            "iban": current_app.config["PLATFORM_IBAN"],
            "bic": current_app.config["PLATFORM_BIC"],
            "reference": invoice.payment_reference,
        },
        "payments": [payment_body(payment) for payment in payments_of(session, invoice)],
        "refunds": [
            {
                "id": refund.id,
                "payment_id": refund.payment_id,
                "credit_note_id": refund.credit_note_id,
                "status": RefundStatus(refund.status).value,
                "amount_cents": refund.amount_cents,
                "sent_on": refund.sent_on,
            }
            for refund in refunds_of(session, invoice)
        ],
    }


def payment_body(payment: Payment) -> dict[str, Any]:
    return {
        "id": payment.id,
        "method": PaymentMethod(payment.method).value,
        "status": PaymentStatus(payment.status).value,
        "amount_cents": payment.amount_cents,
        "received_on": payment.received_on,
        "payer_reference": payment.payer_reference,
        "failure_message": payment.failure_message,
        "created_at": payment.created_at,
    }


@bp.route("/<int:invoice_id>/payments", methods=["GET"])
@bp.doc(security=LOGGED_IN)
@login_required
@bp.response(200, InvoicePaymentsSchema)
@bp.alt_response(401, response="UNAUTHORIZED")
@bp.alt_response(404, response="NOT_FOUND")
def get_payments(invoice_id: int) -> dict[str, Any]:
    """Any logged-in user of the invoice's company or provider (or an admin): what the company
    owes (its share plus any refused subsidy), has paid and still owes, where to send a
    transfer, and each payment and refund."""
    return payments_body(_invoice(invoice_id))


@bp.route("/<int:invoice_id>/payments", methods=["POST"])
@bp.doc(security=LOGGED_IN)
@login_required
@bp.arguments(TransferRequestSchema)
@bp.response(201, PaymentSchema)
@bp.alt_response(401, response="UNAUTHORIZED")
@bp.alt_response(403, response="FORBIDDEN")
@bp.alt_response(404, response="NOT_FOUND")
@bp.alt_response(409, response="CONFLICT")
def post_payment(args: dict[str, Any], invoice_id: int) -> dict[str, Any]:
    """Any logged-in user of the invoice's provider, or an admin: record a bank transfer
    received (partial payments allowed). More than is due, or a date before the invoice or
    after today, is a 409 per field naming what is due; a cancelled invoice a 409 too. Paying
    the share in full opens the subsidy claims."""
    invoice = _invoice(invoice_id)
    try:
        payment = record_transfer(
            db.session(),
            current_actor(),
            invoice,
            args["amount_cents"],
            args["received_on"],
            args.get("payer_reference", ""),
            clock.today(),
            current_app.extensions["mailer"],
        )
    except ValidationFailed as error:  # the service's "amount" is this body's "amount_cents"
        renamed = {("amount_cents" if k == "amount" else k): v for k, v in error.errors.items()}
        raise type(error)(renamed) from error
    db.session.commit()
    return payment_body(payment)


@credit_notes_bp.route("/<int:credit_note_id>", methods=["GET"])
@credit_notes_bp.doc(security=LOGGED_IN)
@login_required
@credit_notes_bp.response(200, CreditNoteSchema)
@credit_notes_bp.alt_response(401, response="UNAUTHORIZED")
@credit_notes_bp.alt_response(404, response="NOT_FOUND")
def get_credit_note(credit_note_id: int) -> dict[str, Any]:
    """Any logged-in user of the credit note's company or provider (or an admin): the credit
    note, with the invoice it cancels and why."""
    return credit_note_body(_credit_note(credit_note_id))


@credit_notes_bp.route("/<int:credit_note_id>/pdf", methods=["GET"])
@credit_notes_bp.doc(security=LOGGED_IN, responses=PDF_RESPONSE)
@login_required
@credit_notes_bp.alt_response(401, response="UNAUTHORIZED")
@credit_notes_bp.alt_response(404, response="NOT_FOUND")
def get_credit_note_pdf(credit_note_id: int) -> Response:
    """Any logged-in user of the credit note's company or provider (or an admin): the credit
    note as a PDF (application/pdf), with its Factur-X XML."""
    note = _credit_note(credit_note_id)
    return pdf_download(credit_note_pdf(note), note.number)
