"""Writing, answering and hiding reviews, and the ratings offers and providers show.

Only a closed booking (everything paid) can be reviewed, once, by a member of its company; the
provider's members may reply once; an admin may hide an abusive review with a reason (it then
counts nowhere, and the author still sees it with that reason). Text goes through the same
cleaning as every other input. Each change re-indexes the offer, whose rating search shows.

Functions flush and never commit.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, case, func, select
from sqlalchemy.orm import Session

from marketplace.accounts.models import User
from marketplace.audit import record_event
from marketplace.bookings.lifecycle import State
from marketplace.bookings.models import Booking
from marketplace.dbtypes import utcnow
from marketplace.errors import Conflict, Forbidden, NotFound, ValidationFailed
from marketplace.reviews.models import (
    COMMENT_MAX,
    HIDE_REASON_MAX,
    HIDE_REASON_MIN,
    RATING_MAX,
    RATING_MIN,
    REPLY_MAX,
    Review,
)
from marketplace.search.outbox import OFFER, enqueue
from marketplace.textinput import UnsafeText, clean_text


@dataclass(frozen=True)
class Rating:
    """The average of the visible reviews (0 and 0 without any)."""

    average: float
    count: int

    @property
    def hundredths(self) -> int:
        """As search indexes it: 4.5 stars is 450."""
        return round(self.average * 100)


def _text(field: str, value: str, maximum: int, minimum: int = 0) -> str:
    try:
        text = clean_text(value.strip(), multiline=True)
    except UnsafeText as error:
        raise ValidationFailed({field: [str(error.message)]}) from error
    if not minimum <= len(text) <= maximum:
        message = (
            _l("At most %(max)d characters.", max=maximum)
            if len(text) > maximum
            else _l("Give a reason of %(min)d to %(max)d characters.", min=minimum, max=maximum)
        )
        raise ValidationFailed({field: [str(message)]})
    return text


def review_of_booking(session: Session, booking_id: int) -> Review | None:
    return session.scalar(select(Review).where(Review.booking_id == booking_id))


def can_review(session: Session, actor: User, booking: Booking) -> bool:
    """Whether the page offers this company member to review the booking."""
    return (
        actor.company is not None
        and actor.company.id == booking.company_id
        and booking.state == State.CLOSED
        and review_of_booking(session, booking.id) is None
    )


def write_review(
    session: Session, actor: User, booking: Booking, rating: int, comment: str
) -> Review:
    """A member of the booking's company rates it, once it is closed, and only once."""
    if actor.company is None or actor.company.id != booking.company_id:
        raise Forbidden(str(_l("Only the company's members can review its bookings.")))
    if booking.state != State.CLOSED:
        raise Conflict(str(_l("A booking can be reviewed once everything is paid.")))
    if review_of_booking(session, booking.id) is not None:
        raise Conflict(str(_l("This booking has already been reviewed.")))
    if isinstance(rating, bool) or not isinstance(rating, int):
        raise ValidationFailed({"rating": [str(_l("Choose a rating from 1 to 5."))]})
    if not RATING_MIN <= rating <= RATING_MAX:
        raise ValidationFailed({"rating": [str(_l("Choose a rating from 1 to 5."))]})
    review = Review(
        booking_id=booking.id,
        offer_id=booking.offer_id,
        provider_id=booking.provider_id,
        company_id=booking.company_id,
        author_id=actor.id,
        rating=rating,
        comment=_text("comment", comment, COMMENT_MAX),
    )
    session.add(review)
    session.flush()
    record_event(session, actor, "review.written", "booking", booking.id, rating=rating)
    enqueue(session, OFFER, booking.offer_id)
    return review


def _review(session: Session, review_id: int) -> Review:
    review = session.get(Review, review_id)
    if review is None:
        raise NotFound(str(_l("No such review.")))
    return review


def reply_to_review(session: Session, actor: User, review_id: int, reply: str) -> Review:
    """A member of the reviewed provider answers, once."""
    review = _review(session, review_id)
    if actor.provider is None or actor.provider.id != review.provider_id:
        raise Forbidden(str(_l("Only the reviewed provider can reply.")))
    if review.replied_at is not None:
        raise Conflict(str(_l("This review already has a reply.")))
    review.reply = _text("reply", reply, REPLY_MAX, 1)
    review.replied_at = utcnow()
    review.replied_by_id = actor.id
    session.flush()
    record_event(session, actor, "review.replied", "booking", review.booking_id)
    return review


def hide_review(session: Session, actor: User, review_id: int, reason: str) -> Review:
    """An admin hides an abusive review: it leaves the ratings; the reason is kept."""
    if not actor.is_admin:
        raise Forbidden(str(_l("Only administrators can hide a review.")))
    review = _review(session, review_id)
    if review.hidden_at is not None:
        raise Conflict(str(_l("This review is already hidden.")))
    review.hidden_reason = _text("reason", reason, HIDE_REASON_MAX, HIDE_REASON_MIN)
    review.hidden_at = utcnow()
    review.hidden_by_id = actor.id
    session.flush()
    record_event(
        session, actor, "review.hidden", "booking", review.booking_id, reason=review.hidden_reason
    )
    enqueue(session, OFFER, review.offer_id)
    return review


def visible_reviews(offer_id: int | None = None, provider_id: int | None = None) -> Select[Review]:
    """Visible reviews, newest first, of one offer or one provider."""
    query = select(Review).where(Review.hidden_at.is_(None))
    if offer_id is not None:
        query = query.where(Review.offer_id == offer_id)
    if provider_id is not None:
        query = query.where(Review.provider_id == provider_id)
    return query.order_by(Review.created_at.desc(), Review.id.desc())


# The admins' review list: every review, the visible ones, the hidden ones, or the low ratings
# (1 or 2 out of 5) where complaints, and abuse, are most often found.
MODERATION_VIEWS = ("all", "visible", "hidden", "low")
LOW_RATING = 2


def reviews_for_moderation(view: str = "all") -> Select[Review]:
    """Reviews newest first, as the admins' list shows them (see MODERATION_VIEWS)."""
    query = select(Review)
    if view == "visible":
        query = query.where(Review.hidden_at.is_(None))
    elif view == "hidden":
        query = query.where(Review.hidden_at.is_not(None))
    elif view == "low":
        query = query.where(Review.rating <= LOW_RATING)
    return query.order_by(Review.created_at.desc(), Review.id.desc())


def moderation_counts(session: Session) -> dict[str, int]:
    """How many reviews each view of the admins' list holds."""
    total, hidden, low = session.execute(
        select(
            func.count(),
            func.count(Review.hidden_at),
            func.coalesce(func.sum(case((Review.rating <= LOW_RATING, 1), else_=0)), 0),
        )
    ).one()
    return {"all": total, "visible": total - hidden, "hidden": hidden, "low": int(low)}


def rating_of(
    session: Session, *, offer_id: int | None = None, provider_id: int | None = None
) -> Rating:
    query = select(func.avg(Review.rating), func.count()).where(Review.hidden_at.is_(None))
    if offer_id is not None:
        query = query.where(Review.offer_id == offer_id)
    if provider_id is not None:
        query = query.where(Review.provider_id == provider_id)
    average, count = session.execute(query).one()
    return Rating(round(float(average or 0), 1), int(count))


def ratings_of_offers(session: Session, offer_ids: list[int]) -> dict[int, Rating]:
    """Every offer's rating in one query (search indexes them by batch)."""
    if not offer_ids:
        return {}
    rows = session.execute(
        select(Review.offer_id, func.avg(Review.rating), func.count())
        .where(Review.hidden_at.is_(None), Review.offer_id.in_(offer_ids))
        .group_by(Review.offer_id)
    ).all()
    return {offer_id: Rating(round(float(avg), 1), int(n)) for offer_id, avg, n in rows}
