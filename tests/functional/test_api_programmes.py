"""The JSON API of subsidy programmes: anyone reads them, administrators write them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from marketplace.audit import AuditEvent
from marketplace.billing.models import SubsidyProgramme
from marketplace.extensions import db
from tests.factories import admin_user, bearer_for, company_user, provider_user
from tests.functional.test_api_openapi import openapi


@dataclass
class Callers:
    admin: dict[str, str]
    company: dict[str, str]
    provider: dict[str, str]


@pytest.fixture
def callers(app: Flask) -> Callers:
    with app.app_context():
        result = Callers(
            bearer_for(admin_user(db.session)),
            bearer_for(company_user(db.session)),
            bearer_for(provider_user(db.session)),
        )
        db.session.commit()
        return result


def body(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "funder": "region",
        "code": "nouvelle-aquitaine-numerique",
        "name": "Chèque numérique Nouvelle-Aquitaine",
        "description": "La Région complète l'aide nationale.",
        "regions": ["75"],
        "categories": ["online-presence", "ecommerce"],
        "size_bands": ["0-2", "3-9", "10-49"],
        "rate_bp": 3000,
        "cap_per_booking_cents": 300_000,
        "cap_per_company_cents": 600_000,
        "budget_cents": 800_000,
        "valid_from": "2026-01-01",
        "valid_to": "2026-12-31",
        "de_minimis": True,
        "stacking_order": 20,
        "max_aid_intensity_bp": 8000,
    }
    data.update(overrides)
    return data


def create(client: FlaskClient, headers: dict[str, str], **overrides: Any) -> dict[str, Any]:
    response = client.post("/api/v1/programmes", json=body(**overrides), headers=headers)
    assert response.status_code == 201, response.get_json()
    return response.get_json()  # type: ignore[no-any-return]


def counts(app: Flask) -> tuple[int, int]:
    """(programmes, programme audit events) in the database."""
    with app.app_context():
        programmes = db.session.scalar(select(func.count()).select_from(SubsidyProgramme))
        events = db.session.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.subject_type == "programme")
        )
        return programmes or 0, events or 0


def test_admin_creates_and_anyone_reads(app: Flask, client: FlaskClient, callers: Callers) -> None:
    created = create(client, callers.admin)
    assert created["code"] == "nouvelle-aquitaine-numerique" and created["funder"] == "region"
    assert created["rate_bp"] == 3000 and created["budget_cents"] == 800_000
    assert created["regions"] == ["75"] and created["size_bands"] == ["0-2", "3-9", "10-49"]
    assert created["valid_to"] == "2026-12-31" and created["de_minimis"] is True
    one = client.get("/api/v1/programmes/nouvelle-aquitaine-numerique")  # anonymous
    assert one.status_code == 200 and one.get_json() == created
    listed = client.get("/api/v1/programmes").get_json()
    assert [p["code"] for p in listed["items"]] == [created["code"]]
    assert listed["pagination"] == {"page": 1, "page_size": 20, "total": 1, "pages": 1}
    with app.app_context():
        event = db.session.scalars(select(AuditEvent).where(AuditEvent.action.like("programme.%")))
        [created_event] = event.all()
        assert (created_event.action, created_event.subject_id) == (
            "programme.created",
            created["id"],
        )
        assert created_event.data["code"] == created["code"]


def test_defaults_mean_every_region_and_no_cap(client: FlaskClient, callers: Callers) -> None:
    minimal = {"funder": "state", "code": "france-num", "name": "France Num", "rate_bp": 5000}
    response = client.post("/api/v1/programmes", json=minimal, headers=callers.admin)
    assert response.status_code == 201, response.get_json()
    created = response.get_json()
    assert created["regions"] == [] and created["categories"] == [] and created["size_bands"] == []
    assert created["cap_per_booking_cents"] is None and created["budget_cents"] is None
    assert created["valid_from"] is None and created["max_aid_intensity_bp"] is None
    assert created["de_minimis"] is False and created["stacking_order"] == 0


def test_list_filters_and_orders_by_stacking(client: FlaskClient, callers: Callers) -> None:
    create(client, callers.admin)  # Nouvelle-Aquitaine, order 20
    create(
        client,
        callers.admin,
        code="cheque-france-num",
        funder="state",
        regions=[],
        categories=[],
        stacking_order=10,
    )
    create(client, callers.admin, code="bretagne-numerique", regions=["53"], categories=["crm"])

    def codes(**query: str) -> list[str]:
        page = client.get("/api/v1/programmes", query_string=query).get_json()
        return [p["code"] for p in page["items"]]

    assert codes() == ["cheque-france-num", "bretagne-numerique", "nouvelle-aquitaine-numerique"]
    assert codes(region="75") == ["cheque-france-num", "nouvelle-aquitaine-numerique"]
    assert codes(category="crm") == ["cheque-france-num", "bretagne-numerique"]
    assert codes(funder="state") == ["cheque-france-num"]
    assert codes(page_size="1", page="2") == ["bretagne-numerique"]
    refused = client.get("/api/v1/programmes", query_string={"funder": "city"})
    assert refused.status_code == 422 and "funder" in refused.get_json()["errors"]["query"]


def test_admin_patches_some_fields_and_the_change_is_audited(
    app: Flask, client: FlaskClient, callers: Callers
) -> None:
    create(client, callers.admin)
    response = client.patch(
        "/api/v1/programmes/nouvelle-aquitaine-numerique",
        json={"budget_cents": 400_000, "valid_to": None, "code": "na-numerique"},
        headers=callers.admin,
    )
    assert response.status_code == 200, response.get_json()
    patched = response.get_json()
    assert patched["budget_cents"] == 400_000 and patched["valid_to"] is None
    assert patched["code"] == "na-numerique" and patched["rate_bp"] == 3000  # the rest kept
    assert client.get("/api/v1/programmes/nouvelle-aquitaine-numerique").status_code == 404
    assert client.get("/api/v1/programmes/na-numerique").get_json() == patched
    with app.app_context():
        event = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "programme.updated")
        ).one()
        assert event.data["changes"]["budget_cents"] == [800_000, 400_000]
        assert event.data["changes"]["valid_to"] == ["2026-12-31", None]


def test_a_taken_code_is_a_409_and_changes_nothing(
    app: Flask, client: FlaskClient, callers: Callers
) -> None:
    create(client, callers.admin)
    create(client, callers.admin, code="cheque-france-num", funder="state")
    before = counts(app)
    again = client.post("/api/v1/programmes", json=body(), headers=callers.admin)
    assert again.status_code == 409 and list(again.get_json()["errors"]["json"]) == ["code"]
    taken = client.patch(
        "/api/v1/programmes/cheque-france-num",
        json={"code": "nouvelle-aquitaine-numerique"},
        headers=callers.admin,
    )
    assert taken.status_code == 409
    assert counts(app) == before
    assert client.get("/api/v1/programmes/cheque-france-num").status_code == 200


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"rate_bp": 0}, "rate_bp"),
        ({"rate_bp": 10_001}, "rate_bp"),
        ({"rate_bp": "5000"}, "rate_bp"),
        ({"rate_bp": True}, "rate_bp"),
        ({"cap_per_booking_cents": -1}, "cap_per_booking_cents"),
        ({"budget_cents": 10**16}, "budget_cents"),
        ({"budget_cents": 12.5}, "budget_cents"),
        ({"max_aid_intensity_bp": 0}, "max_aid_intensity_bp"),
        ({"stacking_order": 10_000}, "stacking_order"),
        ({"code": "Nouvelle Aquitaine"}, "code"),
        ({"code": "na--numerique"}, "code"),
        ({"code": " na-numerique"}, "code"),
        ({"funder": "city"}, "funder"),
        ({"name": "ab"}, "name"),
        ({"regions": ["75", "99"]}, "regions"),
        ({"categories": ["astrology"]}, "categories"),
        ({"size_bands": ["250+"]}, "size_bands"),
        ({"de_minimis": 1}, "de_minimis"),
        ({"de_minimis": "yes"}, "de_minimis"),
        ({"valid_from": "01/01/2026"}, "valid_from"),
        ({"valid_to": "2025-12-31"}, "valid_to"),  # before valid_from: the service's rule
        ({"remaining_budget_cents": 0}, "remaining_budget_cents"),
    ],
)
def test_bad_input_is_a_422_field_by_field_and_stores_nothing(
    app: Flask, client: FlaskClient, callers: Callers, overrides: dict[str, Any], field: str
) -> None:
    response = client.post("/api/v1/programmes", json=body(**overrides), headers=callers.admin)
    assert response.status_code == 422
    assert field in response.get_json()["errors"]["json"]
    assert counts(app) == (0, 0)


def test_a_bad_patch_is_a_422_and_changes_nothing(
    app: Flask, client: FlaskClient, callers: Callers
) -> None:
    created = create(client, callers.admin)
    for change in ({"valid_from": "2027-01-01"}, {"rate_bp": 0}, {"name": None}):
        response = client.patch(
            "/api/v1/programmes/nouvelle-aquitaine-numerique", json=change, headers=callers.admin
        )
        assert response.status_code == 422, change
    assert client.get("/api/v1/programmes/nouvelle-aquitaine-numerique").get_json() == created
    assert counts(app) == (1, 1)


def test_unknown_or_malformed_codes_are_404(client: FlaskClient, callers: Callers) -> None:
    for code in ("inconnu", "Majuscules", "a--b", "x" * 41):
        assert client.get(f"/api/v1/programmes/{code}").status_code == 404, code
    missing = client.patch("/api/v1/programmes/inconnu", json={}, headers=callers.admin)
    assert missing.status_code == 404


@pytest.mark.parametrize("who", ["company", "provider"])
def test_only_admins_write(app: Flask, client: FlaskClient, callers: Callers, who: str) -> None:
    """Can a company or a provider create or change a programme? No: 403, nothing stored."""
    headers = getattr(callers, who)
    assert client.post("/api/v1/programmes", json=body(), headers=headers).status_code == 403
    create(client, callers.admin)
    response = client.patch(
        "/api/v1/programmes/nouvelle-aquitaine-numerique",
        json={"rate_bp": 10_000},
        headers=headers,
    )
    assert response.status_code == 403
    assert counts(app) == (1, 1)
    assert client.get("/api/v1/programmes", headers=headers).status_code == 200  # reading: yes


def test_anonymous_writes_are_401(app: Flask, client: FlaskClient, callers: Callers) -> None:
    # Who is calling is checked before what is sent: an empty body is a 401 too, not a 422.
    assert client.post("/api/v1/programmes", json={}).status_code == 401
    assert client.post("/api/v1/programmes", json=body()).status_code == 401
    create(client, callers.admin)
    patch = client.patch("/api/v1/programmes/nouvelle-aquitaine-numerique", json={"rate_bp": 1})
    assert patch.status_code == 401
    assert counts(app) == (1, 1)


def test_the_document_says_what_the_server_accepts(client: FlaskClient) -> None:
    """Are the bodies documented with the service's bounds, enums and nullable fields?"""
    schemas = openapi(client)["components"]["schemas"]
    create, update = schemas["ProgrammeCreate"], schemas["ProgrammeUpdate"]
    assert sorted(create["required"]) == ["code", "funder", "name", "rate_bp"]
    assert "required" not in update
    for schema in (create, update):
        props = schema["properties"]
        assert schema["additionalProperties"] is False
        assert (props["rate_bp"]["minimum"], props["rate_bp"]["maximum"]) == (1, 10_000)
        assert props["stacking_order"]["minimum"] == 0
        assert props["stacking_order"]["maximum"] == 9999
        assert props["budget_cents"]["type"] == ["integer", "null"]
        assert (props["budget_cents"]["minimum"], props["budget_cents"]["maximum"]) == (0, 10**15)
        assert props["funder"]["enum"] == ["state", "region", "eu", "other"]
        assert props["size_bands"]["items"]["enum"] == ["0-2", "3-9", "10-49", "50-249"]
        assert props["code"]["pattern"] == "^[a-z0-9]+(?:-[a-z0-9]+)*$"
        assert (props["code"]["minLength"], props["code"]["maxLength"]) == (2, 40)
        assert props["name"]["maxLength"] == 160 and props["description"]["maxLength"] == 5000
        assert props["de_minimis"]["type"] == "boolean"
        nullable = {name for name, prop in props.items() if "null" in prop.get("type", [])}
        assert nullable == {
            "budget_cents",
            "cap_per_booking_cents",
            "cap_per_company_cents",
            "max_aid_intensity_bp",
            "valid_from",
            "valid_to",
        }
    one = openapi(client)["paths"]["/api/v1/programmes/{code}"]
    [parameter] = one["parameters"]
    assert parameter["schema"]["pattern"] == create["properties"]["code"]["pattern"]
