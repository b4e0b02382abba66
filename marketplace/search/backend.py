"""The port every search engine adapter implements."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, Protocol

from marketplace.search.query import SearchQuery, SearchResult


class SearchError(Exception):
    """The search engine failed or refused a request; the message says which and why."""


class SearchBackend(Protocol):
    name: str

    def apply_settings(self) -> None:
        """Create the index if needed and apply the settings in marketplace.search.settings."""
        ...

    def upsert(self, documents: Iterable[dict[str, Any]]) -> None:
        """Add or replace documents (by their `id`); waits until they are searchable."""
        ...

    def delete(self, ids: Iterable[int]) -> None:
        """Remove documents; unknown ids are ignored."""
        ...

    def rebuild(self, documents: Iterable[dict[str, Any]]) -> int:
        """Replace the whole index with these documents without ever serving a half-built
        index; returns the document count."""
        ...

    def search(self, query: SearchQuery) -> SearchResult: ...

    def multi_search(self, queries: Sequence[SearchQuery]) -> list[SearchResult]:
        """Several searches in one round trip, results in the same order."""
        ...

    def documents(self) -> dict[int, dict[str, Any]]:
        """Every indexed document by id (for `search check`)."""
        ...
