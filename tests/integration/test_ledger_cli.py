"""The ledger's command-line tasks: the trial balance and the FEC for accountants."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from flask import Flask

from marketplace.billing.invoices import issue_invoice
from marketplace.billing.ledger_models import CHART
from marketplace.extensions import db
from tests.bookkeeping import assert_fec_balances, parse_fec
from tests.factories import admin_user, company_user, programme, provider_user, published_offer
from tests.invoicing import confirmed_booking

TODAY = date.today()
SIREN = "552100554"


@pytest.fixture
def invoiced(app: Flask) -> None:
    """One invoice issued and committed: a sales entry in the journal."""
    with app.app_context():
        session = db.session()
        admin = admin_user(session)
        expert = provider_user(session)
        company = company_user(session, department="33")
        programme(session, admin, budget_cents=10**9)
        offer = published_offer(session, expert, admin)
        booking = confirmed_booking(session, company, expert, offer, TODAY)
        issue_invoice(session, expert, booking, TODAY)
        session.commit()


def test_the_trial_balance_command_prints_every_account_and_equal_totals(
    app: Flask, invoiced: None
) -> None:
    result = app.test_cli_runner().invoke(args=["ledger", "trial-balance"])
    assert result.exit_code == 0, result.output
    *accounts, total = result.output.strip().splitlines()
    assert [line.split()[0] for line in accounts] == ["411", "4687", "467"]
    assert CHART["467"][:20] in result.output
    assert total.split()[1:] == ["€4,800.00", "€4,800.00"]


def test_export_fec_writes_a_balanced_file_named_after_the_siren(
    app: Flask, invoiced: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(app.config, "PLATFORM_SIREN", SIREN)
    until = TODAY.isoformat()
    result = app.test_cli_runner().invoke(
        args=["ledger", "export-fec", "--until", until, "--out", str(tmp_path)]
    )
    assert result.exit_code == 0, result.output
    path = tmp_path / f"{SIREN}FEC{TODAY:%Y%m%d}.txt"
    assert path.name in result.output
    rows = parse_fec(path.read_bytes().decode("iso-8859-15"))
    assert len(rows) == 3
    assert_fec_balances(rows)


def test_export_fec_needs_the_platforms_siren(app: Flask, tmp_path: Path) -> None:
    result = app.test_cli_runner().invoke(
        args=["ledger", "export-fec", "--until", "2026-12-31", "--out", str(tmp_path)]
    )
    assert result.exit_code != 0 and "PLATFORM_SIREN" in result.output
    assert list(tmp_path.iterdir()) == []
    bad_day = app.test_cli_runner().invoke(
        args=["ledger", "export-fec", "--until", "31/12/2026", "--siren", SIREN]
    )
    assert bad_day.exit_code != 0 and "--until" in bad_day.output
