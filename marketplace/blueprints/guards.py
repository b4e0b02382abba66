"""Checks every page request passes before its view runs."""

from __future__ import annotations

from flask import abort, request

from marketplace.auth import is_api_request
from marketplace.textinput import text_problem


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
