"""Offers recommended from a diagnosis: searches per need, in the needs' priority order.

Each need asks two searches in one multi-search: offers whose main category is the need, then
every offer addressing it (its total is the "see all" count). Offers about the need come
first; those that only touch it (a click-and-collect offer that also syncs the invoicing) fill
the remaining places. Both are best rated first.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import date
from typing import Any

from marketplace.search.documents import day_number
from marketplace.search.query import SearchQuery, SearchResult

PER_NEED = 3


def recommendation_queries(
    needs: Sequence[dict[str, Any]], region_code: str, today: date, per_need: int = PER_NEED
) -> list[SearchQuery]:
    """For each ranked need, in the company's region or remote: the offers about it, then
    every offer addressing it."""
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
        queries += [
            replace(common, categories=(need["need"],)),
            replace(common, needs=(need["need"],)),
        ]
    return queries


def recommendations(
    results: Sequence[SearchResult], per_need: int = PER_NEED
) -> list[SearchResult]:
    """One result per need from the answers to `recommendation_queries`: the offers about the
    need first, then the others addressing it, `per_need` at most, and the total of all."""
    merged = []
    for about, addressing in zip(results[::2], results[1::2], strict=True):
        ids = {hit.id for hit in about.hits}
        hits = [*about.hits, *(hit for hit in addressing.hits if hit.id not in ids)]
        merged.append(replace(addressing, hits=hits[:per_need]))
    return merged
