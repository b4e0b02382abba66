"""The ledger API: admins read the journal, the trial balance and the FEC; nobody else does.
Every answer is also checked against the schema the OpenAPI document gives it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from marketplace.billing.fec import FEC_ENCODING
from marketplace.billing.invoices import issue_credit_note, issue_invoice
from marketplace.billing.ledger import trial_balance
from marketplace.billing.ledger_models import JournalEntry, JournalLine
from marketplace.extensions import db
from marketplace.identifiers import make_siren
from tests.bookkeeping import assert_fec_balances, parse_fec
from tests.factories import (
    admin_user,
    bearer_for,
    company_user,
    programme,
    provider_user,
    published_offer,
)
from tests.functional.test_api_openapi import openapi
from tests.functional.test_api_response_schemas import Api
from tests.invoicing import confirmed_booking

TODAY = date.today()
SIREN = make_siren(654_321)
ENTRIES = "/api/v1/ledger/entries"
BALANCE = "/api/v1/ledger/trial-balance"
FEC = "/api/v1/ledger/fec"


@dataclass
class World:
    admin: dict[str, str]
    company: dict[str, str]
    provider: dict[str, str]
    company_id: int
    provider_id: int
    programme_id: int


@pytest.fixture
def world(app: Flask) -> World:
    """Two subsidised invoices, the first cancelled by a credit note: three sales entries."""
    with app.app_context():
        admin = admin_user(db.session)
        expert = provider_user(db.session)
        company = company_user(db.session, department="33")
        aid = programme(db.session, admin, budget_cents=10**9)
        offer = published_offer(db.session, expert, admin)
        invoices = [
            issue_invoice(
                db.session,
                expert,
                confirmed_booking(db.session, company, expert, offer, TODAY),
                TODAY,
            )
            for _ in range(2)
        ]
        issue_credit_note(db.session, expert, invoices[0], "Erreur de quantité", TODAY)
        assert company.company and expert.provider
        world = World(
            bearer_for(admin),
            bearer_for(company),
            bearer_for(expert),
            company.company.id,
            expert.provider.id,
            aid.id,
        )
        db.session.commit()
        return world


@pytest.fixture
def api(client: FlaskClient) -> Api:
    return Api(client, openapi(client))


def test_only_admins_read_the_books(api: Api, world: World) -> None:
    """Can a company or a provider read the journal, the balance or the FEC? (403; 401 with
    no credentials, whatever the query holds.)"""
    for path, query in (
        (ENTRIES, {"journal": "XX"}),
        (ENTRIES + "/{entry_id}", None),
        (BALANCE, None),
        (FEC, {"year": TODAY.year}),
    ):
        api.call("GET", path, 401, query=query, entry_id=1)
        for headers in (world.company, world.provider):
            api.call("GET", path, 403, headers=headers, query=query, entry_id=1)


def test_the_journal_is_paginated_newest_first_and_filtered(
    api: Api, world: World, app: Flask
) -> None:
    with app.app_context():
        ids = list(
            db.session.scalars(
                select(JournalEntry.id).order_by(
                    JournalEntry.entry_date.desc(), JournalEntry.id.desc()
                )
            )
        )
    listed = api.call("GET", ENTRIES, 200, headers=world.admin)
    assert [item["id"] for item in listed["items"]] == ids and len(ids) == 3
    assert listed["pagination"] == {"page": 1, "page_size": 20, "total": 3, "pages": 1}
    first = api.call("GET", ENTRIES, 200, headers=world.admin, query={"page_size": 2})
    second = api.call("GET", ENTRIES, 200, headers=world.admin, query={"page_size": 2, "page": 2})
    assert [item["id"] for item in first["items"] + second["items"]] == ids
    entry = listed["items"][0]
    assert entry["journal_code"] == "VT" and entry["journal_name"] == "Ventes"
    assert sum(line["debit_cents"] for line in entry["lines"]) == entry["total_cents"]
    assert sum(line["credit_cents"] for line in entry["lines"]) == entry["total_cents"]
    parties = {
        (line["account"], line["third_party_kind"], line["third_party_id"])
        for line in entry["lines"]
    }
    assert ("411", "company", world.company_id) in parties
    assert ("467", "provider", world.provider_id) in parties
    assert ("4687", "programme", world.programme_id) in parties

    def found(**query: object) -> list[int]:
        body = api.call("GET", ENTRIES, 200, headers=world.admin, query=query)
        return [item["id"] for item in body["items"]]

    assert found(journal="VT", account="467", start=TODAY, until=TODAY) == ids
    assert found(journal="BQ") == found(account="512") == []
    assert found(start=TODAY + timedelta(1)) == found(until=TODAY - timedelta(1)) == []
    assert found(start=TODAY, until=TODAY - timedelta(1)) == []  # an empty range, not a 422
    assert found(company_id=world.company_id) == found(provider_id=world.provider_id) == ids
    assert found(company_id=world.company_id + 1000) == []
    for query in (
        {"journal": "XX"},
        {"account": "999"},
        {"start": "2026-02-30"},
        {"page_size": 101},
        {"company_id": 0},
    ):
        api.call("GET", ENTRIES, 422, headers=world.admin, query=query)


def test_one_entry(api: Api, world: World) -> None:
    first = api.call("GET", ENTRIES, 200, headers=world.admin)["items"][0]
    one = api.call("GET", ENTRIES + "/{entry_id}", 200, headers=world.admin, entry_id=first["id"])
    assert one == first
    api.call("GET", ENTRIES + "/{entry_id}", 404, headers=world.admin, entry_id=first["id"] + 99)


def test_the_trial_balance_is_the_database_s(api: Api, world: World, app: Flask) -> None:
    body = api.call("GET", BALANCE, 200, headers=world.admin)
    with app.app_context():
        balance = trial_balance(db.session)
        debit = db.session.scalar(select(func.sum(JournalLine.debit_cents)))
    assert body["debit_cents"] == body["credit_cents"] == debit == balance.debit_cents
    assert body["balanced"] is True and body["unbalanced_entry_ids"] == [] and body["on"] is None
    assert [(a["account"], a["debit_cents"], a["credit_cents"]) for a in body["accounts"]] == [
        (a.account, a.debit_cents, a.credit_cents) for a in balance.accounts
    ]
    for account in body["accounts"]:
        if account["third_parties"]:
            assert (
                sum(p["balance_cents"] for p in account["third_parties"])
                == (account["balance_cents"])
            )
    by_account = {a["account"]: a["third_parties"] for a in body["accounts"]}
    assert [(p["kind"], p["id"]) for p in by_account["411"]] == [("company", world.company_id)]
    assert [(p["kind"], p["id"]) for p in by_account["467"]] == [("provider", world.provider_id)]
    earlier = api.call(
        "GET", BALANCE, 200, headers=world.admin, query={"on": str(TODAY - timedelta(1))}
    )
    assert earlier["accounts"] == [] and earlier["on"] == str(TODAY - timedelta(1))
    api.call("GET", BALANCE, 422, headers=world.admin, query={"on": "demain"})


def test_the_fec_of_a_year(
    api: Api, world: World, app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    api.call("GET", FEC, 409, headers=world.admin, query={"year": TODAY.year})  # no SIREN yet
    monkeypatch.setitem(app.config, "PLATFORM_SIREN", SIREN)
    response = api.client.get(FEC, headers=world.admin, query_string={"year": TODAY.year})
    assert response.status_code == 200 and response.mimetype == "text/plain"
    documented = api.document["paths"][FEC]["get"]["responses"]["200"]["content"]
    assert response.mimetype in documented
    assert response.headers["Content-Disposition"] == (
        f"attachment; filename={SIREN}FEC{TODAY.year}1231.txt"
    )
    rows = parse_fec(response.data.decode(FEC_ENCODING))
    assert_fec_balances(rows)
    with app.app_context():
        assert len(rows) == db.session.scalar(select(func.count()).select_from(JournalLine))
    other = api.client.get(FEC, headers=world.admin, query_string={"year": TODAY.year - 1})
    assert parse_fec(other.data.decode(FEC_ENCODING)) == []
    for query in ({}, {"year": 1999}, {"year": "deux"}):
        api.call("GET", FEC, 422, headers=world.admin, query=query)
