"""JSON API schemas of the platform's books (admins): the journal, the trial balance, the FEC.

Money is integer cents; a line is a debit or a credit, never both, never negative.
"""

from __future__ import annotations

from marshmallow import fields

from marketplace.billing.ledger_models import CHART, EntrySource, Journal
from marketplace.dbtypes import MAX_ID
from marketplace.schemas import (
    ApiSchema,
    PageArgsSchema,
    PaginationSchema,
    Text,
    between,
    known_values,
    one_of,
)

# Fiscal years the FEC export takes (calendar years: the platform closes on 31 December).
FIRST_YEAR, LAST_YEAR = 2000, 2099
THIRD_PARTY_KINDS = ("company", "provider", "programme", "")

# --- Requests -------------------------------------------------------------------------------


class JournalQuerySchema(PageArgsSchema):
    journal = Text(
        validate=one_of([j.value for j in Journal]),
        metadata={"description": "VT sales, BQ bank, OD miscellaneous operations."},
    )
    start = fields.Date(metadata={"description": "First day (YYYY-MM-DD), included."})
    until = fields.Date(
        metadata={"description": "Last day (YYYY-MM-DD), included; before `start`: no entry."}
    )
    account = Text(
        validate=one_of(list(CHART)),
        metadata={"description": "Entries with a line on this account of the chart."},
    )
    company_id = fields.Integer(
        validate=between(1, MAX_ID),
        metadata={"description": "Entries with a line whose third party is this company."},
    )
    provider_id = fields.Integer(
        validate=between(1, MAX_ID),
        metadata={"description": "Entries with a line whose third party is this provider."},
    )


class TrialBalanceQuerySchema(ApiSchema):
    on = fields.Date(
        metadata={"description": "Count the entries up to this day (YYYY-MM-DD); default: all."}
    )


class FecQuerySchema(ApiSchema):
    year = fields.Integer(
        required=True,
        validate=between(FIRST_YEAR, LAST_YEAR),
        metadata={"description": "The fiscal year: 1 January to 31 December."},
    )


# --- Responses ------------------------------------------------------------------------------


class JournalLineSchema(ApiSchema):
    position = fields.Integer(required=True)
    account = fields.String(required=True, validate=known_values(CHART))
    account_name = fields.String(required=True)
    label = fields.String(required=True)
    debit_cents = fields.Integer(required=True)
    credit_cents = fields.Integer(required=True)
    third_party_kind = fields.String(
        required=True,
        validate=known_values(THIRD_PARTY_KINDS),
        metadata={"description": "Whom an auxiliary account's line is for; empty if no one."},
    )
    third_party_id = fields.Integer(required=True, allow_none=True)
    third_party_number = fields.String(
        required=True, metadata={"description": "As in the FEC's CompAuxNum: C…, P…, S…"}
    )
    third_party_name = fields.String(required=True)


class JournalEntrySchema(ApiSchema):
    id = fields.Integer(required=True)
    entry_date = fields.Date(required=True)
    journal_code = fields.String(required=True, validate=known_values(Journal))
    journal_name = fields.String(required=True)
    piece_ref = fields.String(
        required=True, metadata={"description": "The invoice's or credit note's number."}
    )
    piece_date = fields.Date(required=True)
    label = fields.String(required=True)
    source = fields.String(required=True, validate=known_values(EntrySource))
    source_id = fields.Integer(
        required=True, metadata={"description": "The id of the invoice, credit note… posted."}
    )
    total_cents = fields.Integer(required=True, metadata={"description": "Σ debits = Σ credits."})
    created_at = fields.DateTime(required=True)
    lines = fields.List(fields.Nested(JournalLineSchema), required=True)


class JournalEntryPageSchema(ApiSchema):
    items = fields.List(fields.Nested(JournalEntrySchema), required=True)
    pagination = fields.Nested(PaginationSchema, required=True)


class ThirdPartyBalanceSchema(ApiSchema):
    kind = fields.String(required=True, validate=known_values(THIRD_PARTY_KINDS))
    id = fields.Integer(required=True, allow_none=True)
    name = fields.String(required=True)
    debit_cents = fields.Integer(required=True)
    credit_cents = fields.Integer(required=True)
    balance_cents = fields.Integer(required=True, metadata={"description": "Debit - credit."})


class AccountBalanceSchema(ApiSchema):
    account = fields.String(required=True, validate=known_values(CHART))
    name = fields.String(required=True)
    debit_cents = fields.Integer(required=True)
    credit_cents = fields.Integer(required=True)
    balance_cents = fields.Integer(
        required=True, metadata={"description": "Debit - credit: > 0 debtor, < 0 creditor."}
    )
    third_parties = fields.List(
        fields.Nested(ThirdPartyBalanceSchema),
        required=True,
        metadata={"description": "Per third party on 411, 4687, 441 and 467; else empty."},
    )


class TrialBalanceSchema(ApiSchema):
    on = fields.Date(required=True, allow_none=True)
    accounts = fields.List(fields.Nested(AccountBalanceSchema), required=True)
    debit_cents = fields.Integer(required=True)
    credit_cents = fields.Integer(required=True)
    balanced = fields.Boolean(
        required=True,
        metadata={"description": "Total debits equal total credits and no entry is unbalanced."},
    )
    unbalanced_entry_ids = fields.List(
        fields.Integer(),
        required=True,
        metadata={"description": "Entries whose lines do not add up (always empty, but a bug)."},
    )
