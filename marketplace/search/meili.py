"""The Meilisearch adapter: the official client, a timeout on every call, every task checked.

Meilisearch applies writes asynchronously: each write returns a task, and `wait_for_task` returns
it whatever its status, so every task is waited for and its status checked here (a rejected
document only shows up there). Client and task failures become SearchError.

Request building and response parsing are pure functions (`build_search_params`,
`parse_search_response`) so they can be tested without a server.
"""

from __future__ import annotations

import logging
import re
import secrets
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from functools import partial
from itertools import islice
from typing import Any, TypeVar

import meilisearch
import pydantic
import requests
from meilisearch.errors import (
    MeilisearchApiError,
    MeilisearchCommunicationError,
    MeilisearchError,
    MeilisearchTimeoutError,
)
from meilisearch.models.task import TaskInfo

from marketplace.search import meili_http
from marketplace.search.backend import SearchError
from marketplace.search.query import (
    HIGHLIGHT_POST,
    HIGHLIGHT_PRE,
    SORTS,
    Hit,
    SearchQuery,
    SearchResult,
)
from marketplace.search.settings import MATCHING_STRATEGY, meilisearch_settings
from marketplace.search.text import ignored_words

log = logging.getLogger(__name__)
meili_http.install()  # keep-alive connections for the client (see meili_http)

PRIMARY_KEY = "id"
BATCH_SIZE = 1000  # documents (or ids) per write request
HIGHLIGHTED = ("title", "summary")
INDEX_NOT_FOUND = "index_not_found"
INDEX_EXISTS = "index_already_exists"

T = TypeVar("T")


# --- Pure request building and response parsing ------------------------------------------------


def quote(value: str) -> str:
    """A string value for Meilisearch filter syntax: double-quoted, `\\` and `"` escaped."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _any_of(attribute: str, values: Iterable[str]) -> list[str]:
    return [f"{attribute} = {quote(value)}" for value in dict.fromkeys(values)]


def build_filter(query: SearchQuery) -> list[str | list[str]]:
    """Nested arrays: the outer list is AND-ed, each inner list OR-ed."""
    groups: list[str | list[str]] = []
    for attribute, values in (
        ("needs", query.needs),
        ("category", query.categories),
        ("regions", query.regions),
        ("delivery_mode", query.delivery_modes),
        ("provider_kind", query.provider_kinds),
        ("languages", query.languages),
        ("programmes", query.programmes),
        ("price_band", query.price_bands),
        ("rating_band", query.rating_bands),
    ):
        if not values:
            continue
        group = _any_of(attribute, values)
        if attribute == "regions" and query.include_remote:
            group.append("remote = true")
        groups.append(group)
    # Both bounds are inclusive.
    if query.price_min_cents is not None:
        groups.append(f"price_cents >= {int(query.price_min_cents)}")
    if query.price_max_cents is not None:
        groups.append(f"price_cents <= {int(query.price_max_cents)}")
    if query.visible_on is not None:
        # NOT: documents without the attribute (indexed before it existed) stay visible.
        groups.append(f"NOT visible_through < {int(query.visible_on)}")
    return groups


def plain_text(text: str) -> str:
    """Query text Meilisearch reads as words only: `"` (a phrase there: no typos, synonyms or
    prefix) becomes a space, and a `-` starting a word (excludes the word there) is dropped."""
    return _NEGATION.sub(r"\1", text.replace('"', " "))


_NEGATION = re.compile(r"(^|\s)-+")


def build_search_params(query: SearchQuery) -> dict[str, Any]:
    """The body of `POST /indexes/{uid}/search` for this query (also one multi-search query)."""
    params: dict[str, Any] = {"q": plain_text(query.text)}
    filters = build_filter(query)
    if filters:
        params["filter"] = filters
    params["facets"] = list(query.facets)
    sort = SORTS[query.sort]
    if sort is not None:
        params["sort"] = [f"{sort[0]}:{sort[1]}"]
    params.update(
        {
            "page": query.page,
            "hitsPerPage": query.per_page,
            "matchingStrategy": MATCHING_STRATEGY,
            # Per hit, how many query words it matched: the page says which were ignored.
            "showRankingScoreDetails": True,
            "attributesToHighlight": list(HIGHLIGHTED),
            "highlightPreTag": HIGHLIGHT_PRE,
            "highlightPostTag": HIGHLIGHT_POST,
        }
    )
    return params


def _hit(raw: dict[str, Any]) -> Hit:
    formatted = raw.get("_formatted") or {}
    highlights = {
        name: text
        for name in HIGHLIGHTED
        if isinstance(text := formatted.get(name), str) and HIGHLIGHT_PRE in text
    }
    # Keys starting with "_" are Meilisearch's (_formatted, _rankingScore…), not the document's.
    document = {key: value for key, value in raw.items() if not key.startswith("_")}
    return Hit(id=int(document["id"]), document=document, highlights=highlights)


def _ignored(query: SearchQuery, hits: list[dict[str, Any]]) -> tuple[str, ...]:
    """The query words the best hit does without, from its ranking details."""
    details = (hits[0].get("_rankingScoreDetails") or {}).get("words") if hits else None
    if not isinstance(details, dict):
        return ()
    matched, most = details.get("matchingWords"), details.get("maxMatchingWords")
    if not isinstance(matched, int) or not isinstance(most, int) or matched >= most:
        return ()
    return ignored_words(plain_text(query.text), matched)


def parse_search_response(query: SearchQuery, response: dict[str, Any]) -> SearchResult:
    """A SearchResult from a search (or one multi-search) response with page-based totals."""
    distribution = response.get("facetDistribution") or {}
    return SearchResult(
        ignored_words=_ignored(query, response.get("hits", [])),
        hits=[_hit(raw) for raw in response.get("hits", [])],
        total=int(response.get("totalHits", 0)),
        page=int(response.get("page", query.page)),
        per_page=int(response.get("hitsPerPage", query.per_page)),
        facets={
            name: {str(value): int(count) for value, count in distribution.get(name, {}).items()}
            for name in query.facets
        },
    )


def _batches(items: Iterable[T], size: int) -> Iterator[list[T]]:
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch


# --- The adapter -------------------------------------------------------------------------------


def _describe(error: Exception) -> str:
    if isinstance(error, MeilisearchApiError):
        code = error.code or f"HTTP {error.status_code}"
        return f"{code}: {error.message}"
    if isinstance(error, MeilisearchTimeoutError):
        return f"timed out ({error.message})"
    if isinstance(error, MeilisearchCommunicationError):
        return f"cannot reach the server ({error.message})"
    if isinstance(error, MeilisearchError):
        return error.message
    return f"unexpected response ({error})"


class TaskFailed(SearchError):
    """A Meilisearch task ended without succeeding; `code` is the task's error code."""

    def __init__(self, message: str, code: str | None) -> None:
        super().__init__(message)
        self.code = code


class MeiliBackend:
    """SearchBackend on a Meilisearch server (production)."""

    name = "meilisearch"

    def __init__(
        self,
        url: str,
        api_key: str | None,
        index_uid: str,
        timeout: float,
        *,
        task_timeout: float = 300.0,
        poll_interval: float = 0.05,
        batch_size: int = BATCH_SIZE,
    ) -> None:
        self.url = url.rstrip("/")
        self.api_key = api_key
        self.index_uid = index_uid
        self.timeout = timeout  # seconds for each HTTP request
        self.task_timeout = task_timeout  # seconds to wait for one task to finish
        self.poll_interval = poll_interval
        self.batch_size = batch_size

    # The client keeps mutable per-request headers on objects shared by its methods, so each
    # operation builds its own (cheap: it opens no connection; meili_http pools them).
    def _client(self) -> meilisearch.Client:
        # The client annotates timeout as int; it hands it to requests, which takes float seconds.
        # Without a key, the client would still send "Bearer None": a None header value makes
        # requests leave the header out, as a server without a master key wants.
        headers = None if self.api_key else {"Authorization": None}
        return meilisearch.Client(
            self.url,
            self.api_key,
            timeout=self.timeout,  # type: ignore[arg-type]
            custom_headers=headers,  # type: ignore[arg-type]
        )

    @contextmanager
    def _errors(self, action: str) -> Iterator[None]:
        try:
            yield
        except (MeilisearchError, requests.RequestException, pydantic.ValidationError) as error:
            message = f"Meilisearch ({self.url}) {action} failed: {_describe(error)}"
            raise SearchError(message) from error

    def _call(self, action: str, call: Callable[[], T]) -> T:
        with self._errors(action):
            return call()

    def _wait(self, client: meilisearch.Client, info: TaskInfo, action: str) -> None:
        """Wait for one task and raise TaskFailed unless it succeeded."""
        with self._errors(f"{action} (waiting for task {info.task_uid})"):
            task = client.wait_for_task(
                info.task_uid,
                timeout_in_ms=int(self.task_timeout * 1000),
                interval_in_ms=max(1, int(self.poll_interval * 1000)),
            )
        if task.status != "succeeded":
            error = task.error or {}
            code, message = error.get("code"), error.get("message", "no message")
            raise TaskFailed(
                f"Meilisearch task {task.uid} ({task.type}) for {action} {task.status}: "
                f"{code or 'no code'}: {message}",
                code,
            )

    def _wait_all(self, client: meilisearch.Client, infos: list[TaskInfo], action: str) -> None:
        """Wait for every task, even after a failure, then raise the first failure."""
        failures: list[SearchError] = []
        for info in infos:
            try:
                self._wait(client, info, action)
            except SearchError as error:
                failures.append(error)
        if len(failures) == 1:
            raise failures[0]
        if failures:
            more = f" (and {len(failures) - 1} more failed tasks)"
            raise SearchError(f"{failures[0]}{more}") from failures[0]

    def _index_exists(self, client: meilisearch.Client, uid: str) -> bool:
        with self._errors(f"reading index {uid!r}"):
            try:
                client.get_raw_index(uid)
            except MeilisearchApiError as error:
                if error.code == INDEX_NOT_FOUND:
                    return False
                raise
        return True

    def _create_index(self, client: meilisearch.Client, uid: str) -> None:
        action = f"creating index {uid!r}"
        info = self._call(action, lambda: client.create_index(uid, {"primaryKey": PRIMARY_KEY}))
        try:
            self._wait(client, info, action)
        except TaskFailed as failure:
            if failure.code != INDEX_EXISTS:  # else created meanwhile by another process
                raise

    def _ensure_index(self, client: meilisearch.Client, uid: str) -> None:
        if not self._index_exists(client, uid):
            self._create_index(client, uid)

    def _apply_settings(self, client: meilisearch.Client, uid: str) -> None:
        action = f"updating the settings of {uid!r}"
        settings = meilisearch_settings()
        info = self._call(action, lambda: client.index(uid).update_settings(settings))
        self._wait(client, info, action)

    def _add(
        self,
        client: meilisearch.Client,
        uid: str,
        documents: Iterable[dict[str, Any]],
        ids: set[int] | None = None,
    ) -> None:
        """Enqueue additions in batches, then wait for and check every task."""
        index = client.index(uid)
        action = f"adding documents to {uid!r}"
        infos: list[TaskInfo] = []
        for batch in _batches(documents, self.batch_size):
            if ids is not None:
                ids.update(int(document[PRIMARY_KEY]) for document in batch)
            infos.append(self._call(action, partial(index.add_documents, batch, PRIMARY_KEY)))
        self._wait_all(client, infos, action)

    def _delete_index(self, client: meilisearch.Client, uid: str) -> None:
        action = f"deleting index {uid!r}"
        info = self._call(action, lambda: client.delete_index(uid))
        try:
            self._wait(client, info, action)
        except TaskFailed as failure:
            if failure.code != INDEX_NOT_FOUND:
                raise

    def _discard(self, client: meilisearch.Client, uid: str) -> None:
        try:
            self._delete_index(client, uid)
        except SearchError as error:
            log.warning("could not delete the Meilisearch index %s: %s", uid, error)

    # --- SearchBackend ---

    def apply_settings(self) -> None:
        """Create the index if needed and apply the settings in marketplace.search.settings."""
        client = self._client()
        self._ensure_index(client, self.index_uid)
        self._apply_settings(client, self.index_uid)

    def upsert(self, documents: Iterable[dict[str, Any]]) -> None:
        """Add or replace documents (by their `id`); waits until they are searchable."""
        self._add(self._client(), self.index_uid, documents)

    def delete(self, ids: Iterable[int]) -> None:
        """Remove documents; unknown ids are ignored."""
        client = self._client()
        index = client.index(self.index_uid)
        action = f"deleting documents from {self.index_uid!r}"
        path = f"indexes/{self.index_uid}/documents/delete-batch"
        infos: list[TaskInfo] = []
        for batch in _batches(dict.fromkeys(int(i) for i in ids), self.batch_size):
            # The delete-batch route, through the client's HTTP layer: the client's
            # delete_documents(ids) warns that ids are deprecated (in the client, not the
            # server), and deleting by filter would need `id` to be filterable. The route takes
            # integer ids; the client annotates its body as strings only.
            post = partial(index.http.post, path, batch)  # type: ignore[arg-type]
            response = self._call(action, post)
            infos.append(self._call(action, partial(TaskInfo, **response)))
        self._wait_all(client, infos, action)

    def rebuild(self, documents: Iterable[dict[str, Any]]) -> int:
        """Build a temporary index, check it, then swap it with the live one atomically."""
        client = self._client()
        live = self.index_uid
        tmp = f"{live}_tmp_{secrets.token_hex(4)}"
        # The swap needs both indexes: a first rebuild creates the (empty) live index.
        self._ensure_index(client, live)
        ids: set[int] = set()
        try:
            self._create_index(client, tmp)
            self._apply_settings(client, tmp)  # before any document: settings reindex everything
            self._add(client, tmp, documents, ids)
            stats = self._call(
                f"reading the stats of {tmp!r}", lambda: client.index(tmp).get_stats()
            )
            if stats.number_of_documents != len(ids):
                raise SearchError(
                    f"Meilisearch rebuild of {live!r} aborted: the new index holds "
                    f"{stats.number_of_documents} documents, {len(ids)} were sent"
                )
            action = f"swapping {live!r} with {tmp!r}"
            info = self._call(action, lambda: client.swap_indexes([{"indexes": [live, tmp]}]))
            self._wait(client, info, action)
        except Exception:
            self._discard(client, tmp)
            raise
        # The swap succeeded: the live index serves the new documents whatever happens next.
        self._discard(client, tmp)  # now the old documents: a leftover is only logged
        return len(ids)

    def search(self, query: SearchQuery) -> SearchResult:
        body = build_search_params(query)
        text = body.pop("q")
        index = self._client().index(self.index_uid)
        response = self._call(f"searching {self.index_uid!r}", lambda: index.search(text, body))
        return parse_search_response(query, response)

    def multi_search(self, queries: Sequence[SearchQuery]) -> list[SearchResult]:
        """Several searches in one round trip, results in the same order."""
        if not queries:
            return []
        client = self._client()
        bodies = [{"indexUid": self.index_uid, **build_search_params(q)} for q in queries]
        response = self._call("multi-searching", lambda: client.multi_search(bodies))
        results = response.get("results", [])
        if len(results) != len(queries):
            raise SearchError(
                f"Meilisearch multi-search answered {len(results)} of {len(queries)} queries"
            )
        return [parse_search_response(q, r) for q, r in zip(queries, results, strict=True)]

    def documents(self) -> dict[int, dict[str, Any]]:
        """Every indexed document by id (none when the index does not exist yet)."""
        client = self._client()
        if not self._index_exists(client, self.index_uid):
            return {}
        index = client.index(self.index_uid)
        found: dict[int, dict[str, Any]] = {}
        offset = 0
        while True:
            page = self._call(
                f"reading the documents of {self.index_uid!r}",
                partial(index.get_documents, {"offset": offset, "limit": self.batch_size}),
            )
            for document in page.results:
                raw = dict(document)
                found[int(raw[PRIMARY_KEY])] = raw
            offset += len(page.results)
            if not page.results or offset >= page.total:
                return found

    def drop(self) -> None:
        """Delete the index (the contract suite's teardown); a missing index is fine."""
        self._delete_index(self._client(), self.index_uid)
