"""A review in a real browser: the company rates its closed booking and the review shows on
the offer; both pages at 1280 px and 375 px, passing axe and never scrolling sideways."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from flask import Flask

from marketplace.extensions import db
from tests.billing_scenario import closed_scenario
from tests.browser.test_booking_journey import log_in
from tests.browser.test_ledger_admin import check_page

if TYPE_CHECKING:
    from playwright.sync_api import Page


def test_the_company_reviews_a_closed_booking_and_the_offer_shows_it(
    app: Flask, page: Page
) -> None:
    with app.app_context():
        s = closed_scenario(db.session())
        db.session.commit()
        company, booking_id, offer_id = s.company.email, s.booking.id, s.booking.offer_id
    problems: dict[str, object] = {}
    log_in(page, company)
    page.goto(f"/bookings/{booking_id}")
    check_page(page, problems)
    page.check("#rating input[value='5']")
    page.fill("#comment", "Équipe réactive, site en ligne en trois semaines.")
    page.click("#publish-review")
    page.wait_for_selector(".flash-success")
    page.goto(f"/offers/{offer_id}")
    assert "Équipe réactive" in (page.locator("#offer-reviews").text_content() or "")
    assert re.search(r"5/5 \(1 avis\)", page.locator(".rating").first.text_content() or "")
    check_page(page, problems)
    assert problems == {}
