"""Reserving subsidies at agreement, and releasing them, without ever overspending (DESIGN §3.5).

Three guards, from the strongest to the safety net:
1. `lock_for_acceptance` locks the company row (its caps and de minimis headroom) and the rows of
   the programmes that can pay (`SELECT … FOR UPDATE` on PostgreSQL; SQLite takes its database
   write lock), so the split recomputed afterwards sees every earlier reservation.
2. `reserve` raises each programme's `allocated_cents` with a conditional update that only
   succeeds while it stays within the budget.
3. A CHECK on `subsidy_programmes` refuses `allocated_cents > budget_cents` whatever the code does.

Functions flush and never commit; a `BudgetExhausted` leaves changes the caller must roll back
(bookings fire transitions inside a savepoint for that).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from marketplace.accounts.models import Company, User
from marketplace.audit import record_event
from marketplace.billing.models import AllocationStatus, SubsidyAllocation, SubsidyProgramme
from marketplace.billing.split import Split
from marketplace.dbtypes import utcnow
from marketplace.errors import Conflict
from marketplace.search.outbox import PROGRAMME, enqueue


class BudgetExhausted(Conflict):
    """A programme's budget no longer covers the award (only reachable without row locks)."""

    def __init__(self, programme: SubsidyProgramme) -> None:
        super().__init__(str(_l("The budget of %(name)s is exhausted.", name=programme.name)))
        self.programme = programme


def lock_for_acceptance(
    session: Session, company: Company, programme_codes: Iterable[str]
) -> list[SubsidyProgramme]:
    """Lock the company and these programmes (in id order: no deadlocks) and reload them."""
    if session.get_bind().dialect.name == "sqlite":
        # No row locks: a write takes SQLite's database lock until commit, serialising writers.
        session.execute(update(Company).where(Company.id == company.id).values(id=Company.id))
    session.execute(select(Company.id).where(Company.id == company.id).with_for_update()).all()
    codes = sorted(set(programme_codes))
    if not codes:
        return []
    query = (
        select(SubsidyProgramme)
        .where(SubsidyProgramme.code.in_(codes))
        .order_by(SubsidyProgramme.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return list(session.scalars(query))


def _reindex_if_best_case_moved(
    session: Session, programme: SubsidyProgramme, low_point: int | None
) -> None:
    """Queue the programme's offers for re-indexing when its budget bounds an award.

    Search stores each offer's best case (its best subsidy rate, its price after subsidies):
    it moves only while what remains of the budget is below what one booking could get, so a
    large envelope does not re-index its offers at every acceptance.
    """
    if low_point is None:
        return
    cap = programme.cap_per_booking_cents
    if cap is None or low_point < cap:
        enqueue(session, PROGRAMME, programme.id)


def reserve(
    session: Session, actor: User, booking_id: int, company: Company, split: Split, on: date
) -> list[SubsidyAllocation]:
    """One reserved allocation per subsidised line of the split, taken from each budget."""
    allocations = []
    for line in split.subsidised_lines:
        programme = session.scalars(
            select(SubsidyProgramme).where(SubsidyProgramme.code == line.programme_code)
        ).one()
        taken = session.execute(
            update(SubsidyProgramme)
            .where(SubsidyProgramme.id == programme.id)
            .where(
                or_(
                    SubsidyProgramme.budget_cents.is_(None),
                    SubsidyProgramme.allocated_cents + line.amount_cents
                    <= SubsidyProgramme.budget_cents,
                )
            )
            .values(allocated_cents=SubsidyProgramme.allocated_cents + line.amount_cents)
            .execution_options(synchronize_session=False)
        )
        if taken.rowcount != 1:  # type: ignore[attr-defined]
            raise BudgetExhausted(programme)
        session.expire(programme, ["allocated_cents"])
        _reindex_if_best_case_moved(session, programme, programme.remaining_budget_cents)
        allocation = SubsidyAllocation(
            booking_id=booking_id,
            programme_id=programme.id,
            company_id=company.id,
            amount_cents=line.amount_cents,
            de_minimis=line.de_minimis,
            granted_on=on,
        )
        session.add(allocation)
        session.flush()
        record_event(
            session,
            actor,
            "subsidy.reserved",
            "allocation",
            allocation.id,
            booking_id=booking_id,
            programme=programme.code,
            company_id=company.id,
            amount_cents=line.amount_cents,
        )
        allocations.append(allocation)
    session.flush()
    return allocations


def release(session: Session, actor: User | None, booking_id: int) -> list[SubsidyAllocation]:
    """Give back every reserved allocation of the booking to its programme's budget."""
    allocations = session.scalars(
        select(SubsidyAllocation)
        .where(SubsidyAllocation.booking_id == booking_id)
        .where(SubsidyAllocation.status == AllocationStatus.RESERVED)
        .order_by(SubsidyAllocation.programme_id)
    ).all()
    for allocation in allocations:
        session.execute(
            update(SubsidyProgramme)
            .where(SubsidyProgramme.id == allocation.programme_id)
            .values(allocated_cents=SubsidyProgramme.allocated_cents - allocation.amount_cents)
            .execution_options(synchronize_session=False)
        )
        session.expire(allocation.programme, ["allocated_cents"])
        before = allocation.programme.remaining_budget_cents
        if before is not None:  # what remained before this release gave the amount back
            before -= allocation.amount_cents
        _reindex_if_best_case_moved(session, allocation.programme, before)
        allocation.status = AllocationStatus.RELEASED
        allocation.released_at = utcnow()
        record_event(
            session,
            actor,
            "subsidy.released",
            "allocation",
            allocation.id,
            booking_id=booking_id,
            programme=allocation.programme.code,
            company_id=allocation.company_id,
            amount_cents=allocation.amount_cents,
        )
    session.flush()
    return list(allocations)
