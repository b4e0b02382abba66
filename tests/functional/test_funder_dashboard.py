"""The funder's dashboard: admins only, figures equal to the books, charts with their numbers,
a CSV that reads back the same totals, an empty state before any help."""

from __future__ import annotations

import csv
import io

from flask import Flask
from flask.testing import FlaskClient

from marketplace.billing.claims import approve_claim, mark_claim_paid, reject_claim
from marketplace.billing.models import SubsidyProgramme
from marketplace.billing.programme_stats import programme_stats
from marketplace.extensions import db
from tests.billing_scenario import TODAY, Scenario
from tests.factories import admin_user, login, programme
from tests.invoicing import MAILER


def as_user(app: Flask, email: str) -> FlaskClient:
    client = app.test_client()
    assert login(client, email).status_code == 302
    return client


def test_an_unused_programme_says_no_help_yet(app: Flask) -> None:
    with app.app_context():
        admin = admin_user(db.session())
        prog = programme(db.session(), admin, budget_cents=1_000_00)
        db.session.commit()
        admin_email, programme_id = admin.email, prog.id
        stats = programme_stats(db.session(), prog)
        assert (stats.bookings_helped, stats.average_subsidy_cents) == (0, 0)
        assert stats.remaining_cents == 1_000_00 and stats.days_to_payment_median is None
    page = as_user(app, admin_email).get(f"/admin/programmes/{programme_id}/dashboard")
    assert page.status_code == 200 and 'id="no-help-yet"' in page.text
    assert as_user(app, admin_email).get("/admin/programmes/999999/dashboard").status_code == 404


def test_the_dashboard_counts_what_was_paid_refused_and_waits(app: Flask) -> None:
    """National 600 € paid by the funder, regional 240 € refused: the national dashboard counts
    one booking and one company helped, its budget parts add up, the CSV says the same."""
    with app.app_context():
        s = Scenario(db.session())
        s.pay(600_00)
        national, regional = s.claim(s.national), s.claim(s.regional)
        approve_claim(db.session(), s.admin, national.id)
        mark_claim_paid(db.session(), s.admin, national.id, TODAY, "VIR-1", TODAY, MAILER)
        reject_claim(
            db.session(), s.admin, regional.id, "Pièce manquante au dossier.", TODAY, MAILER
        )
        db.session.commit()
        assert s.national is not None and s.regional is not None
        national_id, regional_id = s.national.id, s.regional.id
        admin_email, company_email = s.admin.email, s.company.email
        prog = db.session.get(SubsidyProgramme, national_id)
        assert prog is not None
        stats = programme_stats(db.session(), prog)
        assert (stats.paid_cents, stats.bookings_helped, stats.companies_helped) == (600_00, 1, 1)
        assert stats.average_subsidy_cents == 600_00 and stats.average_company_share_cents == 600_00
        assert stats.days_to_payment_median == 0
        assert stats.budget_cents == stats.allocated_cents + (stats.remaining_cents or 0)
        assert [row.label for row in stats.by_region] == ["Nouvelle-Aquitaine"]
        refused = db.session.get(SubsidyProgramme, regional_id)
        assert refused is not None
        after = programme_stats(db.session(), refused)
        assert (after.released_cents, after.bookings_helped, after.paid_cents) == (240_00, 0, 0)

    assert (
        as_user(app, company_email).get(f"/admin/programmes/{national_id}/dashboard").status_code
        == 403
    )
    admin = as_user(app, admin_email)
    page = admin.get(f"/admin/programmes/{national_id}/dashboard").text
    assert 'id="bookings-helped">1<' in page
    assert 'role="img" aria-labelledby="by-region-chart-title by-region-chart-desc"' in page
    assert "Nouvelle-Aquitaine : 600,00" in page  # the chart's description states its numbers
    assert 'data-key="75"' in page  # and the table beside it
    assert f"/admin/programmes/{national_id}/dashboard" in admin.get("/admin/programmes").text

    download = admin.get(f"/admin/programmes/{national_id}/dashboard.csv")
    assert download.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(download.data.decode("utf-8-sig")), delimiter=";"))
    by_item = {(row[0], row[1]): row for row in rows[1:]}
    assert by_item[("Budget", "Payé par le financeur")][4] == "600,00"
    assert by_item[("Par région", "Nouvelle-Aquitaine")][2:] == ["1", "1", "600,00"]


def test_the_stats_api_gives_admins_the_dashboard_figures(app: Flask, client: FlaskClient) -> None:
    from tests.factories import bearer_for

    with app.app_context():
        s = Scenario(db.session())
        s.pay(600_00)
        assert s.national is not None
        code = s.national.code
        admin, company = bearer_for(s.admin), bearer_for(s.company)
        db.session.commit()
    assert client.get(f"/api/v1/programmes/{code}/stats", headers=company).status_code == 403
    assert client.get("/api/v1/programmes/no-such-code/stats", headers=admin).status_code == 404
    body = client.get(f"/api/v1/programmes/{code}/stats", headers=admin).get_json()
    assert (body["claimed_cents"], body["bookings_helped"]) == (600_00, 1)
    assert body["by_size"] == [
        {
            "key": "3-9",
            "label": "3 à 9 salariés",
            "bookings": 1,
            "companies": 1,
            "subsidy_cents": 600_00,
        }
    ]
    assert body["days_to_payment_median"] is None
