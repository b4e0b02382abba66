"""A provider's invoicing settings: whether the platform invoices its confirmed bookings itself."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from marketplace.accounts.models import Provider, User
from marketplace.audit import record_event
from marketplace.errors import Forbidden


def choose_auto_invoice(session: Session, actor: User, provider: Provider, on: bool) -> None:
    """A member of the provider turns automatic invoicing on or off (audited)."""
    if actor.provider is None or actor.provider.id != provider.id:
        raise Forbidden(str(_l("Only the provider's members can change its invoicing.")))
    if provider.auto_invoice == on:
        return
    provider.auto_invoice = on
    record_event(session, actor, "provider.auto_invoice", "provider", provider.id, on=on)
    session.flush()
