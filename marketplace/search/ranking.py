"""Bucket sort, the way Meilisearch ranks hits: each ranking rule splits a bucket of hits into
ordered sub-buckets, and only the buckets a page reaches are split further. A page of 20 out of
90,000 hits costs the rules a few set operations, not a scoring and a sort of every hit.

Hits are sets of document ids (roaring bitmaps).
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Protocol

from pyroaring import AbstractBitMap, BitMap

ID_SPAN = 2**32  # ids fit in 32 bits: (key, id) pairs are encoded as key * ID_SPAN + id
# A sort rule orders a small bucket directly; a big one by walking the presorted ids, which
# stops as soon as the page is full. "Small" is a bucket under this share of the documents.
DIRECT_SORT_SHARE = 16


class Rule(Protocol):
    def buckets(self, hits: BitMap) -> Iterator[BitMap]:
        """`hits` split into disjoint buckets that cover them all, best first."""
        ...


def bucket_sort(
    hits: BitMap, rules: Sequence[Rule], offset: int, limit: int, *, descending_ids: bool = False
) -> list[int]:
    """The ids of hits number offset to offset + limit - 1 in rule order, ties last broken by
    id (ascending, or descending)."""
    page: list[int] = []
    skip = offset

    def visit(bucket: BitMap, depth: int) -> None:
        nonlocal skip
        if skip >= len(bucket):  # the page starts after this bucket: no need to split it
            skip -= len(bucket)
            return
        if depth == len(rules) or len(bucket) == 1:
            end = min(skip + limit - len(page), len(bucket))
            if descending_ids:
                page.extend(bucket[len(bucket) - 1 - k] for k in range(skip, end))
            else:
                page.extend(bucket[skip:end])
            skip = 0
            return
        for sub in rules[depth].buckets(bucket):
            visit(sub, depth + 1)
            if len(page) >= limit:
                return

    if limit > 0 and hits:
        visit(hits, 0)
    return page


class SetsRule:
    """Hits in the first set first, then those in the second… then the rest. The sets are
    computed the first time a bucket needs them (some queries never get that far)."""

    def __init__(self, sets: Sequence[Callable[[], AbstractBitMap]]) -> None:
        self._makers = list(sets)
        self._sets: list[AbstractBitMap] = []

    def _set(self, i: int) -> AbstractBitMap:
        while len(self._sets) <= i:
            self._sets.append(self._makers[len(self._sets)]())
        return self._sets[i]

    def buckets(self, hits: BitMap) -> Iterator[BitMap]:
        rest = hits
        for i in range(len(self._makers)):
            if not rest:
                return
            bucket = rest & self._set(i)
            if bucket:
                yield bucket
                rest = rest - bucket
        if rest:
            yield rest

    def position(self, id_: int) -> int:
        """The index of the first set holding `id_` (the number of sets when none does), among
        the sets already computed: call it on an id of a bucket this rule yielded."""
        for i, found in enumerate(self._sets):
            if id_ in found:
                return i
        return len(self._makers)


class LevelRule:
    """Sets that depend on the bucket: each bucket of an earlier rule (say, the hits matching
    the query's first three words) is split by the sets of its level, computed when needed."""

    def __init__(
        self,
        level_of: Callable[[BitMap], int],
        sets_of: Callable[[int], Sequence[Callable[[], AbstractBitMap]]],
    ) -> None:
        self._level_of = level_of
        self._sets_of = sets_of
        self._rules: dict[int, SetsRule] = {}

    def buckets(self, hits: BitMap) -> Iterator[BitMap]:
        level = self._level_of(hits)
        rule = self._rules.get(level)
        if rule is None:
            rule = self._rules[level] = SetsRule(self._sets_of(level))
        return rule.buckets(hits)


def encode(key: int, id_: int) -> int:
    return key * ID_SPAN + id_


class SortOrder:
    """The documents' values of one sortable field, presorted as encoded (value, id) pairs.
    Documents without an integer value are not in it (they sort last, like in Meilisearch)."""

    def __init__(self, keys: Mapping[int, int]) -> None:
        self.keys = dict(keys)
        self.ids = BitMap(self.keys)
        # encode() inlined: this runs once per document when a process reads the index.
        self.entries = [key * ID_SPAN + id_ for id_, key in self.keys.items()]
        self.entries.sort()

    def patched(self, changed: Iterable[int], keys: Mapping[int, int]) -> SortOrder:
        """The order once the `changed` ids have these keys (none: deleted, or no value);
        itself when that changes nothing."""
        changed = list(changed)
        if all(self.keys.get(id_) == keys.get(id_) for id_ in changed):
            return self
        copy = SortOrder.__new__(SortOrder)
        copy.keys, copy.ids, copy.entries = dict(self.keys), self.ids.copy(), list(self.entries)
        for id_ in changed:
            copy._discard(id_)
            if (key := keys.get(id_)) is not None:
                copy.keys[id_] = key
                copy.ids.add(id_)
                bisect.insort(copy.entries, encode(key, id_))
        return copy

    def _discard(self, id_: int) -> None:
        key = self.keys.pop(id_, None)
        if key is not None:
            self.ids.discard(id_)
            entry = encode(key, id_)
            i = bisect.bisect_left(self.entries, entry)
            if i < len(self.entries) and self.entries[i] == entry:
                del self.entries[i]

    def between(self, low: int | None, high: int | None) -> BitMap:
        """Ids whose value lies within [low, high] (either bound may be open)."""
        start = 0 if low is None else bisect.bisect_left(self.entries, encode(low, 0))
        end = (
            len(self.entries)
            if high is None
            else bisect.bisect_left(self.entries, encode(high + 1, 0))
        )
        return BitMap(entry % ID_SPAN for entry in self.entries[start:end])


class SortRule:
    """Hits by one field's value, ascending or descending; one bucket per value."""

    def __init__(self, order: SortOrder, *, descending: bool) -> None:
        self.order = order
        self.descending = descending

    def buckets(self, hits: BitMap) -> Iterator[BitMap]:
        keyed = hits & self.order.ids
        if len(keyed) * DIRECT_SORT_SHARE < len(self.order.entries):
            keys = self.order.keys
            entries: Iterable[int] = sorted(
                (encode(keys[i], i) for i in keyed), reverse=self.descending
            )
        else:
            entries = reversed(self.order.entries) if self.descending else self.order.entries
        yield from _groups(entries, keyed)
        if len(keyed) < len(hits):
            yield hits - keyed  # no value: last


def _groups(entries: Iterable[int], hits: BitMap) -> Iterator[BitMap]:
    """Runs of equal values among the entries that are hits, as buckets. Stops reading the
    entries once every hit has been placed."""
    group: list[int] = []
    current = None
    remaining = len(hits)
    for entry in entries:
        if remaining == 0:
            break
        key, id_ = divmod(entry, ID_SPAN)
        if id_ not in hits:
            continue
        if key != current and group:
            yield BitMap(group)
            group = []
        current = key
        group.append(id_)
        remaining -= 1
    if group:
        yield BitMap(group)
