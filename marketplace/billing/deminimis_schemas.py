"""JSON API schemas of the company's de minimis ledger and its declarations of external aid."""

from __future__ import annotations

from marshmallow import fields

from marketplace.billing.deminimis import FUNDER_MAX, FUNDER_MIN
from marketplace.billing.money import MAX_AMOUNT_CENTS
from marketplace.schemas import ApiSchema, Text, WholeNumber, between, known_values, length


class DeclarationRequestSchema(ApiSchema):
    granted_on = fields.Date(
        required=True, metadata={"description": "When the aid was granted; not in the future."}
    )
    amount_cents = WholeNumber(required=True, validate=between(1, MAX_AMOUNT_CENTS))
    funder = Text(
        required=True,
        validate=length(FUNDER_MAX, FUNDER_MIN),
        metadata={"description": "Who granted it (e.g. a region, Bpifrance)."},
    )


class DeclarationSchema(ApiSchema):
    id = fields.Integer(required=True)
    granted_on = fields.Date(required=True)
    amount_cents = fields.Integer(required=True)
    funder = fields.String(required=True)


class LedgerEntrySchema(ApiSchema):
    granted_on = fields.Date(required=True)
    amount_cents = fields.Integer(required=True)
    source = fields.String(required=True, validate=known_values(["platform", "declared"]))
    label = fields.String(
        required=True, metadata={"description": "The programme's name, or the declared funder."}
    )
    counts = fields.Boolean(
        required=True, metadata={"description": "Inside the rolling three years ending today."}
    )
    declared_aid_id = fields.Integer(
        required=True, allow_none=True, metadata={"description": "Declared aid only."}
    )
    booking_id = fields.Integer(
        required=True, allow_none=True, metadata={"description": "Platform aid only."}
    )


class LedgerSchema(ApiSchema):
    on = fields.Date(required=True)
    window_start = fields.Date(
        required=True, metadata={"description": "First day whose grants still count."}
    )
    total_cents = fields.Integer(required=True, metadata={"description": "Counted in the window."})
    ceiling_cents = fields.Integer(required=True)
    headroom_cents = fields.Integer(
        required=True, metadata={"description": "What de minimis aid may still be granted."}
    )
    entries = fields.List(fields.Nested(LedgerEntrySchema), required=True)
