"""Editing an offer in a real browser: the edit page saved as shown keeps every value.

The last review found this page broken: the price came back as "3100,00" in a number input,
which Chromium shows as empty and does not send. The page must also fit 1280 px and 375 px.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from flask import Flask

from marketplace.catalog.models import Offer
from marketplace.catalog.operations import offer_data
from marketplace.extensions import db
from tests.factories import PASSWORD, admin_user, provider_user, published_offer

if TYPE_CHECKING:
    from playwright.sync_api import Page

EMAIL = "editrice.offres@example.fr"
SUBMIT = "main form[method=post] button[type=submit]"
SAVE = "button[name=action][value=save]"


@pytest.mark.parametrize("width", (1280, 375))
def test_a_provider_saves_its_offer_edit_page_unchanged_then_changes_the_price(
    app: Flask, page: Page, width: int, tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    with app.app_context():
        expert = provider_user(db.session, email=EMAIL)
        offer = published_offer(
            db.session, expert, admin_user(db.session), price_excl_vat_cents=310_050
        )
        offer_id, before = offer.id, offer_data(offer)
        db.session.commit()

    page.set_viewport_size({"width": width, "height": 900})
    page.goto("/login")
    page.fill("#email", EMAIL)
    page.fill("#password", PASSWORD)
    page.click(SUBMIT)
    page.goto(f"/provider/offers/{offer_id}/edit")
    price = page.locator("input[name=price]")
    expect(price).to_have_value("3100,50")
    assert price.get_attribute("inputmode") == "decimal"
    assert not page.evaluate(f"document.documentElement.scrollWidth > {width}")
    page.screenshot(path=str(tmp_path / f"offer-edit-{width}.png"), full_page=True)

    page.click(SAVE)
    expect(page.locator(".flash-success")).to_be_visible()
    with app.app_context():
        assert offer_data(db.session.get(Offer, offer_id)) == before

    page.goto(f"/provider/offers/{offer_id}/edit")
    page.fill("input[name=price]", "2 900,00")
    page.click(SAVE)
    expect(page.locator(".flash-success")).to_be_visible()
    with app.app_context():
        assert db.session.get(Offer, offer_id).price_excl_vat_cents == 290_000
    assert page.goto(f"/offers/{offer_id}").status == 200
