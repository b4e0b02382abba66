"""Invoices in a real browser: the provider issues the invoice of a confirmed booking, the
company downloads its PDF (Factur-X inside), a credit note cancels it and the admin records the
refund of the transfer already received; every invoice page is
checked at 1280 px and 375 px for sideways scrolling.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

import pytest
from facturx import get_xml_from_pdf
from flask import Flask
from sqlalchemy import select

from marketplace.accounts.models import User
from marketplace.billing.invoice_models import CreditNote, Invoice, InvoiceStatus
from marketplace.billing.invoices import issue_invoice
from marketplace.billing.money import format_euros
from marketplace.bookings.models import Booking
from marketplace.extensions import db
from tests.browser.test_booking_journey import (
    log_in,
    log_out,
    scrolls_sideways,
    text_of,
    wider_than_the_screen,
)
from tests.browser.test_ledger_admin import check_page
from tests.factories import admin_user, company_user, programme, provider_user, published_offer
from tests.invoicing import confirmed_booking

if TYPE_CHECKING:
    from playwright.sync_api import Page

COMPANY_EMAIL = "cave.factures@example.fr"
PROVIDER_EMAIL = "atelier.factures@example.fr"
ADMIN_EMAIL = "admin.factures@example.fr"
WIDTHS = (1280, 375)
WCAG = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}


@dataclass
class Billing:
    booking_id: int


@pytest.fixture
def billing(app: Flask) -> Billing:
    with app.app_context():
        admin = admin_user(db.session, ADMIN_EMAIL)
        expert = provider_user(db.session, PROVIDER_EMAIL, name="Atelier Facturier")
        company = company_user(db.session, COMPANY_EMAIL, department="33", name="Cave Factures")
        programme(db.session, admin, budget_cents=10**9, name="Chèque test")
        offer = published_offer(db.session, expert, admin)
        booking = confirmed_booking(db.session, company, expert, offer, date.today())
        db.session.commit()
        return Billing(booking.id)


def fits_every_width(page: Page, url: str) -> None:
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        page.goto(url)
        assert not scrolls_sideways(page, width), (url, width, wider_than_the_screen(page))
    page.set_viewport_size({"width": 1280, "height": 900})


def test_issue_download_and_cancel_an_invoice(app: Flask, page: Page, billing: Billing) -> None:
    """Can the provider issue the invoice, the company download it, a credit note cancel it?"""
    log_in(page, PROVIDER_EMAIL)
    fits_every_width(page, "/provider/invoices/")  # the empty state
    page.goto(f"/provider/bookings/{billing.booking_id}")
    page.click("#issue-invoice")
    page.wait_for_url(re.compile(rf"/provider/bookings/{billing.booking_id}/invoice$"))
    fits_every_width(page, page.url)
    page.click("#confirm-issue")
    page.wait_for_url(re.compile(r"/provider/invoices/\d+$"))
    with app.app_context():
        invoice = db.session.scalars(select(Invoice)).one()
        invoice_id, number = invoice.id, invoice.number
        share = format_euros(invoice.company_share_cents, "fr")
    assert number in text_of(page, "h1")
    assert text_of(page, "#company-share") == share
    fits_every_width(page, f"/provider/invoices/{invoice_id}")
    fits_every_width(page, "/provider/invoices/")
    log_out(page)

    log_in(page, COMPANY_EMAIL)
    page.goto("/invoices/")
    assert text_of(page, "#owed-total") == share
    fits_every_width(page, "/invoices/")
    page.click(f"tr[data-invoice='{invoice_id}'] a")
    page.wait_for_url(re.compile(rf"/invoices/{invoice_id}$"))
    fits_every_width(page, page.url)
    with page.expect_download() as download_info:
        page.click("#invoice-pdf")
    download = download_info.value
    assert download.suggested_filename == f"{number}.pdf"
    path = download.path()
    data = path.read_bytes()
    assert data.startswith(b"%PDF")
    _name, xml = get_xml_from_pdf(data, check_xsd=False)
    assert number.encode() in xml
    page.goto(f"/bookings/{billing.booking_id}")
    with page.expect_download() as agreement_info:
        page.click("#agreement-pdf")
    assert agreement_info.value.path().read_bytes().startswith(b"%PDF")
    log_out(page)

    log_in(page, PROVIDER_EMAIL)
    page.goto(f"/provider/invoices/{invoice_id}")
    # A transfer of 100 € arrives: the provider records it; too much would be refused.
    fits_every_width(page, page.url)
    page.fill("#amount", "100,00")
    page.fill("#payer_reference", "VIR SEPA BOULANGERIE")
    page.click("#record-transfer button[type=submit]")
    page.wait_for_selector("#payments")
    assert text_of(page, "#share-paid") == format_euros(100_00, "fr")
    page.click("#credit-note-link")
    page.wait_for_url(re.compile(rf"/provider/invoices/{invoice_id}/credit-note$"))
    fits_every_width(page, page.url)
    page.click("#confirm-credit-note")  # no reason: refused next to the field
    page.wait_for_selector("#reason-error")
    page.fill("#reason", "Prestation facturée par erreur")
    page.click("#confirm-credit-note")
    page.wait_for_url(re.compile(rf"/provider/invoices/{invoice_id}$"))
    page.wait_for_selector("#credit-note")
    assert text_of(page, "#credit-note-reason") == "Prestation facturée par erreur"
    assert "100,00" in text_of(page, "#refunds")  # the transfer is owed back
    with app.app_context():
        note = db.session.scalars(select(CreditNote)).one()
        assert note.invoice_id == invoice_id
        cancelled = db.session.get(Invoice, invoice_id)
        assert cancelled is not None and cancelled.status == InvoiceStatus.CANCELLED
    log_out(page)

    log_in(page, COMPANY_EMAIL)
    page.goto(f"/invoices/{invoice_id}")
    with page.expect_download() as note_info:
        page.click("#credit-note-pdf")
    assert note_info.value.path().read_bytes().startswith(b"%PDF")
    page.goto("/invoices/")
    assert text_of(page, "#owed-total") == format_euros(0, "fr")
    log_out(page)

    log_in(page, ADMIN_EMAIL)
    fits_every_width(page, "/admin/invoices/")
    # The admin sends the 100 € back by transfer and records the day it left.
    problems: dict[str, object] = {}
    page.goto(f"/admin/invoices/{invoice_id}")
    check_page(page, problems)  # the refund form passes axe too
    page.click(".refund-sent-form button[type=submit]")
    page.wait_for_selector("[data-refund-status='succeeded']")
    assert "remboursé le" in text_of(page, "#refunds")
    fits_every_width(page, page.url)
    assert problems == {}


def test_every_invoice_page_is_accessible(app: Flask, page: Page, billing: Billing) -> None:
    """Does every invoice page of each role pass axe (WCAG 2.1 A and AA: nothing critical or
    serious), with an invoice issued and one cancelled by a credit note?"""
    from axe_playwright_python.sync_playwright import Axe

    with app.app_context():
        booking = db.session.get(Booking, billing.booking_id)
        assert booking is not None
        expert = db.session.scalars(select(User).where(User.email == PROVIDER_EMAIL)).one()
        invoice = issue_invoice(db.session, expert, booking, date.today())
        db.session.commit()
        invoice_id = invoice.id
    pages = {
        PROVIDER_EMAIL: [
            "/provider/invoices/",
            f"/provider/invoices/{invoice_id}",
            f"/provider/invoices/{invoice_id}/credit-note",
            f"/provider/bookings/{billing.booking_id}",
        ],
        COMPANY_EMAIL: ["/invoices/", f"/invoices/{invoice_id}", f"/bookings/{billing.booking_id}"],
        ADMIN_EMAIL: ["/admin/invoices/", f"/admin/invoices/{invoice_id}"],
    }
    axe, problems = Axe(), {}
    for email, paths in pages.items():
        log_in(page, email)
        for path in paths:
            response = page.goto(path)
            assert response is not None and response.status == 200, path
            violations = [
                (v["id"], v["impact"], v["nodes"][0]["target"])
                for v in axe.run(page, options=WCAG).response["violations"]
                if v["impact"] in ("critical", "serious")
            ]
            if violations:
                problems[f"{email} {path}"] = violations
        log_out(page)
    assert problems == {}
