"""The embedded search backend (the default): a SQLite file of its own, FTS5 for the words,
plain tables for the filterable and sortable fields, read into in-memory bitmaps
(marketplace.search.fields) for filters, facets and sorts. No server; it follows the semantics
in marketplace.search.query, like the Meilisearch backend.

Layout: every index table carries a generation number (`documents_3`, `fts_3`…) and
`meta.generation` names the live one. A rebuild fills a new generation, switches the pointer in
one short transaction and drops the old tables. Each search runs in one read transaction (WAL
mode), so it sees the old index or the new one, never half of one — whichever process rebuilds.

Each write logs the ids it changed under its revision (`changes_3`), so a process holding the
bitmaps of an older revision patches them instead of reading every row again.

Ranking, a bucket sort like Meilisearch's (marketplace.search.ranking): a chosen sort first;
then, with text, documents matching the query's own words without typos ("typo"), then by the
first of the short searchable attributes (RANKED_ATTRIBUTES) that matches the whole query
("attribute": the column weights); then newest first (`published_at desc, id desc`), which is
also the order when browsing without text, where Meilisearch keeps insertion order.
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from functools import partial
from itertools import islice
from pathlib import Path
from typing import Any

from pyroaring import BitMap, FrozenBitMap

from marketplace.search.backend import SearchError
from marketplace.search.fields import (
    ORDERED_FIELDS,
    VALUE_FIELDS,
    FieldIndex,
    FieldRows,
    ValueRows,
)
from marketplace.search.query import (
    HIGHLIGHT_POST,
    HIGHLIGHT_PRE,
    MAX_TOTAL_HITS,
    SORTS,
    Hit,
    SearchQuery,
    SearchResult,
)
from marketplace.search.ranking import LevelRule, Rule, SetsRule, SortRule, bucket_sort
from marketplace.search.settings import (
    SEARCHABLE_ATTRIBUTES,
    stop_words,
    synonym_groups,
)
from marketplace.search.text import (
    Segment,
    Vocabulary,
    expand_synonyms,
    highlight,
    tokens,
    typed_words,
    typo_candidates,
    without_stop_words,
)

SCHEMA_VERSION = 7
FTS_COLUMNS = ", ".join(f'"{name}"' for name in SEARCHABLE_ATTRIBUTES)
# The attribute rule ranks documents by the first of these that matches the whole query. Each
# has an FTS5 table of its own: matching one short column there takes 1-3 ms at 100,000
# offers, against 10-30 ms through a column filter on the main table, which reads every
# column's positions. The long attributes after them (description, provider name) rank
# together with matches spread over several attributes.
RANKED_ATTRIBUTES = SEARCHABLE_ATTRIBUTES[:3]
TOKENIZER = "tokenize = 'unicode61 remove_diacritics 2'"
HIGHLIGHTED = tuple(name for name in ("title", "summary") if name in SEARCHABLE_ATTRIBUTES)
MAX_QUERY_WORDS = 10  # Meilisearch only considers a query's first ten words
NEAR_DISTANCE = 6  # words between two query words still "close" (Meilisearch counts up to 7)
BATCH_SIZE = 500  # documents per write transaction during a rebuild
BUSY_TIMEOUT = 10.0  # seconds a write waits for another writer
# The change log keeps the last CHANGE_LOG_REVISIONS revisions (pruned every PRUNE_EVERY): a
# process whose bitmaps are older reads them all again, as it does past PATCH_LIMIT changes.
CHANGE_LOG_REVISIONS = 1000
PRUNE_EVERY = 100
PATCH_LIMIT = 5000
FIELD_INDEXES_KEPT = 4  # revisions kept in memory, for searches still reading an older one
# FTS5 results kept (per revision): the pages of a search and its facet clicks reuse them.
MATCH_CACHE_SIZE = 256
# What the stored tables depend on: when it changes, the index is rebuilt from its documents.
FINGERPRINT = json.dumps(
    {"schema": SCHEMA_VERSION, "searchable": SEARCHABLE_ATTRIBUTES, "values": VALUE_FIELDS}
)
_GENERATION_TABLE = re.compile(r"documents_(\d+)")


# --- Pure query building -----------------------------------------------------------------------


def _quote(words: Sequence[str]) -> str:
    """An FTS5 string (a word or a phrase): double-quoted, quotes doubled, so no query text is
    ever read as FTS5 syntax."""
    return '"' + " ".join(words).replace('"', '""') + '"'


def _any(alternatives: Sequence[str]) -> str:
    return alternatives[0] if len(alternatives) == 1 else "(" + " OR ".join(alternatives) + ")"


def _word(word: str, typos: Sequence[str], prefix: bool) -> str:
    return _any([_quote([word]) + ("*" if prefix else ""), *(_quote([v]) for v in typos)])


def segment_match(segment: Segment, typos: Mapping[str, Sequence[str]], *, last: bool) -> str:
    """The FTS5 expression of one segment: its own words (all of them, each also as its typo
    variants in `typos`, the query's last word also as a prefix when `last`) or one of its
    synonym phrases."""
    words = [
        _word(word, typos.get(word, ()), last and w == len(segment.words) - 1)
        for w, word in enumerate(segment.words)
    ]
    own = words[0] if len(words) == 1 else "(" + " AND ".join(words) + ")"
    return _any([own, *(_quote(phrase) for phrase in segment.synonyms)])


def fts5_match(segments: Sequence[Segment], typos: Mapping[str, Sequence[str]]) -> str:
    """The FTS5 MATCH expression for a query: every segment must match (segment_match)."""
    last = len(segments) - 1
    return " AND ".join(segment_match(s, typos, last=i == last) for i, s in enumerate(segments))


@dataclass(frozen=True)
class SegmentMatch:
    """One segment of a query as FTS5 expressions."""

    words: tuple[str, ...]  # the typed words
    match: str  # typos, synonyms and the last word's prefix included
    exact: str  # the same without typos
    own: tuple[str, ...]  # its own words as indexed (a typo corrected to the closest word)
    typed: tuple[str, ...]  # its words as the visitor typed them


@dataclass(frozen=True)
class TextMatch:
    """What the words of a query match in the index, level by level: level 0 keeps every
    segment, each next level one segment fewer from the end (Meilisearch's "last" strategy),
    down to the first segment alone, which every hit matches."""

    segments: tuple[SegmentMatch, ...]  # stop words dropped
    words: frozenset[str]  # indexed words to highlight…
    prefix: str  # …and the prefix (the last query word)
    last_is_prefix: bool  # the last segment ends with the query's last word, a prefix

    @property
    def levels(self) -> int:
        return len(self.segments)

    def kept(self, level: int) -> tuple[SegmentMatch, ...]:
        return self.segments[: len(self.segments) - level]

    def match(self, level: int = 0) -> str:
        return " AND ".join(s.match for s in self.kept(level))

    def exact(self, level: int = 0) -> str:
        return " AND ".join(s.exact for s in self.kept(level))

    def ignored(self, level: int) -> tuple[str, ...]:
        """The query words a hit of this level does without."""
        return tuple(w for s in self.segments[len(self.segments) - level :] for w in s.typed)

    def _own(self, level: int) -> tuple[list[str], bool]:
        words = [w for s in self.kept(level) for w in s.own]
        return words, level == 0 and self.last_is_prefix

    def proximity(self, level: int) -> list[str]:
        """Expressions for hits holding the level's words side by side, in order, then close
        to each other (within NEAR_DISTANCE words); none for a single word."""
        words, prefix = self._own(level)
        if len(words) < 2:
            return []
        star = "*" if prefix else ""
        near = " ".join(_quote([w]) for w in words) + star
        return [_quote(words) + star, f"NEAR({near}, {NEAR_DISTANCE})"]

    def exactness(self, level: int) -> list[str]:
        """Expressions for hits whose attribute opens with the level's typed words, then for
        hits holding every typed word as it is (no typo, synonym or prefix)."""
        words = [w for s in self.kept(level) for w in s.words]
        return ["^" + _quote(words), " AND ".join(_quote([w]) for w in words)]


def text_match(
    words: Sequence[str], vocabulary: Vocabulary, typed: Sequence[str] | None = None
) -> TextMatch:
    """Typo variants, then synonyms (of the typed words and of the corrected ones), of
    normalized query words, stop words dropped, as FTS5 expressions. `typed`: the same words
    as the visitor typed them (for `TextMatch.ignored`)."""
    as_typed = list(words) if typed is None else list(typed)
    typos = {word: [c for c in typo_candidates(word, vocabulary) if c != word] for word in words}
    corrected = [w if w in vocabulary or not typos[w] else typos[w][0] for w in words]
    everything = expand_synonyms(words, synonym_groups(), corrected)
    segments = without_stop_words(everything, stop_words())
    kept = {word for segment in segments for word in segment.words}
    last = len(segments) - 1
    # The query's last word is a prefix when it survives (it ends the last segment).
    last_is_prefix = segments[-1] is everything[-1]
    fix = dict(zip(words, corrected, strict=True))
    spelled = dict(zip(words, as_typed, strict=True))
    matches = tuple(
        SegmentMatch(
            words=segment.words,
            match=segment_match(segment, typos, last=last_is_prefix and i == last),
            exact=segment_match(segment, {}, last=last_is_prefix and i == last),
            own=tuple(fix[word] for word in segment.words),
            typed=tuple(spelled[word] for word in segment.words),
        )
        for i, segment in enumerate(segments)
    )
    variants = {variant for word in kept for variant in typos[word]}
    synonyms = {word for s in segments for phrase in s.synonyms for word in phrase}
    return TextMatch(
        segments=matches,
        words=frozenset(kept) | variants | synonyms,
        prefix=segments[-1].words[-1] if last_is_prefix else "",
        last_is_prefix=last_is_prefix,
    )


def _highlights(document: dict[str, Any], found: TextMatch) -> dict[str, str]:
    """Title and summary with the matched words between the markers, when some matched."""
    marked = {
        name: highlight(
            str(document.get(name) or ""),
            found.words,
            [found.prefix] if found.prefix else [],
            HIGHLIGHT_PRE,
            HIGHLIGHT_POST,
        )
        for name in HIGHLIGHTED
    }
    return {name: text for name, text in marked.items() if HIGHLIGHT_PRE in text}


# --- Storage -------------------------------------------------------------------------------------


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


def _text(value: Any) -> str:
    return "\n".join(str(item) for item in _as_list(value))


def _create_tables(conn: sqlite3.Connection, g: int) -> None:
    conn.execute(
        f"CREATE TABLE documents_{g} (id INTEGER PRIMARY KEY, json TEXT NOT NULL, category TEXT,"
        " remote INTEGER NOT NULL, delivery_mode TEXT, price_cents INTEGER, price_band TEXT,"
        " provider_kind TEXT, rating INTEGER, published_at INTEGER, visible_through INTEGER,"
        " net_price_cents INTEGER)"
    )
    conn.execute(
        f"CREATE TABLE values_{g} (doc_id INTEGER NOT NULL, field TEXT NOT NULL,"
        " value TEXT NOT NULL, PRIMARY KEY (doc_id, field, value)) WITHOUT ROWID"
    )
    conn.execute(
        f"CREATE INDEX documents_{g}_fields ON documents_{g}"
        f" (id, remote, {', '.join(ORDERED_FIELDS)})"
    )
    conn.execute(f"CREATE INDEX values_{g}_lookup ON values_{g} (field, value, doc_id)")
    conn.execute(f"CREATE VIRTUAL TABLE fts_{g} USING fts5({FTS_COLUMNS}, {TOKENIZER})")
    for name in RANKED_ATTRIBUTES:
        conn.execute(
            f"CREATE VIRTUAL TABLE {_attribute_table(g, name)} USING fts5(text, {TOKENIZER})"
        )
    conn.execute(f"CREATE VIRTUAL TABLE vocab_{g} USING fts5vocab(fts_{g}, 'row')")
    # The indexed words for typo tolerance. Reading them from fts5vocab walks every posting
    # (~0.3 s at 100,000 offers), too slow after each write: they are copied from it after a
    # rebuild and added by upserts. Words of replaced or deleted documents stay until the next
    # rebuild; a stale word only adds a typo alternative that matches nothing.
    conn.execute(f"CREATE TABLE words_{g} (word TEXT PRIMARY KEY) WITHOUT ROWID")
    conn.execute(f"CREATE TABLE changes_{g} (revision INTEGER NOT NULL, doc_id INTEGER NOT NULL)")
    conn.execute(f"CREATE INDEX changes_{g}_revision ON changes_{g} (revision)")


def _attribute_table(g: int, name: str) -> str:
    return f"attribute_{g}_{name}"


def _fts_tables(g: int) -> list[str]:
    return [f"fts_{g}", *(_attribute_table(g, name) for name in RANKED_ATTRIBUTES)]


def _drop_tables(conn: sqlite3.Connection, g: int) -> None:
    for table in (
        *(_attribute_table(g, name) for name in RANKED_ATTRIBUTES),
        f"changes_{g}",
        f"words_{g}",
        f"vocab_{g}",
        f"fts_{g}",
        f"values_{g}",
        f"documents_{g}",
    ):
        conn.execute(f"DROP TABLE IF EXISTS {table}")


def _log_changes(conn: sqlite3.Connection, g: int, revision: int, ids: Iterable[int]) -> None:
    """Record the documents a write changed, and forget the oldest revisions now and then."""
    conn.executemany(f"INSERT INTO changes_{g} VALUES (?, ?)", [(revision, i) for i in ids])
    if revision % PRUNE_EVERY == 0:
        through = revision - CHANGE_LOG_REVISIONS
        conn.execute(f"DELETE FROM changes_{g} WHERE revision <= ?", (through,))
        _set(conn, "changes_pruned_through", through)


def _generations(conn: sqlite3.Connection) -> set[int]:
    names = conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
    return {int(m[1]) for (name,) in names if (m := _GENERATION_TABLE.fullmatch(name))}


def _remove(conn: sqlite3.Connection, g: int, ids: Sequence[tuple[int]]) -> None:
    conn.executemany(f"DELETE FROM documents_{g} WHERE id = ?", ids)
    conn.executemany(f"DELETE FROM values_{g} WHERE doc_id = ?", ids)
    for table in _fts_tables(g):
        conn.executemany(f"DELETE FROM {table} WHERE rowid = ?", ids)


def _row(doc: dict[str, Any]) -> tuple[Any, ...]:
    """The documents table row: the JSON, and the columns filters and sorts read."""
    try:
        encoded = json.dumps(doc, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
        return (
            int(doc["id"]),
            encoded,
            doc.get("category"),
            int(bool(doc.get("remote"))),
            doc.get("delivery_mode"),
            doc.get("price_cents"),
            doc.get("price_band"),
            doc.get("provider_kind"),
            doc.get("rating"),
            doc.get("published_at"),
            doc.get("visible_through"),
            doc.get("net_price_cents"),
        )
    except (KeyError, TypeError, ValueError) as error:
        # Meilisearch rejects such a document too (a failed task): same error for the caller.
        raise SearchError(f"document {doc.get('id')!r} rejected: {error!r}") from error


def _store(
    conn: sqlite3.Connection, g: int, documents: Iterable[dict[str, Any]], *, words: bool = True
) -> list[int]:
    """Add or replace documents in generation g (the last of several with one id wins), and
    their words in the vocabulary unless `words` is false (a rebuild copies them at the end).
    Returns their ids."""
    latest: dict[int, tuple[tuple[Any, ...], dict[str, Any]]] = {}
    for doc in documents:
        row = _row(doc)
        latest[row[0]] = (row, doc)
    rows: list[tuple[Any, ...]] = []
    values: list[tuple[int, str, str]] = []
    texts: list[tuple[int, *tuple[str, ...]]] = []  # id, then one text per searchable attribute
    for id_, (row, doc) in latest.items():
        rows.append(row)
        for field in VALUE_FIELDS:
            values += [
                (id_, field, value) for value in dict.fromkeys(map(str, _as_list(doc.get(field))))
            ]
        texts.append((id_, *(_text(doc.get(name)) for name in SEARCHABLE_ATTRIBUTES)))
    _remove(conn, g, [(id_,) for id_ in latest])
    conn.executemany(f"INSERT INTO documents_{g} VALUES ({', '.join('?' * 12)})", rows)
    conn.executemany(f"INSERT INTO values_{g} VALUES (?, ?, ?)", values)
    marks = ", ".join("?" * (len(SEARCHABLE_ATTRIBUTES) + 1))
    conn.executemany(f"INSERT INTO fts_{g} (rowid, {FTS_COLUMNS}) VALUES ({marks})", texts)
    for i, name in enumerate(RANKED_ATTRIBUTES, start=1):
        conn.executemany(
            f"INSERT INTO {_attribute_table(g, name)} (rowid, text) VALUES (?, ?)",
            [(text[0], text[i]) for text in texts],
        )
    if words:
        new = {(word,) for _id, *columns in texts for text in columns for word in tokens(text)}
        conn.executemany(f"INSERT OR IGNORE INTO words_{g} VALUES (?)", new)
    return list(latest)


def _searchable_words(document: Mapping[str, Any]) -> Iterator[str]:
    for name in SEARCHABLE_ATTRIBUTES:
        yield from tokens(_text(document.get(name)))


def _documents(
    conn: sqlite3.Connection, g: int, ids: Sequence[int] | None = None
) -> dict[int, dict[str, Any]]:
    """Documents by id: these, or all of them."""
    where, params = _among("id", ids)
    rows = conn.execute(f"SELECT id, json FROM documents_{g} WHERE 1{where}", params)
    return {int(id_): json.loads(raw) for id_, raw in rows}


def _among(column: str, ids: Sequence[int] | None) -> tuple[str, tuple[str, ...]]:
    """` AND <column> IN (these ids)` and its parameter, or nothing for all documents. The ids
    go as one JSON array: any number of them, one parameter."""
    if ids is None:
        return "", ()
    return f" AND {column} IN (SELECT value FROM json_each(?))", (json.dumps(list(ids)),)


def _get(conn: sqlite3.Connection, key: str) -> str | None:
    row = conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
    return None if row is None else str(row[0])


def _set(conn: sqlite3.Connection, key: str, value: object) -> None:
    conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, str(value)))


def _allocate_generation(conn: sqlite3.Connection) -> int:
    g = int(_get(conn, "next_generation") or 1)
    _set(conn, "next_generation", g + 1)
    return g


@contextmanager
def _transaction(conn: sqlite3.Connection, *, write: bool) -> Iterator[None]:
    """One transaction; a write takes the lock at once (no deadlock upgrading a read later)."""
    conn.execute("BEGIN IMMEDIATE" if write else "BEGIN")
    try:
        yield
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def _batches(items: Iterable[dict[str, Any]], size: int) -> Iterator[list[dict[str, Any]]]:
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch


def _matching(conn: sqlite3.Connection, table: str, expression: str) -> BitMap:
    """The ids of the documents an FTS5 expression matches in a table. One JSON array rather
    than a row per id: three times faster to fetch for a broad query."""
    (ids,) = conn.execute(
        f"SELECT json_group_array(rowid) FROM {table} WHERE {table} MATCH ?", (expression,)
    ).fetchone()
    return BitMap(json.loads(ids))


def _field_rows(conn: sqlite3.Connection, g: int, ids: Sequence[int] | None) -> FieldRows:
    """The field values of these documents, or of all of them, each column as one JSON
    array (fetching 100,000 rows one by one took half a second)."""
    where, params = _among("id", ids)
    # One pass over the covering index documents_<g>_fields, not the rows and their JSON.
    row = conn.execute(
        f"SELECT json_group_array(id), json_group_array(remote),"
        f" {', '.join(f'json_group_array({name})' for name in ORDERED_FIELDS)}"
        f" FROM documents_{g} WHERE 1{where}",
        params,
    ).fetchone()
    found, remote, *columns = [json.loads(array) for array in row]
    keys = {
        # Integers only: any other value sorts last, as if missing.
        name: {id_: key for id_, key in zip(found, column, strict=True) if type(key) is int}
        for name, column in zip(ORDERED_FIELDS, columns, strict=True)
    }
    remote = [id_ for id_, flag in zip(found, remote, strict=True) if flag]
    where, params = _among("doc_id", ids)
    rows = conn.execute(
        f"SELECT field, value, json_group_array(doc_id) FROM values_{g} WHERE 1{where}"
        " GROUP BY field, value",
        params,
    )
    values_rows = [ValueRows(field, value, json.loads(array)) for field, value, array in rows]
    return FieldRows(found, remote, keys, values_rows)


def _load_fields(conn: sqlite3.Connection, state: _State) -> FieldIndex:
    """The fields of the live generation, read in full."""
    g = state.generation
    vocabulary = Vocabulary(word for (word,) in conn.execute(f"SELECT word FROM words_{g}"))
    return FieldIndex.build(g, state.revision, _field_rows(conn, g, None), vocabulary)


def _patch_fields(conn: sqlite3.Connection, base: FieldIndex, state: _State) -> FieldIndex | None:
    """`base` brought to the snapshot's revision from the change log; None when the log no
    longer reaches back to it, or when reading everything again is as quick."""
    g = state.generation
    if base.revision < int(_get(conn, "changes_pruned_through") or 0):
        return None
    changed = BitMap(
        id_
        for (id_,) in conn.execute(
            f"SELECT doc_id FROM changes_{g} WHERE revision > ?", (base.revision,)
        )
    )
    if len(changed) > PATCH_LIMIT:
        return None
    documents = _documents(conn, g, list(changed))
    return base.patched(
        state.revision,
        changed,
        _field_rows(conn, g, list(changed)),
        (word for document in documents.values() for word in _searchable_words(document)),
    )


Matcher = Callable[[str, str], FrozenBitMap]  # (FTS5 table, expression) → the ids it matches


class TextRules:
    """The ranking rules of a text query, level by level (TextMatch), their sets read lazily
    from FTS5: words, then (after a chosen sort) typo, proximity, attribute and exactness."""

    def __init__(self, match: Matcher, g: int, found: TextMatch) -> None:
        self.found = found
        table = f"fts_{g}"
        ranked = [_attribute_table(g, name) for name in RANKED_ATTRIBUTES]

        def sets(expressions: Callable[[int], Sequence[str]], tables: Sequence[str]) -> LevelRule:
            return LevelRule(
                self.level_of,
                lambda level: [partial(match, t, e) for e in expressions(level) for t in tables],
            )

        # Level 0 first, then 1…; the last level (the first segment alone) is the rest.
        self.words = SetsRule(
            [partial(match, table, found.match(level)) for level in range(found.levels - 1)]
        )
        # No typo variant: every hit of the level matches without typos.
        self.typo = sets(
            lambda level: [e] if (e := found.exact(level)) != found.match(level) else [], [table]
        )
        self.proximity = sets(found.proximity, [table])
        self.attribute = sets(lambda level: [found.match(level)], ranked)
        self.exactness = LevelRule(
            self.level_of,
            lambda level: [
                lambda: _union(match(t, found.exactness(level)[0]) for t in ranked),
                partial(match, table, found.exactness(level)[1]),
            ],
        )

    def level_of(self, bucket: BitMap) -> int:
        return self.words.position(bucket.min())

    def ignored(self, hits: BitMap) -> tuple[str, ...]:
        """The query words the best hits do without (none when some hit has them all)."""
        for bucket in self.words.buckets(hits):
            return self.found.ignored(self.level_of(bucket))
        return ()


def _union(sets: Iterable[FrozenBitMap]) -> BitMap:
    union = BitMap()
    for found in sets:
        union |= found
    return union


def ranking_rules(fields: FieldIndex, query: SearchQuery, text: TextRules | None) -> list[Rule]:
    """The rules that order hits (see the module docstring)."""
    rules: list[Rule] = [text.words] if text is not None else []
    sort = SORTS[query.sort]
    if sort is not None:
        name, direction = sort
        rules.append(SortRule(fields.orders[name], descending=direction == "desc"))
    if text is not None:
        rules += [text.typo, text.proximity, text.attribute, text.exactness]
    rules.append(SortRule(fields.orders["published_at"], descending=True))
    return rules


@dataclass(frozen=True)
class _State:
    generation: int
    revision: int


# --- The backend ---------------------------------------------------------------------------------


class EmbeddedBackend:
    """SearchBackend on a SQLite FTS5 index in its own file (not the app database)."""

    name = "embedded"

    def __init__(
        self,
        path: str | Path,
        *,
        max_total_hits: int = MAX_TOTAL_HITS,
        match_cache_size: int = MATCH_CACHE_SIZE,
    ) -> None:
        self.path = str(path)
        self.max_total_hits = max_total_hits  # Meilisearch's pagination.maxTotalHits
        self.match_cache_size = match_cache_size
        self._lock = threading.Lock()  # guards the pool and the caches
        self._setup_lock = threading.Lock()
        self._idle: list[sqlite3.Connection] = []
        self._pid = os.getpid()
        self._ready = False
        self._fields: dict[_State, FieldIndex] = {}  # the latest FIELD_INDEXES_KEPT
        self._matches: OrderedDict[tuple[_State, str, str], FrozenBitMap] = OrderedDict()

    # --- Connections: a small pool, one connection per concurrent caller ---

    def _open(self) -> sqlite3.Connection:
        conn = sqlite3.connect(
            self.path, timeout=BUSY_TIMEOUT, isolation_level=None, check_same_thread=False
        )
        conn.execute("PRAGMA auto_vacuum = INCREMENTAL")  # only takes effect in a new file
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")
        return conn

    @contextmanager
    def _connection(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            if self._pid != os.getpid():  # forked: the parent's connections are not ours
                self._idle, self._pid = [], os.getpid()
            conn = self._idle.pop() if self._idle else None
        if conn is None:
            conn = self._open()
        try:
            yield conn
        finally:
            if conn.in_transaction:  # a failed COMMIT: never hand out a connection mid-transaction
                conn.execute("ROLLBACK")
            with self._lock:
                self._idle.append(conn)

    def close(self) -> None:
        """Close the idle connections (those in use are closed when garbage-collected)."""
        with self._lock:
            idle, self._idle = self._idle, []
        for conn in idle:
            conn.close()

    @contextmanager
    def _errors(self, action: str) -> Iterator[None]:
        try:
            yield
        except sqlite3.Error as error:
            raise SearchError(
                f"embedded search index {self.path}: {action} failed: {error}"
            ) from error

    @contextmanager
    def _read(self) -> Iterator[tuple[sqlite3.Connection, _State]]:
        self._ensure_ready()
        with self._connection() as conn, _transaction(conn, write=False):
            yield conn, self._state(conn)

    @contextmanager
    def _write(self) -> Iterator[tuple[sqlite3.Connection, int, list[int]]]:
        """A write transaction on the live generation; the caller lists the ids it changes.
        Bumps the revision and logs the changes under it."""
        self._ensure_ready()
        with self._connection() as conn, _transaction(conn, write=True):
            state = self._state(conn)
            changed: list[int] = []
            yield conn, state.generation, changed
            revision = state.revision + 1
            _log_changes(conn, state.generation, revision, changed)
            _set(conn, "revision", revision)

    @staticmethod
    def _state(conn: sqlite3.Connection) -> _State:
        return _State(int(_get(conn, "generation") or 0), int(_get(conn, "revision") or 0))

    # --- Setup ---

    def _ensure_ready(self) -> None:
        """Once per backend: create the tables, or rebuild them from their own documents when
        they predate the settings (other callers wait, so none sees the old layout)."""
        if self._ready:
            return
        with self._setup_lock:
            if self._ready:
                return
            if self._setup():
                with self._connection() as conn, _transaction(conn, write=False):
                    documents = _documents(conn, self._state(conn).generation)
                self._rebuild(documents.values())
            self._ready = True

    def _setup(self) -> bool:
        """Create the file's tables if needed; True when they predate the current settings."""
        Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        conn = self._open()
        try:
            with _transaction(conn, write=True):
                conn.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT)")
                if _get(conn, "generation") is None:
                    g = _allocate_generation(conn)
                    _create_tables(conn, g)
                    _set(conn, "generation", g)
                    _set(conn, "revision", 1)
                    _set(conn, "settings", FINGERPRINT)
                return _get(conn, "settings") != FINGERPRINT
        finally:
            conn.close()

    def apply_settings(self) -> None:
        """Create the index if needed, rebuild it if its layout predates the settings, and drop
        tables left behind by an interrupted rebuild."""
        with self._errors("applying the settings"):
            self._ensure_ready()
            with self._connection() as conn:
                with _transaction(conn, write=True):
                    live = self._state(conn).generation
                    for g in _generations(conn):
                        if g < live:
                            _drop_tables(conn, g)
                conn.execute("PRAGMA incremental_vacuum")

    # --- Writes ---

    def upsert(self, documents: Iterable[dict[str, Any]]) -> None:
        """Add or replace documents (by their `id`), all in one transaction."""
        with self._errors("indexing documents"), self._write() as (conn, g, changed):
            changed += _store(conn, g, documents)

    def delete(self, ids: Iterable[int]) -> None:
        """Remove documents in one transaction; unknown ids are ignored."""
        with self._errors("deleting documents"), self._write() as (conn, g, changed):
            changed += dict.fromkeys(int(i) for i in ids)
            _remove(conn, g, [(i,) for i in changed])

    def rebuild(self, documents: Iterable[dict[str, Any]]) -> int:
        """Fill a new generation, then make it live in one transaction; returns its count.

        Writes made by others while it runs go to the old generation and are lost with it,
        like Meilisearch's index swap: `search reindex` covers them (see sync.reindex)."""
        with self._errors("rebuilding"):
            self._ensure_ready()
            return self._rebuild(documents)

    def _rebuild(self, documents: Iterable[dict[str, Any]]) -> int:
        with self._connection() as conn:
            with _transaction(conn, write=True):
                g = _allocate_generation(conn)
                _create_tables(conn, g)
            try:
                # Batches keep the write lock short: outbox upserts interleave meanwhile.
                for batch in _batches(documents, BATCH_SIZE):
                    with _transaction(conn, write=True):
                        _store(conn, g, batch, words=False)
                with _transaction(conn, write=True):
                    for table in _fts_tables(g):
                        conn.execute(f"INSERT INTO {table} ({table}) VALUES ('optimize')")
                    conn.execute(f"INSERT INTO words_{g} SELECT term FROM vocab_{g}")
                with _transaction(conn, write=True):
                    if g not in _generations(conn):
                        raise SearchError(f"rebuild generation {g} vanished before going live")
                    old = self._state(conn)
                    _set(conn, "generation", g)
                    _set(conn, "revision", old.revision + 1)
                    _set(conn, "settings", FINGERPRINT)
                    count = conn.execute(f"SELECT count(*) FROM documents_{g}").fetchone()[0]
            except BaseException:
                with suppress(sqlite3.Error), _transaction(conn, write=True):
                    _drop_tables(conn, g)
                raise
            with _transaction(conn, write=True):
                _drop_tables(conn, old.generation)
            conn.execute("PRAGMA incremental_vacuum")
        return int(count)

    # --- Reads ---

    def documents(self) -> dict[int, dict[str, Any]]:
        """Every indexed document by id."""
        with self._errors("reading the documents"), self._read() as (conn, state):
            return _documents(conn, state.generation)

    def search(self, query: SearchQuery) -> SearchResult:
        with self._errors("searching"), self._read() as (conn, state):
            return self._search(conn, state, query)

    def multi_search(self, queries: Sequence[SearchQuery]) -> list[SearchResult]:
        """Several searches on one snapshot of the index, results in the same order."""
        if not queries:
            return []
        with self._errors("searching"), self._read() as (conn, state):
            return [self._search(conn, state, query) for query in queries]

    def _field_index(self, conn: sqlite3.Connection, state: _State) -> FieldIndex:
        """The fields at the snapshot's revision: cached, else patched from the newest older
        one of the same generation, else read in full."""
        with self._lock:
            cached = self._fields.get(state)
            older = [
                f
                for f in self._fields.values()
                if f.generation == state.generation and f.revision < state.revision
            ]
        if cached is not None:
            return cached
        base = max(older, key=lambda f: f.revision, default=None)
        fields = _patch_fields(conn, base, state) if base is not None else None
        if fields is None:
            fields = _load_fields(conn, state)
        with self._lock:
            self._fields[state] = fields
            for stale in sorted(self._fields, key=lambda s: s.revision)[:-FIELD_INDEXES_KEPT]:
                del self._fields[stale]
        return fields

    def _matcher(self, conn: sqlite3.Connection, state: _State) -> Matcher:
        """_matching on this snapshot, through a cache of the latest results (the least
        recently used go first; those of older revisions are never asked again)."""

        def match(table: str, expression: str) -> FrozenBitMap:
            key = (state, table, expression)
            with self._lock:
                cached = self._matches.get(key)
                if cached is not None:
                    self._matches.move_to_end(key)
                    return cached
            ids = FrozenBitMap(_matching(conn, table, expression))
            with self._lock:
                self._matches[key] = ids
                while len(self._matches) > self.match_cache_size:
                    self._matches.popitem(last=False)
            return ids

        return match

    def _search(self, conn: sqlite3.Connection, state: _State, query: SearchQuery) -> SearchResult:
        g = state.generation
        fields = self._field_index(conn, state)
        hits = fields.filter(query)
        spans = typed_words(query.text)[:MAX_QUERY_WORDS]
        words = [word for word, _typed in spans]
        typed = [as_typed for _word, as_typed in spans]
        found = text_match(words, fields.vocabulary, typed) if words else None
        match = self._matcher(conn, state)
        text = TextRules(match, g, found) if found is not None else None
        if found is not None and hits:
            hits = hits & match(f"fts_{g}", found.match(found.levels - 1))
        # Pages, and the total, stop at maxTotalHits like on Meilisearch.
        offset = (query.page - 1) * query.per_page
        limit = max(0, min(query.per_page, self.max_total_hits - offset))
        rules = ranking_rules(fields, query, text)
        ids = bucket_sort(hits, rules, offset, limit, descending_ids=True)
        documents = _documents(conn, g, ids)
        return SearchResult(
            hits=[
                Hit(
                    id=id_,
                    document=documents[id_],
                    highlights=_highlights(documents[id_], found) if found else {},
                )
                for id_ in ids
            ],
            total=min(len(hits), self.max_total_hits),
            page=query.page,
            per_page=query.per_page,
            facets=fields.facets(hits, query.facets),
            ignored_words=text.ignored(hits) if text is not None else (),
        )
