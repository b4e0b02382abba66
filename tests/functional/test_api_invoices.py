"""The invoice API: providers issue and cancel, every party reads and downloads, strangers
find nothing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pytest
from facturx import get_xml_from_pdf
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from marketplace.billing.invoice_models import CreditNote, Invoice, InvoiceStatus
from marketplace.extensions import db
from tests.factories import (
    admin_user,
    bearer_for,
    company_user,
    programme,
    provider_user,
    published_offer,
)
from tests.invoicing import agreed_booking, confirmed_booking

TODAY = date.today()


@dataclass
class World:
    company: dict[str, str]
    provider: dict[str, str]
    admin: dict[str, str]
    stranger_company: dict[str, str]
    stranger_provider: dict[str, str]
    confirmed_ids: list[int]
    agreed_id: int
    free_id: int


@pytest.fixture
def world(app: Flask) -> World:
    with app.app_context():
        admin = admin_user(db.session)
        expert = provider_user(db.session)
        company = company_user(db.session, department="33")
        programme(db.session, admin, budget_cents=10**9)
        offer = published_offer(db.session, expert, admin)
        confirmed = [confirmed_booking(db.session, company, expert, offer, TODAY).id for _ in "ab"]
        agreed = agreed_booking(db.session, company, expert, offer, TODAY).id
        free = confirmed_booking(db.session, company, expert, offer, TODAY, unit_price_cents=0)
        world = World(
            bearer_for(company),
            bearer_for(expert),
            bearer_for(admin),
            bearer_for(company_user(db.session, name="Autre")),
            bearer_for(provider_user(db.session, name="Autre Atelier")),
            confirmed,
            agreed,
            free.id,
        )
        db.session.commit()
        return world


def issue(client: FlaskClient, world: World, booking_id: int) -> dict:
    response = client.post(
        "/api/v1/invoices", headers=world.provider, json={"booking_id": booking_id}
    )
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def test_the_provider_issues_once_and_only_a_confirmed_booking(
    client: FlaskClient, world: World
) -> None:
    invoice = issue(client, world, world.confirmed_ids[0])
    assert invoice["number"].startswith(f"F-{TODAY.year}-") and invoice["status"] == "issued"
    assert invoice["automatic"] is False
    assert (
        invoice["company_share_cents"] + invoice["subsidies_cents"]
        == (invoice["total_incl_vat_cents"])
    )
    for booking_id in (world.confirmed_ids[0], world.agreed_id, world.free_id):
        again = client.post(
            "/api/v1/invoices", headers=world.provider, json={"booking_id": booking_id}
        )
        assert again.status_code == 409, booking_id
    for headers, status in (
        (world.company, 403),
        (world.admin, 403),
        (world.stranger_provider, 404),
    ):
        refused = client.post(
            "/api/v1/invoices", headers=headers, json={"booking_id": world.confirmed_ids[1]}
        )
        assert refused.status_code == status
    assert client.post("/api/v1/invoices", json={"booking_id": 1}).status_code == 401


def test_lists_are_own_paginated_and_filtered(client: FlaskClient, world: World) -> None:
    first = issue(client, world, world.confirmed_ids[0])
    second = issue(client, world, world.confirmed_ids[1])
    client.post(
        f"/api/v1/invoices/{first['id']}/credit-notes",
        headers=world.provider,
        json={"reason": "Annulée"},
    )
    for headers in (world.company, world.provider, world.admin):
        listed = client.get("/api/v1/invoices", headers=headers).get_json()
        assert [i["id"] for i in listed["items"]] == [second["id"], first["id"]]
    page = client.get("/api/v1/invoices?page_size=1&page=2", headers=world.company).get_json()
    assert [i["id"] for i in page["items"]] == [first["id"]] and page["pagination"]["pages"] == 2
    for status, expected in (("issued", second), ("cancelled", first)):
        found = client.get(f"/api/v1/invoices?status={status}", headers=world.company).get_json()
        assert [i["id"] for i in found["items"]] == [expected["id"]]
    for headers in (world.stranger_company, world.stranger_provider):
        assert client.get("/api/v1/invoices", headers=headers).get_json()["items"] == []
    assert client.get("/api/v1/invoices?status=paid", headers=world.company).status_code == 422


def test_foreign_invoices_and_credit_notes_are_not_found(client: FlaskClient, world: World) -> None:
    invoice = issue(client, world, world.confirmed_ids[0])
    note = client.post(
        f"/api/v1/invoices/{invoice['id']}/credit-notes",
        headers=world.provider,
        json={"reason": "Annulée"},
    ).get_json()
    urls = (
        f"/api/v1/invoices/{invoice['id']}",
        f"/api/v1/invoices/{invoice['id']}/pdf",
        f"/api/v1/credit-notes/{note['id']}",
        f"/api/v1/credit-notes/{note['id']}/pdf",
    )
    for headers in (world.stranger_company, world.stranger_provider):
        for url in urls:
            assert client.get(url, headers=headers).status_code == 404, url
        cancel = client.post(
            f"/api/v1/invoices/{invoice['id']}/credit-notes",
            headers=headers,
            json={"reason": "Non"},
        )
        assert cancel.status_code == 404
    for headers in (world.company, world.provider, world.admin):
        for url in urls:
            assert client.get(url, headers=headers).status_code == 200, url


def test_downloads_are_the_pdfs_with_their_xml(client: FlaskClient, world: World) -> None:
    invoice = issue(client, world, world.confirmed_ids[0])
    response = client.get(f"/api/v1/invoices/{invoice['id']}/pdf", headers=world.company)
    assert response.headers["Content-Type"] == "application/pdf"
    assert response.headers["Content-Disposition"] == (
        f"attachment; filename={invoice['number']}.pdf"
    )
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    _name, xml = get_xml_from_pdf(response.data, check_xsd=False)
    assert invoice["number"].encode() in xml


def test_a_credit_note_cancels_the_invoice_once_with_a_reason(
    app: Flask, client: FlaskClient, world: World
) -> None:
    invoice = issue(client, world, world.confirmed_ids[0])
    url = f"/api/v1/invoices/{invoice['id']}/credit-notes"
    for body in ({}, {"reason": ""}, {"reason": "ab"}, {"reason": " padded "}):
        assert client.post(url, headers=world.provider, json=body).status_code == 422, body
    refused = client.post(url, headers=world.company, json={"reason": "Je refuse"})
    assert refused.status_code == 403
    note = client.post(url, headers=world.admin, json={"reason": "Litige réglé"})
    assert note.status_code == 201
    body = note.get_json()
    assert body["invoice_id"] == invoice["id"] and body["number"].startswith("A-")
    assert body["total_incl_vat_cents"] == invoice["total_incl_vat_cents"]
    assert client.post(url, headers=world.provider, json={"reason": "Bis"}).status_code == 409
    with app.app_context():
        assert db.session.get(Invoice, invoice["id"]).status == InvoiceStatus.CANCELLED  # type: ignore[union-attr]
        assert len(db.session.scalars(select(CreditNote)).all()) == 1
