"""One place that turns domain errors and HTTP errors into pages or JSON."""

from __future__ import annotations

from http import HTTPStatus

from flask import Flask, jsonify, render_template
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import HTTPException

from marketplace.auth import is_api_request
from marketplace.errors import DomainError, ValidationFailed
from marketplace.extensions import db

MESSAGES = {
    400: _l("The request could not be understood."),
    401: _l("Log in to continue."),
    403: _l("You are not allowed to see this page."),
    404: _l("This page does not exist."),
    405: _l("This action is not allowed here."),
    409: _l("This action does not fit the current state."),
    413: _l("What you sent is too large."),
    415: _l("This type of content is not accepted here."),
    422: _l("Some information is missing or invalid."),
    429: _l("Too many attempts. Please wait a moment and try again."),
    500: _l("Something went wrong on our side. Please try again later."),
    503: _l("This service is unavailable for a moment. Please try again shortly."),
}


def _render(status: int, message: str, errors: dict | None = None, details: dict | None = None):  # type: ignore[no-untyped-def]
    if is_api_request():
        body: dict = {"code": status, "status": _status_name(status), "message": message}
        if errors:
            body["errors"] = {"json": errors}
        body.update(details or {})
        return jsonify(body), status
    return render_template("errors/error.html", status=status, message=message), status


def _status_name(status: int) -> str:
    return HTTPStatus(status).phrase


def register(app: Flask) -> None:
    @app.errorhandler(DomainError)
    def domain_error(error: DomainError):  # type: ignore[no-untyped-def]
        db.session.rollback()
        errors = error.errors if isinstance(error, ValidationFailed) else None
        return _render(error.status_code, error.message, errors, error.details())

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):  # type: ignore[no-untyped-def]
        # First of all: a failed flush leaves the session unusable, and rendering the error
        # (its locale comes from the user, read through that session) must not fail again.
        db.session.rollback()
        status = error.code or 500
        data = getattr(error, "data", None) or {}
        if is_api_request() and data.get("messages"):
            # flask-smorest/webargs validation errors: keep their per-location messages.
            return jsonify(
                {
                    "code": status,
                    "status": _status_name(status),
                    "message": str(data.get("message") or MESSAGES.get(status, "")),
                    "errors": data["messages"],
                }
            ), status
        message = str(data.get("message") or MESSAGES.get(status, error.description or ""))
        response = _render(status, message)
        headers = {
            name: value for name, value in error.get_headers() if name in ("Allow", "Retry-After")
        }
        if headers:
            body, code = response
            return body, code, headers
        return response
