"""Where one programme's budget went: the funder's figures, computed in the database.

A booking is *helped* by a programme once its subsidy is committed (the booking is invoiced)
or further along (claimed, paid); a reservation on an agreement not yet invoiced is counted as
reserved money but not as help given, and a released one (a cancelled agreement, a refused
claim) counts nowhere. Averages round down to the cent.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from statistics import median
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from marketplace.accounts.models import Company
from marketplace.billing.claim_models import ClaimStatus, SubsidyClaim
from marketplace.billing.invoice_models import Invoice, InvoiceSubsidy
from marketplace.billing.models import AllocationStatus, SubsidyAllocation, SubsidyProgramme
from marketplace.bookings.models import Booking
from marketplace.catalog.models import Offer
from marketplace.reference import Department, Region
from marketplace.taxonomy import CATEGORY_LABELS, SIZE_BAND_LABELS, SizeBand

HELPED = (AllocationStatus.COMMITTED, AllocationStatus.CLAIMED, AllocationStatus.PAID)


@dataclass(frozen=True)
class Breakdown:
    key: str
    label: str
    bookings: int
    companies: int
    subsidy_cents: int

    @property
    def chart(self) -> tuple[str, int]:
        return self.label, self.subsidy_cents


@dataclass(frozen=True)
class ProgrammeStats:
    programme_id: int
    budget_cents: int | None  # None: no budget cap
    remaining_cents: int | None
    reserved_cents: int
    committed_cents: int
    claimed_cents: int
    paid_cents: int
    released_cents: int
    bookings_helped: int
    companies_helped: int
    average_subsidy_cents: int  # per booking helped
    average_company_share_cents: int  # what the company still paid, per invoice helped
    days_to_payment_median: float | None  # from the booking's request to the funder's payment
    days_to_payment_average: float | None
    by_region: Sequence[Breakdown]
    by_category: Sequence[Breakdown]
    by_size: Sequence[Breakdown]

    @property
    def allocated_cents(self) -> int:
        return self.reserved_cents + self.committed_cents + self.claimed_cents + self.paid_cents


def _breakdown(
    session: Session, programme_id: int, key: Any, labels: Callable[[Any], str]
) -> list[Breakdown]:
    """The help given, grouped by `key` (a column of the company, its region or the offer)."""
    rows = session.execute(
        select(
            key,
            func.count(func.distinct(SubsidyAllocation.booking_id)),
            func.count(func.distinct(SubsidyAllocation.company_id)),
            func.coalesce(func.sum(SubsidyAllocation.amount_cents), 0),
        )
        .select_from(SubsidyAllocation)
        .join(Booking, Booking.id == SubsidyAllocation.booking_id)
        .join(Company, Company.id == SubsidyAllocation.company_id)
        .join(Offer, Offer.id == Booking.offer_id)
        .join(Department, Department.code == Company.department_code)
        .where(SubsidyAllocation.programme_id == programme_id)
        .where(SubsidyAllocation.status.in_(HELPED))
        .group_by(key)
    ).all()
    found = [
        Breakdown(str(code), labels(code), int(bookings), int(companies), int(cents))
        for code, bookings, companies, cents in rows
    ]
    return sorted(found, key=lambda row: (-row.subsidy_cents, row.label))


def programme_stats(session: Session, programme: SubsidyProgramme) -> ProgrammeStats:
    by_status = dict(
        session.execute(
            select(
                SubsidyAllocation.status, func.coalesce(func.sum(SubsidyAllocation.amount_cents), 0)
            )
            .where(SubsidyAllocation.programme_id == programme.id)
            .group_by(SubsidyAllocation.status)
        ).all()
    )
    cents = {status: int(by_status.get(status, 0)) for status in AllocationStatus}
    bookings, companies = session.execute(
        select(
            func.count(func.distinct(SubsidyAllocation.booking_id)),
            func.count(func.distinct(SubsidyAllocation.company_id)),
        ).where(
            SubsidyAllocation.programme_id == programme.id,
            SubsidyAllocation.status.in_(HELPED),
        )
    ).one()
    helped = sum(cents[status] for status in HELPED)
    shares = session.execute(
        select(func.count(), func.coalesce(func.sum(Invoice.company_share_cents), 0))
        .select_from(Invoice)
        .where(
            Invoice.id.in_(
                select(InvoiceSubsidy.invoice_id)
                .join(SubsidyAllocation, SubsidyAllocation.id == InvoiceSubsidy.allocation_id)
                .where(
                    InvoiceSubsidy.programme_id == programme.id,
                    SubsidyAllocation.status.in_(HELPED),
                )
            )
        )
    ).one()
    days = [
        (paid_on - requested.date()).days
        for paid_on, requested in session.execute(
            select(SubsidyClaim.paid_on, Booking.created_at)
            .join(Booking, Booking.id == SubsidyClaim.booking_id)
            .where(
                SubsidyClaim.programme_id == programme.id,
                SubsidyClaim.status == ClaimStatus.PAID,
            )
        ).all()
        if isinstance(paid_on, date)
    ]
    region_names = dict(session.execute(select(Region.code, Region.name)).all())
    return ProgrammeStats(
        programme_id=programme.id,
        budget_cents=programme.budget_cents,
        remaining_cents=programme.remaining_budget_cents,
        reserved_cents=cents[AllocationStatus.RESERVED],
        committed_cents=cents[AllocationStatus.COMMITTED],
        claimed_cents=cents[AllocationStatus.CLAIMED],
        paid_cents=cents[AllocationStatus.PAID],
        released_cents=cents[AllocationStatus.RELEASED],
        bookings_helped=int(bookings),
        companies_helped=int(companies),
        average_subsidy_cents=helped // bookings if bookings else 0,
        average_company_share_cents=int(shares[1]) // int(shares[0]) if shares[0] else 0,
        days_to_payment_median=float(median(days)) if days else None,
        days_to_payment_average=round(sum(days) / len(days), 1) if days else None,
        by_region=_breakdown(
            session,
            programme.id,
            Department.region_code,
            lambda code: str(region_names.get(code, code)),
        ),
        by_category=_breakdown(
            session,
            programme.id,
            Offer.category_code,
            lambda code: str(CATEGORY_LABELS.get(code, code)),
        ),
        by_size=_breakdown(
            session,
            programme.id,
            Company.size_band,
            lambda band: str(SIZE_BAND_LABELS.get(SizeBand(band), band)),
        ),
    )
