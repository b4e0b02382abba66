"""An offer: what a provider sells (or gives, for volunteers), at what price, where and how."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    Column,
    ForeignKey,
    Integer,
    String,
    Table,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.accounts.models import Provider, enum_column
from marketplace.dbtypes import UTCDateTime, utcnow
from marketplace.extensions import Model, db
from marketplace.reference import Category, Region


class OfferStatus(StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    ARCHIVED = "archived"


class PricingUnit(StrEnum):
    FIXED = "fixed"
    PER_DAY = "per_day"
    PER_HOUR = "per_hour"
    PER_MONTH = "per_month"
    PER_SESSION = "per_session"


class DeliveryMode(StrEnum):
    REMOTE = "remote"
    ON_SITE = "on_site"
    HYBRID = "hybrid"


offer_needs = Table(
    "offer_needs",
    db.metadata,
    Column("offer_id", ForeignKey("offers.id", ondelete="CASCADE"), primary_key=True),
    Column("category_code", ForeignKey("categories.code"), primary_key=True),
)

offer_regions = Table(
    "offer_regions",
    db.metadata,
    Column("offer_id", ForeignKey("offers.id", ondelete="CASCADE"), primary_key=True),
    Column("region_code", ForeignKey("regions.code"), primary_key=True),
)


class Offer(Model):
    __tablename__ = "offers"

    id: Mapped[int] = mapped_column(primary_key=True)
    provider_id: Mapped[int] = mapped_column(
        ForeignKey("providers.id", ondelete="CASCADE"), index=True
    )
    title: Mapped[str] = mapped_column(String(120))
    summary: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    category_code: Mapped[str] = mapped_column(ForeignKey("categories.code"), index=True)
    price_excl_vat_cents: Mapped[int] = mapped_column(BigInteger)
    vat_rate_bp: Mapped[int] = mapped_column(Integer, default=2000)
    pricing_unit: Mapped[PricingUnit] = mapped_column(enum_column(PricingUnit))
    duration_days: Mapped[int | None] = mapped_column(Integer)
    delivery_mode: Mapped[DeliveryMode] = mapped_column(enum_column(DeliveryMode))
    languages: Mapped[list[str]] = mapped_column(JSON, default=lambda: ["fr"])
    status: Mapped[OfferStatus] = mapped_column(
        enum_column(OfferStatus), default=OfferStatus.DRAFT, index=True
    )
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Why an administrator took the offer off the catalogue; cleared when it is published again.
    unpublished_reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    provider: Mapped[Provider] = relationship()
    category: Mapped[Category] = relationship()
    needs: Mapped[list[Category]] = relationship(
        secondary=offer_needs, order_by="Category.position"
    )
    regions: Mapped[list[Region]] = relationship(secondary=offer_regions, order_by="Region.name")

    __table_args__ = (
        CheckConstraint("price_excl_vat_cents >= 0", name="price_not_negative"),
        CheckConstraint("vat_rate_bp >= 0 AND vat_rate_bp <= 10000", name="vat_rate_range"),
        CheckConstraint("duration_days IS NULL OR duration_days > 0", name="duration_positive"),
    )

    @property
    def need_codes(self) -> list[str]:
        return [c.code for c in self.needs]

    @property
    def region_codes(self) -> list[str]:
        return [r.code for r in self.regions]

    @property
    def is_free(self) -> bool:
        return self.price_excl_vat_cents == 0

    @property
    def is_per_unit(self) -> bool:
        """Per day, hour, month or session: booked and quoted by quantity (a fixed price is
        for one)."""
        return PricingUnit(self.pricing_unit) != PricingUnit.FIXED

    def __repr__(self) -> str:
        return f"<Offer {self.id} {self.title!r} {self.status}>"
