"""The admin's books in a real browser: the journal and its filters, the trial balance whose
totals agree, the CSV and FEC downloads; every ledger page at 1280 px and 375 px, passing axe
(WCAG 2.1 A and AA) and never scrolling sideways.

The FEC needs the platform's SIREN: these tests serve the app once more with PLATFORM_SIREN set.
"""

from __future__ import annotations

import csv
import io
import re
import threading
from collections.abc import Iterator
from datetime import date
from typing import TYPE_CHECKING

import pytest
from flask import Flask
from sqlalchemy import func, select
from werkzeug.serving import make_server

from marketplace.billing.fec import FEC_ENCODING
from marketplace.billing.invoices import issue_credit_note, issue_invoice
from marketplace.billing.ledger_models import JournalLine
from marketplace.billing.money import format_euros
from marketplace.extensions import db
from marketplace.identifiers import make_siren
from tests.bookkeeping import assert_fec_balances, fec_cents, parse_fec
from tests.browser.conftest import DEFAULT_TIMEOUT_MS, BufferedResponses
from tests.browser.test_booking_journey import (
    log_in,
    scrolls_sideways,
    text_of,
    wider_than_the_screen,
)
from tests.conftest import make_test_app
from tests.factories import admin_user, company_user, programme, provider_user, published_offer
from tests.invoicing import confirmed_booking

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

ADMIN_EMAIL = "admin.livres@example.fr"
SIREN = make_siren(777_001)
TODAY = date.today()
WIDTHS = (1280, 375)
WCAG = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}


@pytest.fixture(scope="module")
def books_server(
    app: Flask, database_url: str, search_index_path: str, evidence_folder: str
) -> Iterator[str]:
    """The app served with the platform's SIREN set (the session's live server has none)."""
    served = make_test_app(
        database_url,
        WTF_CSRF_ENABLED=True,
        SERVER_NAME=None,
        SEARCH_INDEX_PATH=search_index_path,
        EVIDENCE_FOLDER=evidence_folder,
        PLATFORM_SIREN=SIREN,
    )
    server = make_server("127.0.0.1", 0, BufferedResponses(served), threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="books-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
        with served.app_context():
            db.engine.dispose()


@pytest.fixture
def books(browser: Browser, books_server: str) -> Iterator[Page]:
    context = browser.new_context(base_url=books_server, locale="fr-FR", accept_downloads=True)
    context.set_default_timeout(DEFAULT_TIMEOUT_MS)
    try:
        yield context.new_page()
    finally:
        context.close()


@pytest.fixture
def world(app: Flask) -> int:
    """Two subsidised invoices, the first cancelled by a credit note; the total debited."""
    with app.app_context():
        admin = admin_user(db.session, ADMIN_EMAIL)
        expert = provider_user(db.session, name="Atelier des Livres")
        company = company_user(db.session, department="33", name="Cave du Grand Livre")
        programme(db.session, admin, budget_cents=10**9, name="Chèque Livres")
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
        issue_credit_note(db.session, expert, invoices[0], "Erreur de quantité", TODAY)
        db.session.commit()
        return int(db.session.scalar(select(func.sum(JournalLine.debit_cents))) or 0)


def check_page(page: Page, problems: dict[str, object]) -> None:
    """The current page at every width: axe's blocking violations and sideways scrolling."""
    from axe_playwright_python.sync_playwright import Axe

    url = page.url
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        page.goto(url)
        if scrolls_sideways(page, width):
            problems[f"{width}px {url} scrolls sideways"] = wider_than_the_screen(page)
        violations = [
            (v["id"], v["impact"], v["nodes"][0]["target"])
            for v in Axe().run(page, options=WCAG).response["violations"]
            if v["impact"] in ("critical", "serious")
        ]
        if violations:
            problems[f"{width}px {url}"] = violations
    page.set_viewport_size({"width": 1280, "height": 900})


def test_the_admin_reads_the_books_and_downloads_them(books: Page, world: int) -> None:
    """Can an admin go from the menu to the journal, filter it, read a trial balance whose
    totals agree, and download a CSV and a FEC that balance?"""
    page, problems = books, {}
    log_in(page, ADMIN_EMAIL)
    page.click("header a[href='/admin/ledger/']")
    page.wait_for_url(re.compile(r"/admin/ledger/$"))
    assert page.locator("#journal tbody[data-entry]").count() == 3
    check_page(page, problems)

    page.select_option("#journal", "BQ")
    page.click("#journal-filters button[type=submit]")
    page.wait_for_url(re.compile(r"journal=BQ"))
    page.wait_for_selector("#journal-empty")
    check_page(page, problems)
    page.select_option("#journal", "VT")
    page.select_option("#account", "411")
    page.click("#journal-filters button[type=submit]")
    page.wait_for_url(re.compile(r"account=411"))
    assert page.locator("#journal tbody[data-entry]").count() == 3

    with page.expect_download() as csv_info:
        page.click("#journal-csv")
    rows = list(
        csv.DictReader(
            io.StringIO(csv_info.value.path().read_bytes().decode("utf-8-sig")), delimiter=";"
        )
    )
    assert sum(fec_cents(row["debit"]) for row in rows) == world
    assert sum(fec_cents(row["credit"]) for row in rows) == world

    with page.expect_download() as fec_info:
        page.click("#fec-year button[type=submit]")
    download = fec_info.value
    assert download.suggested_filename == f"{SIREN}FEC{TODAY.year}1231.txt"
    fec_rows = parse_fec(download.path().read_bytes().decode(FEC_ENCODING))
    assert_fec_balances(fec_rows)
    assert sum(fec_cents(row["Debit"]) for row in fec_rows) == world

    page.click("a[href='/admin/ledger/trial-balance']")
    page.wait_for_url(re.compile(r"/admin/ledger/trial-balance$"))
    total = format_euros(world, "fr")
    assert text_of(page, "#total-debit") == text_of(page, "#total-credit") == total
    assert text_of(page, "#total-balance") == format_euros(0, "fr")
    page.wait_for_selector("#balanced")
    assert page.locator("#unbalanced-warning").count() == 0
    assert page.locator("[data-parties='411'] tbody tr").count() == 1
    check_page(page, problems)
    page.fill("#on", "2000-01-01")
    page.click("#balance-filters button[type=submit]")
    page.wait_for_selector("#balance-empty")
    check_page(page, problems)
    assert problems == {}
