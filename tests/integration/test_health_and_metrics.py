"""Probes (`/healthz`, `/readyz`), request ids in responses and logs, and `/metrics`."""

from __future__ import annotations

import logging
import re
import socket
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask, request
from flask.testing import FlaskClient

from marketplace.dbtypes import utcnow
from marketplace.extensions import db
from marketplace.health import migration_heads
from marketplace.logs import RequestIdFilter, incoming_request_id
from marketplace.search.backend import SearchError
from marketplace.search.outbox import OFFER, enqueue
from tests.conftest import make_test_app


@pytest.fixture
def other_app(database_url: str, tmp_path: Path) -> Iterator[Callable[..., Flask]]:
    """Apps with other settings, on the test database (disposed of afterwards)."""
    made: list[Flask] = []

    def build(**overrides: object) -> Flask:
        app = make_test_app(
            database_url,
            SEARCH_INDEX_PATH=str(tmp_path / "index.sqlite3"),
            EVIDENCE_FOLDER=str(tmp_path / "evidence"),
            **overrides,
        )
        made.append(app)
        return app

    yield build
    for app in made:
        with app.app_context():
            db.engine.dispose()


def redis_answers() -> bool:
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=0.5).close()
    except OSError:
        return False
    return True


def test_healthz_answers_without_the_database(other_app: Callable[..., Flask]) -> None:
    app = other_app(SQLALCHEMY_DATABASE_URI="postgresql+psycopg://nobody@127.0.0.1:1/none")
    response = app.test_client().get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok"}
    assert response.headers["Cache-Control"] == "no-store"


def test_readyz_when_everything_answers(client: FlaskClient) -> None:
    response = client.get("/readyz")
    assert response.status_code == 200, response.json
    body = response.json
    assert body["status"] == "ok" and body["failing"] == []
    assert set(body["checks"]) == {"database", "migrations", "search"}  # no REDIS_URL here
    assert body["checks"]["migrations"]["current"] == body["checks"]["migrations"]["head"]
    assert body["checks"]["search"]["backend"] == "embedded"


def test_readyz_refuses_a_database_behind_the_migrations(app: Flask, client: FlaskClient) -> None:
    """A server whose code expects a newer schema than the database has is not ready."""
    shipped = migration_heads(app)
    app.extensions["migration_heads"] = {"9999"}
    try:
        response = client.get("/readyz")
    finally:
        app.extensions["migration_heads"] = shipped
    assert response.status_code == 503
    assert response.json["status"] == "unavailable"
    assert response.json["failing"] == ["migrations"]
    assert response.json["checks"]["migrations"]["head"] == ["9999"]


def test_readyz_names_an_unreachable_database(other_app: Callable[..., Flask]) -> None:
    app = other_app(SQLALCHEMY_DATABASE_URI="postgresql+psycopg://nobody@127.0.0.1:1/none")
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.json["failing"] == ["database", "migrations"]
    assert response.json["checks"]["database"]["error"] == "OperationalError"
    assert "127.0.0.1" not in response.get_data(as_text=True)  # no details for strangers


def test_readyz_names_a_failing_search_backend(app: Flask, client: FlaskClient) -> None:
    class Down:
        name = "meilisearch"

        def search(self, query: object) -> object:
            raise SearchError("connection refused")

    backend = app.extensions["search"]
    app.extensions["search"] = Down()
    try:
        response = client.get("/readyz")
    finally:
        app.extensions["search"] = backend
    assert response.status_code == 503
    assert response.json["failing"] == ["search"]


def test_readyz_checks_redis_when_it_is_configured(other_app: Callable[..., Flask]) -> None:
    down = other_app(REDIS_URL="redis://127.0.0.1:1/0").test_client().get("/readyz")
    assert down.status_code == 503 and down.json["failing"] == ["redis"]
    if not redis_answers():
        pytest.skip("no Redis on 127.0.0.1:6379")
    up = other_app(REDIS_URL="redis://127.0.0.1:6379/15").test_client().get("/readyz")
    assert up.status_code == 200, up.json
    assert up.json["checks"]["redis"]["ok"] is True


def test_every_response_carries_a_request_id(client: FlaskClient) -> None:
    generated = client.get("/healthz").headers["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", generated)
    assert client.get("/healthz").headers["X-Request-ID"] != generated
    kept = client.get("/", headers={"X-Request-ID": "edge-42.a"})
    assert kept.headers["X-Request-ID"] == "edge-42.a"
    missing = client.get("/no-such-page", headers={"X-Request-ID": "edge-43"})
    assert missing.status_code == 404 and missing.headers["X-Request-ID"] == "edge-43"


@pytest.mark.parametrize("header", ["", "a b", "x" * 129, "id\nforged: line", "é"])
def test_an_odd_request_id_is_replaced(header: str) -> None:
    assert re.fullmatch(r"[0-9a-f]{32}", incoming_request_id(header))


def test_log_lines_of_a_request_carry_its_id(app: Flask) -> None:
    record = logging.LogRecord("marketplace", logging.INFO, __file__, 1, "hello", None, None)
    with app.test_request_context("/", headers={"X-Request-ID": "req-7"}):
        app.preprocess_request()
        RequestIdFilter().filter(record)
    assert record.request_id == "req-7"  # type: ignore[attr-defined]
    outside = logging.LogRecord("marketplace", logging.INFO, __file__, 1, "hello", None, None)
    RequestIdFilter().filter(outside)
    assert outside.request_id == "-"  # type: ignore[attr-defined]


def test_metrics_are_off_by_default(client: FlaskClient) -> None:
    assert client.get("/metrics").status_code == 404


def sample(text: str, name: str, **labels: str) -> float:
    """The value of one sample in a Prometheus text exposition."""
    for line in text.splitlines():
        metric, _, value = line.rpartition(" ")
        if metric.partition("{")[0] != name:
            continue
        if all(f'{key}="{val}"' in metric for key, val in labels.items()):
            return float(value)
    raise AssertionError(f"no sample {name} {labels}")


def test_metrics_count_requests_by_route_and_report_the_outbox_lag(
    other_app: Callable[..., Flask],
) -> None:
    app = other_app(METRICS_ENABLED=True)
    client = app.test_client()
    before = client.get("/metrics").get_data(as_text=True)
    try:
        ok_before = sample(before, "http_requests_total", route="/healthz", status="200")
    except AssertionError:
        ok_before = 0.0
    for _ in range(3):
        client.get("/healthz")
    client.get("/no-such-page")
    with app.app_context():
        job = enqueue(db.session(), OFFER, 1)
        job.created_at = utcnow() - timedelta(minutes=2)
        db.session.commit()

    text = client.get("/metrics").get_data(as_text=True)

    assert sample(text, "http_requests_total", route="/healthz", status="200") == ok_before + 3
    assert sample(text, "http_requests_total", route="<unmatched>", status="404") >= 1
    assert sample(text, "http_request_duration_seconds_count", route="/healthz") >= 3
    assert sample(text, "marketplace_search_outbox_pending_jobs") == 1
    assert sample(text, "marketplace_search_outbox_lag_seconds") >= 120
    assert sample(text, "marketplace_search_outbox_retrying_jobs") == 0
    assert sample(text, "marketplace_mail_failed_messages") == 0


def test_metrics_want_the_token_when_one_is_set(other_app: Callable[..., Flask]) -> None:
    client = other_app(METRICS_ENABLED=True, METRICS_TOKEN="s3cret").test_client()
    assert client.get("/metrics").status_code == 401
    wrong = client.get("/metrics", headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401
    right = client.get("/metrics", headers={"Authorization": "Bearer s3cret"})
    assert right.status_code == 200
    assert right.content_type.startswith("text/plain")


@pytest.mark.parametrize(("hops", "seen"), [(0, "10.0.0.2"), (1, "203.0.113.9")])
def test_the_client_address_behind_a_proxy(
    other_app: Callable[..., Flask], hops: int, seen: str
) -> None:
    """Behind nginx (PROXY_COUNT=1), do per-IP limits see the client rather than the proxy?"""
    app = other_app(PROXY_COUNT=hops)
    app.add_url_rule("/_whoami", "whoami", lambda: f"{request.remote_addr} {request.scheme}")
    response = app.test_client().get(
        "/_whoami",
        headers={"X-Forwarded-For": "203.0.113.9", "X-Forwarded-Proto": "https"},
        environ_base={"REMOTE_ADDR": "10.0.0.2"},
    )
    assert response.get_data(as_text=True) == f"{seen} {'https' if hops else 'http'}"
