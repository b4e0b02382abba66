"""URL converters: integers in URLs stay within what the database columns can hold."""

from __future__ import annotations

from typing import Any

from werkzeug.routing import IntegerConverter, Map

from marketplace.dbtypes import MAX_ID


class BoundedIntConverter(IntegerConverter):
    """`<int:…>` from 1 to MAX_ID unless the rule says otherwise.

    Ids are INTEGER columns: PostgreSQL refuses more than 2^31 - 1 with a server error, and
    SQLite more than 2^63 - 1. A larger number in a URL matches no route: a plain 404.
    """

    def __init__(self, map: Map, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("min", 1)
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)
