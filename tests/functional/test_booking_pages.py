"""Booking pages through HTTP: a company requests and accepts, its provider quotes and delivers,
an admin settles disputes; every form's refusals, foreign bookings, the de minimis ledger.

Outcomes are checked on the database and on elements' ids and values, not on wording.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from html.parser import HTMLParser
from io import BytesIO
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage
from werkzeug.test import stream_encode_multipart

from marketplace.accounts.models import User
from marketplace.billing.models import (
    AllocationStatus,
    DeclaredAid,
    SubsidyAllocation,
    SubsidyProgramme,
)
from marketplace.billing.money import format_euros
from marketplace.bookings.lifecycle import State
from marketplace.bookings.models import Booking, BookingEvidence
from marketplace.bookings.operations import (
    QuoteData,
    RequestData,
    TransitionInput,
    current_split,
    fire,
    request_booking,
)
from marketplace.catalog.models import Offer
from marketplace.extensions import db
from marketplace.mail import LogMailer, OutboundEmail
from tests.factories import (
    admin_user,
    company_user,
    login,
    programme,
    provider_user,
    published_offer,
)

PDF = b"%PDF-1.4 proof of delivery"
MAILER = LogMailer()
TODAY = date.today()


def euros(cents: int) -> str:
    return format_euros(cents, "fr")


class FormValues(HTMLParser):
    """The values a browser would submit from the form with this id, as they are pre-filled."""

    def __init__(self, form_id: str) -> None:
        super().__init__()
        self.form_id, self.inside, self.values = form_id, False, {}
        self._textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "form":
            self.inside = found.get("id") == self.form_id
        elif self.inside and tag == "input" and found.get("name"):
            if found.get("type") not in ("checkbox", "radio", "file") or "checked" in found:
                self.values[found["name"]] = found.get("value") or ""
        elif self.inside and tag == "textarea":
            self._textarea = found["name"]
            self.values[self._textarea] = ""

    def handle_data(self, data: str) -> None:
        if self._textarea:
            self.values[self._textarea] += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "textarea" and self._textarea:
            # Browsers drop the line break right after <textarea> (WTForms writes one).
            value = self.values[self._textarea]
            self.values[self._textarea] = value.removeprefix("\r\n").removeprefix("\n")
            self._textarea = None
        elif tag == "form":
            self.inside = False


def form_values(html: str, form_id: str) -> dict[str, str]:
    parser = FormValues(form_id)
    parser.feed(html)
    assert parser.values, f"no form #{form_id} on the page"
    return parser.values


def hidden_share(html: str) -> int:
    match = re.search(r'name="expected_company_share_cents"[^>]*value="(\d+)"', html)
    assert match, "no accept form"
    return int(match.group(1))


def in_memory_multipart(fields: dict[str, str | tuple[bytes, str]]) -> dict[str, object]:
    """A multipart body encoded in memory (files as (bytes, name)): the test client spools
    large ones to a temporary file it never closes (a ResourceWarning, an error here)."""
    parts = {
        name: FileStorage(BytesIO(value[0]), filename=value[1])
        if isinstance(value, tuple)
        else value
        for name, value in fields.items()
    }
    body, _length, boundary = stream_encode_multipart(parts, use_tempfile=False)
    return {
        "data": body.getvalue(),
        "content_type": f"multipart/form-data; boundary={boundary}",
    }


def field_has_error(html: str, field_id: str) -> bool:
    return f'id="{field_id}-error"' in html


@dataclass
class World:
    company: str
    company_id: int
    provider: str
    admin: str
    stranger_company: str
    stranger_provider: str
    offer_id: int  # 4,000 € excl. VAT, fixed price, 20 % VAT
    per_day_id: int  # 1,250.50 € excl. VAT per day
    programme_id: int  # 50 %, up to 2,500 € per booking, 3,000 € of budget


@pytest.fixture
def world(app: Flask) -> World:
    with app.app_context():
        admin = admin_user(db.session)
        expert = provider_user(db.session, name="Atelier Girondin")
        company = company_user(db.session, department="33", name="Cave Bordelaise")
        national = programme(db.session, admin, budget_cents=300_000, de_minimis=True)
        offer = published_offer(db.session, expert, admin)
        per_day = published_offer(
            db.session,
            expert,
            admin,
            title="Accompagnement CRM",
            pricing_unit="per_day",
            price_excl_vat_cents=125_050,
        )
        stranger_company = company_user(db.session, name="Autre Entreprise")
        stranger_provider = provider_user(db.session, name="Autre Atelier")
        db.session.commit()
        return World(
            company.email,
            company.company.id,
            expert.email,
            admin.email,
            stranger_company.email,
            stranger_provider.email,
            offer.id,
            per_day.id,
            national.id,
        )


def as_user(app: Flask, email: str) -> FlaskClient:
    client = app.test_client()
    assert login(client, email).status_code == 302
    return client


def user(email: str) -> User:
    return db.session.scalars(select(User).where(User.email == email)).one()


def booking_row(app: Flask, booking_id: int) -> Booking:
    with app.app_context():
        booking = db.session.get(Booking, booking_id)
        assert booking is not None
        db.session.expunge(booking)
        return booking


def make_booking(app: Flask, world: World, until: State, offer_id: int | None = None) -> int:
    """A booking of the world's company moved by the services up to `until`."""
    with app.app_context():
        company, expert = user(world.company), user(world.provider)
        offer = db.session.get(Offer, offer_id or world.offer_id)
        booking = request_booking(db.session, company, offer, RequestData(), MAILER, TODAY)
        steps = [
            (State.QUOTED, expert, "propose_quote", TransitionInput(quote=QuoteData(quantity=1))),
            (State.AGREED, company, "accept", None),
            (State.DELIVERED, expert, "mark_delivered", TransitionInput(delivery_note="Livré")),
            (State.DISPUTED, company, "dispute", TransitionInput(reason="Rien en ligne")),
        ]
        for state, actor, name, given in steps:
            if booking.state == until:
                break
            if name == "accept":
                split = current_split(db.session, booking, TODAY)
                given = TransitionInput(expected_company_share_cents=split.company_share_cents)
            fire(db.session, actor, booking, name, MAILER, TODAY, given)
            assert booking.state == state
        db.session.commit()
        return booking.id


def allocations(app: Flask) -> list[tuple[int, AllocationStatus]]:
    with app.app_context():
        return [
            (a.amount_cents, a.status)
            for a in db.session.scalars(select(SubsidyAllocation).order_by(SubsidyAllocation.id))
        ]


def remaining_budget(app: Flask, world: World) -> int | None:
    with app.app_context():
        return db.session.get(SubsidyProgramme, world.programme_id).remaining_budget_cents


# --- The whole lifecycle --------------------------------------------------------------------


def test_request_quote_accept_deliver_confirm_through_the_pages(app: Flask, world: World) -> None:
    """Can a company and its provider take a booking from request to confirmation by hand?"""
    company = as_user(app, world.company)

    page = company.get(f"/offers/{world.offer_id}/request")
    assert page.status_code == 200
    assert euros(200_000) in page.text  # 50 % of 4,000 € excl. VAT
    you_pay = re.search(r'id="split-you-pay">([^<]+)<', page.text)
    assert you_pay and you_pay.group(1) == euros(280_000)  # 4,800 € incl. VAT − 2,000 €

    sent = company.post(
        f"/offers/{world.offer_id}/request",
        data={"wished_start": (TODAY + timedelta(days=10)).isoformat(), "message": "En mars ?"},
    )
    assert sent.status_code == 302
    booking_id = int(sent.headers["Location"].rstrip("/").rsplit("/", 1)[1])
    assert booking_row(app, booking_id).state == State.REQUESTED
    mine = company.get("/bookings/")
    assert f'data-booking="{booking_id}"' in mine.text

    provider = as_user(app, world.provider)
    received = provider.get("/provider/bookings/")
    assert f'data-booking="{booking_id}"' in received.text
    detail = provider.get(f"/provider/bookings/{booking_id}")
    quote = form_values(detail.text, "quote-form")
    assert quote["unit_price"] == "4000,00" and quote["quantity"] == "1"
    assert quote["start"] == (TODAY + timedelta(days=10)).isoformat()
    assert provider.post(f"/provider/bookings/{booking_id}/quote", data=quote).status_code == 302
    assert booking_row(app, booking_id).state == State.QUOTED

    shown = company.get(f"/bookings/{booking_id}")
    assert hidden_share(shown.text) == 280_000
    accepted = company.post(
        f"/bookings/{booking_id}/accept", data={"expected_company_share_cents": "280000"}
    )
    assert accepted.status_code == 302
    agreed = booking_row(app, booking_id)
    assert agreed.state == State.AGREED and agreed.agreement["split"]["subsidies_cents"] == 200_000
    assert allocations(app) == [(200_000, AllocationStatus.RESERVED)]
    assert remaining_budget(app, world) == 100_000
    assert 'id="agreement"' in company.get(f"/bookings/{booking_id}").text

    delivered = provider.post(
        f"/provider/bookings/{booking_id}/delivered",
        data={"delivery_note": "Site en ligne", "evidence": [(BytesIO(PDF), "recette.pdf")]},
        content_type="multipart/form-data",
    )
    assert delivered.status_code == 302
    with app.app_context():
        (evidence,) = db.session.scalars(select(BookingEvidence)).all()
        evidence_id = evidence.id
    page = company.get(f"/bookings/{booking_id}")
    assert f"/bookings/{booking_id}/evidence/{evidence_id}" in page.text
    download = company.get(f"/bookings/{booking_id}/evidence/{evidence_id}")
    assert download.status_code == 200 and download.data == PDF
    assert download.headers["Content-Disposition"].startswith("attachment")
    assert "recette.pdf" in download.headers["Content-Disposition"]
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    assert download.mimetype == "application/pdf"
    download.close()

    assert company.post(f"/bookings/{booking_id}/confirm").status_code == 302
    assert booking_row(app, booking_id).state == State.CONFIRMED
    page = company.get(f"/bookings/{booking_id}").text
    history = page[page.index('id="history"') :].split("</section>", 1)[0]
    assert history.count("<li>") == 5  # the request and four transitions, timestamped
    with app.app_context():
        events = [e.transition for e in db.session.get(Booking, booking_id).events]
    assert events == ["request", "propose_quote", "accept", "mark_delivered", "confirm"]


def test_a_provider_following_a_mail_link_lands_on_its_own_page(app: Flask, world: World) -> None:
    booking_id = make_booking(app, world, State.REQUESTED)
    provider = as_user(app, world.provider)
    response = provider.get(f"/bookings/{booking_id}")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/provider/bookings/{booking_id}")
    admin = as_user(app, world.admin)
    assert (
        admin.get(f"/bookings/{booking_id}")
        .headers["Location"]
        .endswith(f"/admin/bookings/{booking_id}")
    )


# --- The request form -----------------------------------------------------------------------


def test_the_request_form_refuses_bad_dates_in_place(app: Flask, world: World) -> None:
    company = as_user(app, world.company)
    url = f"/offers/{world.offer_id}/request"
    backwards = company.post(
        url,
        data={
            "wished_start": (TODAY + timedelta(days=9)).isoformat(),
            "wished_end": (TODAY + timedelta(days=2)).isoformat(),
        },
    )
    assert backwards.status_code == 422 and field_has_error(backwards.text, "wished_end")
    past = company.post(url, data={"wished_start": (TODAY - timedelta(days=1)).isoformat()})
    assert past.status_code == 422 and field_has_error(past.text, "wished_start")
    junk = company.post(url, data={"wished_start": "demain"})
    assert junk.status_code == 422 and field_has_error(junk.text, "wished_start")
    with app.app_context():
        assert db.session.scalar(select(func.count(Booking.id))) == 0


def test_per_unit_offers_ask_a_quantity_and_show_its_split(app: Flask, world: World) -> None:
    company = as_user(app, world.company)
    url = f"/offers/{world.per_day_id}/request"
    assert 'name="quantity"' in company.get(url).text
    zero = company.post(url, data={"quantity": "0"})
    assert zero.status_code == 422 and field_has_error(zero.text, "quantity")
    preview = company.post(url, data={"quantity": "3", "action": "preview"})
    assert preview.status_code == 200
    assert euros(375_150) in preview.text  # 3 × 1,250.50 € excl. VAT
    with app.app_context():
        assert db.session.scalar(select(func.count(Booking.id))) == 0  # a preview sends nothing
    sent = company.post(url, data={"quantity": "3", "action": "send"})
    assert sent.status_code == 302
    with app.app_context():
        assert db.session.scalars(select(Booking.quantity)).one() == 3


def test_a_fixed_price_offer_is_requested_for_one(app: Flask, world: World) -> None:
    company = as_user(app, world.company)
    page = company.get(f"/offers/{world.offer_id}/request")
    assert 'name="quantity"' not in page.text
    assert (
        company.post(f"/offers/{world.offer_id}/request", data={"quantity": "5"}).status_code == 302
    )
    with app.app_context():
        assert db.session.scalars(select(Booking.quantity)).one() == 1


def test_the_offer_page_links_companies_to_the_request_form(app: Flask, world: World) -> None:
    link = f'href="/offers/{world.offer_id}/request"'
    assert link in as_user(app, world.company).get(f"/offers/{world.offer_id}").text
    assert link not in as_user(app, world.provider).get(f"/offers/{world.offer_id}").text
    assert link not in app.test_client().get(f"/offers/{world.offer_id}").text


def test_only_companies_request_and_only_visible_offers(app: Flask, world: World) -> None:
    provider = as_user(app, world.provider)
    assert provider.get(f"/offers/{world.offer_id}/request").status_code == 403
    company = as_user(app, world.company)
    assert company.get("/offers/999999/request").status_code == 404
    anonymous = app.test_client()
    assert anonymous.get(f"/offers/{world.offer_id}/request").status_code == 302  # to log in


# --- Foreign bookings -----------------------------------------------------------------------


def test_someone_elses_booking_and_its_evidence_are_not_found(app: Flask, world: World) -> None:
    """Can another company or provider see, act on or download from a booking? (No: 404.)"""
    booking_id = make_booking(app, world, State.AGREED)
    provider = as_user(app, world.provider)
    provider.post(
        f"/provider/bookings/{booking_id}/delivered",
        data={"delivery_note": "Fait", "evidence": [(BytesIO(PDF), "pv.pdf")]},
        content_type="multipart/form-data",
    )
    with app.app_context():
        evidence_id = db.session.scalars(select(BookingEvidence.id)).one()
    evidence_url = f"/bookings/{booking_id}/evidence/{evidence_id}"

    stranger = as_user(app, world.stranger_company)
    assert stranger.get(f"/bookings/{booking_id}").status_code == 404
    assert stranger.get(evidence_url).status_code == 404
    assert stranger.post(f"/bookings/{booking_id}/confirm").status_code == 404
    assert stranger.post(f"/bookings/{booking_id}/messages", data={"body": "Hé"}).status_code == 404
    assert stranger.get(f"/bookings/{booking_id}/cancel").status_code == 404

    other_provider = as_user(app, world.stranger_provider)
    assert other_provider.get(f"/provider/bookings/{booking_id}").status_code == 404
    assert other_provider.get(evidence_url).status_code == 404
    quote = {"quantity": "1", "unit_price": "1,00"}
    assert (
        other_provider.post(f"/provider/bookings/{booking_id}/quote", data=quote).status_code == 404
    )

    own = as_user(app, world.company)
    assert own.get(f"/bookings/{booking_id}/evidence/{evidence_id + 1}").status_code == 404
    response = provider.get(evidence_url)
    assert response.status_code == 200  # the provider may read its own evidence
    response.close()
    assert booking_row(app, booking_id).state == State.DELIVERED


def test_each_audience_keeps_to_its_own_pages(app: Flask, world: World) -> None:
    provider = as_user(app, world.provider)
    assert provider.get("/bookings/").status_code == 403
    assert provider.get("/de-minimis").status_code == 403
    company = as_user(app, world.company)
    assert company.get("/provider/bookings/").status_code == 403
    assert company.get("/admin/bookings/").status_code == 403


# --- Acceptance when the split moved --------------------------------------------------------


def test_a_moved_split_is_shown_anew_and_accepted_only_then(app: Flask, world: World) -> None:
    """Another company took most of the budget meanwhile: the page says so and shows the rest."""
    booking_id = make_booking(app, world, State.QUOTED)
    company = as_user(app, world.company)
    seen = hidden_share(company.get(f"/bookings/{booking_id}").text)
    assert seen == 280_000
    with app.app_context():  # another company accepts first: 2,000 € of the 3,000 € are gone
        rival = company_user(db.session, department="69")
        offer = db.session.get(Booking, booking_id).offer
        other = request_booking(db.session, rival, offer, RequestData(), MAILER, TODAY)
        given = TransitionInput(quote=QuoteData(quantity=1))
        fire(db.session, user(world.provider), other, "propose_quote", MAILER, TODAY, given)
        split = current_split(db.session, other, TODAY)
        accept = TransitionInput(expected_company_share_cents=split.company_share_cents)
        fire(db.session, rival, other, "accept", MAILER, TODAY, accept)
        db.session.commit()

    refused = company.post(
        f"/bookings/{booking_id}/accept", data={"expected_company_share_cents": str(seen)}
    )
    assert refused.status_code == 409
    assert 'id="split-changed"' in refused.text
    assert hidden_share(refused.text) == 380_000  # only 1,000 € of budget left
    assert euros(100_000) in refused.text
    assert booking_row(app, booking_id).state == State.QUOTED

    accepted = company.post(
        f"/bookings/{booking_id}/accept", data={"expected_company_share_cents": "380000"}
    )
    assert accepted.status_code == 302
    assert booking_row(app, booking_id).state == State.AGREED
    assert remaining_budget(app, world) == 0


def test_an_accept_without_the_shown_split_changes_nothing(app: Flask, world: World) -> None:
    booking_id = make_booking(app, world, State.QUOTED)
    company = as_user(app, world.company)
    response = company.post(f"/bookings/{booking_id}/accept", data={})
    assert response.status_code == 302
    assert booking_row(app, booking_id).state == State.QUOTED
    assert allocations(app) == []


# --- The provider's quote form --------------------------------------------------------------


def test_the_prefilled_quote_form_goes_through_unchanged(app: Flask, world: World) -> None:
    """A decimal price pre-filled in French ("1250,50") must come back as the same cents."""
    booking_id = make_booking(app, world, State.REQUESTED, offer_id=world.per_day_id)
    provider = as_user(app, world.provider)
    url = f"/provider/bookings/{booking_id}"
    first = form_values(provider.get(url).text, "quote-form")
    assert first["unit_price"] == "1250,50"
    assert provider.post(f"{url}/quote", data=first).status_code == 302
    quoted = booking_row(app, booking_id)
    assert (quoted.state, quoted.quote_unit_price_cents, quoted.quote_quantity) == (
        State.QUOTED,
        125_050,
        1,
    )

    revised = {**form_values(provider.get(url).text, "quote-form"), "quantity": "4"}
    revised["note"] = "Quatre jours,\nsur site."
    assert provider.post(f"{url}/quote", data=revised).status_code == 302
    again = form_values(provider.get(url).text, "quote-form")  # the revision, pre-filled
    assert again["quantity"] == "4" and again["note"] == "Quatre jours,\nsur site."
    assert provider.post(f"{url}/quote", data=again).status_code == 302
    final = booking_row(app, booking_id)
    assert (final.quote_unit_price_cents, final.quote_quantity) == (125_050, 4)
    assert final.quote_note == "Quatre jours,\nsur site."


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"unit_price": "beaucoup"}, "unit_price"),
        ({"unit_price": "-5"}, "unit_price"),
        ({"unit_price": "10,005"}, "unit_price"),
        ({"unit_price": "99999999999999999999"}, "unit_price"),
        ({"quantity": "2"}, "quantity"),  # a fixed price is for one
        ({"quantity": ""}, "quantity"),
        ({"start": "2030-05-10", "end": "2030-05-01"}, "end"),
    ],
)
def test_the_quote_form_shows_each_refusal_in_place(
    app: Flask, world: World, changes: dict[str, str], field: str
) -> None:
    booking_id = make_booking(app, world, State.REQUESTED)
    provider = as_user(app, world.provider)
    data = {**form_values(provider.get(f"/provider/bookings/{booking_id}").text, "quote-form")}
    data.update(changes)
    response = provider.post(f"/provider/bookings/{booking_id}/quote", data=data)
    assert response.status_code == 422
    assert field_has_error(response.text, field)
    assert booking_row(app, booking_id).state == State.REQUESTED


def test_declining_needs_a_reason_the_company_then_reads(app: Flask, world: World) -> None:
    booking_id = make_booking(app, world, State.REQUESTED)
    provider = as_user(app, world.provider)
    empty = provider.post(f"/provider/bookings/{booking_id}/decline", data={"reason": " "})
    assert empty.status_code == 422 and field_has_error(empty.text, "reason")
    done = provider.post(
        f"/provider/bookings/{booking_id}/decline", data={"reason": "Complet jusqu'en juin"}
    )
    assert done.status_code == 302
    assert booking_row(app, booking_id).state == State.DECLINED
    page = as_user(app, world.company).get(f"/bookings/{booking_id}")
    assert "Complet jusqu&#39;en juin" in page.text


# --- Delivery -------------------------------------------------------------------------------


def stored_files(app: Flask) -> list[Path]:
    root = app.extensions["evidence_store"].root
    return sorted(root.glob("*")) if root.exists() else []


def test_refused_evidence_files_are_named_and_nothing_is_saved(app: Flask, world: World) -> None:
    booking_id = make_booking(app, world, State.AGREED)
    provider = as_user(app, world.provider)
    before = stored_files(app)
    url = f"/provider/bookings/{booking_id}/delivered"
    mixed = provider.post(
        url,
        data={
            "delivery_note": "Site livré",
            "evidence": [(BytesIO(PDF), "pv.pdf"), (BytesIO(b"MZ\x90\x00"), "outil.exe")],
        },
        content_type="multipart/form-data",
    )
    assert mixed.status_code == 422
    error = re.search(r'id="evidence-error">(.*?)</ul>', mixed.text, re.S)
    assert error and "outil.exe" in error.group(1) and "pv.pdf" not in error.group(1)
    assert form_values(mixed.text, "delivery-form")["delivery_note"] == "Site livré"  # kept
    too_many = provider.post(
        url,
        data={"evidence": [(BytesIO(PDF), f"pv{i}.pdf") for i in range(6)]},
        content_type="multipart/form-data",
    )
    assert too_many.status_code == 422 and field_has_error(too_many.text, "evidence")
    nothing = provider.post(url, data={"delivery_note": ""}, content_type="multipart/form-data")
    assert nothing.status_code == 422 and field_has_error(nothing.text, "delivery_note")

    assert stored_files(app) == before
    with app.app_context():
        assert db.session.scalars(select(BookingEvidence)).all() == []
    assert booking_row(app, booking_id).state == State.AGREED


def test_evidence_may_exceed_the_global_body_limit_on_the_delivery_route_only(
    app: Flask, world: World
) -> None:
    """Delivery takes files of several MB; every other page keeps the 1 MiB limit."""
    booking_id = make_booking(app, world, State.AGREED)
    provider = as_user(app, world.provider)
    big = PDF + b"0" * (3 * 1024 * 1024)  # 3 MB, over MAX_CONTENT_LENGTH, under 5 MB per file
    message = provider.post(
        f"/provider/bookings/{booking_id}/messages",
        **in_memory_multipart({"body": "x", "evidence": (big, "gros.pdf")}),
    )
    assert message.status_code == 413
    delivered = provider.post(
        f"/provider/bookings/{booking_id}/delivered",
        **in_memory_multipart({"delivery_note": "Fait", "evidence": (big, "gros.pdf")}),
    )
    assert delivered.status_code == 302
    with app.app_context():
        assert db.session.scalars(select(BookingEvidence.size_bytes)).one() == len(big)


# --- Cancelling, disputes, settlement -------------------------------------------------------


def test_cancelling_a_request_asks_for_confirmation_only(app: Flask, world: World) -> None:
    booking_id = make_booking(app, world, State.REQUESTED)
    company = as_user(app, world.company)
    confirm = company.get(f"/bookings/{booking_id}/cancel")
    assert confirm.status_code == 200 and 'name="reason"' not in confirm.text
    assert booking_row(app, booking_id).state == State.REQUESTED
    assert company.post(f"/bookings/{booking_id}/cancel").status_code == 302
    assert booking_row(app, booking_id).state == State.CANCELLED
    gone = company.get(f"/bookings/{booking_id}/cancel")  # nothing left to cancel
    assert gone.status_code == 302


def test_cancelling_an_agreement_needs_a_reason_and_releases_the_subsidy(
    app: Flask, world: World
) -> None:
    booking_id = make_booking(app, world, State.AGREED)
    assert remaining_budget(app, world) == 100_000
    company = as_user(app, world.company)
    assert 'name="reason"' in company.get(f"/bookings/{booking_id}/cancel").text
    silent = company.post(f"/bookings/{booking_id}/cancel", data={"reason": ""})
    assert silent.status_code == 422 and field_has_error(silent.text, "reason")
    assert booking_row(app, booking_id).state == State.AGREED
    done = company.post(f"/bookings/{booking_id}/cancel", data={"reason": "Projet reporté"})
    assert done.status_code == 302
    assert booking_row(app, booking_id).state == State.CANCELLED
    assert allocations(app) == [(200_000, AllocationStatus.RELEASED)]
    assert remaining_budget(app, world) == 300_000


def test_the_provider_cancels_an_agreement_with_a_reason(app: Flask, world: World) -> None:
    requested = make_booking(app, world, State.REQUESTED)
    booking_id = make_booking(app, world, State.AGREED)
    provider = as_user(app, world.provider)
    assert provider.get(f"/provider/bookings/{requested}/cancel").status_code == 302  # not its call
    silent = provider.post(f"/provider/bookings/{booking_id}/cancel", data={"reason": ""})
    assert silent.status_code == 422 and field_has_error(silent.text, "reason")
    done = provider.post(f"/provider/bookings/{booking_id}/cancel", data={"reason": "Indisponible"})
    assert done.status_code == 302
    assert booking_row(app, booking_id).state == State.CANCELLED
    assert remaining_budget(app, world) == 300_000


def test_a_dispute_goes_to_the_admins_who_settle_it(app: Flask, world: World) -> None:
    booking_id = make_booking(app, world, State.DELIVERED)
    company = as_user(app, world.company)
    silent = company.post(f"/bookings/{booking_id}/dispute", data={"reason": ""})
    assert silent.status_code == 422 and field_has_error(silent.text, "reason")
    assert (
        company.post(
            f"/bookings/{booking_id}/dispute", data={"reason": "Le site n'est pas en ligne"}
        ).status_code
        == 302
    )
    assert booking_row(app, booking_id).state == State.DISPUTED

    admin = as_user(app, world.admin)
    assert f'data-booking="{booking_id}"' in admin.get("/admin/bookings/").text
    url = f"/admin/bookings/{booking_id}"
    assert 'id="settle-form"' in admin.get(url).text
    no_reason = admin.post(url, data={"outcome": "settle_for_company", "reason": ""})
    assert no_reason.status_code == 422 and field_has_error(no_reason.text, "reason")
    no_outcome = admin.post(url, data={"reason": "Vu les pièces"})
    assert no_outcome.status_code == 422
    settled = admin.post(url, data={"outcome": "settle_for_company", "reason": "Pas de preuve"})
    assert settled.status_code == 302
    assert booking_row(app, booking_id).state == State.CANCELLED
    assert remaining_budget(app, world) == 300_000
    assert f'data-booking="{booking_id}"' not in admin.get("/admin/bookings/").text


def test_an_admin_may_settle_for_the_provider(app: Flask, world: World) -> None:
    booking_id = make_booking(app, world, State.DISPUTED)
    admin = as_user(app, world.admin)
    settled = admin.post(
        f"/admin/bookings/{booking_id}",
        data={"outcome": "settle_for_provider", "reason": "Livraison conforme au devis"},
    )
    assert settled.status_code == 302
    assert booking_row(app, booking_id).state == State.CONFIRMED
    assert 'id="settle-form"' not in admin.get(f"/admin/bookings/{booking_id}").text


# --- Messages -------------------------------------------------------------------------------


def test_messages_go_both_ways_and_empty_ones_are_refused(app: Flask, world: World) -> None:
    booking_id = make_booking(app, world, State.REQUESTED)
    company = as_user(app, world.company)
    empty = company.post(f"/bookings/{booking_id}/messages", data={"body": "  "})
    assert empty.status_code == 422 and field_has_error(empty.text, "body")
    sent = company.post(f"/bookings/{booking_id}/messages", data={"body": "Un devis en mars ?"})
    assert sent.status_code == 302
    provider = as_user(app, world.provider)
    assert "Un devis en mars ?" in provider.get(f"/provider/bookings/{booking_id}").text
    reply = provider.post(f"/provider/bookings/{booking_id}/messages", data={"body": "Oui"})
    assert reply.status_code == 302
    with app.app_context():
        to_provider = db.session.scalars(
            select(OutboundEmail.body).where(OutboundEmail.recipient == world.provider)
        ).all()
    assert any("Un devis en mars ?" in body for body in to_provider)


# --- Dashboards -----------------------------------------------------------------------------


def test_dashboards_filter_by_state_paginate_and_say_who_is_awaited(
    app: Flask, world: World
) -> None:
    quoted = make_booking(app, world, State.QUOTED)
    with app.app_context():
        company, offer_id = user(world.company), world.offer_id
        offer = db.session.get(Offer, offer_id)
        for _ in range(20):
            request_booking(db.session, company, offer, RequestData(), MAILER, TODAY)
        db.session.commit()
    provider = as_user(app, world.provider)
    first = provider.get("/provider/bookings/")
    assert first.text.count("data-booking=") == 20 and "page=2" in first.text
    second = provider.get("/provider/bookings/?page=2")
    assert second.text.count("data-booking=") == 1
    only_quoted = provider.get("/provider/bookings/?state=quoted")
    assert re.findall(r'data-booking="(\d+)"', only_quoted.text) == [str(quoted)]
    assert provider.get("/provider/bookings/?state=nonsense&page=abc").status_code == 200

    company_page = as_user(app, world.company).get("/bookings/?state=quoted")
    row = company_page.text[company_page.text.index(f'data-booking="{quoted}"') :]
    waiting = re.search(r'class="booking-waiting">([^<]+)<', row)
    provider_row = only_quoted.text[only_quoted.text.index(f'data-booking="{quoted}"') :]
    theirs = re.search(r'class="booking-waiting">([^<]+)<', provider_row)
    assert waiting and theirs and waiting.group(1) != theirs.group(1)  # "your turn" vs awaited


def test_empty_dashboards_say_what_to_do(app: Flask, world: World) -> None:
    assert 'class="empty-state"' in as_user(app, world.company).get("/bookings/").text
    assert 'class="empty-state"' in as_user(app, world.provider).get("/provider/bookings/").text
    assert 'class="empty-state"' in as_user(app, world.admin).get("/admin/bookings/").text


# --- Mes aides de minimis -------------------------------------------------------------------


def test_the_ledger_counts_platform_aid_and_declarations(app: Flask, world: World) -> None:
    company = as_user(app, world.company)
    fresh = company.get("/de-minimis")
    assert fresh.status_code == 200
    assert re.search(r'id="ledger-headroom"><strong>([^<]+)<', fresh.text).group(1) == euros(
        300_000_00
    )

    make_booking(app, world, State.AGREED)  # the programme is de minimis: 2,000 € granted
    page = company.get("/de-minimis")
    assert re.search(r'id="ledger-total">([^<]+)<', page.text).group(1) == euros(200_000)

    declared = company.post(
        "/de-minimis",
        data={
            "granted_on": (TODAY - timedelta(days=40)).isoformat(),
            "amount": "12 500,00",
            "funder": "Région Nouvelle-Aquitaine",
        },
    )
    assert declared.status_code == 302
    page = company.get("/de-minimis")
    assert re.search(r'id="ledger-total">([^<]+)<', page.text).group(1) == euros(1_450_000)
    assert re.search(r'id="ledger-headroom"><strong>([^<]+)<', page.text).group(1) == euros(
        300_000_00 - 1_450_000
    )
    with app.app_context():
        aid_id = db.session.scalars(select(DeclaredAid.id)).one()

    assert (
        as_user(app, world.stranger_company).get(f"/de-minimis/{aid_id}/withdraw").status_code
        == 404
    )
    confirm = company.get(f"/de-minimis/{aid_id}/withdraw")
    assert confirm.status_code == 200
    with app.app_context():
        assert db.session.get(DeclaredAid, aid_id) is not None  # a GET only asks
    assert company.post(f"/de-minimis/{aid_id}/withdraw").status_code == 302
    page = company.get("/de-minimis")
    assert re.search(r'id="ledger-total">([^<]+)<', page.text).group(1) == euros(200_000)


@pytest.mark.parametrize(
    ("data", "fields"),
    [
        ({"granted_on": "", "amount": "", "funder": ""}, {"granted_on", "amount", "funder"}),
        ({"granted_on": "2999-01-01", "amount": "100", "funder": "Bpifrance"}, {"granted_on"}),
        ({"granted_on": "2024-01-01", "amount": "0", "funder": "Bpifrance"}, {"amount"}),
        ({"granted_on": "2024-01-01", "amount": "12,345", "funder": "Bpifrance"}, {"amount"}),
        ({"granted_on": "2024-01-01", "amount": "100", "funder": "B"}, {"funder"}),
    ],
)
def test_a_refused_declaration_is_shown_in_place(
    app: Flask, world: World, data: dict[str, str], fields: set[str]
) -> None:
    response = as_user(app, world.company).post("/de-minimis", data=data)
    assert response.status_code == 422
    assert {f for f in ("granted_on", "amount", "funder") if field_has_error(response.text, f)} == (
        fields
    )
    with app.app_context():
        assert db.session.scalars(select(DeclaredAid)).all() == []
