"""The API of an invoice's money and its subsidy claims: who may read and decide, what is owed
after each step, and refusals that change nothing."""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from marketplace.bookings.lifecycle import State
from marketplace.bookings.models import Booking
from marketplace.extensions import db
from tests.billing_scenario import TODAY, Scenario
from tests.factories import bearer_for, provider_user


def world(app: Flask) -> dict[str, Any]:
    """An invoice of 1,440 € incl. VAT: the company owes 600 €, two programmes 840 €."""
    with app.app_context():
        s = Scenario(db.session())
        other = provider_user(db.session(), name="Autre Atelier")
        found = {
            "invoice": s.invoice.id,
            "booking": s.booking.id,
            "issued_on": s.invoice.issue_date.isoformat(),
            "admin": bearer_for(s.admin),
            "expert": bearer_for(s.expert),
            "company": bearer_for(s.company),
            "other": bearer_for(other),
        }
        db.session.commit()
        return found


def test_the_provider_records_transfers_and_everyone_sees_what_is_due(
    app: Flask, client: FlaskClient
) -> None:
    w = world(app)
    url = f"/api/v1/invoices/{w['invoice']}/payments"
    before = client.get(url, headers=w["company"])
    assert before.status_code == 200
    body = before.get_json()
    assert (body["owed_cents"], body["due_cents"], body["status"]) == (600_00, 600_00, "unpaid")
    assert body["bank_details"]["reference"] and body["card_payment_offered"] is False

    transfer = {"amount_cents": 250_00, "received_on": w["issued_on"], "payer_reference": "VIR"}
    assert client.post(url, json=transfer, headers=w["company"]).status_code == 403
    assert client.post(url, json=transfer, headers=w["other"]).status_code == 404
    done = client.post(url, json=transfer, headers=w["expert"])
    assert done.status_code == 201 and done.get_json()["status"] == "succeeded"

    too_much = client.post(
        url, json={"amount_cents": 400_00, "received_on": w["issued_on"]}, headers=w["expert"]
    )
    # What the current state refuses is a 409, per field, naming what is due.
    assert too_much.status_code == 409
    assert "350,00" in str(too_much.get_json()["errors"]["json"]["amount_cents"])
    for bad in (
        {"amount_cents": 0, "received_on": w["issued_on"]},
        {"amount_cents": 10**16, "received_on": w["issued_on"]},
        {"amount_cents": "100", "received_on": w["issued_on"]},
        {"amount_cents": 100, "received_on": w["issued_on"], "extra": 1},
        {"amount_cents": 100, "received_on": w["issued_on"], "payer_reference": "a\u202eb"},
    ):
        assert client.post(url, json=bad, headers=w["expert"]).status_code == 422, bad
    after = client.get(url, headers=w["expert"]).get_json()
    assert (after["paid_cents"], after["due_cents"]) == (250_00, 350_00)
    assert [p["amount_cents"] for p in after["payments"]] == [250_00]


def _pay_share(client: FlaskClient, w: dict[str, Any]) -> list[dict[str, Any]]:
    url = f"/api/v1/invoices/{w['invoice']}/payments"
    paid = {"amount_cents": 600_00, "received_on": w["issued_on"]}
    assert client.post(url, json=paid, headers=w["expert"]).status_code == 201
    listed = client.get("/api/v1/claims", headers=w["admin"])
    assert listed.status_code == 200
    return listed.get_json()["items"]


def test_claims_open_with_the_paid_share_and_only_admins_decide(
    app: Flask, client: FlaskClient
) -> None:
    w = world(app)
    assert client.get("/api/v1/claims", headers=w["admin"]).get_json()["items"] == []
    claims = _pay_share(client, w)
    assert sorted(c["amount_cents"] for c in claims) == [240_00, 600_00]
    assert {c["status"] for c in claims} == {"submitted"}
    kinds = {e["kind"] for e in claims[0]["evidence"]}
    assert kinds == {"agreement", "delivery", "invoice", "payment"}

    assert client.get("/api/v1/claims", headers=w["company"]).status_code == 403
    assert len(client.get("/api/v1/claims", headers=w["expert"]).get_json()["items"]) == 2
    assert client.get("/api/v1/claims", headers=w["other"]).get_json()["items"] == []
    first = claims[0]["id"]
    assert client.get(f"/api/v1/claims/{first}", headers=w["other"]).status_code == 404
    assert client.post(f"/api/v1/claims/{first}/approve", headers=w["expert"]).status_code == 403

    for claim in claims:
        approved = client.post(f"/api/v1/claims/{claim['id']}/approve", headers=w["admin"])
        assert approved.status_code == 200 and approved.get_json()["status"] == "approved"
    assert client.post(f"/api/v1/claims/{first}/approve", headers=w["admin"]).status_code == 409
    filtered = client.get("/api/v1/claims?status=submitted", headers=w["admin"]).get_json()
    assert filtered["items"] == []

    future = TODAY.replace(year=TODAY.year + 1).isoformat()
    late = client.post(
        f"/api/v1/claims/{first}/pay",
        json={"paid_on": future, "funder_reference": "VIR-1"},
        headers=w["admin"],
    )
    assert late.status_code == 409 and "paid_on" in late.get_json()["errors"]["json"]
    for claim in claims:
        paid = client.post(
            f"/api/v1/claims/{claim['id']}/pay",
            json={"paid_on": TODAY.isoformat(), "funder_reference": f"VIR-{claim['id']}"},
            headers=w["admin"],
        )
        assert paid.status_code == 200 and paid.get_json()["paid_on"] == TODAY.isoformat()
    with app.app_context():
        booking = db.session.get(Booking, w["booking"])
        assert booking is not None and booking.state == State.CLOSED


def test_a_refused_claim_falls_back_to_the_company(app: Flask, client: FlaskClient) -> None:
    w = world(app)
    claims = _pay_share(client, w)
    regional = next(c for c in claims if c["amount_cents"] == 240_00)
    url = f"/api/v1/claims/{regional['id']}/reject"
    assert client.post(url, json={"reason": "Non."}, headers=w["admin"]).status_code == 422
    done = client.post(url, json={"reason": "Attestation URSSAF absente."}, headers=w["admin"])
    assert done.status_code == 200 and done.get_json()["status"] == "rejected"
    again = client.post(url, json={"reason": "Attestation URSSAF absente."}, headers=w["admin"])
    assert again.status_code == 409
    owed = client.get(f"/api/v1/invoices/{w['invoice']}/payments", headers=w["company"])
    body = owed.get_json()
    assert (body["refused_subsidies_cents"], body["due_cents"]) == (240_00, 240_00)
    assert body["status"] == "partly_paid"
