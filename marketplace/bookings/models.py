"""A booking: a company's request for an offer, the provider's quote, the frozen agreement, the
delivery; with its history, its message thread and its delivery evidence."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    Date,
    ForeignKey,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.accounts.models import Company, Provider, User, enum_column
from marketplace.bookings.lifecycle import State
from marketplace.catalog.models import Offer
from marketplace.dbtypes import UTCDateTime, utcnow
from marketplace.extensions import Model


class Booking(Model):
    __tablename__ = "bookings"

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"), index=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("providers.id"), index=True)
    offer_id: Mapped[int] = mapped_column(ForeignKey("offers.id"), index=True)
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    state: Mapped[State] = mapped_column(enum_column(State), default=State.REQUESTED, index=True)
    state_changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    # Optimistic lock: two concurrent transitions on one booking cannot both win (tick runs on
    # several workers; a company and its provider may click at the same moment).
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    # The request
    quantity: Mapped[int] = mapped_column(Integer, default=1)
    wished_start: Mapped[date | None] = mapped_column(Date)
    wished_end: Mapped[date | None] = mapped_column(Date)
    request_message: Mapped[str] = mapped_column(Text, default="")

    # The current quote (revisions are in the history)
    quote_quantity: Mapped[int | None] = mapped_column(Integer)
    quote_unit_price_cents: Mapped[int | None] = mapped_column(BigInteger)
    quote_vat_rate_bp: Mapped[int | None] = mapped_column(Integer)
    quote_start: Mapped[date | None] = mapped_column(Date)
    quote_end: Mapped[date | None] = mapped_column(Date)
    quote_note: Mapped[str] = mapped_column(Text, default="")
    quoted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    # Frozen at acceptance: offer snapshot, quote, split, both parties (never changes after)
    agreement: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    agreed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    delivery_note: Mapped[str] = mapped_column(Text, default="")
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Why it ended (declined, cancelled, disputed, settled), shown to both parties
    reason: Mapped[str] = mapped_column(Text, default="")

    company: Mapped[Company] = relationship()
    provider: Mapped[Provider] = relationship()
    offer: Mapped[Offer] = relationship()
    requested_by: Mapped[User] = relationship()
    events: Mapped[list[BookingEvent]] = relationship(
        order_by="BookingEvent.id", back_populates="booking"
    )
    messages: Mapped[list[BookingMessage]] = relationship(order_by="BookingMessage.id")
    evidence: Mapped[list[BookingEvidence]] = relationship(order_by="BookingEvidence.id")

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        CheckConstraint("quantity >= 1", name="quantity_positive"),
        CheckConstraint("quote_quantity IS NULL OR quote_quantity >= 1", name="quote_quantity"),
        CheckConstraint(
            "quote_unit_price_cents IS NULL OR quote_unit_price_cents >= 0", name="quote_price"
        ),
    )

    @property
    def reference(self) -> str:
        return f"CC-{self.id:06d}"

    def __repr__(self) -> str:
        return f"<Booking {self.id} {self.state}>"


class BookingEvent(Model):
    """One fired transition: the status history, timestamped, with who fired it."""

    __tablename__ = "booking_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    booking_id: Mapped[int] = mapped_column(ForeignKey("bookings.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))  # None: the clock
    transition: Mapped[str] = mapped_column(String(32))
    from_state: Mapped[State | None] = mapped_column(  # None: the request
        enum_column(State, name="from_state")
    )
    to_state: Mapped[State] = mapped_column(enum_column(State, name="to_state"))
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    booking: Mapped[Booking] = relationship(back_populates="events")
    actor: Mapped[User | None] = relationship()


class BookingMessage(Model):
    __tablename__ = "booking_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    booking_id: Mapped[int] = mapped_column(ForeignKey("bookings.id"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    author: Mapped[User] = relationship()


class BookingEvidence(Model):
    """A delivery evidence file; the bytes live under the instance folder, outside the web root."""

    __tablename__ = "booking_evidence"

    id: Mapped[int] = mapped_column(primary_key=True)
    booking_id: Mapped[int] = mapped_column(ForeignKey("bookings.id"), index=True)
    uploaded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    original_name: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(64))
    size_bytes: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    storage_name: Mapped[str] = mapped_column(String(80), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
