"""The booking lifecycle, declared once: every state, every transition, who may fire it.

In the spirit of Sharetribe's transaction processes, this table is the single source of the
lifecycle: `operations.fire` refuses anything it does not list (no skipped states), pages and the
API show the transitions it allows, `operations.tick` runs its timed ones, and its effects name
what `operations` does besides changing the state. Pure data: no database, no Flask.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum


class State(StrEnum):
    REQUESTED = "requested"  # the company asked; the provider answers with a quote or declines
    QUOTED = "quoted"  # the provider proposed a quote; the company accepts it or not
    AGREED = "agreed"  # agreement frozen, subsidies reserved; the provider delivers
    DELIVERED = "delivered"  # the provider says it is done; the company confirms or disputes
    DISPUTED = "disputed"  # an administrator settles it
    CONFIRMED = "confirmed"  # delivered and confirmed: invoiced, then paid
    CLOSED = "closed"  # everything paid: the company's share and every subsidy
    DECLINED = "declined"
    CANCELLED = "cancelled"
    EXPIRED = "expired"


class Party(StrEnum):
    """Who fires a transition: the booking's company, its provider, an admin, or the clock."""

    COMPANY = "company"
    PROVIDER = "provider"
    ADMIN = "admin"
    SYSTEM = "system"


class Effect(StrEnum):
    """What a transition does besides moving the state (implemented in `operations`)."""

    STORE_QUOTE = "store-quote"
    FREEZE_AGREEMENT = "freeze-agreement"  # snapshot + split, and reserve each subsidy
    RECORD_DELIVERY = "record-delivery"  # note and evidence files
    RELEASE_SUBSIDIES = "release-subsidies"


class TransitionName(StrEnum):
    PROPOSE_QUOTE = "propose_quote"
    DECLINE = "decline"
    CANCEL = "cancel"
    EXPIRE = "expire"
    ACCEPT = "accept"
    MARK_DELIVERED = "mark_delivered"
    CONFIRM = "confirm"
    DISPUTE = "dispute"
    AUTO_CONFIRM = "auto_confirm"
    SETTLE_FOR_PROVIDER = "settle_for_provider"
    SETTLE_FOR_COMPANY = "settle_for_company"
    CLOSE = "close"


@dataclass(frozen=True)
class Transition:
    source: State
    name: TransitionName
    target: State
    parties: frozenset[Party]
    effects: tuple[Effect, ...] = ()
    needs_reason: bool = False
    after: timedelta | None = None  # timed: the clock fires it this long after `source` began


def _t(
    source: State,
    name: TransitionName,
    target: State,
    *parties: Party,
    effects: tuple[Effect, ...] = (),
    needs_reason: bool = False,
    after_days: int | None = None,
) -> Transition:
    return Transition(
        source,
        name,
        target,
        frozenset(parties),
        effects,
        needs_reason,
        None if after_days is None else timedelta(days=after_days),
    )


S, T, P = State, TransitionName, Party

TRANSITIONS: tuple[Transition, ...] = (
    _t(S.REQUESTED, T.PROPOSE_QUOTE, S.QUOTED, P.PROVIDER, effects=(Effect.STORE_QUOTE,)),
    _t(S.REQUESTED, T.DECLINE, S.DECLINED, P.PROVIDER, needs_reason=True),
    _t(S.REQUESTED, T.CANCEL, S.CANCELLED, P.COMPANY),
    _t(S.REQUESTED, T.EXPIRE, S.EXPIRED, P.SYSTEM, after_days=7),
    # A provider may revise its quote until the company accepts one.
    _t(S.QUOTED, T.PROPOSE_QUOTE, S.QUOTED, P.PROVIDER, effects=(Effect.STORE_QUOTE,)),
    _t(S.QUOTED, T.ACCEPT, S.AGREED, P.COMPANY, effects=(Effect.FREEZE_AGREEMENT,)),
    _t(S.QUOTED, T.DECLINE, S.DECLINED, P.PROVIDER, needs_reason=True),
    _t(S.QUOTED, T.CANCEL, S.CANCELLED, P.COMPANY),
    _t(S.QUOTED, T.EXPIRE, S.EXPIRED, P.SYSTEM, after_days=14),
    _t(S.AGREED, T.MARK_DELIVERED, S.DELIVERED, P.PROVIDER, effects=(Effect.RECORD_DELIVERY,)),
    _t(
        S.AGREED,
        T.CANCEL,
        S.CANCELLED,
        P.COMPANY,
        P.PROVIDER,
        effects=(Effect.RELEASE_SUBSIDIES,),
        needs_reason=True,
    ),
    _t(S.DELIVERED, T.CONFIRM, S.CONFIRMED, P.COMPANY),
    _t(S.DELIVERED, T.DISPUTE, S.DISPUTED, P.COMPANY, needs_reason=True),
    _t(S.DELIVERED, T.AUTO_CONFIRM, S.CONFIRMED, P.SYSTEM, after_days=14),
    _t(S.DISPUTED, T.SETTLE_FOR_PROVIDER, S.CONFIRMED, P.ADMIN, needs_reason=True),
    _t(
        S.DISPUTED,
        T.SETTLE_FOR_COMPANY,
        S.CANCELLED,
        P.ADMIN,
        effects=(Effect.RELEASE_SUBSIDIES,),
        needs_reason=True,
    ),
    # Fired by billing.claims once the invoice is paid in full, never by a person.
    _t(S.CONFIRMED, T.CLOSE, S.CLOSED, P.SYSTEM),
)

_BY_KEY = {(t.source, t.name): t for t in TRANSITIONS}
TERMINAL = frozenset(s for s in State if not any(t.source == s for t in TRANSITIONS))
TIMED = tuple(t for t in TRANSITIONS if t.after is not None)
# Who the booking is waiting for in each open state (dashboards say it).
WAITING_FOR = {
    State.REQUESTED: Party.PROVIDER,
    State.QUOTED: Party.COMPANY,
    State.AGREED: Party.PROVIDER,
    State.DELIVERED: Party.COMPANY,
    State.DISPUTED: Party.ADMIN,
}


def transition(source: State, name: str) -> Transition | None:
    """The transition `name` from `source`, or None when the table has none."""
    try:
        return _BY_KEY.get((source, TransitionName(name)))
    except ValueError:
        return None


def allowed(source: State, parties: frozenset[Party] | set[Party]) -> tuple[Transition, ...]:
    """What these parties may fire from `source`, in table order (timed ones are the clock's)."""
    return tuple(t for t in TRANSITIONS if t.source == source and t.parties & set(parties))
