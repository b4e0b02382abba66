"""API: the platform's books, for admins — journal entries, the trial balance, the FEC.

Everyone else gets a 403 (401 without credentials), whatever the query says. Nothing here
writes: entries are posted by the money events themselves.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from flask_smorest import abort
from werkzeug.wrappers import Response

from marketplace.auth import admin_required
from marketplace.billing.fec import third_party
from marketplace.billing.ledger import (
    JournalFilters,
    journal_newest_first,
    third_party_balances,
    trial_balance,
    unbalanced_entries,
)
from marketplace.billing.ledger_models import CHART, JOURNAL_NAMES, Journal, JournalEntry
from marketplace.billing.ledger_schemas import (
    FecQuerySchema,
    JournalEntryPageSchema,
    JournalEntrySchema,
    JournalQuerySchema,
    TrialBalanceQuerySchema,
    TrialBalanceSchema,
)
from marketplace.blueprints.admin_ledger import fec_download, platform_siren
from marketplace.blueprints.api.common import LOGGED_IN, make_blueprint, paginate
from marketplace.errors import Conflict
from marketplace.extensions import db

bp = make_blueprint(
    "api_ledger", "/ledger", "The platform's books (admins): journal, trial balance, FEC."
)

FEC_RESPONSE = {
    "200": {
        "description": "The FEC: 18 columns separated by |, CRLF lines, ISO 8859-15.",
        "content": {"text/plain": {"schema": {"type": "string"}}},
        "headers": {
            "Content-Disposition": {
                "description": "attachment; filename=<SIREN>FEC<AAAAMMJJ>.txt",
                "schema": {"type": "string"},
            }
        },
    }
}


def entry_body(entry: JournalEntry) -> dict[str, Any]:
    """One entry with its lines (JournalEntrySchema)."""
    lines = []
    for line in entry.lines:
        number, name = third_party(line)
        kind, party_id = next(
            (
                (kind, party_id)
                for kind, party_id in (
                    ("company", line.company_id),
                    ("provider", line.provider_id),
                    ("programme", line.programme_id),
                )
                if party_id is not None
            ),
            ("", None),
        )
        lines.append(
            {
                "position": line.position,
                "account": line.account,
                "account_name": CHART[line.account],
                "label": line.label,
                "debit_cents": line.debit_cents,
                "credit_cents": line.credit_cents,
                "third_party_kind": kind,
                "third_party_id": party_id,
                "third_party_number": number,
                "third_party_name": name,
            }
        )
    return {
        "id": entry.id,
        "entry_date": entry.entry_date,
        "journal_code": entry.journal_code.value,
        "journal_name": JOURNAL_NAMES[entry.journal_code],
        "piece_ref": entry.piece_ref,
        "piece_date": entry.piece_date,
        "label": entry.label,
        "source": entry.source.value,
        "source_id": entry.source_id,
        "total_cents": entry.total_cents,
        "created_at": entry.created_at,
        "lines": lines,
    }


@bp.route("/entries", methods=["GET"])
@bp.doc(security=LOGGED_IN)
@admin_required
@bp.arguments(JournalQuerySchema, location="query")
@bp.response(200, JournalEntryPageSchema)
@bp.alt_response(401, response="UNAUTHORIZED")
@bp.alt_response(403, response="FORBIDDEN")
def list_entries(args: dict[str, Any]) -> dict[str, Any]:
    """Admins: the journal's entries with their lines, newest first.

    Filters: `journal` (VT, BQ, OD), `start` and `until` (days included), `account`,
    `company_id`, `provider_id` (an entry with a line on it). Paginated: `page`, `page_size`
    in, `{items, pagination}` out.
    """
    filters = JournalFilters(
        start=args.get("start"),
        until=args.get("until"),
        journal=Journal(args["journal"]) if args.get("journal") else None,
        account=args.get("account"),
        company_id=args.get("company_id"),
        provider_id=args.get("provider_id"),
    )
    page = paginate(journal_newest_first(filters), args["page"], args["page_size"])
    page["items"] = [entry_body(entry) for entry in page["items"]]
    return page


@bp.route("/entries/<int:entry_id>", methods=["GET"])
@bp.doc(security=LOGGED_IN)
@admin_required
@bp.response(200, JournalEntrySchema)
@bp.alt_response(401, response="UNAUTHORIZED")
@bp.alt_response(403, response="FORBIDDEN")
@bp.alt_response(404, response="NOT_FOUND")
def get_entry(entry_id: int) -> dict[str, Any]:
    """Admins: one journal entry with its lines."""
    entry = db.session.get(JournalEntry, entry_id) or abort(404)
    return entry_body(entry)


@bp.route("/trial-balance", methods=["GET"])
@bp.doc(security=LOGGED_IN)
@admin_required
@bp.arguments(TrialBalanceQuerySchema, location="query")
@bp.response(200, TrialBalanceSchema)
@bp.alt_response(401, response="UNAUTHORIZED")
@bp.alt_response(403, response="FORBIDDEN")
def get_trial_balance(args: dict[str, Any]) -> dict[str, Any]:
    """Admins: debits, credits and balance per account (in chart order) of the entries up to
    `on` (default: all), per third party on 411, 4687, 441 and 467, and the totals."""
    on: date | None = args.get("on")
    session = db.session()
    balance = trial_balance(session, on)
    parties = third_party_balances(session, on)
    broken = unbalanced_entries(session)
    return {
        "on": on,
        "accounts": [
            {
                "account": account.account,
                "name": account.name,
                "debit_cents": account.debit_cents,
                "credit_cents": account.credit_cents,
                "balance_cents": account.balance_cents,
                "third_parties": [
                    {
                        "kind": party.kind,
                        "id": party.third_party_id,
                        "name": party.name,
                        "debit_cents": party.debit_cents,
                        "credit_cents": party.credit_cents,
                        "balance_cents": party.balance_cents,
                    }
                    for party in parties.get(account.account, [])
                ],
            }
            for account in balance.accounts
        ],
        "debit_cents": balance.debit_cents,
        "credit_cents": balance.credit_cents,
        "balanced": balance.balanced and not broken,
        "unbalanced_entry_ids": broken,
    }


@bp.route("/fec", methods=["GET"])
@bp.doc(security=LOGGED_IN, responses=FEC_RESPONSE)
@admin_required
@bp.arguments(FecQuerySchema, location="query")
@bp.alt_response(401, response="UNAUTHORIZED")
@bp.alt_response(403, response="FORBIDDEN")
@bp.alt_response(409, response="CONFLICT")
def get_fec(args: dict[str, Any]) -> Response:
    """Admins: the FEC (fichier des écritures comptables) of a fiscal year, as text/plain
    named <SIREN>FEC<AAAAMMJJ>.txt. 409 while the platform's SIREN (PLATFORM_SIREN) is not
    set."""
    siren = platform_siren(current_app.config)
    if siren is None:
        raise Conflict(_("Set the platform's SIREN (PLATFORM_SIREN) to export the FEC."))
    year = args["year"]
    return fec_download(db.session(), siren, date(year, 1, 1), date(year, 12, 31))
