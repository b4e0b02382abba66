"""Bucket sort (marketplace.search.ranking): a page must be exactly the slice of a full sort."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pyroaring import BitMap

from marketplace.search.ranking import (
    DIRECT_SORT_SHARE,
    ID_SPAN,
    Rule,
    SetsRule,
    SortOrder,
    SortRule,
    bucket_sort,
)

IDS = st.sets(st.integers(min_value=1, max_value=300), max_size=120)


@st.composite
def rules(draw: st.DrawFn, universe: set[int]) -> list[tuple[str, Any]]:
    """Rule specifications: ("sets", [set, …]) or ("sort", ({id: key}, descending))."""
    specs: list[tuple[str, Any]] = []
    for _ in range(draw(st.integers(min_value=0, max_value=3))):
        if draw(st.booleans()):
            specs.append(
                ("sets", draw(st.lists(st.sets(st.sampled_from(sorted(universe) or [0])))))
            )
        else:
            # Few distinct keys, so ties are common; some ids have no key at all.
            keyed = draw(st.sets(st.sampled_from(sorted(universe) or [0])))
            keys = {i: draw(st.integers(min_value=-3, max_value=3)) for i in keyed}
            specs.append(("sort", (keys, draw(st.booleans()))))
    return specs


def build(specs: list[tuple[str, Any]]) -> list[Rule]:
    built: list[Rule] = []
    for kind, spec in specs:
        if kind == "sets":
            built.append(SetsRule([lambda s=s: BitMap(s) for s in spec]))
        else:
            keys, descending = spec
            built.append(SortRule(SortOrder(keys), descending=descending))
    return built


def reference_key(id_: int, specs: list[tuple[str, Any]], descending_ids: bool) -> tuple:
    """Where a full sort puts an id: rule by rule, then by id."""
    key: list[Any] = []
    for kind, spec in specs:
        if kind == "sets":
            key.append(next((n for n, s in enumerate(spec) if id_ in s), len(spec)))
        else:
            keys, descending = spec
            if id_ in keys:
                key.append((0, -keys[id_] if descending else keys[id_]))
            else:
                key.append((1, 0))  # no value: last, whatever the direction
    key.append(-id_ if descending_ids else id_)
    return tuple(key)


@settings(max_examples=400)
@given(
    data=st.data(),
    hits=IDS,
    offset=st.integers(min_value=0, max_value=130),
    limit=st.integers(min_value=0, max_value=40),
    descending_ids=st.booleans(),
)
def test_a_page_is_the_slice_of_a_full_sort(
    data: st.DataObject, hits: set[int], offset: int, limit: int, descending_ids: bool
) -> None:
    specs = data.draw(rules(hits | {1, 2, 3}))
    expected = sorted(hits, key=lambda i: reference_key(i, specs, descending_ids))
    page = bucket_sort(BitMap(hits), build(specs), offset, limit, descending_ids=descending_ids)
    assert page == expected[offset : offset + limit]


@pytest.mark.parametrize("share", [1, DIRECT_SORT_SHARE * 4])
def test_both_ways_of_sorting_agree(share: int) -> None:
    """A big bucket is walked in presorted order, a small one sorted directly: same order."""
    keys = {i: i % 7 for i in range(1, 2001)}
    hits = BitMap(range(1, 2001, share))
    for descending in (False, True):
        page = bucket_sort(hits, [SortRule(SortOrder(keys), descending=descending)], 3, 25)
        expected = sorted(hits, key=lambda i: (-keys[i] if descending else keys[i], i))
        assert page == expected[3:28]


def test_only_the_sets_a_page_reaches_are_computed() -> None:
    asked: list[str] = []

    def maker(name: str, ids: set[int]) -> Any:
        def make() -> BitMap:
            asked.append(name)
            return BitMap(ids)

        return make

    rule = SetsRule([maker("title", set(range(1, 30))), maker("description", {40, 41})])
    assert bucket_sort(BitMap(range(1, 50)), [rule], 0, 20) == list(range(1, 21))
    assert asked == ["title"]


def test_a_patched_sort_order() -> None:
    order = SortOrder({1: 500, 2: 100, 3: 300})
    patched = order.patched([1, 2, 3, 4], {2: 900, 4: 200})  # 1 and 3 lose their value
    assert patched.keys == {2: 900, 4: 200}
    assert list(patched.between(150, 950)) == [2, 4]
    assert list(patched.between(None, 250)) == [4]
    assert list(patched.between(901, None)) == []
    assert order.keys == {1: 500, 2: 100, 3: 300}  # untouched: searches may still read it
    assert [entry % ID_SPAN for entry in order.entries] == [2, 3, 1]  # by value
    assert order.patched([2, 5], {2: 100}) is order  # nothing changed: shared
