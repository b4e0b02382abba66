"""Demo billing: the subsidy programmes a company's bill is split with, and bookings in every
state of their lifecycle.

The programmes are content, in `data/programmes.json`: a national programme (the State pays
half, for companies under 50 staff) and two regional ones that stack after it, with budgets
small enough that the demo can show one running low. Their validity is given in days around the
seed day, so they are open whenever the demo runs. They are created through the programme
service as the demo administrator, so they are audited and queued for search like real ones.
Idempotent by code (found programmes are left alone); it flushes and never commits.

The bookings are stories in `data/bookings.json`, played through the booking operations (the
provider quotes, the company accepts the split it is shown, reservations are taken), so the
programmes' budgets show what the demo agreements hold. A company's booking of an offer is
recognised by the pair and left alone. Each confirmed booking that is not free is then invoiced
by its provider (the volunteer's free session has nothing to invoice), so the demo's journal and
FEC hold entries. A story's `money` then plays what follows the invoice: the share paid by
transfer (`share_paid`, the claims then wait for the administrators), the claims approved
(`claims_approved`), paid by the funder (`claims_paid`: the booking closes) or one refused
(`claim_rejected`: the company owes it), so the funder's dashboard has a story to tell; a
closed booking's `review` is then written by its company.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from marketplace.accounts.models import User
from marketplace.accounts.service import find_user_by_email
from marketplace.billing.claims import (
    approve_claim,
    claims_of_invoice,
    mark_claim_paid,
    reject_claim,
)
from marketplace.billing.invoices import invoice_of_booking, issue_invoice
from marketplace.billing.payments import payments_of, record_transfer, share_account
from marketplace.billing.programmes import ProgrammeData, create_programme, programme_by_code
from marketplace.bookings.lifecycle import State
from marketplace.bookings.models import Booking
from marketplace.bookings.operations import (
    QuoteData,
    RequestData,
    TransitionInput,
    current_split,
    fire,
    request_booking,
)
from marketplace.catalog.indexing import visible_offers
from marketplace.catalog.models import Offer, PricingUnit
from marketplace.demo.accounts import ADMIN_EMAIL, DEMO_DOMAIN
from marketplace.mail import Mailer
from marketplace.reviews.operations import write_review

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
    return {
        "programmes": (created, present),
        "bookings": _seed_bookings(session, mailer, today),
        "invoices": _seed_invoices(session, today),
        "payments": _seed_money(session, mailer, today, admin),
    }


BOOKINGS: tuple[dict[str, Any], ...] = tuple(
    json.loads((DATA_DIR / "bookings.json").read_text(encoding="utf-8"))["bookings"]
)


def _demo_user(session: Session, login: str) -> User:
    user = find_user_by_email(session, f"{login}@{DEMO_DOMAIN}")
    if user is None:
        raise LookupError(f"the demo account {login} is missing: run seed_demo first")
    return user


def _offer_for(session: Session, provider: User, category: str, today: date) -> Offer:
    """The provider's first visible offer of the category, or of any category."""
    assert provider.provider is not None
    mine = visible_offers(today).where(Offer.provider_id == provider.provider.id)
    offer = session.scalars(mine.where(Offer.category_code == category).limit(1)).first()
    offer = offer or session.scalars(mine.limit(1)).first()
    if offer is None:
        raise LookupError(f"{provider.email} has no visible offer: run seed_demo_offers first")
    return offer


def _seed_bookings(session: Session, mailer: Mailer, today: date) -> tuple[int, int]:
    created = present = 0
    for story in BOOKINGS:
        company = _demo_user(session, story["company"])
        provider = _demo_user(session, story["provider"])
        offer = _offer_for(session, provider, story["category"], today)
        assert company.company is not None
        found = select(Booking.id).where(
            Booking.company_id == company.company.id, Booking.offer_id == offer.id
        )
        if session.scalar(found) is not None:
            present += 1
            continue
        quantity = 1 if offer.pricing_unit == PricingUnit.FIXED else 3
        data = RequestData(quantity=quantity, message=story["message"])
        booking = request_booking(session, company, offer, data, mailer, today)
        for step in story["steps"]:
            _play(session, mailer, today, booking, step, story, company, provider)
        created += 1
    session.flush()
    return created, present


def _seed_invoices(session: Session, today: date) -> tuple[int, int]:
    """Invoice the stories' confirmed bookings that have a price, as their providers."""
    created = present = 0
    pairs = {(story["company"], story["provider"]) for story in BOOKINGS}
    for company_login, provider_login in sorted(pairs):
        company = _demo_user(session, company_login)
        provider = _demo_user(session, provider_login)
        assert company.company is not None and provider.provider is not None
        bookings = session.scalars(
            select(Booking)
            .where(
                Booking.company_id == company.company.id,
                Booking.provider_id == provider.provider.id,
                Booking.state.in_((State.CONFIRMED, State.CLOSED)),
            )
            .order_by(Booking.id)
        ).all()
        for booking in bookings:
            if not (booking.agreement or {}).get("split", {}).get("incl_vat_cents"):
                continue  # a free session: nothing to invoice
            if invoice_of_booking(session, booking) is not None:
                present += 1
                continue
            issue_invoice(session, provider, booking, today)
            created += 1
    session.flush()
    return created, present


MONEY_STEPS = ("share_paid", "claims_approved", "claims_paid", "claim_rejected")


def _seed_money(session: Session, mailer: Mailer, today: date, admin: User) -> tuple[int, int]:
    """Play each story's `money` on its invoice, once (an invoice with payments is left alone)."""
    created = present = 0
    for story in BOOKINGS:
        money = story.get("money")
        if money is None:
            continue
        assert money in MONEY_STEPS, money
        company = _demo_user(session, story["company"])
        provider = _demo_user(session, story["provider"])
        offer = _offer_for(session, provider, story["category"], today)
        assert company.company is not None
        booking = session.scalars(
            select(Booking).where(
                Booking.company_id == company.company.id, Booking.offer_id == offer.id
            )
        ).first()
        invoice = invoice_of_booking(session, booking) if booking is not None else None
        if invoice is None:
            continue
        if payments_of(session, invoice):
            present += 1
            continue
        due = share_account(session, invoice).due_cents
        if due:
            record_transfer(
                session, provider, invoice, due, today, f"VIR {company.company.name}", today, mailer
            )
        claims = claims_of_invoice(session, invoice)
        if money == "claim_rejected" and claims:
            reject_claim(session, admin, claims[0].id, story["rejection"], today, mailer)
            claims = claims[1:]
        if money in ("claims_approved", "claims_paid", "claim_rejected"):
            for claim in claims:
                approve_claim(session, admin, claim.id)
        if money == "claims_paid":
            for claim in claims:
                reference = f"VIR-{claim.programme.code.upper()}-{claim.id:05d}"
                paid_on = max(today, claim.submitted_at.date())  # never before the claim
                mark_claim_paid(session, admin, claim.id, paid_on, reference, paid_on, mailer)
            review = story.get("review")
            if review and booking is not None:
                session.refresh(booking)
                write_review(session, company, booking, review["rating"], review["comment"])
        created += 1
    session.flush()
    return created, present


def _play(
    session: Session,
    mailer: Mailer,
    today: date,
    booking: Booking,
    step: str,
    story: dict[str, Any],
    company: User,
    provider: User,
) -> None:
    """One step of a story, fired by whoever the lifecycle lets fire it."""
    reason = story.get("reason", "")
    if step.startswith("system:"):
        fire(session, None, booking, step.removeprefix("system:"), mailer, today)
    elif step == "propose_quote":
        quote = QuoteData(quantity=booking.quantity, note=story.get("quote_note", ""))
        fire(session, provider, booking, step, mailer, today, TransitionInput(quote=quote))
    elif step == "accept":
        split = current_split(session, booking, today)
        assert split is not None
        given = TransitionInput(expected_company_share_cents=split.company_share_cents)
        fire(session, company, booking, step, mailer, today, given)
    elif step == "mark_delivered":
        given = TransitionInput(delivery_note=story["delivery_note"])
        fire(session, provider, booking, step, mailer, today, given)
    elif step in ("decline", "cancel"):
        by = provider if step == "decline" else company
        fire(session, by, booking, step, mailer, today, TransitionInput(reason=reason))
    else:  # confirm, dispute
        fire(session, company, booking, step, mailer, today, TransitionInput(reason=reason))
