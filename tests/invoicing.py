"""Bookings ready to invoice, reached through the real booking services (shared by the invoice
tests and benchmark)."""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from marketplace.accounts.models import User
from marketplace.bookings.models import Booking
from marketplace.bookings.operations import (
    QuoteData,
    RequestData,
    TransitionInput,
    current_split,
    fire,
    request_booking,
)
from marketplace.catalog.models import Offer
from marketplace.mail import LogMailer

MAILER = LogMailer()


def agreed_booking(
    session: Session,
    company: User,
    provider: User,
    offer: Offer,
    today: date,
    quantity: int = 1,
    **quote: object,
) -> Booking:
    """Requested, quoted (the offer's price unless `unit_price_cents` is given), accepted."""
    booking = request_booking(
        session, company, offer, RequestData(quantity=quantity), MAILER, today
    )
    given = TransitionInput(quote=QuoteData(quantity=quantity, **quote))  # type: ignore[arg-type]
    fire(session, provider, booking, "propose_quote", MAILER, today, given)
    split = current_split(session, booking, today)
    assert split is not None
    accept = TransitionInput(expected_company_share_cents=split.company_share_cents)
    return fire(session, company, booking, "accept", MAILER, today, accept)


def confirmed_booking(
    session: Session,
    company: User,
    provider: User,
    offer: Offer,
    today: date,
    quantity: int = 1,
    **quote: object,
) -> Booking:
    """An agreed booking, delivered by the provider and confirmed by the company."""
    booking = agreed_booking(session, company, provider, offer, today, quantity, **quote)
    delivered = TransitionInput(delivery_note="Site livré et mis en ligne.")
    fire(session, provider, booking, "mark_delivered", MAILER, today, delivered)
    return fire(session, company, booking, "confirm", MAILER, today)
