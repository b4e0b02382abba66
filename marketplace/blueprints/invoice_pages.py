"""What the invoice pages of every audience share: the list, the detail, the PDF downloads."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select
from sqlalchemy.orm import selectinload
from werkzeug.wrappers import Response
from wtforms import TextAreaField
from wtforms.validators import DataRequired, Length

from marketplace.auth import current_actor
from marketplace.billing.invoice_models import Invoice, InvoiceStatus
from marketplace.billing.invoices import REASON_MAX, REASON_MIN, issue_credit_note
from marketplace.blueprints.forms import SafeForm, apply_service_errors
from marketplace.blueprints.helpers import page_number
from marketplace.errors import Conflict, ValidationFailed
from marketplace.extensions import db

PER_PAGE = 20
STATUS_LABELS = {InvoiceStatus.ISSUED: _l("Issued"), InvoiceStatus.CANCELLED: _l("Cancelled")}


def invoice_status_label(status: str) -> str:
    return str(STATUS_LABELS.get(InvoiceStatus(status), status))


def status_choices() -> list[tuple[str, str]]:
    return [(status.value, str(label)) for status, label in STATUS_LABELS.items()]


def status_filter() -> InvoiceStatus | None:
    """`?status=` of a list: a known status, or every status."""
    raw = request.args.get("status", "")
    return InvoiceStatus(raw) if raw in {s.value for s in InvoiceStatus} else None


def render_invoice_list(
    template: str, query: Select[Invoice], status: InvoiceStatus | None, **context: object
) -> str:
    """A page of the invoices of `query` (already filtered), with both parties loaded along."""
    query = query.options(
        selectinload(Invoice.provider),
        selectinload(Invoice.company),
        selectinload(Invoice.credit_note),
    )
    page = db.paginate(query, page=page_number(), per_page=PER_PAGE, error_out=False)
    return render_template(
        template,
        page=page,
        status=status.value if status else "",
        status_choices=status_choices(),
        **context,
    )


def pdf_download(data: bytes, number: str) -> Response:
    """A PDF as an attachment named after its document, never sniffed nor cached."""
    response = make_response(data)
    response.headers["Content-Type"] = "application/pdf"
    response.headers["Content-Disposition"] = f"attachment; filename={number}.pdf"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response


class CreditNoteForm(SafeForm):
    reason = TextAreaField(
        _l("Reason (printed on the credit note)"),
        validators=[DataRequired(), Length(min=REASON_MIN, max=REASON_MAX)],
    )


def render_invoice(invoice: Invoice, audience: str, booking_endpoint: str) -> str:
    """The invoice's page for `audience` (the blueprint whose list, booking and credit-note
    links it shows)."""
    return render_template(
        "invoices/detail.html",
        invoice=invoice,
        back=url_for(f"{audience}.invoices"),
        booking_url=url_for(booking_endpoint, booking_id=invoice.booking_id),
        credit_url=(
            None
            if invoice.is_cancelled
            else url_for(f"{audience}.credit_note", invoice_id=invoice.id)
        ),
    )


def credit_note_page(invoice: Invoice, audience: str) -> str | Response | tuple[str, int]:
    """Confirm, then cancel the invoice with a credit note and a reason; back to its page."""
    back = url_for(f"{audience}.invoice", invoice_id=invoice.id)
    if invoice.is_cancelled:
        flash(_("This invoice is already cancelled."), "error")
        return redirect(back)
    form = CreditNoteForm()
    if form.validate_on_submit():
        try:
            note = issue_credit_note(
                db.session(), current_actor(), invoice, form.reason.data or "", date.today()
            )
        except ValidationFailed as error:
            db.session.rollback()
            apply_service_errors(form, error)
        except Conflict as error:
            db.session.rollback()
            flash(error.message, "error")
            return redirect(back)
        else:
            db.session.commit()
            flash(
                _("Credit note %(number)s issued: the invoice is cancelled.", number=note.number),
                "success",
            )
            return redirect(back)
    status = 422 if request.method == "POST" else 200
    page = render_template("invoices/credit_note.html", invoice=invoice, form=form, back=back)
    return page, status


def add_invoice_filters(bp: Blueprint) -> None:
    """The labels invoice templates use (each invoice blueprint adds them)."""
    bp.add_app_template_filter(invoice_status_label, "invoice_status")
