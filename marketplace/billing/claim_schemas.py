"""JSON API schemas of subsidy claims: the list's filters, decisions, the claim."""

from __future__ import annotations

from marshmallow import fields

from marketplace.billing.claim_models import ClaimStatus
from marketplace.billing.claims import FUNDER_REFERENCE_MAX, REASON_MAX, REASON_MIN
from marketplace.dbtypes import MAX_ID
from marketplace.schemas import (
    ApiSchema,
    PageArgsSchema,
    PaginationSchema,
    Text,
    between,
    known_values,
    length,
    one_of,
)


class ClaimQuerySchema(PageArgsSchema):
    status = Text(validate=one_of([s.value for s in ClaimStatus]))
    programme_id = fields.Integer(validate=between(1, MAX_ID))


class RejectClaimSchema(ApiSchema):
    reason = Text(
        required=True,
        multiline=True,
        validate=length(REASON_MAX, REASON_MIN),
        metadata={"description": "Sent to the company's members, who now owe the amount."},
    )


class PayClaimSchema(ApiSchema):
    paid_on = fields.Date(
        required=True,
        metadata={
            "description": "When the funder's money arrived: not in the future, not "
            "before the claim."
        },
    )
    funder_reference = Text(
        required=True,
        validate=length(FUNDER_REFERENCE_MAX, 1),
        metadata={"description": "The funder's payment reference."},
    )


class ClaimEvidenceSchema(ApiSchema):
    kind = fields.String(
        required=True, validate=known_values(("agreement", "delivery", "invoice", "payment"))
    )
    label = fields.String(required=True)
    ref = fields.String(required=True)
    files = fields.List(
        fields.String(), required=True, metadata={"description": "Delivery evidence files."}
    )


class ClaimSchema(ApiSchema):
    id = fields.Integer(required=True)
    status = fields.String(required=True, validate=known_values(s.value for s in ClaimStatus))
    amount_cents = fields.Integer(required=True)
    programme_id = fields.Integer(required=True)
    programme_code = fields.String(required=True)
    invoice_id = fields.Integer(required=True)
    invoice_number = fields.String(required=True)
    booking_id = fields.Integer(required=True)
    provider_id = fields.Integer(required=True)
    company_id = fields.Integer(required=True)
    submitted_at = fields.DateTime(required=True)
    decided_at = fields.DateTime(required=True, allow_none=True)
    rejection_reason = fields.String(required=True)
    paid_on = fields.Date(required=True, allow_none=True)
    funder_payment_reference = fields.String(required=True)
    evidence = fields.List(fields.Nested(ClaimEvidenceSchema), required=True)


class ClaimPageSchema(ApiSchema):
    items = fields.List(fields.Nested(ClaimSchema), required=True)
    pagination = fields.Nested(PaginationSchema, required=True)
