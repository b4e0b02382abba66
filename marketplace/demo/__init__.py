"""The demo: accounts, labels, diagnoses and offers that make the app look lived in.

What the demo holds is content, in `data/*.json` (providers and their label stories, companies,
offer templates and workshops, diagnosis stories); the modules beside this one play it through
the real services, so demo records obey the same rules as real ones. Every seed is idempotent
(found records are left alone), flushes and never commits: the caller (CLI, test) owns the
transaction.

Billing's seed plugs in the same way: its content in `data/programmes.json` and
`data/bookings.json` (a booking in every state of the lifecycle), its logic in `demo/billing.py`
as `seed_demo_billing(session, mailer, today)`, called from the CLI after `seed_demo_offers` (a
booking needs a published offer and a demo company), its counts in `COUNT_KEYS`.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time

from flask_babel import force_locale
from sqlalchemy.orm import Session

from marketplace.demo.accounts import (
    DEMO_DOMAIN,
    DemoLogin,
    DemoSummary,
    format_logins,
    seed_accounts,
)
from marketplace.demo.billing import seed_demo_billing
from marketplace.demo.diagnoses import seed_demo_diagnoses
from marketplace.demo.offers import seed_demo_offers
from marketplace.mail import Mailer
from marketplace.resources import sync_resources

__all__ = [
    "DemoLogin",
    "DemoSummary",
    "format_logins",
    "seed_demo",
    "seed_demo_billing",
    "seed_demo_offers",
]


def seed_demo(session: Session, mailer: Mailer, today: date) -> DemoSummary:
    """Create the demo accounts, labels and diagnoses that are missing; flush, never commit."""
    summary = DemoSummary()
    # Demo data is French, whoever runs the seed (mails and reasons are written in it).
    with force_locale("fr"):
        seed_accounts(session, mailer, today, summary)
        sync_resources(session)
        created, present = seed_demo_diagnoses(
            session, DEMO_DOMAIN, datetime.combine(today, time(12), UTC)
        )
        summary.created["diagnoses"] += created
        summary.already_present["diagnoses"] += present
    session.flush()
    return summary
