"""Many companies accept at once against a small budget: the budget is never overspent.

PostgreSQL only (SQLite serialises every writer, so there is no race to lose): each thread has
its own connection and commits, like concurrent requests on several app servers.
"""

from __future__ import annotations

import threading
from datetime import date

import pytest
from flask import Flask
from sqlalchemy import func, select

from marketplace.billing.models import AllocationStatus, SubsidyAllocation, SubsidyProgramme
from marketplace.bookings.lifecycle import State
from marketplace.bookings.models import Booking
from marketplace.bookings.operations import (
    QuoteData,
    RequestData,
    SplitChanged,
    TransitionInput,
    current_split,
    fire,
    request_booking,
)
from marketplace.extensions import db
from marketplace.mail import LogMailer
from tests.factories import admin_user, company_user, programme, provider_user, published_offer

COMPANIES = 12
BUDGET = 500_000  # 5,000 €: two full awards of 2,000 €, then what remains
TODAY = date.today()


def _scenario(app: Flask) -> tuple[int, list[int]]:
    with app.app_context():
        session = db.session()
        admin = admin_user(session)
        expert = provider_user(session)
        offer = published_offer(session, expert, admin)  # 4,000 € excl. VAT: 2,000 € at 50 %
        scheme = programme(session, admin, budget_cents=BUDGET)
        bookings = []
        for n in range(COMPANIES):
            company = company_user(session, department="33", name=f"Entreprise {n}")
            booking = request_booking(session, company, offer, RequestData(), LogMailer(), TODAY)
            given = TransitionInput(quote=QuoteData(quantity=1))
            fire(session, expert, booking, "propose_quote", LogMailer(), TODAY, given)
            bookings.append(booking.id)
        session.commit()
        return scheme.id, bookings


def test_concurrent_acceptances_never_exceed_the_budget(app: Flask) -> None:
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("needs PostgreSQL (TEST_DATABASE_URL)")
    programme_id, booking_ids = _scenario(app)
    start = threading.Barrier(len(booking_ids))
    outcomes: dict[int, list[str]] = {}
    errors: list[BaseException] = []

    def accept_until_settled(booking_id: int) -> None:
        steps: list[str] = []
        try:
            with app.app_context():
                session = db.session()
                booking = session.get(Booking, booking_id)
                user = booking.requested_by
                seen = current_split(session, booking, TODAY).company_share_cents
                start.wait()
                for _attempt in range(COMPANIES + 1):
                    try:
                        given = TransitionInput(expected_company_share_cents=seen)
                        fire(session, user, booking, "accept", LogMailer(), TODAY, given)
                        session.commit()
                        steps.append("reserved")
                        return
                    except SplitChanged as changed:
                        session.rollback()
                        steps.append("budget-changed")
                        seen = changed.split.company_share_cents  # the company accepts anew
                        booking = session.get(Booking, booking_id)
                        user = booking.requested_by
        except BaseException as exc:  # reported below, with the thread's context
            errors.append(exc)
        finally:
            outcomes[booking_id] = steps

    threads = [threading.Thread(target=accept_until_settled, args=(b,)) for b in booking_ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors

    with app.app_context():
        session = db.session()
        scheme = session.get(SubsidyProgramme, programme_id)
        live = session.scalar(
            select(func.coalesce(func.sum(SubsidyAllocation.amount_cents), 0)).where(
                SubsidyAllocation.status == AllocationStatus.RESERVED
            )
        )
        agreed = session.scalar(
            select(func.count()).select_from(Booking).where(Booking.state == State.AGREED)
        )
    assert live == scheme.allocated_cents == BUDGET  # spent to the cent, never beyond
    assert agreed == COMPANIES  # everyone ended with an agreement, some without subsidy
    assert all(steps[-1] == "reserved" for steps in outcomes.values())
    # All but the first two saw 2,000 € and had to accept a recomputed split.
    assert sum("budget-changed" in steps for steps in outcomes.values()) >= COMPANIES - 2
