"""Every user-facing message has a French translation, and the compiled catalogue is current."""

from __future__ import annotations

from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
CATALOGUE = ROOT / "marketplace" / "translations" / "fr" / "LC_MESSAGES"
KEYWORDS = {
    "_": None,
    "gettext": None,
    "ngettext": (1, 2),
    "_l": None,
    "N_": None,
    "lazy_gettext": None,
}
METHODS = [
    ("marketplace/**.py", "python"),
    ("marketplace/templates/**.html", "jinja2"),
]


def source_messages() -> set[str]:
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map=METHODS, keywords=KEYWORDS
    ):
        found.add(message[0] if isinstance(message, tuple) else message)
    return found


def read_catalogue():  # type: ignore[no-untyped-def]
    with (CATALOGUE / "messages.po").open("rb") as po:
        return read_po(po)


def test_every_message_has_a_french_translation() -> None:
    catalogue = read_catalogue()
    translated = {
        m.id[0] if isinstance(m.id, tuple) else m.id
        for m in catalogue
        if m.id and not m.fuzzy and (all(m.string) if isinstance(m.string, tuple) else m.string)
    }
    messages = source_messages()
    assert len(messages) > 100, "extraction found too little: check the keywords"
    missing = sorted(messages - translated)
    assert missing == [], f"{len(missing)} message(s) without French: {missing[:10]}"


def test_placeholders_match() -> None:
    problems = [(m.id, [str(e) for e in errors]) for m, errors in read_catalogue().check()]
    assert problems == []


def test_compiled_catalogue_matches_the_po_file() -> None:
    """Was `pybabel compile` run after the last change to messages.po?"""
    with (CATALOGUE / "messages.mo").open("rb") as mo:
        compiled = {_key(m.id): _key(m.string) for m in read_mo(mo) if m.id}
    source = {_key(m.id): _key(m.string) for m in read_catalogue() if m.id and not m.fuzzy}
    assert compiled == source


def _key(value: object) -> object:
    """Plural entries come as lists from one reader and tuples from the other."""
    return tuple(value) if isinstance(value, list | tuple) else value
