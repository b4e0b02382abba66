"""Subsidy claims in a real browser: the admin goes from the menu to the queue, checks a claim's
evidence, approves it, marks it paid with the funder's reference; the provider then sees it
paid. Every claim page at 1280 px and 375 px, passing axe and never scrolling sideways."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from flask import Flask

from marketplace.extensions import db
from tests.billing_scenario import TODAY, Scenario
from tests.browser.test_booking_journey import log_in, log_out, text_of
from tests.browser.test_ledger_admin import check_page

if TYPE_CHECKING:
    from playwright.sync_api import Page


def test_the_admin_approves_and_pays_a_claim_and_the_provider_sees_it(
    app: Flask, page: Page
) -> None:
    with app.app_context():
        s = Scenario(db.session())
        s.pay(600_00)
        db.session.commit()
        assert s.national is not None
        admin, expert = s.admin.email, s.expert.email
        claim_id = s.claim(s.national).id
    problems: dict[str, object] = {}

    log_in(page, admin)
    page.click("header a[href='/admin/claims/']")
    page.wait_for_url(re.compile(r"/admin/claims/$"))
    assert page.locator("tr[data-claim-status='submitted']").count() == 2
    check_page(page, problems)

    page.click(f"tr[data-claim='{claim_id}'] a")
    page.wait_for_url(re.compile(rf"/admin/claims/{claim_id}$"))
    assert page.locator("#claim-evidence [data-evidence='payment']").count() == 1
    check_page(page, problems)
    page.click("#approve-claim")
    page.wait_for_selector(".flash-success")
    check_page(page, problems)
    page.fill("#paid_on", TODAY.isoformat())
    page.fill("#funder_reference", "VIR-ETAT-2026-118")
    page.click("#mark-claim-paid")
    page.wait_for_selector(".badge-claim-paid")
    assert "VIR-ETAT-2026-118" in text_of(page, "#claim-waiting-for")

    page.goto("/admin/claims/?status=submitted")
    page.click("tr[data-claim-status='submitted'] a")
    page.click("#reject-claim")
    page.wait_for_url(re.compile(r"/reject$"))
    check_page(page, problems)
    log_out(page)

    log_in(page, expert)
    page.click("header a[href='/provider/claims/']")
    page.wait_for_url(re.compile(r"/provider/claims/$"))
    assert page.locator("tr[data-claim-status='paid']").count() == 1
    check_page(page, problems)
    page.click("tr[data-claim-status='paid'] a")
    page.wait_for_selector("#claim-evidence")
    check_page(page, problems)
    assert problems == {}
