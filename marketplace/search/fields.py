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
)
# Query attribute → the field its values filter (values OR-ed inside, fields AND-ed).
VALUE_FILTERS = (
    ("needs", "needs"),
    ("languages", "languages"),
    ("programmes", "programmes"),
    ("categories", "category"),
    ("delivery_modes", "delivery_mode"),
    ("provider_kinds", "provider_kind"),
    ("price_bands", "price_band"),
)


@dataclass(frozen=True)
class DocumentRow:
    """What filters and sorts read of one document besides its values."""

    id: int
    remote: bool
    sort_keys: Mapping[str, int | None]  # per SORTABLE_ATTRIBUTES


@dataclass(frozen=True)
class ValueRows:
    """The documents holding one value of one field."""

    field: str
    value: str
    ids: Sequence[int]


def sort_key(value: object) -> int | None:
    """The integer a sortable value sorts by; anything else sorts last, as if missing."""
    return value if isinstance(value, int) and not isinstance(value, bool) else None


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
        cls,
        generation: int,
        revision: int,
        documents: Iterable[DocumentRow],
        values: Iterable[ValueRows],
        vocabulary: Vocabulary,
    ) -> FieldIndex:
        index = cls(generation, revision, vocabulary)
        keys: dict[str, dict[int, int]] = {name: {} for name in SORTABLE_ATTRIBUTES}
        for row in documents:
            index.everything.add(row.id)
            if row.remote:
                index.remote.add(row.id)
            for name, key in row.sort_keys.items():
                if key is not None:
                    keys[name][row.id] = key
        index.orders = {name: SortOrder(keys[name]) for name in SORTABLE_ATTRIBUTES}
        for rows in values:
            index.values[rows.field].setdefault(rows.value, BitMap()).update(rows.ids)
        return index

    def patched(
        self,
        revision: int,
        changed: BitMap,
        documents: Iterable[DocumentRow],
        values: Iterable[ValueRows],
        words: Iterable[str],
    ) -> FieldIndex:
        """A copy where the `changed` documents are replaced by their current rows (those
        deleted have none)."""
        copy = FieldIndex(
            self.generation,
            revision,
            self.vocabulary.extended(words),
            self.everything - changed,
            self.remote - changed,
            {
                name: {value: ids - changed for value, ids in by_value.items()}
                for name, by_value in self.values.items()
            },
            {name: order.copy() for name, order in self.orders.items()},
        )
        for id_ in changed:
            for order in copy.orders.values():
                order.discard(id_)
        for row in documents:
            copy.everything.add(row.id)
            if row.remote:
                copy.remote.add(row.id)
            for name, key in row.sort_keys.items():
                copy.orders[name].set(row.id, key)
        for rows in values:
            copy.values[rows.field].setdefault(rows.value, BitMap()).update(rows.ids)
        for by_value in copy.values.values():
            for value in [value for value, ids in by_value.items() if not ids]:
                del by_value[value]
        return copy

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
