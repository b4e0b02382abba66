"""Anonymous pages carry an ETag of their content; a revalidation that matches costs no body."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient

from marketplace.catalog.models import Offer
from marketplace.extensions import db
from tests.factories import admin_user, login, provider_user, published_offer


def an_offer(app: Flask) -> int:
    with app.app_context():
        offer = published_offer(db.session, provider_user(db.session), admin_user(db.session))
        db.session.commit()
        return offer.id


def test_an_unchanged_page_revalidates_with_a_bodiless_304(app: Flask, client: FlaskClient) -> None:
    offer_id = an_offer(app)
    first = client.get(f"/offers/{offer_id}")
    assert first.status_code == 200 and first.headers["ETag"]
    assert first.headers["Cache-Control"] == "private, no-cache"
    assert "Accept-Language" in first.headers["Vary"]
    again = client.get(f"/offers/{offer_id}", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and again.get_data() == b""


def test_a_changed_offer_gets_a_new_page_and_tag(app: Flask, client: FlaskClient) -> None:
    offer_id = an_offer(app)
    first = client.get(f"/offers/{offer_id}")
    with app.app_context():
        offer = db.session.get(Offer, offer_id)
        assert offer is not None
        offer.title = "Un tout nouveau titre"
        db.session.commit()
    again = client.get(f"/offers/{offer_id}", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 200 and "Un tout nouveau titre" in again.get_data(as_text=True)
    assert again.headers["ETag"] != first.headers["ETag"]


def test_signed_in_pages_and_errors_carry_no_etag(app: Flask, client: FlaskClient) -> None:
    offer_id = an_offer(app)
    assert "ETag" not in client.get("/offers/999999").headers  # a 404
    with app.app_context():
        user = admin_user(db.session, email="etag-admin@example.fr")
        db.session.commit()
        email = user.email
    login(client, email)
    page = client.get(f"/offers/{offer_id}")
    assert page.status_code == 200 and "ETag" not in page.headers
