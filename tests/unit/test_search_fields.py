"""In-memory field bitmaps of the embedded index (marketplace.search.fields): a patched index
must equal one built from scratch, or searches would drift from the stored documents."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from pyroaring import BitMap

from marketplace.search.fields import FieldIndex, FieldRows, ValueRows
from marketplace.search.query import SearchQuery
from marketplace.search.settings import SORTABLE_ATTRIBUTES
from marketplace.search.text import Vocabulary

DOCUMENT = st.fixed_dictionaries(
    {
        "remote": st.booleans(),
        "regions": st.sets(st.sampled_from(["11", "53", "84"]), max_size=2),
        "needs": st.sets(st.sampled_from(["crm", "ecommerce", "cybersecurity"]), max_size=2),
        "price_cents": st.none() | st.integers(min_value=0, max_value=5),
        "net_price_cents": st.none() | st.integers(min_value=0, max_value=5),
        "rating": st.integers(min_value=0, max_value=2),
        "published_at": st.integers(min_value=0, max_value=3),
        "words": st.sets(st.sampled_from(["site", "web", "vente", "ligne"]), max_size=2),
    }
)
CORPUS = st.dictionaries(st.integers(min_value=1, max_value=30), DOCUMENT, max_size=15)


def rows(corpus: dict[int, dict[str, Any]]) -> FieldRows:
    return FieldRows(
        ids=list(corpus),
        remote=[id_ for id_, d in corpus.items() if d["remote"]],
        sort_keys={
            name: {id_: d[name] for id_, d in corpus.items() if d.get(name) is not None}
            for name in SORTABLE_ATTRIBUTES
        },
        values=[
            ValueRows(field, value, [id_])
            for id_, d in corpus.items()
            for field in ("regions", "needs")
            for value in d[field]
        ],
    )


def build(corpus: dict[int, dict[str, Any]], revision: int) -> FieldIndex:
    words = Vocabulary(word for d in corpus.values() for word in d["words"])
    return FieldIndex.build(1, revision, rows(corpus), words)


def state(index: FieldIndex) -> tuple[Any, ...]:
    return (
        index.revision,
        index.everything,
        index.remote,
        {name: by_value for name, by_value in index.values.items() if by_value},
        {name: (order.keys, order.entries, order.ids) for name, order in index.orders.items()},
    )


@settings(max_examples=300)
@given(before=CORPUS, changes=CORPUS, deleted=st.sets(st.integers(min_value=1, max_value=30)))
def test_a_patched_index_equals_a_fresh_one(
    before: dict[int, dict[str, Any]],
    changes: dict[int, dict[str, Any]],
    deleted: set[int],
) -> None:
    after = {i: d for i, d in {**before, **changes}.items() if i not in deleted - set(changes)}
    changed = BitMap(changes) | BitMap(deleted)
    words = [word for i in changed if i in after for word in after[i]["words"]]
    current = rows({i: d for i, d in after.items() if i in changed})
    patched = build(before, 1).patched(2, changed, current, words)
    assert state(patched) == state(build(after, 2))
    # Words of deleted documents may stay (they only add typo alternatives matching nothing).
    assert set(build(after, 2).vocabulary) <= set(patched.vocabulary)


def test_patching_leaves_the_original_untouched() -> None:
    """Searches still reading the older revision share its index while another is patched."""
    corpus = {1: {"remote": True, "regions": {"11"}, "needs": set(), "price_cents": 5,
                  "rating": 0, "published_at": 1, "words": {"site"}}}  # fmt: skip
    original = build(corpus, 1)
    before = state(original)
    current = rows({1: {**corpus[1], "remote": False, "regions": {"53"}, "price_cents": 7}})
    original.patched(2, BitMap([1]), current, ["vente"])
    assert state(original) == before
    assert "vente" not in original.vocabulary


def test_filters_and_facets() -> None:
    corpus = {
        1: {"remote": False, "regions": {"11"}, "needs": {"crm"}, "price_cents": 100},
        2: {"remote": True, "regions": {"53"}, "needs": {"crm", "ecommerce"}, "price_cents": 300},
        3: {"remote": False, "regions": {"53", "84"}, "needs": set(), "price_cents": None},
    }
    index = build(
        {i: {"rating": 0, "published_at": i, "words": set(), **d} for i, d in corpus.items()}, 1
    )
    assert list(index.filter(SearchQuery(regions=("11",)))) == [1]
    assert list(index.filter(SearchQuery(regions=("11",), include_remote=True))) == [1, 2]
    assert list(index.filter(SearchQuery(needs=("crm", "unknown")))) == [1, 2]
    assert list(index.filter(SearchQuery(needs=("crm",), regions=("53",)))) == [2]
    assert list(index.filter(SearchQuery(price_min_cents=100, price_max_cents=299))) == [1]
    assert list(index.filter(SearchQuery(price_min_cents=0))) == [1, 2]  # no price: left out
    assert index.facets(BitMap([2, 3]), ("regions", "needs")) == {
        "regions": {"53": 2, "84": 1},
        "needs": {"crm": 1, "ecommerce": 1},
    }
