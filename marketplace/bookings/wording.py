"""What states and transitions are called on screen and in mails (French first, via Babel)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from marketplace.bookings.lifecycle import Party, State, TransitionName

STATE_LABELS = {
    State.REQUESTED: _l("Request sent"),
    State.QUOTED: _l("Quote proposed"),
    State.AGREED: _l("Agreement signed"),
    State.DELIVERED: _l("Delivered"),
    State.DISPUTED: _l("Disputed"),
    State.CONFIRMED: _l("Delivery confirmed"),
    State.CLOSED: _l("Closed: everything paid"),
    State.DECLINED: _l("Declined"),
    State.CANCELLED: _l("Cancelled"),
    State.EXPIRED: _l("Expired"),
}

TRANSITION_LABELS = {
    TransitionName.PROPOSE_QUOTE: _l("Propose a quote"),
    TransitionName.DECLINE: _l("Decline"),
    TransitionName.CANCEL: _l("Cancel"),
    TransitionName.EXPIRE: _l("Expired without an answer"),
    TransitionName.ACCEPT: _l("Accept the quote"),
    TransitionName.MARK_DELIVERED: _l("Mark as delivered"),
    TransitionName.CONFIRM: _l("Confirm delivery"),
    TransitionName.DISPUTE: _l("Dispute delivery"),
    TransitionName.AUTO_CONFIRM: _l("Confirmed automatically"),
    TransitionName.SETTLE_FOR_PROVIDER: _l("Settle for the provider"),
    TransitionName.SETTLE_FOR_COMPANY: _l("Settle for the company"),
    TransitionName.CLOSE: _l("Closed: everything is paid"),
}

WAITING_LABELS = {
    Party.COMPANY: _l("Waiting for the company"),
    Party.PROVIDER: _l("Waiting for the provider"),
    Party.ADMIN: _l("Waiting for an administrator"),
}


def state_label(state: State | str) -> str:
    return str(STATE_LABELS[State(state)])


def transition_label(name: TransitionName | str) -> str:
    return str(TRANSITION_LABELS[TransitionName(name)])
