"""Readiness checks: can this process serve? The database answers and is migrated to the head
revision, Redis answers when REDIS_URL is set, and the search backend answers a query.

Each check returns a `Check`; failures say what failed in a few words (the full error goes to
the log, not to whoever asked). `/readyz` (marketplace.blueprints.health) serves them.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from alembic.script import ScriptDirectory
from flask import Flask
from sqlalchemy import text

from marketplace.extensions import db
from marketplace.search.query import SearchQuery

log = logging.getLogger(__name__)
REDIS_TIMEOUT = 2.0  # seconds: a probe must answer before the orchestrator gives up on it


@dataclass
class Check:
    ok: bool
    detail: dict[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {"ok": self.ok, **self.detail}


def _timed(name: str, probe: Callable[[], dict[str, Any]]) -> Check:
    started = time.perf_counter()
    try:
        detail = probe()
    except Exception as error:  # any failure means "not ready"; say which kind, log the rest
        log.warning("readiness check %s failed", name, exc_info=True)
        detail, ok = {"error": f"{type(error).__name__}"}, False
    else:
        ok = not detail.pop("failed", False)
    detail["ms"] = round((time.perf_counter() - started) * 1000, 1)
    return Check(ok, detail)


def migration_heads(app: Flask) -> set[str]:
    """The head revisions of the migrations this code ships (read once per process)."""
    heads = app.extensions.get("migration_heads")
    if heads is None:
        directory = app.extensions["migrate"].directory
        heads = set(ScriptDirectory(directory).get_heads())
        app.extensions["migration_heads"] = heads
    return heads


def database_checks(app: Flask) -> dict[str, Check]:
    """The database answers, and its schema is at the migrations' head."""

    def database() -> dict[str, Any]:
        with db.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        return {}

    def migrations() -> dict[str, Any]:
        # Alembic's own table, read directly: its MigrationContext logs two lines per probe.
        with db.engine.connect() as connection:
            current = set(connection.scalars(text("SELECT version_num FROM alembic_version")))
        heads = migration_heads(app)
        return {"current": sorted(current), "head": sorted(heads), "failed": current != heads}

    checks = {"database": _timed("database", database)}
    if checks["database"].ok:
        checks["migrations"] = _timed("migrations", migrations)
    else:
        checks["migrations"] = Check(False, {"error": "database unreachable"})
    return checks


def redis_client(app: Flask) -> Any:
    """A Redis client for REDIS_URL, built once per app (short timeouts: it is for probes)."""
    client = app.extensions.get("health_redis")
    if client is None:
        import redis

        client = redis.Redis.from_url(
            app.config["REDIS_URL"],
            socket_timeout=REDIS_TIMEOUT,
            socket_connect_timeout=REDIS_TIMEOUT,
        )
        app.extensions["health_redis"] = client
    return client


def redis_check(app: Flask) -> Check:
    def ping() -> dict[str, Any]:
        redis_client(app).ping()
        return {}

    return _timed("redis", ping)


def search_check(app: Flask) -> Check:
    backend = app.extensions["search"]

    def query() -> dict[str, Any]:
        backend.search(SearchQuery(per_page=1, facets=()))
        return {"backend": backend.name}

    return _timed("search", query)


def readiness(app: Flask) -> dict[str, Check]:
    """Every check that applies to this configuration, by name."""
    checks = database_checks(app)
    if app.config.get("REDIS_URL"):
        checks["redis"] = redis_check(app)
    checks["search"] = search_check(app)
    return checks
