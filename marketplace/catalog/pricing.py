"""Prices as the company reads them: excl. VAT, VAT, incl. VAT, in integer cents (DESIGN §3)."""

from __future__ import annotations

from dataclasses import dataclass

BASIS_POINTS = 10_000


def vat_amount(cents: int, rate_bp: int) -> int:
    """VAT on an amount excl. VAT, rounded half-up to the cent (half away from zero)."""
    if isinstance(cents, bool) or not isinstance(cents, int):
        raise TypeError("amounts are integer cents")
    if isinstance(rate_bp, bool) or not isinstance(rate_bp, int):
        raise TypeError("rates are integer basis points")
    if not 0 <= rate_bp <= BASIS_POINTS:
        raise ValueError(f"VAT rate out of range: {rate_bp} bp")
    quotient, remainder = divmod(abs(cents) * rate_bp, BASIS_POINTS)
    if 2 * remainder >= BASIS_POINTS:
        quotient += 1
    return quotient if cents >= 0 else -quotient


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
