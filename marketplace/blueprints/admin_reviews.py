"""Administrator page listing every review, to find the abusive ones among the many.

Hiding stays on the booking's admin page, where the review sits beside what happened; this
list says which reviews to open: the newest, the hidden ones with their reasons, the low
ratings.
"""

from __future__ import annotations

from flask import Blueprint, render_template, request
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import selectinload

from marketplace.auth import admin_required
from marketplace.blueprints.helpers import page_number
from marketplace.extensions import db
from marketplace.reviews.models import Review
from marketplace.reviews.operations import (
    MODERATION_VIEWS,
    moderation_counts,
    reviews_for_moderation,
)

bp = Blueprint("admin_reviews", __name__, url_prefix="/admin/reviews")

PER_PAGE = 20
VIEW_LABELS = {
    "all": _l("All reviews"),
    "visible": _l("Visible reviews"),
    "hidden": _l("Hidden reviews"),
    "low": _l("Rated 1 or 2 out of 5"),
}


@bp.get("/")
@admin_required
def reviews() -> str:
    """Admins: every review, newest first; `?show=` visible, hidden or low ratings."""
    view = request.args.get("show", "all")
    if view not in MODERATION_VIEWS:
        view = "all"
    query = reviews_for_moderation(view).options(
        selectinload(Review.offer),
        selectinload(Review.provider),
        selectinload(Review.company),
        selectinload(Review.booking),
    )
    page = db.paginate(query, page=page_number(), per_page=PER_PAGE, error_out=False)
    return render_template(
        "admin/reviews.html",
        page=page,
        view=view,
        view_labels=VIEW_LABELS,
        counts=moderation_counts(db.session()),
    )
