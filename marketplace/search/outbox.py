"""The search outbox: a row per change to index, written in the same transaction as the change.

A crash between the change and its indexing loses nothing: the row stays until a sync applies
it. Jobs only name what changed; the sync reads the current state, so replaying is harmless.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, Session, mapped_column

from marketplace.dbtypes import UTCDateTime, utcnow
from marketplace.extensions import Model

OFFER = "offer"
PROVIDER = "provider"  # all the provider's offers (name, kind or label changed)
PROGRAMME = "programme"  # all the offers a subsidy programme makes eligible (keyed by its id)
KINDS = (OFFER, PROVIDER, PROGRAMME)


class SearchJob(Model):
    __tablename__ = "search_jobs"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    entity_id: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    last_error: Mapped[str] = mapped_column(Text, default="")
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


def enqueue(session: Session, kind: str, entity_id: int) -> SearchJob:
    """Record that this offer (or every offer of this provider or programme) must be re-indexed."""
    if kind not in KINDS:
        raise ValueError(f"unknown search job kind {kind!r}")
    job = SearchJob(kind=kind, entity_id=entity_id)
    session.add(job)
    return job
