"""Index settings as code: one source of truth for both backends.

The Meilisearch backend sends `meilisearch_settings()`; the embedded backend reads the same
constants (searchable attribute weights, filterable and sortable fields, synonyms, typo rules).
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from marketplace.search.query import MAX_TOTAL_HITS

SYNONYMS_FILE = Path(__file__).parent / "data" / "synonyms_fr.json"
STOP_WORDS_FILE = Path(__file__).parent / "data" / "stop_words_fr.json"

# In order of weight: a match in the title counts most.
SEARCHABLE_ATTRIBUTES = ("title", "needs_labels", "summary", "description", "provider_name")
FILTERABLE_ATTRIBUTES = (
    "needs",
    "category",
    "regions",
    "remote",
    "delivery_mode",
    "price_cents",
    "price_band",
    "languages",
    "provider_kind",
    "programmes",
    "rating_band",
    "visible_through",
)
SORTABLE_ATTRIBUTES = ("price_cents", "net_price_cents", "rating", "published_at")
DISPLAYED_ATTRIBUTES = ("*",)
# "sort" right after "words": a chosen sort really orders the hits, relevance breaks ties;
# newest first last, so ties (and browsing without text) come in the same order everywhere.
RANKING_RULES = (
    "words",
    "sort",
    "typo",
    "proximity",
    "attribute",
    "exactness",
    "published_at:desc",
)
# All the query's words when some offer has them all; else stop words and then the last words
# are dropped, offers matching more of the words first (Meilisearch's "last").
MATCHING_STRATEGY = "last"
ONE_TYPO_FROM = 5  # letters: words this long tolerate one typo
TWO_TYPOS_FROM = 9
MAX_VALUES_PER_FACET = 100


@cache
def synonym_groups() -> tuple[tuple[str, ...], ...]:
    raw = json.loads(SYNONYMS_FILE.read_text(encoding="utf-8"))
    return tuple(tuple(term.lower() for term in group) for group in raw["groups"])


@cache
def stop_words() -> frozenset[str]:
    """The French stop words, as the index folds words (no accents, lowercase)."""
    raw = json.loads(STOP_WORDS_FILE.read_text(encoding="utf-8"))
    return frozenset(word.lower() for word in raw["words"])


def synonym_map() -> dict[str, list[str]]:
    """Multi-way synonyms as Meilisearch wants them: every term maps to the others."""
    mapping: dict[str, list[str]] = {}
    for group in synonym_groups():
        for term in group:
            mapping.setdefault(term, [])
            mapping[term].extend(other for other in group if other != term)
    return mapping


def meilisearch_settings() -> dict[str, Any]:
    return {
        "searchableAttributes": list(SEARCHABLE_ATTRIBUTES),
        "filterableAttributes": list(FILTERABLE_ATTRIBUTES),
        "sortableAttributes": list(SORTABLE_ATTRIBUTES),
        "displayedAttributes": list(DISPLAYED_ATTRIBUTES),
        "rankingRules": list(RANKING_RULES),
        "synonyms": synonym_map(),
        "stopWords": sorted(stop_words()),
        "typoTolerance": {
            "enabled": True,
            "minWordSizeForTypos": {"oneTypo": ONE_TYPO_FROM, "twoTypos": TWO_TYPOS_FROM},
        },
        "pagination": {"maxTotalHits": MAX_TOTAL_HITS},
        "faceting": {"maxValuesPerFacet": MAX_VALUES_PER_FACET},
    }
