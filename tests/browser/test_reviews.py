"""A review in a real browser: the company rates its closed booking, the review shows on the
offer and the rating filters the search; the admin finds it in the review list and opens its
booking. Every page at 1280 px and 375 px, passing axe and never scrolling sideways."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from flask import Flask

from marketplace.extensions import db
from tests.billing_scenario import closed_scenario
from tests.browser.test_booking_journey import log_in, log_out
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
        admin, title = s.admin.email, s.booking.offer.title
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

    page.goto("/search")
    page.click("details[data-facet='rating'] summary")
    page.check("#f-rating-4_plus")
    page.click("aside.facets button[type='submit']")
    page.wait_for_url(re.compile(r"rating=4_plus"))
    assert title in (page.locator(".offer-hits").text_content() or "")
    check_page(page, problems)
    log_out(page)

    log_in(page, admin)
    page.click("header a[href='/admin/reviews/']")
    page.wait_for_url(re.compile(r"/admin/reviews/$"))
    assert "Équipe réactive" in (page.locator("table.reviews-table").text_content() or "")
    check_page(page, problems)
    page.click(f"a[href='/admin/bookings/{booking_id}#review']")
    page.wait_for_selector("#review")
    assert problems == {}
