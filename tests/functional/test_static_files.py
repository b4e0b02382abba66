"""Static files: addressed by their content, kept a year by browsers, never stale."""

from __future__ import annotations

import re

from flask import Flask


def _stylesheet(app: Flask) -> str:
    page = app.test_client().get("/")
    found = re.search(r'href="(/static/style\.css\?v=([0-9a-f]{12}))"', page.text)
    assert found, "the page names the stylesheet with its version"
    return found.group(1)


def test_a_versioned_static_file_is_cached_for_a_year(app: Flask) -> None:
    response = app.test_client().get(_stylesheet(app))
    response.close()
    assert response.status_code == 200
    assert response.cache_control.public and response.cache_control.immutable
    assert response.cache_control.max_age == 365 * 24 * 3600


def test_the_version_follows_the_file_content(app: Flask) -> None:
    """The same bytes give the same address on every render; another file, another hash."""
    assert _stylesheet(app) == _stylesheet(app)
    with app.test_request_context():
        from flask import url_for

        css, icon = (
            url_for("static", filename="style.css"),
            url_for("static", filename="favicon.svg"),
        )
    assert css.split("v=")[1] != icon.split("v=")[1]


def test_an_unversioned_or_stale_address_revalidates(app: Flask) -> None:
    client = app.test_client()
    for address in ("/static/style.css", "/static/style.css?v=000000000000"):
        response = client.get(address)
        response.close()
        assert response.status_code == 200
        assert response.cache_control.no_cache and not response.cache_control.immutable
        etag = response.headers["ETag"]
        again = client.get(address, headers={"If-None-Match": etag})
        again.close()
        assert again.status_code == 304


def test_a_missing_static_file_is_a_plain_404(app: Flask) -> None:
    assert app.test_client().get("/static/nothing-here.css").status_code == 404
