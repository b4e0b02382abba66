"""The JSON API's public directory of providers."""

from __future__ import annotations

from datetime import date, timedelta

from flask import Flask
from flask.testing import FlaskClient

from marketplace.accounts.models import User
from marketplace.extensions import db
from marketplace.labels.operations import Decision, decide_on_label
from marketplace.mail import LogMailer
from tests.factories import (
    admin_user,
    approved_label,
    bearer_for,
    company_user,
    pending_label,
    provider_user,
)


def names(client: FlaskClient, query: str = "") -> list[str]:
    response = client.get(f"/api/v1/providers{query}")
    assert response.status_code == 200, response.get_json()
    return [item["name"] for item in response.get_json()["items"]]


def seed_directory(app: Flask) -> dict[str, tuple[int, int]]:
    """Providers in every label situation; returns (provider id, user id) by provider name."""
    with app.app_context():
        admin = admin_user(db.session)
        web = provider_user(db.session, name="Atelier Web", regions=("53",))
        approved_label(db.session, web, admin, ("online-presence",))
        shop = provider_user(db.session, name="Boutique Pro", regions=("84",))
        approved_label(db.session, shop, admin, ("ecommerce",))
        volunteer = provider_user(db.session, name="Connecteur Anne", kind="volunteer")
        approved_label(db.session, volunteer, admin, ("training",))
        waiting = provider_user(db.session, name="En Attente")
        pending_label(db.session, waiting)
        suspended = provider_user(db.session, name="Suspendu SARL")
        label = approved_label(db.session, suspended, admin)
        decide_on_label(
            db.session, admin, label, Decision.SUSPEND, "Plaintes", LogMailer(), date.today()
        )
        lapsed = provider_user(db.session, name="Expiré SAS")
        approved_label(db.session, lapsed, admin).valid_until = date.today() - timedelta(days=1)
        provider_user(db.session, name="Sans Label")
        db.session.commit()
        return {
            user.provider.name: (user.provider.id, user.id)
            for user in (web, shop, volunteer, waiting, suspended, lapsed)
            if user.provider
        }


def test_only_live_labelled_providers_are_listed(app: Flask, client: FlaskClient) -> None:
    """Are pending, suspended, lapsed and unlabelled providers kept out of the directory?"""
    seed_directory(app)
    assert names(client) == ["Atelier Web", "Boutique Pro", "Connecteur Anne"]
    item = client.get("/api/v1/providers").get_json()["items"][0]
    assert item["label"]["is_active"] is True and item["label"]["categories"] == ["online-presence"]
    assert [r["code"] for r in item["regions"]] == ["53"]


def test_directory_filters(app: Flask, client: FlaskClient) -> None:
    """Do region, category, kind and name filters each narrow the list?"""
    seed_directory(app)
    assert names(client, "?region=84") == ["Boutique Pro"]
    assert names(client, "?category=ecommerce") == ["Boutique Pro"]
    assert names(client, "?kind=volunteer") == ["Connecteur Anne"]
    assert names(client, "?kind=expert") == ["Atelier Web", "Boutique Pro"]
    assert names(client, "?q=atelier") == ["Atelier Web"]
    assert names(client, "?q=atelier&region=84") == []
    bad = client.get("/api/v1/providers?category=astrology&region=99")
    assert bad.status_code == 422
    assert set(bad.get_json()["errors"]["query"]) == {"category", "region"}


def test_directory_pagination_envelope(app: Flask, client: FlaskClient) -> None:
    """Does every page say where it is, and is page_size capped at 100?"""
    seed_directory(app)
    first = client.get("/api/v1/providers?page_size=2").get_json()
    assert [p["name"] for p in first["items"]] == ["Atelier Web", "Boutique Pro"]
    assert first["pagination"] == {"page": 1, "page_size": 2, "total": 3, "pages": 2}
    second = client.get("/api/v1/providers?page_size=2&page=2").get_json()
    assert [p["name"] for p in second["items"]] == ["Connecteur Anne"]
    beyond = client.get("/api/v1/providers?page_size=2&page=9").get_json()
    assert beyond["items"] == [] and beyond["pagination"]["total"] == 3
    too_big = client.get("/api/v1/providers?page_size=101")
    assert too_big.status_code == 422 and "page_size" in too_big.get_json()["errors"]["query"]
    assert client.get("/api/v1/providers?page=0").status_code == 422


def test_unlabelled_profile_is_hidden_except_from_itself_and_admins(
    app: Flask, client: FlaskClient
) -> None:
    """Who can see a provider whose label is only pending?"""
    ids = seed_directory(app)
    with app.app_context():
        admin = bearer_for(admin_user(db.session))
        company = bearer_for(company_user(db.session))
        waiting_id, waiting_user_id = ids["En Attente"]
        itself = bearer_for(db.session.get(User, waiting_user_id))
        db.session.commit()

    assert client.get(f"/api/v1/providers/{ids['Atelier Web'][0]}").status_code == 200
    hidden = f"/api/v1/providers/{waiting_id}"
    assert client.get(hidden).status_code == 404
    assert client.get(hidden, headers=company).status_code == 404
    assert client.get(hidden, headers=admin).status_code == 200
    own = client.get(hidden, headers=itself)
    assert own.status_code == 200 and own.get_json()["label"]["status"] == "pending"
    assert client.get("/api/v1/providers/999999").status_code == 404
