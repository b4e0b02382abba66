"""Provider pages for invoices ("Factures"): the list, one invoice, its credit note, settings."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.wrappers import Response
from wtforms import BooleanField

from marketplace.auth import current_actor, provider_required
from marketplace.billing.invoice_models import Invoice
from marketplace.billing.invoice_settings import choose_auto_invoice
from marketplace.billing.invoices import invoice_for, invoices_of
from marketplace.blueprints.forms import SafeForm
from marketplace.blueprints.invoice_pages import (
    add_invoice_filters,
    credit_note_page,
    record_transfer_page,
    render_invoice,
    render_invoice_list,
    status_filter,
)
from marketplace.extensions import db

bp = Blueprint("provider_invoices", __name__, url_prefix="/provider/invoices")
add_invoice_filters(bp)


class AutoInvoiceForm(SafeForm):
    auto_invoice = BooleanField(_l("Issue the invoice automatically when the company confirms"))


def _own(invoice_id: int) -> Invoice:
    """One of the provider's invoices; anyone else's is not found."""
    return invoice_for(db.session(), current_actor(), invoice_id)


@bp.get("/")
@provider_required
def invoices() -> str:
    """Providers: their invoices, filtered by status, newest first, and the invoicing setting."""
    status = status_filter()
    form = AutoInvoiceForm(formdata=None)
    provider = current_actor().provider
    form.auto_invoice.data = bool(provider and provider.auto_invoice)
    return render_invoice_list(
        "invoices/provider_list.html",
        invoices_of(current_actor(), status),
        status,
        settings_form=form,
    )


@bp.post("/settings")
@provider_required
def settings() -> Response:
    """Providers: turn automatic invoicing of confirmed bookings on or off."""
    form = AutoInvoiceForm()
    provider = current_actor().provider
    if form.validate_on_submit() and provider is not None:
        choose_auto_invoice(db.session(), current_actor(), provider, bool(form.auto_invoice.data))
        db.session.commit()
        flash(
            _("Invoices are now issued as soon as the company confirms delivery.")
            if form.auto_invoice.data
            else _("You now issue each invoice yourself from the booking's page."),
            "success",
        )
    return redirect(url_for("provider_invoices.invoices"))


@bp.get("/<int:invoice_id>")
@provider_required
def invoice(invoice_id: int) -> str:
    """Providers: one of their invoices with every mention it holds, its split and credit note."""
    return render_invoice(_own(invoice_id), "provider_invoices", "provider_bookings.booking")


@bp.post("/<int:invoice_id>/payments")
@provider_required
def record_transfer(invoice_id: int) -> Response | tuple[str, int]:
    """Providers: record a transfer received for one of their invoices (partial allowed)."""
    return record_transfer_page(_own(invoice_id), "provider_invoices", "provider_bookings.booking")


@bp.route("/<int:invoice_id>/credit-note", methods=["GET", "POST"])
@provider_required
def credit_note(invoice_id: int) -> str | Response | tuple[str, int]:
    """Providers: confirm, then cancel one of their invoices with a credit note and a reason."""
    return credit_note_page(_own(invoice_id), "provider_invoices")
