"""The signed-in user's own account: details, password, API tokens."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from werkzeug.wrappers import Response

from marketplace.accounts import service, tokens
from marketplace.accounts.models import ApiToken
from marketplace.auth import login_required
from marketplace.blueprints.forms import ChangePasswordForm, TokenForm, apply_service_errors
from marketplace.errors import ValidationFailed
from marketplace.extensions import db

bp = Blueprint("account", __name__, url_prefix="/account")


def _own_tokens() -> list[ApiToken]:
    return list(
        db.session.scalars(
            select(ApiToken)
            .where(ApiToken.user_id == current_user.id, ApiToken.revoked_at.is_(None))
            .order_by(ApiToken.id.desc())
        )
    )


@bp.get("/")
@login_required
def overview() -> str:
    """Any logged-in user: their own details only."""
    return render_template(
        "account/overview.html",
        password_form=ChangePasswordForm(),
        token_form=TokenForm(),
        tokens=_own_tokens(),
    )


@bp.post("/password")
@login_required
def change_password() -> Response | tuple[str, int]:
    """Any logged-in user: change their own password."""
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            service.change_password(
                db.session(),
                current_user,
                form.current_password.data or "",
                form.new_password.data or "",
            )
        except ValidationFailed as error:
            db.session.rollback()
            apply_service_errors(form, error)
        else:
            db.session.commit()
            flash(_("Your password has been changed."), "success")
            return redirect(url_for("account.overview"))
    return render_template(
        "account/overview.html", password_form=form, token_form=TokenForm(), tokens=_own_tokens()
    ), 422


@bp.post("/tokens")
@login_required
def create_token() -> str | tuple[str, int]:
    """Any logged-in user: a personal access token for the API, shown once."""
    form = TokenForm()
    if not form.validate_on_submit():
        return render_template(
            "account/overview.html",
            password_form=ChangePasswordForm(),
            token_form=form,
            tokens=_own_tokens(),
        ), 422
    _, raw = tokens.create_token(db.session(), current_user, form.name.data or "")
    db.session.commit()
    return render_template(
        "account/overview.html",
        password_form=ChangePasswordForm(),
        token_form=TokenForm(formdata=None),
        tokens=_own_tokens(),
        new_token=raw,
    )


@bp.post("/tokens/<int:token_id>/revoke")
@login_required
def revoke_token(token_id: int) -> Response:
    """Any logged-in user, for their own tokens only."""
    token = db.session.get(ApiToken, token_id)
    if token is None or token.user_id != current_user.id:
        abort(404)
    tokens.revoke_token(db.session(), current_user, token)
    db.session.commit()
    flash(_("The token has been revoked."), "info")
    return redirect(url_for("account.overview"))
