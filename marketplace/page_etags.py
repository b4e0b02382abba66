"""ETags on the pages anonymous visitors read (home, search, offers, providers, guides).

The tag is a hash of the page as rendered, so it can never vouch for stale content: a browser
revalidating with `If-None-Match` gets a bodiless 304 when nothing changed, and the new page as
soon as an offer, a price, a translation or anything else on it did. `private, no-cache` makes
every reuse a revalidation and keeps shared caches out (pages vary by language and session).
Signed-in pages are left alone: they hold personal data that some set `no-store` for.
"""

from __future__ import annotations

from flask import Flask, Response, request
from flask_login import current_user

PAGE_CACHE_CONTROL = "private, no-cache"


def wants_etag(response: Response) -> bool:
    return (
        request.method in ("GET", "HEAD")
        and response.status_code == 200
        and response.mimetype == "text/html"
        and not response.direct_passthrough
        and not response.is_streamed
        and "Cache-Control" not in response.headers
        and not current_user.is_authenticated
    )


def register_page_etags(app: Flask) -> None:
    @app.after_request
    def add_etag(response: Response) -> Response:
        if not wants_etag(response):
            return response
        response.add_etag()
        response.headers["Cache-Control"] = PAGE_CACHE_CONTROL
        response.vary.update(("Cookie", "Accept-Language"))
        response.make_conditional(request)  # turns itself into a 304 when the tag matches
        return response
