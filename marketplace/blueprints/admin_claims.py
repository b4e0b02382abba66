"""Administrator pages for subsidy claims: the queue, one claim with its evidence, decisions.

Approving changes a status only; refusing moves money (the subsidy goes back to its budget and
the company owes it), so it asks for a reason on a page of its own that says so; marking paid
asks for the funder's payment reference. Each decision commits here, after the service.
"""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from werkzeug.wrappers import Response
from wtforms import DateField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from marketplace import clock
from marketplace.auth import admin_required, current_actor
from marketplace.billing.claim_models import ClaimStatus, SubsidyClaim
from marketplace.billing.claims import (
    FUNDER_REFERENCE_MAX,
    REASON_MAX,
    REASON_MIN,
    approve_claim,
    claim_for,
    claims_of,
    mark_claim_paid,
    reject_claim,
)
from marketplace.billing.models import SubsidyProgramme
from marketplace.blueprints.claim_pages import claim_status_label, render_claim_list
from marketplace.blueprints.forms import SafeForm, apply_service_errors
from marketplace.errors import Conflict, ValidationFailed
from marketplace.extensions import db

bp = Blueprint("admin_claims", __name__, url_prefix="/admin/claims")
bp.add_app_template_filter(claim_status_label, "claim_status")


class RejectForm(SafeForm):
    reason = TextAreaField(
        _l("Reason (sent to the company and the provider)"),
        validators=[DataRequired(), Length(min=REASON_MIN, max=REASON_MAX)],
    )


class PaidForm(SafeForm):
    paid_on = DateField(_l("Received from the funder on"), validators=[DataRequired()])
    funder_reference = StringField(
        _l("Funder's payment reference"),
        validators=[DataRequired(), Length(max=FUNDER_REFERENCE_MAX)],
    )


def _back(claim_id: int) -> Response:
    return redirect(url_for(".claim", claim_id=claim_id))


def _render_claim(claim: SubsidyClaim, paid_form: PaidForm | None = None) -> str:
    if paid_form is None and claim.status == ClaimStatus.APPROVED:
        paid_form = PaidForm(formdata=None, paid_on=clock.today())
    return render_template(
        "claims/detail.html",
        claim=claim,
        audience="admin",
        paid_form=paid_form,
        invoice_url=url_for("admin_invoices.invoice", invoice_id=claim.invoice_id),
        booking_url=url_for("admin_bookings.booking", booking_id=claim.booking_id),
        back=url_for(".queue"),
    )


@bp.get("/")
@admin_required
def queue() -> str:
    """Admins: every subsidy claim, oldest waiting first, by status and programme."""
    query = claims_of(current_actor())
    programme_id = request.args.get("programme", type=int)
    if programme_id:
        query = query.where(SubsidyClaim.programme_id == programme_id)
    programmes = db.session.scalars(select(SubsidyProgramme).order_by(SubsidyProgramme.name)).all()
    return render_claim_list(
        "claims/admin_queue.html",
        query,
        programmes=programmes,
        programme_id=programme_id or "",
    )


@bp.get("/<int:claim_id>")
@admin_required
def claim(claim_id: int) -> str:
    """Admins: one claim with its evidence, its history and the decisions left to take."""
    return _render_claim(claim_for(db.session(), current_actor(), claim_id))


@bp.post("/<int:claim_id>/approve")
@admin_required
def approve(claim_id: int) -> Response:
    """Admins: the evidence is complete; the claim now waits for the funder's payment."""
    try:
        approve_claim(db.session(), current_actor(), claim_id)
    except Conflict as error:
        db.session.rollback()
        flash(error.message, "error")
    else:
        db.session.commit()
        flash(_("Claim approved: it now waits for the funder's payment."), "success")
    return _back(claim_id)


@bp.route("/<int:claim_id>/reject", methods=["GET", "POST"])
@admin_required
def reject(claim_id: int) -> str | Response | tuple[str, int]:
    """Admins: confirm, then refuse a claim with a reason; the company then owes its amount."""
    found = claim_for(db.session(), current_actor(), claim_id)
    if found.status not in (ClaimStatus.SUBMITTED, ClaimStatus.APPROVED):
        flash(_("This claim is already settled."), "error")
        return _back(claim_id)
    form = RejectForm()
    if form.validate_on_submit():
        try:
            reject_claim(
                db.session(),
                current_actor(),
                claim_id,
                form.reason.data or "",
                clock.today(),
                current_app.extensions["mailer"],
            )
        except ValidationFailed as error:
            db.session.rollback()
            apply_service_errors(form, error)
        except Conflict as error:
            db.session.rollback()
            flash(error.message, "error")
            return _back(claim_id)
        else:
            db.session.commit()
            flash(_("Claim refused: the company owes its amount and has been told."), "success")
            return _back(claim_id)
    status = 422 if request.method == "POST" else 200
    return render_template("claims/reject.html", claim=found, form=form), status


@bp.post("/<int:claim_id>/pay")
@admin_required
def mark_paid(claim_id: int) -> Response | tuple[str, int]:
    """Admins: the funder's money arrived for an approved claim (date and its reference)."""
    found = claim_for(db.session(), current_actor(), claim_id)
    form = PaidForm()
    if form.validate_on_submit() and form.paid_on.data:
        try:
            mark_claim_paid(
                db.session(),
                current_actor(),
                claim_id,
                form.paid_on.data,
                form.funder_reference.data or "",
                clock.today(),
                current_app.extensions["mailer"],
            )
        except ValidationFailed as error:
            db.session.rollback()
            apply_service_errors(form, error)
        except Conflict as error:
            db.session.rollback()
            flash(error.message, "error")
            return _back(claim_id)
        else:
            db.session.commit()
            flash(_("Claim marked paid."), "success")
            return _back(claim_id)
    return _render_claim(found, paid_form=form), 422
