"""Invoice pages through HTTP: the provider issues and cancels, the company reads what it owes,
admins see them all; downloads are PDFs for the parties only.

Outcomes are checked on the database, on ids and on headers, not on wording.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pytest
from facturx import get_xml_from_pdf
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from marketplace.accounts.models import User
from marketplace.billing.invoice_models import CreditNote, Invoice, InvoiceStatus
from marketplace.billing.invoices import issue_credit_note, issue_invoice
from marketplace.billing.money import format_euros
from marketplace.bookings.models import Booking
from marketplace.catalog.models import Offer
from marketplace.extensions import db
from tests.factories import (
    admin_user,
    company_user,
    login,
    programme,
    provider_user,
    published_offer,
)
from tests.invoicing import agreed_booking, confirmed_booking

TODAY = date.today()


@dataclass
class World:
    company: str
    provider: str
    admin: str
    stranger_company: str
    stranger_provider: str
    confirmed_id: int  # 4,000 € excl. VAT at 20 %, half of it excl. VAT subsidised
    agreed_id: int


def user(email: str) -> User:
    return db.session.scalars(select(User).where(User.email == email)).one()


@pytest.fixture
def world(app: Flask) -> World:
    with app.app_context():
        admin = admin_user(db.session)
        expert = provider_user(db.session, name="Atelier Girondin")
        company = company_user(db.session, department="33", name="Cave Bordelaise")
        programme(db.session, admin, budget_cents=10**9)
        offer = published_offer(db.session, expert, admin)
        confirmed = confirmed_booking(db.session, company, expert, offer, TODAY)
        agreed = agreed_booking(db.session, company, expert, offer, TODAY)
        stranger_company = company_user(db.session, name="Autre Entreprise")
        stranger_provider = provider_user(db.session, name="Autre Atelier")
        db.session.commit()
        return World(
            company.email,
            expert.email,
            admin.email,
            stranger_company.email,
            stranger_provider.email,
            confirmed.id,
            agreed.id,
        )


def as_user(app: Flask, email: str) -> FlaskClient:
    client = app.test_client()
    assert login(client, email).status_code == 302
    return client


def issued(app: Flask, world: World) -> int:
    """The confirmed booking's invoice, issued by the services."""
    with app.app_context():
        booking = db.session.get(Booking, world.confirmed_id)
        invoice = issue_invoice(db.session, user(world.provider), booking, TODAY)
        db.session.commit()
        return invoice.id


def test_the_provider_issues_the_invoice_after_a_confirmation_step(
    app: Flask, world: World
) -> None:
    provider = as_user(app, world.provider)
    page = provider.get(f"/provider/bookings/{world.confirmed_id}").get_data(as_text=True)
    assert 'id="issue-invoice"' in page
    confirm = provider.get(f"/provider/bookings/{world.confirmed_id}/invoice")
    assert confirm.status_code == 200 and 'id="confirm-issue"' in confirm.get_data(as_text=True)
    with app.app_context():  # the confirmation page issues nothing
        assert db.session.scalar(select(Invoice)) is None

    done = provider.post(f"/provider/bookings/{world.confirmed_id}/invoice")
    with app.app_context():
        invoice = db.session.scalars(select(Invoice)).one()
        assert invoice.booking_id == world.confirmed_id and invoice.sequence == 1
        assert done.headers["Location"].endswith(f"/provider/invoices/{invoice.id}")
    again = provider.post(f"/provider/bookings/{world.confirmed_id}/invoice")
    assert again.headers["Location"].endswith(f"/provider/invoices/{invoice.id}")
    with app.app_context():
        assert len(db.session.scalars(select(Invoice)).all()) == 1


def test_a_booking_not_yet_confirmed_cannot_be_invoiced(app: Flask, world: World) -> None:
    provider = as_user(app, world.provider)
    page = provider.get(f"/provider/bookings/{world.agreed_id}").get_data(as_text=True)
    assert 'id="issue-invoice"' not in page
    refused = provider.post(f"/provider/bookings/{world.agreed_id}/invoice")
    assert refused.status_code == 302
    with app.app_context():
        assert db.session.scalar(select(Invoice)) is None


def test_the_invoice_page_shows_every_mention_and_the_split(app: Flask, world: World) -> None:
    invoice_id = issued(app, world)
    with app.app_context():
        invoice = db.session.get(Invoice, invoice_id)
        assert invoice is not None
        expected = [
            invoice.number,
            invoice.seller_siret,
            invoice.seller_siren,
            invoice.buyer_siren,
            invoice.payment_reference,
            format_euros(invoice.total_excl_vat_cents, "fr"),
            format_euros(invoice.total_incl_vat_cents, "fr"),
            format_euros(invoice.company_share_cents, "fr"),
            *(format_euros(s.amount_cents, "fr") for s in invoice.subsidies),
            *(s.programme_name for s in invoice.subsidies),
            *(m["text"].replace("'", "&#39;") for m in invoice.mentions),
        ]
        assert invoice.subsidies
    for email, url in (
        (world.provider, f"/provider/invoices/{invoice_id}"),
        (world.company, f"/invoices/{invoice_id}"),
        (world.admin, f"/admin/invoices/{invoice_id}"),
    ):
        page = as_user(app, email).get(url)
        assert page.status_code == 200, url
        html = page.get_data(as_text=True)
        missing = [text for text in expected if text not in html]
        assert missing == [], url


def test_lists_filter_by_status_and_say_when_empty(app: Flask, world: World) -> None:
    provider = as_user(app, world.provider)
    empty = provider.get("/provider/invoices/").get_data(as_text=True)
    assert "data-invoice=" not in empty and "empty-state" in empty
    invoice_id = issued(app, world)
    for url in ("/provider/invoices/", "/provider/invoices/?status=issued"):
        assert f'data-invoice="{invoice_id}"' in provider.get(url).get_data(as_text=True)
    cancelled = provider.get("/provider/invoices/?status=cancelled").get_data(as_text=True)
    assert "data-invoice=" not in cancelled
    admin = as_user(app, world.admin)
    with app.app_context():
        number = db.session.get(Invoice, invoice_id).number  # type: ignore[union-attr]
    for query in ("", f"?q={number}", "?q=Bordelaise", "?status=issued&q=Girondin"):
        html = admin.get(f"/admin/invoices/{query}").get_data(as_text=True)
        assert f'data-invoice="{invoice_id}"' in html, query
    assert "data-invoice=" not in admin.get("/admin/invoices/?q=personne").get_data(as_text=True)
    assert as_user(app, world.stranger_provider).get("/provider/invoices/").status_code == 200
    stranger = as_user(app, world.stranger_provider).get("/provider/invoices/")
    assert "data-invoice=" not in stranger.get_data(as_text=True)


def test_the_company_sees_what_it_still_owes(app: Flask, world: World) -> None:
    company = as_user(app, world.company)
    assert format_euros(0, "fr") in company.get("/invoices/").get_data(as_text=True)
    invoice_id = issued(app, world)
    with app.app_context():
        share = db.session.get(Invoice, invoice_id).company_share_cents  # type: ignore[union-attr]
    html = company.get("/invoices/").get_data(as_text=True)
    assert f'data-invoice="{invoice_id}"' in html
    assert f'<strong id="owed-total">{format_euros(share, "fr")}</strong>' in html
    provider = as_user(app, world.provider)
    provider.post(f"/provider/invoices/{invoice_id}/credit-note", data={"reason": "Erreur"})
    html = company.get("/invoices/").get_data(as_text=True)
    assert f'<strong id="owed-total">{format_euros(0, "fr")}</strong>' in html


def test_a_credit_note_needs_a_confirmation_and_a_reason(app: Flask, world: World) -> None:
    invoice_id = issued(app, world)
    provider = as_user(app, world.provider)
    form = provider.get(f"/provider/invoices/{invoice_id}/credit-note")
    assert form.status_code == 200 and 'id="confirm-credit-note"' in form.get_data(as_text=True)
    refused = provider.post(f"/provider/invoices/{invoice_id}/credit-note", data={"reason": ""})
    assert refused.status_code == 422 and 'id="reason-error"' in refused.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(CreditNote)) is None

    done = provider.post(
        f"/provider/invoices/{invoice_id}/credit-note", data={"reason": "Prestation annulée"}
    )
    assert done.headers["Location"].endswith(f"/provider/invoices/{invoice_id}")
    with app.app_context():
        note = db.session.scalars(select(CreditNote)).one()
        assert note.invoice_id == invoice_id and note.reason == "Prestation annulée"
        invoice = db.session.get(Invoice, invoice_id)
        assert invoice is not None and invoice.status == InvoiceStatus.CANCELLED
        note_id = note.id
    page = provider.get(f"/provider/invoices/{invoice_id}").get_data(as_text=True)
    assert 'id="credit-note-pdf"' in page and 'id="credit-note-link"' not in page
    again = provider.post(f"/provider/invoices/{invoice_id}/credit-note", data={"reason": "Bis"})
    assert again.status_code == 302
    with app.app_context():
        assert len(db.session.scalars(select(CreditNote)).all()) == 1
    pdf = as_user(app, world.company).get(f"/credit-notes/{note_id}/pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")


def test_an_admin_may_cancel_an_invoice_too(app: Flask, world: World) -> None:
    invoice_id = issued(app, world)
    admin = as_user(app, world.admin)
    assert admin.get(f"/admin/invoices/{invoice_id}/credit-note").status_code == 200
    admin.post(f"/admin/invoices/{invoice_id}/credit-note", data={"reason": "Litige réglé"})
    with app.app_context():
        assert db.session.scalars(select(CreditNote)).one().invoice_id == invoice_id


def test_downloads_are_pdfs_named_after_the_document(app: Flask, world: World) -> None:
    invoice_id = issued(app, world)
    with app.app_context():
        invoice = db.session.get(Invoice, invoice_id)
        assert invoice is not None
        number, reference = invoice.number, invoice.booking_reference
    for email in (world.company, world.provider, world.admin):
        response = as_user(app, email).get(f"/invoices/{invoice_id}/pdf")
        assert response.status_code == 200
        assert response.headers["Content-Type"] == "application/pdf"
        assert response.headers["Content-Disposition"] == f"attachment; filename={number}.pdf"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.data.startswith(b"%PDF")
        _name, xml = get_xml_from_pdf(response.data, check_xsd=False)
        assert number.encode() in xml
    agreement = as_user(app, world.company).get(f"/bookings/{world.confirmed_id}/agreement.pdf")
    assert agreement.status_code == 200 and agreement.data.startswith(b"%PDF")
    assert agreement.headers["Content-Disposition"] == (
        f"attachment; filename=accord-{reference}.pdf"
    )
    page = as_user(app, world.company).get(f"/bookings/{world.confirmed_id}")
    assert 'id="agreement-pdf"' in page.get_data(as_text=True)


def test_foreign_invoices_and_downloads_are_not_found(app: Flask, world: World) -> None:
    invoice_id = issued(app, world)
    with app.app_context():
        invoice = db.session.get(Invoice, invoice_id)
        assert invoice is not None
        note = issue_credit_note(db.session, user(world.provider), invoice, "Erreur", TODAY)
        db.session.commit()
        note_id = note.id
    for email in (world.stranger_company, world.stranger_provider):
        client = as_user(app, email)
        for url in (
            f"/invoices/{invoice_id}",
            f"/invoices/{invoice_id}/pdf",
            f"/bookings/{world.confirmed_id}/agreement.pdf",
            f"/credit-notes/{note_id}/pdf",
            "/credit-notes/999/pdf",
        ):
            assert client.get(url, follow_redirects=True).status_code == 404, (email, url)
    stranger = as_user(app, world.stranger_provider)
    assert stranger.get(f"/provider/invoices/{invoice_id}").status_code == 404
    assert stranger.post(f"/provider/bookings/{world.confirmed_id}/invoice").status_code == 404
    assert stranger.get(f"/provider/invoices/{invoice_id}/credit-note").status_code == 404
    assert app.test_client().get(f"/invoices/{invoice_id}/pdf").status_code == 302  # to log in
    # Each audience's pages are its own
    assert as_user(app, world.company).get("/provider/invoices/").status_code == 403
    assert as_user(app, world.provider).get("/admin/invoices/").status_code == 403


def test_the_provider_chooses_automatic_invoicing(app: Flask, world: World) -> None:
    provider = as_user(app, world.provider)
    assert 'id="invoice-settings"' in provider.get("/provider/invoices/").get_data(as_text=True)
    provider.post("/provider/invoices/settings", data={"auto_invoice": "y"})
    with app.app_context():
        assert user(world.provider).provider.auto_invoice is True  # type: ignore[union-attr]
        company, expert = user(world.company), user(world.provider)
        offer = db.session.scalars(select(Offer)).first()
        assert offer is not None
        booking = confirmed_booking(db.session, company, expert, offer, TODAY)
        db.session.commit()
        assert db.session.scalar(select(Invoice).where(Invoice.booking_id == booking.id))
    provider.post("/provider/invoices/settings", data={})
    with app.app_context():
        assert user(world.provider).provider.auto_invoice is False  # type: ignore[union-attr]


def test_lists_are_paginated(app: Flask, world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("marketplace.blueprints.invoice_pages.PER_PAGE", 1)
    first = issued(app, world)
    with app.app_context():
        booking = confirmed_booking(
            db.session,
            user(world.company),
            user(world.provider),
            db.session.scalars(select(Offer)).one(),
            TODAY,
        )
        second = issue_invoice(db.session, user(world.provider), booking, TODAY).id
        db.session.commit()
    for email, url in (
        (world.provider, "/provider/invoices/"),
        (world.company, "/invoices/"),
        (world.admin, "/admin/invoices/"),
    ):
        client = as_user(app, email)
        top = client.get(url).get_data(as_text=True)
        assert f'data-invoice="{second}"' in top and f'data-invoice="{first}"' not in top
        assert 'rel="next"' in top
        last = client.get(url + "?page=2").get_data(as_text=True)
        assert f'data-invoice="{first}"' in last and 'rel="prev"' in last


def test_a_free_session_offers_no_invoice(app: Flask, world: World) -> None:
    with app.app_context():
        offer = db.session.scalars(select(Offer)).one()
        free = confirmed_booking(
            db.session, user(world.company), user(world.provider), offer, TODAY, unit_price_cents=0
        )
        db.session.commit()
        free_id = free.id
    provider = as_user(app, world.provider)
    assert 'id="issue-invoice"' not in provider.get(f"/provider/bookings/{free_id}").get_data(
        as_text=True
    )
    provider.post(f"/provider/bookings/{free_id}/invoice")  # refused with the reason
    with app.app_context():
        assert db.session.scalar(select(Invoice)) is None
