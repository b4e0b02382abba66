"""What every API blueprint shares: CSRF rules, security declarations, pagination."""

from __future__ import annotations

from typing import Any

from flask import current_app, request, session
from flask_babel import lazy_gettext as _l
from flask_smorest import Blueprint
from flask_wtf.csrf import CSRFError
from sqlalchemy import Select

from marketplace.auth import bearer_token
from marketplace.errors import DomainError
from marketplace.extensions import csrf, db
from marketplace.schemas import MAX_PAGE_SIZE

API_PREFIX = "/api/v1"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})

# OpenAPI security requirements: either a bearer token or the browser's session cookie.
LOGGED_IN = [{"bearerAuth": []}, {"cookieAuth": []}]
PUBLIC: list[dict[str, list[str]]] = []


class CsrfRefused(DomainError):
    """A browser session sent an unsafe request without a valid CSRF token."""

    status_code = 400


class InvalidCredentials(DomainError):
    status_code = 401


def make_blueprint(name: str, url_prefix: str, description: str) -> Blueprint:
    """A flask-smorest blueprint under /api/v1, exempt from form CSRF but guarded as below."""
    bp = Blueprint(name, __name__, url_prefix=API_PREFIX + url_prefix, description=description)
    csrf.exempt(bp)
    bp.before_request(protect_browser_sessions)
    return bp


def protect_browser_sessions() -> None:
    """A logged-in browser session must send its CSRF token (X-CSRFToken) on unsafe methods.

    Requests carrying a bearer token are exempt: another site cannot make a browser add an
    Authorization header without a CORS preflight, which we never grant.
    """
    if (
        current_app.config.get("WTF_CSRF_ENABLED", True)
        and request.method in UNSAFE_METHODS
        and bearer_token(request) is None
        and "_user_id" in session
    ):
        try:
            csrf.protect()
        except CSRFError as error:
            raise CsrfRefused(
                str(_l("Missing or invalid CSRF token: send it in the X-CSRFToken header."))
            ) from error


def paginate(query: Select[Any], page: int, page_size: int) -> dict[str, Any]:
    """The pagination envelope every list endpoint returns: {items, pagination}."""
    result = db.paginate(
        query, page=page, per_page=page_size, max_per_page=MAX_PAGE_SIZE, error_out=False
    )
    return {
        "items": result.items,
        "pagination": {
            "page": page,
            "page_size": page_size,
            "total": result.total or 0,
            "pages": result.pages,
        },
    }
