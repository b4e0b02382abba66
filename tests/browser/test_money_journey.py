"""Issue 12's whole loop in a real browser, each step by the role who takes it: the provider
records the company's transfer, the admin approves and pays each claim, the booking closes,
the company reviews it, the review shows on the offer and the funder's dashboard counts it."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from flask import Flask

from marketplace.bookings.lifecycle import State
from marketplace.bookings.models import Booking
from marketplace.extensions import db
from tests.billing_scenario import TODAY, Scenario, assert_budgets_add_up
from tests.bookkeeping import assert_books_balance
from tests.browser.test_booking_journey import log_in, log_out, text_of

if TYPE_CHECKING:
    from playwright.sync_api import Page


def test_from_transfer_to_review_and_the_funders_figures(app: Flask, page: Page) -> None:
    with app.app_context():
        s = Scenario(db.session())
        db.session.commit()
        assert s.national is not None
        invoice_id, booking_id, offer_id = s.invoice.id, s.booking.id, s.booking.offer_id
        expert, admin, company = s.expert.email, s.admin.email, s.company.email
        national_id = s.national.id

    log_in(page, expert)
    page.goto(f"/provider/invoices/{invoice_id}")
    page.fill("#amount", "600,00")
    page.fill("#received_on", TODAY.isoformat())
    page.fill("#payer_reference", "VIR SEPA BOULANGERIE MARTIN")
    page.click("#record-transfer button[type=submit]")
    page.wait_for_selector(".flash-success")
    assert text_of(page, "#share-due") == "0,00\u00a0€"
    assert page.locator("#claims [data-claim-status='submitted']").count() == 2
    log_out(page)

    log_in(page, admin)
    for _ in range(2):
        page.goto("/admin/claims/?status=submitted")
        page.click("tr[data-claim-status='submitted'] a")
        page.click("#approve-claim")
        page.wait_for_selector("#claim-paid-form")
        page.fill("#funder_reference", "VIR-FINANCEUR-2026")
        page.click("#mark-claim-paid")
        page.wait_for_selector(".badge-claim-paid")
    log_out(page)
    with app.app_context():
        booking = db.session.get(Booking, booking_id)
        assert booking is not None and booking.state == State.CLOSED

    log_in(page, company)
    page.goto(f"/bookings/{booking_id}")
    page.check("#rating input[value='4']")
    page.fill("#comment", "Boutique en ligne livrée à temps, formation claire.")
    page.click("#publish-review")
    page.wait_for_selector(".flash-success")
    page.goto(f"/offers/{offer_id}")
    assert "Boutique en ligne livrée à temps" in (
        page.locator("#offer-reviews").text_content() or ""
    )
    log_out(page)

    log_in(page, admin)
    page.goto(f"/admin/programmes/{national_id}/dashboard")
    page.wait_for_url(re.compile(r"/dashboard$"))
    assert text_of(page, "#bookings-helped") == "1"
    with app.app_context():
        assert_books_balance(db.session())
        assert_budgets_add_up(db.session())
