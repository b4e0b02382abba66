"""Reviews: only a closed booking, once, by its company; one reply by its provider; hidden by
an admin with a reason, and then counted nowhere."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from marketplace.audit import AuditEvent
from marketplace.bookings.lifecycle import State
from marketplace.errors import Conflict, Forbidden, ValidationFailed
from marketplace.reviews.operations import (
    can_review,
    hide_review,
    rating_of,
    ratings_of_offers,
    reply_to_review,
    visible_reviews,
    write_review,
)
from marketplace.search.outbox import SearchJob
from tests.billing_scenario import Scenario, closed_scenario
from tests.factories import company_user


def test_only_a_closed_booking_can_be_reviewed_and_only_once(session: Session) -> None:
    s = Scenario(session)
    with pytest.raises(Conflict):  # invoiced, not paid yet
        write_review(session, s.company, s.booking, 5, "")
    closed_scenario(session, s)
    assert s.booking.state == State.CLOSED and can_review(session, s.company, s.booking)
    stranger = company_user(session, name="Autre Boulangerie")
    with pytest.raises(Forbidden):
        write_review(session, stranger, s.booking, 5, "")
    with pytest.raises(Forbidden):
        write_review(session, s.expert, s.booking, 5, "")
    for bad in (0, 6, True, "5"):
        with pytest.raises(ValidationFailed):
            write_review(session, s.company, s.booking, bad, "")  # type: ignore[arg-type]
    with pytest.raises(ValidationFailed):
        write_review(session, s.company, s.booking, 4, "Bien\x07 mais")
    review = write_review(
        session, s.company, s.booking, 4, "  Site livré à temps, équipe à l'écoute.  "
    )
    assert review.comment == "Site livré à temps, équipe à l'écoute."
    assert not can_review(session, s.company, s.booking)
    with pytest.raises(Conflict):
        write_review(session, s.company, s.booking, 5, "")
    assert session.scalars(select(SearchJob).where(SearchJob.entity_id == s.booking.offer_id)).all()
    assert session.scalars(select(AuditEvent).where(AuditEvent.action == "review.written")).one()


def test_the_provider_replies_once_and_an_admin_hides_with_a_reason(session: Session) -> None:
    s = closed_scenario(session)
    review = write_review(session, s.company, s.booking, 2, "Livré avec un mois de retard.")
    assert rating_of(session, offer_id=s.booking.offer_id) == rating_of(
        session, provider_id=s.booking.provider_id
    )
    assert rating_of(session, offer_id=s.booking.offer_id).count == 1
    with pytest.raises(Forbidden):
        reply_to_review(session, s.company, review.id, "Merci")
    with pytest.raises(ValidationFailed):
        reply_to_review(session, s.expert, review.id, "   ")
    reply_to_review(session, s.expert, review.id, "Le retard venait de l'hébergeur ; désolés.")
    with pytest.raises(Conflict):
        reply_to_review(session, s.expert, review.id, "Encore")
    with pytest.raises(Forbidden):
        hide_review(session, s.expert, review.id, "Avis injuste selon nous.")
    with pytest.raises(ValidationFailed):
        hide_review(session, s.admin, review.id, "Non.")
    hide_review(session, s.admin, review.id, "Propos injurieux envers l'équipe.")
    assert rating_of(session, offer_id=s.booking.offer_id).count == 0
    assert ratings_of_offers(session, [s.booking.offer_id]) == {}
    assert session.scalars(visible_reviews(offer_id=s.booking.offer_id)).all() == []
    with pytest.raises(Conflict):
        hide_review(session, s.admin, review.id, "Propos injurieux envers l'équipe.")


def test_ratings_average_the_visible_reviews(session: Session) -> None:
    s = closed_scenario(session)
    write_review(session, s.company, s.booking, 5, "")
    rating = ratings_of_offers(session, [s.booking.offer_id])[s.booking.offer_id]
    assert (rating.average, rating.count, rating.hundredths) == (5.0, 1, 500)
