"""Offers recommended per need (marketplace.search.recommend)."""

from __future__ import annotations

from datetime import date

from marketplace.search.query import Hit, SearchResult
from marketplace.search.recommend import recommendation_queries, recommendations, trade_words


def result(ids: list[int], total: int) -> SearchResult:
    hits = [Hit(id=i, document={"id": i}) for i in ids]
    return SearchResult(hits=hits, total=total, page=1, per_page=3, facets={})


def test_two_searches_per_need_in_priority_order() -> None:
    queries = recommendation_queries(
        [{"need": "management"}, {"need": "crm"}], "84", date(2026, 11, 27)
    )
    assert [(q.categories, q.needs) for q in queries] == [
        (("management",), ()),
        ((), ("management",)),
        (("crm",), ()),
        ((), ("crm",)),
    ]
    assert {(q.regions, q.include_remote, q.visible_on, q.sort) for q in queries} == {
        (("84",), True, 20261127, "rating_desc")
    }


def test_offers_about_the_need_come_first_then_those_addressing_it() -> None:
    merged = recommendations(
        [
            result([7], total=1),  # management is the main category of offer 7 only
            result([3, 7, 9], total=12),  # twelve offers address it
            result([], total=0),
            result([], total=0),
        ]
    )
    assert [[hit.id for hit in r.hits] for r in merged] == [[7, 3, 9], []]
    assert [r.total for r in merged] == [12, 0]


def test_trade_words_come_from_the_longest_naf_prefix() -> None:
    assert trade_words("10.71C")[0] == "boulanger"
    assert trade_words("01.21Z")[0] == "viticole"
    assert trade_words("01.11Z")[0] == "agricole"
    assert trade_words("99.99Z") == trade_words(None) == ()


def test_offers_naming_the_trade_come_first_without_filtering_others() -> None:
    queries = recommendation_queries(
        [{"need": "management"}], "84", date(2026, 11, 27), naf_code="10.71C"
    )
    assert [(q.text, q.categories, q.needs) for q in queries] == [
        ("boulanger", (), ("management",)),
        ("", ("management",), ()),
        ("", (), ("management",)),
    ]
    merged = recommendations(
        [result([5], total=1), result([7], total=1), result([3, 7, 9], total=12)],
        naf_code="10.71C",
    )
    assert [[hit.id for hit in r.hits] for r in merged] == [[5, 7, 3]]
    assert [r.total for r in merged] == [12]
