"""The embedded search backend (the default): a SQLite file of its own, FTS5 for the words,
plain tables for filters, facets and sorts. No server; it follows the semantics in
marketplace.search.query, like the Meilisearch backend.

Layout: every index table carries a generation number (`documents_3`, `fts_3`…) and
`meta.generation` names the live one. A rebuild fills a new generation, switches the pointer in
one short transaction and drops the old tables. Each search runs in one read transaction (WAL
mode), so it sees the old index or the new one, never half of one — whichever process rebuilds.

Ranking: with text, documents matching the query's own words without typos come first, then
bm25 with column weights halving along SEARCHABLE_ATTRIBUTES; without text (browsing), newest
first (`published_at desc, id desc`) where Meilisearch keeps insertion order.
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import Any

from marketplace.search.backend import SearchError
from marketplace.search.query import (
    HIGHLIGHT_POST,
    HIGHLIGHT_PRE,
    MAX_TOTAL_HITS,
    SORTS,
    Hit,
    SearchQuery,
    SearchResult,
)
from marketplace.search.settings import (
    MAX_VALUES_PER_FACET,
    SEARCHABLE_ATTRIBUTES,
    SORTABLE_ATTRIBUTES,
    synonym_groups,
)
from marketplace.search.text import (
    Segment,
    Vocabulary,
    expand_synonyms,
    highlight,
    tokens,
    typo_candidates,
)

SCHEMA_VERSION = 2
# Multi-valued fields, and the single-valued ones counted as facets: one row per value.
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
WEIGHTS = tuple(
    2.0 ** (len(SEARCHABLE_ATTRIBUTES) - 1 - i) for i in range(len(SEARCHABLE_ATTRIBUTES))
)
FTS_COLUMNS = ", ".join(f'"{name}"' for name in SEARCHABLE_ATTRIBUTES)
HIGHLIGHTED = tuple(name for name in ("title", "summary") if name in SEARCHABLE_ATTRIBUTES)
MAX_QUERY_WORDS = 10  # Meilisearch only considers a query's first ten words
BATCH_SIZE = 500  # documents per write transaction during a rebuild
BUSY_TIMEOUT = 10.0  # seconds a write waits for another writer
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


def fts5_match(segments: Sequence[Segment], typos: Mapping[str, Sequence[str]]) -> str:
    """The FTS5 MATCH expression for a query: every segment must match, either as its own words
    (all of them, each also as its typo variants in `typos`, the query's last word also as a
    prefix) or as one of its synonym phrases."""
    parts = []
    for s, segment in enumerate(segments):
        words = []
        for w, word in enumerate(segment.words):
            last = s == len(segments) - 1 and w == len(segment.words) - 1
            alternatives = [_quote([word]) + ("*" if last else "")]
            alternatives += [_quote([variant]) for variant in typos.get(word, ())]
            words.append(_any(alternatives))
        own = words[0] if len(words) == 1 else "(" + " AND ".join(words) + ")"
        parts.append(_any([own, *(_quote(phrase) for phrase in segment.synonyms)]))
    return " AND ".join(parts)


@dataclass(frozen=True)
class TextMatch:
    """What the words of a query match in the index."""

    match: str  # the FTS5 expression, typos included
    exact: str  # the same without typos: documents matching it rank first
    words: frozenset[str]  # indexed words to highlight…
    prefix: str  # …and the prefix (the last query word)


def text_match(words: Sequence[str], vocabulary: Vocabulary) -> TextMatch:
    """Typo variants and synonyms of normalized query words, as FTS5 expressions."""
    segments = expand_synonyms(words, synonym_groups())
    typos = {
        word: [c for c in typo_candidates(word, vocabulary) if c != word]
        for segment in segments
        for word in segment.words
    }
    variants = {variant for found in typos.values() for variant in found}
    synonyms = {word for s in segments for phrase in s.synonyms for word in phrase}
    return TextMatch(
        match=fts5_match(segments, typos),
        exact=fts5_match(segments, {}),
        words=frozenset(words) | variants | synonyms,
        prefix=words[-1],
    )


def _highlights(document: dict[str, Any], found: TextMatch) -> dict[str, str]:
    """Title and summary with the matched words between the markers, when some matched."""
    marked = {
        name: highlight(
            str(document.get(name) or ""),
            found.words,
            [found.prefix],
            HIGHLIGHT_PRE,
            HIGHLIGHT_POST,
        )
        for name in HIGHLIGHTED
    }
    return {name: text for name, text in marked.items() if HIGHLIGHT_PRE in text}


def _in(name: str, values: Sequence[Any], params: dict[str, Any]) -> str:
    """`(:name_0, :name_1…)` with the values added to params."""
    keys = []
    for i, value in enumerate(dict.fromkeys(values)):
        params[f"{name}_{i}"] = value
        keys.append(f":{name}_{i}")
    return "(" + ", ".join(keys) + ")"


def filter_sql(query: SearchQuery, generation: int) -> tuple[str, dict[str, Any]]:
    """The WHERE clause over `documents_<generation> AS d`: OR inside a filter, AND across."""
    params: dict[str, Any] = {}
    clauses = ["1"]

    def has_value(field: str, values: Sequence[str]) -> str:
        return (
            f"d.id IN (SELECT doc_id FROM values_{generation} WHERE field = '{field}' "
            f"AND value IN {_in(field, values, params)})"
        )

    for field, values in (
        ("needs", query.needs),
        ("languages", query.languages),
        ("programmes", query.programmes),
    ):
        if values:
            clauses.append(has_value(field, values))
    for column, values in (
        ("category", query.categories),
        ("delivery_mode", query.delivery_modes),
        ("provider_kind", query.provider_kinds),
        ("price_band", query.price_bands),
    ):
        if values:
            clauses.append(f"d.{column} IN {_in(column, values, params)}")
    if query.regions:
        served = has_value("regions", query.regions)
        clauses.append(f"({served} OR d.remote = 1)" if query.include_remote else served)
    if query.price_min_cents is not None:
        params["price_min"] = int(query.price_min_cents)
        clauses.append("d.price_cents >= :price_min")
    if query.price_max_cents is not None:
        params["price_max"] = int(query.price_max_cents)
        clauses.append("d.price_cents <= :price_max")
    return " AND ".join(clauses), params


def order_sql(query: SearchQuery, has_text: bool) -> str:
    """ORDER BY over `temp.hits AS h`: the chosen sort, then relevance, then id for stability."""
    sort = SORTS[query.sort]
    terms = []
    if sort is not None:
        field, direction = sort
        if field not in SORTABLE_ATTRIBUTES or direction not in ("asc", "desc"):
            raise ValueError(f"sort {query.sort!r} is not on a sortable attribute")
        terms.append(f"h.{field} {direction.upper()}")
    if has_text:
        terms += ["h.exact DESC", "h.score", "h.id"]
    else:
        terms += ["h.published_at DESC", "h.id DESC"]
    return ", ".join(terms)


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
        " provider_kind TEXT, rating INTEGER, published_at INTEGER)"
    )
    conn.execute(
        f"CREATE TABLE values_{g} (doc_id INTEGER NOT NULL, field TEXT NOT NULL,"
        " value TEXT NOT NULL, PRIMARY KEY (doc_id, field, value)) WITHOUT ROWID"
    )
    conn.execute(f"CREATE INDEX values_{g}_lookup ON values_{g} (field, value, doc_id)")
    conn.execute(
        f"CREATE VIRTUAL TABLE fts_{g} USING fts5({FTS_COLUMNS},"
        " tokenize = 'unicode61 remove_diacritics 2')"
    )
    conn.execute(f"CREATE VIRTUAL TABLE vocab_{g} USING fts5vocab(fts_{g}, 'row')")
    # The indexed words for typo tolerance. Reading them from fts5vocab walks every posting
    # (~0.3 s at 100,000 offers), too slow after each write: they are copied from it after a
    # rebuild and added by upserts. Words of replaced or deleted documents stay until the next
    # rebuild; a stale word only adds a typo alternative that matches nothing.
    conn.execute(f"CREATE TABLE words_{g} (word TEXT PRIMARY KEY) WITHOUT ROWID")


def _drop_tables(conn: sqlite3.Connection, g: int) -> None:
    for table in (f"words_{g}", f"vocab_{g}", f"fts_{g}", f"values_{g}", f"documents_{g}"):
        conn.execute(f"DROP TABLE IF EXISTS {table}")


def _generations(conn: sqlite3.Connection) -> set[int]:
    names = conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
    return {int(m[1]) for (name,) in names if (m := _GENERATION_TABLE.fullmatch(name))}


def _remove(conn: sqlite3.Connection, g: int, ids: Sequence[tuple[int]]) -> None:
    conn.executemany(f"DELETE FROM documents_{g} WHERE id = ?", ids)
    conn.executemany(f"DELETE FROM values_{g} WHERE doc_id = ?", ids)
    conn.executemany(f"DELETE FROM fts_{g} WHERE rowid = ?", ids)


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
        )
    except (KeyError, TypeError, ValueError) as error:
        # Meilisearch rejects such a document too (a failed task): same error for the caller.
        raise SearchError(f"document {doc.get('id')!r} rejected: {error!r}") from error


def _store(
    conn: sqlite3.Connection, g: int, documents: Iterable[dict[str, Any]], *, words: bool = True
) -> None:
    """Add or replace documents in generation g (the last of several with one id wins), and
    their words in the vocabulary unless `words` is false (a rebuild copies them at the end)."""
    latest: dict[int, tuple[tuple[Any, ...], dict[str, Any]]] = {}
    for doc in documents:
        row = _row(doc)
        latest[row[0]] = (row, doc)
    rows, values, texts = [], [], []
    for id_, (row, doc) in latest.items():
        rows.append(row)
        for field in VALUE_FIELDS:
            values += [
                (id_, field, value) for value in dict.fromkeys(map(str, _as_list(doc.get(field))))
            ]
        texts.append((id_, *(_text(doc.get(name)) for name in SEARCHABLE_ATTRIBUTES)))
    _remove(conn, g, [(id_,) for id_ in latest])
    conn.executemany(f"INSERT INTO documents_{g} VALUES ({', '.join('?' * 10)})", rows)
    conn.executemany(f"INSERT INTO values_{g} VALUES (?, ?, ?)", values)
    marks = ", ".join("?" * (len(SEARCHABLE_ATTRIBUTES) + 1))
    conn.executemany(f"INSERT INTO fts_{g} (rowid, {FTS_COLUMNS}) VALUES ({marks})", texts)
    if words:
        new = {(word,) for _id, *columns in texts for text in columns for word in tokens(text)}
        conn.executemany(f"INSERT OR IGNORE INTO words_{g} VALUES (?)", new)


def _documents(
    conn: sqlite3.Connection, g: int, ids: Sequence[int] | None = None
) -> dict[int, dict[str, Any]]:
    """Documents by id: these, or all of them."""
    params: dict[str, Any] = {}
    where = "" if ids is None else f" WHERE id IN {_in('id', ids, params)}"
    rows = conn.execute(f"SELECT id, json FROM documents_{g}{where}", params)
    return {int(id_): json.loads(raw) for id_, raw in rows}


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


def _collect_hits(
    conn: sqlite3.Connection, g: int, query: SearchQuery, found: TextMatch | None
) -> None:
    """Fill temp.hits with every document the query matches, with what ordering needs."""
    where, params = filter_sql(query, g)
    conn.execute("DELETE FROM temp.hits")
    columns = "INSERT INTO temp.hits (id, exact, score, price_cents, rating, published_at)"
    if found is None:
        conn.execute(
            f"{columns} SELECT d.id, 1, 0, d.price_cents, d.rating, d.published_at"
            f" FROM documents_{g} AS d WHERE {where}",
            params,
        )
        return
    exact = "1"
    if found.exact != found.match:
        exact = f"d.id IN (SELECT rowid FROM fts_{g} WHERE fts_{g} MATCH :exact)"
        params["exact"] = found.exact
    # MATERIALIZED: bm25() only works in the query that scans the FTS table.
    conn.execute(
        f"{columns} WITH m AS MATERIALIZED (SELECT rowid AS id,"
        f" bm25(fts_{g}, {', '.join(map(str, WEIGHTS))}) AS score"
        f" FROM fts_{g} WHERE fts_{g} MATCH :match)"
        f" SELECT d.id, {exact}, m.score, d.price_cents, d.rating, d.published_at"
        f" FROM m JOIN documents_{g} AS d ON d.id = m.id WHERE {where}",
        {**params, "match": found.match},
    )


def _facets(conn: sqlite3.Connection, g: int, names: Sequence[str]) -> dict[str, dict[str, int]]:
    """Counts of each value among all hits, values in alphabetical order like Meilisearch."""
    facets: dict[str, dict[str, int]] = {name: {} for name in names}
    if not names:
        return facets
    params: dict[str, Any] = {}
    rows = conn.execute(
        f"SELECT v.field, v.value, count(*) FROM temp.hits AS h"
        f" JOIN values_{g} AS v ON v.doc_id = h.id WHERE v.field IN {_in('f', names, params)}"
        " GROUP BY v.field, v.value ORDER BY v.field, v.value",
        params,
    )
    for field, value, count in rows:
        if len(facets[field]) < MAX_VALUES_PER_FACET:
            facets[field][value] = int(count)
    return facets


@dataclass(frozen=True)
class _State:
    generation: int
    revision: int


# --- The backend ---------------------------------------------------------------------------------


class EmbeddedBackend:
    """SearchBackend on a SQLite FTS5 index in its own file (not the app database)."""

    name = "embedded"

    def __init__(self, path: str | Path, *, max_total_hits: int = MAX_TOTAL_HITS) -> None:
        self.path = str(path)
        self.max_total_hits = max_total_hits  # Meilisearch's pagination.maxTotalHits
        self._lock = threading.Lock()  # guards the pool and the vocabulary cache
        self._setup_lock = threading.Lock()
        self._idle: list[sqlite3.Connection] = []
        self._pid = os.getpid()
        self._ready = False
        self._vocabulary: tuple[_State, Vocabulary] | None = None

    # --- Connections: a small pool, one connection per concurrent caller ---

    def _open(self) -> sqlite3.Connection:
        conn = sqlite3.connect(
            self.path, timeout=BUSY_TIMEOUT, isolation_level=None, check_same_thread=False
        )
        conn.execute("PRAGMA auto_vacuum = INCREMENTAL")  # only takes effect in a new file
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")
        conn.execute("PRAGMA temp_store = MEMORY")
        conn.execute(
            "CREATE TEMP TABLE hits (id INTEGER PRIMARY KEY, exact INTEGER NOT NULL,"
            " score REAL NOT NULL, price_cents INTEGER, rating INTEGER, published_at INTEGER)"
        )
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
    def _write(self) -> Iterator[tuple[sqlite3.Connection, int]]:
        """A write transaction on the live generation; bumps the revision."""
        self._ensure_ready()
        with self._connection() as conn, _transaction(conn, write=True):
            state = self._state(conn)
            yield conn, state.generation
            _set(conn, "revision", state.revision + 1)

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
        with self._errors("indexing documents"), self._write() as (conn, g):
            _store(conn, g, documents)

    def delete(self, ids: Iterable[int]) -> None:
        """Remove documents in one transaction; unknown ids are ignored."""
        with self._errors("deleting documents"), self._write() as (conn, g):
            _remove(conn, g, [(int(i),) for i in dict.fromkeys(ids)])

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
                    conn.execute(f"INSERT INTO fts_{g} (fts_{g}) VALUES ('optimize')")
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

    def _words(self, conn: sqlite3.Connection, state: _State) -> Vocabulary:
        """The index's words for typo tolerance, cached until the index changes."""
        with self._lock:
            cached = self._vocabulary
        if cached is not None and cached[0] == state:
            return cached[1]
        rows = conn.execute(f"SELECT word FROM words_{state.generation}")
        vocabulary = Vocabulary(word for (word,) in rows)
        with self._lock:
            self._vocabulary = (state, vocabulary)
        return vocabulary

    def _search(self, conn: sqlite3.Connection, state: _State, query: SearchQuery) -> SearchResult:
        g = state.generation
        words = tokens(query.text)[:MAX_QUERY_WORDS]
        found = text_match(words, self._words(conn, state)) if words else None
        _collect_hits(conn, g, query, found)
        total = conn.execute("SELECT count(*) FROM temp.hits").fetchone()[0]
        # Like Meilisearch's maxTotalHits: pages stop there, the total stays exact.
        offset = (query.page - 1) * query.per_page
        limit = max(0, min(query.per_page, self.max_total_hits - offset))
        ids = [
            id_
            for (id_,) in conn.execute(
                f"SELECT h.id FROM temp.hits AS h ORDER BY {order_sql(query, bool(found))}"
                " LIMIT :limit OFFSET :offset",
                {"limit": limit, "offset": offset},
            )
        ]
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
            total=int(total),
            page=query.page,
            per_page=query.per_page,
            facets=_facets(conn, g, query.facets),
        )
