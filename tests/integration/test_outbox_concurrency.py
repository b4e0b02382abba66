"""Several syncs at once (workers, inline requests): no job taken twice, none lost, no stale write.

PostgreSQL only (SQLite has a single writer): each thread has its own connection and commits,
like worker processes sharing one database.
"""

from __future__ import annotations

import threading
from collections.abc import Collection, Iterator
from datetime import date, datetime

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from marketplace.catalog.indexing import CatalogueLoader
from marketplace.catalog.models import Offer
from marketplace.extensions import db
from marketplace.search import sync
from marketplace.search.outbox import OFFER, SearchJob, enqueue
from marketplace.search.sync import Touched, check, process_outbox
from tests.factories import admin_user, provider_user, published_offer

TODAY = date.today()
LOADER = CatalogueLoader()


@pytest.fixture(autouse=True)
def _postgresql_only(app: Flask) -> None:
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("needs PostgreSQL (TEST_DATABASE_URL)")


@pytest.fixture
def small_batches(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[int, list[int]]]:
    """Batches of 7 jobs, and which jobs each thread claimed."""
    claimed: dict[int, list[int]] = {}
    original = sync.pending_jobs

    def pending_jobs(session: Session, now: datetime, limit: int = 7) -> list[SearchJob]:
        jobs = original(session, now, limit)
        claimed.setdefault(threading.get_ident(), []).extend(job.id for job in jobs)
        return jobs

    monkeypatch.setattr(sync, "pending_jobs", pending_jobs)
    yield claimed


def test_two_workers_share_the_outbox_without_doubles_or_losses(
    app: Flask, small_batches: dict[int, list[int]]
) -> None:
    """Do two workers draining the outbox at once take any job twice, or leave one behind?"""
    with app.app_context():
        for offer_id in range(1, 61):  # offers that do not exist: each job is a removal
            enqueue(db.session(), OFFER, 10_000 + offer_id)
        db.session.commit()
        all_jobs = set(db.session.scalars(select(SearchJob.id)))
    start = threading.Barrier(2)
    errors: list[BaseException] = []

    def drain() -> None:
        try:
            with app.app_context():
                start.wait()
                while True:
                    report = process_outbox(
                        db.session(), app.extensions["search"], TODAY, loader=LOADER
                    )
                    db.session.commit()
                    if not report.jobs:
                        return
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=drain) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    first, second = (small_batches.get(thread.ident or 0, []) for thread in threads)
    assert first and second, "both workers should have claimed jobs"
    assert set(first) & set(second) == set()
    assert len(first) + len(second) == len(all_jobs)
    assert set(first) | set(second) == all_jobs
    with app.app_context():
        pending = db.session.scalars(select(SearchJob).where(SearchJob.done_at.is_(None)))
        assert pending.all() == []


class PausingLoader:
    """The catalogue's loader, pausing after it has read offers (a slow first sync)."""

    def __init__(self) -> None:
        self.read = threading.Event()
        self.release = threading.Event()

    def offers(self, session: Session, offer_ids: Collection[int], today: date) -> Touched:
        facts = LOADER.offers(session, offer_ids, today)
        self.read.set()
        assert self.release.wait(timeout=30)
        return facts

    def __getattr__(self, name: str) -> object:
        return getattr(LOADER, name)


def test_a_slow_sync_never_writes_an_older_read_over_a_newer_one(app: Flask) -> None:
    """A sync reads an offer, then stalls; the offer changes and a second sync runs. Does the
    slow one's older copy end up in the index? (No: the second waits for the first.)"""
    with app.app_context():
        offer = published_offer(db.session, provider_user(db.session), admin_user(db.session))
        db.session.commit()
        offer_id = offer.id
        backend = app.extensions["search"]
        process_outbox(db.session(), backend, TODAY, loader=LOADER)  # indexed as it is
        enqueue(db.session(), OFFER, offer_id)  # then one job: the slow sync reads only it
        db.session.commit()
    slow_loader = PausingLoader()
    errors: list[BaseException] = []
    second_done = threading.Event()

    def run_sync(loader: object, done: threading.Event | None = None) -> None:
        try:
            with app.app_context():
                process_outbox(db.session(), backend, TODAY, loader=loader)  # type: ignore[arg-type]
                db.session.commit()
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)
        finally:
            if done:
                done.set()

    slow = threading.Thread(target=run_sync, args=(slow_loader,))
    slow.start()
    assert slow_loader.read.wait(timeout=30)
    with app.app_context():  # the offer changes while the slow sync holds its old copy
        changed = db.session.get(Offer, offer_id)
        assert changed is not None
        changed.title = "Boutique en ligne clés en main"
        enqueue(db.session(), OFFER, offer_id)
        db.session.commit()
    fast = threading.Thread(target=run_sync, args=(LOADER, second_done))
    fast.start()
    assert not second_done.wait(timeout=0.5), "the second sync should wait for the first"
    slow_loader.release.set()
    slow.join(timeout=30)
    fast.join(timeout=30)
    assert errors == []
    assert backend.documents()[offer_id]["title"] == "Boutique en ligne clés en main"
    with app.app_context():
        assert check(db.session(), backend, TODAY, loader=LOADER).clean
