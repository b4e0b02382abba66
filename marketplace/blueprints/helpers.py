"""Template filters and globals shared by every page."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from flask import Flask, request, url_for
from flask_babel import format_date, format_decimal, format_time, get_locale
from markupsafe import Markup, escape

from marketplace.billing.money import format_euros
from marketplace.dbtypes import MAX_PAGE
from marketplace.geo import REGIONS
from marketplace.labels.operations import status_label
from marketplace.search.query import HIGHLIGHT_POST, HIGHLIGHT_PRE
from marketplace.taxonomy import (
    CATEGORY_CODES,
    CATEGORY_LABELS,
    LANGUAGE_NAMES,
    SIZE_BAND_LABELS,
    category_label,
)


def money(cents: int | None) -> str:
    """Integer cents shown as euros in the reader's locale."""
    return "" if cents is None else format_euros(cents, str(get_locale() or "fr"))


def short_date(value: date | datetime | None) -> str:
    """A date, or a date and time to the minute ("15 nov. 2026, 13:00"), in Paris time."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return f"{format_date(value, 'medium')}, {format_time(value, 'short')}"
    return format_date(value, "medium")


def day(value: date | datetime | None) -> str:
    """Only the day ("15 nov. 2026"); a UTC datetime's day as seen in Paris."""
    return "" if value is None else format_date(value, "medium")


def url_for_page(page: int) -> str:
    """The current URL with another page number, keeping the filters."""
    args: dict[str, Any] = request.args.to_dict()
    args["page"] = str(page)
    return url_for(request.endpoint or "public.home", **(request.view_args or {}), **args)


def region_choices() -> list[tuple[str, str]]:
    return [(r.code, r.name) for r in sorted(REGIONS, key=lambda r: r.name)]


def category_choices() -> list[tuple[str, str]]:
    """(code, label) in the reader's language, in taxonomy order."""
    return [(code, category_label(code)) for code in CATEGORY_CODES]


def highlight(text: str | None) -> Markup:
    """Escape the text, then turn the search engine's match markers into <mark> tags."""
    escaped = escape(text or "")
    return Markup(str(escaped).replace(HIGHLIGHT_PRE, "<mark>").replace(HIGHLIGHT_POST, "</mark>"))


def register(app: Flask) -> None:
    app.add_template_filter(money, "money")
    app.add_template_filter(highlight, "highlight")
    app.add_template_filter(short_date, "short_date")
    app.add_template_filter(day, "day")
    app.add_template_filter(category_label, "category_label")
    app.add_template_filter(status_label, "label_status")
    app.add_template_global(url_for_page)
    app.add_template_global(region_choices)
    app.add_template_global(category_choices)
    # Constants go straight into the globals: add_template_global is typed for functions.
    app.jinja_env.globals.update(
        CATEGORY_LABELS=CATEGORY_LABELS,
        SIZE_BAND_LABELS=SIZE_BAND_LABELS,
        LANGUAGE_NAMES=LANGUAGE_NAMES,
    )
    app.add_template_global(get_locale)
    app.add_template_global(format_decimal)



def page_number() -> int:
    """`?page=` of a listing page, from 1 to MAX_PAGE: junk means 1, beyond means the last.

    Flask-SQLAlchemy would pass any integer on to OFFSET, where a huge one overflows the
    database's integers (a 500).
    """
    raw = request.args.get("page", "")
    if not raw.isascii() or not raw.isdigit():
        return 1
    return max(1, min(MAX_PAGE, int(raw[:6])))  # six digits already pass MAX_PAGE
