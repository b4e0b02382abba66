"""JSON API schemas of an invoice's money: what the company owes, payments, refunds."""

from __future__ import annotations

from marshmallow import fields

from marketplace.billing.money import MAX_AMOUNT_CENTS
from marketplace.billing.payment_models import PaymentMethod, PaymentStatus, RefundStatus
from marketplace.billing.payments import PAYER_REFERENCE_MAX, ShareStatus
from marketplace.schemas import ApiSchema, Text, WholeNumber, between, known_values, length


class TransferRequestSchema(ApiSchema):
    amount_cents = WholeNumber(
        required=True,
        validate=between(1, MAX_AMOUNT_CENTS),
        metadata={"description": "Received, in cents; at most what is still due (else 422)."},
    )
    received_on = fields.Date(
        required=True,
        metadata={
            "description": "On the bank statement; not in the future, not before the invoice."
        },
    )
    payer_reference = Text(
        validate=length(PAYER_REFERENCE_MAX),
        metadata={"description": "The label on the bank statement (optional)."},
    )


class PaymentSchema(ApiSchema):
    id = fields.Integer(required=True)
    method = fields.String(required=True, validate=known_values(m.value for m in PaymentMethod))
    status = fields.String(required=True, validate=known_values(s.value for s in PaymentStatus))
    amount_cents = fields.Integer(required=True)
    received_on = fields.Date(required=True, allow_none=True)
    payer_reference = fields.String(required=True)
    failure_message = fields.String(required=True)
    created_at = fields.DateTime(required=True)


class RefundSchema(ApiSchema):
    id = fields.Integer(required=True)
    payment_id = fields.Integer(required=True)
    credit_note_id = fields.Integer(required=True)
    status = fields.String(required=True, validate=known_values(s.value for s in RefundStatus))
    amount_cents = fields.Integer(required=True)
    sent_on = fields.Date(required=True, allow_none=True)


class BankDetailsSchema(ApiSchema):
    beneficiary = fields.String(required=True)
    iban = fields.String(required=True)
    bic = fields.String(required=True)
    reference = fields.String(
        required=True, metadata={"description": "To quote on the transfer (structured, ISO 11649)."}
    )


class InvoicePaymentsSchema(ApiSchema):
    invoice_id = fields.Integer(required=True)
    status = fields.String(required=True, validate=known_values(s.value for s in ShareStatus))
    share_cents = fields.Integer(required=True, metadata={"description": "As invoiced."})
    refused_subsidies_cents = fields.Integer(
        required=True, metadata={"description": "Subsidies a funder refused: owed too."}
    )
    owed_cents = fields.Integer(required=True)
    paid_cents = fields.Integer(required=True)
    due_cents = fields.Integer(required=True)
    card_payment_offered = fields.Boolean(
        required=True,
        metadata={"description": "Card payments are configured and the amount due allows one."},
    )
    bank_details = fields.Nested(BankDetailsSchema, required=True)
    payments = fields.List(fields.Nested(PaymentSchema), required=True)
    refunds = fields.List(fields.Nested(RefundSchema), required=True)
