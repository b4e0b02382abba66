"""The audit trail in words: each recorded event as a sentence, with links to what it names.

Events store codes (`label.approved`, `provider_id: 12`, `amount_cents: 60000`) so that they
stay stable and queryable; administrators read them as sentences, amounts in euros and ids as
links. An action without a sentence yet still shows, by its code.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flask import url_for
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from werkzeug.routing import BuildError

from marketplace.audit import AuditEvent
from marketplace.billing.money import format_euros

ACTIONS: Mapping[str, Any] = {
    "admin.created": _l("Administrator account created"),
    "api_token.created": _l("API token created"),
    "api_token.revoked": _l("API token revoked"),
    "booking.requested": _l("Booking requested"),
    "claim.submitted": _l("Subsidy claim submitted"),
    "claim.approved": _l("Subsidy claim approved"),
    "claim.rejected": _l("Subsidy claim refused"),
    "claim.paid": _l("Subsidy claim paid by the funder"),
    "company.registered": _l("Company registered"),
    "credit_note.issued": _l("Credit note issued"),
    "de_minimis.declared": _l("De minimis aid declared"),
    "de_minimis.withdrawn": _l("De minimis aid withdrawn"),
    "invoice.issued": _l("Invoice issued"),
    "label.applied": _l("Label applied for"),
    "label.approved": _l("Label approved"),
    "label.rejected": _l("Label refused"),
    "label.suspended": _l("Label suspended"),
    "label.expired": _l("Label expired"),
    "offer.unpublished": _l("Offer unpublished"),
    "payment.card_started": _l("Card payment started"),
    "payment.failed": _l("Card payment failed"),
    "payment.received": _l("Payment received"),
    "programme.created": _l("Subsidy programme created"),
    "programme.updated": _l("Subsidy programme updated"),
    "provider.auto_invoice": _l("Invoicing mandate accepted"),
    "provider.registered": _l("Provider registered"),
    "refund.owed": _l("Refund owed"),
    "refund.sent": _l("Refund sent"),
    "review.written": _l("Review written"),
    "review.replied": _l("Provider replied to a review"),
    "review.hidden": _l("Review hidden"),
    "subsidy.reserved": _l("Subsidy reserved"),
    "subsidy.committed": _l("Subsidy committed"),
    "subsidy.released": _l("Subsidy released to the budget"),
    "user.password_changed": _l("Password changed"),
    "user.password_reset": _l("Password reset"),
    "user.password_reset_requested": _l("Password reset requested"),
}
BOOKING_STEP = _l("Booking: %(step)s")

SUBJECTS: Mapping[str, Any] = {
    "label": (_l("Label"), "admin.label_detail", "label_id"),
    "booking": (_l("Booking"), "admin_bookings.booking", "booking_id"),
    "invoice": (_l("Invoice"), "admin_invoices.invoice", "invoice_id"),
    "claim": (_l("Subsidy claim"), "admin_claims.claim", "claim_id"),
    "programme": (_l("Programme"), "admin.edit_programme", "programme_id"),
    "provider": (_l("Provider"), "public.provider_profile", "provider_id"),
    "offer": (_l("Offer"), "public.offer_page", "offer_id"),
    "company": (_l("Company"), None, None),
    "user": (_l("User"), None, None),
    "api_token": (_l("API token"), None, None),
    "allocation": (_l("Subsidy allocation"), None, None),
    "credit_note": (_l("Credit note"), None, None),
}
# Detail keys that name another record: shown as a link to it.
ID_LINKS = {
    f"{kind}_id": kind
    for kind in ("label", "booking", "invoice", "claim", "programme", "provider", "offer")
}

DETAIL_LABELS: Mapping[str, Any] = {
    "reason": _l("Reason"),
    "number": _l("Number"),
    "invoice": _l("Invoice"),
    "programme": _l("Programme"),
    "method": _l("Method"),
    "valid_until": _l("Valid until"),
    "sent_on": _l("Sent on"),
    "paid_on": _l("Paid on"),
    "reference": _l("Reference"),
    "funder_reference": _l("Funder's reference"),
    "from": _l("From"),
    "to": _l("To"),
}


@dataclass(frozen=True)
class Detail:
    label: str
    text: str
    url: str | None = None


@dataclass(frozen=True)
class EventView:
    sentence: str
    subject: str
    subject_url: str | None
    details: list[Detail]


def _url(endpoint: str | None, arg: str | None, value: object) -> str | None:
    if endpoint is None or arg is None or not isinstance(value, int):
        return None
    try:
        values: dict[str, Any] = {arg: value}
        return url_for(endpoint, **values)
    except BuildError:  # a page that does not exist (yet) in this deployment
        return None


def _sentence(action: str) -> str:
    if action in ACTIONS:
        return str(ACTIONS[action])
    if action.startswith("booking."):
        return str(BOOKING_STEP % {"step": action.removeprefix("booking.").replace("_", " ")})
    return action


def _detail(key: str, value: object) -> Detail:
    locale = str(get_locale() or "fr")
    if key.endswith("_cents") and isinstance(value, int):
        label = DETAIL_LABELS.get(key.removesuffix("_cents"), _l("Amount"))
        return Detail(str(label), format_euros(value, locale))
    if key in ID_LINKS:
        kind = ID_LINKS[key]
        name, endpoint, arg = SUBJECTS[kind]
        return Detail(str(name), f"n° {value}", _url(endpoint, arg, value))
    label = DETAIL_LABELS.get(key)
    return Detail(str(label) if label else key.replace("_", " "), str(value))


def describe(event: AuditEvent) -> EventView:
    name, endpoint, arg = SUBJECTS.get(event.subject_type, (event.subject_type, None, None))
    return EventView(
        sentence=_sentence(event.action),
        subject=f"{name} n° {event.subject_id}",
        subject_url=_url(endpoint, arg, event.subject_id),
        details=[_detail(k, v) for k, v in (event.data or {}).items() if v is not None],
    )
