"""Who may open which page: every role-restricted route refuses the others."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient

from marketplace.extensions import db
from tests.factories import admin_user, company_user, login, pending_label, provider_user

ADMIN_PAGES = ["/admin/labels", "/admin/audit", "/admin/outbox"]
PROVIDER_PAGES = ["/provider/", "/provider/label/apply"]
LOGGED_IN_PAGES = ["/account/"]


@pytest.fixture
def users(app: Flask) -> dict[str, str]:
    with app.app_context():
        provider = provider_user(db.session)
        users = {
            "company": company_user(db.session).email,
            "provider": provider.email,
            "admin": admin_user(db.session).email,
            "label_id": str(pending_label(db.session, provider).id),
        }
        db.session.commit()
        return users


@pytest.mark.parametrize("path", ADMIN_PAGES + PROVIDER_PAGES + LOGGED_IN_PAGES)
def test_anonymous_is_sent_to_login(client: FlaskClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


@pytest.mark.parametrize("role", ["company", "provider"])
def test_non_admins_cannot_open_admin_pages(
    client: FlaskClient, users: dict[str, str], role: str
) -> None:
    login(client, users[role])
    for path in [*ADMIN_PAGES, f"/admin/labels/{users['label_id']}"]:
        response = client.get(path)
        assert response.status_code == 403, path
        assert "Boulangerie" not in response.get_data(as_text=True)


def test_non_admin_cannot_post_a_decision(client: FlaskClient, users: dict[str, str]) -> None:
    """Can a provider approve its own label by posting the admin form?"""
    login(client, users["provider"])
    response = client.post(
        f"/admin/labels/{users['label_id']}",
        data={"decision": "approve", "reason": "moi", "confirm": "y"},
    )
    assert response.status_code == 403


@pytest.mark.parametrize("role", ["company", "admin"])
def test_only_providers_open_provider_pages(
    client: FlaskClient, users: dict[str, str], role: str
) -> None:
    login(client, users[role])
    for path in PROVIDER_PAGES:
        assert client.get(path).status_code == 403, path


def test_csrf_is_required_on_forms(
    app: Flask, users: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Is a login form posted without its CSRF token refused?"""
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    client = app.test_client()
    response = client.post("/login", data={"email": users["company"], "password": "x" * 12})
    assert response.status_code == 400
