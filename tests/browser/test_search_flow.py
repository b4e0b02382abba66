"""From the diagnosis result to recommended offers, then a filtered, typo-tolerant search, in a
real browser. Elements are found by names, ids and URLs, never by translated wording."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from flask import Flask

from marketplace.diagnosis.operations import submit_diagnosis
from marketplace.extensions import db
from tests.factories import PASSWORD, company_user
from tests.functional.test_diagnosis_pages import answers
from tests.functional.test_search_pages import catalogue  # noqa: F401  (fixture)

if TYPE_CHECKING:
    from playwright.sync_api import Page


def test_from_diagnosis_to_recommended_offers_and_search(
    app: Flask,
    page: Page,
    catalogue: dict[str, int],  # noqa: F811
) -> None:
    from playwright.sync_api import expect

    with app.app_context():
        user = company_user(db.session, "recherche@example.fr", department="69")
        diagnosis_id = submit_diagnosis(db.session, user, user.company, answers("worst")).id
        db.session.commit()

    page.goto("/login")
    page.fill("#email", "recherche@example.fr")
    page.fill("#password", PASSWORD)
    page.click("main form[method=post] button[type=submit]")

    page.goto(f"/diagnosis/{diagnosis_id}")
    page.click("#recommended-link")
    expect(page).to_have_url(re.compile(r"/recommended$"))
    recommended = page.locator("main")
    expect(recommended.locator(f"a[href$='/offers/{catalogue['audit']}']").first).to_be_visible()
    expect(recommended.locator(f"a[href$='/offers/{catalogue['website']}']")).to_have_count(0)

    page.goto("/search")
    page.fill("#q", "comerce en ligne")
    page.click(".search-bar button[type=submit]")
    expect(page.locator(f".offer-hit a[href$='/offers/{catalogue['shop']}']")).to_be_visible()
    expect(page.locator(".offer-hit")).to_have_count(1)

    page.fill("#q", "site internet")
    page.click(".search-bar button[type=submit]")
    expect(page.locator(f".offer-hit a[href$='/offers/{catalogue['website']}']")).to_be_visible()

    page.fill("#q", "cybersecurite")
    page.click(".search-bar button[type=submit]")
    expect(page.locator(f".offer-hit a[href$='/offers/{catalogue['audit']}']")).to_be_visible()
    page.click("details[data-facet=delivery] > summary")  # filters are folded until used
    page.check("#f-delivery-on_site")
    page.click(".facets button[type=submit]")
    expect(page.locator(".offer-hit")).to_have_count(1)
    expect(page.locator(".offer-hit mark").first).to_be_visible()
