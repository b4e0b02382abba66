"""Refused input in a real browser: the error shows next to the field and nothing typed is lost.

At 1280 px and at 375 px (a phone), the page must not scroll sideways with its errors shown.
Screenshots go to the test's tmp folder, to be looked at when a layout changes.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from flask import Flask

from marketplace.extensions import db
from tests.factories import provider_user

if TYPE_CHECKING:
    from playwright.sync_api import Page

SUBMIT = "main form[method=post] button[type=submit]"
WIDTHS = (1280, 375)


def scrolls_sideways(page: Page, width: int) -> bool:
    return bool(page.evaluate(f"document.documentElement.scrollWidth > {width}"))


@pytest.mark.parametrize("width", WIDTHS)
def test_a_tab_in_a_company_name_is_shown_in_place(page: Page, width: int, tmp_path: Path) -> None:
    from playwright.sync_api import expect

    page.set_viewport_size({"width": width, "height": 900})
    page.goto("/register/company")
    page.fill("#company_name", "Boulangerie\tMartin")
    page.fill("#siren", "732 829 320")
    page.fill("#full_name", "Anne Martin")
    page.click(SUBMIT)

    name = page.locator("#company_name")
    expect(name).to_have_attribute("aria-invalid", "true")
    expect(name).to_have_value("Boulangerie\tMartin")  # kept, to be corrected
    expect(page.locator("#siren")).to_have_value("732 829 320")
    assert not scrolls_sideways(page, width)
    page.screenshot(path=str(tmp_path / f"register-error-{width}.png"), full_page=True)


@pytest.mark.parametrize("width", WIDTHS)
def test_an_absurd_turnover_is_shown_in_place(
    app: Flask, page: Page, width: int, tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    with app.app_context():
        provider_user(db.session, email="paul.navigateur@example.fr")
        db.session.commit()
    page.set_viewport_size({"width": width, "height": 900})
    page.goto("/login")
    page.fill("#email", "paul.navigateur@example.fr")
    page.fill("#password", "correct-horse-battery")
    page.click(SUBMIT)
    page.goto("/provider/label/apply")
    page.check("input[name=categories][value=online-presence]")
    page.fill("#similar_projects_turnover", "1e30")  # a number input takes it, no column does
    page.fill("#certifications", "Qualiopi")
    page.click(SUBMIT)

    turnover = page.locator("#similar_projects_turnover")
    expect(turnover).to_have_attribute("aria-invalid", "true")
    expect(turnover).to_have_value("1e30")
    expect(page.locator("#certifications")).to_have_value("Qualiopi")
    expect(page.locator("input[name=categories][value=online-presence]")).to_be_checked()
    assert not scrolls_sideways(page, width)
    page.screenshot(path=str(tmp_path / f"label-error-{width}.png"), full_page=True)
