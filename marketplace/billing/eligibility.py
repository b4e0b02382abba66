"""Am I eligible? The programmes open to a company known only by its size band and department
(a visitor without an account), and an example split on an offer.

The visitor has used nothing yet: no programme counts anything against its caps per company,
and no de minimis aid is declared (it is not asked). The rules are the split engine's: a
programme applies to the company when `split.ineligibility` finds nothing wrong but the offer.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from marketplace.billing.models import SubsidyProgramme
from marketplace.billing.quotes import best_case_programmes, offer_line, offer_split_facts
from marketplace.billing.split import (
    BookingLine,
    CompanyFacts,
    Ineligibility,
    OfferFacts,
    ProgrammeFacts,
    Split,
    compute_split,
    ineligibility,
    stacking_key,
)
from marketplace.catalog.models import Offer
from marketplace.geo import DEPARTMENT_BY_CODE
from marketplace.taxonomy import SizeBand

# The reasons that depend on the company and the date; the others depend on the offer.
COMPANY_REASONS = frozenset(
    {
        Ineligibility.NOT_YET_OPEN,
        Ineligibility.CLOSED,
        Ineligibility.REGION,
        Ineligibility.DEPARTMENT,
        Ineligibility.SIZE_BAND,
    }
)
# Any paid offer of a labelled provider: what the company-only check is run against.
_ANY_PAID_OFFER = OfferFacts(category="", price_excl_vat_cents=1, provider_kind="expert")
_ANY_LINE = BookingLine(unit_price_excl_vat_cents=1, quantity=1, vat_rate_bp=0)


def visitor_company(size_band: str, department: str) -> CompanyFacts:
    """The facts a visitor gives: its size band and department (the region follows from it)."""
    if size_band not in {band.value for band in SizeBand}:
        raise ValueError(f"unknown size band {size_band!r}")
    if department not in DEPARTMENT_BY_CODE:
        raise ValueError(f"unknown department {department!r}")
    return CompanyFacts(
        size_band=size_band,
        region=DEPARTMENT_BY_CODE[department].region_code,
        department=department,
    )


def company_reasons(
    programme: ProgrammeFacts, company: CompanyFacts, on: date
) -> tuple[Ineligibility, ...]:
    """Why the programme does not apply to this company on that day, whatever the offer."""
    reasons = ineligibility(programme, company, _ANY_PAID_OFFER, _ANY_LINE, on)
    return tuple(reason for reason in reasons if reason in COMPANY_REASONS)


def applicable_programmes(
    programmes: Iterable[ProgrammeFacts], company: CompanyFacts, on: date
) -> tuple[ProgrammeFacts, ...]:
    """The programmes open to the company on that day, in stacking order (some may still
    exclude an offer by its category)."""
    return tuple(
        sorted(
            (p for p in programmes if not company_reasons(p, company, on)),
            key=stacking_key,
        )
    )


@dataclass(frozen=True)
class Eligibility:
    """What a visitor may get: the programmes that apply, and a split on the chosen offer."""

    company: CompanyFacts
    on: date
    programmes: tuple[ProgrammeFacts, ...]
    example: Split | None = None  # None without an offer


def eligibility(
    company: CompanyFacts,
    programmes: Sequence[ProgrammeFacts],
    on: date,
    offer: OfferFacts | None = None,
    line: BookingLine | None = None,
) -> Eligibility:
    """The programmes open to the company, and the split of `line` of `offer` if given."""
    applicable = applicable_programmes(programmes, company, on)
    example = None
    if offer is not None and line is not None:
        example = compute_split(line, offer, company, programmes, on)
    return Eligibility(company, on, applicable, example)


def check_eligibility(
    session: Session, company: CompanyFacts, on: date, offer: Offer | None = None
) -> Eligibility:
    """`eligibility` with the programmes open on that day (what remains of their budgets
    counted) and the offer at its listed price, quantity 1."""
    programmes = best_case_programmes(session, on)
    if offer is None:
        return eligibility(company, programmes, on)
    return eligibility(company, programmes, on, offer_split_facts(offer), offer_line(offer))


def programme_names(session: Session) -> dict[str, str]:
    """Every programme's name by code (search facets show names, documents hold codes)."""
    rows = session.execute(select(SubsidyProgramme.code, SubsidyProgramme.name))
    return {code: name for code, name in rows}
