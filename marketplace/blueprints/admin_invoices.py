"""Administrator pages for invoices: every invoice on the platform, one invoice, a credit note."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from sqlalchemy import or_
from werkzeug.wrappers import Response

from marketplace import clock
from marketplace.auth import admin_required, current_actor
from marketplace.billing.invoice_models import Invoice
from marketplace.billing.invoices import invoice_for, invoices_of
from marketplace.billing.payment_models import Refund
from marketplace.billing.payments import record_refund_sent
from marketplace.blueprints.forms import apply_service_errors
from marketplace.blueprints.invoice_pages import (
    add_invoice_filters,
    credit_note_page,
    record_transfer_page,
    refund_sent_form,
    render_invoice,
    render_invoice_list,
    status_filter,
)
from marketplace.errors import Conflict, ValidationFailed
from marketplace.extensions import db

bp = Blueprint("admin_invoices", __name__, url_prefix="/admin/invoices")
add_invoice_filters(bp)
QUERY_MAX = 160


@bp.get("/")
@admin_required
def invoices() -> str:
    """Admins: every invoice, filtered by status and by number, company or provider name."""
    status = status_filter()
    q = request.args.get("q", "").strip()[:QUERY_MAX]
    query = invoices_of(current_actor(), status)
    if q:
        pattern = "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        query = query.where(
            or_(
                Invoice.number.ilike(pattern, escape="\\"),
                Invoice.buyer_name.ilike(pattern, escape="\\"),
                Invoice.seller_name.ilike(pattern, escape="\\"),
            )
        )
    return render_invoice_list("invoices/admin_list.html", query, status, q=q)


@bp.get("/<int:invoice_id>")
@admin_required
def invoice(invoice_id: int) -> str:
    """Admins: one invoice with every mention it holds, its split and credit note."""
    return render_invoice(
        invoice_for(db.session(), current_actor(), invoice_id),
        "admin_invoices",
        "admin_bookings.booking",
    )


@bp.post("/<int:invoice_id>/payments")
@admin_required
def record_transfer(invoice_id: int) -> Response | tuple[str, int]:
    """Admins: record a transfer received for an invoice (partial allowed)."""
    return record_transfer_page(
        invoice_for(db.session(), current_actor(), invoice_id),
        "admin_invoices",
        "admin_bookings.booking",
    )


@bp.route("/<int:invoice_id>/credit-note", methods=["GET", "POST"])
@admin_required
def credit_note(invoice_id: int) -> str | Response | tuple[str, int]:
    """Admins: confirm, then cancel an invoice with a credit note and a reason (a settled
    dispute, say)."""
    return credit_note_page(
        invoice_for(db.session(), current_actor(), invoice_id), "admin_invoices"
    )


@bp.post("/<int:invoice_id>/refunds/<int:refund_id>")
@admin_required
def refund_sent(invoice_id: int, refund_id: int) -> Response | tuple[str, int]:
    """Admins: record the bank transfer that gave the company back what a credit note owes it
    (card payments go back through Stripe on their own)."""
    invoice = invoice_for(db.session(), current_actor(), invoice_id)
    refund = db.session.get(Refund, refund_id)
    if refund is None or refund.invoice_id != invoice.id:
        abort(404)
    back = url_for(".invoice", invoice_id=invoice.id) + "#refunds"
    form = refund_sent_form(refund.id)
    if form.validate_on_submit() and form.sent_on.data is not None:
        try:
            record_refund_sent(
                db.session(), current_actor(), refund.id, form.sent_on.data, clock.today()
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
            flash(_("Refund recorded: the company has its money back."), "success")
            return redirect(back)
    page = render_invoice(
        invoice,
        "admin_invoices",
        "admin_bookings.booking",
        submitted_refund=(refund.id, form),
    )
    return page, 422
