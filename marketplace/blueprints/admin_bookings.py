"""Administrator pages for bookings: the disputed ones, and settling each dispute."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy.orm import selectinload
from werkzeug.wrappers import Response

from marketplace.auth import admin_required, current_actor
from marketplace.billing.invoices import invoice_of_booking
from marketplace.blueprints.booking_pages import (
    PER_PAGE,
    SettleForm,
    add_booking_filters,
    fire_from_page,
)
from marketplace.blueprints.forms import apply_service_errors
from marketplace.blueprints.helpers import page_number
from marketplace.blueprints.review_pages import HideForm
from marketplace.bookings.lifecycle import State
from marketplace.bookings.models import Booking
from marketplace.bookings.operations import TransitionInput, available_transitions, bookings_of
from marketplace.errors import Conflict, ValidationFailed
from marketplace.extensions import db
from marketplace.reviews.operations import hide_review as hide
from marketplace.reviews.operations import review_of_booking

bp = Blueprint("admin_bookings", __name__, url_prefix="/admin/bookings")
add_booking_filters(bp)


@bp.get("/")
@admin_required
def disputed() -> str:
    """Admins: disputed bookings, the longest waiting first."""
    query = (
        bookings_of(current_actor(), State.DISPUTED)
        .order_by(None)
        .order_by(Booking.state_changed_at, Booking.id)
        .options(
            selectinload(Booking.offer),
            selectinload(Booking.company),
            selectinload(Booking.provider),
        )
    )
    page = db.paginate(query, page=page_number(), per_page=PER_PAGE, error_out=False)
    return render_template("bookings/admin_list.html", page=page)


@bp.route("/<int:booking_id>", methods=["GET", "POST"])
@admin_required
def booking(booking_id: int) -> str | Response | tuple[str, int]:
    """Admins: one booking with both parties' account of it, and the settlement of a dispute."""
    booking = db.session.get(Booking, booking_id) or abort(404)
    allowed = {t.name.value for t in available_transitions(current_actor(), booking)}
    form = SettleForm()
    if request.method == "POST" and form.validate_on_submit():
        outcome = form.outcome.data or ""
        try:
            refusal = fire_from_page(
                booking, outcome, TransitionInput(reason=form.reason.data or "")
            )
        except ValidationFailed as error:
            apply_service_errors(form, error)
        else:
            flash(
                refusal or _("Dispute settled; both parties are told."),
                "error" if refusal else "success",
            )
            return redirect(url_for("admin_bookings.booking", booking_id=booking.id))
    status = 422 if request.method == "POST" else 200
    return render_template(
        "bookings/admin_detail.html",
        booking=booking,
        allowed=allowed,
        form=form,
        invoice=invoice_of_booking(db.session(), booking),
        **_review_context(booking),
    ), status


def _review_context(booking: Booking, hide_form: HideForm | None = None) -> dict[str, Any]:
    review = review_of_booking(db.session(), booking.id)
    if hide_form is None and review is not None and review.hidden_at is None:
        hide_form = HideForm(formdata=None)
    return {"review": review, "hide_form": hide_form if review and not review.hidden_at else None}


@bp.post("/<int:booking_id>/review/hide")
@admin_required
def hide_review(booking_id: int) -> Response | tuple[str, int]:
    """Admins: hide an abusive review of this booking, with a reason (kept, shown to its
    author); it leaves the offer and its rating."""
    booking = db.session.get(Booking, booking_id) or abort(404)
    review = review_of_booking(db.session(), booking.id) or abort(404)
    form = HideForm()
    if form.validate_on_submit():
        try:
            hide(db.session(), current_actor(), review.id, form.reason.data or "")
        except ValidationFailed as error:
            db.session.rollback()
            apply_service_errors(form, error)
        except Conflict as error:
            db.session.rollback()
            flash(error.message, "error")
            return redirect(url_for("admin_bookings.booking", booking_id=booking_id))
        else:
            db.session.commit()
            flash(_("Review hidden."), "success")
            return redirect(url_for("admin_bookings.booking", booking_id=booking_id))
    return render_template(
        "bookings/admin_detail.html",
        booking=booking,
        allowed={t.name.value for t in available_transitions(current_actor(), booking)},
        form=SettleForm(formdata=None),
        invoice=invoice_of_booking(db.session(), booking),
        **_review_context(booking, form),
    ), 422
