"""Reviews through the pages: the company rates a closed booking, the offer shows it, the
provider replies once, an admin hides it with a reason."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient

from marketplace.extensions import db
from tests.billing_scenario import Scenario, closed_scenario
from tests.factories import login


def as_user(app: Flask, email: str) -> FlaskClient:
    client = app.test_client()
    assert login(client, email).status_code == 302
    return client


def test_a_closed_booking_is_reviewed_replied_to_and_hidden(app: Flask) -> None:
    with app.app_context():
        s = closed_scenario(db.session())
        db.session.commit()
        booking_id, offer_id = s.booking.id, s.booking.offer_id
        company, expert, admin = s.company.email, s.expert.email, s.admin.email
    client = as_user(app, company)
    page = client.get(f"/bookings/{booking_id}").text
    assert 'id="review-form"' in page
    missing = client.post(f"/bookings/{booking_id}/review", data={"comment": "Très bien."})
    assert missing.status_code == 422 and "Très bien." in missing.text  # the comment stays
    done = client.post(
        f"/bookings/{booking_id}/review",
        data={"rating": "4", "comment": "Site livré à temps, équipe à l'écoute."},
    )
    assert done.status_code == 302
    assert 'id="review-form"' not in client.get(f"/bookings/{booking_id}").text
    again = client.post(f"/bookings/{booking_id}/review", data={"rating": "5"})
    assert again.status_code == 302  # refused with a message: reviewed once
    offer = app.test_client().get(f"/offers/{offer_id}").text
    assert "Site livré à temps" in offer and 'data-rating="4"' in offer
    assert "4/5 (1 avis)" in offer

    provider = as_user(app, expert)
    assert 'id="reply-form"' in provider.get(f"/provider/bookings/{booking_id}").text
    replied = provider.post(
        f"/provider/bookings/{booking_id}/review/reply",
        data={"reply": "Merci pour votre confiance."},
    )
    assert replied.status_code == 302
    assert 'id="reply-form"' not in provider.get(f"/provider/bookings/{booking_id}").text
    assert "Merci pour votre confiance." in app.test_client().get(f"/offers/{offer_id}").text

    moderator = as_user(app, admin)
    short = moderator.post(f"/admin/bookings/{booking_id}/review/hide", data={"reason": "Non"})
    assert short.status_code == 422
    hidden = moderator.post(
        f"/admin/bookings/{booking_id}/review/hide",
        data={"reason": "Coordonnées personnelles publiées."},
    )
    assert hidden.status_code == 302
    offer = app.test_client().get(f"/offers/{offer_id}").text
    assert "Site livré à temps" not in offer and 'id="offer-reviews"' in offer
    # Its author still sees it, with the reason.
    assert "Coordonnées personnelles publiées." in client.get(f"/bookings/{booking_id}").text


def test_no_review_before_everything_is_paid(app: Flask) -> None:
    with app.app_context():
        s = Scenario(db.session())
        db.session.commit()
        booking_id, company = s.booking.id, s.company.email
    client = as_user(app, company)
    assert 'id="review-form"' not in client.get(f"/bookings/{booking_id}").text
    refused = client.post(f"/bookings/{booking_id}/review", data={"rating": "5"})
    assert refused.status_code == 302
    assert "flash-error" in client.get(f"/bookings/{booking_id}").text


def test_a_rating_reaches_search_and_brings_the_best_rated_sort(app: Flask) -> None:
    """Before any review there is no "best rated" sort nor rating filter; after one, the
    offer's search hit shows its rating, the sort is offered and the rating filter finds it."""
    from datetime import date

    from marketplace.reviews.operations import write_review
    from marketplace.search.sync import LOADER_EXTENSION, process_outbox

    def sync() -> None:
        backend, loader = app.extensions["search"], app.extensions[LOADER_EXTENSION]
        while process_outbox(db.session(), backend, date.today(), loader=loader).jobs:
            db.session.commit()

    with app.app_context():
        s = closed_scenario(db.session())
        db.session.commit()
        sync()
        title = s.booking.offer.title
        before = app.test_client().get("/search").text
        assert 'value="rating_desc"' not in before and 'data-facet="rating"' not in before
        write_review(db.session(), s.company, s.booking, 5, "Parfait.")
        db.session.commit()
        sync()
    page = app.test_client().get("/search?sort=rating_desc").text
    assert 'value="rating_desc" selected' in page
    assert 'data-rating="500"' in page and title in page
    assert 'id="f-rating-4_plus"' in page and "4 étoiles et plus" in page
    assert title in app.test_client().get("/search?rating=4_plus").text
    assert title not in app.test_client().get("/search?rating=3_to_4").text


def test_the_provider_page_shows_its_rating_and_reviews(app: Flask) -> None:
    from marketplace.reviews.operations import write_review

    with app.app_context():
        s = closed_scenario(db.session())
        write_review(db.session(), s.company, s.booking, 3, "Correct, sans plus.")
        db.session.commit()
        provider_id = s.booking.provider_id
    page = app.test_client().get(f"/providers/{provider_id}").text
    assert "3/5 (1 avis)" in page and "Correct, sans plus." in page
