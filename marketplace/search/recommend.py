"""Offers recommended from a diagnosis: one search per need, in the needs' priority order."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from marketplace.search.documents import day_number
from marketplace.search.query import SearchQuery

PER_NEED = 3


def recommendation_queries(
    needs: Sequence[dict[str, Any]], region_code: str, today: date, per_need: int = PER_NEED
) -> list[SearchQuery]:
    """For each ranked need: offers answering it in the company's region or done remotely."""
    return [
        SearchQuery(
            needs=(need["need"],),
            regions=(region_code,),
            include_remote=True,
            visible_on=day_number(today),
            sort="rating_desc",
            per_page=per_need,
            facets=(),
        )
        for need in needs
    ]
