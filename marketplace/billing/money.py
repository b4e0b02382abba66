"""Amounts as integer cents of EUR and rates as integer basis points, with the rounding rules
of DESIGN §3: VAT half-up, subsidies down. Pure: no database, no request, no floats."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from babel.numbers import format_currency

BASIS_POINTS = 10_000  # 10,000 bp = 100 %
# EUR 10 trillion: any amount beyond it is a typo (and it stays far within BIGINT).
MAX_AMOUNT_CENTS = 10**15


def _check(cents: int, rate_bp: int) -> None:
    if isinstance(cents, bool) or not isinstance(cents, int):
        raise TypeError("amounts are integer cents")
    if isinstance(rate_bp, bool) or not isinstance(rate_bp, int):
        raise TypeError("rates are integer basis points")
    if not 0 <= rate_bp <= BASIS_POINTS:
        raise ValueError(f"rate out of range: {rate_bp} bp")


def vat_amount(cents: int, rate_bp: int) -> int:
    """VAT on an amount excl. VAT, rounded half-up to the cent (half away from zero)."""
    _check(cents, rate_bp)
    quotient, remainder = divmod(abs(cents) * rate_bp, BASIS_POINTS)
    if 2 * remainder >= BASIS_POINTS:
        quotient += 1
    return quotient if cents >= 0 else -quotient


def share_rounded_down(cents: int, rate_bp: int) -> int:
    """`rate_bp` of a non-negative amount, rounded down to the cent (how subsidies round)."""
    _check(cents, rate_bp)
    if cents < 0:
        raise ValueError("a subsidy base cannot be negative")
    return cents * rate_bp // BASIS_POINTS


@dataclass(frozen=True)
class PriceBreakdown:
    excl_vat_cents: int
    vat_rate_bp: int
    vat_cents: int
    incl_vat_cents: int


def price_breakdown(excl_vat_cents: int, vat_rate_bp: int) -> PriceBreakdown:
    """The three amounts shown on an offer; incl. VAT is exactly excl. VAT plus VAT."""
    vat = vat_amount(excl_vat_cents, vat_rate_bp)
    return PriceBreakdown(excl_vat_cents, vat_rate_bp, vat, excl_vat_cents + vat)


def format_euros(cents: int, locale: str) -> str:
    """Integer cents as euros in a locale ("1 250,50 €", "€1,250.50"); Decimal keeps it exact."""
    return str(format_currency(Decimal(cents) / 100, "EUR", locale=locale))
