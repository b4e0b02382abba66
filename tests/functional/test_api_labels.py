"""The JSON API for labels: providers apply, administrators decide."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from marketplace.audit import AuditEvent
from marketplace.extensions import db
from marketplace.labels.models import Label, LabelStatus
from marketplace.mail import OutboundEmail
from tests.factories import (
    PASSWORD,
    admin_user,
    approved_label,
    bearer_for,
    company_user,
    pending_label,
    provider_user,
)


def application_body(**overrides: Any) -> dict[str, Any]:
    year = date.today().year
    body: dict[str, Any] = {
        "categories": ["online-presence", "marketing"],
        "similar_projects_turnover_cents": 4_500_000,
        "certifications": "Qualiopi",
        "references": [
            {"client_name": f"Client {i}", "description": "Site vitrine et SEO", "year": year - i}
            for i in range(3)
        ],
        "sworn_statement": True,
    }
    body.update(overrides)
    return body


def test_provider_applies_and_admin_approves(app: Flask, client: FlaskClient) -> None:
    """Can a provider apply through the API and an admin approve it, leaving a full trail?"""
    with app.app_context():
        provider = bearer_for(provider_user(db.session))
        admin_account = admin_user(db.session)
        admin_email, admin = admin_account.email, bearer_for(admin_account)
        db.session.commit()

    applied = client.post("/api/v1/labels", json=application_body(), headers=provider)
    assert applied.status_code == 201, applied.get_json()
    label = applied.get_json()
    assert label["status"] == "pending" and label["is_active"] is False
    assert label["categories"] == ["online-presence", "marketing"]
    assert label["evidence"]["similar_projects_turnover_cents"] == 4_500_000
    assert len(label["evidence"]["references"]) == 3 and label["decisions"] == []

    decided = client.post(
        f"/api/v1/labels/{label['id']}/decisions",
        json={"decision": "approve", "reason": "Dossier complet"},
        headers=admin,
    )
    assert decided.status_code == 201, decided.get_json()
    decision = decided.get_json()
    assert decision["from_status"] == "pending" and decision["to_status"] == "approved"
    assert decision["actor"] == admin_email
    assert decision["valid_until"] == (date.today() + timedelta(days=365)).isoformat()

    seen = client.get(f"/api/v1/labels/{label['id']}", headers=provider).get_json()
    assert seen["status"] == "approved" and seen["is_active"] is True
    assert [d["reason"] for d in seen["decisions"]] == ["Dossier complet"]
    with app.app_context():
        events = db.session.scalars(select(AuditEvent.action)).all()
        assert "label.applied" in events and "label.approved" in events
        assert db.session.scalar(select(OutboundEmail.subject)) is not None  # provider was told


def test_application_errors_name_the_api_fields(app: Flask, client: FlaskClient) -> None:
    """Are rule errors reported under the API's own field names, with nothing stored?"""
    with app.app_context():
        provider = bearer_for(provider_user(db.session))
        db.session.commit()
    response = client.post(
        "/api/v1/labels",
        json=application_body(similar_projects_turnover_cents=0, references=[]),
        headers=provider,
    )
    assert response.status_code == 422
    errors = response.get_json()["errors"]["json"]
    assert {"similar_projects_turnover_cents", "references"} <= set(errors)
    with app.app_context():
        assert db.session.scalar(select(Label)) is None


def test_the_sworn_statement_is_part_of_the_documented_shape(
    app: Flask, client: FlaskClient
) -> None:
    """Does the schema itself refuse an application whose statement is not sworn?"""
    with app.app_context():
        provider = bearer_for(provider_user(db.session))
        db.session.commit()
    response = client.post(
        "/api/v1/labels", json=application_body(sworn_statement=False), headers=provider
    )
    assert response.status_code == 422
    assert "sworn_statement" in response.get_json()["errors"]["json"]
    schema = client.get("/api/openapi.json").get_json()["components"]["schemas"]
    assert schema["LabelApplication"]["properties"]["sworn_statement"]["enum"] == [True]


def test_turnover_must_be_integer_cents(app: Flask, client: FlaskClient) -> None:
    """Is a turnover sent as a float (euros) refused rather than silently rounded?"""
    with app.app_context():
        provider = bearer_for(provider_user(db.session))
        db.session.commit()
    response = client.post(
        "/api/v1/labels",
        json=application_body(similar_projects_turnover_cents=45000.5),
        headers=provider,
    )
    assert response.status_code == 422
    assert "similar_projects_turnover_cents" in response.get_json()["errors"]["json"]


def test_second_application_while_pending_is_a_conflict(app: Flask, client: FlaskClient) -> None:
    with app.app_context():
        user = provider_user(db.session)
        pending_label(db.session, user)
        provider = bearer_for(user)
        db.session.commit()
    response = client.post("/api/v1/labels", json=application_body(), headers=provider)
    assert response.status_code == 409


def test_suspended_provider_cannot_apply_again(app: Flask, client: FlaskClient) -> None:
    """Can a suspended provider file a new application through the API? (No: 409, and why.)"""
    with app.app_context():
        user, admin = provider_user(db.session), admin_user(db.session)
        label_id = approved_label(db.session, user, admin).id
        provider, admin_headers = bearer_for(user), bearer_for(admin)
        db.session.commit()
    suspended = client.post(
        f"/api/v1/labels/{label_id}/decisions",
        json={"decision": "suspend", "reason": "Complaints from clients"},
        headers=admin_headers,
    )
    assert suspended.status_code == 201
    response = client.post("/api/v1/labels", json=application_body(), headers=provider)
    assert response.status_code == 409
    message = response.get_json()["message"]
    assert "suspendu" in message and "administrateur doit le rétablir" in message
    with app.app_context():
        assert db.session.scalars(select(Label)).all() == [db.session.get(Label, label_id)]


def test_company_cannot_decide_on_a_label(app: Flask, client: FlaskClient) -> None:
    """Can a company decide on a label? (No: 403, and the label stays pending.)"""
    with app.app_context():
        label_id = pending_label(db.session, provider_user(db.session)).id
        company = bearer_for(company_user(db.session))
        db.session.commit()
    response = client.post(
        f"/api/v1/labels/{label_id}/decisions",
        json={"decision": "approve", "reason": "Looks fine to me"},
        headers=company,
    )
    assert response.status_code == 403
    assert client.get("/api/v1/labels", headers=company).status_code == 403
    assert client.get(f"/api/v1/labels/{label_id}", headers=company).status_code == 403
    with app.app_context():
        assert db.session.get(Label, label_id).status == LabelStatus.PENDING


def test_provider_cannot_decide_on_its_own_label(app: Flask, client: FlaskClient) -> None:
    with app.app_context():
        user = provider_user(db.session)
        label_id = pending_label(db.session, user).id
        provider = bearer_for(user)
        db.session.commit()
    response = client.post(
        f"/api/v1/labels/{label_id}/decisions",
        json={"decision": "approve", "reason": "I am great"},
        headers=provider,
    )
    assert response.status_code == 403


def test_anonymous_calls_are_401(app: Flask, client: FlaskClient) -> None:
    with app.app_context():
        label_id = pending_label(db.session, provider_user(db.session)).id
        db.session.commit()
    response = client.post(
        f"/api/v1/labels/{label_id}/decisions", json={"decision": "approve", "reason": "Fine"}
    )
    assert response.status_code == 401
    # Who is calling is checked before what is sent: an empty body is a 401 too, not a 422.
    assert client.post(f"/api/v1/labels/{label_id}/decisions", json={}).status_code == 401
    assert client.post("/api/v1/labels", json={}).status_code == 401


def test_provider_cannot_read_another_providers_label(app: Flask, client: FlaskClient) -> None:
    """Can a provider read a competitor's application? (No, and it looks like it does not exist.)"""
    with app.app_context():
        label_id = pending_label(db.session, provider_user(db.session)).id
        other = provider_user(db.session)
        own_id = pending_label(db.session, other).id
        headers = bearer_for(other)
        db.session.commit()
    assert client.get(f"/api/v1/labels/{label_id}", headers=headers).status_code == 404
    assert client.get(f"/api/v1/labels/{own_id}", headers=headers).status_code == 200
    listed = client.get("/api/v1/labels", headers=headers).get_json()
    assert [item["id"] for item in listed["items"]] == [own_id]


def test_decision_without_reason_is_422(app: Flask, client: FlaskClient) -> None:
    """Is a decision without a reason (or with a blank one) refused, the label left pending?"""
    with app.app_context():
        label_id = pending_label(db.session, provider_user(db.session)).id
        admin = bearer_for(admin_user(db.session))
        db.session.commit()
    url = f"/api/v1/labels/{label_id}/decisions"
    missing = client.post(url, json={"decision": "approve"}, headers=admin)
    assert missing.status_code == 422
    assert "reason" in missing.get_json()["errors"]["json"]
    blank = client.post(url, json={"decision": "approve", "reason": "  "}, headers=admin)
    assert blank.status_code == 422
    assert "reason" in blank.get_json()["errors"]["json"]
    with app.app_context():
        assert db.session.get(Label, label_id).status == LabelStatus.PENDING


def test_unknown_decision_is_422(app: Flask, client: FlaskClient) -> None:
    with app.app_context():
        label_id = pending_label(db.session, provider_user(db.session)).id
        admin = bearer_for(admin_user(db.session))
        db.session.commit()
    response = client.post(
        f"/api/v1/labels/{label_id}/decisions",
        json={"decision": "promote", "reason": "Because"},
        headers=admin,
    )
    assert response.status_code == 422
    assert "decision" in response.get_json()["errors"]["json"]


def test_deciding_twice_is_a_conflict(app: Flask, client: FlaskClient) -> None:
    """Can an admin approve a label that is already approved? (No: 409, no second decision.)"""
    with app.app_context():
        admin = admin_user(db.session)
        label_id = approved_label(db.session, provider_user(db.session), admin).id
        headers = bearer_for(admin)
        db.session.commit()
    response = client.post(
        f"/api/v1/labels/{label_id}/decisions",
        json={"decision": "approve", "reason": "Once more"},
        headers=headers,
    )
    assert response.status_code == 409
    assert response.get_json()["message"]
    with app.app_context():
        assert len(db.session.get(Label, label_id).decisions) == 1


def test_suspension_keeps_the_history(app: Flask, client: FlaskClient) -> None:
    """Does a suspension show after the approval in the label's history?"""
    with app.app_context():
        admin = admin_user(db.session)
        label_id = approved_label(db.session, provider_user(db.session), admin).id
        headers = bearer_for(admin)
        db.session.commit()
    response = client.post(
        f"/api/v1/labels/{label_id}/decisions",
        json={"decision": "suspend", "reason": "Complaints from clients"},
        headers=headers,
    )
    assert response.status_code == 201
    label = client.get(f"/api/v1/labels/{label_id}", headers=headers).get_json()
    assert label["status"] == "suspended" and label["is_active"] is False
    assert [(d["from_status"], d["to_status"]) for d in label["decisions"]] == [
        ("pending", "approved"),
        ("approved", "suspended"),
    ]


def test_admin_queue_filters_and_paginates(app: Flask, client: FlaskClient) -> None:
    """Does the admin queue filter by status and category and page through the results?"""
    with app.app_context():
        admin = admin_user(db.session)
        pending_ids = [
            pending_label(db.session, provider_user(db.session), ("cybersecurity",)).id
            for _ in range(3)
        ]
        approved_label(db.session, provider_user(db.session), admin, ("ecommerce",))
        headers = bearer_for(admin)
        db.session.commit()

    everything = client.get("/api/v1/labels", headers=headers).get_json()
    assert everything["pagination"]["total"] == 4
    pending = client.get("/api/v1/labels?status=pending", headers=headers).get_json()
    assert [item["id"] for item in pending["items"]] == pending_ids
    shop = client.get("/api/v1/labels?category=ecommerce", headers=headers).get_json()
    assert [item["status"] for item in shop["items"]] == ["approved"]

    second = client.get("/api/v1/labels?status=pending&page=2&page_size=2", headers=headers)
    assert second.get_json()["items"][0]["id"] == pending_ids[2]
    assert second.get_json()["pagination"] == {"page": 2, "page_size": 2, "total": 3, "pages": 2}
    bad = client.get("/api/v1/labels?status=sleeping", headers=headers)
    assert bad.status_code == 422 and "status" in bad.get_json()["errors"]["query"]


def test_session_post_needs_a_csrf_token_but_bearer_does_not(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With CSRF on, is a cookie-session POST refused without X-CSRFToken, and a Bearer one not?"""
    with app.app_context():
        browser_email = provider_user(db.session).email
        api_headers = bearer_for(provider_user(db.session))
        db.session.commit()
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)

    browser = app.test_client()
    csrf_token = _csrf_token_from(browser.get("/login").get_data(as_text=True))
    browser.post(
        "/login", data={"email": browser_email, "password": PASSWORD, "csrf_token": csrf_token}
    )
    assert browser.get("/api/v1/me").status_code == 200  # the session is logged in

    refused = browser.post("/api/v1/labels", json=application_body())
    assert refused.status_code == 400
    assert refused.get_json()["code"] == 400 and refused.get_json()["message"]
    with app.app_context():
        assert db.session.scalar(select(Label)) is None

    accepted = browser.post(
        "/api/v1/labels", json=application_body(), headers={"X-CSRFToken": csrf_token}
    )
    assert accepted.status_code == 201

    by_token = app.test_client().post(
        "/api/v1/labels", json=application_body(), headers=api_headers
    )
    assert by_token.status_code == 201


def _csrf_token_from(page: str) -> str:
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
    assert match, "the login page should carry a CSRF token"
    return match.group(1)
