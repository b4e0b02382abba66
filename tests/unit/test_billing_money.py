"""Money rules: VAT half-up and subsidy shares rounded down, to the cent, all in integers."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from marketplace.billing.money import (
    BASIS_POINTS,
    format_euros,
    price_breakdown,
    share_rounded_down,
    vat_amount,
)
from marketplace.catalog.operations import VAT_RATES_BP


@pytest.mark.parametrize(
    ("cents", "rate_bp", "vat"),
    [
        (0, 2000, 0),
        (100_000, 2000, 20_000),
        (1, 2000, 0),  # 0.2 cent
        (3, 2000, 1),  # 0.6 cent
        (10, 550, 1),  # 0.55 cent: half and more goes up
        (9, 550, 0),  # 0.495 cent
        (1, 5000, 1),  # exactly half a cent goes up
        (12_345, 1000, 1_235),  # 1234.5 → 1235
        (99_999, 550, 5_500),  # 5499.945 → 5500
        (250_000, 0, 0),
        (7, 10_000, 7),
        (-10, 550, -1),  # credit notes: half away from zero, symmetric
    ],
)
def test_vat_examples(cents: int, rate_bp: int, vat: int) -> None:
    assert vat_amount(cents, rate_bp) == vat


@settings(max_examples=300)
@given(
    cents=st.integers(min_value=0, max_value=10**12),
    rate_bp=st.one_of(st.sampled_from(VAT_RATES_BP), st.integers(min_value=0, max_value=10_000)),
)
def test_vat_is_the_decimal_half_up_rounding(cents: int, rate_bp: int) -> None:
    """Does the integer arithmetic agree with Decimal's half-up rounding, for any amount?"""
    expected = (Decimal(cents) * rate_bp / 10_000).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    assert vat_amount(cents, rate_bp) == int(expected)


@settings(max_examples=300)
@given(
    cents=st.integers(min_value=0, max_value=10**12),
    rate_bp=st.sampled_from(VAT_RATES_BP),
)
def test_total_is_price_plus_vat_in_integers(cents: int, rate_bp: int) -> None:
    price = price_breakdown(cents, rate_bp)
    assert price.incl_vat_cents == price.excl_vat_cents + price.vat_cents
    assert all(
        type(v) is int
        for v in (price.excl_vat_cents, price.vat_cents, price.incl_vat_cents, price.vat_rate_bp)
    )
    assert 0 <= price.vat_cents <= cents


@given(
    cents=st.integers(min_value=-(10**9), max_value=10**9), rate_bp=st.sampled_from(VAT_RATES_BP)
)
def test_vat_is_symmetric(cents: int, rate_bp: int) -> None:
    assert vat_amount(-cents, rate_bp) == -vat_amount(cents, rate_bp)


@pytest.mark.parametrize(
    ("cents", "rate_bp", "error"),
    [
        (10.0, 2000, TypeError),
        (Decimal(10), 2000, TypeError),
        (True, 2000, TypeError),
        (10, 20.0, TypeError),
        (10, -1, ValueError),
        (10, 10_001, ValueError),
    ],
)
def test_only_integer_cents_and_basis_points(cents: object, rate_bp: object, error: type) -> None:
    with pytest.raises(error):
        vat_amount(cents, rate_bp)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("cents", "rate_bp", "share"),
    [
        (0, 5000, 0),
        (250_001, 5000, 125_000),  # 1,250.005 € rounds down, never up
        (99, 3333, 32),  # 32.9967 cents
        (100_000, BASIS_POINTS, 100_000),
        (100_000, 0, 0),
    ],
)
def test_shares_round_down(cents: int, rate_bp: int, share: int) -> None:
    assert share_rounded_down(cents, rate_bp) == share


@given(st.integers(min_value=0, max_value=10**12), st.integers(min_value=0, max_value=10_000))
def test_a_share_never_exceeds_the_exact_amount_nor_falls_a_cent_short(
    cents: int, rate_bp: int
) -> None:
    exact = Decimal(cents) * rate_bp / BASIS_POINTS
    assert exact - 1 < share_rounded_down(cents, rate_bp) <= exact


@pytest.mark.parametrize(
    ("bad_cents", "bad_rate"), [(-1, 5000), (1.5, 5000), (True, 5000), (100, 10_001), (100, -1)]
)
def test_share_refuses_what_is_not_money(bad_cents: object, bad_rate: int) -> None:
    with pytest.raises((TypeError, ValueError)):
        share_rounded_down(bad_cents, bad_rate)  # type: ignore[arg-type]


def test_euros_read_as_in_each_language() -> None:
    assert format_euros(125_050, "fr") == "1\u202f250,50\xa0€"
    assert format_euros(125_050, "en") == "€1,250.50"
