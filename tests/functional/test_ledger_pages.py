"""The admin's ledger pages through HTTP: the journal, the trial balance, the FEC and CSV
downloads; only admins reach them. Totals are checked against the database's, not wording."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from marketplace.billing.fec import FEC_ENCODING
from marketplace.billing.invoice_models import CreditNote, Invoice
from marketplace.billing.invoices import issue_credit_note, issue_invoice
from marketplace.billing.ledger import trial_balance
from marketplace.billing.ledger_models import JournalEntry, JournalLine
from marketplace.billing.money import format_euros
from marketplace.extensions import db
from marketplace.identifiers import make_siren
from tests.bookkeeping import assert_fec_balances, fec_cents, parse_fec
from tests.factories import (
    admin_user,
    company_user,
    login,
    programme,
    provider_user,
    published_offer,
)
from tests.invoicing import confirmed_booking

TODAY = date.today()
SIREN = make_siren(123_456)
PAGES = ("/admin/ledger/", "/admin/ledger/trial-balance", "/admin/ledger/journal.csv")


@dataclass
class World:
    admin: str
    company: str
    provider: str
    company_id: int
    provider_id: int
    programme_id: int
    invoice_ids: list[int]
    credit_note_id: int


@pytest.fixture
def world(app: Flask) -> World:
    """Two subsidised invoices, the first cancelled by a credit note: three sales entries."""
    with app.app_context():
        admin = admin_user(db.session)
        expert = provider_user(db.session, name="Atelier Comptable")
        company = company_user(db.session, department="33", name="Cave Grand Livre")
        aid = programme(db.session, admin, budget_cents=10**9, name="Chèque Grand Livre")
        offer = published_offer(db.session, expert, admin)
        invoices = [
            issue_invoice(
                db.session,
                expert,
                confirmed_booking(db.session, company, expert, offer, TODAY),
                TODAY,
            )
            for _ in range(2)
        ]
        note = issue_credit_note(db.session, expert, invoices[0], "Erreur de quantité", TODAY)
        db.session.commit()
        assert company.company and expert.provider
        return World(
            admin.email,
            company.email,
            expert.email,
            company.company.id,
            expert.provider.id,
            aid.id,
            [invoice.id for invoice in invoices],
            note.id,
        )


def as_user(app: Flask, email: str) -> FlaskClient:
    client = app.test_client()
    assert login(client, email).status_code == 302
    return client


def entry_ids(page: str) -> list[int]:
    return [int(found) for found in re.findall(r'data-entry="(\d+)"', page)]


@pytest.fixture
def siren(app: Flask, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setitem(app.config, "PLATFORM_SIREN", SIREN)
    return SIREN


def test_only_admins_reach_the_ledger_pages(app: Flask, world: World) -> None:
    """Can a company or a provider read the platform's books? (No; a visitor is sent to log in.)"""
    for path in (*PAGES, "/admin/ledger/fec?year=2026"):
        anonymous = app.test_client().get(path)
        assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]
        for email in (world.company, world.provider):
            assert as_user(app, email).get(path).status_code == 403, (email, path)
    admin = as_user(app, world.admin)
    for path in PAGES:
        assert admin.get(path).status_code == 200, path


def test_the_journal_lists_entries_newest_first_with_their_lines(app: Flask, world: World) -> None:
    page = as_user(app, world.admin).get("/admin/ledger/").get_data(as_text=True)
    with app.app_context():
        entries = db.session.scalars(
            select(JournalEntry).order_by(JournalEntry.entry_date.desc(), JournalEntry.id.desc())
        ).all()
        lines = db.session.scalars(select(JournalLine)).all()
        note = db.session.get(CreditNote, world.credit_note_id)
        assert note is not None
        pieces = [entry.piece_ref for entry in entries]
    assert entry_ids(page) == [entry.id for entry in entries] and len(entries) == 3
    assert len(re.findall(r'data-line="\d+"', page)) == len(lines)
    for piece in pieces:
        assert piece in page
    # Source documents: each invoice's page, and the cancelled invoice's for the credit note.
    assert f'href="/admin/invoices/{world.invoice_ids[1]}"' in page
    assert f'href="/admin/invoices/{note.invoice_id}#credit-note"' in page
    # Third parties link to where they are seen.
    assert f'href="/providers/{world.provider_id}"' in page
    assert f'href="/admin/programmes/{world.programme_id}/edit"' in page
    assert "/admin/invoices/?q=Cave+Grand+Livre" in page
    assert "<code>467</code>" in page and "<code>4687</code>" in page


def test_journal_filters_narrow_the_entries(app: Flask, world: World) -> None:
    admin = as_user(app, world.admin)
    with app.app_context():
        note_entry = db.session.scalars(
            select(JournalEntry).where(JournalEntry.source == "credit_note_issued")
        ).one()
        all_ids = set(db.session.scalars(select(JournalEntry.id)))
    every = entry_ids(admin.get("/admin/ledger/?journal=VT").get_data(as_text=True))
    assert set(every) == all_ids
    for query in ("journal=BQ", "journal=OD", "account=512", f"start={TODAY + timedelta(1)}"):
        page = admin.get(f"/admin/ledger/?{query}").get_data(as_text=True)
        assert entry_ids(page) == [] and 'id="journal-empty"' in page, query
    ranged = f"start={TODAY}&until={TODAY}&account=411"
    assert set(entry_ids(admin.get(f"/admin/ledger/?{ranged}").get_data(as_text=True))) == all_ids
    past = admin.get(f"/admin/ledger/?until={TODAY - timedelta(1)}").get_data(as_text=True)
    assert entry_ids(past) == []
    mine = admin.get(f"/admin/ledger/?provider={world.provider_id}").get_data(as_text=True)
    assert set(entry_ids(mine)) == all_ids and 'id="third-party-filter"' in mine
    assert (
        entry_ids(
            admin.get(f"/admin/ledger/?company={world.company_id + 999}").get_data(as_text=True)
        )
        == []
    )
    # Junk filters filter nothing rather than fail.
    junk = admin.get("/admin/ledger/?journal=XX&account=999&start=hier&until=2026-02-30&page=x")
    assert junk.status_code == 200 and set(entry_ids(junk.get_data(as_text=True))) == all_ids
    assert note_entry.id in every


def test_the_journal_is_paginated(
    app: Flask, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("marketplace.blueprints.admin_ledger.PER_PAGE", 2)
    admin = as_user(app, world.admin)
    first = admin.get("/admin/ledger/").get_data(as_text=True)
    second = admin.get("/admin/ledger/?page=2").get_data(as_text=True)
    assert len(entry_ids(first)) == 2 and len(entry_ids(second)) == 1
    assert not set(entry_ids(first)) & set(entry_ids(second))
    assert 'rel="next"' in first


def test_the_trial_balance_shows_the_database_totals(app: Flask, world: World) -> None:
    page = as_user(app, world.admin).get("/admin/ledger/trial-balance").get_data(as_text=True)
    with app.app_context():
        balance = trial_balance(db.session)
        debit, credit = (
            int(value)
            for value in db.session.execute(
                select(func.sum(JournalLine.debit_cents), func.sum(JournalLine.credit_cents))
            ).one()
        )
    assert balance.debit_cents == debit == credit == balance.credit_cents > 0

    def cell(name: str) -> str:
        found = re.search(rf'id="{name}">([^<]*)<', page)
        assert found, name
        return found.group(1)

    assert cell("total-debit") == cell("total-credit") == format_euros(debit, "fr")
    assert cell("total-balance") == format_euros(0, "fr")
    assert 'id="balanced"' in page and 'id="unbalanced-warning"' not in page
    for account in balance.accounts:
        row = re.search(rf'data-account="{account.account}">(.*?)</tr>', page, re.S)
        assert row, account.account
        for cents in (account.debit_cents, account.credit_cents, account.balance_cents):
            assert format_euros(cents, "fr") in row.group(1)
    # Per third party: the company on 411, the provider on 467, the programme on 4687.
    assert f'data-party="company-{world.company_id}"' in page
    assert f'data-party="provider-{world.provider_id}"' in page
    assert f'data-party="programme-{world.programme_id}"' in page
    assert f"/admin/ledger/?account=411&amp;company={world.company_id}" in page


def test_the_trial_balance_up_to_a_day_and_empty(app: Flask, world: World) -> None:
    admin = as_user(app, world.admin)
    before = admin.get(f"/admin/ledger/trial-balance?on={TODAY - timedelta(1)}")
    assert 'id="balance-empty"' in before.get_data(as_text=True)
    assert 'id="trial-balance"' in admin.get(f"/admin/ledger/trial-balance?on={TODAY}").get_data(
        as_text=True
    )


def test_an_unbalanced_entry_is_shown_as_a_warning(
    app: Flask, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Does the page say so loudly when an entry does not add up (written past the service)?"""
    monkeypatch.setattr(
        "marketplace.blueprints.admin_ledger.unbalanced_entries", lambda session: [41, 42]
    )
    admin = as_user(app, world.admin)
    for path in ("/admin/ledger/trial-balance", "/admin/ledger/"):
        page = admin.get(path).get_data(as_text=True)
        assert 'id="unbalanced-warning"' in page and "41, 42" in page, path
    assert 'id="balanced"' not in admin.get("/admin/ledger/trial-balance").get_data(as_text=True)


def test_empty_books_say_so(app: Flask) -> None:
    with app.app_context():
        email = admin_user(db.session).email
        db.session.commit()
    admin = as_user(app, email)
    assert 'id="journal-empty"' in admin.get("/admin/ledger/").get_data(as_text=True)
    assert 'id="balance-empty"' in admin.get("/admin/ledger/trial-balance").get_data(as_text=True)


def test_the_fec_of_a_year_parses_back_balanced(app: Flask, world: World, siren: str) -> None:
    admin = as_user(app, world.admin)
    page = admin.get("/admin/ledger/").get_data(as_text=True)
    assert 'id="fec-year"' in page and 'id="fec-unavailable"' not in page
    response = admin.get(f"/admin/ledger/fec?year={TODAY.year}")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"] == (
        f"attachment; filename={siren}FEC{TODAY.year}1231.txt"
    )
    assert response.mimetype == "text/plain"
    rows = parse_fec(response.data.decode(FEC_ENCODING))
    assert_fec_balances(rows)
    with app.app_context():
        assert len(rows) == db.session.scalar(select(func.count()).select_from(JournalLine))
        invoices = db.session.scalars(select(Invoice)).all()
    assert {row["PieceRef"] for row in rows} >= {invoice.number for invoice in invoices}
    assert sum(fec_cents(row["Debit"]) for row in rows) == sum(
        fec_cents(row["Credit"]) for row in rows
    )
    last_year = admin.get(f"/admin/ledger/fec?year={TODAY.year - 1}")
    assert parse_fec(last_year.data.decode(FEC_ENCODING)) == []


def test_the_fec_of_a_date_range(app: Flask, world: World, siren: str) -> None:
    admin = as_user(app, world.admin)
    response = admin.get(f"/admin/ledger/fec?start={TODAY}&until={TODAY}")
    assert response.headers["Content-Disposition"].endswith(
        f"{siren}FEC{TODAY.strftime('%Y%m%d')}.txt"
    )
    rows = parse_fec(response.data.decode(FEC_ENCODING))
    assert_fec_balances(rows) or len(rows) > 0
    for query in (f"start={TODAY}&until={TODAY - timedelta(1)}", "start=2026-01-01", "year=1"):
        refused = admin.get(f"/admin/ledger/fec?{query}")
        assert refused.status_code == 302 and refused.headers["Location"].endswith(
            "/admin/ledger/#downloads"
        ), query


def test_without_the_platform_siren_there_is_no_fec(app: Flask, world: World) -> None:
    admin = as_user(app, world.admin)
    assert 'id="fec-unavailable"' in admin.get("/admin/ledger/").get_data(as_text=True)
    refused = admin.get(f"/admin/ledger/fec?year={TODAY.year}")
    assert refused.status_code == 302


def test_the_journal_csv_parses_back_balanced_with_the_filters(app: Flask, world: World) -> None:
    admin = as_user(app, world.admin)
    page = admin.get("/admin/ledger/?journal=VT").get_data(as_text=True)
    assert 'href="/admin/ledger/journal.csv?journal=VT"' in page
    response = admin.get("/admin/ledger/journal.csv?journal=VT")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"].startswith("attachment; filename=journal-")
    rows = list(csv.DictReader(io.StringIO(response.data.decode("utf-8-sig")), delimiter=";"))
    with app.app_context():
        assert len(rows) == db.session.scalar(select(func.count()).select_from(JournalLine))
    per_entry: dict[str, int] = {}
    for row in rows:
        per_entry[row["entry"]] = (
            per_entry.get(row["entry"], 0) + fec_cents(row["debit"]) - fec_cents(row["credit"])
        )
    assert len(per_entry) == 3 and set(per_entry.values()) == {0}
    empty = admin.get("/admin/ledger/journal.csv?journal=BQ").data.decode("utf-8-sig")
    assert empty.splitlines()[1:] == []
