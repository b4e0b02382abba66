"""The background worker: every periodic job in one process (`flask --app wsgi worker`).

Jobs, each on its own interval (WORKER_*_INTERVAL seconds):
- `bookings-tick`: fires the booking timers that are due (expiries, silent confirmations);
- `label-expiry`: expires labels past their validity date;
- `programme-calendar`: queues the offers of programmes that opened or closed by their dates;
- `card-refunds`: sends the card refunds Stripe did not take at once (with Stripe only);
- `search-sync`: applies the search outbox to the index, batch after batch.

Each run has its own app context and transaction, commits once per unit of work, and logs under
an id of its own. Several worker processes may run at once: the database decides who does what
(PostgreSQL: search syncs take turns and skip claimed jobs, each booking moves under a version
check, each lapsed label is locked by the sweep expiring it). On SQLite, run one worker.

SIGTERM or SIGINT stops the worker between two jobs (or two outbox batches): the current one
finishes and commits, then it exits 0.
"""

from __future__ import annotations

import contextlib
import logging
import os
import select
import signal
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from types import FrameType

from flask import Flask

from marketplace import clock
from marketplace.billing.invoices import invoice_terms
from marketplace.billing.payments import send_pending_card_refunds
from marketplace.billing.programmes import requeue_on_calendar
from marketplace.bookings.operations import tick
from marketplace.dbtypes import utcnow
from marketplace.extensions import db
from marketplace.labels.operations import expire_lapsed_labels
from marketplace.logs import bound_request_id, new_request_id
from marketplace.metrics import JOB_DURATION, JOB_FAILURES, JOB_LAST_SUCCESS, JOB_RUNS
from marketplace.search.sync import LOADER_EXTENSION, process_outbox

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Job:
    name: str
    interval: float  # seconds from the end of one run to the start of the next
    # Runs inside an app context; commits its own work; returns a one-line summary ("" when
    # there was nothing to do). It may check `stopping()` between units of work.
    run: Callable[[Flask, Callable[[], bool]], str]


def sync_search(app: Flask, stopping: Callable[[], bool]) -> str:
    """Apply outbox batches until none is left, one fails (kept for a retry) or we stop."""
    backend, loader = app.extensions["search"], app.extensions[LOADER_EXTENSION]
    jobs = upserted = deleted = 0
    while not stopping():
        report = process_outbox(db.session(), backend, clock.today(), loader=loader)
        db.session.commit()
        jobs, upserted, deleted = (
            jobs + report.jobs,
            upserted + report.upserted,
            deleted + report.deleted,
        )
        if report.failed:
            raise RuntimeError(f"search index refused {report.failed} job(s): {report.error}")
        if not report.jobs:
            break
    return f"{jobs} job(s): {upserted} indexed, {deleted} removed" if jobs else ""


def tick_bookings(app: Flask, stopping: Callable[[], bool]) -> str:
    fired = tick(db.session(), app.extensions["mailer"], utcnow(), invoice_terms(app.config))
    db.session.commit()
    return f"{len(fired)} transition(s) fired" if fired else ""


def expire_labels(app: Flask, stopping: Callable[[], bool]) -> str:
    lapsed = expire_lapsed_labels(db.session(), app.extensions["mailer"], clock.today())
    db.session.commit()
    return f"{len(lapsed)} label(s) expired" if lapsed else ""


def requeue_programmes(app: Flask, stopping: Callable[[], bool]) -> str:
    queued = requeue_on_calendar(db.session(), clock.today())
    db.session.commit()
    return f"{len(queued)} programme(s) opened or closed: offers queued" if queued else ""


def send_card_refunds(app: Flask, stopping: Callable[[], bool]) -> str:
    """Each refund's idempotency key makes a second sender (another worker) harmless."""
    sent, left = send_pending_card_refunds(db.session(), app.extensions["payments"], clock.today())
    if left:
        raise RuntimeError(f"{sent} card refund(s) sent, {left} left for the next run")
    return f"{sent} card refund(s) sent" if sent else ""


def jobs_from_config(app: Flask) -> list[Job]:
    """The jobs, the search sync last: a round leaves the index with what the others changed."""
    config = app.config
    return [
        Job("bookings-tick", float(config["WORKER_BOOKINGS_TICK_INTERVAL"]), tick_bookings),
        Job("label-expiry", float(config["WORKER_LABEL_EXPIRY_INTERVAL"]), expire_labels),
        Job(
            "programme-calendar",
            float(config["WORKER_PROGRAMME_CALENDAR_INTERVAL"]),
            requeue_programmes,
        ),
        *(
            [Job("card-refunds", float(config["WORKER_CARD_REFUNDS_INTERVAL"]), send_card_refunds)]
            if app.extensions.get("payments") is not None
            else []
        ),
        Job("search-sync", float(config["WORKER_SEARCH_SYNC_INTERVAL"]), sync_search),
    ]


class Worker:
    """Runs jobs when they are due, one at a time, until told to stop."""

    def __init__(
        self, app: Flask, jobs: Sequence[Job], clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.app, self.jobs, self.clock = app, list(jobs), clock
        # A flag and a self-pipe rather than a threading.Event: the signal handler runs on the
        # main thread between two bytecodes, possibly while Event.wait holds the Event's lock,
        # and Event.set would then wait for that lock forever. Writing to a pipe takes no lock.
        self._stopped = False
        self._wake: tuple[int, int] | None = None  # (read, write) ends while run_forever runs
        self._due = {job.name: 0.0 for job in self.jobs}  # every job runs at start
        self.signal: str | None = None  # the signal that stopped us, if one did

    def stop(self, signum: int | None = None, frame: FrameType | None = None) -> None:
        """Finish the current job, then leave (the SIGTERM and SIGINT handler: no logging and no
        locks here, the interrupted code may hold them)."""
        if signum is not None and self.signal is None:
            self.signal = signal.Signals(signum).name
        self._stopped = True
        if self._wake is not None:
            # OSError: the pipe is full (the sleeper is woken already) or closed (it has left)
            with contextlib.suppress(OSError):
                os.write(self._wake[1], b"!")

    def stopping(self) -> bool:
        return self._stopped

    def run_job(self, job: Job) -> bool:
        """One run of `job` in its own app context; False when it failed (rolled back, logged)."""
        started = time.perf_counter()
        with bound_request_id(f"{job.name}-{new_request_id()[:12]}"), self.app.app_context():
            try:
                summary = job.run(self.app, self.stopping)
            except Exception:
                db.session.rollback()
                JOB_FAILURES.labels(job.name).inc()
                log.exception("worker: %s failed; it runs again in %ss", job.name, job.interval)
                return False
            finally:
                elapsed = time.perf_counter() - started
                JOB_RUNS.labels(job.name).inc()
                JOB_DURATION.labels(job.name).observe(elapsed)
            JOB_LAST_SUCCESS.labels(job.name).set(time.time())
            if summary:
                log.info(
                    "worker: %s: %s", job.name, summary,
                    extra={"job": job.name, "duration_ms": round(elapsed * 1000, 1)},
                )  # fmt: skip
            return True

    def run_once(self) -> bool:
        """Every job once, in order; True when none failed."""
        results = [self.run_job(job) for job in self.jobs if not self.stopping()]
        return all(results)

    def run_forever(self) -> None:
        """Run each job when due until stopped; a failing job waits for its next turn."""
        log.info(
            "worker: started (%s)",
            ", ".join(f"{job.name} every {job.interval:g}s" for job in self.jobs),
        )
        read_end, write_end = self._wake = os.pipe()
        os.set_blocking(write_end, False)
        try:
            while not self.stopping():
                for job in self.jobs:
                    if self.stopping():
                        break
                    if self._due[job.name] <= self.clock():
                        self.run_job(job)
                        self._due[job.name] = self.clock() + job.interval
                wait = min(self._due.values()) - self.clock()
                if wait > 0 and not self.stopping():
                    select.select([read_end], [], [], wait)  # until the next job, or stop()
        finally:
            self._wake = None
            os.close(read_end)
            os.close(write_end)
        log.info("worker: stopped" + (f" ({self.signal})" if self.signal else ""))


def install_signal_handlers(worker: Worker) -> None:
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, worker.stop)


def serve_metrics(port: int) -> None:
    """The worker's own /metrics (job runs, failures, durations) on this port."""
    from prometheus_client import start_http_server

    start_http_server(port)
    log.info("worker: metrics on port %s", port)
