"""API: reviews of closed bookings — written by companies, answered by providers.

Anyone reads the visible reviews of an offer or a provider. A company member reviews a closed
booking of its company once (409 before it is closed, or twice); the provider's members reply
once (409 twice); admins hide an abusive one with a reason (409 once hidden).
"""

from __future__ import annotations

from typing import Any

from marketplace.auth import admin_required, company_required, current_actor, provider_required
from marketplace.blueprints.api.common import LOGGED_IN, PUBLIC, make_blueprint, paginate
from marketplace.bookings.operations import booking_for
from marketplace.extensions import db
from marketplace.reviews.models import Review
from marketplace.reviews.operations import (
    hide_review,
    reply_to_review,
    visible_reviews,
    write_review,
)
from marketplace.reviews.schemas import (
    HideRequestSchema,
    ReplyRequestSchema,
    ReviewPageSchema,
    ReviewQuerySchema,
    ReviewRequestSchema,
    ReviewSchema,
)

bp = make_blueprint("api_reviews", "/reviews", "Reviews: a company rates a closed booking once.")


def review_body(review: Review) -> dict[str, Any]:
    return {
        "id": review.id,
        "booking_id": review.booking_id,
        "offer_id": review.offer_id,
        "provider_id": review.provider_id,
        "company_name": review.company.name,
        "rating": review.rating,
        "comment": review.comment,
        "created_at": review.created_at,
        "reply": review.reply,
        "replied_at": review.replied_at,
        "hidden": review.hidden_at is not None,
    }


@bp.route("", methods=["GET"])
@bp.doc(security=PUBLIC)
@bp.arguments(ReviewQuerySchema, location="query")
@bp.response(200, ReviewPageSchema)
def list_reviews(args: dict[str, Any]) -> dict[str, Any]:
    """Public: the visible reviews, newest first, of one offer (`offer_id`) or provider
    (`provider_id`), or all; paginated."""
    query = visible_reviews(args.get("offer_id"), args.get("provider_id"))
    page = paginate(query, args["page"], args["page_size"])
    page["items"] = [review_body(review) for review in page["items"]]
    return page


@bp.route("", methods=["POST"])
@bp.doc(security=LOGGED_IN)
@company_required
@bp.arguments(ReviewRequestSchema)
@bp.response(201, ReviewSchema)
@bp.alt_response(401, response="UNAUTHORIZED")
@bp.alt_response(403, response="FORBIDDEN")
@bp.alt_response(404, response="NOT_FOUND")
@bp.alt_response(409, response="CONFLICT")
def post_review(args: dict[str, Any]) -> dict[str, Any]:
    """Companies: rate the provider of one of their closed bookings (1 to 5, an optional
    comment), once; 409 if it is not closed or already reviewed."""
    booking = booking_for(db.session(), current_actor(), args["booking_id"])
    review = write_review(
        db.session(), current_actor(), booking, args["rating"], args.get("comment", "")
    )
    db.session.commit()
    return review_body(review)


@bp.route("/<int:review_id>/reply", methods=["POST"])
@bp.doc(security=LOGGED_IN)
@provider_required
@bp.arguments(ReplyRequestSchema)
@bp.response(200, ReviewSchema)
@bp.alt_response(401, response="UNAUTHORIZED")
@bp.alt_response(403, response="FORBIDDEN")
@bp.alt_response(404, response="NOT_FOUND")
@bp.alt_response(409, response="CONFLICT")
def reply(args: dict[str, Any], review_id: int) -> dict[str, Any]:
    """Providers: answer a review of their own, once, in public (403 for another's)."""
    review = reply_to_review(db.session(), current_actor(), review_id, args["reply"])
    db.session.commit()
    return review_body(review)


@bp.route("/<int:review_id>/hide", methods=["POST"])
@bp.doc(security=LOGGED_IN)
@admin_required
@bp.arguments(HideRequestSchema)
@bp.response(200, ReviewSchema)
@bp.alt_response(401, response="UNAUTHORIZED")
@bp.alt_response(403, response="FORBIDDEN")
@bp.alt_response(404, response="NOT_FOUND")
@bp.alt_response(409, response="CONFLICT")
def hide(args: dict[str, Any], review_id: int) -> dict[str, Any]:
    """Admins: hide an abusive review with a reason; it leaves the offer and its rating."""
    review = hide_review(db.session(), current_actor(), review_id, args["reason"])
    db.session.commit()
    return review_body(review)
