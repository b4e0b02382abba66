"""The funder's dashboard: where one programme's budget went, as charts, tables and CSV.

Charts are SVG drawn on the server (no script), each with its title, a description and the
same numbers in a table beside it, so nothing is said by the picture alone.
"""

from __future__ import annotations

import csv
import io

from flask import Blueprint, abort, make_response, render_template
from flask_babel import format_decimal
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from marketplace import clock
from marketplace.auth import admin_required
from marketplace.billing.models import SubsidyProgramme
from marketplace.billing.programme_stats import ProgrammeStats, programme_stats
from marketplace.extensions import db

bp = Blueprint("funder_dashboard", __name__, url_prefix="/admin/programmes")


def _programme(programme_id: int) -> SubsidyProgramme:
    programme = db.session.get(SubsidyProgramme, programme_id)
    if programme is None:
        abort(404)
    return programme


def budget_rows(stats: ProgrammeStats) -> list[tuple[str, int]]:
    """The budget's parts, each once: they add up to the budget (when it has one)."""
    rows = [
        (_("Paid by the funder"), stats.paid_cents),
        (_("Claimed, waiting for payment"), stats.claimed_cents),
        (_("Committed (invoiced)"), stats.committed_cents),
        (_("Reserved (agreed, not invoiced)"), stats.reserved_cents),
    ]
    if stats.remaining_cents is not None:
        rows.append((_("Remaining"), stats.remaining_cents))
    return rows


@bp.get("/<int:programme_id>/dashboard")
@admin_required
def dashboard(programme_id: int) -> str:
    """Admins: one programme's budget, the help it gave by region, category and company size,
    its averages and how long companies waited for the funder's payment."""
    programme = _programme(programme_id)
    stats = programme_stats(db.session(), programme)
    return render_template(
        "admin/programme_dashboard.html",
        programme=programme,
        stats=stats,
        budget_rows=budget_rows(stats),
        format_decimal=format_decimal,
        breakdowns=[
            ("by-region", _("By region"), stats.by_region),
            ("by-category", _("By category"), stats.by_category),
            ("by-size", _("By company size"), stats.by_size),
        ],
    )


@bp.get("/<int:programme_id>/dashboard.csv")
@admin_required
def dashboard_csv(programme_id: int) -> Response:
    """Admins: the dashboard's figures as CSV (`;`, amounts in euros with a decimal comma)."""
    programme = _programme(programme_id)
    stats = programme_stats(db.session(), programme)
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";")
    writer.writerow([_("Section"), _("Item"), _("Bookings"), _("Companies"), _("Amount (€)")])

    def euros(cents: int | None) -> str:  # "1234,56": a number a spreadsheet reads
        return "" if cents is None else f"{cents // 100},{cents % 100:02d}"

    if stats.budget_cents is not None:
        writer.writerow([_("Budget"), _("Budget"), "", "", euros(stats.budget_cents)])
    for label, cents in budget_rows(stats):
        writer.writerow([_("Budget"), label, "", "", euros(cents)])
    writer.writerow(
        [_("Help given"), _("Total"), stats.bookings_helped, stats.companies_helped, ""]
    )
    for section, rows in (
        (_("By region"), stats.by_region),
        (_("By category"), stats.by_category),
        (_("By company size"), stats.by_size),
    ):
        for row in rows:
            writer.writerow(
                [section, row.label, row.bookings, row.companies, euros(row.subsidy_cents)]
            )
    response = make_response(out.getvalue().encode("utf-8-sig"))
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    response.headers["Content-Disposition"] = (
        f"attachment; filename={programme.code}-{clock.today().strftime('%Y%m%d')}.csv"
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response
