"""A bearer token is marked used at most once per LAST_USED_PRECISION, not written per request."""

from __future__ import annotations

from datetime import timedelta

from flask import Flask
from flask.testing import FlaskClient

from marketplace.accounts.models import ApiToken
from marketplace.accounts.tokens import LAST_USED_PRECISION
from marketplace.extensions import db
from tests.factories import bearer_for, company_user


def last_used(app: Flask) -> object:
    with app.app_context():
        token = db.session.scalars(db.select(ApiToken)).one()
        return token.last_used_at


def test_token_use_is_written_once_per_period(app: Flask, client: FlaskClient) -> None:
    """Does a burst of calls write last_used_at once, and a call after the period again?"""
    with app.app_context():
        headers = bearer_for(company_user(db.session))
        db.session.commit()
    assert last_used(app) is None

    assert client.get("/api/v1/me", headers=headers).status_code == 200
    first = last_used(app)
    assert first is not None
    for _ in range(3):
        assert client.get("/api/v1/me", headers=headers).status_code == 200
    assert last_used(app) == first  # within the period: no write

    with app.app_context():
        token = db.session.scalars(db.select(ApiToken)).one()
        token.last_used_at = token.last_used_at - LAST_USED_PRECISION - timedelta(seconds=1)
        db.session.commit()
    me = client.get("/api/v1/me", headers=headers)
    assert me.status_code == 200 and me.json["email"]
    assert last_used(app) > first - LAST_USED_PRECISION  # written again
