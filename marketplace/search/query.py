"""What a search asks and what it returns: plain values shared by every backend.

Semantics every backend keeps (the contract suite checks them):
- text: French stop words are dropped (unless part of a synonym phrase, or all there is); the
  hits match at least the first remaining word, those matching all words first, then those
  without the last word, and so on (Meilisearch `matchingStrategy: "last"`), and
  `ignored_words` says which words the best hits do without. The last word also matches as a
  prefix; words of 5+ letters tolerate one typo, 9+ two; synonyms (data file) match both ways,
  on the typed words and on the words their typos correct to; accents and case are ignored.
- ranking: words, then a chosen sort, then typo, proximity (words side by side, then close),
  attribute (title first), exactness (an attribute opening with the query, then the query's own
  words before synonyms, typos and prefixes), then newest first.
- filters: values inside one filter are OR-ed, different filters are AND-ed; `regions` matches
  offers serving any of the regions, or working remotely when `include_remote` is set;
  `visible_on` (a day as YYYYMMDD) drops offers whose `visible_through` is earlier (documents
  without one stay).
- facets: counts of each value among all hits of the query with its filters applied (Meilisearch
  `facetDistribution`), for the facet fields asked.
- pagination: pages numbered from 1, stopping at MAX_TOTAL_HITS; totals are exact up to
  MAX_TOTAL_HITS and stop there (Meilisearch's `pagination.maxTotalHits`): a total of
  MAX_TOTAL_HITS means "that many or more".
- highlights: matched words wrapped in HIGHLIGHT_PRE/HIGHLIGHT_POST (control characters, so the
  page can escape the text first and then turn them into <mark>).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

HIGHLIGHT_PRE = "\x02"
HIGHLIGHT_POST = "\x03"

SORTS = {
    "relevance": None,
    "price_asc": ("price_cents", "asc"),
    "price_desc": ("price_cents", "desc"),
    "net_price_asc": ("net_price_cents", "asc"),  # after subsidies, best case, VAT included
    "rating_desc": ("rating", "desc"),
    "newest": ("published_at", "desc"),
}
FACETS = (
    "needs",
    "category",
    "regions",
    "delivery_mode",
    "price_band",
    "provider_kind",
    "programmes",
    "rating_band",
)
MAX_PER_PAGE = 100
MAX_TOTAL_HITS = 1000  # Meilisearch's pagination.maxTotalHits default: pages stop there


@dataclass(frozen=True)
class SearchQuery:
    text: str = ""
    needs: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()
    include_remote: bool = False
    delivery_modes: tuple[str, ...] = ()
    provider_kinds: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    programmes: tuple[str, ...] = ()
    price_bands: tuple[str, ...] = ()
    rating_bands: tuple[str, ...] = ()
    price_min_cents: int | None = None
    price_max_cents: int | None = None
    visible_on: int | None = None
    sort: str = "relevance"
    page: int = 1
    per_page: int = 20
    facets: tuple[str, ...] = FACETS

    def __post_init__(self) -> None:
        if self.sort not in SORTS:
            raise ValueError(f"unknown sort {self.sort!r}")
        if not 1 <= self.per_page <= MAX_PER_PAGE or self.page < 1:
            raise ValueError("page must be >= 1 and per_page within 1..100")
        unknown = set(self.facets) - set(FACETS)
        if unknown:
            raise ValueError(f"unknown facets {sorted(unknown)}")


@dataclass(frozen=True)
class Hit:
    id: int
    document: dict[str, Any]
    highlights: dict[str, str] = field(default_factory=dict)  # field → text with markers


@dataclass(frozen=True)
class SearchResult:
    hits: list[Hit]
    total: int
    page: int
    per_page: int
    facets: dict[str, dict[str, int]]
    # The query words the best hits do without: none when some hit matches them all (then
    # hits matching fewer words follow); the page says the others are partial matches.
    ignored_words: tuple[str, ...] = ()

    @property
    def capped(self) -> bool:
        """Whether the total stopped counting: there may be more hits than it says."""
        return self.total >= MAX_TOTAL_HITS

    @property
    def pages(self) -> int:
        return -(-min(self.total, MAX_TOTAL_HITS) // self.per_page) if self.total else 0
