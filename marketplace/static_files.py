"""Static files addressed by their content, so browsers keep them for a year.

`url_for("static", filename=…)` adds `?v=` and a hash of the file's bytes: a page always names
the version it was rendered with, and a changed file gets a new address. A request carrying the
current hash is cached for a year as immutable; any other (no `v`, an old one) must revalidate
with the ETag Flask sends, so nobody keeps a stale stylesheet.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path
from typing import Any

from flask import Flask, Response, request
from werkzeug.security import safe_join

ONE_YEAR = 365 * 24 * 3600


def register_static_versions(app: Flask) -> None:
    assert app.static_folder is not None
    folder = app.static_folder

    def file_version(filename: str) -> str | None:
        path = safe_join(folder, filename)
        if path is None or not Path(path).is_file():
            return None
        return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:12]

    # Files change only with a release (and a restart), except while developing.
    version = file_version if app.debug else lru_cache(maxsize=256)(file_version)

    @app.url_defaults
    def add_version(endpoint: str, values: dict[str, Any]) -> None:
        if endpoint != "static" or "filename" not in values or "v" in values:
            return
        if found := version(values["filename"]):
            values["v"] = found

    @app.after_request
    def cache_static(response: Response) -> Response:
        if request.endpoint != "static" or response.status_code not in (200, 304):
            return response
        filename = (request.view_args or {}).get("filename", "")
        if request.args.get("v") and request.args.get("v") == version(filename):
            response.cache_control.public = True
            response.cache_control.max_age = ONE_YEAR
            response.cache_control.immutable = True
        else:
            response.cache_control.max_age = None
            response.cache_control.no_cache = True
        return response
