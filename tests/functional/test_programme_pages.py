"""Subsidy programme pages: administrators list, create and edit programmes, audited."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from marketplace.audit import AuditEvent
from marketplace.billing.models import Funder, SubsidyProgramme
from marketplace.billing.programmes import ProgrammeData, create_programme, programme_data
from marketplace.extensions import db
from tests.factories import admin_user, company_user, login, provider_user


@dataclass
class World:
    admin: str
    company: str
    provider: str
    programme_id: int


def programme_form(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "funder": "region",
        "code": "pass-numerique-bretagne",
        "name": "Pass numérique Bretagne",
        "description": "La Région prend en charge une part de la prestation.",
        "regions": ["53"],
        "categories": ["online-presence", "ecommerce"],
        "size_bands": ["0-2", "3-9"],
        "rate": "12,5",
        "cap_per_booking": "1 500,50",
        "cap_per_company": "3000",
        "budget": "8 000,00",
        "max_aid_intensity": "80",
        "valid_from": "2026-01-01",
        "valid_to": "2026-12-31",
        "de_minimis": "y",
        "stacking_order": "20",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


@pytest.fixture
def world(app: Flask) -> World:
    with app.app_context():
        admin = admin_user(db.session)
        national = create_programme(
            db.session,
            admin,
            ProgrammeData(
                funder="state",
                code="cheque-france-num",
                name="Chèque France Num",
                rate_bp=5000,
                size_bands=["0-2", "3-9", "10-49"],
                cap_per_booking_cents=250_000,
                cap_per_company_cents=500_000,
                budget_cents=6_000_000,
                de_minimis=True,
                stacking_order=10,
            ),
        )
        world = World(
            admin.email,
            company_user(db.session).email,
            provider_user(db.session).email,
            national.id,
        )
        db.session.commit()
        return world


def programmes(app: Flask) -> list[SubsidyProgramme]:
    with app.app_context():
        found = list(db.session.scalars(select(SubsidyProgramme).order_by(SubsidyProgramme.id)))
        for programme in found:
            programme.region_codes, programme.category_codes  # noqa: B018  (load them)
            db.session.expunge(programme)
        return found


def audit_actions(app: Flask) -> list[str]:
    """The programme events of the audit trail, oldest first."""
    query = select(AuditEvent.action).where(AuditEvent.subject_type == "programme")
    with app.app_context():
        return list(db.session.scalars(query.order_by(AuditEvent.id)))


def field_value(page: str, name: str) -> str:
    match = re.search(rf'<input[^>]*\bname="{name}"[^>]*>', page)
    assert match, name
    value = re.search(r'\bvalue="([^"]*)"', match.group(0))
    return value.group(1) if value else ""


def stored(app: Flask, programme_id: int) -> ProgrammeData:
    with app.app_context():
        programme = db.session.get(SubsidyProgramme, programme_id)
        assert programme is not None
        return programme_data(programme)


def submitted(page: str) -> dict[str, list[str]]:
    """What a browser sends back from the page's form, untouched: every input's value, the
    ticked boxes, the chosen radio button and the text areas."""
    form = page.split('class="programme-form">', 1)[1].split("</form>", 1)[0]
    sent: dict[str, list[str]] = {}
    for tag in re.findall(r"<input[^>]*>", form):
        name = re.search(r'\bname="([^"]*)"', tag)
        kind = re.search(r'\btype="([^"]*)"', tag)
        if name is None or (kind and kind[1] in ("checkbox", "radio") and "checked" not in tag):
            continue
        value = re.search(r'\bvalue="([^"]*)"', tag)
        sent.setdefault(name[1], []).append(html.unescape(value[1]) if value else "")
    for name, text in re.findall(r'<textarea[^>]*name="([^"]*)"[^>]*>([^<]*)</textarea>', form):
        sent[name] = [html.unescape(text).removeprefix("\r\n").removeprefix("\n")]
    return sent


# --- Listing --------------------------------------------------------------------------------


def test_admin_lists_programmes_from_the_navigation(client: FlaskClient, world: World) -> None:
    login(client, world.admin)
    assert 'href="/admin/programmes"' in client.get("/admin/labels").get_data(as_text=True)
    page = client.get("/admin/programmes")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "cheque-france-num" in text and "Chèque France Num" in text
    assert "2\u202f500,00\xa0€" in text and "60\u202f000,00\xa0€" in text  # caps and budget
    assert "50 %" in text
    assert f"/admin/programmes/{world.programme_id}/edit" in text
    assert "/admin/programmes/new" in text


def test_an_empty_list_says_so(app: Flask, client: FlaskClient) -> None:
    with app.app_context():
        email = admin_user(db.session).email
        db.session.commit()
    login(client, email)
    text = client.get("/admin/programmes").get_data(as_text=True)
    assert "empty-state" in text and "<table" not in text


def test_the_list_is_paginated(app: Flask, client: FlaskClient, world: World) -> None:
    with app.app_context():
        actor = admin_user(db.session)
        for n in range(30):
            data = ProgrammeData(
                funder="other", code=f"programme-{n:02d}", name=f"Dispositif {n}", rate_bp=1000
            )
            create_programme(db.session, actor, replace(data, stacking_order=30))
        db.session.commit()
    login(client, world.admin)
    first = client.get("/admin/programmes").get_data(as_text=True)
    assert 'rel="next"' in first and "cheque-france-num" in first
    second = client.get("/admin/programmes?page=2").get_data(as_text=True)
    assert 'rel="prev"' in second and "cheque-france-num" not in second
    assert "programme-29" in second


# --- Creating -------------------------------------------------------------------------------


def test_admin_creates_a_programme_in_euros_and_percent(
    app: Flask, client: FlaskClient, world: World
) -> None:
    login(client, world.admin)
    form_page = client.get("/admin/programmes/new").get_data(as_text=True)
    assert 'id="volunteers-note"' in form_page  # the fixed rule, as help text
    response = client.post("/admin/programmes/new", data=programme_form())
    assert response.status_code == 302 and response.headers["Location"].endswith(
        "/admin/programmes"
    )
    created = programmes(app)[-1]
    assert (created.funder, created.code) == (Funder.REGION, "pass-numerique-bretagne")
    assert created.rate_bp == 1250 and created.max_aid_intensity_bp == 8000
    assert (created.cap_per_booking_cents, created.cap_per_company_cents) == (150_050, 300_000)
    assert created.budget_cents == 800_000
    assert created.region_codes == ["53"]
    assert created.category_codes == ["online-presence", "ecommerce"]
    assert created.size_bands == ["0-2", "3-9"]
    assert (created.valid_from, created.valid_to) == (date(2026, 1, 1), date(2026, 12, 31))
    assert created.de_minimis is True and created.stacking_order == 20
    assert audit_actions(app)[-1] == "programme.created"


def test_empty_boxes_mean_all_and_empty_caps_mean_none(
    app: Flask, client: FlaskClient, world: World
) -> None:
    login(client, world.admin)
    data = programme_form(
        regions=None,
        categories=None,
        size_bands=None,
        cap_per_booking="",
        cap_per_company="",
        budget="",
        max_aid_intensity="",
        valid_from="",
        valid_to="",
        de_minimis=None,
    )
    assert client.post("/admin/programmes/new", data=data).status_code == 302
    created = programmes(app)[-1]
    assert created.region_codes == [] and created.category_codes == [] and created.size_bands == []
    assert created.cap_per_booking_cents is None and created.budget_cents is None
    assert created.max_aid_intensity_bp is None and created.valid_from is None
    assert created.de_minimis is False


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"rate": ""}, "rate"),
        ({"rate": "0"}, "rate"),
        ({"rate": "100,5"}, "rate"),
        ({"rate": "12,345"}, "rate"),
        ({"rate": "cinquante"}, "rate"),
        ({"max_aid_intensity": "120"}, "max_aid_intensity"),
        ({"cap_per_booking": "-5"}, "cap_per_booking"),
        ({"cap_per_company": "12,345"}, "cap_per_company"),
        ({"budget": "1e30"}, "budget"),
        ({"budget": "beaucoup"}, "budget"),
        ({"code": "Pass Bretagne"}, "code"),
        ({"name": "ab"}, "name"),
        ({"funder": "city"}, "funder"),
        ({"valid_to": "2025-12-31"}, "valid_to"),
        ({"valid_from": "31/12/2026"}, "valid_from"),
        ({"stacking_order": "-1"}, "stacking_order"),
        ({"stacking_order": ""}, "stacking_order"),
    ],
)
def test_invalid_input_is_shown_in_place_and_stores_nothing(
    app: Flask, client: FlaskClient, world: World, overrides: dict[str, Any], field: str
) -> None:
    login(client, world.admin)
    response = client.post("/admin/programmes/new", data=programme_form(**overrides))
    assert response.status_code == 422
    text = response.get_data(as_text=True)
    marker = f'has-error" id="{field}"' if field == "funder" else f'id="{field}-error"'
    assert marker in text
    if "name" not in overrides:
        assert "Pass numérique Bretagne" in text  # the input is kept
    assert len(programmes(app)) == 1
    assert audit_actions(app) == ["programme.created"]  # the fixture's only


def test_a_taken_code_is_refused_next_to_the_code(
    app: Flask, client: FlaskClient, world: World
) -> None:
    login(client, world.admin)
    response = client.post("/admin/programmes/new", data=programme_form(code="cheque-france-num"))
    assert response.status_code == 409
    assert 'id="code-error"' in response.get_data(as_text=True)
    assert len(programmes(app)) == 1


# --- Editing --------------------------------------------------------------------------------


def test_the_edit_page_submitted_unchanged_saves(
    app: Flask, client: FlaskClient, world: World
) -> None:
    """Does every value the edit page shows (euros, percent, dates) come back as it was?"""
    login(client, world.admin)
    client.post("/admin/programmes/new", data=programme_form())
    programme_id = programmes(app)[-1].id
    before = stored(app, programme_id)
    page = client.get(f"/admin/programmes/{programme_id}/edit").get_data(as_text=True)
    assert field_value(page, "rate") == "12,5"
    assert field_value(page, "cap_per_booking") == "1500,50"
    assert field_value(page, "budget") == "8000,00"
    assert field_value(page, "valid_to") == "2026-12-31"
    assert 'type="number"' not in page.split('name="rate"')[0].rsplit("<input", 1)[-1]

    response = client.post(f"/admin/programmes/{programme_id}/edit", data=submitted(page))
    assert response.status_code == 302, response.get_data(as_text=True)
    assert stored(app, programme_id) == before
    with app.app_context():
        event = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
        assert event is not None
        assert (event.action, event.data["changes"]) == ("programme.updated", {})


def test_edit_changes_fields_and_audits_them(app: Flask, client: FlaskClient, world: World) -> None:
    login(client, world.admin)
    page = client.get(f"/admin/programmes/{world.programme_id}/edit").get_data(as_text=True)
    assert field_value(page, "cap_per_booking") == "2500,00" and field_value(page, "rate") == "50"
    response = client.post(
        f"/admin/programmes/{world.programme_id}/edit",
        data=programme_form(funder="state", code="cheque-france-num", budget="50 000"),
    )
    assert response.status_code == 302
    [edited] = programmes(app)
    assert edited.budget_cents == 5_000_000 and edited.rate_bp == 1250
    with app.app_context():
        event = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "programme.updated")
        ).one()
        assert event.data["changes"]["budget_cents"] == [6_000_000, 5_000_000]
        assert event.subject_id == world.programme_id


def test_an_invalid_edit_changes_nothing(app: Flask, client: FlaskClient, world: World) -> None:
    login(client, world.admin)
    response = client.post(
        f"/admin/programmes/{world.programme_id}/edit",
        data=programme_form(code="cheque-france-num", valid_to="2025-01-01"),
    )
    assert response.status_code == 422
    [unchanged] = programmes(app)
    assert unchanged.rate_bp == 5000 and unchanged.valid_to is None
    assert audit_actions(app) == ["programme.created"]


def test_an_unknown_programme_is_a_404(client: FlaskClient, world: World) -> None:
    login(client, world.admin)
    assert client.get("/admin/programmes/999999/edit").status_code == 404


# --- Who may ----------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["company", "provider"])
def test_only_admins_manage_programmes(
    app: Flask, client: FlaskClient, world: World, who: str
) -> None:
    """Can a company or a provider open or submit the programme pages? No: 403."""
    login(client, getattr(world, who))
    edit = f"/admin/programmes/{world.programme_id}/edit"
    for path in ("/admin/programmes", "/admin/programmes/new", edit):
        assert client.get(path).status_code == 403, path
    assert client.post("/admin/programmes/new", data=programme_form()).status_code == 403
    assert client.post(edit, data=programme_form(code="autre-code")).status_code == 403
    assert [p.code for p in programmes(app)] == ["cheque-france-num"]


def test_anonymous_is_sent_to_login(client: FlaskClient, world: World) -> None:
    for path in ("/admin/programmes", "/admin/programmes/new"):
        response = client.get(path)
        assert response.status_code == 302 and "/login" in response.headers["Location"]
