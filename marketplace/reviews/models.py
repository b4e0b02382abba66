"""A company's review of a closed booking, the provider's reply, an admin's hiding."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, SmallInteger, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.accounts.models import Company, Provider, User
from marketplace.bookings.models import Booking
from marketplace.catalog.models import Offer
from marketplace.dbtypes import UTCDateTime, utcnow
from marketplace.extensions import Model

RATING_MIN, RATING_MAX = 1, 5
COMMENT_MAX = 2000
REPLY_MAX = 2000
HIDE_REASON_MIN, HIDE_REASON_MAX = 10, 500


class Review(Model):
    __tablename__ = "reviews"

    id: Mapped[int] = mapped_column(primary_key=True)
    booking_id: Mapped[int] = mapped_column(ForeignKey("bookings.id"), unique=True)
    offer_id: Mapped[int] = mapped_column(ForeignKey("offers.id"), index=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("providers.id"), index=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    rating: Mapped[int] = mapped_column(SmallInteger)
    comment: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    reply: Mapped[str] = mapped_column(Text, default="")
    replied_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    replied_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    hidden_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    hidden_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    hidden_reason: Mapped[str] = mapped_column(Text, default="")

    booking: Mapped[Booking] = relationship()
    company: Mapped[Company] = relationship()
    offer: Mapped[Offer] = relationship()
    provider: Mapped[Provider] = relationship()
    author: Mapped[User] = relationship(foreign_keys=[author_id])

    __table_args__ = (
        CheckConstraint(f"rating BETWEEN {RATING_MIN} AND {RATING_MAX}", name="rating_in_range"),
        CheckConstraint("(replied_at IS NULL) = (reply = '')", name="reply_dated"),
        CheckConstraint("hidden_at IS NULL OR hidden_reason <> ''", name="hiding_has_reason"),
    )

    @property
    def is_visible(self) -> bool:
        return self.hidden_at is None

    def __repr__(self) -> str:
        return f"<Review {self.id} booking={self.booking_id} {self.rating}/5>"
