"""The filterable and sortable fields of the embedded index, held in memory as roaring bitmaps:
one set of document ids per facet value, and each sortable field presorted.

Filters become unions and intersections of sets, facet counts become intersection sizes, and
a sort walks a presorted list only as far as the page needs — work that SQL joins did per hit
(200 ms for a broad query at 100,000 offers) takes a few milliseconds. The SQLite tables stay
the source of truth: a FieldIndex is built from them and patched from the change log.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field

from pyroaring import BitMap

from marketplace.search.query import SearchQuery
from marketplace.search.ranking import SortOrder
from marketplace.search.settings import MAX_VALUES_PER_FACET, SORTABLE_ATTRIBUTES
from marketplace.search.text import Vocabulary

# Multi-valued fields, and the single-valued ones filtered or counted as facets.
VALUE_FIELDS = (
    "needs",
    "regions",
    "languages",
    "programmes",
    "category",
    "delivery_mode",
    "price_band",
    "provider_kind",
    "rating_band",
)
# Integer fields held in order: the sortable ones, and the end of visibility (a range filter).
ORDERED_FIELDS = (*SORTABLE_ATTRIBUTES, "visible_through")
# Query attribute → the field its values filter (values OR-ed inside, fields AND-ed).
VALUE_FILTERS = (
    ("needs", "needs"),
    ("languages", "languages"),
    ("programmes", "programmes"),
    ("categories", "category"),
    ("delivery_modes", "delivery_mode"),
    ("provider_kinds", "provider_kind"),
    ("price_bands", "price_band"),
    ("rating_bands", "rating_band"),
)


@dataclass(frozen=True)
class ValueRows:
    """The documents holding one value of one field."""

    field: str
    value: str
    ids: Sequence[int]


@dataclass(frozen=True)
class FieldRows:
    """The field values of some documents (all of them, or those a write changed), column by
    column: a row object per document would cost more than the rest of the load."""

    ids: Sequence[int]
    remote: Sequence[int]  # those of the ids working remotely
    sort_keys: Mapping[str, Mapping[int, int]]  # per ORDERED_FIELDS: id → its integer value
    values: Sequence[ValueRows]


@dataclass
class FieldIndex:
    """The fields of one generation of the index at one revision. Treat it as immutable once
    built: searches share it across threads, and `patched` returns a new one."""

    generation: int
    revision: int
    vocabulary: Vocabulary
    everything: BitMap = field(default_factory=BitMap)
    remote: BitMap = field(default_factory=BitMap)
    values: dict[str, dict[str, BitMap]] = field(
        default_factory=lambda: {name: {} for name in VALUE_FIELDS}
    )
    orders: dict[str, SortOrder] = field(default_factory=dict)

    @classmethod
    def build(
        cls, generation: int, revision: int, rows: FieldRows, vocabulary: Vocabulary
    ) -> FieldIndex:
        index = cls(
            generation,
            revision,
            vocabulary,
            BitMap(rows.ids),
            BitMap(rows.remote),
            orders={name: SortOrder(rows.sort_keys.get(name, {})) for name in ORDERED_FIELDS},
        )
        index._add_values(rows.values)
        return index

    def patched(
        self, revision: int, changed: BitMap, rows: FieldRows, words: Iterable[str]
    ) -> FieldIndex:
        """A copy where the `changed` documents are replaced by their current `rows` (those
        deleted have none). What the change leaves as it was is shared, not copied."""
        copy = FieldIndex(
            self.generation,
            revision,
            self.vocabulary.extended(words),
            (self.everything - changed) | BitMap(rows.ids),
            (self.remote - changed) | BitMap(rows.remote),
            {
                name: {
                    value: ids - changed if ids.intersect(changed) else ids
                    for value, ids in by_value.items()
                }
                for name, by_value in self.values.items()
            },
            {
                name: order.patched(changed, rows.sort_keys.get(name, {}))
                for name, order in self.orders.items()
            },
        )
        for by_value in copy.values.values():
            for value in [value for value, ids in by_value.items() if not ids]:
                del by_value[value]
        copy._add_values(rows.values)
        return copy

    def _add_values(self, values: Iterable[ValueRows]) -> None:
        for rows in values:
            by_value = self.values[rows.field]
            by_value[rows.value] = by_value.get(rows.value, BitMap()) | BitMap(rows.ids)

    def _any(self, name: str, wanted: Iterable[str]) -> BitMap:
        by_value = self.values[name]
        return BitMap.union(
            BitMap(), *(by_value[v] for v in dict.fromkeys(wanted) if v in by_value)
        )

    def filter(self, query: SearchQuery) -> BitMap:
        """The documents the query's filters keep: OR inside a filter, AND across."""
        kept = self.everything
        for attribute, name in VALUE_FILTERS:
            wanted: Sequence[str] = getattr(query, attribute)
            if wanted:
                kept = kept & self._any(name, wanted)
        if query.regions:
            served = self._any("regions", query.regions)
            kept = kept & (served | self.remote if query.include_remote else served)
        if query.visible_on is not None:
            # Documents without the field (indexed before it existed) stay.
            kept = kept - self.orders["visible_through"].between(None, query.visible_on - 1)
        if query.price_min_cents is not None or query.price_max_cents is not None:
            kept = kept & self.orders["price_cents"].between(
                query.price_min_cents, query.price_max_cents
            )
        return kept

    def facets(self, hits: BitMap, names: Sequence[str]) -> dict[str, dict[str, int]]:
        """Counts of each value among the hits, values in alphabetical order like Meilisearch
        (at most MAX_VALUES_PER_FACET of them)."""
        return {name: dict(_counts(self.values[name], hits)) for name in names}


def _counts(by_value: Mapping[str, BitMap], hits: BitMap) -> Iterator[tuple[str, int]]:
    listed = 0
    for value in sorted(by_value):
        if listed == MAX_VALUES_PER_FACET:
            return
        count = hits.intersection_cardinality(by_value[value])
        if count:
            listed += 1
            yield value, count
