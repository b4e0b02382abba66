"""A walk through the pages of each role on the demo's real content, at 1280 px and 375 px:
no critical or serious axe-core violation (WCAG 2.1 A and AA rules), and on a phone no page
scrolls sideways (long facet labels, programme names, region badges, price tables).

The layout does not depend on the database: the walk runs on SQLite only.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import date
from typing import TYPE_CHECKING

import pytest
from flask import Flask
from sqlalchemy import select

from marketplace.accounts.service import find_user_by_email
from marketplace.bookings.models import Booking
from marketplace.catalog.indexing import visible_offers
from marketplace.demo import seed_demo, seed_demo_billing, seed_demo_offers
from marketplace.demo.accounts import ADMIN_EMAIL, DEMO_DOMAIN, DEMO_PASSWORD
from marketplace.diagnosis.operations import company_diagnoses
from marketplace.extensions import db
from marketplace.mail import LogMailer
from marketplace.search.sync import reindex

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = pytest.mark.skipif(
    bool(os.environ.get("TEST_DATABASE_URL")), reason="layout and markup: the SQLite run covers it"
)

COMPANY, PROVIDER = "aurelie.castaing", "julien.lacoste"
WCAG = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}
BLOCKING = ("critical", "serious")


def email_of(login: str) -> str:
    return ADMIN_EMAIL if login == "admin" else f"{login}@{DEMO_DOMAIN}"


@pytest.fixture
def walk(app: Flask) -> Iterator[dict[str | None, list[str]]]:
    """The demo seeded and indexed, and the pages each role visits (ids read from it)."""
    with app.app_context():
        session, today = db.session(), date.today()
        seed_demo(session, LogMailer(), today)
        seed_demo_offers(session, today)
        seed_demo_billing(session, LogMailer(), today)
        session.commit()
        reindex(session, app.extensions["search"], today, loader=app.extensions["search_loader"])
        session.commit()
        company = find_user_by_email(session, email_of(COMPANY))
        provider = find_user_by_email(session, email_of(PROVIDER))
        assert company and company.company and provider and provider.provider
        offer = session.scalars(visible_offers(today).limit(1)).one()
        mine = session.scalars(
            select(Booking).where(Booking.company_id == company.company.id).order_by(Booking.id)
        ).all()
        theirs = session.scalars(
            select(Booking).where(Booking.provider_id == provider.provider.id)
        ).first()
        diagnosis = session.scalars(company_diagnoses(company.company)).first()
        assert offer and mine and theirs and diagnosis
        yield {
            None: [
                "/",
                "/search",
                "/search?q=site",
                "/providers",
                f"/providers/{offer.provider_id}",
                f"/offers/{offer.id}",
                "/aides/eligibilite",
                "/aides/eligibilite?size_band=3-9&department=33",
                "/login",
                "/register",
                "/register/company",
                "/register/provider",
                "/password/forgot",
                "/mentions-legales",
                "/donnees-personnelles",
                "/accessibilite",
                "/plan-du-site",
                "/contact",
            ],
            COMPANY: [
                "/account/",
                "/diagnosis/",
                f"/diagnosis/{diagnosis.id}",
                "/diagnosis/take/1",
                "/recommended",
                "/search?q=boutique",
                f"/offers/{offer.id}/request",
                "/bookings/",
                *(f"/bookings/{booking.id}" for booking in mine),
                "/de-minimis",
            ],
            PROVIDER: [
                "/provider/",
                "/provider/offers",
                "/provider/offers/new",
                "/provider/bookings/",
                f"/provider/bookings/{theirs.id}",
            ],
            "admin": [
                "/admin/labels",
                "/admin/programmes",
                "/admin/programmes/new",
                "/admin/bookings/",
                "/admin/audit",
                "/admin/outbox",
                "/admin/ledger/",
                "/admin/ledger/trial-balance",
            ],
        }


def log_in(page: Page, login: str) -> None:
    page.context.clear_cookies()
    page.goto("/login")
    page.fill("#email", email_of(login))
    page.fill("#password", DEMO_PASSWORD)
    page.click("main form[method=post] button[type=submit]")
    page.wait_for_load_state()


def wider_than_the_screen(page: Page) -> list[str]:
    """The first elements reaching past the viewport's right edge (to tell what to fix)."""
    return page.evaluate(
        """Array.from(document.querySelectorAll('body *'))
            .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1)
            .slice(0, 5).map(e => e.tagName.toLowerCase() + '.' + e.className)"""
    )


def test_every_page_of_the_walk_is_accessible_and_fits(
    page: Page, walk: dict[str | None, list[str]]
) -> None:
    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()
    problems: dict[str, object] = {}
    for width in (1280, 375):  # one seeding for both widths: it is the slow part
        page.set_viewport_size({"width": width, "height": 900})
        for login, paths in walk.items():
            if login is not None:
                log_in(page, login)
            for path in paths:
                response = page.goto(path)
                where = f"{width}px {login or 'visitor'} {path}"
                assert response is not None and response.status == 200, where
                violations = [
                    (v["id"], v["impact"], v["nodes"][0]["target"])
                    for v in axe.run(page, options=WCAG).response["violations"]
                    if v["impact"] in BLOCKING
                ]
                if violations:
                    problems[where] = violations
                if width < 400 and page.evaluate("document.documentElement.scrollWidth") > width:
                    problems[where + " (scrolls sideways)"] = wider_than_the_screen(page)
        page.context.clear_cookies()
    assert problems == {}
