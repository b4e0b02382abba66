"""What the invoice pages of every audience share: the list, the detail, the PDF downloads."""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select
from sqlalchemy.orm import selectinload
from werkzeug.wrappers import Response
from wtforms import DateField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from marketplace import clock
from marketplace.auth import current_actor
from marketplace.billing.claims import claims_of_invoice
from marketplace.billing.gateway import STRIPE_MINIMUM_CENTS
from marketplace.billing.invoice_models import Invoice, InvoiceStatus
from marketplace.billing.invoices import REASON_MAX, REASON_MIN, issue_credit_note
from marketplace.billing.payment_models import PaymentMethod, Refund, RefundStatus
from marketplace.billing.payments import (
    PAYER_REFERENCE_MAX,
    payments_of,
    record_transfer,
    refunds_of,
    send_pending_card_refunds,
    share_account,
)
from marketplace.blueprints.forms import SafeForm, apply_service_errors
from marketplace.blueprints.helpers import page_number
from marketplace.blueprints.offer_forms import EuroField, euro_amount, euros_to_cents
from marketplace.errors import Conflict, ValidationFailed
from marketplace.extensions import db

PER_PAGE = 20
ADMIN = "admin_invoices"
CLAIM_PAGES = {"admin_invoices": "admin_claims.claim", "provider_invoices": "provider_claims.claim"}
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


class TransferForm(SafeForm):
    amount = EuroField(_l("Amount received (€)"), validators=[DataRequired(), euro_amount])
    received_on = DateField(_l("Received on"), validators=[DataRequired()])
    payer_reference = StringField(
        _l("Label on the bank statement (optional)"),
        validators=[Optional(), Length(max=PAYER_REFERENCE_MAX)],
    )


class RefundSentForm(SafeForm):
    sent_on = DateField(_l("Refund transfer sent on"), validators=[DataRequired()])


def refund_sent_form(refund_id: int, **defaults: Any) -> RefundSentForm:
    """The form recording one refund's transfer: prefixed, as a page may hold several."""
    return RefundSentForm(prefix=f"refund-{refund_id}", **defaults)


def _refund_forms(
    refunds: list[Refund], submitted: tuple[int, RefundSentForm] | None
) -> dict[int, RefundSentForm]:
    """A form for each refund an admin sends by bank transfer, still to record."""
    forms = {
        r.id: refund_sent_form(r.id, formdata=None, sent_on=clock.today())
        for r in refunds
        if r.status == RefundStatus.PENDING and r.payment.method == PaymentMethod.BANK_TRANSFER
    }
    if submitted is not None:
        refund_id, form = submitted
        forms[refund_id] = form
    return forms


def payment_context(invoice: Invoice) -> dict[str, Any]:
    """What every audience sees of the money: the share's account, the payments and refunds,
    the subsidy claims, and where to send a transfer."""
    session = db.session()
    return {
        "account": share_account(session, invoice),
        "payments": payments_of(session, invoice),
        "refunds": refunds_of(session, invoice),
        "claims": claims_of_invoice(session, invoice),
        "card_minimum_cents": STRIPE_MINIMUM_CENTS,
        "bank": {
            "iban": current_app.config["PLATFORM_IBAN"],
            "bic": current_app.config["PLATFORM_BIC"],
        },
    }


def render_invoice(
    invoice: Invoice,
    audience: str,
    booking_endpoint: str,
    transfer_form: TransferForm | None = None,
    submitted_refund: tuple[int, RefundSentForm] | None = None,
) -> str:
    """The invoice's page for `audience` (the blueprint whose list, booking, credit-note and
    transfer links it shows). Admins also record the refund transfers a credit note owes, one
    form per refund (`submitted_refund`: a refund's id and its form holding refused input)."""
    context = payment_context(invoice)
    can_record = not invoice.is_cancelled and context["account"].due_cents > 0
    if can_record and transfer_form is None:
        transfer_form = TransferForm(formdata=None, received_on=clock.today())
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
        transfer_form=transfer_form if can_record else None,
        transfer_url=url_for(f"{audience}.record_transfer", invoice_id=invoice.id),
        claim_endpoint=CLAIM_PAGES.get(audience),
        refund_forms=(
            _refund_forms(context["refunds"], submitted_refund) if audience == ADMIN else {}
        ),
        **context,
    )


def record_transfer_page(
    invoice: Invoice, audience: str, booking_endpoint: str
) -> Response | tuple[str, int]:
    """Record a transfer seen on the bank statement; the page again with errors if refused."""
    form = TransferForm()
    if form.validate_on_submit() and form.amount.data is not None and form.received_on.data:
        try:
            record_transfer(
                db.session(),
                current_actor(),
                invoice,
                euros_to_cents(form.amount.data),
                form.received_on.data,
                form.payer_reference.data or "",
                clock.today(),
                current_app.extensions["mailer"],
            )
        except ValidationFailed as error:
            db.session.rollback()
            apply_service_errors(form, error)
        except Conflict as error:
            db.session.rollback()
            flash(error.message, "error")
            return redirect(url_for(f"{audience}.invoice", invoice_id=invoice.id))
        else:
            db.session.commit()
            flash(_("Transfer recorded."), "success")
            return redirect(
                url_for(f"{audience}.invoice", invoice_id=invoice.id) + "#invoice-payment"
            )
    return render_invoice(invoice, audience, booking_endpoint, transfer_form=form), 422


def _send_card_refunds(credit_note_id: int) -> None:
    """Give card payments back at once; what Stripe does not take now, the worker retries."""
    gateway = current_app.extensions.get("payments")
    if gateway is None:
        return
    sent, left = send_pending_card_refunds(db.session(), gateway, clock.today(), credit_note_id)
    if sent:
        flash(_("The card payments were refunded through Stripe."), "success")
    if left:
        flash(
            _("The card service did not answer: the refund will be sent again automatically."),
            "info",
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
                db.session(), current_actor(), invoice, form.reason.data or "", clock.today()
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
            _send_card_refunds(note.id)
            return redirect(back)
    status = 422 if request.method == "POST" else 200
    page = render_template("invoices/credit_note.html", invoice=invoice, form=form, back=back)
    return page, status


def add_invoice_filters(bp: Blueprint) -> None:
    """The labels invoice templates use (each invoice blueprint adds them)."""
    bp.add_app_template_filter(invoice_status_label, "invoice_status")
