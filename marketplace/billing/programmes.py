"""Subsidy programme operations: create and update (administrators only), find and list them,
and the split facts.

Functions flush and never commit: the caller owns the transaction. Every change writes an audit
event and a `PROGRAMME` outbox job in that same transaction, so search re-indexes the offers the
programme makes eligible.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from flask_babel import format_currency
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session, selectinload

from marketplace.accounts.models import User
from marketplace.audit import record_event
from marketplace.billing.models import Funder, SubsidyProgramme
from marketplace.billing.money import BASIS_POINTS, MAX_AMOUNT_CENTS
from marketplace.billing.split import ProgrammeFacts
from marketplace.dbtypes import utcnow
from marketplace.errors import AlreadyExists, Forbidden, ValidationFailed
from marketplace.geo import REGION_BY_CODE
from marketplace.reference import Category, Region
from marketplace.search.outbox import PROGRAMME, SearchJob, enqueue
from marketplace.taxonomy import CATEGORY_CODES, SizeBand

CODE_PATTERN = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
CODE_MIN, CODE_MAX = 2, 40
NAME_MIN, NAME_MAX = 3, 160
DESCRIPTION_MAX = 5000
STACKING_MIN, STACKING_MAX = 0, 9999


@dataclass
class ProgrammeData:
    """What an administrator fills in; empty regions, categories or size bands mean "all"."""

    funder: str
    code: str
    name: str
    rate_bp: int
    description: str = ""
    regions: Sequence[str] = ()
    categories: Sequence[str] = ()
    size_bands: Sequence[str] = ()
    cap_per_booking_cents: int | None = None
    cap_per_company_cents: int | None = None
    budget_cents: int | None = None
    valid_from: date | None = None
    valid_to: date | None = None
    de_minimis: bool = False
    stacking_order: int = 0
    max_aid_intensity_bp: int | None = None


def programme_data(programme: SubsidyProgramme) -> ProgrammeData:
    """The programme's current values, to start an edit from."""
    return ProgrammeData(
        funder=Funder(programme.funder).value,
        code=programme.code,
        name=programme.name,
        rate_bp=programme.rate_bp,
        description=programme.description,
        regions=programme.region_codes,
        categories=programme.category_codes,
        size_bands=list(programme.size_bands),
        cap_per_booking_cents=programme.cap_per_booking_cents,
        cap_per_company_cents=programme.cap_per_company_cents,
        budget_cents=programme.budget_cents,
        valid_from=programme.valid_from,
        valid_to=programme.valid_to,
        de_minimis=programme.de_minimis,
        stacking_order=programme.stacking_order,
        max_aid_intensity_bp=programme.max_aid_intensity_bp,
    )


def programme_by_code(session: Session, code: str) -> SubsidyProgramme | None:
    """The programme with this code; None for an unknown or malformed code."""
    if not (CODE_MIN <= len(code) <= CODE_MAX and CODE_PATTERN.fullmatch(code)):
        return None
    return session.scalar(select(SubsidyProgramme).where(SubsidyProgramme.code == code))


def programme_list(
    funder: str | None = None, region: str | None = None, category: str | None = None
) -> Select[SubsidyProgramme]:
    """Programmes in stacking order (ties by code, as they stack); a region or category
    filter keeps the programmes that cover it, those open to every region or category too."""
    query = (
        select(SubsidyProgramme)
        .options(selectinload(SubsidyProgramme.regions), selectinload(SubsidyProgramme.categories))
        .order_by(SubsidyProgramme.stacking_order, SubsidyProgramme.code)
    )
    if funder:
        query = query.where(SubsidyProgramme.funder == Funder(funder))
    if region:
        query = query.where(
            or_(
                ~SubsidyProgramme.regions.any(),
                SubsidyProgramme.regions.any(Region.code == region),
            )
        )
    if category:
        query = query.where(
            or_(
                ~SubsidyProgramme.categories.any(),
                SubsidyProgramme.categories.any(Category.code == category),
            )
        )
    return query


def _require_admin(actor: User) -> None:
    if not actor.is_admin:
        raise Forbidden(str(_l("Only administrators can manage subsidy programmes.")))


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _check(session: Session, data: ProgrammeData, programme: SubsidyProgramme | None) -> None:
    """Field by field checks; every problem is reported at once (a taken code alone is a 409)."""
    errors: dict[str, list[str]] = {}

    def add(name: str, message: object) -> None:
        errors.setdefault(name, []).append(str(message))

    if data.funder not in {f.value for f in Funder}:
        add("funder", _l("Choose who funds the programme."))
    code = data.code.strip()
    if not (CODE_MIN <= len(code) <= CODE_MAX and CODE_PATTERN.fullmatch(code)):
        add(
            "code",
            _l(
                "Give a code of %(min)d to %(max)d lowercase letters, digits and hyphens.",
                min=CODE_MIN,
                max=CODE_MAX,
            ),
        )
    if not NAME_MIN <= len(data.name.strip()) <= NAME_MAX:
        add(
            "name",
            _l("Give a name of %(min)d to %(max)d characters.", min=NAME_MIN, max=NAME_MAX),
        )
    if len(data.description.strip()) > DESCRIPTION_MAX:
        add("description", _l("Give at most %(max)d characters.", max=DESCRIPTION_MAX))
    unknown = sorted(set(data.regions) - set(REGION_BY_CODE))
    if unknown:
        add("regions", _l("Unknown regions: %(codes)s", codes=", ".join(unknown)))
    unknown = sorted(set(data.categories) - set(CATEGORY_CODES))
    if unknown:
        add("categories", _l("Unknown categories: %(codes)s", codes=", ".join(unknown)))
    unknown = sorted(set(data.size_bands) - {b.value for b in SizeBand})
    if unknown:
        add("size_bands", _l("Unknown size bands: %(codes)s", codes=", ".join(unknown)))
    if not _is_int(data.rate_bp) or not 1 <= data.rate_bp <= BASIS_POINTS:
        add("rate_bp", _l("Give a rate between 0.01 % and 100 %, in basis points."))
    for name in ("cap_per_booking_cents", "cap_per_company_cents", "budget_cents"):
        value = getattr(data, name)
        if value is not None and (not _is_int(value) or not 0 <= value <= MAX_AMOUNT_CENTS):
            add(name, _l("Give an amount in whole cents, zero or more, or leave it empty."))
    for name in ("valid_from", "valid_to"):
        if getattr(data, name) is not None and not isinstance(getattr(data, name), date):
            add(name, _l("Give a date."))
    budget = data.budget_cents
    if (
        programme is not None
        and "budget_cents" not in errors
        and budget is not None
        and budget < programme.allocated_cents
    ):
        add(
            "budget_cents",
            _l(
                "Bookings already hold %(amount)s of this budget: it cannot be less.",
                amount=format_currency(Decimal(programme.allocated_cents) / 100, "EUR"),
            ),
        )
    if (
        isinstance(data.valid_from, date)
        and isinstance(data.valid_to, date)
        and data.valid_to < data.valid_from
    ):
        add("valid_to", _l("The end date cannot be before the start date."))
    if not isinstance(data.de_minimis, bool):
        add("de_minimis", _l("Say whether the aid falls under the de minimis regime."))
    if not _is_int(data.stacking_order) or not (
        STACKING_MIN <= data.stacking_order <= STACKING_MAX
    ):
        add(
            "stacking_order",
            _l(
                "Give a stacking order between %(min)d and %(max)d.",
                min=STACKING_MIN,
                max=STACKING_MAX,
            ),
        )
    ceiling = data.max_aid_intensity_bp
    if ceiling is not None and (not _is_int(ceiling) or not 1 <= ceiling <= BASIS_POINTS):
        add(
            "max_aid_intensity_bp",
            _l("Give a ceiling between 0.01 % and 100 %, in basis points, or leave it empty."),
        )
    only_conflict = not errors
    if "code" not in errors:
        taken = session.scalar(select(SubsidyProgramme.id).where(SubsidyProgramme.code == code))
        if taken is not None and (programme is None or taken != programme.id):
            add("code", _l("Another programme already has this code."))
    if errors:
        raise (AlreadyExists if only_conflict else ValidationFailed)(errors)


def _apply(session: Session, programme: SubsidyProgramme, data: ProgrammeData) -> None:
    programme.funder = Funder(data.funder)
    programme.code = data.code.strip()
    programme.name = data.name.strip()
    programme.description = data.description.strip()
    regions = select(Region).where(Region.code.in_(set(data.regions))).order_by(Region.name)
    programme.regions = list(session.scalars(regions))
    categories = (
        select(Category).where(Category.code.in_(set(data.categories))).order_by(Category.position)
    )
    programme.categories = list(session.scalars(categories))
    programme.size_bands = [b.value for b in SizeBand if b.value in set(data.size_bands)]
    programme.rate_bp = data.rate_bp
    programme.cap_per_booking_cents = data.cap_per_booking_cents
    programme.cap_per_company_cents = data.cap_per_company_cents
    programme.budget_cents = data.budget_cents
    programme.valid_from = data.valid_from
    programme.valid_to = data.valid_to
    programme.de_minimis = data.de_minimis
    programme.stacking_order = data.stacking_order
    programme.max_aid_intensity_bp = data.max_aid_intensity_bp


def _snapshot(programme: SubsidyProgramme) -> dict[str, Any]:
    """The programme's values as JSON-ready plain values (for the audit trail)."""
    values = vars(programme_data(programme)).copy()
    for name in ("regions", "categories", "size_bands"):
        values[name] = list(values[name])
    for name in ("valid_from", "valid_to"):
        values[name] = values[name].isoformat() if values[name] is not None else None
    return values


def create_programme(session: Session, actor: User, data: ProgrammeData) -> SubsidyProgramme:
    """Register a new subsidy programme."""
    _require_admin(actor)
    _check(session, data, None)
    programme = SubsidyProgramme()
    _apply(session, programme, data)
    session.add(programme)
    session.flush()
    record_event(
        session, actor, "programme.created", "programme", programme.id, **_snapshot(programme)
    )
    enqueue(session, PROGRAMME, programme.id)
    session.flush()
    return programme


def update_programme(
    session: Session, actor: User, programme: SubsidyProgramme, data: ProgrammeData
) -> SubsidyProgramme:
    """Change a programme; the audit event keeps each changed field's value before and after."""
    _require_admin(actor)
    # Locked, as reservations lock it (DESIGN §3 rule 5): the budget is checked against what
    # bookings hold now, and none can take more until this change commits.
    session.refresh(programme, ["allocated_cents"], with_for_update=True)
    _check(session, data, programme)
    before = _snapshot(programme)
    _apply(session, programme, data)
    after = _snapshot(programme)
    changes = {k: [before[k], after[k]] for k in after if before[k] != after[k]}
    if changes:
        programme.updated_at = utcnow()
    session.flush()
    record_event(session, actor, "programme.updated", "programme", programme.id, changes=changes)
    enqueue(session, PROGRAMME, programme.id)
    session.flush()
    return programme


def programme_facts(
    programme: SubsidyProgramme, company_used_cents: int, remaining_budget_cents: int | None
) -> ProgrammeFacts:
    """The programme as the split engine sees it; empty lists become None ("every ...")."""
    return ProgrammeFacts(
        code=programme.code,
        name=programme.name,
        funder=Funder(programme.funder).value,
        rate_bp=programme.rate_bp,
        stacking_order=programme.stacking_order,
        cap_per_booking_cents=programme.cap_per_booking_cents,
        cap_per_company_cents=programme.cap_per_company_cents,
        company_used_cents=company_used_cents,
        remaining_budget_cents=remaining_budget_cents,
        de_minimis=programme.de_minimis,
        max_aid_intensity_bp=programme.max_aid_intensity_bp,
        regions=frozenset(programme.region_codes) or None,
        departments=None,  # programmes are not restricted by department (yet)
        size_bands=frozenset(programme.size_bands) or None,
        categories=frozenset(programme.category_codes) or None,
        valid_from=programme.valid_from,
        valid_to=programme.valid_to,
    )


CALENDAR_LOOKBACK_DAYS = 30


def requeue_on_calendar(session: Session, today: date) -> list[SubsidyProgramme]:
    """Queue re-indexing for each programme that opened or closed by its dates since its
    offers were last queued: time passing changes their best case as much as an edit does.

    Safe to run often and from several workers: a programme already queued on or after the
    day it opened or closed is left alone. Looks back a month, for a worker that was down.
    """
    since = today - timedelta(days=CALENDAR_LOOKBACK_DAYS)
    candidates = session.scalars(
        select(SubsidyProgramme).where(
            or_(
                SubsidyProgramme.valid_from.between(since, today),
                SubsidyProgramme.valid_to.between(
                    since - timedelta(days=1), today - timedelta(days=1)
                ),
            )
        )
    ).all()
    queued = []
    for programme in candidates:
        boundaries = [
            programme.valid_from,
            programme.valid_to and programme.valid_to + timedelta(days=1),
        ]
        boundary = max(b for b in boundaries if b is not None and b <= today)
        already = session.scalar(
            select(SearchJob.id)
            .where(SearchJob.kind == PROGRAMME, SearchJob.entity_id == programme.id)
            .where(SearchJob.created_at >= datetime.combine(boundary, time(), UTC))
            .limit(1)
        )
        if already is None:
            enqueue(session, PROGRAMME, programme.id)
            queued.append(programme)
    session.flush()
    return queued
