"""API: bookings — request an offer, fire each lifecycle transition, talk in the thread.

Every transition of `bookings.lifecycle` that a person fires is `POST /bookings/{id}/<name>`.
A booking the caller is not a party to is a 404; a transition the table does not allow from the
booking's state, for the caller, is a 409 listing the allowed ones; bad input is a 422. In every
refusal nothing changes.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import abort, current_app
from flask.views import MethodView

from marketplace import clock
from marketplace.accounts.models import User
from marketplace.auth import company_required, current_actor, login_required
from marketplace.billing.invoices import invoice_terms
from marketplace.billing.quotes import QuoteContext, quote_context
from marketplace.billing.split import split_as_dict
from marketplace.blueprints.api.common import LOGGED_IN, make_blueprint, paginate
from marketplace.bookings.lifecycle import Party, State, TransitionName
from marketplace.bookings.models import Booking, BookingMessage
from marketplace.bookings.operations import (
    QuoteData,
    RequestData,
    TransitionInput,
    available_transitions,
    booking_for,
    bookings_of,
    current_split,
    fire,
    parties_of,
    post_message,
    request_booking,
    waiting_for,
)
from marketplace.bookings.schemas import (
    AcceptSchema,
    BookingPageSchema,
    BookingQuerySchema,
    BookingRequestSchema,
    BookingSchema,
    DeliverySchema,
    MessageListSchema,
    MessageRequestSchema,
    MessageSchema,
    OptionalReasonSchema,
    QuoteRequestSchema,
    ReasonSchema,
)
from marketplace.catalog.models import Offer
from marketplace.extensions import db

bp = make_blueprint("api_bookings", "/bookings", "Bookings: requests, quotes, agreements.")


def booking_body(
    actor: User,
    booking: Booking,
    today: date,
    contexts: dict[int, QuoteContext] | None = None,
) -> dict[str, Any]:
    """The booking as its parties see it (BookingSchema); a list passes `contexts` so each
    company's quote facts are loaded once for the page."""
    parties = parties_of(actor, booking)
    split = None
    if booking.state == State.QUOTED and parties & {Party.COMPANY, Party.ADMIN}:
        contexts = {} if contexts is None else contexts
        if booking.company_id not in contexts:
            contexts[booking.company_id] = quote_context(db.session(), booking.company, today)
        quoted = current_split(db.session(), booking, today, contexts[booking.company_id])
        split = split_as_dict(quoted) if quoted else None
    quote = None
    if booking.quoted_at is not None:
        quote = {
            "quantity": booking.quote_quantity,
            "unit_price_cents": booking.quote_unit_price_cents,
            "vat_rate_bp": booking.quote_vat_rate_bp,
            "start": booking.quote_start,
            "end": booking.quote_end,
            "note": booking.quote_note,
            "quoted_at": booking.quoted_at,
        }
    waiting = waiting_for(booking)
    return {
        "id": booking.id,
        "reference": booking.reference,
        "state": State(booking.state).value,
        "waiting_for": waiting.value if waiting else None,
        "allowed_transitions": [t.name.value for t in available_transitions(actor, booking)],
        "offer_id": booking.offer_id,
        "offer_title": booking.offer.title,
        "company_id": booking.company_id,
        "company_name": booking.company.name,
        "provider_id": booking.provider_id,
        "provider_name": booking.provider.name,
        "quantity": booking.quantity,
        "wished_start": booking.wished_start,
        "wished_end": booking.wished_end,
        "request_message": booking.request_message,
        "quote": quote,
        "current_split": split,
        "agreement": booking.agreement,
        "agreed_at": booking.agreed_at,
        "delivery_note": booking.delivery_note,
        "delivered_at": booking.delivered_at,
        "confirmed_at": booking.confirmed_at,
        "reason": booking.reason,
        "created_at": booking.created_at,
        "state_changed_at": booking.state_changed_at,
        "events": [
            {
                "at": event.at,
                "transition": event.transition,
                "from_state": State(event.from_state).value if event.from_state else None,
                "to_state": State(event.to_state).value,
                "by": event.actor.full_name if event.actor else None,
            }
            for event in booking.events
        ],
        "evidence": booking.evidence,
    }


def _owned(booking_id: int) -> Booking:
    """A foreign one is a NotFound, which the error handler answers with a 404."""
    return booking_for(db.session(), current_actor(), booking_id)


@bp.route("")
class Bookings(MethodView):
    @bp.doc(security=LOGGED_IN)
    @login_required
    @bp.arguments(BookingQuerySchema, location="query")
    @bp.response(200, BookingPageSchema)
    @bp.alt_response(401, response="UNAUTHORIZED")
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Any logged-in user: its company's or its provider's bookings (admins: all), newest first.

        Filter by `state`; paginated (`page`, `page_size` in; `{items, pagination}` out).
        """
        actor = current_actor()
        state = State(args["state"]) if args.get("state") else None
        page = paginate(bookings_of(actor, state), args["page"], args["page_size"])
        today = clock.today()
        contexts: dict[int, QuoteContext] = {}
        page["items"] = [booking_body(actor, b, today, contexts) for b in page["items"]]
        return page

    @bp.doc(security=LOGGED_IN)
    @company_required
    @bp.arguments(BookingRequestSchema)
    @bp.response(201, BookingSchema)
    @bp.alt_response(401, response="UNAUTHORIZED")
    @bp.alt_response(403, response="FORBIDDEN")
    @bp.alt_response(404, response="NOT_FOUND")
    def post(self, args: dict[str, Any]) -> dict[str, Any]:
        """Companies: request a visible offer (404 if it is not). The provider is mailed."""
        actor = current_actor()
        offer = db.session.get(Offer, args["offer_id"]) or abort(404)
        data = RequestData(
            quantity=args["quantity"],
            wished_start=args["wished_start"],
            wished_end=args["wished_end"],
            message=args["message"],
        )
        today = clock.today()
        booking = request_booking(
            db.session(), actor, offer, data, current_app.extensions["mailer"], today
        )
        db.session.commit()
        return booking_body(actor, booking, today)


@bp.route("/<int:booking_id>", methods=["GET"])
@bp.doc(security=LOGGED_IN)
@login_required
@bp.response(200, BookingSchema)
@bp.alt_response(401, response="UNAUTHORIZED")
@bp.alt_response(404, response="NOT_FOUND")
def get_booking(booking_id: int) -> dict[str, Any]:
    """Any logged-in user, party to the booking (or admin): it, what the caller may do next,
    and its history.

    While quoted, `current_split` is what the company would pay if it accepted now.
    """
    return booking_body(current_actor(), _owned(booking_id), clock.today())


def _transition(name: TransitionName, schema: type | None, summary: str) -> None:
    """Register `POST /bookings/{id}/<name>`, taking `schema` as its body (None: no body)."""

    def fire_it(booking_id: int, args: dict[str, Any] | None = None) -> dict[str, Any]:
        actor = current_actor()
        booking = _owned(booking_id)
        args = args or {}
        given = TransitionInput(
            reason=args.get("reason", ""),
            quote=QuoteData(
                quantity=args["quantity"],
                unit_price_cents=args["unit_price_cents"],
                start=args["start"],
                end=args["end"],
                note=args["note"],
            )
            if name is TransitionName.PROPOSE_QUOTE
            else None,
            expected_company_share_cents=args.get("expected_company_share_cents"),
            delivery_note=args.get("delivery_note", ""),
        )
        today = clock.today()
        fire(
            db.session(),
            actor,
            booking,
            name.value,
            current_app.extensions["mailer"],
            today,
            given,
            terms=invoice_terms(current_app.config),
        )
        db.session.commit()
        return booking_body(actor, booking, today)

    if schema is None:

        def view(booking_id: int) -> dict[str, Any]:
            return fire_it(booking_id)

    else:

        def view(args: dict[str, Any], booking_id: int) -> dict[str, Any]:  # type: ignore[misc]
            return fire_it(booking_id, args)

    view.__name__ = name.value
    view.__doc__ = summary
    decorated: Any = view
    decorated = bp.alt_response(422, response="UNPROCESSABLE_ENTITY")(decorated)
    decorated = bp.alt_response(409, response="CONFLICT")(decorated)
    decorated = bp.alt_response(404, response="NOT_FOUND")(decorated)
    decorated = bp.alt_response(401, response="UNAUTHORIZED")(decorated)
    decorated = bp.response(200, BookingSchema)(decorated)
    if schema is not None:
        decorated = bp.arguments(schema)(decorated)
    decorated = login_required(decorated)
    decorated = bp.doc(security=LOGGED_IN)(decorated)
    bp.route(f"/<int:booking_id>/{name.value}", methods=["POST"], endpoint=name.value)(decorated)


_transition(
    TransitionName.PROPOSE_QUOTE,
    QuoteRequestSchema,
    "Providers: propose (or revise) the quote — quantity, unit price, dates.",
)
_transition(TransitionName.DECLINE, ReasonSchema, "Providers: decline the request, with a reason.")
_transition(
    TransitionName.CANCEL,
    OptionalReasonSchema,
    "Any logged-in user party to it: the company before agreement; either party after, "
    "with a reason (subsidies released).",
)
_transition(
    TransitionName.ACCEPT,
    AcceptSchema,
    "Companies: accept the quote. Freezes the agreement and reserves each subsidy.\n\n"
    "409 with `split` when budgets moved since: accept that split to go on.",
)
_transition(TransitionName.MARK_DELIVERED, DeliverySchema, "Providers: say what was delivered.")
_transition(TransitionName.CONFIRM, None, "Companies: confirm delivery (ready to invoice).")
_transition(TransitionName.DISPUTE, ReasonSchema, "Companies: dispute delivery, with a reason.")
_transition(
    TransitionName.SETTLE_FOR_PROVIDER,
    ReasonSchema,
    "Admins: settle a dispute for the provider (ready to invoice).",
)
_transition(
    TransitionName.SETTLE_FOR_COMPANY,
    ReasonSchema,
    "Admins: settle a dispute for the company (cancelled, subsidies released).",
)


def _message_body(booking: Booking, message: BookingMessage) -> dict[str, Any]:
    author = message.author
    party = (
        Party.COMPANY
        if author.company and author.company.id == booking.company_id
        else (Party.PROVIDER)
    )
    return {
        "id": message.id,
        "author": author.full_name,
        "party": party.value,
        "body": message.body,
        "created_at": message.created_at,
    }


@bp.route("/<int:booking_id>/messages")
class Messages(MethodView):
    @bp.doc(security=LOGGED_IN)
    @login_required
    @bp.response(200, MessageListSchema)
    @bp.alt_response(401, response="UNAUTHORIZED")
    @bp.alt_response(404, response="NOT_FOUND")
    def get(self, booking_id: int) -> dict[str, Any]:
        """Any logged-in user party to the booking: the message thread, oldest first."""
        booking = _owned(booking_id)
        return {"items": [_message_body(booking, m) for m in booking.messages]}

    @bp.doc(security=LOGGED_IN)
    @login_required
    @bp.arguments(MessageRequestSchema)
    @bp.response(201, MessageSchema)
    @bp.alt_response(401, response="UNAUTHORIZED")
    @bp.alt_response(404, response="NOT_FOUND")
    def post(self, args: dict[str, Any], booking_id: int) -> dict[str, Any]:
        """Any logged-in user party to the booking: write to the other party (mailed)."""
        booking = _owned(booking_id)
        message = post_message(
            db.session(), current_actor(), booking, args["body"], current_app.extensions["mailer"]
        )
        db.session.commit()
        return _message_body(booking, message)
