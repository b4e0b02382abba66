"""JSON API schemas of bookings: the request, each transition's body, the booking as returned."""

from __future__ import annotations

from marshmallow import fields

from marketplace.billing.money import MAX_AMOUNT_CENTS
from marketplace.bookings.lifecycle import Party, State, TransitionName
from marketplace.bookings.operations import MAX_QUANTITY, MESSAGE_MAX, REASON_MAX, REASON_MIN
from marketplace.dbtypes import MAX_ID
from marketplace.schemas import (
    ApiSchema,
    PageArgsSchema,
    PaginationSchema,
    Text,
    WholeNumber,
    between,
    known_values,
    length,
    one_of,
)

_QUANTITY = "How many units (days, hours, months, sessions); 1 for a fixed-price offer."

# --- Bodies ---------------------------------------------------------------------------------


class BookingRequestSchema(ApiSchema):
    offer_id = WholeNumber(required=True, validate=between(1, MAX_ID))
    quantity = WholeNumber(
        load_default=1, validate=between(1, MAX_QUANTITY), metadata={"description": _QUANTITY}
    )
    wished_start = fields.Date(load_default=None, allow_none=True)
    wished_end = fields.Date(
        load_default=None, allow_none=True, metadata={"description": "Not before wished_start."}
    )
    message = Text(load_default="", multiline=True, validate=length(MESSAGE_MAX))


class BookingQuerySchema(PageArgsSchema):
    state = Text(validate=one_of([s.value for s in State]))


class ReasonSchema(ApiSchema):
    reason = Text(required=True, multiline=True, validate=length(REASON_MAX, REASON_MIN))


class OptionalReasonSchema(ApiSchema):
    reason = Text(
        load_default="",
        multiline=True,
        validate=length(REASON_MAX),
        metadata={
            "description": f"Required ({REASON_MIN} characters or more) once the booking is agreed."
        },
    )


class QuoteRequestSchema(ApiSchema):
    quantity = WholeNumber(
        required=True, validate=between(1, MAX_QUANTITY), metadata={"description": _QUANTITY}
    )
    unit_price_cents = WholeNumber(
        load_default=None,
        allow_none=True,
        validate=between(0, MAX_AMOUNT_CENTS),
        metadata={"description": "EUR cents excl. VAT per unit; null: the offer's price."},
    )
    start = fields.Date(load_default=None, allow_none=True)
    end = fields.Date(
        load_default=None, allow_none=True, metadata={"description": "Not before start."}
    )
    note = Text(load_default="", multiline=True, validate=length(MESSAGE_MAX))


class AcceptSchema(ApiSchema):
    expected_company_share_cents = WholeNumber(
        required=True,
        validate=between(0, MAX_AMOUNT_CENTS),
        metadata={
            "description": "The company share of the split you accept (`current_split`). "
            "If budgets moved since, the answer is a 409 with the new split: nothing is "
            "reserved until you accept that one."
        },
    )


class DeliverySchema(ApiSchema):
    delivery_note = Text(
        required=True,
        multiline=True,
        validate=length(MESSAGE_MAX, 1),
        metadata={"description": "What was delivered (evidence files are sent from the page)."},
    )


class MessageRequestSchema(ApiSchema):
    body = Text(required=True, multiline=True, validate=length(MESSAGE_MAX, 1))


# --- Responses ------------------------------------------------------------------------------


class QuoteSchema(ApiSchema):
    quantity = fields.Integer(required=True)
    unit_price_cents = fields.Integer(required=True, metadata={"description": "Excl. VAT."})
    vat_rate_bp = fields.Integer(required=True)
    start = fields.Date(required=True, allow_none=True)
    end = fields.Date(required=True, allow_none=True)
    note = fields.String(required=True)
    quoted_at = fields.DateTime(required=True)


class BookingEventSchema(ApiSchema):
    at = fields.DateTime(required=True)
    transition = fields.String(required=True)
    from_state = fields.String(
        required=True, allow_none=True, metadata={"description": "Null for the request."}
    )
    to_state = fields.String(required=True, validate=known_values(State))
    by = fields.String(
        required=True, allow_none=True, metadata={"description": "Who fired it; null: the clock."}
    )


class DeliveryEvidenceSchema(ApiSchema):
    id = fields.Integer(required=True)
    name = fields.String(required=True, attribute="original_name")
    content_type = fields.String(required=True)
    size_bytes = fields.Integer(required=True)
    sha256 = fields.String(required=True)


class BookingSchema(ApiSchema):
    id = fields.Integer(required=True)
    reference = fields.String(required=True)
    state = fields.String(required=True, validate=known_values(State))
    waiting_for = fields.String(
        required=True,
        allow_none=True,
        validate=known_values(Party),
        metadata={"description": "Who must act next; null once the booking is closed."},
    )
    allowed_transitions = fields.List(
        fields.String(validate=known_values(TransitionName)),
        required=True,
        metadata={"description": "What the caller may fire now: POST /bookings/{id}/<name>."},
    )
    offer_id = fields.Integer(required=True)
    offer_title = fields.String(required=True)
    company_id = fields.Integer(required=True)
    company_name = fields.String(required=True)
    provider_id = fields.Integer(required=True)
    provider_name = fields.String(required=True)
    quantity = fields.Integer(required=True)
    wished_start = fields.Date(required=True, allow_none=True)
    wished_end = fields.Date(required=True, allow_none=True)
    request_message = fields.String(required=True)
    quote = fields.Nested(QuoteSchema, required=True, allow_none=True)
    current_split = fields.Dict(
        required=True,
        allow_none=True,
        metadata={
            "description": "While quoted: what the company would pay if it accepted now "
            "(the same split as the quote endpoint). Null otherwise."
        },
    )
    agreement = fields.Dict(
        required=True,
        allow_none=True,
        metadata={
            "description": "Frozen at acceptance: offer snapshot, quote, split, both parties."
        },
    )
    agreed_at = fields.DateTime(required=True, allow_none=True)
    delivery_note = fields.String(required=True)
    delivered_at = fields.DateTime(required=True, allow_none=True)
    confirmed_at = fields.DateTime(required=True, allow_none=True)
    reason = fields.String(
        required=True, metadata={"description": "Why it was declined, cancelled or disputed."}
    )
    created_at = fields.DateTime(required=True)
    state_changed_at = fields.DateTime(required=True)
    events = fields.List(fields.Nested(BookingEventSchema), required=True)
    evidence = fields.List(fields.Nested(DeliveryEvidenceSchema), required=True)


class BookingPageSchema(ApiSchema):
    items = fields.List(fields.Nested(BookingSchema), required=True)
    pagination = fields.Nested(PaginationSchema, required=True)


class MessageSchema(ApiSchema):
    id = fields.Integer(required=True)
    author = fields.String(required=True, metadata={"description": "The author's full name."})
    party = fields.String(required=True, validate=known_values([Party.COMPANY, Party.PROVIDER]))
    body = fields.String(required=True)
    created_at = fields.DateTime(required=True)


class MessageListSchema(ApiSchema):
    items = fields.List(fields.Nested(MessageSchema), required=True)
