"""Provider pages for subsidy claims: each claim's status and what it waits for."""

from __future__ import annotations

from flask import Blueprint, render_template, url_for

from marketplace.auth import current_actor, provider_required
from marketplace.billing.claims import claim_for, claims_of
from marketplace.blueprints.claim_pages import render_claim_list
from marketplace.extensions import db

bp = Blueprint("provider_claims", __name__, url_prefix="/provider/claims")


@bp.get("/")
@provider_required
def claims() -> str:
    """Providers: the subsidy claims of their invoices, and what each one waits for."""
    return render_claim_list("claims/provider_list.html", claims_of(current_actor()))


@bp.get("/<int:claim_id>")
@provider_required
def claim(claim_id: int) -> str:
    """Providers: one of their claims with its evidence and history, read-only."""
    found = claim_for(db.session(), current_actor(), claim_id)
    return render_template(
        "claims/detail.html",
        claim=found,
        audience="provider",
        paid_form=None,
        invoice_url=url_for("provider_invoices.invoice", invoice_id=found.invoice_id),
        booking_url=url_for("provider_bookings.booking", booking_id=found.booking_id),
        back=url_for(".claims"),
    )
