"""The marketplace's calendar: its days are French days, whatever zone the server runs in.

Invoice dates, due dates, label expiry and subsidy years are legal dates in France; a server on
UTC would otherwise start "tomorrow" an hour or two late and date a delivery after its invoice.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

PARIS = ZoneInfo("Europe/Paris")


def today() -> date:
    """Today's date in Paris."""
    return datetime.now(PARIS).date()
