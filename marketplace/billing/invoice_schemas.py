"""JSON API schemas of invoices and credit notes: the requests, the documents as issued."""

from __future__ import annotations

from marshmallow import fields

from marketplace.billing.invoice_models import InvoiceStatus
from marketplace.billing.invoices import REASON_MAX, REASON_MIN
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

# --- Requests -------------------------------------------------------------------------------


class InvoiceQuerySchema(PageArgsSchema):
    status = Text(validate=one_of([s.value for s in InvoiceStatus]))


class InvoiceRequestSchema(ApiSchema):
    booking_id = WholeNumber(
        required=True,
        validate=between(1, MAX_ID),
        metadata={"description": "A confirmed booking of the caller's provider, not invoiced."},
    )


class CreditNoteRequestSchema(ApiSchema):
    reason = Text(
        required=True,
        multiline=True,
        validate=length(REASON_MAX, REASON_MIN),
        metadata={"description": "Why the invoice is cancelled; printed on the credit note."},
    )


# --- Responses ------------------------------------------------------------------------------


class MentionSchema(ApiSchema):
    code = fields.String(required=True, metadata={"description": "UNTDID 4451 subject code."})
    text = fields.String(required=True, metadata={"description": "As printed (French)."})


class InvoiceLineSchema(ApiSchema):
    position = fields.Integer(required=True)
    description = fields.String(required=True)
    detail = fields.String(required=True)
    quantity = fields.Integer(required=True)
    unit_code = fields.String(required=True, metadata={"description": "UN/ECE rec. 20."})
    unit_label = fields.String(required=True)
    unit_price_excl_vat_cents = fields.Integer(required=True)
    vat_rate_bp = fields.Integer(required=True)
    total_excl_vat_cents = fields.Integer(required=True)


class InvoiceTaxSchema(ApiSchema):
    vat_rate_bp = fields.Integer(required=True)
    base_cents = fields.Integer(required=True)
    vat_cents = fields.Integer(required=True)
    category_code = fields.String(required=True, metadata={"description": "EN 16931: S, E."})
    exemption_reason = fields.String(required=True)


class InvoiceSubsidySchema(ApiSchema):
    programme_code = fields.String(required=True)
    programme_name = fields.String(required=True)
    funder = fields.String(required=True)
    applied_rate_bp = fields.Integer(required=True)
    amount_cents = fields.Integer(
        required=True, metadata={"description": "Of the total incl. VAT, paid by the programme."}
    )


class _Totals(ApiSchema):
    total_excl_vat_cents = fields.Integer(required=True)
    total_vat_cents = fields.Integer(required=True)
    total_incl_vat_cents = fields.Integer(required=True)
    subsidies_cents = fields.Integer(required=True)
    company_share_cents = fields.Integer(
        required=True, metadata={"description": "Reste à payer par le client, VAT included."}
    )


class InvoiceSchema(_Totals):
    id = fields.Integer(required=True)
    number = fields.String(required=True, metadata={"description": "F-<year>-<n>, per provider."})
    status = fields.String(required=True, validate=known_values(InvoiceStatus))
    booking_id = fields.Integer(required=True)
    booking_reference = fields.String(required=True)
    provider_id = fields.Integer(required=True)
    company_id = fields.Integer(required=True)
    issue_date = fields.Date(required=True)
    issued_at = fields.DateTime(required=True)
    automatic = fields.Boolean(
        required=True, metadata={"description": "Issued on confirmation, by the platform."}
    )
    service_start = fields.Date(required=True)
    service_end = fields.Date(required=True)
    due_date = fields.Date(required=True)
    currency = fields.String(required=True)
    seller_name = fields.String(required=True)
    seller_siren = fields.String(required=True)
    seller_siret = fields.String(required=True)
    seller_vat_number = fields.String(
        required=True, allow_none=True, metadata={"description": "Null: VAT franchise."}
    )
    buyer_name = fields.String(required=True)
    buyer_siren = fields.String(required=True)
    buyer_vat_number = fields.String(required=True, allow_none=True)
    buyer_department_code = fields.String(required=True)
    payment_reference = fields.String(
        required=True, metadata={"description": "ISO 11649 creditor reference (RF…)."}
    )
    late_penalty_rate_bp = fields.Integer(required=True)
    recovery_indemnity_cents = fields.Integer(required=True)
    mentions = fields.List(fields.Nested(MentionSchema), required=True)
    lines = fields.List(fields.Nested(InvoiceLineSchema), required=True)
    taxes = fields.List(fields.Nested(InvoiceTaxSchema), required=True)
    subsidies = fields.List(fields.Nested(InvoiceSubsidySchema), required=True)
    cancelled_at = fields.DateTime(required=True, allow_none=True)
    credit_note_id = fields.Integer(
        required=True, allow_none=True, metadata={"description": "The credit note cancelling it."}
    )


class InvoicePageSchema(ApiSchema):
    items = fields.List(fields.Nested(InvoiceSchema), required=True)
    pagination = fields.Nested(PaginationSchema, required=True)


class CreditNoteSchema(_Totals):
    id = fields.Integer(required=True)
    number = fields.String(required=True, metadata={"description": "A-<year>-<n>, per provider."})
    invoice_id = fields.Integer(required=True)
    invoice_number = fields.String(required=True)
    provider_id = fields.Integer(required=True)
    company_id = fields.Integer(required=True)
    issue_date = fields.Date(required=True)
    issued_at = fields.DateTime(required=True)
    reason = fields.String(required=True)
    released_subsidies_cents = fields.Integer(required=True)
    mentions = fields.List(fields.Nested(MentionSchema), required=True)
