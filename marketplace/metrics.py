"""Prometheus metrics: requests by route and status, their latency, the worker's jobs, and the
search outbox's lag read from the database when scraped.

The metric objects are process-wide, as prometheus_client wants them. Under gunicorn each worker
process counts its own requests; with PROMETHEUS_MULTIPROC_DIR set (gunicorn.conf.py sets it when
metrics are on) they write to files there and `/metrics` adds up every process's.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator

from flask import Flask, Response, g, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from sqlalchemy import func, select

from marketplace.dbtypes import utcnow
from marketplace.extensions import db
from marketplace.mail import OutboundEmail
from marketplace.search.outbox import SearchJob

# Latency buckets for pages and API calls: 5 ms to 10 s.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
UNMATCHED_ROUTE = "<unmatched>"  # 404s: the raw path would make a label per URL tried

REQUESTS = Counter(
    "http_requests_total", "HTTP requests answered, by route and status.",
    ["method", "route", "status"],
)  # fmt: skip
REQUEST_LATENCY = Histogram(
    "http_request_duration_seconds", "Time to answer an HTTP request, by route.",
    ["method", "route"], buckets=LATENCY_BUCKETS,
)  # fmt: skip
JOB_RUNS = Counter("marketplace_worker_job_runs_total", "Background job runs, by job.", ["job"])
JOB_FAILURES = Counter(
    "marketplace_worker_job_failures_total",
    "Background job runs that raised (rolled back, retried next round), by job.",
    ["job"],
)
JOB_DURATION = Histogram(
    "marketplace_worker_job_duration_seconds", "Time a background job run took, by job.",
    ["job"], buckets=(0.01, 0.05, 0.1, 0.5, 1.0, 5.0, 15.0, 60.0, 300.0),
)  # fmt: skip
JOB_LAST_SUCCESS = Gauge(
    "marketplace_worker_job_last_success_timestamp_seconds",
    "When a background job last ran without failing (Unix time), by job.",
    ["job"], multiprocess_mode="max",
)  # fmt: skip


def multiprocess_mode() -> bool:
    return bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))


class OutboxCollector:
    """Gauges read from the database at scrape time, so every app server reports the same."""

    def __init__(self, app: Flask) -> None:
        self.app = app

    def collect(self) -> Iterator[Metric]:
        with self.app.app_context(), db.engine.connect() as connection:
            pending, oldest, retrying = connection.execute(
                select(
                    func.count(),
                    func.min(SearchJob.created_at),
                    func.count().filter(SearchJob.attempts > 0),
                ).where(SearchJob.done_at.is_(None))
            ).one()
            failed_mails = connection.execute(
                select(func.count()).where(
                    OutboundEmail.sent_at.is_(None), OutboundEmail.error != ""
                )
            ).scalar_one()
        lag = (utcnow() - oldest).total_seconds() if oldest is not None else 0.0
        yield GaugeMetricFamily(
            "marketplace_search_outbox_pending_jobs",
            "Search index jobs not applied yet.",
            value=pending,
        )
        yield GaugeMetricFamily(
            "marketplace_search_outbox_lag_seconds",
            "Age of the oldest search index job not applied yet (0 when none).",
            value=max(lag, 0.0),
        )
        yield GaugeMetricFamily(
            "marketplace_search_outbox_retrying_jobs",
            "Search index jobs that failed at least once and wait for a retry.",
            value=retrying,
        )
        yield GaugeMetricFamily(
            "marketplace_mail_failed_messages",
            "Mails the SMTP server refused (kept in the outbox, never sent).",
            value=failed_mails,
        )


def exposition(app: Flask) -> bytes:
    """Everything `/metrics` shows: every process's counters, then the database's gauges."""
    if multiprocess_mode():
        registry = CollectorRegistry()
        MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        counters = generate_latest(registry)
    else:
        counters = generate_latest(REGISTRY)
    database = CollectorRegistry(auto_describe=False)
    database.register(OutboxCollector(app))
    return counters + generate_latest(database)


def metrics_response(app: Flask) -> Response:
    return Response(exposition(app), content_type=CONTENT_TYPE_LATEST)


def register_request_metrics(app: Flask) -> None:
    """Count and time every request (only when METRICS_ENABLED: it costs a little each time)."""

    def start_timer() -> None:
        g.metrics_started = time.perf_counter()

    def record(response: Response) -> Response:
        started = g.pop("metrics_started", None)
        if started is not None:
            route = request.url_rule.rule if request.url_rule else UNMATCHED_ROUTE
            REQUEST_LATENCY.labels(request.method, route).observe(time.perf_counter() - started)
            REQUESTS.labels(request.method, route, str(response.status_code)).inc()
        return response

    app.before_request_funcs.setdefault(None, []).insert(0, start_timer)
    app.after_request(record)
