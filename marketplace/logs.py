"""Log lines as text (local default) or one JSON object per line (LOG_FORMAT=json), each with the
id of the request or worker job it belongs to.

A request keeps the `X-Request-ID` it came with (a proxy's, say) or gets a new one; the response
sends it back. Worker jobs get an id per run, so a job's lines can be told apart the same way.
"""

from __future__ import annotations

import logging
import re
import sys
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from flask import Flask, Response, g, has_request_context, request
from pythonjsonlogger.json import JsonFormatter

REQUEST_ID_HEADER = "X-Request-ID"
# What we accept from a client: short, and nothing a log reader could mistake for structure.
_VALID_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"
JSON_FIELDS = ("levelname", "name", "message", "request_id")  # and "time", ISO 8601 in UTC
JSON_RENAMES = {"levelname": "level", "name": "logger"}

request_id: ContextVar[str | None] = ContextVar("request_id", default=None)


def new_request_id() -> str:
    return uuid.uuid4().hex


def incoming_request_id(header: str | None) -> str:
    """The client's id when it is a sane one, else a new one."""
    if header and _VALID_REQUEST_ID.fullmatch(header):
        return header
    return new_request_id()


@contextmanager
def bound_request_id(value: str) -> Iterator[str]:
    """Every log line inside the block carries this id (a worker job's run)."""
    token = request_id.set(value)
    try:
        yield value
    finally:
        request_id.reset(token)


def current_request_id() -> str | None:
    """The id of the request being answered, else of the job running, else None."""
    if has_request_context() and "request_id" in g:
        return g.request_id
    return request_id.get()


class RequestIdFilter(logging.Filter):
    """Stamps each record with the current request or job id ("-" outside both)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = current_request_id() or "-"
        return True


def json_formatter() -> logging.Formatter:
    return JsonFormatter(list(JSON_FIELDS), rename_fields=JSON_RENAMES, timestamp="time")


def formatter(log_format: str) -> logging.Formatter:
    if log_format == "json":
        return json_formatter()
    return logging.Formatter(TEXT_FORMAT)


class GunicornAccessJsonFormatter(JsonFormatter):
    """gunicorn's access lines as JSON fields (gunicorn.conf.py uses it when LOG_FORMAT=json).

    gunicorn logs each request with its "atoms" (status, path, time…) as the record's args.
    """

    ATOMS: Mapping[str, str] = {
        "h": "remote_addr",
        "m": "method",
        "U": "path",
        "q": "query",
        "s": "status",
        "B": "bytes",
        "M": "duration_ms",
        "a": "user_agent",
        "{x-request-id}o": "request_id",
    }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("rename_fields", JSON_RENAMES)
        kwargs.setdefault("timestamp", "time")
        super().__init__(["levelname", "name"], *args, **kwargs)

    def add_fields(
        self, log_data: dict[str, Any], record: logging.LogRecord, message_dict: dict[str, Any]
    ) -> None:
        super().add_fields(log_data, record, message_dict)
        atoms = record.args if isinstance(record.args, Mapping) else {}
        for atom, field in self.ATOMS.items():
            value = atoms.get(atom)
            if isinstance(value, str):
                value = value.replace('\\"', '"')  # gunicorn escapes quotes for its text lines
            log_data[field] = None if value == "-" else value
        if isinstance(log_data.get("status"), str) and log_data["status"].isdigit():
            log_data["status"] = int(log_data["status"])
        log_data.pop("message", None)


_HANDLER_MARK = "_marketplace_handler"


def configure_logging(log_format: str, level: str = "INFO") -> None:
    """One handler on the root logger, to stdout; calling it again replaces it."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, _HANDLER_MARK, False):
            root.removeHandler(handler)
    handler = logging.StreamHandler(sys.stdout)
    setattr(handler, _HANDLER_MARK, True)
    handler.setFormatter(formatter(log_format))
    handler.addFilter(RequestIdFilter())
    root.addHandler(handler)
    root.setLevel(level.upper())


def register_request_ids(app: Flask) -> None:
    """Give every request an id, first of all hooks (so every log line of it has one)."""

    def bind_request_id() -> None:
        g.request_id = incoming_request_id(request.headers.get(REQUEST_ID_HEADER))

    def send_request_id(response: Response) -> Response:
        if "request_id" in g:
            response.headers[REQUEST_ID_HEADER] = g.request_id
        return response

    app.before_request_funcs.setdefault(None, []).insert(0, bind_request_id)
    app.after_request(send_request_id)
