"""API accounts: registration and personal access tokens."""

from __future__ import annotations

from typing import Any

from flask import abort, current_app
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select

from marketplace.accounts import service
from marketplace.accounts.models import ApiToken, User
from marketplace.accounts.schemas import (
    CompanyRegistrationSchema,
    NewTokenSchema,
    ProviderRegistrationSchema,
    TokenRequestSchema,
    TokenSchema,
    UserSchema,
)
from marketplace.accounts.tokens import create_token, revoke_token
from marketplace.auth import current_actor, login_required
from marketplace.blueprints.api.common import LOGGED_IN, PUBLIC, InvalidCredentials, make_blueprint
from marketplace.blueprints.auth import account_login_limit, note_failed_login, registration_limit
from marketplace.extensions import db, limiter

bp = make_blueprint("api_auth", "/auth", "Registration and API tokens.")


def _login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


def _user_data(args: dict[str, Any]) -> service.UserData:
    locale = args.get("locale") or (get_locale().language if get_locale() else "fr")
    return service.UserData(
        email=args["email"], password=args["password"], full_name=args["full_name"], locale=locale
    )


@bp.route("/register/company", methods=["POST"])
@bp.doc(security=PUBLIC)
@bp.arguments(CompanyRegistrationSchema)
@bp.response(201, UserSchema)
@bp.alt_response(409, response="CONFLICT")
@bp.alt_response(429, response="TOO_MANY_REQUESTS")
@registration_limit
def register_company(args: dict[str, Any]) -> User:
    """Public: create a company account and its first user.

    Field errors from the registration rules come back as 422 with `errors.json.<field>`; an
    email or SIREN already registered (and nothing else wrong) is a 409, reported the same way.
    """
    user = service.register_company(
        db.session(),
        _user_data(args),
        service.CompanyData(
            name=args["company_name"],
            siren=args["siren"],
            size_band=args["size_band"],
            naf_code=args["naf_code"],
            department_code=args["department_code"],
        ),
    )
    db.session.commit()
    return user


@bp.route("/register/provider", methods=["POST"])
@bp.doc(security=PUBLIC)
@bp.arguments(ProviderRegistrationSchema)
@bp.response(201, UserSchema)
@bp.alt_response(409, response="CONFLICT")
@bp.alt_response(429, response="TOO_MANY_REQUESTS")
@registration_limit
def register_provider(args: dict[str, Any]) -> User:
    """Public: create a provider (expert or volunteer advisor) account and its first user.

    Errors as for companies: 422 per field, 409 when the email or SIRET is already registered.
    """
    user = service.register_provider(
        db.session(),
        _user_data(args),
        service.ProviderData(
            name=args["provider_name"],
            siret=args["siret"],
            kind=args["kind"],
            vat_number=args["vat_number"],
            department_code=args["department_code"],
            regions=args["regions"],
            remote_ok=args["remote_ok"],
            languages=args["languages"],
            bio=args["bio"],
            website=args["website"],
        ),
    )
    db.session.commit()
    return user


@bp.route("/tokens", methods=["POST"])
@bp.doc(security=PUBLIC)
@bp.arguments(TokenRequestSchema)
@bp.response(201, NewTokenSchema)
@bp.alt_response(401, response="UNAUTHORIZED")
@bp.alt_response(429, response="TOO_MANY_REQUESTS")
@limiter.limit(_login_limit)
@account_login_limit
def create_api_token(args: dict[str, Any]) -> tuple[dict[str, Any], int, dict[str, str]]:
    """Public: exchange an email and password for a bearer token.

    Rate limited per IP, and per account on failed attempts (shared with the login page): a 429
    carries Retry-After. The plain token is in the response only: store it, it cannot be shown
    again (the response must not be cached).
    """
    user = service.authenticate(db.session(), args["email"], args["password"])
    if user is None:
        note_failed_login()
        raise InvalidCredentials(str(_l("Wrong email address or password.")))
    token, raw = create_token(db.session(), user, args["name"])
    db.session.commit()
    body = {"token": raw, **{name: getattr(token, name) for name in TokenSchema().fields}}
    return body, 201, {"Cache-Control": "no-store", "Pragma": "no-cache"}


@bp.route("/tokens", methods=["GET"])
@bp.doc(security=LOGGED_IN)
@login_required
@bp.response(200, TokenSchema(many=True))
@bp.alt_response(401, response="UNAUTHORIZED")
def list_api_tokens() -> list[ApiToken]:
    """Any logged-in user: their own unrevoked tokens, newest first, without secrets."""
    return list(
        db.session.scalars(
            select(ApiToken)
            .where(ApiToken.user_id == current_user.id, ApiToken.revoked_at.is_(None))
            .order_by(ApiToken.id.desc())
        )
    )


@bp.route("/tokens/<int:token_id>", methods=["DELETE"])
@bp.doc(security=LOGGED_IN)
@login_required
@bp.response(204)
@bp.alt_response(401, response="UNAUTHORIZED")
@bp.alt_response(404, response="NOT_FOUND")
def revoke_api_token(token_id: int) -> None:
    """Any logged-in user: revoke one of their own tokens (anyone else's is a 404)."""
    token = db.session.get(ApiToken, token_id)
    if token is None or token.user_id != current_user.id or token.revoked_at is not None:
        abort(404)
    revoke_token(db.session(), current_actor(), token)
    db.session.commit()
