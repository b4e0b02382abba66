"""Quotes: the split engine fed from the database, for one offer or a page of them.

The engine (`billing.split`) is pure; this module gathers its facts: the company (size, region,
de minimis grants on the platform and declared), each programme open on the date with what the
company already used of it and what remains of its budget, and the offer. A page of offers costs
the same three queries as one offer (`quotes_for`). Anonymous visitors get the best case
(`best_case`): what the most favoured eligible company would get, also the "prix après aides"
search sort key.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, selectinload

from marketplace.accounts.models import Company
from marketplace.billing.models import (
    LIVE_ALLOCATION,
    DeclaredAid,
    SubsidyAllocation,
    SubsidyProgramme,
)
from marketplace.billing.money import BASIS_POINTS
from marketplace.billing.programmes import programme_facts
from marketplace.billing.split import (
    BookingLine,
    CompanyFacts,
    DeMinimisGrant,
    OfferFacts,
    ProgrammeFacts,
    Split,
    compute_split,
)
from marketplace.catalog.models import Offer
from marketplace.geo import REGION_BY_CODE
from marketplace.taxonomy import SizeBand


def open_programmes(session: Session, on: date) -> list[SubsidyProgramme]:
    """Programmes whose validity covers `on`, in stacking order."""
    query = (
        select(SubsidyProgramme)
        .where(or_(SubsidyProgramme.valid_from.is_(None), SubsidyProgramme.valid_from <= on))
        .where(or_(SubsidyProgramme.valid_to.is_(None), SubsidyProgramme.valid_to >= on))
        .options(selectinload(SubsidyProgramme.regions), selectinload(SubsidyProgramme.categories))
        .order_by(SubsidyProgramme.stacking_order, SubsidyProgramme.code)
    )
    return list(session.scalars(query))


def company_usage(session: Session, company_id: int) -> dict[int, int]:
    """Per programme id, what live allocations of this company add up to (its cap's used part)."""
    rows = session.execute(
        select(SubsidyAllocation.programme_id, func.sum(SubsidyAllocation.amount_cents))
        .where(SubsidyAllocation.company_id == company_id)
        .where(SubsidyAllocation.status.in_(LIVE_ALLOCATION))
        .group_by(SubsidyAllocation.programme_id)
    )
    return {programme_id: int(total) for programme_id, total in rows}


def de_minimis_grants(session: Session, company_id: int) -> tuple[DeMinimisGrant, ...]:
    """Every de minimis aid of the company: live platform allocations and declared aid."""
    platform = session.execute(
        select(SubsidyAllocation.granted_on, SubsidyAllocation.amount_cents)
        .where(SubsidyAllocation.company_id == company_id)
        .where(SubsidyAllocation.de_minimis.is_(True))
        .where(SubsidyAllocation.status.in_(LIVE_ALLOCATION))
    )
    declared = session.execute(
        select(DeclaredAid.granted_on, DeclaredAid.amount_cents).where(
            DeclaredAid.company_id == company_id
        )
    )
    return tuple(
        DeMinimisGrant(granted_on=on, amount_cents=amount)
        for on, amount in [*platform.all(), *declared.all()]
    )


def company_facts(session: Session, company: Company) -> CompanyFacts:
    return CompanyFacts(
        size_band=str(company.size_band),
        region=company.department.region_code,
        department=company.department_code,
        de_minimis_grants=de_minimis_grants(session, company.id),
    )


def offer_split_facts(offer: Offer) -> OfferFacts:
    return OfferFacts(
        category=offer.category_code,
        price_excl_vat_cents=offer.price_excl_vat_cents,
        provider_kind=str(offer.provider.kind),
    )


def offer_line(offer: Offer, quantity: int = 1) -> BookingLine:
    return BookingLine(offer.price_excl_vat_cents, quantity, offer.vat_rate_bp)


@dataclass(frozen=True)
class QuoteContext:
    """Everything a company's quotes depend on, loaded once for a page of offers."""

    company: CompanyFacts
    programmes: tuple[ProgrammeFacts, ...]
    on: date

    def split(self, offer: OfferFacts, line: BookingLine) -> Split:
        return compute_split(line, offer, self.company, self.programmes, self.on)


def quote_context(
    session: Session,
    company: Company,
    on: date,
    programmes: Sequence[SubsidyProgramme] | None = None,
) -> QuoteContext:
    """The company's facts and each open programme's; pass `programmes` already loaded (and
    locked, at acceptance) to skip loading them again."""
    usage = company_usage(session, company.id)
    facts = tuple(
        programme_facts(p, usage.get(p.id, 0), p.remaining_budget_cents)
        for p in (open_programmes(session, on) if programmes is None else programmes)
    )
    return QuoteContext(company_facts(session, company), facts, on)


def quote(
    session: Session,
    company: Company,
    offer: Offer,
    on: date,
    quantity: int = 1,
    line: BookingLine | None = None,
) -> Split:
    """This company's split for the offer (at its listed price, or the quoted `line`)."""
    context = quote_context(session, company, on)
    return context.split(offer_split_facts(offer), line or offer_line(offer, quantity))


def quotes_for(
    session: Session, company: Company, offers: Iterable[Offer], on: date
) -> dict[int, Split]:
    """One split per offer (quantity 1), for a page of results: the queries do not grow."""
    context = quote_context(session, company, on)
    return {o.id: context.split(offer_split_facts(o), offer_line(o)) for o in offers}


# --- Best case: anonymous visitors and the search sort key ----------------------------------


@dataclass(frozen=True)
class BestCase:
    """The most any eligible company gets on the offer today (a fresh company: nothing used)."""

    rate_bp: int  # subsidies over the amount excl. VAT, rounded down
    subsidies_cents: int
    net_incl_vat_cents: int  # what that company pays, VAT included
    programme_codes: tuple[str, ...]  # every programme that can apply to the offer
    split: Split  # that company's split (the API shows it to visitors)


def _fresh(programme: SubsidyProgramme) -> ProgrammeFacts:
    return programme_facts(programme, 0, programme.remaining_budget_cents)


def best_case_programmes(session: Session, on: date) -> tuple[ProgrammeFacts, ...]:
    return tuple(_fresh(p) for p in open_programmes(session, on))


def best_case(
    offer: OfferFacts,
    vat_rate_bp: int,
    programmes: Sequence[ProgrammeFacts],
    on: date,
    quantity: int = 1,
) -> BestCase:
    """Try every region and size band: the best split, and which programmes ever apply."""
    line = BookingLine(offer.price_excl_vat_cents, quantity, vat_rate_bp)
    relevant = [p for p in programmes if p.categories is None or offer.category in p.categories]
    nobody = CompanyFacts(size_band="", region="", department="")
    best = compute_split(line, offer, nobody, (), on)
    codes: set[str] = set()
    for region in REGION_BY_CODE if relevant else ():
        for band in SizeBand:
            company = CompanyFacts(size_band=band.value, region=region, department="")
            split = compute_split(line, offer, company, relevant, on)
            codes.update(s.programme_code for s in split.subsidised_lines)
            if split.subsidies_cents > best.subsidies_cents:
                best = split
    excl = best.excl_vat_cents
    return BestCase(
        rate_bp=best.subsidies_cents * BASIS_POINTS // excl if excl else 0,
        subsidies_cents=best.subsidies_cents,
        net_incl_vat_cents=best.company_share_cents,
        programme_codes=tuple(sorted(codes)),
        split=best,
    )
