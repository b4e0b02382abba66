"""Browser tests: the real app served over HTTP, driven by Debian's Chromium through Playwright.

Everything in this folder is marked `browser` and skipped, with the reason, when Chromium or the
playwright package is missing. Never run `playwright install`: the tests use /usr/bin/chromium.

The served app is its own instance (CSRF on, no SERVER_NAME) on the database the session `app`
fixture migrated, so tests that request `app` get their tables emptied afterwards as usual.
"""

from __future__ import annotations

import importlib.util
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from flask import Flask
from werkzeug.serving import make_server

from marketplace.extensions import db
from tests.conftest import make_test_app

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment
    from playwright.sync_api import Browser, Page

HERE = Path(__file__).resolve().parent
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
DEFAULT_TIMEOUT_MS = 10_000


def _skip_reason() -> str | None:
    if not CHROMIUM.exists():
        return f"browser tests need Debian's Chromium at {CHROMIUM} (apt-get install chromium)"
    if importlib.util.find_spec("playwright") is None:
        return "browser tests need the playwright package (pip install -e '.[test]')"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError as error:
        return f"playwright cannot be imported: {error}"
    return None


SKIP_REASON = _skip_reason()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark this folder's tests `browser`; skip them all when the browser cannot run."""
    for item in items:
        if not item.path.resolve().is_relative_to(HERE):
            continue
        item.add_marker(pytest.mark.browser)
        if SKIP_REASON:
            item.add_marker(pytest.mark.skip(reason=SKIP_REASON))


class BufferedResponses:
    """Read and close every response body before the server writes it.

    Werkzeug's development server skips `close()` when the browser drops a connection while
    it is finishing a request, leaving a static file open: a ResourceWarning that
    `filterwarnings = error` turns into a failure of whichever test runs next.
    """

    def __init__(self, app: WSGIApplication) -> None:
        self.app = app

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> list[bytes]:
        body = self.app(environ, start_response)
        try:
            return [b"".join(body)]
        finally:
            close = getattr(body, "close", None)
            if close is not None:
                close()


@pytest.fixture(scope="session")
def live_server(
    app: Flask, database_url: str, search_index_path: str, evidence_folder: str
) -> Iterator[str]:
    """Base URL of the app served by a real HTTP server, with the real CSRF protection.

    Depends on `app` so the migrations ran first and the tables get emptied after each test.
    """
    served = make_test_app(
        database_url,
        WTF_CSRF_ENABLED=True,
        SERVER_NAME=None,
        SEARCH_INDEX_PATH=search_index_path,
        EVIDENCE_FOLDER=evidence_folder,
    )
    server = make_server("127.0.0.1", 0, BufferedResponses(served), threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
        with served.app_context():
            db.engine.dispose()


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=DEFAULT_TIMEOUT_MS)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def page(browser: Browser, live_server: str) -> Iterator[Page]:
    """A fresh browser context (no cookies) whose relative URLs go to the live server."""
    context = browser.new_context(base_url=live_server, locale="fr-FR")
    context.set_default_timeout(DEFAULT_TIMEOUT_MS)
    try:
        yield context.new_page()
    finally:
        context.close()
