"""The split engine (DESIGN §3 rules 3-4): who pays which part of a booking's total incl. VAT.

Pure: plain frozen values in, a frozen `Split` out; no database, no request, no floats. The caller
gathers the facts (the line, the offer, the company, each programme with what the company already
used of it and what remains of its budget) and freezes the result at acceptance.

Decisions where DESIGN is silent (each one has a test):
- Programmes stack by `stacking_order`, ties broken by `code`, so the input order never matters.
- The de minimis window: a grant counts when it is dated *after* the day exactly three years before
  the booking date, so a grant exactly three years old no longer counts (three years ending on the
  booking date are [booking − 3 years + 1 day, booking]). Booking on 29 February: the day three
  years before is 28 February. Grants dated after the booking date count too (they are granted
  already; prudence).
- Eligibility is checked before any cap; every failed condition is reported, not only the first.
- Dates `valid_from`/`valid_to` are both inclusive.
- The intensity ceiling of a programme bounds the total of the subsidies up to and including it;
  a programme without a ceiling is still bounded at 100 % of the amount excl. VAT, so subsidies
  never exceed it and the company share is never negative.
- A later ceiling never claws back an earlier award: the later programme gives less, or nothing.
- `capped_by` is the last cap that reduced the amount (the one that set the final figure); `caps`
  lists every cap that reduced it, in the order applied.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from marketplace.billing.money import BASIS_POINTS, format_euros, share_rounded_down, vat_amount

DE_MINIMIS_CEILING_CENTS = 300_000_00  # EUR 300,000, Regulation (EU) 2023/2831 art. 3(2)
DE_MINIMIS_YEARS = 3


class Cap(StrEnum):
    """What reduced a subsidy, in the order the caps apply (DESIGN §3 rule 3)."""

    PER_BOOKING = "cap-per-booking"
    PER_COMPANY = "cap-per-company"
    BUDGET = "budget"
    DE_MINIMIS = "de-minimis"
    INTENSITY = "aid-intensity"


class Ineligibility(StrEnum):
    """Why a programme does not apply to this booking at all."""

    FREE_OFFER = "free-offer"
    VOLUNTEER_OFFER = "volunteer-offer"
    NOT_YET_OPEN = "not-yet-open"
    CLOSED = "closed"
    REGION = "region"
    DEPARTMENT = "department"
    SIZE_BAND = "size-band"
    CATEGORY = "category"


VOLUNTEER = "volunteer"  # the provider kind whose offers are free sessions, never subsidised


def _int(name: str, value: object, minimum: int = 0) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an integer")
    if value < minimum:
        raise ValueError(f"{name} must be ≥ {minimum}: {value}")


def _rate(name: str, value: object) -> None:
    _int(name, value)
    assert isinstance(value, int)
    if value > BASIS_POINTS:
        raise ValueError(f"{name} out of range: {value} bp")


@dataclass(frozen=True)
class BookingLine:
    """What is bought: the quoted unit price excl. VAT, how many, at which VAT rate."""

    unit_price_excl_vat_cents: int
    quantity: int
    vat_rate_bp: int

    def __post_init__(self) -> None:
        _int("unit_price_excl_vat_cents", self.unit_price_excl_vat_cents)
        _int("quantity", self.quantity, minimum=1)
        _rate("vat_rate_bp", self.vat_rate_bp)


@dataclass(frozen=True)
class OfferFacts:
    """What eligibility needs of the offer: its category, its listed price, its provider's kind."""

    category: str
    price_excl_vat_cents: int
    provider_kind: str  # "expert" | "volunteer"

    def __post_init__(self) -> None:
        _int("price_excl_vat_cents", self.price_excl_vat_cents)


@dataclass(frozen=True)
class DeMinimisGrant:
    """One de minimis aid the company received (on the platform or declared), dated when granted."""

    granted_on: date
    amount_cents: int

    def __post_init__(self) -> None:
        _int("amount_cents", self.amount_cents)


@dataclass(frozen=True)
class CompanyFacts:
    size_band: str
    region: str  # INSEE region code
    department: str  # INSEE department code
    de_minimis_grants: tuple[DeMinimisGrant, ...] = ()


@dataclass(frozen=True)
class ProgrammeFacts:
    """A subsidy programme as this booking sees it: its rules, plus what this company already used
    of its cap per company and what remains of its budget (None: no such cap)."""

    code: str
    name: str
    funder: str
    rate_bp: int
    stacking_order: int
    cap_per_booking_cents: int | None = None
    cap_per_company_cents: int | None = None
    company_used_cents: int = 0
    remaining_budget_cents: int | None = None
    de_minimis: bool = False
    max_aid_intensity_bp: int | None = None
    regions: frozenset[str] | None = None  # None: every region
    departments: frozenset[str] | None = None  # None: every department
    size_bands: frozenset[str] | None = None  # None: every size band
    categories: frozenset[str] | None = None  # None: every category
    valid_from: date | None = None
    valid_to: date | None = None

    def __post_init__(self) -> None:
        _rate("rate_bp", self.rate_bp)
        _int("stacking_order", self.stacking_order, minimum=-(2**63))
        _int("company_used_cents", self.company_used_cents)
        for name in ("cap_per_booking_cents", "cap_per_company_cents", "remaining_budget_cents"):
            if (value := getattr(self, name)) is not None:
                _int(name, value)
        if self.max_aid_intensity_bp is not None:
            _rate("max_aid_intensity_bp", self.max_aid_intensity_bp)


@dataclass(frozen=True)
class SplitLine:
    """One programme's part of the split; `amount_cents` is 0 when it is not eligible."""

    programme_code: str
    programme_name: str
    funder: str
    rate_bp: int  # the programme's rate
    base_cents: int  # the rate of the amount excl. VAT, rounded down, before any cap
    amount_cents: int
    applied_rate_bp: int  # rate_bp when uncapped, else the amount over the excl. VAT, rounded down
    de_minimis: bool
    capped_by: Cap | None = None
    caps: tuple[Cap, ...] = ()
    ineligible: tuple[Ineligibility, ...] = ()
    limit_cents: int | None = None  # the remaining room of `capped_by` (for explanations)

    @property
    def eligible(self) -> bool:
        return not self.ineligible


@dataclass(frozen=True)
class Split:
    """The whole split: `company_share_cents + subsidies_cents == incl_vat_cents`, exactly."""

    excl_vat_cents: int
    vat_rate_bp: int
    vat_cents: int
    incl_vat_cents: int
    lines: tuple[SplitLine, ...]
    subsidies_cents: int
    company_share_cents: int
    de_minimis_received_cents: int  # counted in the window before this booking
    de_minimis_awarded_cents: int  # by this split
    booking_date: date

    @property
    def subsidised_lines(self) -> tuple[SplitLine, ...]:
        return tuple(line for line in self.lines if line.amount_cents > 0)


def de_minimis_window_start(on: date) -> date:
    """The first day whose grants still count on `on`: the day after the same date 3 years back."""
    try:
        back = on.replace(year=on.year - DE_MINIMIS_YEARS)
    except ValueError:  # 29 February, three years back, is 28 February
        back = on.replace(year=on.year - DE_MINIMIS_YEARS, day=28)
    return back + timedelta(days=1)


def de_minimis_received(grants: Iterable[DeMinimisGrant], on: date) -> int:
    """De minimis aid that counts against the ceiling on `on` (the rolling 3 years)."""
    start = de_minimis_window_start(on)
    return sum(grant.amount_cents for grant in grants if grant.granted_on >= start)


def ineligibility(
    programme: ProgrammeFacts,
    company: CompanyFacts,
    offer: OfferFacts,
    line: BookingLine,
    booking_date: date,
) -> tuple[Ineligibility, ...]:
    """Every reason the programme does not apply (empty: it applies)."""
    reasons: list[Ineligibility] = []
    if offer.price_excl_vat_cents == 0 or line.unit_price_excl_vat_cents == 0:
        reasons.append(Ineligibility.FREE_OFFER)
    if offer.provider_kind == VOLUNTEER:
        reasons.append(Ineligibility.VOLUNTEER_OFFER)
    if programme.valid_from is not None and booking_date < programme.valid_from:
        reasons.append(Ineligibility.NOT_YET_OPEN)
    if programme.valid_to is not None and booking_date > programme.valid_to:
        reasons.append(Ineligibility.CLOSED)
    if programme.regions is not None and company.region not in programme.regions:
        reasons.append(Ineligibility.REGION)
    if programme.departments is not None and company.department not in programme.departments:
        reasons.append(Ineligibility.DEPARTMENT)
    if programme.size_bands is not None and company.size_band not in programme.size_bands:
        reasons.append(Ineligibility.SIZE_BAND)
    if programme.categories is not None and offer.category not in programme.categories:
        reasons.append(Ineligibility.CATEGORY)
    return tuple(reasons)


def stacking_key(programme: ProgrammeFacts) -> tuple[int, str]:
    return (programme.stacking_order, programme.code)


def compute_split(
    line: BookingLine,
    offer: OfferFacts,
    company: CompanyFacts,
    programmes: Iterable[ProgrammeFacts],
    booking_date: date,
    *,
    de_minimis_ceiling_cents: int = DE_MINIMIS_CEILING_CENTS,
) -> Split:
    """Split the booking's total incl. VAT between each programme and the company (DESIGN §3)."""
    ordered = sorted(programmes, key=stacking_key)
    codes = [p.code for p in ordered]
    if len(set(codes)) != len(codes):
        raise ValueError(f"a programme appears twice: {codes}")

    excl = line.unit_price_excl_vat_cents * line.quantity
    vat = vat_amount(excl, line.vat_rate_bp)
    incl = excl + vat
    received = de_minimis_received(company.de_minimis_grants, booking_date)
    headroom = max(0, de_minimis_ceiling_cents - received)

    lines: list[SplitLine] = []
    subsidies = 0  # so far, in stacking order
    de_minimis_awarded = 0
    for programme in ordered:
        reasons = ineligibility(programme, company, offer, line, booking_date)
        base = share_rounded_down(excl, programme.rate_bp)
        if reasons:
            lines.append(_line(programme, base, 0, excl, (), None, reasons))
            continue
        amount, caps, limit = _award(
            programme, base, excl, subsidies, headroom - de_minimis_awarded
        )
        subsidies += amount
        if programme.de_minimis:
            de_minimis_awarded += amount
        lines.append(_line(programme, base, amount, excl, caps, limit, ()))

    return Split(
        excl_vat_cents=excl,
        vat_rate_bp=line.vat_rate_bp,
        vat_cents=vat,
        incl_vat_cents=incl,
        lines=tuple(lines),
        subsidies_cents=subsidies,
        company_share_cents=incl - subsidies,
        de_minimis_received_cents=received,
        de_minimis_awarded_cents=de_minimis_awarded,
        booking_date=booking_date,
    )


def _award(
    programme: ProgrammeFacts, base: int, excl: int, subsidies: int, de_minimis_room: int
) -> tuple[int, tuple[Cap, ...], int | None]:
    """The eligible programme's award after the caps, in DESIGN's order; the caps that reduced it
    and the room left under the last of them."""
    amount = base
    caps: list[Cap] = []
    limit: int | None = None
    rooms: list[tuple[Cap, int | None]] = [
        (Cap.PER_BOOKING, programme.cap_per_booking_cents),
        (
            Cap.PER_COMPANY,
            None
            if programme.cap_per_company_cents is None
            else max(0, programme.cap_per_company_cents - programme.company_used_cents),
        ),
        (Cap.BUDGET, programme.remaining_budget_cents),
    ]
    for kind, room in rooms:
        if room is not None and amount > room:
            amount, limit = room, room
            caps.append(kind)
    if programme.de_minimis and amount > de_minimis_room:
        # All or nothing: an award over the headroom gives nothing, not the excess.
        amount, limit = 0, de_minimis_room
        caps.append(Cap.DE_MINIMIS)
    ceiling = (
        BASIS_POINTS if programme.max_aid_intensity_bp is None else programme.max_aid_intensity_bp
    )
    room = max(0, share_rounded_down(excl, ceiling) - subsidies)
    if amount > room:
        amount, limit = room, room
        caps.append(Cap.INTENSITY)
    return amount, tuple(caps), limit


def _line(
    programme: ProgrammeFacts,
    base: int,
    amount: int,
    excl: int,
    caps: tuple[Cap, ...],
    limit: int | None,
    reasons: tuple[Ineligibility, ...],
) -> SplitLine:
    if not caps:
        applied = programme.rate_bp if not reasons else 0
    else:
        applied = amount * BASIS_POINTS // excl if excl else 0
    return SplitLine(
        programme_code=programme.code,
        programme_name=programme.name,
        funder=programme.funder,
        rate_bp=programme.rate_bp,
        base_cents=base,
        amount_cents=amount,
        applied_rate_bp=applied,
        de_minimis=programme.de_minimis,
        capped_by=caps[-1] if caps else None,
        caps=caps,
        ineligible=reasons,
        limit_cents=limit,
    )


# --- Words for pages: both languages here, so billing needs no Flask-Babel. -----------------------

_CAPPED = {
    Cap.PER_BOOKING: (
        "plafonné par le plafond par prestation de {name}",
        "capped by the cap per booking of {name}",
    ),
    Cap.PER_COMPANY: (
        "plafonné par votre reste de droits au titre de {name}",
        "capped by what remains of your allowance under {name}",
    ),
    Cap.BUDGET: (
        "plafonné par ce qui reste de l'enveloppe de {name}",
        "capped by what remains of the budget of {name}",
    ),
    Cap.DE_MINIMIS: (
        "aucune aide : elle dépasserait votre plafond de minimis (reste {room})",
        "no aid: it would exceed your de minimis ceiling ({room} left)",
    ),
    Cap.INTENSITY: (
        "plafonné par le taux maximal d'aides publiques cumulées de {name}",
        "capped by the ceiling on total public aid of {name}",
    ),
}

_NOT_ELIGIBLE = {
    Ineligibility.FREE_OFFER: ("l'offre est gratuite", "the offer is free"),
    Ineligibility.VOLUNTEER_OFFER: (
        "les séances des connecteurs bénévoles ne sont pas subventionnées",
        "sessions with volunteer advisors are not subsidised",
    ),
    Ineligibility.NOT_YET_OPEN: (
        "le dispositif n'est pas encore ouvert à cette date",
        "the programme is not open yet on that date",
    ),
    Ineligibility.CLOSED: (
        "le dispositif est clos à cette date",
        "the programme is closed on that date",
    ),
    Ineligibility.REGION: (
        "votre région n'est pas couverte",
        "your region is not covered",
    ),
    Ineligibility.DEPARTMENT: (
        "votre département n'est pas couvert",
        "your department is not covered",
    ),
    Ineligibility.SIZE_BAND: (
        "la taille de votre entreprise n'est pas éligible",
        "your company's size is not eligible",
    ),
    Ineligibility.CATEGORY: (
        "cette catégorie d'offre n'est pas éligible",
        "this category of offer is not eligible",
    ),
}


def _percent(bp: int, french: bool) -> str:
    whole, rest = divmod(bp, 100)
    text = str(whole) if not rest else f"{whole}.{rest:02d}".rstrip("0")
    return text.replace(".", ",") + "\u202f%" if french else text + "%"


def explain(line: SplitLine, locale: str) -> str:
    """The line in words, French for any "fr*" locale, English otherwise."""
    french = locale.lower().startswith("fr")
    pick = 0 if french else 1
    name = line.programme_name
    if line.ineligible:
        reasons = ", ".join(_NOT_ELIGIBLE[r][pick] for r in line.ineligible)
        return (
            f"Non éligible à {name} : {reasons}."
            if french
            else f"Not eligible for {name}: {reasons}."
        )
    money_locale = locale if french else "en"
    room = format_euros(max(0, line.limit_cents or 0), money_locale)
    if line.capped_by is Cap.DE_MINIMIS:
        colon = " : " if french else ": "
        return name + colon + _CAPPED[Cap.DE_MINIMIS][pick].format(room=room) + "."
    amount = format_euros(line.amount_cents, money_locale)
    rate = _percent(line.applied_rate_bp, french)
    if french:
        text = f"Pris en charge par {name} : {amount} ({rate} du montant HT)"
    else:
        text = f"Covered by {name}: {amount} ({rate} of the amount excl. VAT)"
    if line.capped_by is not None:
        text += ", " + _CAPPED[line.capped_by][pick].format(name=name)
    return text + "."


def split_as_dict(split: Split) -> dict[str, object]:
    """The split as JSON-ready plain values: frozen in agreements, returned by the API."""
    return {
        "booking_date": split.booking_date.isoformat(),
        "excl_vat_cents": split.excl_vat_cents,
        "vat_rate_bp": split.vat_rate_bp,
        "vat_cents": split.vat_cents,
        "incl_vat_cents": split.incl_vat_cents,
        "subsidies_cents": split.subsidies_cents,
        "company_share_cents": split.company_share_cents,
        "de_minimis_received_cents": split.de_minimis_received_cents,
        "de_minimis_awarded_cents": split.de_minimis_awarded_cents,
        "lines": [
            {
                "programme_code": line.programme_code,
                "programme_name": line.programme_name,
                "funder": line.funder,
                "rate_bp": line.rate_bp,
                "applied_rate_bp": line.applied_rate_bp,
                "base_cents": line.base_cents,
                "amount_cents": line.amount_cents,
                "de_minimis": line.de_minimis,
                "capped_by": line.capped_by.value if line.capped_by else None,
                "ineligible": [reason.value for reason in line.ineligible],
                "explanation_fr": explain(line, "fr"),
                "explanation_en": explain(line, "en"),
            }
            for line in split.lines
        ],
    }
