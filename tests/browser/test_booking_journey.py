"""A booking in a real browser: a company sees its split and requests an offer, the provider
quotes, the company accepts, budgets and allowances move; a cancellation gives them back.

Elements are found by ids and URLs, amounts compared as the app formats them in French; every
booking page is checked at 1280 px and 375 px for sideways scrolling.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from flask import Flask

from marketplace.billing.money import format_euros
from marketplace.billing.split import DE_MINIMIS_CEILING_CENTS
from marketplace.bookings.operations import (
    QuoteData,
    RequestData,
    TransitionInput,
    current_split,
    fire,
    request_booking,
)
from marketplace.extensions import db
from marketplace.mail import LogMailer
from tests.factories import (
    PASSWORD,
    admin_user,
    company_user,
    programme,
    provider_user,
    published_offer,
)

if TYPE_CHECKING:
    from playwright.sync_api import Page

COMPANY_EMAIL = "cave.navigateur@example.fr"
PROVIDER_EMAIL = "atelier.navigateur@example.fr"
ADMIN_EMAIL = "admin.reservations@example.fr"
WIDTHS = (1280, 375)
MAILER = LogMailer()


def euros(cents: int) -> str:
    return format_euros(cents, "fr")


def log_in(page: Page, email: str) -> None:
    page.goto("/login")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.click("main form[method=post] button[type=submit]")
    page.wait_for_url(re.compile(r"^(?!.*/login)"))


def log_out(page: Page) -> None:
    page.click("header form[action$='/logout'] button[type=submit]")
    page.wait_for_url(re.compile(r"127\.0\.0\.1:\d+/$"))


def text_of(page: Page, selector: str) -> str:
    return (page.locator(selector).first.text_content() or "").strip()


def scrolls_sideways(page: Page, width: int) -> bool:
    return bool(page.evaluate(f"document.documentElement.scrollWidth > {width}"))


def wider_than_the_screen(page: Page) -> list[str]:
    """The first elements reaching past the viewport's right edge (to tell what to fix)."""
    return page.evaluate(
        """Array.from(document.querySelectorAll('main *'))
            .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1)
            .slice(0, 5).map(e => e.tagName.toLowerCase() + '.' + e.className)"""
    )


@dataclass
class Journey:
    offer_id: int  # 4,000 € excl. VAT, fixed price
    second_offer_id: int  # the same price: shows what remains for a second booking


@pytest.fixture
def journey(app: Flask) -> Journey:
    with app.app_context():
        admin = admin_user(db.session, ADMIN_EMAIL)
        expert = provider_user(db.session, PROVIDER_EMAIL, name="Atelier Navigateur")
        company_user(db.session, COMPANY_EMAIL, department="33", name="Cave Navigateur")
        # 50 % up to 2,500 € a booking, 3,000 € of budget, under the de minimis regime.
        programme(db.session, admin, budget_cents=300_000, de_minimis=True, name="Chèque test")
        offer = published_offer(db.session, expert, admin)
        second = published_offer(db.session, expert, admin, title="Audit de cybersécurité")
        db.session.commit()
        return Journey(offer.id, second.id)


def second_offer_split(page: Page, journey: Journey) -> tuple[str, str]:
    """(subsidy, you pay) the company would get on another booking now."""
    page.goto(f"/offers/{journey.second_offer_id}/request")
    return text_of(page, "#split .split-subsidy .split-amount"), text_of(page, "#split-you-pay")


def ledger_figures(page: Page) -> tuple[str, str]:
    page.goto("/de-minimis")
    return text_of(page, "#ledger-total"), text_of(page, "#ledger-headroom")


def budget_left(page: Page) -> str:
    """What "Suis-je éligible ?" says remains of the test programme, for the company's profile."""
    page.goto("/aides/eligibilite")
    page.select_option("#size_band", "3-9")
    page.select_option("#department", "33")
    page.click("#eligibility-form button[type=submit]")
    card = page.locator("#eligible-programmes li", has_text="Chèque test")
    return (card.locator(".programme-budget-left").text_content() or "").strip()


def test_a_company_books_and_the_budgets_follow(
    app: Flask, page: Page, journey: Journey, tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    # Before signing in, the company checks what it is eligible for.
    assert budget_left(page) == euros(300_000)

    # The company sees its exact split on the offer, then requests it.
    log_in(page, COMPANY_EMAIL)
    page.goto(f"/offers/{journey.offer_id}/request")
    expect(page.locator("#split .split-subsidy .split-amount")).to_have_text(euros(200_000))
    assert text_of(page, "#split-incl") == euros(480_000)
    assert text_of(page, "#split-you-pay") == euros(280_000)
    assert second_offer_split(page, journey) == (euros(200_000), euros(280_000))
    assert ledger_figures(page) == (euros(0), euros(DE_MINIMIS_CEILING_CENTS))

    page.goto(f"/offers/{journey.offer_id}")
    page.click("#request-link")
    expect(page).to_have_url(re.compile(rf"/offers/{journey.offer_id}/request$"))
    page.fill("#wished_start", (date.today() + timedelta(days=14)).isoformat())
    page.fill("#message", "Pouvez-vous commencer au printemps ?")
    page.click("main form button[value=send]")
    expect(page).to_have_url(re.compile(r"/bookings/\d+$"))
    booking_url = page.url
    booking_id = int(booking_url.rsplit("/", 1)[1])
    expect(page.locator("main h1 .badge-booking-requested")).to_be_visible()
    log_out(page)

    # The provider finds it in "Demandes reçues" and sends the pre-filled quote as it is.
    log_in(page, PROVIDER_EMAIL)
    page.click("header a[href$='/provider/bookings/']")
    page.click(f"main tr[data-booking='{booking_id}'] a")
    expect(page).to_have_url(re.compile(rf"/provider/bookings/{booking_id}$"))
    expect(page.locator("#unit_price")).to_have_value("4000,00")
    page.click("#quote-form button[type=submit]")
    expect(page.locator("main h1 .badge-booking-quoted")).to_be_visible()
    log_out(page)

    # The company accepts the split it is shown.
    log_in(page, COMPANY_EMAIL)
    page.goto(booking_url)
    assert text_of(page, "#split-you-pay") == euros(280_000)
    page.click("#accept-form button[type=submit]")
    expect(page.locator("main h1 .badge-booking-agreed")).to_be_visible()
    expect(page.locator("#agreement #split-you-pay")).to_have_text(euros(280_000))

    # The programme's budget and the company's de minimis allowance took the 2,000 €.
    assert ledger_figures(page) == (euros(200_000), euros(DE_MINIMIS_CEILING_CENTS - 200_000))
    expect(page.locator("#ledger-entries tr.ledger-platform")).to_have_count(1)
    assert second_offer_split(page, journey) == (euros(100_000), euros(380_000))
    assert budget_left(page) == euros(100_000)
    page.screenshot(path=str(tmp_path / "second-offer-after-acceptance.png"), full_page=True)
    log_out(page)

    # The provider cancels the agreement, with a reason.
    log_in(page, PROVIDER_EMAIL)
    page.goto(f"/provider/bookings/{booking_id}")
    page.click("#cancel-link")
    page.click("main form[method=post] button[type=submit]")  # no reason: refused in place
    expect(page.locator("#reason")).to_have_attribute("aria-invalid", "true")
    page.fill("#reason", "Indisponible ce printemps, désolé.")
    page.click("main form[method=post] button[type=submit]")
    expect(page.locator("main h1 .badge-booking-cancelled")).to_be_visible()
    log_out(page)

    # Both are given back.
    log_in(page, COMPANY_EMAIL)
    page.goto(booking_url)
    expect(page.locator("#booking-reason")).to_have_text("Indisponible ce printemps, désolé.")
    assert ledger_figures(page) == (euros(0), euros(DE_MINIMIS_CEILING_CENTS))
    assert second_offer_split(page, journey) == (euros(200_000), euros(280_000))
    assert budget_left(page) == euros(300_000)


def _agreed_booking(app: Flask, journey: Journey) -> int:
    """A booking of the journey's company, quoted and accepted through the services."""
    from marketplace.accounts.service import find_user_by_email
    from marketplace.catalog.models import Offer

    with app.app_context():
        company = find_user_by_email(db.session, COMPANY_EMAIL)
        expert = find_user_by_email(db.session, PROVIDER_EMAIL)
        assert company is not None and expert is not None
        offer = db.session.get(Offer, journey.offer_id)
        today = date.today()
        booking = request_booking(db.session, company, offer, RequestData(), MAILER, today)
        quote = TransitionInput(quote=QuoteData(quantity=1))
        fire(db.session, expert, booking, "propose_quote", MAILER, today, quote)
        split = current_split(db.session, booking, today)
        assert split is not None
        accept = TransitionInput(expected_company_share_cents=split.company_share_cents)
        fire(db.session, company, booking, "accept", MAILER, today, accept)
        db.session.commit()
        return booking.id


def test_evidence_of_several_megabytes_goes_through_with_csrf_on(
    app: Flask, page: Page, journey: Journey, tmp_path: Path
) -> None:
    """CSRF protection reads the form before the view: the upload limit must be raised first."""
    from playwright.sync_api import expect

    booking_id = _agreed_booking(app, journey)
    evidence = tmp_path / "proces-verbal.pdf"
    evidence.write_bytes(b"%PDF-1.4\n" + b"0" * (2 * 1024 * 1024))  # over the 1 MiB default
    log_in(page, PROVIDER_EMAIL)
    page.goto(f"/provider/bookings/{booking_id}")
    page.fill("#delivery_note", "Site en ligne, recette signée.")
    page.set_input_files("#evidence", str(evidence))
    page.click("#delivery-form button[type=submit]")
    expect(page.locator("main h1 .badge-booking-delivered")).to_be_visible()
    expect(page.locator("#delivery .evidence-list a")).to_have_text("proces-verbal.pdf")
    log_out(page)

    log_in(page, COMPANY_EMAIL)
    page.goto(f"/bookings/{booking_id}")
    with page.expect_download() as download:
        page.click("#delivery .evidence-list a")
    assert download.value.suggested_filename == "proces-verbal.pdf"
    page.click("#confirm-delivery")
    expect(page.locator("main h1 .badge-booking-confirmed")).to_be_visible()


@pytest.mark.parametrize("width", WIDTHS)
def test_booking_pages_fit_the_screen(
    app: Flask, page: Page, journey: Journey, width: int, tmp_path: Path
) -> None:
    """Does any booking page, for any audience, scroll sideways at this width?"""
    from marketplace.accounts.service import find_user_by_email
    from marketplace.billing.deminimis import declare_aid
    from marketplace.bookings.lifecycle import State
    from marketplace.bookings.models import Booking

    agreed = _agreed_booking(app, journey)  # the provider's page shows the delivery form
    disputed_id = _agreed_booking(app, journey)  # delivered then disputed: the admin's page
    with app.app_context():
        company = find_user_by_email(db.session, COMPANY_EMAIL)
        assert company is not None and company.company is not None
        offer = db.session.get(Booking, agreed).offer
        long_message = RequestData(message="Un très long message " * 40 + "x" * 120)
        requested = request_booking(db.session, company, offer, long_message, MAILER, date.today())
        aid = declare_aid(
            db.session,
            company,
            company.company,
            date.today() - timedelta(days=100),
            1_234_500,
            "Région Nouvelle-Aquitaine, dispositif d'accompagnement numérique",
            date.today(),
        )
        disputed = db.session.get(Booking, disputed_id)
        expert = find_user_by_email(db.session, PROVIDER_EMAIL)
        fire(
            db.session,
            expert,
            disputed,
            "mark_delivered",
            MAILER,
            date.today(),
            TransitionInput(delivery_note="Livré"),
        )
        fire(
            db.session,
            company,
            disputed,
            "dispute",
            MAILER,
            date.today(),
            TransitionInput(reason="Le site n'est pas en ligne"),
        )
        assert disputed.state == State.DISPUTED
        db.session.commit()
        requested_id, aid_id = requested.id, aid.id

    page.set_viewport_size({"width": width, "height": 900})
    pages = {
        COMPANY_EMAIL: [
            f"/offers/{journey.offer_id}/request",
            "/bookings/",
            f"/bookings/{requested_id}",
            f"/bookings/{requested_id}/cancel",
            f"/bookings/{agreed}",
            f"/bookings/{disputed_id}",
            "/de-minimis",
            f"/de-minimis/{aid_id}/withdraw",
        ],
        PROVIDER_EMAIL: [
            "/provider/bookings/",
            f"/provider/bookings/{requested_id}",
            f"/provider/bookings/{agreed}",
            f"/provider/bookings/{agreed}/cancel",
        ],
        ADMIN_EMAIL: ["/admin/bookings/", f"/admin/bookings/{disputed_id}"],
    }
    overflowing = []
    for email, urls in pages.items():
        log_in(page, email)
        for url in urls:
            response = page.goto(url)
            assert response is not None and response.status == 200, url
            if scrolls_sideways(page, width):
                overflowing.append((url, wider_than_the_screen(page)))
            name = re.sub(r"\W+", "-", url).strip("-") or "home"
            page.screenshot(path=str(tmp_path / f"{name}-{width}.png"), full_page=True)
        log_out(page)
    assert overflowing == []
