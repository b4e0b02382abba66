"""The JSON API: registration, tokens, the calling user, CSRF and rate limits."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from marketplace.accounts.models import ApiToken, Company, Provider, User
from marketplace.extensions import db
from marketplace.identifiers import french_vat_number, make_siren, make_siret
from tests.factories import PASSWORD, company_user, login, provider_user


def company_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "email": "anne@boulangerie-martin.fr",
        "password": PASSWORD,
        "full_name": "Anne Martin",
        "company_name": "Boulangerie Martin",
        "siren": "732 829 320",
        "size_band": "3-9",
        "naf_code": "1071C",
        "department_code": "69",
    }
    body.update(overrides)
    return body


def count(app: Flask, model: type) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model)) or 0


def make_user(app: Flask, factory: Any = company_user, **kwargs: Any) -> str:
    with app.app_context():
        email = factory(db.session, **kwargs).email
        db.session.commit()
    return email


def new_token(client: FlaskClient, email: str, name: str = "CRM sync") -> dict[str, Any]:
    response = client.post(
        "/api/v1/auth/tokens", json={"email": email, "password": PASSWORD, "name": name}
    )
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def bearer(raw: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {raw}"}


# --- Registration ----------------------------------------------------------------------------


def test_company_registers_through_the_api(app: Flask, client: FlaskClient) -> None:
    """Does a valid company registration answer 201 with the user and its company?"""
    response = client.post(
        "/api/v1/auth/register/company", json=company_body(), headers={"Accept-Language": "en"}
    )
    assert response.status_code == 201, response.get_json()
    user = response.get_json()
    assert user["email"] == "anne@boulangerie-martin.fr"
    assert user["role"] == "company" and user["locale"] == "en"
    assert user["company"]["siren"] == "732829320"
    assert user["company"]["naf_code"] == "10.71C" and user["company"]["region_code"] == "84"
    assert user["provider"] is None
    assert "password" not in user and "password_hash" not in user
    assert count(app, Company) == 1


def test_bad_siren_is_a_422_field_error_and_stores_nothing(app: Flask, client: FlaskClient) -> None:
    """Does a SIREN with a bad check digit come back under errors.json.siren, with nothing saved?"""
    response = client.post("/api/v1/auth/register/company", json=company_body(siren="732829321"))
    assert response.status_code == 422
    body = response.get_json()
    assert body["code"] == 422 and body["errors"]["json"]["siren"]
    assert count(app, User) == 0 and count(app, Company) == 0


def test_missing_and_unknown_fields_are_422(app: Flask, client: FlaskClient) -> None:
    """Are a missing field and an unexpected one both reported before anything is tried?"""
    body = company_body(is_admin=True)
    del body["siren"]
    response = client.post("/api/v1/auth/register/company", json=body)
    assert response.status_code == 422
    errors = response.get_json()["errors"]["json"]
    assert set(errors) == {"siren", "is_admin"}
    assert count(app, User) == 0


def test_provider_registers_through_the_api(app: Flask, client: FlaskClient) -> None:
    """Can an expert register with its SIRET, VAT number and regions served?"""
    siren = make_siren(4242)
    response = client.post(
        "/api/v1/auth/register/provider",
        json={
            "email": "paul@atelier.fr",
            "password": PASSWORD,
            "full_name": "Paul Le Gall",
            "provider_name": "Atelier Numérique",
            "siret": make_siret(siren, 1),
            "kind": "expert",
            "vat_number": french_vat_number(siren),
            "department_code": "35",
            "regions": ["53", "52"],
        },
    )
    assert response.status_code == 201, response.get_json()
    user = response.get_json()
    assert user["role"] == "provider" and user["company"] is None
    assert user["provider"]["kind"] == "expert" and user["provider"]["has_active_label"] is False
    with app.app_context():
        provider = db.session.scalar(select(Provider))
        assert provider is not None
        assert sorted(r.code for r in provider.regions) == ["52", "53"]


def test_expert_without_vat_number_is_refused(app: Flask, client: FlaskClient) -> None:
    siren = make_siren(4243)
    response = client.post(
        "/api/v1/auth/register/provider",
        json={
            "email": "paul@atelier.fr",
            "password": PASSWORD,
            "full_name": "Paul Le Gall",
            "provider_name": "Atelier Numérique",
            "siret": make_siret(siren, 1),
            "kind": "expert",
            "department_code": "35",
        },
    )
    assert response.status_code == 422
    assert "vat_number" in response.get_json()["errors"]["json"]
    assert count(app, Provider) == 0


# --- Tokens and the calling user -------------------------------------------------------------


def test_token_opens_the_api_until_it_is_revoked(app: Flask, client: FlaskClient) -> None:
    """Does a new token work as a Bearer on /me, stop working once revoked, and never leak?"""
    email = make_user(app)
    created = new_token(client, email)
    assert created["token"].startswith(created["prefix"])
    assert created["name"] == "CRM sync" and created["expires_at"]

    me = client.get("/api/v1/me", headers=bearer(created["token"]))
    assert me.status_code == 200
    assert me.get_json()["email"] == email and me.get_json()["company"]["name"]

    listed = client.get("/api/v1/auth/tokens", headers=bearer(created["token"])).get_json()
    assert [t["id"] for t in listed] == [created["id"]]
    assert "token" not in listed[0] and "token_digest" not in listed[0]

    revoked = client.delete(
        f"/api/v1/auth/tokens/{created['id']}", headers=bearer(created["token"])
    )
    assert revoked.status_code == 204
    assert client.get("/api/v1/me", headers=bearer(created["token"])).status_code == 401


def test_wrong_token_and_no_token_are_401(app: Flask, client: FlaskClient) -> None:
    """Is a made-up token, or none at all, refused with a JSON 401?"""
    make_user(app)
    wrong = client.get("/api/v1/me", headers=bearer("cc_not-a-real-token"))
    assert wrong.status_code == 401 and wrong.get_json()["code"] == 401
    assert client.get("/api/v1/me").status_code == 401
    assert client.get("/api/v1/auth/tokens").status_code == 401


def test_wrong_password_gives_no_token(app: Flask, client: FlaskClient) -> None:
    """Does a wrong password answer 401 with a message, and store no token?"""
    email = make_user(app)
    response = client.post(
        "/api/v1/auth/tokens",
        json={"email": email, "password": "not-the-password"},
        headers={"Accept-Language": "en"},
    )
    assert response.status_code == 401
    assert response.get_json()["message"] == "Wrong email address or password."
    unknown = client.post(
        "/api/v1/auth/tokens", json={"email": "nobody@example.fr", "password": PASSWORD}
    )
    assert unknown.status_code == 401
    assert count(app, ApiToken) == 0


def test_nobody_revokes_someone_elses_token(app: Flask, client: FlaskClient) -> None:
    """Can a user revoke another user's token? (It must look like it does not exist.)"""
    victim = new_token(client, make_user(app))
    intruder = new_token(client, make_user(app))
    response = client.delete(
        f"/api/v1/auth/tokens/{victim['id']}", headers=bearer(intruder["token"])
    )
    assert response.status_code == 404
    assert client.get("/api/v1/me", headers=bearer(victim["token"])).status_code == 200


def test_me_works_with_the_session_cookie(app: Flask, client: FlaskClient) -> None:
    """Does a user logged in through the pages see itself on /api/v1/me?"""
    email = make_user(app, provider_user)
    login(client, email)
    response = client.get("/api/v1/me")
    assert response.status_code == 200
    assert response.get_json()["provider"]["name"] == "Atelier Numérique"


def test_token_creation_is_rate_limited(
    app: Flask, client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Does guessing passwords through the API hit the same limit as the login page?"""
    monkeypatch.setitem(app.config, "LOGIN_RATE_LIMIT", "2 per minute")
    statuses = [
        client.post(
            "/api/v1/auth/tokens", json={"email": "x@example.fr", "password": "guess"}
        ).status_code
        for _ in range(3)
    ]
    assert statuses == [401, 401, 429]
