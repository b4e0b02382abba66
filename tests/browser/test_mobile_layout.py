"""On a phone (375 px), no page scrolls sideways: the demo's real content, page by page and role
by role (long facet labels, programme names, region badges, price tables)."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

import pytest
from flask import Flask

from marketplace.demo import seed_demo, seed_demo_billing, seed_demo_offers
from marketplace.demo.accounts import ADMIN_EMAIL, DEMO_DOMAIN, DEMO_PASSWORD
from marketplace.extensions import db
from marketplace.mail import LogMailer
from marketplace.search.sync import reindex

if TYPE_CHECKING:
    from playwright.sync_api import Page

WIDTH = 375
PAGES = {
    None: ["/", "/search", "/search?q=site", "/providers", "/aides/eligibilite"],
    "aurelie.castaing": ["/search?q=boutique", "/recommended", "/bookings/", "/de-minimis"],
    "julien.lacoste": ["/provider/bookings/", "/provider/offers"],
    "admin": ["/admin/programmes", "/admin/labels"],
}


@pytest.fixture
def demo(app: Flask) -> None:
    with app.app_context():
        today = date.today()
        seed_demo(db.session(), LogMailer(), today)
        seed_demo_offers(db.session(), today)
        seed_demo_billing(db.session(), LogMailer(), today)
        db.session.commit()
        reindex(
            db.session(), app.extensions["search"], today, loader=app.extensions["search_loader"]
        )
        db.session.commit()


def wider_than_the_screen(page: Page) -> list[str]:
    return page.evaluate(
        """Array.from(document.querySelectorAll('main *'))
            .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1)
            .slice(0, 5).map(e => e.tagName.toLowerCase() + '.' + e.className)"""
    )


def test_no_page_scrolls_sideways_on_a_phone(app: Flask, page: Page, demo: None) -> None:
    page.set_viewport_size({"width": WIDTH, "height": 800})
    too_wide = {}
    for login, paths in PAGES.items():
        if login is not None:
            email = ADMIN_EMAIL if login == "admin" else f"{login}@{DEMO_DOMAIN}"
            page.context.clear_cookies()
            page.goto("/login")
            page.fill("#email", email)
            page.fill("#password", DEMO_PASSWORD)
            page.click("main form[method=post] button[type=submit]")
            page.wait_for_load_state()
        for path in paths:
            response = page.goto(path)
            assert response is not None and response.status == 200, (login, path)
            width = page.evaluate("document.documentElement.scrollWidth")
            if width > WIDTH:
                too_wide[(login, path)] = (width, wider_than_the_screen(page))
    assert too_wide == {}
