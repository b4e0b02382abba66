"""Quotes in a real browser: a company's split box on an offer page (and its quantity field),
a visitor's best case, and "am I eligible?", at 1280 px and 375 px without sideways scrolling.
Elements are found by ids, classes and data attributes, never by translated wording.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from flask import Flask

from marketplace.extensions import db
from tests.factories import PASSWORD, admin_user, company_user, programme, provider_user
from tests.factories import published_offer as publish

if TYPE_CHECKING:
    from playwright.sync_api import Page

WIDTHS = (1280, 375)


def scrolls_sideways(page: Page, width: int) -> bool:
    return bool(page.evaluate(f"document.documentElement.scrollWidth > {width}"))


@pytest.fixture
def offers(app: Flask) -> dict[str, int]:
    """A national and a regional programme (Auvergne-Rhône-Alpes), a 4,000 € website and a
    per-day offer, and a company of the Rhône to log in as."""
    with app.app_context():
        admin = admin_user(db.session)
        programme(db.session, admin, code="france-num", name="Chèque France Num",
                  cap_per_booking_cents=150_000)  # fmt: skip
        programme(db.session, admin, code="pass-aura",
                  name="Pass numérique Auvergne-Rhône-Alpes pour les très petites entreprises",
                  funder="region", regions=["84"], rate_bp=3000, cap_per_booking_cents=None,
                  cap_per_company_cents=50_000, stacking_order=1)  # fmt: skip
        provider = provider_user(db.session, name="Studio Lyonnais")
        website = publish(db.session, provider, admin)
        daily = publish(db.session, provider, admin, title="Accompagnement à la journée",
                        pricing_unit="per_day", price_excl_vat_cents=80_000)  # fmt: skip
        company_user(db.session, "devis@example.fr", department="69")
        db.session.commit()
        return {"website": website.id, "daily": daily.id}


def log_in(page: Page) -> None:
    page.goto("/login")
    page.fill("#email", "devis@example.fr")
    page.fill("#password", PASSWORD)
    page.click("main form[method=post] button[type=submit]")


@pytest.mark.parametrize("width", WIDTHS)
def test_a_companys_split_box_on_the_offer_page(
    page: Page, offers: dict[str, int], width: int, tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    page.set_viewport_size({"width": width, "height": 900})
    log_in(page)
    page.goto(f"/offers/{offers['website']}")
    box = page.locator("#offer-split .split-box[data-basis=company]")
    expect(box).to_be_visible()
    expect(box.locator(".split-line")).to_have_count(2)
    expect(box.locator(".split-line[data-programme=pass-aura] .split-why")).to_be_visible()
    expect(box).to_have_attribute("data-company-share", "280000")
    expect(box.locator(".split-you-pay")).to_be_visible()
    assert not scrolls_sideways(page, width)
    page.screenshot(path=str(tmp_path / f"offer-split-{width}.png"), full_page=True)

    page.goto(f"/offers/{offers['daily']}")
    page.fill("#quantity", "3")
    page.click(".quantity-form button[type=submit]")
    expect(page.locator("#offer-split .split-box")).to_have_attribute(
        "data-company-share", str(288_000 - 120_000 - 50_000)
    )
    expect(page.locator("#quantity")).to_have_value("3")
    page.fill("#quantity", "0")
    page.click(".quantity-form button[type=submit]")
    expect(page.locator("#quantity")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#quantity-error")).to_be_visible()
    assert not scrolls_sideways(page, width)


@pytest.mark.parametrize("width", WIDTHS)
def test_a_visitor_checks_eligibility_from_an_offer(
    page: Page, offers: dict[str, int], width: int, tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    page.set_viewport_size({"width": width, "height": 900})
    page.goto(f"/offers/{offers['website']}")
    note = page.locator("#offer-split .split-box[data-basis=best-case]")
    expect(note).to_have_attribute("data-best-rate", "5000")
    assert not scrolls_sideways(page, width)
    note.locator("a.split-eligibility").click()

    expect(page.locator("#offer")).to_have_value(str(offers["website"]))
    page.select_option("#size_band", "3-9")
    page.select_option("#department", "69")
    page.click("#eligibility-form button[type=submit]")
    programmes = page.locator("#eligible-programmes > li")
    expect(programmes).to_have_count(2)
    expect(page.locator("#eligible-programmes > li[data-programme=pass-aura]")).to_be_visible()
    example = page.locator("#eligibility-example .split-box")
    expect(example).to_have_attribute("data-company-share", "280000")
    assert not scrolls_sideways(page, width)
    page.screenshot(path=str(tmp_path / f"eligibility-{width}.png"), full_page=True)

    page.select_option("#department", "35")
    page.click("#eligibility-form button[type=submit]")
    expect(programmes).to_have_count(1)
    expect(page.locator("#eligible-programmes > li[data-programme=france-num]")).to_be_visible()

    page.select_option("#department", "")
    page.fill("#siren", "552 100 554")
    page.click("#eligibility-form button[type=submit]")
    expect(page.locator("#department")).to_have_attribute("aria-invalid", "true")
    assert not scrolls_sideways(page, width)
