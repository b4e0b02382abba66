"""Administrator pages for invoices: every invoice on the platform, one invoice, a credit note."""

from __future__ import annotations

from flask import Blueprint, request
from sqlalchemy import or_
from werkzeug.wrappers import Response

from marketplace.auth import admin_required, current_actor
from marketplace.billing.invoice_models import Invoice
from marketplace.billing.invoices import invoice_for, invoices_of
from marketplace.blueprints.invoice_pages import (
    add_invoice_filters,
    credit_note_page,
    record_transfer_page,
    render_invoice,
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
