"""Deep pages say where they sit: home, their parent list, then themselves (not a link)."""

from __future__ import annotations

import html
import re

from flask import Flask
from flask.testing import FlaskClient

from marketplace.extensions import db
from tests.billing_scenario import Scenario
from tests.factories import login


def breadcrumb(page: str) -> list[tuple[str, str | None]]:
    """The steps of the page's breadcrumb as (text, link or None for the current page)."""
    nav = re.search(r'<nav class="breadcrumb" aria-label="Vous êtes ici">(.*?)</nav>', page, re.S)
    assert nav is not None, "no breadcrumb"
    steps = []
    for item in re.findall(r"<li>(.*?)</li>", nav[1], re.S):
        link = re.search(r'<a href="([^"]+)">(.*?)</a>', item, re.S)
        current = re.search(r'<span aria-current="page">(.*?)</span>', item, re.S)
        if link:
            steps.append((html.unescape(link[2]).strip(), link[1]))
        else:
            assert current is not None
            steps.append((html.unescape(current[1]).strip(), None))
    return steps


def test_each_audience_sees_where_a_deep_page_sits(app: Flask) -> None:
    with app.app_context():
        s = Scenario(db.session())
        db.session.commit()
        offer_id, title = s.booking.offer_id, s.booking.offer.title
        provider_id, provider_name = s.booking.provider_id, s.expert.provider.name
        booking_id, reference = s.booking.id, s.booking.reference
        invoice_id, number = s.invoice.id, s.invoice.number
        company, expert = s.company.email, s.expert.email
    public = app.test_client()
    assert breadcrumb(public.get(f"/offers/{offer_id}").text) == [
        ("Accueil", "/"),
        ("Offres", "/search"),
        (title, None),
    ]
    assert breadcrumb(public.get(f"/providers/{provider_id}").text)[1:] == [
        ("Prestataires", "/providers"),
        (provider_name, None),
    ]

    client: FlaskClient = app.test_client()
    assert login(client, company).status_code == 302
    assert breadcrumb(client.get(f"/bookings/{booking_id}").text)[1:] == [
        ("Mes demandes", "/bookings/"),
        (reference, None),
    ]
    assert breadcrumb(client.get(f"/invoices/{invoice_id}").text)[1:] == [
        ("Factures", "/invoices/"),
        (number, None),
    ]
    provider = app.test_client()
    assert login(provider, expert).status_code == 302
    assert breadcrumb(provider.get(f"/provider/bookings/{booking_id}").text)[1:] == [
        ("Demandes reçues", "/provider/bookings/"),
        (reference, None),
    ]
