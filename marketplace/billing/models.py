"""A subsidy programme: who funds it, whom and what it covers, at what rate, within which caps."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    ForeignKey,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.accounts.models import enum_column
from marketplace.dbtypes import UTCDateTime, utcnow
from marketplace.extensions import Model, db
from marketplace.reference import Category, Region


class Funder(StrEnum):
    STATE = "state"
    REGION = "region"
    EU = "eu"
    OTHER = "other"


# Empty association = the programme covers every region (every category).
programme_regions = Table(
    "programme_regions",
    db.metadata,
    Column(
        "programme_id", ForeignKey("subsidy_programmes.id", ondelete="CASCADE"), primary_key=True
    ),
    Column("region_code", ForeignKey("regions.code"), primary_key=True),
)

programme_categories = Table(
    "programme_categories",
    db.metadata,
    Column(
        "programme_id", ForeignKey("subsidy_programmes.id", ondelete="CASCADE"), primary_key=True
    ),
    Column("category_code", ForeignKey("categories.code"), primary_key=True),
)


class SubsidyProgramme(Model):
    __tablename__ = "subsidy_programmes"

    id: Mapped[int] = mapped_column(primary_key=True)
    funder: Mapped[Funder] = mapped_column(enum_column(Funder))
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(160))
    description: Mapped[str] = mapped_column(Text, default="")
    # SizeBand codes (marketplace.taxonomy); empty = every size band.
    size_bands: Mapped[list[str]] = mapped_column(JSON, default=list)
    rate_bp: Mapped[int] = mapped_column(Integer)
    # None: no such cap.
    cap_per_booking_cents: Mapped[int | None] = mapped_column(BigInteger)
    cap_per_company_cents: Mapped[int | None] = mapped_column(BigInteger)
    budget_cents: Mapped[int | None] = mapped_column(BigInteger)
    valid_from: Mapped[date | None] = mapped_column(Date)  # inclusive
    valid_to: Mapped[date | None] = mapped_column(Date)  # inclusive
    de_minimis: Mapped[bool] = mapped_column(Boolean, default=False)
    stacking_order: Mapped[int] = mapped_column(Integer, default=0)
    max_aid_intensity_bp: Mapped[int | None] = mapped_column(Integer)
    # What live allocations (reserved, committed, claimed, paid) take from the budget; kept by
    # `billing.reservations` with conditional updates, and bounded by a CHECK as a safety net.
    allocated_cents: Mapped[int] = mapped_column(BigInteger, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    regions: Mapped[list[Region]] = relationship(
        secondary=programme_regions, order_by="Region.name"
    )
    categories: Mapped[list[Category]] = relationship(
        secondary=programme_categories, order_by="Category.position"
    )

    __table_args__ = (
        CheckConstraint("rate_bp >= 0 AND rate_bp <= 10000", name="rate_range"),
        CheckConstraint(
            "cap_per_booking_cents IS NULL OR cap_per_booking_cents >= 0",
            name="cap_per_booking_not_negative",
        ),
        CheckConstraint(
            "cap_per_company_cents IS NULL OR cap_per_company_cents >= 0",
            name="cap_per_company_not_negative",
        ),
        CheckConstraint("budget_cents IS NULL OR budget_cents >= 0", name="budget_not_negative"),
        CheckConstraint(
            "allocated_cents >= 0 AND (budget_cents IS NULL OR allocated_cents <= budget_cents)",
            name="allocated_within_budget",
        ),
        CheckConstraint(
            "valid_from IS NULL OR valid_to IS NULL OR valid_to >= valid_from",
            name="valid_dates_ordered",
        ),
        CheckConstraint(
            "max_aid_intensity_bp IS NULL OR "
            "(max_aid_intensity_bp >= 0 AND max_aid_intensity_bp <= 10000)",
            name="max_aid_intensity_range",
        ),
    )

    @property
    def remaining_budget_cents(self) -> int | None:
        return (
            None if self.budget_cents is None else max(0, self.budget_cents - self.allocated_cents)
        )

    @property
    def region_codes(self) -> list[str]:
        return [r.code for r in self.regions]

    @property
    def category_codes(self) -> list[str]:
        return [c.code for c in self.categories]

    def __repr__(self) -> str:
        return f"<SubsidyProgramme {self.id} {self.code!r}>"


class AllocationStatus(StrEnum):
    """A subsidy's life (DESIGN §2): reserved at agreement, committed when invoiced, claimed,
    paid; released when the booking is cancelled before invoicing."""

    RESERVED = "reserved"
    COMMITTED = "committed"
    CLAIMED = "claimed"
    PAID = "paid"
    RELEASED = "released"


LIVE_ALLOCATION = (
    AllocationStatus.RESERVED,
    AllocationStatus.COMMITTED,
    AllocationStatus.CLAIMED,
    AllocationStatus.PAID,
)


class SubsidyAllocation(Model):
    """What one programme pays for one booking; also the company's de minimis grant record."""

    __tablename__ = "subsidy_allocations"

    id: Mapped[int] = mapped_column(primary_key=True)
    booking_id: Mapped[int] = mapped_column(ForeignKey("bookings.id"), index=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("subsidy_programmes.id"), index=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"), index=True)
    amount_cents: Mapped[int] = mapped_column(BigInteger)
    de_minimis: Mapped[bool] = mapped_column(Boolean)
    status: Mapped[AllocationStatus] = mapped_column(
        enum_column(AllocationStatus), default=AllocationStatus.RESERVED, index=True
    )
    granted_on: Mapped[date] = mapped_column(Date)  # the agreement's date (de minimis window)
    reserved_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    released_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    programme: Mapped[SubsidyProgramme] = relationship()

    __table_args__ = (
        CheckConstraint("amount_cents > 0", name="amount_positive"),
        UniqueConstraint("booking_id", "programme_id", name="one_per_programme"),
    )


class DeclaredAid(Model):
    """De minimis aid the company received outside the platform, as it declares it."""

    __tablename__ = "declared_aids"

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"), index=True)
    granted_on: Mapped[date] = mapped_column(Date)
    amount_cents: Mapped[int] = mapped_column(BigInteger)
    funder: Mapped[str] = mapped_column(String(160))
    declared_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    declared_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (CheckConstraint("amount_cents > 0", name="amount_positive"),)
