"""Turning what a visitor asked (URL arguments, API query) into a SearchQuery, leniently:
unknown values are dropped rather than refused, so a shared or old link still works."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from marketplace.geo import REGION_BY_CODE
from marketplace.search.documents import PRICE_BANDS, RATING_BANDS, day_number
from marketplace.search.query import FACETS, MAX_PER_PAGE, MAX_TOTAL_HITS, SORTS, SearchQuery
from marketplace.taxonomy import CATEGORY_CODES

DELIVERY_MODES = ("remote", "on_site", "hybrid")
PROVIDER_KINDS = ("expert", "volunteer")
PRICE_BAND_CODES = tuple(band for _upper, band in PRICE_BANDS)
RATING_BAND_CODES = tuple(band for _lower, band in RATING_BANDS)
MAX_TEXT = 200


def _keep(values: Iterable[str], allowed: Iterable[str]) -> tuple[str, ...]:
    allowed = tuple(allowed)
    return tuple(v for v in dict.fromkeys(values) if v in allowed)


def _int(raw: str | None, default: int, low: int, high: int) -> int:
    try:
        return max(low, min(high, int(raw))) if raw not in (None, "") else default
    except ValueError:
        return default


def build_query(
    today: date,
    text: str = "",
    needs: Iterable[str] = (),
    regions: Iterable[str] = (),
    include_remote: bool = True,
    delivery_modes: Iterable[str] = (),
    provider_kinds: Iterable[str] = (),
    price_bands: Iterable[str] = (),
    rating_bands: Iterable[str] = (),
    programmes: Iterable[str] = (),
    sort: str | None = None,
    page: str | int | None = None,
    per_page: str | int | None = None,
) -> SearchQuery:
    per = _int(str(per_page) if per_page is not None else None, 20, 1, MAX_PER_PAGE)
    return SearchQuery(
        text=" ".join(text.split())[:MAX_TEXT],
        needs=_keep(needs, CATEGORY_CODES),
        regions=_keep(regions, REGION_BY_CODE),
        include_remote=include_remote,
        delivery_modes=_keep(delivery_modes, DELIVERY_MODES),
        provider_kinds=_keep(provider_kinds, PROVIDER_KINDS),
        price_bands=_keep(price_bands, PRICE_BAND_CODES),
        rating_bands=_keep(rating_bands, RATING_BAND_CODES),
        programmes=tuple(dict.fromkeys(p for p in programmes if p))[:20],
        visible_on=day_number(today),
        sort=sort if sort in SORTS else "relevance",
        page=_int(str(page) if page is not None else None, 1, 1, MAX_TOTAL_HITS // per + 1),
        per_page=per,
        facets=FACETS,
    )
