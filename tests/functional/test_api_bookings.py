"""The bookings API: the lifecycle over HTTP, refusals that change nothing, the ledger."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from marketplace.billing.models import SubsidyAllocation, SubsidyProgramme
from marketplace.bookings.models import Booking
from marketplace.extensions import db
from tests.factories import (
    admin_user,
    bearer_for,
    company_user,
    programme,
    provider_user,
    published_offer,
)


@dataclass
class Parties:
    company: dict[str, str]
    provider: dict[str, str]
    admin: dict[str, str]
    stranger: dict[str, str]
    offer_id: int
    day_offer_id: int
    programme_id: int


@pytest.fixture
def parties(app: Flask) -> Parties:
    with app.app_context():
        session = db.session
        admin = admin_user(session)
        expert = provider_user(session)
        offer = published_offer(session, expert, admin)  # 4,000 € excl. VAT
        per_day = published_offer(
            session,
            expert,
            admin,
            title="Accompagnement SEO",
            pricing_unit="per_day",
            price_excl_vat_cents=50_000,
        )
        scheme = programme(session, admin, budget_cents=300_000)
        result = Parties(
            company=bearer_for(company_user(session, department="33")),
            provider=bearer_for(expert),
            admin=bearer_for(admin),
            stranger=bearer_for(company_user(session)),
            offer_id=offer.id,
            day_offer_id=per_day.id,
            programme_id=scheme.id,
        )
        session.commit()
        return result


def allocated(app: Flask, programme_id: int) -> int:
    with app.app_context():
        return db.session.get(SubsidyProgramme, programme_id).allocated_cents


def counts(app: Flask) -> tuple[int, int]:
    with app.app_context():
        return (
            db.session.scalar(select(func.count()).select_from(Booking)),
            db.session.scalar(select(func.count()).select_from(SubsidyAllocation)),
        )


def test_the_whole_lifecycle_over_the_api(app: Flask, client: FlaskClient, parties: Parties):
    asked = client.post(
        "/api/v1/bookings",
        json={"offer_id": parties.offer_id, "message": "Pour le printemps"},
        headers=parties.company,
    )
    assert asked.status_code == 201, asked.get_json()
    booking = asked.get_json()
    assert booking["state"] == "requested" and booking["waiting_for"] == "provider"
    assert booking["allowed_transitions"] == ["cancel"]
    url = f"/api/v1/bookings/{booking['id']}"

    seen = client.get(url, headers=parties.provider).get_json()
    assert seen["allowed_transitions"] == ["propose_quote", "decline"]
    quoted = client.post(f"{url}/propose_quote", json={"quantity": 1}, headers=parties.provider)
    assert quoted.status_code == 200, quoted.get_json()
    assert quoted.get_json()["quote"]["unit_price_cents"] == 400_000

    mine = client.get(url, headers=parties.company).get_json()
    split = mine["current_split"]
    assert split["incl_vat_cents"] == 480_000 and split["subsidies_cents"] == 200_000
    assert split["company_share_cents"] == 280_000
    assert split["lines"][0]["explanation_fr"].startswith("Pris en charge par Chèque numérique")

    accepted = client.post(
        f"{url}/accept", json={"expected_company_share_cents": 280_000}, headers=parties.company
    )
    assert accepted.status_code == 200, accepted.get_json()
    assert accepted.get_json()["state"] == "agreed"
    assert accepted.get_json()["agreement"]["split"]["subsidies_cents"] == 200_000
    assert allocated(app, parties.programme_id) == 200_000

    ledger = client.get("/api/v1/me/de-minimis", headers=parties.company).get_json()
    assert ledger["total_cents"] == 0  # the test programme is not de minimis

    delivered = client.post(
        f"{url}/mark_delivered", json={"delivery_note": "Site en ligne"}, headers=parties.provider
    )
    assert delivered.status_code == 200
    confirmed = client.post(f"{url}/confirm", headers=parties.company)
    assert confirmed.status_code == 200 and confirmed.get_json()["state"] == "confirmed"
    history = [e["transition"] for e in confirmed.get_json()["events"]]
    assert history == ["request", "propose_quote", "accept", "mark_delivered", "confirm"]

    listed = client.get("/api/v1/bookings?state=confirmed", headers=parties.provider).get_json()
    assert [b["id"] for b in listed["items"]] == [booking["id"]]
    assert client.get("/api/v1/bookings", headers=parties.stranger).get_json()["items"] == []


def test_refusals_change_nothing(app: Flask, client: FlaskClient, parties: Parties) -> None:
    booking = client.post(
        "/api/v1/bookings", json={"offer_id": parties.offer_id}, headers=parties.company
    ).get_json()
    url = f"/api/v1/bookings/{booking['id']}"
    before = counts(app)

    foreign = client.get(url, headers=parties.stranger)
    assert foreign.status_code == 404
    assert client.post(f"{url}/cancel", json={}, headers=parties.stranger).status_code == 404

    skipped = client.post(f"{url}/confirm", headers=parties.company)
    assert skipped.status_code == 409
    assert skipped.get_json()["allowed"] == ["cancel"]

    bad = client.post(f"{url}/propose_quote", json={"quantity": 0}, headers=parties.provider)
    assert bad.status_code == 422
    no_reason = client.post(f"{url}/decline", json={"reason": ""}, headers=parties.provider)
    assert no_reason.status_code == 422

    fixed = client.post(
        "/api/v1/bookings",
        json={"offer_id": parties.offer_id, "quantity": 3},
        headers=parties.company,
    )
    assert fixed.status_code == 422 and "quantity" in fixed.get_json()["errors"]["json"]
    past = client.post(
        "/api/v1/bookings",
        json={"offer_id": parties.offer_id, "wished_start": "2000-01-01"},
        headers=parties.company,
    )
    assert past.status_code == 422
    by_provider = client.post(
        "/api/v1/bookings", json={"offer_id": parties.offer_id}, headers=parties.provider
    )
    assert by_provider.status_code == 403
    assert counts(app) == before
    assert client.get(url, headers=parties.company).get_json()["state"] == "requested"


def test_accepting_a_stale_split_answers_with_the_new_one(
    app: Flask, client: FlaskClient, parties: Parties
) -> None:
    days = client.post(
        "/api/v1/bookings",
        json={"offer_id": parties.day_offer_id, "quantity": 8},
        headers=parties.company,
    ).get_json()
    url = f"/api/v1/bookings/{days['id']}"
    client.post(f"{url}/propose_quote", json={"quantity": 8}, headers=parties.provider)
    seen = client.get(url, headers=parties.company).get_json()["current_split"]
    assert seen["excl_vat_cents"] == 400_000 and seen["subsidies_cents"] == 200_000
    with app.app_context():  # another company takes 2,000 € of the 3,000 € budget meanwhile
        scheme = db.session.get(SubsidyProgramme, parties.programme_id)
        scheme.allocated_cents = 200_000
        db.session.commit()

    stale = client.post(
        f"{url}/accept",
        json={"expected_company_share_cents": seen["company_share_cents"]},
        headers=parties.company,
    )
    assert stale.status_code == 409
    new = stale.get_json()["split"]
    assert new["subsidies_cents"] == 100_000 and new["company_share_cents"] == 380_000
    assert counts(app)[1] == 0 and allocated(app, parties.programme_id) == 200_000

    taken = client.post(
        f"{url}/accept",
        json={"expected_company_share_cents": new["company_share_cents"]},
        headers=parties.company,
    )
    assert taken.status_code == 200 and allocated(app, parties.programme_id) == 300_000

    cancelled = client.post(
        f"{url}/cancel", json={"reason": "Projet reporté"}, headers=parties.company
    )
    assert cancelled.status_code == 200 and cancelled.get_json()["state"] == "cancelled"
    assert allocated(app, parties.programme_id) == 200_000


def test_messages_between_the_parties(client: FlaskClient, parties: Parties) -> None:
    booking = client.post(
        "/api/v1/bookings", json={"offer_id": parties.offer_id}, headers=parties.company
    ).get_json()
    url = f"/api/v1/bookings/{booking['id']}/messages"
    sent = client.post(url, json={"body": "Quand pouvez-vous commencer ?"}, headers=parties.company)
    assert sent.status_code == 201 and sent.get_json()["party"] == "company"
    client.post(url, json={"body": "Dès lundi."}, headers=parties.provider)
    thread = client.get(url, headers=parties.provider).get_json()["items"]
    assert [(m["party"], m["body"]) for m in thread] == [
        ("company", "Quand pouvez-vous commencer ?"),
        ("provider", "Dès lundi."),
    ]
    assert client.get(url, headers=parties.stranger).status_code == 404
    assert client.post(url, json={"body": ""}, headers=parties.company).status_code == 422


def test_declared_aid_in_the_ledger(client: FlaskClient, parties: Parties) -> None:
    granted = (date.today() - timedelta(days=100)).isoformat()
    declared = client.post(
        "/api/v1/me/de-minimis/declarations",
        json={"granted_on": granted, "amount_cents": 5_000_000, "funder": "Bpifrance"},
        headers=parties.company,
    )
    assert declared.status_code == 201, declared.get_json()
    ledger = client.get("/api/v1/me/de-minimis", headers=parties.company).get_json()
    assert ledger["total_cents"] == 5_000_000
    assert ledger["headroom_cents"] == 30_000_000 - 5_000_000
    future = client.post(
        "/api/v1/me/de-minimis/declarations",
        json={"granted_on": "2999-01-01", "amount_cents": 1, "funder": "Bpifrance"},
        headers=parties.company,
    )
    assert future.status_code == 422
    aid_id = declared.get_json()["id"]
    foreign = client.delete(
        f"/api/v1/me/de-minimis/declarations/{aid_id}", headers=parties.stranger
    )
    assert foreign.status_code == 404
    gone = client.delete(f"/api/v1/me/de-minimis/declarations/{aid_id}", headers=parties.company)
    assert gone.status_code == 204
    assert (
        client.get("/api/v1/me/de-minimis", headers=parties.company).get_json()["total_cents"] == 0
    )
    assert client.get("/api/v1/me/de-minimis", headers=parties.provider).status_code == 403
