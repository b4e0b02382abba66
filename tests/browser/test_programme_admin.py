"""Subsidy programmes in a real browser: an admin creates one, then saves its edit page as is.

The edit page must show every value in a form the browser sends back (euros and percent with a
French decimal comma in text inputs, dates in date inputs), and the list and form pages must not
scroll sideways at 1280 px or at 375 px (a phone). Elements are found by names, ids and URLs.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from flask import Flask
from sqlalchemy import select

from marketplace.billing.models import SubsidyProgramme
from marketplace.billing.programmes import ProgrammeData, programme_data
from marketplace.extensions import db
from tests.factories import PASSWORD, admin_user

if TYPE_CHECKING:
    from playwright.sync_api import Page

ADMIN_EMAIL = "admin.dispositifs@example.fr"
SUBMIT = "main form[method=post] button[type=submit]"
WIDTHS = (1280, 375)


def scrolls_sideways(page: Page, width: int) -> bool:
    return bool(page.evaluate(f"document.documentElement.scrollWidth > {width}"))


def log_in_as_admin(app: Flask, page: Page) -> None:
    with app.app_context():
        admin_user(db.session, ADMIN_EMAIL)
        db.session.commit()
    page.goto("/login")
    page.fill("#email", ADMIN_EMAIL)
    page.fill("#password", PASSWORD)
    page.click(SUBMIT)


def saved(app: Flask) -> ProgrammeData:
    with app.app_context():
        programme = db.session.scalars(select(SubsidyProgramme)).one()
        return programme_data(programme)


@pytest.mark.parametrize("width", WIDTHS)
def test_admin_creates_a_programme_and_saves_its_edit_page_unchanged(
    app: Flask, page: Page, width: int, tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    page.set_viewport_size({"width": width, "height": 900})
    log_in_as_admin(app, page)
    page.click("header a[href$='/admin/programmes']")
    expect(page).to_have_url(re.compile(r"/admin/programmes$"))
    expect(page.locator("main .empty-state")).to_be_visible()
    assert not scrolls_sideways(page, width)

    # A regional programme, typed as a French admin types it.
    page.click("main a[href$='/admin/programmes/new']")
    expect(page).to_have_url(re.compile(r"/admin/programmes/new$"))
    expect(page.locator("#volunteers-note")).to_be_visible()
    assert not scrolls_sideways(page, width)
    page.check("input[name=funder][value=region]")
    page.fill("#code", "cheque-numerique-nouvelle-aquitaine")
    page.fill("#name", "Chèque numérique Nouvelle-Aquitaine")
    page.fill("#description", "La Région complète l'aide nationale.")
    page.check("input[name=regions][value='75']")
    page.check("input[name=categories][value=online-presence]")
    page.check("input[name=categories][value=ecommerce]")
    page.check("input[name=size_bands][value='0-2']")
    page.check("input[name=size_bands][value='3-9']")
    page.fill("#rate", "12,5")
    page.fill("#cap_per_booking", "3 000,50")
    page.fill("#cap_per_company", "6000")
    page.fill("#budget", "8 000")
    page.fill("#max_aid_intensity", "80")
    page.fill("#valid_from", "2026-01-01")
    page.fill("#valid_to", "2026-12-31")
    page.fill("#stacking_order", "20")
    page.check("#de_minimis")
    page.screenshot(path=str(tmp_path / f"programme-new-{width}.png"), full_page=True)
    page.click(SUBMIT)
    expect(page).to_have_url(re.compile(r"/admin/programmes$"))
    expect(page.locator(".flash-success")).to_be_visible()
    row = page.locator("main table tbody tr")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("cheque-numerique-nouvelle-aquitaine")
    assert not scrolls_sideways(page, width)
    page.screenshot(path=str(tmp_path / f"programmes-{width}.png"), full_page=True)
    created = saved(app)
    assert (created.rate_bp, created.max_aid_intensity_bp) == (1250, 8000)
    assert (created.cap_per_booking_cents, created.budget_cents) == (300_050, 800_000)
    assert (created.valid_from, created.valid_to) == (date(2026, 1, 1), date(2026, 12, 31))

    # The edit page shows the values back, and saving it as is changes nothing.
    page.get_by_role("link", name="Chèque numérique Nouvelle-Aquitaine", exact=True).click()
    expect(page).to_have_url(re.compile(r"/admin/programmes/\d+/edit$"))
    expect(page.locator("#rate")).to_have_value("12,5")
    expect(page.locator("#cap_per_booking")).to_have_value("3000,50")
    expect(page.locator("#budget")).to_have_value("8000,00")
    expect(page.locator("#valid_to")).to_have_value("2026-12-31")
    assert not scrolls_sideways(page, width)
    page.screenshot(path=str(tmp_path / f"programme-edit-{width}.png"), full_page=True)
    page.click(SUBMIT)
    expect(page).to_have_url(re.compile(r"/admin/programmes$"))
    expect(page.locator(".flash-success")).to_be_visible()
    assert saved(app) == created
