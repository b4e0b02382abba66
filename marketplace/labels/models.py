"""A label application and the history of decisions taken on it."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import BigInteger, Column, Date, ForeignKey, Integer, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace import clock
from marketplace.accounts.models import Provider, User, enum_column
from marketplace.dbtypes import UTCDateTime, utcnow
from marketplace.extensions import Model, db
from marketplace.reference import Category


class LabelStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    SUSPENDED = "suspended"
    EXPIRED = "expired"


label_categories = Table(
    "label_categories",
    db.metadata,
    Column("label_id", ForeignKey("labels.id", ondelete="CASCADE"), primary_key=True),
    Column("category_code", ForeignKey("categories.code"), primary_key=True),
)


class Label(Model):
    __tablename__ = "labels"

    id: Mapped[int] = mapped_column(primary_key=True)
    provider_id: Mapped[int] = mapped_column(
        ForeignKey("providers.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[LabelStatus] = mapped_column(
        enum_column(LabelStatus), default=LabelStatus.PENDING, index=True
    )
    # Evidence
    similar_projects_turnover_cents: Mapped[int] = mapped_column(BigInteger, default=0)
    certifications: Mapped[str] = mapped_column(Text, default="")
    sworn_statement_at: Mapped[datetime] = mapped_column(UTCDateTime)
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # Decision
    valid_until: Mapped[date | None] = mapped_column(Date)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    provider: Mapped[Provider] = relationship(back_populates="labels")
    submitted_by: Mapped[User | None] = relationship()
    categories: Mapped[list[Category]] = relationship(
        secondary=label_categories, order_by="Category.position"
    )
    references: Mapped[list[LabelReference]] = relationship(
        back_populates="label", order_by="LabelReference.position", cascade="all, delete-orphan"
    )
    decisions: Mapped[list[LabelDecision]] = relationship(
        back_populates="label", order_by="LabelDecision.id", cascade="all, delete-orphan"
    )

    @property
    def is_active(self) -> bool:
        """Approved and within its validity date, even before the expiry sweep has run."""
        return self.status == LabelStatus.APPROVED and (
            self.valid_until is None or self.valid_until >= clock.today()
        )

    @property
    def category_codes(self) -> list[str]:
        return [c.code for c in self.categories]


class LabelReference(Model):
    """A client project the provider cites as evidence."""

    __tablename__ = "label_references"

    id: Mapped[int] = mapped_column(primary_key=True)
    label_id: Mapped[int] = mapped_column(ForeignKey("labels.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    client_name: Mapped[str] = mapped_column(String(160))
    description: Mapped[str] = mapped_column(Text)
    year: Mapped[int] = mapped_column(Integer)
    contact_email: Mapped[str] = mapped_column(String(254), default="")

    label: Mapped[Label] = relationship(back_populates="references")


class LabelDecision(Model):
    """One status change of a label: who, when, why (the system itself for expiry)."""

    __tablename__ = "label_decisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    label_id: Mapped[int] = mapped_column(ForeignKey("labels.id", ondelete="CASCADE"), index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    from_status: Mapped[LabelStatus] = mapped_column(enum_column(LabelStatus, name="from_status"))
    to_status: Mapped[LabelStatus] = mapped_column(enum_column(LabelStatus, name="to_status"))
    reason: Mapped[str] = mapped_column(Text)
    valid_until: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    label: Mapped[Label] = relationship(back_populates="decisions")
    actor: Mapped[User | None] = relationship()
