"""The reviews API: public reading, a company's one review of a closed booking, the
provider's one reply, an admin's hiding."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient

from marketplace.extensions import db
from tests.billing_scenario import closed_scenario
from tests.factories import bearer_for


def test_review_reply_hide_through_the_api(app: Flask, client: FlaskClient) -> None:
    with app.app_context():
        s = closed_scenario(db.session())
        booking_id, offer_id = s.booking.id, s.booking.offer_id
        company, expert, admin = bearer_for(s.company), bearer_for(s.expert), bearer_for(s.admin)
        db.session.commit()
    body = {"booking_id": booking_id, "rating": 4, "comment": "Très bien."}
    assert client.post("/api/v1/reviews", json=body, headers=expert).status_code == 403
    for bad in ({**body, "rating": 6}, {**body, "rating": "4"}, {**body, "extra": 1}):
        assert client.post("/api/v1/reviews", json=bad, headers=company).status_code == 422
    made = client.post("/api/v1/reviews", json=body, headers=company)
    assert made.status_code == 201
    review_id = made.get_json()["id"]
    assert client.post("/api/v1/reviews", json=body, headers=company).status_code == 409

    listed = client.get(f"/api/v1/reviews?offer_id={offer_id}").get_json()
    assert [r["rating"] for r in listed["items"]] == [4] and listed["items"][0]["reply"] == ""
    reply = {"reply": "Merci !"}
    assert (
        client.post(f"/api/v1/reviews/{review_id}/reply", json=reply, headers=expert).status_code
        == 200
    )
    assert (
        client.post(f"/api/v1/reviews/{review_id}/reply", json=reply, headers=expert).status_code
        == 409
    )
    reason = {"reason": "Données personnelles publiées."}
    assert (
        client.post(f"/api/v1/reviews/{review_id}/hide", json=reason, headers=expert).status_code
        == 403
    )
    hidden = client.post(f"/api/v1/reviews/{review_id}/hide", json=reason, headers=admin)
    assert hidden.status_code == 200 and hidden.get_json()["hidden"] is True
    assert client.get(f"/api/v1/reviews?offer_id={offer_id}").get_json()["items"] == []
    assert client.post("/api/v1/reviews/999999/hide", json=reason, headers=admin).status_code == 404
