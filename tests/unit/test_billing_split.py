"""The split engine: each cap and their order, stacking, de minimis all-or-nothing over a rolling
3 years, rounding, quantities, ineligibility reasons; and the properties every split must keep."""

from __future__ import annotations

import ast
import dataclasses
import random
import sys
from datetime import date, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from marketplace.billing.money import BASIS_POINTS, share_rounded_down
from marketplace.billing.split import (
    DE_MINIMIS_CEILING_CENTS,
    BookingLine,
    Cap,
    CompanyFacts,
    DeMinimisGrant,
    Ineligibility,
    OfferFacts,
    ProgrammeFacts,
    Split,
    SplitLine,
    compute_split,
    de_minimis_received,
    de_minimis_window_start,
    explain,
)

TODAY = date(2026, 6, 15)
OFFER = OfferFacts(category="ecommerce", price_excl_vat_cents=100_000, provider_kind="expert")
COMPANY = CompanyFacts(size_band="10-49", region="84", department="69")


def programme(code: str = "P", /, **changes: object) -> ProgrammeFacts:
    fields: dict[str, object] = {
        "code": code,
        "name": f"Programme {code}",
        "funder": "Région",
        "rate_bp": 5000,
        "stacking_order": 1,
    }
    fields.update(changes)
    return ProgrammeFacts(**fields)  # type: ignore[arg-type]


def line(excl: int = 100_000, quantity: int = 1, vat_bp: int = 2000) -> BookingLine:
    return BookingLine(unit_price_excl_vat_cents=excl, quantity=quantity, vat_rate_bp=vat_bp)


def split(
    *programmes: ProgrammeFacts,
    booking: BookingLine | None = None,
    company: CompanyFacts = COMPANY,
    offer: OfferFacts = OFFER,
    on: date = TODAY,
) -> Split:
    return compute_split(booking or line(), offer, company, programmes, on)


def only(result: Split) -> SplitLine:
    (single,) = result.lines
    return single


def with_grants(*grants: tuple[date, int]) -> CompanyFacts:
    return dataclasses.replace(
        COMPANY, de_minimis_grants=tuple(DeMinimisGrant(d, c) for d, c in grants)
    )


# --- Totals, VAT, rounding, quantity ---------------------------------------------------------


def test_no_programme_the_company_pays_everything() -> None:
    result = split()
    assert (result.excl_vat_cents, result.vat_cents, result.incl_vat_cents) == (
        100_000,
        20_000,
        120_000,
    )
    assert result.company_share_cents == 120_000
    assert result.lines == ()


def test_subsidy_is_on_excl_vat_and_the_company_pays_the_vat() -> None:
    """A 50 % subsidy of 1,000 € excl. VAT: 500 € subsidised, the company pays 500 € + 200 € VAT."""
    result = split(programme(rate_bp=5000))
    assert only(result).amount_cents == 50_000
    assert result.company_share_cents == 70_000
    assert result.subsidies_cents + result.company_share_cents == result.incl_vat_cents


def test_subsidy_rounds_down_and_vat_rounds_half_up() -> None:
    # 3 × 0.33 € = 0.99 € excl. VAT; VAT 5.5 % = 5.445 c → 5 c; 33.33 % of 99 c = 32.9967 c → 32 c.
    result = split(programme(rate_bp=3333), booking=line(excl=33, quantity=3, vat_bp=550))
    assert result.excl_vat_cents == 99
    assert result.vat_cents == 5
    assert only(result).amount_cents == 32
    assert result.company_share_cents == 99 + 5 - 32
    # Half a cent of VAT goes up: 10 c at 5 % = 0.5 c → 1 c.
    assert split(booking=line(excl=10, vat_bp=500)).vat_cents == 1


def test_quantity_scales_the_total_before_rounding() -> None:
    """The subsidy is on unit × quantity, rounded once, not rounded per unit."""
    result = split(programme(rate_bp=5000), booking=line(excl=1, quantity=3, vat_bp=2000))
    assert result.excl_vat_cents == 3
    assert only(result).amount_cents == 1  # 1.5 c → 1 c (per unit: 0 c × 3 = 0 c)
    assert result.vat_cents == 1  # 0.6 c → 1 c


def test_rate_applied_is_nominal_when_uncapped_and_effective_when_capped() -> None:
    assert only(split(programme(rate_bp=4000))).applied_rate_bp == 4000
    capped = only(split(programme(rate_bp=5000, cap_per_booking_cents=33_333)))
    assert capped.applied_rate_bp == 3333  # 333.33 € of 1,000 € is 33.333 %, rounded down


@pytest.mark.parametrize(
    "bad",
    [
        {"unit_price_excl_vat_cents": -1, "quantity": 1, "vat_rate_bp": 2000},
        {"unit_price_excl_vat_cents": 100, "quantity": 0, "vat_rate_bp": 2000},
        {"unit_price_excl_vat_cents": 1.5, "quantity": 1, "vat_rate_bp": 2000},
        {"unit_price_excl_vat_cents": True, "quantity": 1, "vat_rate_bp": 2000},
        {"unit_price_excl_vat_cents": 100, "quantity": 1, "vat_rate_bp": 10_001},
    ],
)
def test_a_line_refuses_what_is_not_money(bad: dict[str, object]) -> None:
    with pytest.raises((TypeError, ValueError)):
        BookingLine(**bad)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "bad",
    [
        {"rate_bp": 10_001},
        {"rate_bp": -1},
        {"rate_bp": 50.0},
        {"cap_per_booking_cents": -1},
        {"remaining_budget_cents": 1.0},
        {"company_used_cents": -5},
        {"max_aid_intensity_bp": 20_000},
    ],
)
def test_a_programme_refuses_what_is_not_money(bad: dict[str, object]) -> None:
    with pytest.raises((TypeError, ValueError)):
        programme(**bad)


def test_a_programme_listed_twice_is_refused() -> None:
    with pytest.raises(ValueError, match="twice"):
        split(programme("A"), programme("A", stacking_order=2))


# --- Each cap -----------------------------------------------------------------------------------


def test_cap_per_booking() -> None:
    result = only(split(programme(cap_per_booking_cents=30_000)))
    assert (result.base_cents, result.amount_cents, result.capped_by) == (
        50_000,
        30_000,
        Cap.PER_BOOKING,
    )


def test_cap_per_company_counts_what_the_company_already_used() -> None:
    result = only(split(programme(cap_per_company_cents=100_000, company_used_cents=80_000)))
    assert (result.amount_cents, result.capped_by, result.limit_cents) == (
        20_000,
        Cap.PER_COMPANY,
        20_000,
    )


def test_cap_per_company_used_up_or_overdrawn_gives_nothing() -> None:
    for used in (100_000, 150_000):
        result = only(split(programme(cap_per_company_cents=100_000, company_used_cents=used)))
        assert (result.amount_cents, result.capped_by) == (0, Cap.PER_COMPANY)


def test_remaining_budget() -> None:
    result = only(split(programme(remaining_budget_cents=12_345)))
    assert (result.amount_cents, result.capped_by) == (12_345, Cap.BUDGET)
    assert only(split(programme(remaining_budget_cents=0))).amount_cents == 0


def test_a_cap_above_the_amount_does_not_count_as_capping() -> None:
    result = only(
        split(
            programme(
                cap_per_booking_cents=50_000,
                cap_per_company_cents=60_000,
                remaining_budget_cents=10**9,
                max_aid_intensity_bp=5000,
            )
        )
    )
    assert (result.amount_cents, result.capped_by, result.caps) == (50_000, None, ())


def test_intensity_ceiling_alone() -> None:
    result = only(split(programme(rate_bp=8000, max_aid_intensity_bp=6000)))
    assert (result.amount_cents, result.capped_by) == (60_000, Cap.INTENSITY)


def test_intensity_ceiling_rounds_down() -> None:
    result = only(split(programme(rate_bp=8000, max_aid_intensity_bp=3333), booking=line(excl=99)))
    assert result.amount_cents == 32  # 32.9967 c


def test_caps_apply_in_design_order_and_the_last_that_bit_is_named() -> None:
    """Booking cap 400 €, then company room 300 €, then budget 200 €: the budget sets the figure."""
    result = only(
        split(
            programme(
                rate_bp=6000,
                cap_per_booking_cents=40_000,
                cap_per_company_cents=50_000,
                company_used_cents=20_000,
                remaining_budget_cents=20_000,
            )
        )
    )
    assert result.caps == (Cap.PER_BOOKING, Cap.PER_COMPANY, Cap.BUDGET)
    assert (result.amount_cents, result.capped_by) == (20_000, Cap.BUDGET)


def test_de_minimis_is_checked_after_the_budget_caps() -> None:
    """Base 500 € over a 300 € headroom would give nothing; the budget first brings it to 250 €,
    which fits: DESIGN's order (budget before de minimis) decides."""
    company = with_grants((TODAY - timedelta(days=10), DE_MINIMIS_CEILING_CENTS - 30_000))
    result = only(split(programme(de_minimis=True, remaining_budget_cents=25_000), company=company))
    assert (result.amount_cents, result.capped_by) == (25_000, Cap.BUDGET)


def test_intensity_is_checked_after_de_minimis() -> None:
    """The award as capped by the budget caps is what must fit in the de minimis headroom, even if
    the intensity ceiling would have brought it under."""
    company = with_grants((TODAY - timedelta(days=10), DE_MINIMIS_CEILING_CENTS - 40_000))
    result = only(
        split(programme(rate_bp=5000, de_minimis=True, max_aid_intensity_bp=3000), company=company)
    )
    assert (result.amount_cents, result.capped_by) == (0, Cap.DE_MINIMIS)


# --- Stacking and intensity across programmes ----------------------------------------------------


def test_programmes_stack_in_stacking_order_not_input_order() -> None:
    first = programme("A", rate_bp=5000, stacking_order=1)
    second = programme("B", rate_bp=5000, stacking_order=2, max_aid_intensity_bp=7000)
    result = split(second, first)
    assert [ln.programme_code for ln in result.lines] == ["A", "B"]
    assert [ln.amount_cents for ln in result.lines] == [50_000, 20_000]
    assert result.lines[1].capped_by is Cap.INTENSITY
    assert result.company_share_cents == 120_000 - 70_000


def test_equal_stacking_orders_fall_back_on_the_code() -> None:
    a = programme("A", rate_bp=6000, stacking_order=1)
    b = programme("B", rate_bp=6000, stacking_order=1)
    for order in ((a, b), (b, a)):
        assert [(ln.programme_code, ln.amount_cents) for ln in split(*order).lines] == [
            ("A", 60_000),
            ("B", 40_000),  # 100 % of excl. VAT at most, even with no ceiling declared
        ]


def test_a_later_ceiling_never_claws_back_an_earlier_award() -> None:
    a = programme("A", rate_bp=7000, stacking_order=1)
    b = programme("B", rate_bp=2000, stacking_order=2, max_aid_intensity_bp=5000)
    result = split(a, b)
    assert [ln.amount_cents for ln in result.lines] == [70_000, 0]
    assert result.lines[1].capped_by is Cap.INTENSITY


def test_an_earlier_ceiling_does_not_bind_later_programmes() -> None:
    """The ceiling is the programme's own: it bounds the total so far when that programme comes."""
    a = programme("A", rate_bp=2000, stacking_order=1, max_aid_intensity_bp=3000)
    b = programme("B", rate_bp=5000, stacking_order=2)
    assert [ln.amount_cents for ln in split(a, b).lines] == [20_000, 50_000]


def test_subsidies_never_exceed_the_amount_excl_vat() -> None:
    result = split(
        *(programme(c, rate_bp=BASIS_POINTS, stacking_order=i) for i, c in enumerate("ABC"))
    )
    assert result.subsidies_cents == 100_000
    assert result.company_share_cents == 20_000  # the VAT
    assert [ln.amount_cents for ln in result.lines] == [100_000, 0, 0]


# --- De minimis: rolling 3 years, all or nothing ------------------------------------------------


def test_de_minimis_award_that_fits_exactly_is_given() -> None:
    company = with_grants((TODAY - timedelta(days=1), DE_MINIMIS_CEILING_CENTS - 50_000))
    result = only(split(programme(de_minimis=True), company=company))
    assert result.amount_cents == 50_000
    assert split(programme(de_minimis=True), company=company).de_minimis_awarded_cents == 50_000


def test_de_minimis_award_one_cent_over_gives_nothing_not_the_excess() -> None:
    company = with_grants((TODAY - timedelta(days=1), DE_MINIMIS_CEILING_CENTS - 49_999))
    result = split(programme(de_minimis=True), company=company)
    assert (only(result).amount_cents, only(result).capped_by) == (0, Cap.DE_MINIMIS)
    assert only(result).limit_cents == 49_999
    assert result.company_share_cents == result.incl_vat_cents


def test_later_de_minimis_programmes_count_earlier_awards_in_the_same_split() -> None:
    company = with_grants((TODAY, DE_MINIMIS_CEILING_CENTS - 70_000))
    a = programme("A", rate_bp=4000, stacking_order=1, de_minimis=True)  # 400 €: fits in 700 €
    b = programme("B", rate_bp=4000, stacking_order=2, de_minimis=True)  # 400 € > 300 € left
    c = programme("C", rate_bp=2000, stacking_order=3, de_minimis=True)  # 200 € ≤ 300 € left
    result = split(a, b, c, company=company)
    assert [ln.amount_cents for ln in result.lines] == [40_000, 0, 20_000]
    assert result.lines[1].capped_by is Cap.DE_MINIMIS
    assert result.lines[1].limit_cents == 30_000
    assert result.de_minimis_awarded_cents == 60_000


def test_aid_outside_de_minimis_does_not_use_the_headroom() -> None:
    company = with_grants((TODAY, DE_MINIMIS_CEILING_CENTS - 30_000))
    a = programme("A", rate_bp=5000, stacking_order=1)  # another regime
    b = programme("B", rate_bp=3000, stacking_order=2, de_minimis=True)
    assert [ln.amount_cents for ln in split(a, b, company=company).lines] == [50_000, 30_000]


def test_headroom_already_exceeded_gives_nothing_and_never_goes_negative() -> None:
    company = with_grants((TODAY, DE_MINIMIS_CEILING_CENTS + 1))
    result = only(split(programme(de_minimis=True), company=company))
    assert (result.amount_cents, result.limit_cents) == (0, 0)


@pytest.mark.parametrize(
    ("granted_on", "counts"),
    [
        (date(2023, 6, 15), False),  # exactly three years before the booking: out of the window
        (date(2023, 6, 16), True),  # the first day of the three years ending on the booking date
        (date(2023, 6, 14), False),
        (date(2026, 6, 15), True),  # the booking day itself
        (date(2026, 12, 1), True),  # granted after the booking date: counted, by prudence
    ],
)
def test_rolling_three_years_boundary(granted_on: date, counts: bool) -> None:
    """EU 2023/2831 art. 3: aid granted in the three years up to the new grant. The three years
    ending on 15 June 2026 start on 16 June 2023: a grant of 15 June 2023 falls the day before."""
    grants = [DeMinimisGrant(granted_on, 1_000)]
    assert de_minimis_received(grants, TODAY) == (1_000 if counts else 0)
    company = with_grants((granted_on, DE_MINIMIS_CEILING_CENTS - 49_999))
    amount = only(split(programme(de_minimis=True), company=company)).amount_cents
    assert amount == (0 if counts else 50_000)


def test_window_start_on_29_february() -> None:
    assert de_minimis_window_start(date(2028, 2, 29)) == date(2025, 3, 1)
    assert de_minimis_window_start(date(2027, 3, 1)) == date(2024, 3, 2)
    assert de_minimis_window_start(date(2027, 2, 28)) == date(2024, 2, 29)


def test_declared_external_aid_counts_like_any_grant() -> None:
    grants = [
        DeMinimisGrant(date(2024, 1, 10), 100_000_00),  # declared, from another funder
        DeMinimisGrant(date(2025, 5, 2), 150_000_00),
        DeMinimisGrant(date(2022, 1, 1), 290_000_00),  # out of the window
    ]
    assert de_minimis_received(grants, TODAY) == 250_000_00
    company = dataclasses.replace(COMPANY, de_minimis_grants=tuple(grants))
    result = split(programme(de_minimis=True), company=company)
    assert result.de_minimis_received_cents == 250_000_00
    assert only(result).amount_cents == 50_000


# --- Eligibility -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "company", "offer", "on", "reasons"),
    [
        ({"regions": frozenset({"11"})}, COMPANY, OFFER, TODAY, (Ineligibility.REGION,)),
        ({"departments": frozenset({"01"})}, COMPANY, OFFER, TODAY, (Ineligibility.DEPARTMENT,)),
        ({"size_bands": frozenset({"0-2"})}, COMPANY, OFFER, TODAY, (Ineligibility.SIZE_BAND,)),
        ({"categories": frozenset({"crm"})}, COMPANY, OFFER, TODAY, (Ineligibility.CATEGORY,)),
        ({"valid_from": TODAY + timedelta(days=1)}, COMPANY, OFFER, TODAY, ("not-yet-open",)),
        ({"valid_to": TODAY - timedelta(days=1)}, COMPANY, OFFER, TODAY, ("closed",)),
        ({"valid_from": TODAY, "valid_to": TODAY}, COMPANY, OFFER, TODAY, ()),  # inclusive
        (
            {},
            COMPANY,
            dataclasses.replace(OFFER, provider_kind="volunteer", price_excl_vat_cents=0),
            TODAY,
            (Ineligibility.FREE_OFFER, Ineligibility.VOLUNTEER_OFFER),
        ),
        (
            {"regions": frozenset({"84"}), "size_bands": frozenset({"10-49"})},
            COMPANY,
            OFFER,
            TODAY,
            (),
        ),
        (
            {"regions": frozenset({"11"}), "categories": frozenset({"crm"})},
            COMPANY,
            OFFER,
            TODAY,
            (Ineligibility.REGION, Ineligibility.CATEGORY),
        ),
    ],
)
def test_ineligibility_reasons(
    changes: dict[str, object],
    company: CompanyFacts,
    offer: OfferFacts,
    on: date,
    reasons: tuple[str, ...],
) -> None:
    result = only(split(programme(**changes), company=company, offer=offer, on=on))
    assert result.ineligible == reasons
    assert result.eligible is (not reasons)
    if reasons:
        assert (result.amount_cents, result.applied_rate_bp, result.capped_by) == (0, 0, None)


def test_a_free_quote_is_a_free_offer() -> None:
    result = only(split(programme(), booking=line(excl=0)))
    assert result.ineligible == (Ineligibility.FREE_OFFER,)


def test_ineligible_programmes_take_no_room_from_later_ones() -> None:
    a = programme("A", rate_bp=9000, stacking_order=1, regions=frozenset({"11"}), de_minimis=True)
    b = programme("B", rate_bp=5000, stacking_order=2, de_minimis=True)
    company = with_grants((TODAY, DE_MINIMIS_CEILING_CENTS - 50_000))
    result = split(a, b, company=company)
    assert [ln.amount_cents for ln in result.lines] == [0, 50_000]


# --- Words -------------------------------------------------------------------------------------


def test_explanations_in_both_languages() -> None:
    capped = only(split(programme(cap_per_company_cents=100_000, company_used_cents=80_000)))
    assert explain(capped, "fr") == (
        "Pris en charge par Programme P : 200,00\xa0€ (20\u202f% du montant HT), "
        "plafonné par votre reste de droits au titre de Programme P."
    )
    assert explain(capped, "en") == (
        "Covered by Programme P: €200.00 (20% of the amount excl. VAT), "
        "capped by what remains of your allowance under Programme P."
    )
    plain = only(split(programme(rate_bp=1250)))
    assert (
        explain(plain, "fr_FR")
        == "Pris en charge par Programme P : 125,00\xa0€ (12,5\u202f% du montant HT)."
    )
    assert (
        explain(plain, "en_GB")
        == "Covered by Programme P: €125.00 (12.5% of the amount excl. VAT)."
    )


def test_explanations_of_de_minimis_and_ineligibility() -> None:
    company = with_grants((TODAY, DE_MINIMIS_CEILING_CENTS - 10_000))
    refused = only(split(programme(de_minimis=True), company=company))
    assert explain(refused, "fr") == (
        "Programme P : aucune aide : elle dépasserait votre plafond de minimis (reste 100,00\xa0€)."
    )
    assert explain(refused, "en") == (
        "Programme P: no aid: it would exceed your de minimis ceiling (€100.00 left)."
    )
    outside = only(split(programme(regions=frozenset({"11"}), size_bands=frozenset({"0-2"}))))
    assert explain(outside, "fr") == (
        "Non éligible à Programme P : votre région n'est pas couverte, "
        "la taille de votre entreprise n'est pas éligible."
    )
    assert explain(outside, "en") == (
        "Not eligible for Programme P: your region is not covered, "
        "your company's size is not eligible."
    )


def test_every_cap_and_reason_has_words_in_both_languages() -> None:
    """A new code without words would crash a page: every one has a French and an English text."""
    capping = {
        Cap.PER_BOOKING: programme(cap_per_booking_cents=1),
        Cap.PER_COMPANY: programme(cap_per_company_cents=1),
        Cap.BUDGET: programme(remaining_budget_cents=1),
        Cap.DE_MINIMIS: programme(de_minimis=True),
        Cap.INTENSITY: programme(max_aid_intensity_bp=1),
    }
    assert set(capping) == set(Cap)
    for cap, prog in capping.items():
        capped = only(split(prog, company=with_grants((TODAY, DE_MINIMIS_CEILING_CENTS))))
        assert capped.capped_by is cap
        assert explain(capped, "fr") != explain(capped, "en")
    for reason in Ineligibility:
        fake = dataclasses.replace(capped, ineligible=(reason,))
        assert explain(fake, "fr") != explain(fake, "en")


def test_split_imports_only_the_standard_library_and_money() -> None:
    """Pure core (STYLE rule 4): no database, no Flask, no catalogue."""
    source = (Path(__file__).resolve().parents[2] / "marketplace/billing/split.py").read_text()
    imported: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            imported.update(alias.name.partition(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0
            imported.add(node.module or "")
    outside = {name for name in imported if name.partition(".")[0] not in sys.stdlib_module_names}
    assert outside == {"marketplace.billing.money"}


# --- Properties --------------------------------------------------------------------------------

CODES = ["A", "B", "C", "D", "E"]
optional_cents = st.one_of(st.none(), st.integers(min_value=0, max_value=200_000))


@st.composite
def programmes_strategy(
    draw: st.DrawFn, de_minimis: bool | None = None, min_size: int = 0
) -> list[ProgrammeFacts]:
    codes = draw(st.lists(st.sampled_from(CODES), unique=True, min_size=min_size, max_size=5))
    return [
        ProgrammeFacts(
            code=code,
            name=f"Programme {code}",
            funder="État",
            rate_bp=draw(st.integers(min_value=0, max_value=BASIS_POINTS)),
            stacking_order=draw(st.integers(min_value=0, max_value=3)),
            cap_per_booking_cents=draw(optional_cents),
            cap_per_company_cents=draw(optional_cents),
            company_used_cents=draw(st.integers(min_value=0, max_value=200_000)),
            remaining_budget_cents=draw(optional_cents),
            de_minimis=draw(st.booleans()) if de_minimis is None else de_minimis,
            max_aid_intensity_bp=draw(
                st.one_of(st.none(), st.integers(min_value=0, max_value=BASIS_POINTS))
            ),
            regions=draw(st.sampled_from([None, frozenset({"84"}), frozenset({"11"})])),
            categories=draw(st.sampled_from([None, frozenset({"ecommerce", "crm"})])),
        )
        for code in codes
    ]


lines_strategy = st.builds(
    BookingLine,
    unit_price_excl_vat_cents=st.integers(min_value=0, max_value=500_000),
    quantity=st.integers(min_value=1, max_value=20),
    vat_rate_bp=st.sampled_from([0, 210, 550, 1000, 2000]),
)
grants_strategy = st.lists(
    st.builds(
        DeMinimisGrant,
        granted_on=st.dates(min_value=date(2022, 1, 1), max_value=date(2026, 12, 31)),
        amount_cents=st.integers(min_value=0, max_value=DE_MINIMIS_CEILING_CENTS),
    ),
    max_size=3,
)
ceiling_strategy = st.integers(min_value=0, max_value=2_000_000)


def check_invariants(
    result: Split, progs: list[ProgrammeFacts], company: CompanyFacts, ceiling: int
) -> None:
    assert result.company_share_cents + result.subsidies_cents == result.incl_vat_cents
    assert result.subsidies_cents == sum(ln.amount_cents for ln in result.lines)
    assert result.company_share_cents >= 0
    assert result.subsidies_cents <= result.excl_vat_cents
    by_code = {p.code: p for p in progs}
    headroom = max(0, ceiling - de_minimis_received(company.de_minimis_grants, TODAY))
    so_far = 0
    de_minimis_so_far = 0
    for ln in result.lines:
        p = by_code[ln.programme_code]
        assert (
            0
            <= ln.amount_cents
            <= ln.base_cents
            == share_rounded_down(result.excl_vat_cents, p.rate_bp)
        )
        if p.cap_per_booking_cents is not None:
            assert ln.amount_cents <= p.cap_per_booking_cents
        if p.cap_per_company_cents is not None:
            assert ln.amount_cents <= max(0, p.cap_per_company_cents - p.company_used_cents)
        if p.remaining_budget_cents is not None:
            assert ln.amount_cents <= p.remaining_budget_cents
        so_far += ln.amount_cents
        if ln.amount_cents and p.max_aid_intensity_bp is not None:
            assert so_far <= share_rounded_down(result.excl_vat_cents, p.max_aid_intensity_bp)
        if p.de_minimis:
            de_minimis_so_far += ln.amount_cents
            # All or nothing: given in full (as capped before de minimis) or refused.
            if ln.capped_by is Cap.DE_MINIMIS:
                assert ln.amount_cents == 0
    assert de_minimis_so_far == result.de_minimis_awarded_cents <= headroom


@settings(max_examples=400)
@given(
    booking=lines_strategy,
    progs=programmes_strategy(),
    grants=grants_strategy,
    ceiling=ceiling_strategy,
)
def test_every_split_keeps_every_rule(
    booking: BookingLine, progs: list[ProgrammeFacts], grants: list[DeMinimisGrant], ceiling: int
) -> None:
    """Shares sum exactly, none is negative, no cap is exceeded."""
    company = dataclasses.replace(COMPANY, de_minimis_grants=tuple(grants))
    result = compute_split(booking, OFFER, company, progs, TODAY, de_minimis_ceiling_cents=ceiling)
    check_invariants(result, progs, company, ceiling)
    for ln in result.lines:
        assert explain(ln, "fr") and explain(ln, "en")


@settings(max_examples=200)
@given(
    booking=lines_strategy,
    progs=programmes_strategy(),
    grants=grants_strategy,
    ceiling=ceiling_strategy,
    seed=st.integers(),
)
def test_input_order_is_irrelevant(
    booking: BookingLine,
    progs: list[ProgrammeFacts],
    grants: list[DeMinimisGrant],
    ceiling: int,
    seed: int,
) -> None:
    company = dataclasses.replace(COMPANY, de_minimis_grants=tuple(grants))
    shuffled = list(progs)
    random.Random(seed).shuffle(shuffled)
    runs = [
        compute_split(booking, OFFER, company, ps, TODAY, de_minimis_ceiling_cents=ceiling)
        for ps in (progs, shuffled)
    ]
    assert runs[0] == runs[1]


# Monotonicity holds for every regime except where de minimis all-or-nothing bites (see the two
# counter-examples below): so these properties draw de minimis programmes only with a headroom that
# no split can reach (no grants: EUR 300,000 against lines of at most EUR 100,000 excl. VAT).
@settings(max_examples=300)
@given(booking=lines_strategy, progs=programmes_strategy(), extra=programmes_strategy(min_size=1))
def test_adding_a_programme_never_raises_the_company_share(
    booking: BookingLine, progs: list[ProgrammeFacts], extra: list[ProgrammeFacts]
) -> None:
    new = dataclasses.replace(extra[0], code="Z")
    before = compute_split(booking, OFFER, COMPANY, progs, TODAY)
    after = compute_split(booking, OFFER, COMPANY, [*progs, new], TODAY)
    assert after.company_share_cents <= before.company_share_cents


@settings(max_examples=300)
@given(
    booking=lines_strategy,
    progs=programmes_strategy(min_size=1),
    which=st.integers(min_value=0),
    budget=st.integers(min_value=0, max_value=300_000),
    more=st.integers(min_value=1, max_value=300_000),
)
def test_increasing_a_budget_never_raises_the_company_share(
    booking: BookingLine, progs: list[ProgrammeFacts], which: int, budget: int, more: int
) -> None:
    i = which % len(progs)
    # A drawn budget for the chosen programme, rather than filtering out those without one
    # (that filtered out most examples: hypothesis' health check failed on some runs).
    smaller, bigger = [*progs], [*progs]
    smaller[i] = dataclasses.replace(progs[i], remaining_budget_cents=budget)
    bigger[i] = dataclasses.replace(progs[i], remaining_budget_cents=budget + more)
    progs = smaller
    before = compute_split(booking, OFFER, COMPANY, progs, TODAY)
    after = compute_split(booking, OFFER, COMPANY, bigger, TODAY)
    assert after.company_share_cents <= before.company_share_cents


def test_de_minimis_all_or_nothing_can_make_a_new_programme_cost_the_company() -> None:
    """DESIGN's all-or-nothing rule is not monotone: an earlier de minimis award can use up the
    headroom a larger later one needed. Documented here so nobody "fixes" the property test."""
    company = with_grants((TODAY, DE_MINIMIS_CEILING_CENTS - 60_000))
    big = programme("B", rate_bp=6000, stacking_order=2, de_minimis=True)
    small = programme("A", rate_bp=1000, stacking_order=1, de_minimis=True)
    alone = split(big, company=company)
    both = split(small, big, company=company)
    assert alone.subsidies_cents == 60_000
    assert [ln.amount_cents for ln in both.lines] == [10_000, 0]
    assert both.company_share_cents > alone.company_share_cents


def test_de_minimis_all_or_nothing_can_make_a_bigger_budget_cost_the_company() -> None:
    company = with_grants((TODAY, DE_MINIMIS_CEILING_CENTS - 30_000))
    tight = programme(de_minimis=True, remaining_budget_cents=30_000)
    loose = programme(de_minimis=True, remaining_budget_cents=40_000)
    assert only(split(tight, company=company)).amount_cents == 30_000
    assert only(split(loose, company=company)).amount_cents == 0
