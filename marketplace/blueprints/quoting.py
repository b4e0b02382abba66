"""Prices as each reader lives them (DESIGN §1.3), for every page that shows one.

A logged-in company sees its own split: price excl. VAT, VAT, each programme's part and what it
pays. Everyone else (visitors, providers, administrators) sees the best case, "up to N %
covered", and the way to the eligibility page. A page of offers costs a constant number of
queries: `quotes_for` loads the company's facts and the programmes once for all of them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload
from wtforms import IntegerField, ValidationError
from wtforms.validators import Optional

from marketplace.accounts.models import Company, Role
from marketplace.billing.money import PriceBreakdown, price_breakdown
from marketplace.billing.quotes import (
    BestCase,
    best_case,
    best_case_programmes,
    offer_line,
    offer_split_facts,
    quote,
    quotes_for,
)
from marketplace.billing.split import Split, SplitLine, explain
from marketplace.billing.split_schemas import MAX_QUANTITY
from marketplace.blueprints.forms import SafeForm
from marketplace.catalog.models import Offer


def viewing_company() -> Company | None:
    """The logged-in company user's company; None for visitors, providers and admins."""
    if current_user.is_authenticated and current_user.role == Role.COMPANY:
        return current_user.company
    return None


def split_explanation(line: SplitLine) -> str:
    """A split line in words, in the reader's language."""
    return explain(line, str(get_locale() or "fr"))


@dataclass(frozen=True)
class PriceView:
    """One offer's price at a quantity, as this reader sees it."""

    price: PriceBreakdown
    quantity: int
    split: Split | None = None  # a company's own split
    best: BestCase | None = None  # everyone else's "up to N %"


def offer_price(session: Session, offer: Offer, today: date, quantity: int = 1) -> PriceView:
    """The offer's price for the reader; a free offer has neither split nor best case."""
    line = offer_line(offer, quantity)
    price = price_breakdown(line.unit_price_excl_vat_cents * quantity, line.vat_rate_bp)
    if offer.is_free:
        return PriceView(price, quantity)
    company = viewing_company()
    if company is not None:
        return PriceView(price, quantity, split=quote(session, company, offer, today, quantity))
    programmes = best_case_programmes(session, today)
    facts = offer_split_facts(offer)
    best = best_case(facts, offer.vat_rate_bp, programmes, today, quantity)
    return PriceView(price, quantity, best=best)


def offer_prices(session: Session, offers: Sequence[Offer], today: date) -> dict[int, PriceView]:
    """`offer_price` of several offers (quantity 1), with one load of the programmes."""
    company = viewing_company()
    prices = {o.id: price_breakdown(o.price_excl_vat_cents, o.vat_rate_bp) for o in offers}
    if company is not None:
        splits = quotes_for(session, company, offers, today)
        return {o.id: PriceView(prices[o.id], 1, split=splits[o.id]) for o in offers}
    programmes = best_case_programmes(session, today)
    return {
        o.id: PriceView(
            prices[o.id],
            1,
            best=best_case(offer_split_facts(o), o.vat_rate_bp, programmes, today),
        )
        for o in offers
    }


def hit_quotes(session: Session, offer_ids: Iterable[int], today: date) -> dict[int, Split]:
    """The reading company's split of each offer found (quantity 1), read from the database in
    one batch; empty for anyone else (the hits' documents hold the best case)."""
    company = viewing_company()
    ids = sorted(set(offer_ids))
    if company is None or not ids:
        return {}
    offers = session.scalars(
        select(Offer).where(Offer.id.in_(ids)).options(selectinload(Offer.provider))
    )
    return quotes_for(session, company, offers, today)


def quantity_range(_form: SafeForm, field: IntegerField) -> None:
    """1 to MAX_QUANTITY; a value that is not a whole number already has its error."""
    if field.data is not None and not 1 <= field.data <= MAX_QUANTITY:
        raise ValidationError(_l("Give a quantity between 1 and %(max)d.", max=MAX_QUANTITY))


class QuantityForm(SafeForm):
    """How many units of a per-unit offer to quote (GET: a shareable link, no CSRF)."""

    class Meta:
        csrf = False

    quantity = IntegerField(
        _l("Quantity"),
        validators=[Optional(), quantity_range],
        default=1,
        render_kw={"inputmode": "numeric", "min": 1, "max": MAX_QUANTITY},
    )

    def chosen(self) -> int:
        """The quantity asked, 1 when none or when it is refused."""
        if self.errors or self.quantity.data is None:
            return 1
        return int(self.quantity.data)
