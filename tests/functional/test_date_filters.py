"""Dates on pages: in Paris time, to the minute at most."""

from __future__ import annotations

from datetime import UTC, date, datetime

from flask import Flask
from flask_babel import refresh

from marketplace.blueprints.helpers import day, short_date


def test_dates_are_shown_in_paris_time_without_seconds(app: Flask) -> None:
    """Is a self-assessment taken at 23:30 UTC on 14 November dated the 15th, as in Paris?"""
    late = datetime(2026, 11, 14, 23, 30, 15, tzinfo=UTC)
    with app.test_request_context():
        assert day(late) == "15 nov. 2026"
        assert short_date(late) == "15 nov. 2026, 00:30"
        assert day(date(2026, 6, 30)) == short_date(date(2026, 6, 30)) == "30 juin 2026"
        assert day(None) == short_date(None) == ""
    # API clients choose their language with Accept-Language (pages, with the switch).
    with app.test_request_context("/api/v1/x", headers={"Accept-Language": "en"}):
        refresh()  # the locale is cached on the app context the fixture keeps
        assert day(late) == "Nov 15, 2026"
