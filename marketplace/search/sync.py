"""Applying the outbox to the index, rebuilding it from scratch, and checking it for drift."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from marketplace.catalog.indexing import indexable, offer_facts, offers_of, offers_to_index
from marketplace.dbtypes import utcnow
from marketplace.search.backend import SearchBackend, SearchError
from marketplace.search.documents import offer_document
from marketplace.search.outbox import OFFER, PROVIDER, SearchJob

BATCH_SIZE = 500
MAX_BACKOFF = timedelta(minutes=30)


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
    query = (
        select(SearchJob)
        .where(SearchJob.done_at.is_(None), SearchJob.next_attempt_at <= now)
        .order_by(SearchJob.id)
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        # Several workers can sync at once without taking the same jobs.
        query = query.with_for_update(skip_locked=True)
    return list(session.scalars(query))


def process_outbox(
    session: Session, backend: SearchBackend, today: date, now: datetime | None = None
) -> SyncReport:
    """Apply one batch of pending jobs; failures are kept for a later retry, never dropped."""
    now = now or utcnow()
    jobs = pending_jobs(session, now)
    report = SyncReport(jobs=len(jobs))
    if not jobs:
        return report
    offer_ids = {job.entity_id for job in jobs if job.kind == OFFER}
    provider_ids = {job.entity_id for job in jobs if job.kind == PROVIDER}
    offers = offers_of(session, offer_ids, provider_ids)
    documents = [offer_document(offer_facts(o)) for o in offers if indexable(o, today)]
    gone = (offer_ids | {o.id for o in offers}) - {d["id"] for d in documents}
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


def reindex(session: Session, backend: SearchBackend, today: date) -> int:
    """Rebuild the index from the database; pending jobs are covered by the rebuild."""
    started = utcnow()
    count = backend.rebuild(offer_document(offer_facts(o)) for o in offers_to_index(session, today))
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


def check(session: Session, backend: SearchBackend, today: date) -> DriftReport:
    """Compare the index with what the database says it should hold."""
    expected = {
        doc["id"]: doc
        for doc in (offer_document(offer_facts(o)) for o in offers_to_index(session, today))
    }
    actual = backend.documents()
    return DriftReport(
        missing=sorted(set(expected) - set(actual)),
        stale=sorted(i for i in set(expected) & set(actual) if expected[i] != actual[i]),
        extra=sorted(set(actual) - set(expected)),
    )
