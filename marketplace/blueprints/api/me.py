"""API: who is calling."""

from __future__ import annotations

from marketplace.accounts.models import User
from marketplace.accounts.schemas import UserSchema
from marketplace.auth import current_actor, login_required
from marketplace.blueprints.api.common import LOGGED_IN, make_blueprint

bp = make_blueprint("api_me", "/me", "The calling user.")


@bp.route("", methods=["GET"])
@bp.doc(security=LOGGED_IN)
@login_required
@bp.response(200, UserSchema)
@bp.alt_response(401, response="UNAUTHORIZED")
def me() -> User:
    """Any logged-in user (cookie or token): themselves, with their company or provider."""
    return current_actor()
