"""Checks every page request passes before its view runs."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import abort, current_app, request

from marketplace.auth import is_api_request
from marketplace.textinput import text_problem

F = TypeVar("F", bound=Callable[..., Any])


def refuse_control_characters_in_links() -> None:
    """A page link whose query holds NUL or other control characters is a 400.

    Page views read `request.args` leniently; such characters would reach the database (where
    PostgreSQL answers NUL with a server error). The API refuses them in its schemas (422).
    """
    if is_api_request():
        return
    for key, value in request.args.items(multi=True):
        if text_problem(key, multiline=True) or text_problem(value, multiline=True):
            abort(400)


def body_limit(max_bytes: int) -> Callable[[F], F]:
    """Let the view take bodies up to `max_bytes` instead of MAX_CONTENT_LENGTH (uploads)."""

    def decorator(view: F) -> F:
        view.max_content_length = max_bytes  # type: ignore[attr-defined]
        return view

    return decorator


def apply_body_limit() -> None:
    """Raise the body limit for views marked with `body_limit`.

    It must run before anything reads the form: CSRF protection parses it in its own hook,
    before the view, and would answer a large upload with a 413 at the global limit.
    """
    view = current_app.view_functions.get(request.endpoint or "")
    limit = getattr(view, "max_content_length", None)
    if limit is not None:
        request.max_content_length = limit
