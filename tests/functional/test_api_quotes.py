"""GET /api/v1/offers/{offer_id}/quote: the split the pages show, for a company its own, for
anyone else the best case, checked against the OpenAPI document."""

from __future__ import annotations

from datetime import date

import pytest
from flask import Flask
from flask.testing import FlaskClient

from marketplace.accounts.models import Company
from marketplace.billing.quotes import best_case, best_case_programmes, offer_split_facts, quote
from marketplace.billing.split import split_as_dict
from marketplace.billing.split_schemas import SplitSchema
from marketplace.catalog.models import Offer
from marketplace.catalog.operations import archive_offer
from marketplace.extensions import db
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

ONE = "/api/v1/offers/{offer_id}/quote"


@pytest.fixture
def world(app: Flask) -> dict[str, object]:
    """Two programmes (one capped per booking, one for AURA capped per company), a fixed-price
    website, a per-day offer, an archived offer; a Lyon company, a provider, an admin."""
    with app.app_context():
        admin = admin_user(db.session)
        programme(db.session, admin, code="france-num", name="France Num",
                  cap_per_booking_cents=150_000)  # fmt: skip
        programme(db.session, admin, code="pass-aura", name="Pass AURA", funder="region",
                  regions=["84"], rate_bp=3000, cap_per_booking_cents=None,
                  cap_per_company_cents=50_000, stacking_order=1)  # fmt: skip
        provider = provider_user(db.session)
        website = published_offer(db.session, provider, admin)
        daily = published_offer(db.session, provider, admin, title="Coaching à la journée",
                                pricing_unit="per_day", price_excl_vat_cents=80_000)  # fmt: skip
        gone = published_offer(db.session, provider, admin, title="Ancienne offre")
        archive_offer(db.session, provider, gone)
        company = company_user(db.session, department="69")
        headers = {
            "company": bearer_for(company),
            "provider": bearer_for(provider),
            "admin": bearer_for(admin),
            "anonymous": {},
        }
        db.session.commit()
        return {"website": website.id, "daily": daily.id, "gone": gone.id, **headers}


@pytest.fixture
def api(client: FlaskClient) -> Api:
    return Api(client, openapi(client))


def test_a_company_gets_its_own_split(api: Api, world: dict) -> None:
    body = api.call("GET", ONE, 200, headers=world["company"], offer_id=world["website"])
    assert (body["basis"], body["quantity"], body["pricing_unit"]) == ("company", 1, "fixed")
    split = body["split"]
    assert (split["excl_vat_cents"], split["vat_cents"], split["incl_vat_cents"]) == (
        400_000,
        80_000,
        480_000,
    )
    lines = {line["programme_code"]: line for line in split["lines"]}
    assert lines["france-num"]["amount_cents"] == 150_000
    assert lines["france-num"]["capped_by"] == "cap-per-booking"
    assert lines["pass-aura"]["amount_cents"] == 50_000
    assert lines["pass-aura"]["capped_by"] == "cap-per-company"
    assert "reste de droits" in lines["pass-aura"]["explanation_fr"]
    assert split["company_share_cents"] == 280_000
    assert body["covered_rate_bp"] == 5000


@pytest.mark.parametrize("who", ["anonymous", "provider", "admin"])
def test_anyone_else_gets_the_best_case(api: Api, world: dict, who: str) -> None:
    body = api.call("GET", ONE, 200, headers=world[who], offer_id=world["website"])
    assert body["basis"] == "best-case"
    # The best company is in AURA: 1,500 € + 30 % of 4,000 € capped at 500 € per company.
    assert body["split"]["subsidies_cents"] == 200_000
    assert body["covered_rate_bp"] == 5000
    lines = {line["programme_code"]: line for line in body["split"]["lines"]}
    assert lines["pass-aura"]["capped_by"] == "cap-per-company"
    assert lines["france-num"]["capped_by"] == "cap-per-booking"


def test_the_quantity_scales_a_per_unit_offer(api: Api, world: dict) -> None:
    body = api.call(
        "GET", ONE, 200, headers=world["company"], offer_id=world["daily"], query={"quantity": 3}
    )
    assert body["quantity"] == 3 and body["split"]["excl_vat_cents"] == 240_000
    assert body["split"]["subsidies_cents"] == 120_000 + 50_000
    assert body["split"]["company_share_cents"] == 288_000 - 170_000
    most = api.call("GET", ONE, 200, offer_id=world["daily"], query={"quantity": 999})
    assert most["split"]["excl_vat_cents"] == 80_000 * 999


@pytest.mark.parametrize("raw", ["0", "1000", "-1", "abc", "1.5", "", "9" * 30])
def test_a_bad_quantity_is_a_422(api: Api, world: dict, raw: str) -> None:
    body = api.call("GET", ONE, 422, offer_id=world["daily"], query={"quantity": raw})
    assert "quantity" in body["errors"]["query"]


def test_a_fixed_price_is_quoted_for_one_only(api: Api, world: dict) -> None:
    body = api.call("GET", ONE, 409, offer_id=world["website"], query={"quantity": 2})
    assert "1" in body["message"]
    api.call("GET", ONE, 200, offer_id=world["website"], query={"quantity": 1})


def test_an_invisible_offer_is_a_404(api: Api, world: dict) -> None:
    api.call("GET", ONE, 404, headers=world["provider"], offer_id=world["gone"])  # even its own
    api.call("GET", ONE, 404, offer_id=world["gone"] + 1000)


def test_the_bounds_are_stated_in_the_document(client: FlaskClient) -> None:
    operation = openapi(client)["paths"][ONE]["get"]
    (quantity,) = [p for p in operation["parameters"] if p["name"] == "quantity"]
    assert quantity["in"] == "query" and not quantity["required"]
    assert quantity["schema"] == {"type": "integer", "default": 1, "minimum": 1, "maximum": 999}
    assert {"200", "404", "409", "422"} <= set(operation["responses"])


def test_the_same_split_as_the_pages(app: Flask, client: FlaskClient, world: dict) -> None:
    """Is the body's split exactly `split_as_dict` of what `quote` (pages) and `best_case`
    compute?"""
    with app.app_context():
        offer = db.session.get(Offer, world["daily"])
        assert offer is not None
        company = db.session.scalars(db.select(Company)).one()
        own = quote(db.session, company, offer, date.today(), 2)
        programmes = best_case_programmes(db.session, date.today())
        best = best_case(offer_split_facts(offer), offer.vat_rate_bp, programmes, date.today(), 2)
        assert best.split is not None
        assert SplitSchema().dump(own) == split_as_dict(own)
        assert SplitSchema().dump(best.split) == split_as_dict(best.split)
        expected = {"company": split_as_dict(own), "anonymous": split_as_dict(best.split)}
    for who, split in expected.items():
        response = client.get(
            f"/api/v1/offers/{world['daily']}/quote?quantity=2", headers=world[who]
        )
        assert response.get_json()["split"] == split
