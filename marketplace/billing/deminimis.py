"""The company's de minimis ledger: every grant (platform and declared), its rolling 3-year
total and the headroom under the EUR 300,000 ceiling (Regulation (EU) 2023/2831)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from marketplace.accounts.models import Company, User
from marketplace.audit import record_event
from marketplace.billing.models import (
    LIVE_ALLOCATION,
    DeclaredAid,
    SubsidyAllocation,
    SubsidyProgramme,
)
from marketplace.billing.money import MAX_AMOUNT_CENTS
from marketplace.billing.split import DE_MINIMIS_CEILING_CENTS, de_minimis_window_start
from marketplace.errors import Forbidden, NotFound, ValidationFailed

FUNDER_MIN, FUNDER_MAX = 2, 160


@dataclass(frozen=True)
class LedgerEntry:
    granted_on: date
    amount_cents: int
    source: str  # "platform" | "declared"
    label: str  # the programme's name, or the declared funder
    counts: bool  # inside the rolling window on the ledger's date
    declared_aid_id: int | None = None
    booking_id: int | None = None


@dataclass(frozen=True)
class Ledger:
    entries: tuple[LedgerEntry, ...]  # newest first
    on: date
    window_start: date
    total_cents: int  # counted in the window
    ceiling_cents: int

    @property
    def headroom_cents(self) -> int:
        return max(0, self.ceiling_cents - self.total_cents)


def ledger(session: Session, company: Company, on: date) -> Ledger:
    start = de_minimis_window_start(on)
    platform = session.execute(
        select(SubsidyAllocation, SubsidyProgramme.name)
        .join(SubsidyProgramme)
        .where(SubsidyAllocation.company_id == company.id)
        .where(SubsidyAllocation.de_minimis.is_(True))
        .where(SubsidyAllocation.status.in_(LIVE_ALLOCATION))
    )
    entries = [
        LedgerEntry(
            a.granted_on,
            a.amount_cents,
            "platform",
            name,
            a.granted_on >= start,
            booking_id=a.booking_id,
        )
        for a, name in platform
    ]
    declared = session.scalars(select(DeclaredAid).where(DeclaredAid.company_id == company.id))
    entries += [
        LedgerEntry(d.granted_on, d.amount_cents, "declared", d.funder, d.granted_on >= start, d.id)
        for d in declared
    ]
    entries.sort(key=lambda e: (e.granted_on, e.amount_cents), reverse=True)
    return Ledger(
        entries=tuple(entries),
        on=on,
        window_start=start,
        total_cents=sum(e.amount_cents for e in entries if e.counts),
        ceiling_cents=DE_MINIMIS_CEILING_CENTS,
    )


def _require_member(actor: User, company: Company) -> None:
    if actor.company is None or actor.company.id != company.id:
        raise Forbidden(str(_l("Only the company's members can declare its aid.")))


def declare_aid(
    session: Session,
    actor: User,
    company: Company,
    granted_on: date | None,
    amount_cents: int | None,
    funder: str,
    today: date,
) -> DeclaredAid:
    """Record de minimis aid the company received elsewhere (it counts from `granted_on`)."""
    _require_member(actor, company)
    errors: dict[str, list[str]] = {}
    if not isinstance(granted_on, date):
        errors["granted_on"] = [str(_l("Give the date the aid was granted."))]
    elif granted_on > today:
        errors["granted_on"] = [str(_l("The grant date cannot be in the future."))]
    if (
        not isinstance(amount_cents, int)
        or isinstance(amount_cents, bool)
        or not 1 <= amount_cents <= MAX_AMOUNT_CENTS
    ):
        errors["amount_cents"] = [str(_l("Give an amount greater than zero."))]
    if not FUNDER_MIN <= len(funder.strip()) <= FUNDER_MAX:
        errors["funder"] = [
            str(
                _l(
                    "Give who granted it, in %(min)d to %(max)d characters.",
                    min=FUNDER_MIN,
                    max=FUNDER_MAX,
                )
            )
        ]
    if errors:
        raise ValidationFailed(errors)
    assert isinstance(granted_on, date) and isinstance(amount_cents, int)
    aid = DeclaredAid(
        company_id=company.id,
        granted_on=granted_on,
        amount_cents=amount_cents,
        funder=funder.strip(),
        declared_by_id=actor.id,
    )
    session.add(aid)
    session.flush()
    record_event(
        session,
        actor,
        "de_minimis.declared",
        "company",
        company.id,
        declared_aid_id=aid.id,
        granted_on=granted_on.isoformat(),
        amount_cents=amount_cents,
        funder=aid.funder,
    )
    return aid


def withdraw_declared_aid(session: Session, actor: User, company: Company, aid_id: int) -> None:
    """Remove a declaration made by mistake (the audit trail keeps it)."""
    _require_member(actor, company)
    aid = session.get(DeclaredAid, aid_id)
    if aid is None or aid.company_id != company.id:
        raise NotFound(str(_l("No such declaration.")))
    record_event(
        session,
        actor,
        "de_minimis.withdrawn",
        "company",
        company.id,
        declared_aid_id=aid.id,
        granted_on=aid.granted_on.isoformat(),
        amount_cents=aid.amount_cents,
        funder=aid.funder,
    )
    session.delete(aid)
    session.flush()
