"""The funder's dashboard in a real browser: from the programmes list to the charts and their
tables, at 1280 px and 375 px, passing axe and never scrolling sideways."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from flask import Flask

from marketplace.billing.claims import approve_claim, mark_claim_paid
from marketplace.extensions import db
from tests.billing_scenario import TODAY, Scenario
from tests.browser.test_booking_journey import log_in, text_of
from tests.browser.test_ledger_admin import check_page
from tests.invoicing import MAILER

if TYPE_CHECKING:
    from playwright.sync_api import Page


def test_the_admin_reads_a_programme_dashboard(app: Flask, page: Page) -> None:
    with app.app_context():
        s = Scenario(db.session())
        s.pay(600_00)
        claim = s.claim(s.national)
        approve_claim(db.session(), s.admin, claim.id)
        mark_claim_paid(db.session(), s.admin, claim.id, TODAY, "VIR-1", TODAY, MAILER)
        db.session.commit()
        assert s.national is not None
        admin, programme_id = s.admin.email, s.national.id
    problems: dict[str, object] = {}
    log_in(page, admin)
    page.goto("/admin/programmes")
    page.click(f"a[href='/admin/programmes/{programme_id}/dashboard']")
    page.wait_for_url(re.compile(r"/dashboard$"))
    assert text_of(page, "#bookings-helped") == "1"
    assert page.locator("svg[role=img]").count() == 4  # the budget and three breakdowns
    check_page(page, problems)
    assert problems == {}
