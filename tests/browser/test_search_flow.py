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


def test_ticks_for_comparison_survive_new_searches_and_a_wrong_count(
    page: Page,
    catalogue: dict[str, int],  # noqa: F811
) -> None:
    """Tick an offer, search again, tick another: does the comparison show both? And after
    comparing a single offer, does 'add offers' lead back with that offer still ticked?"""
    from playwright.sync_api import expect

    from tests.browser.test_ledger_admin import check_page

    website, audit = catalogue["website"], catalogue["audit"]

    def search(words: str) -> None:
        page.fill("#q", words)
        page.click(".search-bar button[type=submit]")

    def pick(offer_id: int) -> None:
        page.check(f".offer-hit[data-offer='{offer_id}'] input[data-compare-pick]")

    page.goto("/search")
    search("site internet")
    pick(website)
    expect(page.locator("#compare-count")).to_contain_text("1")
    search("cybersecurite")
    expect(page.locator(f".offer-hit[data-offer='{website}']")).to_have_count(0)
    pick(audit)
    expect(page.locator("#compare-count")).to_contain_text("2")
    problems: dict[str, object] = {}
    check_page(page, problems)  # the search page with its comparison bar
    page.click(".compare-bar button[type=submit]")
    expect(page).to_have_url(re.compile(r"/compare\?"))
    expect(page.locator(".compare-table thead a")).to_have_count(2)
    expect(page.locator(f".compare-table a[href$='/offers/{website}']")).to_be_visible()

    page.goto("/search")
    page.click("#compare-clear")
    search("cybersecurite")
    pick(audit)
    page.click(".compare-bar button[type=submit]")
    expect(page.locator(f"#chosen-{audit}")).to_be_checked()  # one offer: still chosen
    check_page(page, problems)
    page.click(".compare-chosen a[href$='/search']")
    search("site internet")
    pick(website)
    page.click(".compare-bar button[type=submit]")
    expect(page.locator(".compare-table thead a")).to_have_count(2)
    assert problems == {}
