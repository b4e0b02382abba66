"""Provider pages for bookings ("Demandes reçues"): quote or decline, deliver, cancel, write,
and issue the invoice of a confirmed one."""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response

from marketplace import clock
from marketplace.auth import current_actor, provider_required
from marketplace.billing.invoices import invoice_of_booking, invoice_terms, issue_invoice
from marketplace.billing.money import price_breakdown
from marketplace.blueprints.booking_pages import (
    DELIVERY_MAX_BYTES,
    QUOTE_ALIASES,
    DeliveryForm,
    MessageForm,
    QuoteForm,
    ReasonForm,
    add_booking_filters,
    fire_from_page,
    render_booking_list,
    send_message_from_page,
)
from marketplace.blueprints.forms import apply_service_errors
from marketplace.blueprints.guards import body_limit
from marketplace.blueprints.review_pages import ReplyForm
from marketplace.bookings.lifecycle import State, transition
from marketplace.bookings.models import Booking
from marketplace.bookings.operations import (
    TransitionInput,
    available_transitions,
    booking_for,
    quote_line,
)
from marketplace.errors import Conflict, ValidationFailed
from marketplace.extensions import db
from marketplace.reviews.operations import reply_to_review as reply
from marketplace.reviews.operations import review_of_booking

bp = Blueprint("provider_bookings", __name__, url_prefix="/provider/bookings")
add_booking_filters(bp)


def _own(booking_id: int) -> Booking:
    """One of the provider's bookings; anyone else's is not found (a provider is never the
    company or an admin of a booking)."""
    return booking_for(db.session(), current_actor(), booking_id)


@bp.get("/")
@provider_required
def bookings() -> str:
    """Providers: the requests and agreements they received, filtered by state, newest first."""
    return render_booking_list("bookings/provider_list.html", Booking.company)


def _render_booking(booking: Booking, status: int = 200, **forms: Any) -> tuple[str, int]:
    """The provider's page of one booking; forms come back with their errors after a refusal."""
    allowed = {t.name.value for t in available_transitions(current_actor(), booking)}
    quote_form = forms.get("quote_form")
    if quote_form is None:
        quote_form = QuoteForm(formdata=None)
        quote_form.fill(booking)
    line = quote_line(booking)
    return render_template(
        "bookings/provider_detail.html",
        booking=booking,
        allowed=allowed,
        per_unit=booking.offer.is_per_unit,
        quote_price=(
            price_breakdown(line.unit_price_excl_vat_cents * line.quantity, line.vat_rate_bp)
            if line
            else None
        ),
        quote_form=quote_form,
        decline_form=forms.get("decline_form") or ReasonForm(formdata=None),
        delivery_form=forms.get("delivery_form") or DeliveryForm(formdata=None),
        message_form=forms.get("message_form") or MessageForm(formdata=None),
        invoice=invoice_of_booking(db.session(), booking),
        # A free session (a volunteer's) has nothing to invoice.
        can_invoice=booking.state == State.CONFIRMED
        and bool(booking.agreement and booking.agreement["split"]["incl_vat_cents"]),
        review=(review := review_of_booking(db.session(), booking.id)),
        reply_form=forms.get("reply_form")
        or (ReplyForm(formdata=None) if review and not review.replied_at else None),
    ), status


@bp.post("/<int:booking_id>/review/reply")
@provider_required
def reply_to_review(booking_id: int) -> Response | tuple[str, int]:
    """Providers: answer the review of one of their bookings, once, in public."""
    booking = _own(booking_id)
    review = review_of_booking(db.session(), booking.id) or abort(404)
    form = ReplyForm()
    if form.validate_on_submit():
        try:
            reply(db.session(), current_actor(), review.id, form.reply.data or "")
        except ValidationFailed as error:
            db.session.rollback()
            apply_service_errors(form, error)
        except Conflict as error:
            db.session.rollback()
            return _done(booking, error.message, "")
        else:
            db.session.commit()
            return _done(booking, None, _("Your reply is published under the review."))
    return _render_booking(booking, 422, reply_form=form)


def _done(booking: Booking, refusal: str | None, message: str) -> Response:
    flash(refusal or message, "error" if refusal else "success")
    return redirect(url_for("provider_bookings.booking", booking_id=booking.id))


@bp.get("/<int:booking_id>")
@provider_required
def booking(booking_id: int) -> tuple[str, int]:
    """Providers: one booking they received: the request, their quote, the agreement, the
    delivery, messages and history, with what they can do next."""
    return _render_booking(_own(booking_id))


@bp.post("/<int:booking_id>/quote")
@provider_required
def propose_quote(booking_id: int) -> Response | tuple[str, int]:
    """Providers: propose a quote for a request, or revise it until the company accepts one."""
    booking = _own(booking_id)
    form = QuoteForm()
    if not form.validate_on_submit():
        return _render_booking(booking, 422, quote_form=form)
    try:
        refusal = fire_from_page(booking, "propose_quote", TransitionInput(quote=form.to_data()))
    except ValidationFailed as error:
        apply_service_errors(form, error, QUOTE_ALIASES)
        return _render_booking(booking, 422, quote_form=form)
    return _done(booking, refusal, _("Quote sent to the company."))


@bp.post("/<int:booking_id>/decline")
@provider_required
def decline(booking_id: int) -> Response | tuple[str, int]:
    """Providers: decline a request or withdraw their quote, with a reason for the company."""
    booking = _own(booking_id)
    form = ReasonForm()
    if not form.validate_on_submit():
        return _render_booking(booking, 422, decline_form=form)
    try:
        refusal = fire_from_page(booking, "decline", TransitionInput(reason=form.reason.data or ""))
    except ValidationFailed as error:
        apply_service_errors(form, error)
        return _render_booking(booking, 422, decline_form=form)
    return _done(booking, refusal, _("Request declined."))


@bp.post("/<int:booking_id>/delivered")
@body_limit(DELIVERY_MAX_BYTES)
@provider_required
def mark_delivered(booking_id: int) -> Response | tuple[str, int]:
    """Providers: mark an agreed booking delivered, with a note and evidence files."""
    booking = _own(booking_id)
    form = DeliveryForm()
    if not form.validate_on_submit():
        return _render_booking(booking, 422, delivery_form=form)
    given = TransitionInput(delivery_note=form.delivery_note.data or "", evidence=form.uploads())
    try:
        refusal = fire_from_page(booking, "mark_delivered", given)
    except ValidationFailed as error:
        apply_service_errors(form, error)
        return _render_booking(booking, 422, delivery_form=form)
    return _done(booking, refusal, _("Delivery recorded: the company can now confirm it."))


@bp.route("/<int:booking_id>/cancel", methods=["GET", "POST"])
@provider_required
def cancel(booking_id: int) -> str | Response | tuple[str, int]:
    """Providers: confirm, then cancel an agreed booking with a reason (subsidies released)."""
    booking = _own(booking_id)
    if "cancel" not in {t.name.value for t in available_transitions(current_actor(), booking)}:
        flash(_("This booking cannot be cancelled from your side."), "error")
        return redirect(url_for("provider_bookings.booking", booking_id=booking.id))
    step = transition(State(booking.state), "cancel")
    form = ReasonForm()
    if form.validate_on_submit():
        try:
            refusal = fire_from_page(
                booking, "cancel", TransitionInput(reason=form.reason.data or "")
            )
        except ValidationFailed as error:
            apply_service_errors(form, error)
        else:
            return _done(booking, refusal, _("The booking is cancelled."))
    return render_template(
        "bookings/cancel.html",
        booking=booking,
        form=form,
        needs_reason=bool(step and step.needs_reason),
        back=url_for("provider_bookings.booking", booking_id=booking.id),
    ), (422 if request.method == "POST" else 200)


@bp.post("/<int:booking_id>/messages")
@provider_required
def message(booking_id: int) -> Response | tuple[str, int]:
    """Providers: write to the company in the booking's thread."""
    booking = _own(booking_id)
    form = MessageForm()
    if send_message_from_page(booking, form):
        return redirect(
            url_for("provider_bookings.booking", booking_id=booking.id, _anchor="messages")
        )
    return _render_booking(booking, 422, message_form=form)


@bp.route("/<int:booking_id>/invoice", methods=["GET", "POST"])
@provider_required
def issue(booking_id: int) -> str | Response:
    """Providers: confirm, then issue the invoice of a confirmed booking (it never changes
    afterwards: only a credit note cancels it)."""
    booking = _own(booking_id)
    back = url_for("provider_bookings.booking", booking_id=booking.id)
    existing = invoice_of_booking(db.session(), booking)
    if existing is not None:
        return redirect(url_for("provider_invoices.invoice", invoice_id=existing.id))
    if booking.state != State.CONFIRMED:
        flash(_("Only a confirmed booking can be invoiced."), "error")
        return redirect(back)
    form = FlaskForm()
    if form.validate_on_submit():
        terms = invoice_terms(current_app.config)
        try:
            invoice = issue_invoice(db.session(), current_actor(), booking, clock.today(), terms)
        except Conflict as error:
            db.session.rollback()
            flash(error.message, "error")
            return redirect(back)
        db.session.commit()
        flash(_("Invoice %(number)s issued.", number=invoice.number), "success")
        return redirect(url_for("provider_invoices.invoice", invoice_id=invoice.id))
    return render_template("invoices/issue.html", booking=booking, form=form, back=back)
