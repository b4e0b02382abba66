"""Booking operations: request an offer, fire the lifecycle's transitions, post messages, tick.

Every transition goes through `fire`, which checks it against `lifecycle.TRANSITIONS` (the only
place the lifecycle is written), runs its effects inside a savepoint (a refusal leaves nothing
behind), then records the history event, the audit event and the mails. Functions flush and
never commit: the caller owns the transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from flask_babel import force_locale, gettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from marketplace.accounts.models import Company, Provider, User
from marketplace.accounts.parties import enabled_members, own_rows
from marketplace.audit import record_event
from marketplace.billing import reservations
from marketplace.billing.invoices import InvoiceTerms, auto_invoice
from marketplace.billing.money import MAX_AMOUNT_CENTS
from marketplace.billing.quotes import (
    QuoteContext,
    offer_split_facts,
    open_programmes,
    quote_context,
)
from marketplace.billing.split import BookingLine, Split, split_as_dict
from marketplace.bookings.evidence import EvidenceStore, Upload, problems
from marketplace.bookings.lifecycle import (
    TIMED,
    WAITING_FOR,
    Effect,
    Party,
    State,
    Transition,
    TransitionName,
    allowed,
    transition,
)
from marketplace.bookings.models import Booking, BookingEvent, BookingEvidence, BookingMessage
from marketplace.bookings.wording import state_label, transition_label
from marketplace.catalog.indexing import indexable
from marketplace.catalog.models import Offer, PricingUnit
from marketplace.dbtypes import utcnow
from marketplace.errors import Conflict, DomainError, NotFound, ValidationFailed
from marketplace.mail import Mailer

MAX_QUANTITY = 999
MESSAGE_MAX = 5000
REASON_MIN, REASON_MAX = 3, 2000


class TransitionNotAllowed(Conflict):
    """The transition does not exist from this state for this party; says which ones do."""

    def __init__(self, booking: Booking, name: str, allowed_names: Sequence[str]) -> None:
        super().__init__(
            str(
                _l(
                    "“%(name)s” is not possible on a booking in state “%(state)s”.",
                    name=name,
                    state=state_label(booking.state),
                )
            )
        )
        self.allowed = list(allowed_names)

    def details(self) -> dict[str, object]:
        return {"allowed": self.allowed}


class SplitChanged(Conflict):
    """Budgets or allowances moved since the company saw the split: here is the new one."""

    def __init__(self, split: Split) -> None:
        super().__init__(
            str(
                _l(
                    "The subsidies changed since you saw this quote (a budget ran low or is "
                    "exhausted). Check the new split and accept it if it suits you."
                )
            )
        )
        self.split = split

    def details(self) -> dict[str, object]:
        return {"split": split_as_dict(self.split)}


@dataclass(frozen=True)
class RequestData:
    quantity: int = 1
    wished_start: date | None = None
    wished_end: date | None = None
    message: str = ""


@dataclass(frozen=True)
class QuoteData:
    """A provider's quote; unit price None means the offer's listed price."""

    quantity: int
    unit_price_cents: int | None = None
    start: date | None = None
    end: date | None = None
    note: str = ""


@dataclass(frozen=True)
class TransitionInput:
    """What a transition may carry; each transition reads only its own part."""

    reason: str = ""
    quote: QuoteData | None = None
    expected_company_share_cents: int | None = None  # accept: the split the company saw
    delivery_note: str = ""
    evidence: Sequence[Upload] = field(default_factory=tuple)


# --- Who is who -----------------------------------------------------------------------------


def parties_of(actor: User, booking: Booking) -> frozenset[Party]:
    parties = set()
    if actor.company is not None and actor.company.id == booking.company_id:
        parties.add(Party.COMPANY)
    if actor.provider is not None and actor.provider.id == booking.provider_id:
        parties.add(Party.PROVIDER)
    if actor.is_admin:
        parties.add(Party.ADMIN)
    return frozenset(parties)


def booking_for(session: Session, actor: User, booking_id: int) -> Booking:
    """The booking if the actor is a party to it (or an admin); anything else is not found."""
    booking = session.get(Booking, booking_id)
    if booking is None or not parties_of(actor, booking):
        raise NotFound(str(_l("No such booking.")))
    return booking


def bookings_of(actor: User, state: State | None = None) -> Select[Booking]:
    """The actor's own bookings (its company's, or its provider's), newest activity first."""
    query = select(Booking).order_by(Booking.state_changed_at.desc(), Booking.id.desc())
    query = own_rows(query, actor, Booking.company_id, Booking.provider_id)
    if state is not None:
        query = query.where(Booking.state == state)
    return query


def waiting_for(booking: Booking) -> Party | None:
    return WAITING_FOR.get(State(booking.state))


def available_transitions(actor: User, booking: Booking) -> tuple[Transition, ...]:
    return allowed(State(booking.state), parties_of(actor, booking) - {Party.SYSTEM})


# --- Checks ---------------------------------------------------------------------------------


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _check_quantity(offer: Offer, quantity: object, errors: dict[str, list[str]]) -> None:
    if not _is_int(quantity) or not 1 <= quantity <= MAX_QUANTITY:  # type: ignore[operator]
        errors.setdefault("quantity", []).append(
            str(_l("Give a quantity between 1 and %(max)d.", max=MAX_QUANTITY))
        )
    elif offer.pricing_unit == PricingUnit.FIXED and quantity != 1:
        errors.setdefault("quantity", []).append(
            str(_l("This offer has a fixed price: its quantity is 1."))
        )


def _check_dates(
    start: date | None, end: date | None, errors: dict[str, list[str]], key: str
) -> None:
    if start is not None and end is not None and end < start:
        errors.setdefault(key, []).append(str(_l("The end date cannot be before the start date.")))


def _check_text(value: str, name: str, errors: dict[str, list[str]], maximum: int) -> None:
    if len(value.strip()) > maximum:
        errors.setdefault(name, []).append(str(_l("Give at most %(max)d characters.", max=maximum)))


def _check_reason(value: str) -> None:
    if not REASON_MIN <= len(value.strip()) <= REASON_MAX:
        raise ValidationFailed(
            {
                "reason": [
                    str(
                        _l(
                            "Give a reason of %(min)d to %(max)d characters.",
                            min=REASON_MIN,
                            max=REASON_MAX,
                        )
                    )
                ]
            }
        )


# --- Request --------------------------------------------------------------------------------


def request_booking(
    session: Session, actor: User, offer: Offer, data: RequestData, mailer: Mailer, today: date
) -> Booking:
    """A company member asks for a visible offer."""
    company = actor.company
    if company is None:
        raise DomainError(str(_l("Only companies can request an offer.")))
    if not indexable(offer, today):
        raise NotFound(str(_l("This offer is not available.")))
    errors: dict[str, list[str]] = {}
    _check_quantity(offer, data.quantity, errors)
    _check_dates(data.wished_start, data.wished_end, errors, "wished_end")
    if data.wished_start is not None and data.wished_start < today:
        errors.setdefault("wished_start", []).append(
            str(_l("The wished start date cannot be in the past."))
        )
    _check_text(data.message, "message", errors, MESSAGE_MAX)
    if errors:
        raise ValidationFailed(errors)
    booking = Booking(
        company_id=company.id,
        provider_id=offer.provider_id,
        offer_id=offer.id,
        requested_by_id=actor.id,
        quantity=data.quantity,
        wished_start=data.wished_start,
        wished_end=data.wished_end,
        request_message=data.message.strip(),
        state=State.REQUESTED,
        state_changed_at=utcnow(),
    )
    session.add(booking)
    session.flush()
    session.add(
        BookingEvent(
            booking_id=booking.id,
            actor_id=actor.id,
            transition="request",
            from_state=None,
            to_state=State.REQUESTED,
            data={"quantity": data.quantity},
        )
    )
    record_event(
        session,
        actor,
        "booking.requested",
        "booking",
        booking.id,
        offer_id=offer.id,
        quantity=data.quantity,
    )
    _notify(session, mailer, booking, Party.COMPANY, "request", "")
    session.flush()
    return booking


# --- Transitions ----------------------------------------------------------------------------


def fire(
    session: Session,
    actor: User | None,
    booking: Booking,
    name: str,
    mailer: Mailer,
    today: date,
    given: TransitionInput | None = None,
    *,
    evidence_store: EvidenceStore | None = None,
    as_party: Party | None = None,
    terms: InvoiceTerms | None = None,
) -> Booking:
    """Fire one transition of the table; `actor` None is the clock (`as_party` SYSTEM).

    A booking that becomes confirmed is invoiced at once when its provider chose automatic
    invoicing (`terms`: the invoice's terms, the defaults when None).
    """
    given = given or TransitionInput()
    parties = frozenset({Party.SYSTEM}) if actor is None else parties_of(actor, booking)
    if as_party is not None:
        parties = parties & {as_party}
    source = State(booking.state)
    step = transition(source, name)
    if step is None or not (step.parties & parties):
        names = [t.name.value for t in allowed(source, parties)]
        raise TransitionNotAllowed(booking, name, names)
    if step.needs_reason:
        _check_reason(given.reason)
    party = next(
        p
        for p in (Party.COMPANY, Party.PROVIDER, Party.ADMIN, Party.SYSTEM)
        if p in step.parties & parties
    )

    savepoint = session.begin_nested()
    try:
        data = _run_effects(session, actor, booking, step, given, today, evidence_store)
        booking.state = step.target
        booking.state_changed_at = utcnow()
        if step.needs_reason:
            booking.reason = given.reason.strip()
        session.flush()
    except BaseException:
        savepoint.rollback()
        raise
    savepoint.commit()

    if step.needs_reason:
        data["reason"] = given.reason.strip()
    session.add(
        BookingEvent(
            booking_id=booking.id,
            actor_id=actor.id if actor else None,
            transition=step.name.value,
            from_state=source,
            to_state=step.target,
            data=data,
        )
    )
    record_event(
        session,
        actor,
        f"booking.{step.name.value}",
        "booking",
        booking.id,
        from_state=source.value,
        to_state=step.target.value,
        **data,
    )
    _notify(session, mailer, booking, party, step.name.value, given.reason.strip())
    session.flush()
    if step.target is State.CONFIRMED:
        _auto_invoice(session, booking, today, terms)
    return booking


def _auto_invoice(
    session: Session, booking: Booking, today: date, terms: InvoiceTerms | None
) -> None:
    """Invoice a just-confirmed booking if its provider chose so. A refusal (a free session,
    an agreement that no longer adds up) does not undo the confirmation: it leaves nothing
    behind, and the provider sees the reason when issuing the invoice by hand."""
    with suppress(Conflict):
        auto_invoice(session, booking, today, terms)


def _run_effects(
    session: Session,
    actor: User | None,
    booking: Booking,
    step: Transition,
    given: TransitionInput,
    today: date,
    evidence_store: EvidenceStore | None,
) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for effect in step.effects:
        if effect is Effect.STORE_QUOTE:
            data.update(_store_quote(booking, given.quote))
        elif effect is Effect.FREEZE_AGREEMENT:
            assert actor is not None
            data.update(_freeze_agreement(session, actor, booking, given, today))
        elif effect is Effect.RECORD_DELIVERY:
            assert actor is not None
            data.update(_record_delivery(session, actor, booking, given, evidence_store))
        elif effect is Effect.RELEASE_SUBSIDIES:
            released = reservations.release(session, actor, booking.id)
            data["released_cents"] = sum(a.amount_cents for a in released)
    if step.target is State.CONFIRMED:
        booking.confirmed_at = utcnow()
    return data


def _store_quote(booking: Booking, given: QuoteData | None) -> dict[str, Any]:
    if given is None:
        raise ValidationFailed({"quantity": [str(_l("Give the quote's quantity."))]})
    offer = booking.offer
    errors: dict[str, list[str]] = {}
    _check_quantity(offer, given.quantity, errors)
    price = offer.price_excl_vat_cents if given.unit_price_cents is None else given.unit_price_cents
    if not _is_int(price) or not 0 <= price <= MAX_AMOUNT_CENTS:
        errors.setdefault("unit_price_cents", []).append(
            str(_l("Give a price in whole cents, zero or more."))
        )
    _check_dates(given.start, given.end, errors, "end")
    _check_text(given.note, "note", errors, MESSAGE_MAX)
    if errors:
        raise ValidationFailed(errors)
    booking.quote_quantity = given.quantity
    booking.quote_unit_price_cents = price
    booking.quote_vat_rate_bp = offer.vat_rate_bp
    booking.quote_start, booking.quote_end = given.start, given.end
    booking.quote_note = given.note.strip()
    booking.quoted_at = utcnow()
    return {
        "quantity": given.quantity,
        "unit_price_cents": price,
        "start": given.start.isoformat() if given.start else None,
        "end": given.end.isoformat() if given.end else None,
    }


def quote_line(booking: Booking) -> BookingLine | None:
    if booking.quote_quantity is None or booking.quote_unit_price_cents is None:
        return None
    return BookingLine(
        booking.quote_unit_price_cents,
        booking.quote_quantity,
        booking.quote_vat_rate_bp if booking.quote_vat_rate_bp is not None else 0,
    )


def current_split(
    session: Session, booking: Booking, today: date, context: QuoteContext | None = None
) -> Split | None:
    """What the company would pay if it accepted the current quote now; pass the company's
    `context` to split a list of its bookings without loading it again for each."""
    line = quote_line(booking)
    if line is None:
        return None
    context = context or quote_context(session, booking.company, today)
    return context.split(offer_split_facts(booking.offer), line)


def _freeze_agreement(
    session: Session, actor: User, booking: Booking, given: TransitionInput, today: date
) -> dict[str, Any]:
    expected = given.expected_company_share_cents
    if not _is_int(expected):
        raise ValidationFailed(
            {"expected_company_share_cents": [str(_l("Say which split you accept."))]}
        )
    line = quote_line(booking)
    assert line is not None  # a quoted booking has a quote
    company, offer = booking.company, booking.offer
    programmes = open_programmes(session, today)
    facts = offer_split_facts(offer)
    preliminary = quote_context(session, company, today, programmes).split(facts, line)
    eligible = [s.programme_code for s in preliminary.lines if s.eligible]
    # Locking reloads the paying programmes' rows: the split below sees every earlier reservation.
    reservations.lock_for_acceptance(session, company, eligible)
    split = quote_context(session, company, today, programmes).split(facts, line)
    if split.company_share_cents != expected:
        raise SplitChanged(split)
    reservations.reserve(session, actor, booking.id, company, split, today)
    booking.agreement = _agreement(booking, company, offer, split, actor)
    booking.agreed_at = utcnow()
    return {
        "company_share_cents": split.company_share_cents,
        "subsidies_cents": split.subsidies_cents,
        "incl_vat_cents": split.incl_vat_cents,
    }


def _agreement(
    booking: Booking, company: Company, offer: Offer, split: Split, actor: User
) -> dict[str, Any]:
    provider: Provider = booking.provider
    return {
        "accepted_at": utcnow().isoformat(),
        "accepted_by": {"id": actor.id, "name": actor.full_name, "email": actor.email},
        "offer": {
            "id": offer.id,
            "title": offer.title,
            "summary": offer.summary,
            "category": offer.category_code,
            "price_excl_vat_cents": offer.price_excl_vat_cents,
            "vat_rate_bp": offer.vat_rate_bp,
            "pricing_unit": str(offer.pricing_unit),
            "delivery_mode": str(offer.delivery_mode),
        },
        "quote": {
            "quantity": booking.quote_quantity,
            "unit_price_cents": booking.quote_unit_price_cents,
            "vat_rate_bp": booking.quote_vat_rate_bp,
            "start": booking.quote_start.isoformat() if booking.quote_start else None,
            "end": booking.quote_end.isoformat() if booking.quote_end else None,
            "note": booking.quote_note,
        },
        "split": split_as_dict(split),
        "company": {
            "id": company.id,
            "name": company.name,
            "siren": company.siren,
            "size_band": str(company.size_band),
            "department": company.department_code,
        },
        "provider": {
            "id": provider.id,
            "name": provider.name,
            "siret": provider.siret,
            "vat_number": provider.vat_number,
            "kind": str(provider.kind),
        },
    }


def _record_delivery(
    session: Session,
    actor: User,
    booking: Booking,
    given: TransitionInput,
    store: EvidenceStore | None,
) -> dict[str, Any]:
    errors: dict[str, list[str]] = {}
    note = given.delivery_note.strip()
    if not note and not given.evidence:
        errors["delivery_note"] = [str(_l("Describe what was delivered or attach evidence."))]
    _check_text(note, "delivery_note", errors, MESSAGE_MAX)
    found = problems(list(given.evidence))
    if found:
        errors["evidence"] = found
    if errors:
        raise ValidationFailed(errors)
    if given.evidence and store is None:
        raise RuntimeError("evidence files need an EvidenceStore")
    booking.delivery_note = note
    booking.delivered_at = utcnow()
    files = []
    for upload in given.evidence:
        assert store is not None
        stored = store.save(upload)
        session.add(
            BookingEvidence(
                booking_id=booking.id,
                uploaded_by_id=actor.id,
                original_name=stored.original_name,
                content_type=stored.content_type,
                size_bytes=stored.size_bytes,
                sha256=stored.sha256,
                storage_name=stored.storage_name,
            )
        )
        files.append({"name": stored.original_name, "sha256": stored.sha256})
    return {"evidence": files}


# --- Messages -------------------------------------------------------------------------------


def post_message(
    session: Session, actor: User, booking: Booking, body: str, mailer: Mailer
) -> BookingMessage:
    parties = parties_of(actor, booking) & {Party.COMPANY, Party.PROVIDER}
    if not parties:
        raise NotFound(str(_l("No such booking.")))
    text = body.strip()
    if not 1 <= len(text) <= MESSAGE_MAX:
        raise ValidationFailed(
            {"body": [str(_l("Write a message of 1 to %(max)d characters.", max=MESSAGE_MAX))]}
        )
    message = BookingMessage(booking_id=booking.id, author_id=actor.id, body=text)
    session.add(message)
    session.flush()
    _notify(session, mailer, booking, next(iter(parties)), "message", text)
    return message


# --- The clock ------------------------------------------------------------------------------


def tick(
    session: Session, mailer: Mailer, now: datetime, terms: InvoiceTerms | None = None
) -> list[tuple[int, str]]:
    """Fire every timed transition that is due; safe on several workers at once.

    Each booking moves in its own savepoint; one that another worker (or a user) moved first
    fails the version check and is skipped, not fired twice.
    """
    fired: list[tuple[int, str]] = []
    for step in TIMED:
        assert step.after is not None
        due = session.scalars(
            select(Booking.id)
            .where(Booking.state == step.source)
            .where(Booking.state_changed_at <= now - step.after)
            .order_by(Booking.id)
        ).all()
        for booking_id in due:
            booking = session.get(Booking, booking_id, populate_existing=True)
            if booking is None or booking.state != step.source:
                continue
            try:
                with session.begin_nested():
                    fire(session, None, booking, step.name.value, mailer, now.date(), terms=terms)
            except StaleDataError:
                session.expire(booking)
                continue
            fired.append((booking_id, step.name.value))
    return fired


# --- Mail -----------------------------------------------------------------------------------


def _members(session: Session, booking: Booking, party: Party) -> list[User]:
    if party is Party.COMPANY:
        return enabled_members(session, company_id=booking.company_id)
    return enabled_members(session, provider_id=booking.provider_id)


def _notify(
    session: Session, mailer: Mailer, booking: Booking, by: Party, what: str, text: str
) -> None:
    """Mail the other party (both, when the clock or an admin moved the booking)."""
    if by is Party.COMPANY:
        to = [Party.PROVIDER]
    elif by is Party.PROVIDER:
        to = [Party.COMPANY]
    else:
        to = [Party.COMPANY, Party.PROVIDER]
    for party in to:
        for user in _members(session, booking, party):
            with force_locale(user.locale):
                if what == "message":
                    subject = gettext("%(ref)s: new message", ref=booking.reference)
                    event = gettext("New message")
                elif what == "request":
                    subject = gettext("%(ref)s: new request", ref=booking.reference)
                    event = gettext("New request")
                else:
                    event = transition_label(TransitionName(what))
                    subject = gettext(
                        "%(ref)s: %(state)s",
                        ref=booking.reference,
                        state=state_label(booking.state),
                    )
                body = gettext(
                    "Hello %(name)s,\n\n%(event)s on booking %(ref)s (%(offer)s).\n"
                    "Status: %(state)s\n",
                    name=user.full_name,
                    event=event,
                    ref=booking.reference,
                    offer=booking.offer.title,
                    state=state_label(booking.state),
                )
                if text:
                    body += "\n" + text + "\n"
                body += gettext("\nSee it at /bookings/%(id)d\n", id=booking.id)
            mailer.send(session, user.email, subject, body)
