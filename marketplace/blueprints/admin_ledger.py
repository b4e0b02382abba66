"""Administrator pages for the books ("Comptabilité"): the journal, the trial balance, and the
downloads for accountants (the FEC of a fiscal year or a date range, the journal as CSV)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from flask import Blueprint, current_app, flash, make_response, redirect, render_template, request
from flask import url_for as flask_url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from marketplace import clock
from marketplace.accounts.models import Company, Provider
from marketplace.auth import admin_required
from marketplace.billing.fec import FEC_ENCODING, fec_filename, fec_text, journal_csv
from marketplace.billing.ledger import (
    JournalFilters,
    entry_years,
    journal_newest_first,
    source_invoices,
    third_party_balances,
    trial_balance,
    unbalanced_entries,
)
from marketplace.billing.ledger_models import CHART, EntrySource, Journal
from marketplace.billing.ledger_schemas import FIRST_YEAR, LAST_YEAR
from marketplace.blueprints.helpers import page_number
from marketplace.extensions import db
from marketplace.identifiers import is_valid_siren

bp = Blueprint("admin_ledger", __name__, url_prefix="/admin/ledger")
PER_PAGE = 20
JOURNAL_LABELS = {
    Journal.SALES: _l("VT — Sales"),
    Journal.BANK: _l("BQ — Bank"),
    Journal.MISC: _l("OD — Miscellaneous operations"),
}


# --- Downloads, shared with the API ------------------------------------------------------------


def platform_siren(config: Mapping[str, Any]) -> str | None:
    """The platform's SIREN (PLATFORM_SIREN), which names the FEC; None until it is set."""
    siren = str(config.get("PLATFORM_SIREN") or "")
    return siren if is_valid_siren(siren) else None


def fec_download(session: Session, siren: str, start: date | None, until: date) -> Response:
    """The FEC of the entries from `start` to `until`, as the text file the tax office takes."""
    response = make_response(fec_text(session, until, start).encode(FEC_ENCODING, "replace"))
    response.headers["Content-Type"] = f"text/plain; charset={FEC_ENCODING}"
    response.headers["Content-Disposition"] = f"attachment; filename={fec_filename(siren, until)}"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response


# --- Reading the filters -----------------------------------------------------------------------


def _day(name: str) -> date | None:
    """`?<name>=YYYY-MM-DD`, or None for anything else."""
    raw = request.args.get(name, "")
    if len(raw) != 10:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        return None


def _id(name: str) -> int | None:
    raw = request.args.get(name, "")
    return int(raw) if raw.isascii() and raw.isdigit() and 0 < len(raw) <= 9 else None


def journal_filters() -> JournalFilters:
    """The journal's filters from the query string; an unknown value filters nothing."""
    code = request.args.get("journal", "")
    account = request.args.get("account", "")
    return JournalFilters(
        start=_day("start"),
        until=_day("until"),
        journal=Journal(code) if code in {j.value for j in Journal} else None,
        account=account if account in CHART else None,
        company_id=_id("company"),
        provider_id=_id("provider"),
    )


def filter_args(filters: JournalFilters) -> dict[str, str]:
    """The filters as query arguments (for the CSV link, which downloads what is shown)."""
    args = {
        "journal": filters.journal.value if filters.journal else None,
        "start": filters.start.isoformat() if filters.start else None,
        "until": filters.until.isoformat() if filters.until else None,
        "account": filters.account,
        "company": str(filters.company_id) if filters.company_id else None,
        "provider": str(filters.provider_id) if filters.provider_id else None,
    }
    return {key: value for key, value in args.items() if value}


def journal_choices() -> list[tuple[str, str]]:
    return [(journal.value, str(label)) for journal, label in JOURNAL_LABELS.items()]


def account_choices() -> list[tuple[str, str]]:
    return [(code, f"{code} {name}") for code, name in CHART.items()]


def third_party_url(kind: str, party_id: int | None, name: str = "") -> str | None:
    """Where a third party is seen: a company's invoices, a provider's page, a programme's."""
    if party_id is None:
        return None
    if kind == "company":
        return flask_url_for("admin_invoices.invoices", q=name) if name else None
    if kind == "provider":
        return flask_url_for("public.provider_profile", provider_id=party_id)
    if kind == "programme":
        return flask_url_for("admin.edit_programme", programme_id=party_id)
    return None


# --- Pages -------------------------------------------------------------------------------------


@bp.get("/")
@admin_required
def journal() -> str:
    """Admins: the journal's entries, newest first, each with its lines, its third parties and
    its source document; filtered by journal, dates, account or third party."""
    session = db.session()
    filters = journal_filters()
    page = db.paginate(
        journal_newest_first(filters), page=page_number(), per_page=PER_PAGE, error_out=False
    )
    invoices = source_invoices(session, page.items)
    documents = {
        entry.id: flask_url_for("admin_invoices.invoice", invoice_id=invoices[entry.id])
        + ("#credit-note" if entry.source == EntrySource.CREDIT_NOTE_ISSUED else "")
        for entry in page.items
        if entry.id in invoices
    }
    company = session.get(Company, filters.company_id) if filters.company_id else None
    provider = session.get(Provider, filters.provider_id) if filters.provider_id else None
    years = [y for y in entry_years(session) if FIRST_YEAR <= y <= LAST_YEAR]
    years = years or [clock.today().year]
    args = filter_args(filters)
    return render_template(
        "admin/ledger/journal.html",
        page=page,
        filters=filters,
        filtered=bool(args),
        csv_args=args,
        every_party_args={k: v for k, v in args.items() if k not in ("company", "provider")},
        documents=documents,
        journal_choices=journal_choices(),
        journal_names=dict(journal_choices()),
        chart=CHART,
        account_choices=account_choices(),
        company=company,
        provider=provider,
        year_choices=[(str(year), str(year)) for year in years],
        siren=platform_siren(current_app.config),
        broken=unbalanced_entries(session),
        third_party_url=third_party_url,
    )


@bp.get("/trial-balance")
@admin_required
def trial_balance_page() -> str:
    """Admins: debits, credits and balance per account up to a day, per third party on the
    auxiliary accounts, and the totals (which must agree)."""
    session = db.session()
    on = _day("on")
    return render_template(
        "admin/ledger/trial_balance.html",
        on=on,
        balance=trial_balance(session, on),
        parties=third_party_balances(session, on),
        chart=CHART,
        broken=unbalanced_entries(session),
        third_party_url=third_party_url,
    )


@bp.get("/journal.csv")
@admin_required
def journal_download() -> Response:
    """Admins: the journal as CSV (`;`, decimal commas), with the filters of the page."""
    response = make_response(journal_csv(db.session(), journal_filters()).encode("utf-8-sig"))
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    response.headers["Content-Disposition"] = (
        f"attachment; filename=journal-{clock.today().strftime('%Y%m%d')}.csv"
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.get("/fec")
@admin_required
def fec() -> Response:
    """Admins: the FEC of a fiscal year (`?year=`) or of a date range (`?start=&until=`)."""
    back = flask_url_for("admin_ledger.journal") + "#downloads"
    siren = platform_siren(current_app.config)
    if siren is None:
        flash(_("Set the platform's SIREN (PLATFORM_SIREN) to export the FEC."), "error")
        return redirect(back)
    year = _id("year")
    start: date | None
    until: date | None
    if year is not None and FIRST_YEAR <= year <= LAST_YEAR:
        start, until = date(year, 1, 1), date(year, 12, 31)
    else:
        start, until = _day("start"), _day("until")
        if until is None or (start is not None and start > until):
            flash(_("Choose a fiscal year, or a last day not before the first one."), "error")
            return redirect(back)
    return fec_download(db.session(), siren, start, until)
