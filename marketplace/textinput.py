"""What text a user may send: no control characters, no lone surrogates, no bidi tricks in names.

One rule set for the API schemas and the HTML forms, so both refuse the same input with the same
message before it reaches the database (PostgreSQL refuses NUL bytes with a server error, SQLite
stores them). Accepted text is normalised to NFC, so "é" is stored one way only.

The character classes are regular-expression source shared by the server's checks and the
OpenAPI patterns. They are spelled with escapes and without `\\s`, which ECMA-262 (what JSON
Schema validators read) and Python's `re` define differently.
"""

from __future__ import annotations

import re
import unicodedata

from flask_babel import lazy_gettext as _l

# C0 controls but tab, newline and carriage return; DEL and C1 controls; the byte-order mark.
CONTROLS = r"\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufeff"
# What one-line text refuses besides: tab, line and paragraph breaks.
LINE_BREAKS = r"\t\n\r\u2028\u2029"
# Bidi embeddings, overrides and isolates: they let a name display as something else.
BIDI_CONTROLS = r"\u202a-\u202e\u2066-\u2069"
# Whitespace as both ECMA-262 and Python's str.isspace() see it (controls aside).
SPACES = r"\t\n\x0b\x0c\r \xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"
_SURROGATES = r"\ud800-\udfff"  # never valid text; JSON can still smuggle them in as escapes

_LINE_REFUSED = CONTROLS + LINE_BREAKS + BIDI_CONTROLS
_MULTILINE_REFUSED = CONTROLS

CONTROL_MESSAGE = _l("Remove the control characters (invisible characters) from this text.")
LINE_MESSAGE = _l(
    "Write this on one line, without tabs, line breaks or invisible formatting characters."
)
SPACES_MESSAGE = _l("Remove the spaces at the start and at the end.")


def text_pattern(*, multiline: bool = False, required: bool = False) -> str:
    """The JSON Schema pattern of what `clean_text(..., trimmed=True)` accepts."""
    refused = _MULTILINE_REFUSED if multiline else _LINE_REFUSED
    edge = f"[^{refused}{SPACES}]"
    body = f"{edge}(?:[^{refused}]*{edge})?"
    return f"^{body}$" if required else f"^(?:{body})?$"


_REFUSED = {
    True: re.compile(f"[{_MULTILINE_REFUSED}{_SURROGATES}]"),
    False: re.compile(f"[{_LINE_REFUSED}{_SURROGATES}]"),
}
_LINE_ONLY = re.compile(f"[{LINE_BREAKS}{BIDI_CONTROLS}]")
_EDGE_SPACE = re.compile(f"^[{SPACES}]|[{SPACES}]$")


class UnsafeText(ValueError):
    """The text holds characters we refuse; `message` says which kind, for the user."""

    def __init__(self, message: object) -> None:
        super().__init__(str(message))
        self.message = message


def text_problem(value: str, *, multiline: bool = False, trimmed: bool = False) -> object | None:
    """The user-facing reason `value` is refused, or None when it is acceptable."""
    match = _REFUSED[multiline].search(value)
    if match is not None:
        return LINE_MESSAGE if _LINE_ONLY.fullmatch(match.group()) else CONTROL_MESSAGE
    if trimmed and _EDGE_SPACE.search(value):
        return SPACES_MESSAGE
    return None


def clean_text(value: str, *, multiline: bool = False, trimmed: bool = False) -> str:
    """`value` in NFC, or UnsafeText when it holds characters we refuse.

    `trimmed` refuses spaces at either end (the API: what it stores is what was sent); forms
    strip them instead, before calling this.
    """
    problem = text_problem(value, multiline=multiline, trimmed=trimmed)
    if problem is not None:
        raise UnsafeText(problem)
    return unicodedata.normalize("NFC", value)
