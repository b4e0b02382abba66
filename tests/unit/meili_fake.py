"""A stand-in Meilisearch on 127.0.0.1: records every request and answers like Meilisearch.

No Meilisearch server can run here, so the adapter is tested at the HTTP layer. The fake keeps
just enough state (indexes and their documents, tasks) to answer the routes the adapter uses with
the shapes Meilisearch documents: writes return a task summary, `GET /tasks/{uid}` the task, errors
`{"message", "code", "type", "link"}` with the HTTP status Meilisearch uses.
"""

from __future__ import annotations

import json
import re
import sys
import threading
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

ENQUEUED_AT = "2025-01-02T03:04:05.123456Z"


@dataclass(frozen=True)
class Recorded:
    method: str
    path: str  # with its query string
    body: Any  # the JSON body, None without one
    authorization: str | None
    peer_port: int = field(default=0, compare=False)  # the client's end of the connection

    @property
    def route(self) -> str:
        return f"{self.method} {urlsplit(self.path).path}"


def api_error(code: str, message: str, status: int = 400) -> tuple[int, dict[str, Any]]:
    kind = "auth" if status in (401, 403) else "invalid_request"
    link = f"https://docs.meilisearch.com/errors#{code}"
    return status, {"message": message, "code": code, "type": kind, "link": link}


def task_error(code: str, message: str) -> dict[str, Any]:
    return {"message": message, "code": code, "type": "invalid_request", "link": ""}


@dataclass
class FakeMeili:
    """State and behaviour of the fake server; tests tweak the public fields."""

    key: str | None = "test-master-key"  # None: a server without a master key
    url: str = ""
    requests: list[Recorded] = field(default_factory=list)
    indexes: dict[str, dict[int, dict[str, Any]]] = field(default_factory=dict)
    tasks: dict[int, dict[str, Any]] = field(default_factory=dict)
    # Tasks of these types fail with this error (the task's "error" object).
    fail_types: dict[str, dict[str, Any]] = field(default_factory=dict)
    # Tasks of these uids fail with this error.
    fail_uids: dict[int, dict[str, Any]] = field(default_factory=dict)
    processing_polls: int = 0  # "processing" answers to GET /tasks/{uid} before the outcome
    stats_documents: int | None = None  # numberOfDocuments to report instead of the real count
    search_response: dict[str, Any] = field(default_factory=dict)
    delay: float = 0.0  # seconds before answering (a slow server)
    release: threading.Event = field(default_factory=threading.Event)
    crashes: list[str] = field(default_factory=list)  # bugs of the fake itself
    lock: threading.Lock = field(default_factory=threading.Lock)
    _polls: dict[int, int] = field(default_factory=dict)

    # --- what the tests read ---

    def routes(self) -> list[str]:
        return [r.route for r in self.requests]

    def polled(self) -> list[int]:
        return [
            int(r.path.rsplit("/", 1)[1])
            for r in self.requests
            if r.route.startswith("GET /tasks/")
        ]

    # --- the server side ---

    def _task(self, kind: str, index_uid: str | None, effect: Any = None) -> dict[str, Any]:
        """Enqueue a task; its effect applies at once unless the task is set to fail."""
        uid = len(self.tasks)
        error = self.fail_uids.get(uid) or self.fail_types.get(kind)
        if error is None and effect is not None:
            error = effect()
        self.tasks[uid] = {
            "uid": uid,
            "indexUid": index_uid,
            "status": "failed" if error else "succeeded",
            "type": kind,
            "details": {},
            "error": error,
            "canceledBy": None,
            "duration": "PT0.001S",
            "enqueuedAt": ENQUEUED_AT,
            "startedAt": ENQUEUED_AT,
            "finishedAt": ENQUEUED_AT,
        }
        return {
            "taskUid": uid,
            "indexUid": index_uid,
            "status": "enqueued",
            "type": kind,
            "enqueuedAt": ENQUEUED_AT,
        }

    def _missing(self, uid: str) -> tuple[int, dict[str, Any]]:
        return api_error("index_not_found", f"Index `{uid}` not found.", 404)

    def answer(self, method: str, path: str, body: Any) -> tuple[int, Any]:
        parts = urlsplit(path)
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        route = f"{method} {parts.path}"

        if m := re.fullmatch(r"GET /tasks/(\d+)", route):
            uid = int(m[1])
            if uid not in self.tasks:
                return api_error("task_not_found", f"Task `{uid}` not found.", 404)
            self._polls[uid] = self._polls.get(uid, 0) + 1
            if self._polls[uid] <= self.processing_polls:
                return 200, {**self.tasks[uid], "status": "processing", "error": None}
            return 200, self.tasks[uid]

        if route == "POST /indexes":
            uid = body["uid"]

            def create() -> dict[str, Any] | None:
                if uid in self.indexes:
                    return task_error("index_already_exists", f"Index `{uid}` already exists.")
                self.indexes[uid] = {}
                return None

            return 202, self._task("indexCreation", uid, create)

        if route == "POST /swap-indexes":
            pairs = [pair["indexes"] for pair in body]

            def swap() -> dict[str, Any] | None:
                for a, b in pairs:
                    for uid in (a, b):
                        if uid not in self.indexes:
                            return task_error("index_not_found", f"Index `{uid}` not found.")
                    self.indexes[a], self.indexes[b] = self.indexes[b], self.indexes[a]
                return None

            return 202, self._task("indexSwap", None, swap)

        if route == "POST /multi-search":
            results = []
            for q in body["queries"]:
                if q["indexUid"] not in self.indexes:
                    return self._missing(q["indexUid"])
                results.append({"indexUid": q["indexUid"], **self.search_response})
            return 200, {"results": results}

        m = re.fullmatch(r"(\w+) /indexes/([^/]+)(/.*)?", route)
        if not m:
            return api_error("not_found", f"no route {route}", 404)
        method, uid, rest = m[1], m[2], m[3] or ""

        if (method, rest) == ("GET", ""):
            if uid not in self.indexes:
                return self._missing(uid)
            return 200, {
                "uid": uid,
                "primaryKey": "id",
                "createdAt": ENQUEUED_AT,
                "updatedAt": ENQUEUED_AT,
            }

        if (method, rest) == ("DELETE", ""):

            def delete() -> dict[str, Any] | None:
                if self.indexes.pop(uid, None) is None:
                    return task_error("index_not_found", f"Index `{uid}` not found.")
                return None

            return 202, self._task("indexDeletion", uid, delete)

        if (method, rest) == ("PATCH", "/settings"):

            def update_settings() -> None:
                self.indexes.setdefault(uid, {})  # Meilisearch creates a missing index

            return 202, self._task("settingsUpdate", uid, update_settings)

        if (method, rest) == ("POST", "/documents"):
            if query.get("primaryKey") != "id":
                return api_error("bad_request", "the fake expects ?primaryKey=id")

            def add() -> None:
                docs = self.indexes.setdefault(uid, {})
                for doc in body:
                    docs[int(doc["id"])] = doc

            return 202, self._task("documentAdditionOrUpdate", uid, add)

        if (method, rest) == ("POST", "/documents/delete-batch"):

            def delete_batch() -> None:
                docs = self.indexes.setdefault(uid, {})
                for doc_id in body:
                    docs.pop(int(doc_id), None)

            return 202, self._task("documentDeletion", uid, delete_batch)

        if uid not in self.indexes:
            return self._missing(uid)

        if (method, rest) == ("POST", "/documents/fetch"):
            docs = [self.indexes[uid][i] for i in sorted(self.indexes[uid])]
            offset, limit = body.get("offset", 0), body.get("limit", 20)
            return 200, {
                "results": docs[offset : offset + limit],
                "offset": offset,
                "limit": limit,
                "total": len(docs),
            }

        if (method, rest) == ("GET", "/stats"):
            count = len(self.indexes[uid])
            return 200, {
                "numberOfDocuments": count
                if self.stats_documents is None
                else self.stats_documents,
                "isIndexing": False,
                "fieldDistribution": {},
            }

        if (method, rest) == ("POST", "/search"):
            return 200, self.search_response

        return api_error("not_found", f"no route {route}", 404)


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"  # keep-alive, as the real server does

    def _serve(self) -> None:
        fake = self.server.fake
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        body = json.loads(raw) if raw else None
        authorization = self.headers.get("Authorization")
        with fake.lock:
            fake.requests.append(
                Recorded(self.command, self.path, body, authorization, self.client_address[1])
            )
        if fake.delay:
            fake.release.wait(fake.delay)
        # Like the server: the token is trimmed; any header, even an empty "Bearer ", is
        # checked, with or without a master key.
        token = None if authorization is None else authorization.removeprefix("Bearer").strip()
        if token is None and fake.key is not None:
            status, payload = api_error(
                "missing_authorization_header", "The Authorization header is missing.", 401
            )
        elif token is not None and token != fake.key:
            status, payload = api_error("invalid_api_key", "The provided API key is invalid.", 403)
        else:
            with fake.lock:
                try:
                    status, payload = fake.answer(self.command, self.path, body)
                except Exception:
                    fake.crashes.append(traceback.format_exc())
                    status, payload = 500, {"message": "the fake crashed"}
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _serve

    def log_message(self, format: str, *args: Any) -> None:
        """Silent: the tests read the recorded requests, not a log on stderr."""


class _Server(ThreadingHTTPServer):
    fake: FakeMeili

    def handle_error(self, request: Any, client_address: Any) -> None:
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)
        # else a client that timed out has hung up: nothing to report


@contextmanager
def running(fake: FakeMeili) -> Iterator[FakeMeili]:
    """Serve `fake` on a free port of 127.0.0.1 until the block ends."""
    server = _Server(("127.0.0.1", 0), _Handler)
    server.fake = fake
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.01})
    thread.start()
    fake.url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield fake
    finally:
        fake.release.set()  # wake slow answers so their threads end
        server.shutdown()
        thread.join()
        server.server_close()
