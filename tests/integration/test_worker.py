"""`flask --app wsgi worker`: every background job in one process that stops cleanly."""

from __future__ import annotations

import io
import json
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

from flask import Flask
from prometheus_client import REGISTRY
from sqlalchemy import select

from marketplace.bookings.lifecycle import State
from marketplace.bookings.models import Booking
from marketplace.dbtypes import utcnow
from marketplace.extensions import db
from marketplace.labels.models import Label, LabelStatus
from marketplace.logs import RequestIdFilter, json_formatter
from marketplace.mail import LogMailer
from marketplace.search.outbox import OFFER, SearchJob, enqueue
from marketplace.worker import Job, Worker, jobs_from_config
from tests.factories import (
    admin_user,
    approved_label,
    company_user,
    provider_user,
    published_offer,
)

ROOT = Path(__file__).resolve().parents[2]


def due_work(app: Flask) -> tuple[int, int, int]:
    """A published offer not indexed yet, a request unanswered for a week, a lapsed label."""
    from marketplace.bookings.operations import RequestData, request_booking

    with app.app_context():
        admin = admin_user(db.session)
        provider = provider_user(db.session)
        offer = published_offer(db.session, provider, admin)
        booking = request_booking(
            db.session, company_user(db.session), offer, RequestData(), LogMailer(), date.today()
        )
        booking.state_changed_at = utcnow() - timedelta(days=8)
        label = approved_label(db.session, provider_user(db.session, name="Ancien"), admin)
        label.valid_until = date.today() - timedelta(days=1)
        db.session.commit()
        return offer.id, booking.id, label.id


def test_worker_once_runs_every_job(app: Flask) -> None:
    """Does one round index the outbox, fire the booking timers and expire lapsed labels?"""
    offer_id, booking_id, label_id = due_work(app)

    result = app.test_cli_runner().invoke(args=["worker", "--once"])

    assert result.exit_code == 0, result.output
    with app.app_context():
        pending = db.session.scalars(select(SearchJob).where(SearchJob.done_at.is_(None)))
        assert pending.all() == []
        assert db.session.get(Booking, booking_id).state == State.EXPIRED
        assert db.session.get(Label, label_id).status == LabelStatus.EXPIRED
    assert offer_id in app.extensions["search"].documents()


def test_intervals_come_from_the_settings(app: Flask) -> None:
    intervals = {job.name: job.interval for job in jobs_from_config(app)}
    assert intervals == {
        "search-sync": 5.0,
        "bookings-tick": 60.0,
        "label-expiry": 3600.0,
        "programme-calendar": 3600.0,
    }


def failures(job: str) -> float:
    value = REGISTRY.get_sample_value("marketplace_worker_job_failures_total", {"job": job})
    return value or 0.0


def test_a_failing_job_is_rolled_back_and_the_others_still_run(app: Flask) -> None:
    """Does one job raising lose the others' work, or leave its own half done? (No.)"""
    ran: list[str] = []

    def broken(app: Flask, stopping: Callable[[], bool]) -> str:
        enqueue(db.session(), OFFER, 1)  # written, then the job fails before committing
        raise RuntimeError("boom")

    def healthy(app: Flask, stopping: Callable[[], bool]) -> str:
        ran.append("healthy")
        return ""

    before = failures("broken")
    worker = Worker(app, [Job("broken", 1, broken), Job("healthy", 1, healthy)])
    assert worker.run_once() is False
    assert ran == ["healthy"]
    assert failures("broken") == before + 1
    with app.app_context():
        assert db.session.scalars(select(SearchJob)).all() == []


def test_a_stop_during_a_job_lets_it_finish_then_leaves(app: Flask) -> None:
    """SIGTERM mid-job (simulated): does the job complete and commit, and no other job start?"""
    ran: list[str] = []
    worker: Worker

    def long_job(app: Flask, stopping: Callable[[], bool]) -> str:
        worker.stop()  # the signal arrives while the job works
        enqueue(db.session(), OFFER, 42)
        db.session.commit()
        ran.append("long")
        return "done"

    def next_job(app: Flask, stopping: Callable[[], bool]) -> str:
        ran.append("next")
        return ""

    worker = Worker(app, [Job("long", 60, long_job), Job("next", 60, next_job)])
    worker.run_forever()  # returns: the stop was honoured
    assert ran == ["long"]
    with app.app_context():
        assert [job.entity_id for job in db.session.scalars(select(SearchJob))] == [42]


def test_a_stop_while_the_worker_sleeps_wakes_it_at_once(app: Flask) -> None:
    """The next job is a minute away: does stop() end the wait instead of the minute?"""
    slept = threading.Event()
    worker = Worker(app, [Job("hourly", 60, lambda app, stopping: slept.set() or "")])
    stopper = threading.Thread(target=lambda: slept.wait(30) and worker.stop())
    stopper.start()
    started = time.monotonic()
    worker.run_forever()
    stopper.join()
    assert slept.is_set()
    assert time.monotonic() - started < 30  # woken by the stop, well before the 60 s wait


def test_job_log_lines_carry_an_id_of_their_run(app: Flask) -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(json_formatter())
    handler.addFilter(RequestIdFilter())
    logger = logging.getLogger("marketplace.worker")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        worker = Worker(app, [Job("report", 1, lambda app, stopping: "3 things done")])
        assert worker.run_once()
    finally:
        logger.removeHandler(handler)
        logger.setLevel(logging.NOTSET)
    line = json.loads(stream.getvalue().splitlines()[-1])
    assert line["message"] == "worker: report: 3 things done"
    assert line["request_id"].startswith("report-") and line["job"] == "report"
    assert line["level"] == "INFO" and "duration_ms" in line


def read_until(stream: io.TextIOBase, needle: str, seen: list[str], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = stream.readline()
        if not line:
            return False
        seen.append(line)
        if needle in line:
            return True
    return False


def test_sigterm_stops_the_worker_cleanly(app: Flask, database_url: str, tmp_path: Path) -> None:
    """A real process: does SIGTERM make it finish, log JSON lines and exit 0?"""
    offer_id, _, _ = due_work(app)
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "SECRET_KEY": "worker-test",
        "SEARCH_INDEX_PATH": str(tmp_path / "index.sqlite3"),
        "EVIDENCE_FOLDER": str(tmp_path / "evidence"),
        "WORKER_SEARCH_SYNC_INTERVAL": "0.2",
        "LOG_FORMAT": "json",
        "MAIL_SERVER": "",
    }
    seen: list[str] = []
    with subprocess.Popen(  # leaving the block closes the pipe, even after a failure
        [sys.executable, "-m", "flask", "--app", "wsgi", "worker"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    ) as process:
        try:
            assert process.stdout is not None
            started = read_until(process.stdout, "worker: search-sync", seen, timeout=60)
            assert started, "".join(seen)
            process.send_signal(signal.SIGTERM)
            out, _ = process.communicate(timeout=30)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
    seen += out.splitlines(keepends=True)
    assert process.returncode == 0, "".join(seen)
    lines = [json.loads(line) for line in seen if line.strip()]  # every line is one JSON object
    messages = [line["message"] for line in lines]
    assert messages[-1] == "worker: stopped (SIGTERM)"
    sync = next(line for line in lines if line["message"].startswith("worker: search-sync"))
    assert sync["request_id"].startswith("search-sync-")
    with app.app_context():
        assert db.session.scalars(select(SearchJob).where(SearchJob.done_at.is_(None))).all() == []
    assert offer_id
