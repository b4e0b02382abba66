"""Administrator pages for invoices: every invoice on the platform, one invoice, a credit note."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import or_
from werkzeug.wrappers import Response

from marketplace.auth import admin_required, current_actor
from marketplace.billing.invoice_models import CreditNote, Invoice
from marketplace.billing.invoices import invoice_for, invoices_of
from marketplace.blueprints.invoice_pages import (
    CreditNoteForm,
    add_invoice_filters,
    credit_note_from_page,
    render_credit_note_form,
    render_invoice_list,
    status_filter,
)
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
    found = invoice_for(db.session(), current_actor(), invoice_id)
    return render_template(
        "invoices/detail.html",
        invoice=found,
        back=url_for("admin_invoices.invoices"),
        booking_url=url_for("admin_bookings.booking", booking_id=found.booking_id),
        credit_url=(
            None
            if found.is_cancelled
            else url_for("admin_invoices.credit_note", invoice_id=found.id)
        ),
    )


@bp.route("/<int:invoice_id>/credit-note", methods=["GET", "POST"])
@admin_required
def credit_note(invoice_id: int) -> str | Response | tuple[str, int]:
    """Admins: confirm, then cancel an invoice with a credit note and a reason (a settled
    dispute, say)."""
    found = invoice_for(db.session(), current_actor(), invoice_id)
    back = url_for("admin_invoices.invoice", invoice_id=found.id)
    if found.is_cancelled:
        flash(_("This invoice is already cancelled."), "error")
        return redirect(back)
    form = CreditNoteForm()
    result = credit_note_from_page(found, form)
    if isinstance(result, CreditNote):
        flash(
            _("Credit note %(number)s issued: the invoice is cancelled.", number=result.number),
            "success",
        )
        return redirect(back)
    if isinstance(result, str):
        flash(result, "error")
        return redirect(back)
    return render_credit_note_form(found, form, back)
