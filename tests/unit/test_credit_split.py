"""Credit notes split like invoices: exact sums, subsidies that only shrink, no negative share."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from marketplace.billing.credit_split import (
    Credit,
    Standing,
    full_credit,
    partial_credit,
    standing_after,
)
from marketplace.billing.money import vat_amount

RATES = (0, 550, 1000, 2000)


def invoice(excl: int, rate: int, subsidies: tuple[int, ...]) -> Standing:
    return Standing(excl, excl + vat_amount(excl, rate), subsidies)


def test_a_price_cut_takes_vat_on_the_cut_and_shrinks_each_subsidy_with_the_base() -> None:
    # The billing scenario: 1,200 € excl. VAT + 20 % = 1,440 €; 600 € national, 240 € regional.
    standing = invoice(120_000, 2000, (60_000, 24_000))
    credit = partial_credit(standing, 2000, 30_000)  # 300 € off: a quarter of the price
    assert credit == Credit(30_000, 6_000, (15_000, 6_000), 15_000)
    assert credit.incl_vat_cents == 36_000
    after = credit.after(standing)
    assert after == Standing(90_000, 108_000, (45_000, 18_000))
    assert after.company_share_cents == 45_000  # was 60,000: the company pays 150 € less


def test_subsidy_cents_round_down_with_the_new_base() -> None:
    standing = invoice(100_001, 2000, (50_000,))
    credit = partial_credit(standing, 2000, 1)
    # 50,000 × 100,000 / 100,001 = 49,999.5: the subsidy becomes 49,999, one cent less.
    assert credit.subsidies_cents == (1,)
    assert credit.incl_vat_cents == 1  # 1 cent + 0 cent of VAT
    assert credit.company_share_cents == 0


def test_rounding_cents_stay_with_the_subsidies_rather_than_raise_the_company_share() -> None:
    # Fully subsidised and VAT-exempt: the company owes nothing and must still owe nothing.
    standing = invoice(1_001, 0, (500, 501))
    credit = partial_credit(standing, 0, 1)
    assert credit.company_share_cents == 0
    assert sum(credit.subsidies_cents) == 1
    assert credit.after(standing).company_share_cents == 0


@pytest.mark.parametrize("reduction", [0, -5, 120_000, 130_000, True, 1.5])
def test_a_partial_credit_takes_at_least_a_cent_and_less_than_what_is_left(
    reduction: object,
) -> None:
    with pytest.raises(ValueError, match="partial credit takes 1 to 119999 cents"):
        partial_credit(invoice(120_000, 2000, ()), 2000, reduction)  # type: ignore[arg-type]


def test_a_standing_that_does_not_add_up_is_refused() -> None:
    with pytest.raises(ValueError, match="non-negative"):
        Standing(100, 120, (-1,))
    with pytest.raises(ValueError, match=r"under the total excl\. VAT"):
        Standing(100, 99, ())
    with pytest.raises(ValueError, match="never exceed"):
        Standing(100, 120, (60, 41))


def test_a_full_credit_after_partial_ones_takes_exactly_what_is_left() -> None:
    standing = invoice(120_000, 2000, (60_000, 24_000))
    cuts = [partial_credit(standing, 2000, 30_000)]
    cuts.append(partial_credit(cuts[0].after(standing), 2000, 333))
    rest = full_credit(standing_after(standing, cuts))
    everything = [*cuts, rest]
    assert sum(c.excl_vat_cents for c in everything) == 120_000
    assert sum(c.incl_vat_cents for c in everything) == 144_000
    assert sum(c.company_share_cents for c in everything) == 60_000
    assert [sum(c.subsidies_cents[i] for c in everything) for i in (0, 1)] == [60_000, 24_000]
    assert standing_after(standing, everything) == Standing(0, 0, (0, 0))


@st.composite
def standings(draw: st.DrawFn) -> tuple[Standing, int]:
    rate = draw(st.sampled_from(RATES))
    excl = draw(st.integers(2, 10**9))
    count = draw(st.integers(0, 3))
    room = excl
    subsidies = []
    for _ in range(count):
        amount = draw(st.integers(0, room))
        subsidies.append(amount)
        room -= amount
    vat = vat_amount(excl, rate) - draw(st.integers(0, min(2, vat_amount(excl, rate))))
    return Standing(excl, excl + vat, tuple(subsidies)), rate


@settings(max_examples=600, deadline=None)
@given(standings(), st.data())
def test_every_partial_credit_keeps_every_rule(
    case: tuple[Standing, int], data: st.DataObject
) -> None:
    standing, rate = case
    reduction = data.draw(st.integers(1, standing.excl_vat_cents - 1))
    credit = partial_credit(standing, rate, reduction)
    after = credit.after(standing)  # Standing re-checks what is left: nothing negative

    assert credit.excl_vat_cents == reduction
    assert credit.company_share_cents + sum(credit.subsidies_cents) == credit.incl_vat_cents
    assert 0 <= credit.vat_cents <= vat_amount(reduction, rate)
    assert credit.company_share_cents >= 0
    assert after.company_share_cents >= 0
    assert after.company_share_cents + sum(after.subsidies_cents) == after.incl_vat_cents
    for before, now in zip(standing.subsidies_cents, after.subsidies_cents, strict=True):
        assert 0 <= now <= before  # a subsidy only shrinks
        if credit.company_share_cents > 0:  # no rounding cent was given back to the funders
            assert now * standing.excl_vat_cents <= before * after.excl_vat_cents


@settings(max_examples=300, deadline=None)
@given(standings(), st.lists(st.integers(1, 10**9), min_size=1, max_size=5))
def test_credits_one_after_another_leave_a_valid_invoice_and_add_up_to_it(
    case: tuple[Standing, int], cuts: list[int]
) -> None:
    standing, rate = case
    credits: list[Credit] = []
    current = standing
    for cut in cuts:
        if current.excl_vat_cents < 2:
            break
        credit = partial_credit(current, rate, min(cut, current.excl_vat_cents - 1))
        credits.append(credit)
        current = credit.after(current)
    credits.append(full_credit(current))
    assert full_credit(standing) == Credit(
        *(sum(getattr(c, name) for c in credits) for name in ("excl_vat_cents", "vat_cents")),
        tuple(
            sum(c.subsidies_cents[i] for c in credits) for i in range(len(standing.subsidies_cents))
        ),
        sum(c.company_share_cents for c in credits),
    )
