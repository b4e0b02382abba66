"""What every API blueprint shares: CSRF rules, security declarations, pagination."""

from __future__ import annotations

import json
from http import HTTPStatus
from typing import Any

import marshmallow as ma
from flask import Request, current_app, request, session
from flask_babel import lazy_gettext as _l
from flask_smorest import Blueprint, abort
from flask_wtf.csrf import CSRFError
from sqlalchemy import Select
from webargs import core
from webargs.flaskparser import FlaskParser

from marketplace.auth import bearer_token
from marketplace.errors import DomainError
from marketplace.extensions import csrf, db
from marketplace.schemas import MAX_PAGE_SIZE

API_PREFIX = "/api/v1"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})

# OpenAPI security requirements: either a bearer token or the browser's session cookie.
LOGGED_IN: list[dict[str, list[str]]] = [{"bearerAuth": []}, {"cookieAuth": []}]
PUBLIC: list[dict[str, list[str]]] = []


class CsrfRefused(DomainError):
    """A browser session sent an unsafe request without a valid CSRF token."""

    status_code = 400


class InvalidCredentials(DomainError):
    status_code = 401


class ApiParser(FlaskParser):
    """webargs' parser, stricter about bodies: JSON only, required, and never too deep.

    webargs reads a body of another type as "no body" (then every field is "required"), and
    lets a deeply nested document reach the JSON decoder's recursion limit (a 500).
    """

    def load_json(self, req: Request, schema: ma.Schema) -> Any:
        if not req.get_data(cache=True):
            abort(
                422,
                messages={"json": {"_schema": [str(_l("Send a JSON object in the body."))]}},
            )
        if not core.is_json(req.mimetype):
            abort(415, message=str(_l("Send the body as JSON (Content-Type: application/json).")))
        try:
            return core.parse_json(req.get_data(cache=True))
        except RecursionError:
            abort(400, messages={"json": [str(_l("The JSON body is nested too deeply."))]})
        except (json.JSONDecodeError, UnicodeDecodeError):
            abort(400, messages={"json": [str(_l("The body is not valid JSON."))]})


# What ApiParser answers before any field is read, on every operation with a JSON body.
BODY_REFUSALS = (
    HTTPStatus.BAD_REQUEST,
    HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
    HTTPStatus.UNSUPPORTED_MEDIA_TYPE,
)


class ApiBlueprint(Blueprint):
    ARGUMENTS_PARSER = ApiParser()

    def arguments(self, schema: Any, *, location: str = "json", **kwargs: Any) -> Any:
        """flask-smorest's `arguments`, which also documents how a JSON body can be refused."""
        parse = super().arguments(schema, location=location, **kwargs)
        if location != "json":
            return parse

        def decorator(view: Any) -> Any:
            view = parse(view)
            for status in BODY_REFUSALS:
                view = self.alt_response(status.value, response=status.name)(view)
            return view

        return decorator


def make_blueprint(name: str, url_prefix: str, description: str) -> Blueprint:
    """A flask-smorest blueprint under /api/v1, exempt from form CSRF but guarded as below."""
    bp = ApiBlueprint(name, __name__, url_prefix=API_PREFIX + url_prefix, description=description)
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
