"""Abuse protections on the public account endpoints: who gets a 429, and what is never cached.

The limits run at their shipped defaults (read from load_config), not the lax test settings.
"""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select
from werkzeug.test import TestResponse

from marketplace.accounts.models import User
from marketplace.config import load_config
from marketplace.extensions import db
from marketplace.identifiers import make_siren, make_siret
from tests.factories import PASSWORD, company_user

ATTACKER, VICTIM_IP, ELSEWHERE = "203.0.113.7", "198.51.100.9", "192.0.2.44"


@pytest.fixture
def shipped_limits(app: Flask, monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> None:
    """Registration and per-account login limits at their defaults, for this test only."""
    defaults = load_config(str(tmp_path), env={}, secret_key="unused")
    assert defaults["REGISTRATION_RATE_LIMIT"] == "5 per minute;20 per hour"
    assert defaults["LOGIN_ACCOUNT_RATE_LIMIT"] == "5 per 15 minutes"
    for name in ("REGISTRATION_RATE_LIMIT", "LOGIN_ACCOUNT_RATE_LIMIT"):
        monkeypatch.setitem(app.config, name, defaults[name])


def users(app: Flask) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(User)) or 0


def company_form(n: int) -> dict[str, str]:
    return {
        "full_name": "Anne Martin",
        "email": f"anne{n}@example.fr",
        "password": PASSWORD,
        "password_confirm": PASSWORD,
        "company_name": f"Boulangerie {n}",
        "siren": make_siren(7000 + n),
        "size_band": "3-9",
        "naf_code": "1071C",
        "department_code": "69",
    }


def provider_body(n: int) -> dict[str, Any]:
    return {
        "email": f"paul{n}@example.fr",
        "password": PASSWORD,
        "full_name": "Paul Le Gall",
        "provider_name": f"Atelier {n}",
        "siret": make_siret(make_siren(8000 + n), 1),
        "kind": "volunteer",
        "department_code": "35",
    }


def register_page(app: Flask, n: int, ip: str = ATTACKER) -> TestResponse:
    return app.test_client().post(
        "/register/company", data=company_form(n), environ_base={"REMOTE_ADDR": ip}
    )


def register_api(app: Flask, n: int, ip: str = ATTACKER) -> TestResponse:
    return app.test_client().post(
        "/api/v1/auth/register/provider", json=provider_body(n), environ_base={"REMOTE_ADDR": ip}
    )


def login_page(app: Flask, email: str, password: str, ip: str) -> TestResponse:
    return app.test_client().post(
        "/login", data={"email": email, "password": password}, environ_base={"REMOTE_ADDR": ip}
    )


def login_api(app: Flask, email: str, password: str, ip: str) -> TestResponse:
    return app.test_client().post(
        "/api/v1/auth/tokens",
        json={"email": email, "password": password},
        environ_base={"REMOTE_ADDR": ip},
    )


def make_company_user(app: Flask, email: str) -> str:
    with app.app_context():
        company_user(db.session, email=email)
        db.session.commit()
    return email


def retry_after(response: TestResponse) -> int:
    return int(response.headers["Retry-After"])


# --- Registration --------------------------------------------------------------------------


@pytest.mark.usefixtures("shipped_limits")
def test_sixth_registration_page_in_a_minute_is_refused(app: Flask) -> None:
    """Can one IP open accounts through the pages as fast as it likes? (No: the 6th is a 429.)"""
    assert [register_page(app, n).status_code for n in range(5)] == [302] * 5
    refused = register_page(app, 5)
    assert refused.status_code == 429
    assert 0 < retry_after(refused) <= 60
    assert "Trop de tentatives. Réessayez dans 1 minute." in refused.get_data(as_text=True)
    assert users(app) == 5
    # Only POSTs count, and only from that IP.
    assert app.test_client().get("/register/company").status_code == 200
    assert register_page(app, 6, ip=ELSEWHERE).status_code == 302


@pytest.mark.usefixtures("shipped_limits")
def test_api_registrations_share_the_limit_and_answer_json(app: Flask) -> None:
    """Do API registrations count with the pages', and is the 429 JSON with Retry-After?"""
    assert [register_page(app, n).status_code for n in range(3)] == [302] * 3
    assert [register_api(app, n).status_code for n in range(2)] == [201] * 2
    refused = register_api(app, 2)
    assert refused.status_code == 429
    assert refused.is_json and refused.get_json()["code"] == 429
    assert 0 < retry_after(refused) <= 60
    assert users(app) == 5
    assert register_api(app, 3, ip=ELSEWHERE).status_code == 201


# --- Token secrets -------------------------------------------------------------------------


def test_new_token_secret_is_not_cacheable(app: Flask) -> None:
    """Could a proxy or the browser cache keep the response that carries a token's secret?"""
    email = make_company_user(app, "anne@example.fr")
    response = login_api(app, email, PASSWORD, VICTIM_IP)
    assert response.status_code == 201 and response.get_json()["token"]
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Pragma"] == "no-cache"


# --- Failed logins per account -------------------------------------------------------------


@pytest.mark.usefixtures("shipped_limits")
def test_failed_logins_throttle_the_account_from_any_ip(app: Flask) -> None:
    """After 5 wrong passwords, is the account throttled everywhere for at most the window?"""
    victim = make_company_user(app, "victim@example.fr")
    other = make_company_user(app, "other@example.fr")
    for _ in range(5):
        assert login_page(app, victim, "wrong-password!", ATTACKER).status_code == 200

    page = login_page(app, victim, PASSWORD, VICTIM_IP)
    assert page.status_code == 429
    assert 0 < retry_after(page) <= 15 * 60
    assert "Trop de tentatives. Réessayez dans 15 minutes." in page.get_data(as_text=True)
    api = login_api(app, victim, PASSWORD, ELSEWHERE)
    assert api.status_code == 429 and api.get_json()["code"] == 429
    assert 0 < retry_after(api) <= 15 * 60
    # Another account, even from the attacker's IP, is not affected.
    assert login_page(app, other, PASSWORD, ATTACKER).status_code == 302


@pytest.mark.usefixtures("shipped_limits")
def test_failures_count_across_api_and_page_whatever_the_email_case(app: Flask) -> None:
    """Can an attacker get more guesses by switching endpoints or the email's case? (No.)"""
    victim = make_company_user(app, "victim@example.fr")
    for _ in range(3):
        assert login_api(app, "VICTIM@Example.fr", "guess", ATTACKER).status_code == 401
    for _ in range(2):
        assert login_page(app, "Victim@example.FR", "guess", ATTACKER).status_code == 200
    assert login_api(app, victim, PASSWORD, VICTIM_IP).status_code == 429


@pytest.mark.usefixtures("shipped_limits")
def test_successful_logins_never_count(app: Flask) -> None:
    """Does a user who logs in often ever throttle themselves? (No: only failures count.)"""
    victim = make_company_user(app, "victim@example.fr")
    for _ in range(4):
        assert login_page(app, victim, "typo-password", VICTIM_IP).status_code == 200
    for _ in range(3):
        assert login_page(app, victim, PASSWORD, VICTIM_IP).status_code == 302
        assert login_api(app, victim, PASSWORD, VICTIM_IP).status_code == 201
    # The count is still 4: one more failure reaches the limit, not before.
    assert login_page(app, victim, "typo-password", VICTIM_IP).status_code == 200
    assert login_page(app, victim, PASSWORD, VICTIM_IP).status_code == 429
