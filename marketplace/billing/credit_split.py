"""What a credit note takes off an invoice, split like the invoice (pure; DESIGN §3).

A partial credit note lowers the price excl. VAT by an amount the provider states. Its VAT is
computed on that amount (half-up, as every document's VAT is), and each subsidy shrinks in
proportion to the new base, rounded down as subsidies round: the funder never pays a larger
share of the price than it agreed to, so no cap, budget, de minimis ceiling or aid intensity
can be broken by a credit note. The company's part of the credit is what is left, never
negative: when the cents rounded off the subsidies would make the company owe more after a
price cut, those cents stay with the subsidies instead.

A full credit note takes whatever the invoice still carries after the partial ones.
Amounts are integer cents; every credit sums exactly, and so does what it leaves.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from marketplace.billing.money import vat_amount


@dataclass(frozen=True)
class Standing:
    """An invoice as it stands after the credit notes issued so far."""

    excl_vat_cents: int
    incl_vat_cents: int
    subsidies_cents: tuple[int, ...]  # per subsidy line, in the invoice's order

    def __post_init__(self) -> None:
        amounts = (self.excl_vat_cents, self.incl_vat_cents, *self.subsidies_cents)
        if any(isinstance(a, bool) or not isinstance(a, int) or a < 0 for a in amounts):
            raise ValueError(f"amounts are non-negative integer cents: {amounts}")
        if self.incl_vat_cents < self.excl_vat_cents:
            raise ValueError("the total incl. VAT cannot be under the total excl. VAT")
        if sum(self.subsidies_cents) > self.excl_vat_cents:
            raise ValueError("subsidies never exceed the price excl. VAT")

    @property
    def vat_cents(self) -> int:
        return self.incl_vat_cents - self.excl_vat_cents

    @property
    def company_share_cents(self) -> int:
        return self.incl_vat_cents - sum(self.subsidies_cents)


@dataclass(frozen=True)
class Credit:
    """What one credit note takes off: `company_share_cents + sum(subsidies_cents)` is
    `incl_vat_cents`, exactly."""

    excl_vat_cents: int
    vat_cents: int
    subsidies_cents: tuple[int, ...]  # taken off each subsidy line, in the invoice's order
    company_share_cents: int

    @property
    def incl_vat_cents(self) -> int:
        return self.excl_vat_cents + self.vat_cents

    def after(self, standing: Standing) -> Standing:
        """The invoice once this credit note is issued."""
        return Standing(
            excl_vat_cents=standing.excl_vat_cents - self.excl_vat_cents,
            incl_vat_cents=standing.incl_vat_cents - self.incl_vat_cents,
            subsidies_cents=tuple(
                left - taken
                for left, taken in zip(standing.subsidies_cents, self.subsidies_cents, strict=True)
            ),
        )


def full_credit(standing: Standing) -> Credit:
    """Cancel what is left of the invoice."""
    return Credit(
        excl_vat_cents=standing.excl_vat_cents,
        vat_cents=standing.vat_cents,
        subsidies_cents=standing.subsidies_cents,
        company_share_cents=standing.company_share_cents,
    )


def partial_credit(standing: Standing, vat_rate_bp: int, reduction_excl_vat_cents: int) -> Credit:
    """Lower the price excl. VAT by `reduction_excl_vat_cents`: at least 1 cent, and less than
    what is left (cancelling all of it is a full credit note)."""
    reduction = reduction_excl_vat_cents
    left = standing.excl_vat_cents
    if isinstance(reduction, bool) or not isinstance(reduction, int) or not 0 < reduction < left:
        raise ValueError(f"a partial credit takes 1 to {left - 1} cents excl. VAT: {reduction}")
    # Never more VAT than the invoice still carries (rounding on earlier credits may have
    # taken a cent of it already).
    vat = min(vat_amount(reduction, vat_rate_bp), standing.vat_cents)
    incl = reduction + vat
    new_base = left - reduction
    taken = [amount - amount * new_base // left for amount in standing.subsidies_cents]
    deficit = sum(taken) - incl  # > 0: the company would owe more after a price cut
    for position in reversed(range(len(taken))):
        if deficit <= 0:
            break
        given_back = min(taken[position], deficit)
        taken[position] -= given_back
        deficit -= given_back
    return Credit(
        excl_vat_cents=reduction,
        vat_cents=vat,
        subsidies_cents=tuple(taken),
        company_share_cents=incl - sum(taken),
    )


def standing_after(standing: Standing, credits: Sequence[Credit]) -> Standing:
    for credit in credits:
        standing = credit.after(standing)
    return standing
