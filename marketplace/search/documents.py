"""Search documents: what the index holds for one published offer, built from plain values.

Documents are derived from the database (the source of truth) and can always be rebuilt.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, NotRequired, TypedDict

from marketplace.taxonomy import french_category_label

# Upper bounds (exclusive) in cents excl. VAT, and the facet value of each price band.
PRICE_BANDS = (
    (1, "free"),
    (50_000, "under_500"),
    (200_000, "500_2000"),
    (500_000, "2000_5000"),
    (None, "over_5000"),
)
# Lower bounds (inclusive) of the average rating × 100, and the facet value of each rating band;
# an offer without a visible review is "unrated" (its rating is 0, reviews score 1 to 5).
RATING_BANDS = (
    (400, "4_plus"),
    (300, "3_to_4"),
    (1, "under_3"),
    (0, "unrated"),
)
# `visible_through` of an offer whose label has no end date.
ALWAYS_VISIBLE = 9999_12_31


class OfferDocument(TypedDict):
    id: int
    title: str
    summary: str
    description: str
    category: str
    needs: list[str]
    needs_labels: list[str]  # French labels of the needs, so words like "cybersécurité" match
    provider_id: int
    provider_name: str
    provider_kind: str
    regions: list[str]
    remote: bool
    delivery_mode: str
    price_cents: int
    price_band: str
    vat_rate_bp: int
    pricing_unit: str
    duration_days: int | None
    languages: list[str]
    programmes: list[str]  # the subsidy programmes that can apply to it, for some company
    best_rate_bp: int  # the most any eligible company gets, over the price excl. VAT
    # What that company pays, VAT included (the "price after subsidies" sort); left out when
    # unknown, so the offer sorts last.
    net_price_cents: NotRequired[int]
    rating: int  # average rating × 100 (450 = 4.5 stars), 0 without reviews
    rating_band: str
    published_at: int  # Unix seconds
    # The last day the offer is visible (its label's end date) as YYYYMMDD: searches filter
    # on it, so an offer leaves the results the day its label lapses, sweep or not.
    visible_through: int


@dataclass(frozen=True)
class OfferFacts:
    """The plain values a document is built from (the catalogue maps its models to this)."""

    id: int
    title: str
    summary: str
    description: str
    category: str
    needs: tuple[str, ...]
    provider_id: int
    provider_name: str
    provider_kind: str
    regions: tuple[str, ...]
    delivery_mode: str
    price_cents: int
    vat_rate_bp: int
    pricing_unit: str
    duration_days: int | None
    languages: tuple[str, ...]
    published_at: datetime
    programmes: tuple[str, ...] = ()
    best_rate_bp: int = 0
    net_price_cents: int | None = None  # None: unknown
    rating: int = 0
    visible_through: date | None = None  # None: no end date


def day_number(day: date) -> int:
    """A day as the integer YYYYMMDD, which both backends compare as a number."""
    return day.year * 10_000 + day.month * 100 + day.day


def price_band(price_cents: int) -> str:
    for upper, band in PRICE_BANDS:
        if upper is None or price_cents < upper:
            return band
    raise AssertionError("unreachable")


def rating_band(rating: int) -> str:
    for lower, band in RATING_BANDS:
        if rating >= lower:
            return band
    raise AssertionError("unreachable")


def offer_document(facts: OfferFacts) -> dict[str, Any]:
    """The document indexed for a published offer."""
    needs = list(dict.fromkeys((facts.category, *facts.needs)))
    document: OfferDocument = {
        "id": facts.id,
        "title": facts.title,
        "summary": facts.summary,
        "description": facts.description,
        "category": facts.category,
        "needs": needs,
        "needs_labels": [french_category_label(code) for code in needs],
        "provider_id": facts.provider_id,
        "provider_name": facts.provider_name,
        "provider_kind": facts.provider_kind,
        "regions": sorted(facts.regions),
        "remote": facts.delivery_mode in ("remote", "hybrid"),
        "delivery_mode": facts.delivery_mode,
        "price_cents": facts.price_cents,
        "price_band": price_band(facts.price_cents),
        "vat_rate_bp": facts.vat_rate_bp,
        "pricing_unit": facts.pricing_unit,
        "duration_days": facts.duration_days,
        "languages": sorted(facts.languages),
        "programmes": sorted(facts.programmes),
        "best_rate_bp": facts.best_rate_bp,
        "rating": facts.rating,
        "rating_band": rating_band(facts.rating),
        "published_at": int(facts.published_at.timestamp()),
        "visible_through": (
            ALWAYS_VISIBLE if facts.visible_through is None else day_number(facts.visible_through)
        ),
    }
    if facts.net_price_cents is not None:
        document["net_price_cents"] = facts.net_price_cents
    return dict(document)
