"""Review pages: the company rates a closed booking (its form sits on the booking's page).

The provider's reply lives with its booking pages (provider_bookings), an admin's hiding with
the admin pages: each audience in its own blueprint.
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.wrappers import Response
from wtforms import RadioField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from marketplace.auth import company_required, current_actor
from marketplace.blueprints.forms import SafeForm, apply_service_errors, options
from marketplace.bookings.operations import booking_for
from marketplace.errors import Conflict, Forbidden, ValidationFailed
from marketplace.extensions import db
from marketplace.reviews.models import COMMENT_MAX, HIDE_REASON_MAX, HIDE_REASON_MIN, REPLY_MAX
from marketplace.reviews.operations import write_review

bp = Blueprint("reviews", __name__)

STARS = [(str(n), _l("%(n)d out of 5", n=n)) for n in range(5, 0, -1)]


class ReviewForm(SafeForm):
    rating = RadioField(_l("Your rating"), choices=options(STARS), validators=[InputRequired()])
    comment = TextAreaField(
        _l("Your comment (optional, shown on the offer)"),
        validators=[Optional(), Length(max=COMMENT_MAX)],
    )


class ReplyForm(SafeForm):
    reply = TextAreaField(
        _l("Your public reply"), validators=[InputRequired(), Length(max=REPLY_MAX)]
    )


class HideForm(SafeForm):
    reason = TextAreaField(
        _l("Why hide it (kept in the audit trail)"),
        validators=[InputRequired(), Length(min=HIDE_REASON_MIN, max=HIDE_REASON_MAX)],
    )


@bp.post("/bookings/<int:booking_id>/review")
@company_required
def write(booking_id: int) -> Response | tuple[str, int]:
    """Companies: rate the provider of one of their closed bookings, once."""
    from marketplace.blueprints.company import render_company_booking

    booking = booking_for(db.session(), current_actor(), booking_id)
    form = ReviewForm()
    if form.validate_on_submit() and form.rating.data:
        try:
            write_review(
                db.session(),
                current_actor(),
                booking,
                int(form.rating.data),
                form.comment.data or "",
            )
        except ValidationFailed as error:
            db.session.rollback()
            apply_service_errors(form, error)
        except (Conflict, Forbidden) as error:
            db.session.rollback()
            flash(error.message, "error")
            return redirect(url_for("company.booking", booking_id=booking_id))
        else:
            db.session.commit()
            flash(_("Thank you: your review is published on the offer."), "success")
            return redirect(url_for("company.booking", booking_id=booking_id))
    return render_company_booking(booking, 422, review_form=form)
