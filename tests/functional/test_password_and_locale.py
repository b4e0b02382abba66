"""Password change and reset, the login rate limit, and the language switch."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from marketplace.extensions import db
from marketplace.mail import OutboundEmail
from tests.factories import PASSWORD, company_user, login

NEW_PASSWORD = "a-brand-new-password"


@pytest.fixture
def email(app: Flask) -> str:
    with app.app_context():
        user = company_user(db.session, email="anne@example.fr")
        db.session.commit()
        return user.email


def reset_link(app: Flask) -> str:
    with app.app_context():
        mail = db.session.scalars(select(OutboundEmail).order_by(OutboundEmail.id.desc())).first()
        assert mail is not None
        match = re.search(r"https?://\S+/password/reset/\S+", mail.body)
        assert match, mail.body
        return match.group(0).split("localhost", 1)[1]


def test_change_password_needs_the_current_one(client: FlaskClient, email: str) -> None:
    login(client, email)
    wrong = client.post(
        "/account/password",
        data={
            "current_password": "not-my-password",
            "new_password": NEW_PASSWORD,
            "new_password_confirm": NEW_PASSWORD,
        },
    )
    assert wrong.status_code == 422
    assert 'id="current_password-error"' in wrong.get_data(as_text=True)
    ok = client.post(
        "/account/password",
        data={
            "current_password": PASSWORD,
            "new_password": NEW_PASSWORD,
            "new_password_confirm": NEW_PASSWORD,
        },
    )
    assert ok.status_code == 302
    client.post("/logout")
    assert login(client, email, PASSWORD).status_code == 200  # old one refused
    assert login(client, email, NEW_PASSWORD).status_code == 302


def test_reset_link_works_once(app: Flask, client: FlaskClient, email: str) -> None:
    """Can a mailed reset link set a new password, and is it dead afterwards?"""
    client.post("/password/forgot", data={"email": email})
    link = reset_link(app)
    form = {"password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD}
    assert client.post(link, data=form).status_code == 302
    assert login(client, email, NEW_PASSWORD).status_code == 302
    client.post("/logout")
    again = client.post(link, data=form)
    assert again.status_code == 302 and "/password/forgot" in again.headers["Location"]


def test_reset_for_unknown_email_says_the_same_and_sends_nothing(
    app: Flask, client: FlaskClient
) -> None:
    response = client.post("/password/forgot", data={"email": "nobody@example.fr"})
    assert response.status_code == 302
    with app.app_context():
        assert db.session.scalars(select(OutboundEmail)).all() == []


def test_tampered_reset_link_is_refused(client: FlaskClient, email: str) -> None:
    response = client.get("/password/reset/not-a-real-token")
    assert response.status_code == 302 and "/password/forgot" in response.headers["Location"]


def test_login_is_rate_limited(
    app: Flask, client: FlaskClient, email: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Does a burst of wrong passwords get a 429, even for the right one afterwards?"""
    monkeypatch.setitem(app.config, "LOGIN_RATE_LIMIT", "3 per minute")
    for _ in range(3):
        assert login(client, email, "wrong-password!").status_code == 200
    assert login(client, email).status_code == 429


def test_language_switch(client: FlaskClient) -> None:
    """Is the interface French by default, even for an English browser, and English on request?"""
    home = client.get("/", headers={"Accept-Language": "en-US,en"}).get_data(as_text=True)
    assert 'lang="fr"' in home and "Se connecter" in home
    client.post("/language", data={"locale": "en", "next": "/"})
    home = client.get("/").get_data(as_text=True)
    assert 'lang="en"' in home
    assert client.post("/language", data={"locale": "xx"}).status_code == 400


@pytest.mark.parametrize(
    ("shown_at", "back_to"),
    [
        ("/password/forgot", "/password/forgot"),  # a page that takes GET: itself
        ("/search?q=site", "/search?q=site"),
        ("/bookings/3/accept", "/bookings/3"),  # a refused POST's page: the page it belongs to
        ("/provider/offers/7/publish", "/provider/offers"),
        ("/no/such/page", "/no/such/page"),
        ("https://evil.example/", "/"),
    ],
)
def test_switching_language_returns_to_a_page_that_exists(
    client: FlaskClient, shown_at: str, back_to: str
) -> None:
    """After a failed form post, does switching language land on a page, not a 405?"""
    response = client.post("/language", data={"locale": "en", "next": shown_at})
    assert response.status_code == 302
    assert response.headers["Location"].removeprefix("http://localhost") == back_to


def test_external_next_is_ignored(client: FlaskClient, email: str) -> None:
    """Can a crafted login link send the user to another site?"""
    response = client.post(
        "/login?next=https://evil.example/", data={"email": email, "password": PASSWORD}
    )
    assert response.status_code == 302
    assert "evil.example" not in response.headers["Location"]
