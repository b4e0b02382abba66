"""The label flow in a real browser: a provider signs up and applies, an admin approves it.

Elements are found by field names, ids and URLs, and outcomes checked by URL and by the data
shown, never by translated wording (the UI is French first, English when no catalogue exists).
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from flask import Flask

from marketplace.extensions import db
from marketplace.identifiers import french_vat_number, make_siren, make_siret
from tests.factories import PASSWORD, admin_user

if TYPE_CHECKING:
    from playwright.sync_api import Page

PROVIDER_NAME = "Atelier Navigateur Rennes"
PROVIDER_EMAIL = "navigateur@example.fr"
ADMIN_EMAIL = "admin.navigateur@example.fr"
REASON = "Références vérifiées par téléphone"

# Submit buttons of the page's own form, not the header's log-out and language buttons.
SUBMIT = "main form[method=post] button[type=submit]"


def log_in(page: Page, email: str) -> None:
    page.goto("/login")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.click(SUBMIT)


def log_out(page: Page) -> None:
    page.click("header form[action$='/logout'] button[type=submit]")


def test_provider_applies_and_admin_approves_in_browser(
    app: Flask, page: Page, tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    with app.app_context():
        admin_user(db.session, ADMIN_EMAIL)
        db.session.commit()
    siren = make_siren(424_242)

    # A provider signs up...
    page.goto("/register/provider")
    page.check("input[name=kind][value=expert]")
    page.fill("#provider_name", PROVIDER_NAME)
    page.fill("#siret", make_siret(siren, 1))
    page.fill("#vat_number", french_vat_number(siren))
    page.select_option("#department_code", "35")
    page.fill("#full_name", "Paul Le Gall")
    page.fill("#email", PROVIDER_EMAIL)
    page.fill("#password", PASSWORD)
    page.fill("#password_confirm", PASSWORD)
    page.click(SUBMIT)
    expect(page).to_have_url(re.compile(r"/provider/$"))
    expect(page.locator("main h1")).to_have_text(PROVIDER_NAME)

    # ...and applies for the label.
    page.click("main a[href$='/provider/label/apply']")
    expect(page).to_have_url(re.compile(r"/provider/label/apply$"))
    page.check("input[name=categories][value=online-presence]")
    page.check("input[name=categories][value=marketing]")
    page.fill("#similar_projects_turnover", "45000")
    year = date.today().year
    for i in range(3):
        page.fill(f"#references-{i}-client_name", f"Crêperie {i}")
        page.fill(f"#references-{i}-description", "Site vitrine et référencement local")
        page.fill(f"#references-{i}-year", str(year - i))
    page.check("#sworn_statement")
    page.click(SUBMIT)
    expect(page).to_have_url(re.compile(r"/provider/$"))
    expect(page.locator("main .badge-pending")).to_be_visible()
    log_out(page)
    expect(page).to_have_url(re.compile(r"127\.0\.0\.1:\d+/$"))

    # The admin finds the application in the queue and approves it.
    log_in(page, ADMIN_EMAIL)
    expect(page).to_have_url(re.compile(r"/admin/labels$"))
    page.get_by_role("link", name=PROVIDER_NAME, exact=True).click()
    expect(page).to_have_url(re.compile(r"/admin/labels/\d+$"))
    page.check("input[name=decision][value=approve]")
    page.fill("#reason", REASON)
    page.check("#confirm")
    page.click(SUBMIT)
    expect(page).to_have_url(re.compile(r"/admin/labels/\d+$"))
    expect(page.locator("main h1 .badge-approved")).to_be_visible()
    log_out(page)

    # The provider sees its active label and the admin's reason.
    log_in(page, PROVIDER_EMAIL)
    expect(page).to_have_url(re.compile(r"/provider/$"))
    expect(page.locator("main .badge-approved").first).to_be_visible()
    expect(page.locator("main .timeline")).to_contain_text(REASON)
    page.screenshot(path=tmp_path / "provider-dashboard.png", full_page=True)
