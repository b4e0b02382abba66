"""Applying the outbox to the index, rebuilding it from scratch, and checking it for drift.

What an offer's document holds is not decided here: a loader built outside `search/` (the
catalogue's, see `marketplace.catalog.indexing`) reads the offers and hands over their facts.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Protocol

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from marketplace.dbtypes import utcnow
from marketplace.search.backend import SearchBackend, SearchError
from marketplace.search.documents import OfferFacts, offer_document
from marketplace.search.outbox import OFFER, PROGRAMME, PROVIDER, SearchJob

BATCH_SIZE = 500
MAX_BACKOFF = timedelta(minutes=30)
# Where the factory keeps the app's loader, beside the backend in app.extensions["search"].
LOADER_EXTENSION = "search_loader"
# The PostgreSQL advisory lock that lets one sync apply jobs at a time (any constant bigint).
SYNC_LOCK_ID = 0x5EA5C4

# Every offer a change touches, by id: its facts when it belongs in the index, None when it
# must leave it (unpublished, label lapsed…).
Touched = Mapping[int, OfferFacts | None]


class OfferLoader(Protocol):
    """Reads offers for the index; built outside `search/` and handed in by the factory."""

    def offers(self, session: Session, offer_ids: Collection[int], today: date) -> Touched:
        """These offers (ids of deleted offers are simply absent)."""
        ...

    def offers_of_providers(
        self, session: Session, provider_ids: Collection[int], today: date
    ) -> Touched:
        """Every offer of these providers."""
        ...

    def offers_of_programmes(
        self, session: Session, programme_ids: Collection[int], today: date
    ) -> Touched:
        """Every offer these subsidy programmes make eligible (or no longer)."""
        ...

    def indexable_offers(self, session: Session, today: date) -> Iterable[OfferFacts]:
        """Everything the index should hold, for a rebuild."""
        ...


@dataclass
class SyncReport:
    jobs: int = 0
    upserted: int = 0
    deleted: int = 0
    failed: int = 0
    error: str = ""


def backoff(attempts: int) -> timedelta:
    """Wait 2, 4, 8 … seconds between retries, at most half an hour."""
    return min(timedelta(seconds=2**attempts), MAX_BACKOFF)


def pending_jobs(session: Session, now: datetime, limit: int = BATCH_SIZE) -> list[SearchJob]:
    """Claim a batch of due jobs until the transaction ends (PostgreSQL: one sync at a time)."""
    query = (
        select(SearchJob)
        .where(SearchJob.done_at.is_(None), SearchJob.next_attempt_at <= now)
        .order_by(SearchJob.id)
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        # Syncs (workers, inline requests) take turns: each reads its offers, then writes them to
        # the index, so two at once could write an older read of an offer over a newer one. The
        # lock is released when the sync's transaction ends. SQLite (one machine) goes without.
        session.execute(select(func.pg_advisory_xact_lock(SYNC_LOCK_ID)))
        # Rows another transaction still holds are skipped rather than taken twice.
        query = query.with_for_update(skip_locked=True)
    return list(session.scalars(query))


def process_outbox(
    session: Session,
    backend: SearchBackend,
    today: date,
    now: datetime | None = None,
    *,
    loader: OfferLoader,
) -> SyncReport:
    """Apply one batch of pending jobs; failures are kept for a later retry, never dropped."""
    now = now or utcnow()
    jobs = pending_jobs(session, now)
    report = SyncReport(jobs=len(jobs))
    if not jobs:
        return report
    touched = touched_offers(session, loader, jobs, today)
    documents = [offer_document(facts) for facts in touched.values() if facts is not None]
    offer_ids = {job.entity_id for job in jobs if job.kind == OFFER}
    gone = (offer_ids | set(touched)) - {d["id"] for d in documents}
    try:
        if documents:
            backend.upsert(documents)
        if gone:
            backend.delete(sorted(gone))
    except SearchError as error:
        for job in jobs:
            job.attempts += 1
            job.last_error = str(error)[:2000]
            job.next_attempt_at = now + backoff(job.attempts)
        report.failed, report.error = len(jobs), str(error)
    else:
        for job in jobs:
            job.done_at = now
        report.upserted, report.deleted = len(documents), len(gone)
    session.flush()
    return report


def touched_offers(
    session: Session, loader: OfferLoader, jobs: Iterable[SearchJob], today: date
) -> dict[int, OfferFacts | None]:
    """Every offer these jobs name, directly or through their provider or programme."""
    ids: dict[str, set[int]] = {OFFER: set(), PROVIDER: set(), PROGRAMME: set()}
    for job in jobs:
        ids.setdefault(job.kind, set()).add(job.entity_id)
    touched: dict[int, OfferFacts | None] = {}
    if ids[OFFER]:
        touched.update(loader.offers(session, ids[OFFER], today))
    if ids[PROVIDER]:
        touched.update(loader.offers_of_providers(session, ids[PROVIDER], today))
    if ids[PROGRAMME]:
        touched.update(loader.offers_of_programmes(session, ids[PROGRAMME], today))
    return touched


def reindex(session: Session, backend: SearchBackend, today: date, *, loader: OfferLoader) -> int:
    """Rebuild the index from the database; pending jobs are covered by the rebuild."""
    started = utcnow()
    count = backend.rebuild(
        offer_document(facts) for facts in loader.indexable_offers(session, today)
    )
    for job in session.scalars(
        select(SearchJob).where(SearchJob.done_at.is_(None), SearchJob.created_at <= started)
    ):
        job.done_at = started
    # Jobs applied while the rebuild ran went to the index the swap replaced: apply them again.
    for job in session.scalars(select(SearchJob).where(SearchJob.done_at > started)):
        job.done_at = None
    session.flush()
    return count


@dataclass
class DriftReport:
    missing: list[int] = field(default_factory=list)  # in the database, not in the index
    stale: list[int] = field(default_factory=list)  # in both, but the index differs
    extra: list[int] = field(default_factory=list)  # in the index, not (or no longer) indexable

    @property
    def clean(self) -> bool:
        return not (self.missing or self.stale or self.extra)


def check(
    session: Session, backend: SearchBackend, today: date, *, loader: OfferLoader
) -> DriftReport:
    """Compare the index with what the database says it should hold."""
    expected = {
        doc["id"]: doc
        for doc in (offer_document(facts) for facts in loader.indexable_offers(session, today))
    }
    actual = backend.documents()
    return DriftReport(
        missing=sorted(set(expected) - set(actual)),
        stale=sorted(i for i in set(expected) & set(actual) if expected[i] != actual[i]),
        extra=sorted(set(actual) - set(expected)),
    )
