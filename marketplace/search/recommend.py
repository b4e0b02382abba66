"""Offers recommended from a diagnosis: searches per need, in the needs' priority order.

Each need asks two searches in one multi-search: offers whose main category is the need, then
every offer addressing it (its total is the "see all" count). Offers about the need come
first; those that only touch it (a click-and-collect offer that also syncs the invoicing) fill
the remaining places. Both are best rated first.

With the company's NAF code, a third search per need, first, asks for the offers naming its
trade (data/trades_fr.json: a bakery's "boulangeries-pâtisseries"): they come first, a boost
only — the need's other offers still fill the places they leave.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import replace
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

from marketplace.search.documents import day_number
from marketplace.search.query import SearchQuery, SearchResult

PER_NEED = 3
TRADES_FILE = Path(__file__).parent / "data" / "trades_fr.json"


@cache
def _trades() -> dict[str, tuple[str, ...]]:
    raw = json.loads(TRADES_FILE.read_text(encoding="utf-8"))
    return {prefix: tuple(words) for prefix, words in raw["trades"].items()}


def trade_words(naf_code: str | None) -> tuple[str, ...]:
    """The words of the trade of a NAF code ("10.71C" → boulanger…), by the longest listed
    prefix; none for a trade the data does not know."""
    code = (naf_code or "").strip().upper()
    for size in range(len(code), 0, -1):
        if (words := _trades().get(code[:size])) is not None:
            return words
    return ()


def recommendation_queries(
    needs: Sequence[dict[str, Any]],
    region_code: str,
    today: date,
    per_need: int = PER_NEED,
    naf_code: str | None = None,
) -> list[SearchQuery]:
    """For each ranked need, in the company's region or remote: the offers addressing it that
    name the company's trade (when its NAF code has one), the offers about it, then every
    offer addressing it."""
    trade = trade_words(naf_code)
    queries = []
    for need in needs:
        common = SearchQuery(
            regions=(region_code,),
            include_remote=True,
            visible_on=day_number(today),
            sort="rating_desc",
            per_page=per_need,
            facets=(),
        )
        if trade:
            queries.append(replace(common, text=trade[0], needs=(need["need"],)))
        queries += [
            replace(common, categories=(need["need"],)),
            replace(common, needs=(need["need"],)),
        ]
    return queries


def recommendations(
    results: Sequence[SearchResult], per_need: int = PER_NEED, naf_code: str | None = None
) -> list[SearchResult]:
    """One result per need from the answers to `recommendation_queries` (asked with the same
    NAF code): the offers naming the trade, then those about the need, then the others
    addressing it, `per_need` at most, and the total of all."""
    size = 3 if trade_words(naf_code) else 2
    merged = []
    for start in range(0, len(results), size):
        *firsts, addressing = results[start : start + size]
        hits, ids = [], set()
        for result in (*firsts, addressing):
            for hit in result.hits:
                if hit.id not in ids:
                    ids.add(hit.id)
                    hits.append(hit)
        merged.append(replace(addressing, hits=hits[:per_need], ignored_words=()))
    return merged
