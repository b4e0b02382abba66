"""Demo billing: the subsidy programmes a company's bill is split with.

The programmes are content, in `data/programmes.json`: a national programme (the State pays
half, for companies under 50 staff) and two regional ones that stack after it, with budgets
small enough that the demo can show one running low. Their validity is given in days around the
seed day, so they are open whenever the demo runs. They are created through the programme
service as the demo administrator, so they are audited and queued for search like real ones.
Idempotent by code (found programmes are left alone); it flushes and never commits.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from marketplace.accounts.service import find_user_by_email
from marketplace.billing.programmes import ProgrammeData, create_programme, programme_by_code
from marketplace.demo.accounts import ADMIN_EMAIL
from marketplace.mail import Mailer

DATA_DIR = Path(__file__).parent / "data"


@dataclass(frozen=True)
class _DemoProgramme:
    data: ProgrammeData  # without its dates, which depend on the seed day
    opened_days_ago: int
    closes_in_days: int

    def on(self, today: date) -> ProgrammeData:
        """The programme as seeded on `today`: open since a while, closing in a while."""
        return replace(
            self.data,
            valid_from=today - timedelta(days=self.opened_days_ago),
            valid_to=today + timedelta(days=self.closes_in_days),
        )


def _programme(spec: dict[str, Any]) -> _DemoProgramme:
    days = ("opened_days_ago", "closes_in_days")
    data = ProgrammeData(**{key: value for key, value in spec.items() if key not in days})
    return _DemoProgramme(data, spec["opened_days_ago"], spec["closes_in_days"])


_content = json.loads((DATA_DIR / "programmes.json").read_text(encoding="utf-8"))
PROGRAMMES: tuple[_DemoProgramme, ...] = tuple(_programme(p) for p in _content["programmes"])


def seed_demo_billing(session: Session, mailer: Mailer, today: date) -> dict[str, tuple[int, int]]:
    """Create the missing demo programmes; return (created, already present) per count key.

    Runs after `seed_demo` (the demo administrator creates them). `mailer` is for the demo
    bookings to come, whose quotes and invoices send mail.
    """
    admin = find_user_by_email(session, ADMIN_EMAIL)
    if admin is None:
        raise LookupError(f"the demo administrator {ADMIN_EMAIL} is missing: run seed_demo first")
    created = present = 0
    for spec in PROGRAMMES:
        if programme_by_code(session, spec.data.code) is not None:
            present += 1
            continue
        create_programme(session, admin, spec.on(today))
        created += 1
    session.flush()
    return {"programmes": (created, present)}
