"""JSON API schema of a programme's figures (the funder's dashboard)."""

from __future__ import annotations

from marshmallow import fields

from marketplace.schemas import ApiSchema


class BreakdownSchema(ApiSchema):
    key = fields.String(required=True, metadata={"description": "Region, category or size code."})
    label = fields.String(required=True)
    bookings = fields.Integer(required=True)
    companies = fields.Integer(required=True)
    subsidy_cents = fields.Integer(required=True)


class ProgrammeStatsSchema(ApiSchema):
    programme_id = fields.Integer(required=True)
    budget_cents = fields.Integer(
        required=True, allow_none=True, metadata={"description": "null: no cap."}
    )
    remaining_cents = fields.Integer(required=True, allow_none=True)
    reserved_cents = fields.Integer(required=True)
    committed_cents = fields.Integer(required=True)
    claimed_cents = fields.Integer(required=True)
    paid_cents = fields.Integer(required=True)
    released_cents = fields.Integer(required=True)
    bookings_helped = fields.Integer(
        required=True, metadata={"description": "Bookings whose subsidy is invoiced or further."}
    )
    companies_helped = fields.Integer(required=True)
    average_subsidy_cents = fields.Integer(required=True)
    average_company_share_cents = fields.Integer(required=True)
    days_to_payment_median = fields.Float(required=True, allow_none=True)
    days_to_payment_average = fields.Float(required=True, allow_none=True)
    by_region = fields.List(fields.Nested(BreakdownSchema), required=True)
    by_category = fields.List(fields.Nested(BreakdownSchema), required=True)
    by_size = fields.List(fields.Nested(BreakdownSchema), required=True)
