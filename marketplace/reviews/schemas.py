"""JSON API schemas of reviews: the list's filters, writing, replying, hiding, the review."""

from __future__ import annotations

from marshmallow import fields

from marketplace.dbtypes import MAX_ID
from marketplace.reviews.models import (
    COMMENT_MAX,
    HIDE_REASON_MAX,
    HIDE_REASON_MIN,
    RATING_MAX,
    RATING_MIN,
    REPLY_MAX,
)
from marketplace.schemas import (
    ApiSchema,
    PageArgsSchema,
    PaginationSchema,
    Text,
    WholeNumber,
    between,
    length,
)


class ReviewQuerySchema(PageArgsSchema):
    offer_id = fields.Integer(validate=between(1, MAX_ID))
    provider_id = fields.Integer(validate=between(1, MAX_ID))


class ReviewRequestSchema(ApiSchema):
    booking_id = WholeNumber(
        required=True,
        validate=between(1, MAX_ID),
        metadata={"description": "A closed booking of the caller's company, not reviewed yet."},
    )
    rating = WholeNumber(required=True, validate=between(RATING_MIN, RATING_MAX))
    comment = Text(multiline=True, validate=length(COMMENT_MAX))


class ReplyRequestSchema(ApiSchema):
    reply = Text(required=True, multiline=True, validate=length(REPLY_MAX, 1))


class HideRequestSchema(ApiSchema):
    reason = Text(required=True, multiline=True, validate=length(HIDE_REASON_MAX, HIDE_REASON_MIN))


class ReviewSchema(ApiSchema):
    id = fields.Integer(required=True)
    booking_id = fields.Integer(required=True)
    offer_id = fields.Integer(required=True)
    provider_id = fields.Integer(required=True)
    company_name = fields.String(required=True)
    rating = fields.Integer(required=True)
    comment = fields.String(required=True)
    created_at = fields.DateTime(required=True)
    reply = fields.String(required=True)
    replied_at = fields.DateTime(required=True, allow_none=True)
    hidden = fields.Boolean(required=True)


class ReviewPageSchema(ApiSchema):
    items = fields.List(fields.Nested(ReviewSchema), required=True)
    pagination = fields.Nested(PaginationSchema, required=True)
