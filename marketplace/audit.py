"""The audit trail: one row for every money movement and every label decision."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from marketplace.accounts.models import User
from marketplace.dbtypes import UTCDateTime, utcnow
from marketplace.extensions import Model


class AuditEvent(Model):
    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    action: Mapped[str] = mapped_column(String(64), index=True)
    subject_type: Mapped[str] = mapped_column(String(32))
    subject_id: Mapped[int] = mapped_column()
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    actor: Mapped[User | None] = relationship()

    __table_args__ = (Index("ix_audit_events_subject", "subject_type", "subject_id"),)


def record_event(
    session: Session,
    actor: User | None,
    action: str,
    subject_type: str,
    subject_id: int,
    **data: Any,
) -> AuditEvent:
    """Append an audit event in the caller's transaction (it commits with the change)."""
    event = AuditEvent(
        actor=actor, action=action, subject_type=subject_type, subject_id=subject_id, data=data
    )
    session.add(event)
    return event
