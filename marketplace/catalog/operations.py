"""Offer operations: create, edit, publish, archive, and the administrators' unpublish.

Functions flush and never commit: the caller owns the transaction. Every change that can
change what search shows writes an outbox job (`marketplace.search.outbox.enqueue`) in that
same transaction, so the index can never silently miss it.

Lapsed labels. When a provider's label stops being live (suspended, expired, or simply past its
validity date before the nightly sweep), its published offers KEEP their status: visibility is
computed, never stored. An offer is shown (page, API, provider profile, search index) only while
it is published AND its provider's latest label is live AND, for a paid offer, that label covers
the offer's category (see `marketplace.catalog.indexing`). Why: reinstating a label brings the
offers back without the provider re-publishing each one; a label past its date hides the offers
the same day even before the sweep runs; and there is no bulk status rewrite that could go
wrong or leave half the offers behind. Each label status change enqueues a provider job
(`provider_label_changed`), so the index drops or restores the provider's offers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from marketplace.accounts.models import Provider, ProviderKind, User
from marketplace.audit import record_event
from marketplace.catalog.models import DeliveryMode, Offer, OfferStatus, PricingUnit
from marketplace.dbtypes import utcnow
from marketplace.errors import Conflict, Forbidden, ValidationFailed
from marketplace.geo import REGION_BY_CODE
from marketplace.labels.operations import is_live
from marketplace.reference import Category, Region
from marketplace.search.outbox import OFFER, PROVIDER, enqueue
from marketplace.taxonomy import CATEGORY_CODES, LANGUAGE_NAMES, category_label

TITLE_MIN, TITLE_MAX = 5, 120
SUMMARY_MAX = 300
DESCRIPTION_MAX = 5000
VAT_RATES_BP = (0, 550, 1000, 2000)  # French rates: exempt, 5.5 %, 10 %, 20 %
DEFAULT_VAT_RATE_BP = 2000
MAX_DURATION_DAYS = 730
MAX_PRICE_CENTS = 100_000_000  # EUR 1,000,000: beyond it, a typo rather than an offer
MIN_REASON_LENGTH = 3


@dataclass
class OfferData:
    """What a provider fills in; the service checks it (forms and the API only check shapes)."""

    title: str
    summary: str
    category: str
    price_excl_vat_cents: int
    pricing_unit: str
    delivery_mode: str
    description: str = ""
    needs: Sequence[str] = ()
    vat_rate_bp: int = DEFAULT_VAT_RATE_BP
    duration_days: int | None = None
    regions: Sequence[str] = ()
    languages: Sequence[str] = ("fr",)


def offer_data(offer: Offer) -> OfferData:
    """The offer's current values, to start an edit (or a partial API update) from."""
    return OfferData(
        title=offer.title,
        summary=offer.summary,
        category=offer.category_code,
        price_excl_vat_cents=offer.price_excl_vat_cents,
        pricing_unit=PricingUnit(offer.pricing_unit).value,
        delivery_mode=DeliveryMode(offer.delivery_mode).value,
        description=offer.description,
        needs=offer.need_codes,
        vat_rate_bp=offer.vat_rate_bp,
        duration_days=offer.duration_days,
        regions=offer.region_codes,
        languages=list(offer.languages),
    )


# --- Who may act ----------------------------------------------------------------------------


def _require_member(actor: User, provider: Provider) -> None:
    if actor.provider is None or actor.provider.id != provider.id:
        raise Forbidden(str(_l("You can only manage your own organisation's offers.")))


def _require_owner(actor: User, offer: Offer) -> None:
    if actor.provider is None or actor.provider.id != offer.provider_id:
        raise Forbidden(str(_l("You can only manage your own organisation's offers.")))


def _require_admin(actor: User) -> None:
    if not actor.is_admin:
        raise Forbidden(str(_l("Only administrators can unpublish an offer.")))


# --- Rules ----------------------------------------------------------------------------------


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _check(provider: Provider, data: OfferData) -> None:
    """Field by field checks; every problem is reported at once."""
    errors: dict[str, list[str]] = {}

    def add(name: str, message: object) -> None:
        errors.setdefault(name, []).append(str(message))

    title = data.title.strip()
    if not TITLE_MIN <= len(title) <= TITLE_MAX:
        add(
            "title",
            _l(
                "Give a title of %(min)d to %(max)d characters.",
                min=TITLE_MIN,
                max=TITLE_MAX,
            ),
        )
    summary = data.summary.strip()
    if not summary:
        add("summary", _l("Give a short summary of the offer."))
    elif len(summary) > SUMMARY_MAX:
        add("summary", _l("Give at most %(max)d characters.", max=SUMMARY_MAX))
    if len(data.description.strip()) > DESCRIPTION_MAX:
        add("description", _l("Give at most %(max)d characters.", max=DESCRIPTION_MAX))
    if data.category not in CATEGORY_CODES:
        add("category", _l("Choose a category."))
    unknown = sorted(set(data.needs) - set(CATEGORY_CODES))
    if unknown:
        add("needs", _l("Unknown needs: %(codes)s", codes=", ".join(unknown)))
    elif data.category in CATEGORY_CODES and data.category not in data.needs:
        add("needs", _l("The needs addressed must include the offer's category."))
    price = data.price_excl_vat_cents
    if not _is_int(price):
        add("price_excl_vat_cents", _l("Give the price in whole cents."))
    elif price < 0:
        add("price_excl_vat_cents", _l("The price cannot be negative."))
    elif price > MAX_PRICE_CENTS:
        add("price_excl_vat_cents", _l("This price is too high for an offer."))
    elif price > 0 and provider.kind == ProviderKind.VOLUNTEER:
        add("price_excl_vat_cents", _l("Volunteer advisors offer free sessions only."))
    if not _is_int(data.vat_rate_bp) or data.vat_rate_bp not in VAT_RATES_BP:
        add("vat_rate_bp", _l("Choose a VAT rate: 0 %, 5.5 %, 10 % or 20 %."))
    if data.pricing_unit not in {u.value for u in PricingUnit}:
        add("pricing_unit", _l("Choose how the price is counted."))
    if data.duration_days is not None and (
        not _is_int(data.duration_days) or not 1 <= data.duration_days <= MAX_DURATION_DAYS
    ):
        add(
            "duration_days",
            _l("Give a duration between 1 and %(max)d days.", max=MAX_DURATION_DAYS),
        )
    if data.delivery_mode not in {m.value for m in DeliveryMode}:
        add("delivery_mode", _l("Choose how the service is delivered."))
    unknown_regions = sorted(set(data.regions) - set(REGION_BY_CODE))
    if unknown_regions:
        add("regions", _l("Unknown regions: %(codes)s", codes=", ".join(unknown_regions)))
    elif not data.regions and data.delivery_mode != DeliveryMode.REMOTE:
        add("regions", _l("Choose at least one region, or deliver remotely."))
    if not data.languages:
        add("languages", _l("Choose at least one language."))
    elif set(data.languages) - set(LANGUAGE_NAMES):
        add("languages", _l("Choose among the languages offered."))
    if errors:
        raise ValidationFailed(errors)


def publishing_problem(provider: Provider, category: str, price_cents: int, today: date) -> str:
    """Why this provider may not publish such an offer now; an empty string when it may.

    Every offer needs a live label; volunteers publish free sessions only; a paid offer needs a
    label that covers its category (free offers of a labelled provider may be in any category).
    """
    label = provider.current_label
    if label is None or not is_live(label, today):
        return str(
            _l(
                "Your label is not active: offers can be published once an administrator "
                "has approved your label."
            )
        )
    if price_cents > 0 and provider.kind == ProviderKind.VOLUNTEER:
        return str(_l("Volunteer advisors offer free sessions only."))
    if price_cents > 0 and category not in label.category_codes:
        return str(
            _l(
                "Your label does not cover the category “%(category)s”: paid offers can only "
                "be published in the categories of your label.",
                category=category_label(category),
            )
        )
    return ""


def _apply(session: Session, offer: Offer, data: OfferData) -> None:
    categories = {
        c.code: c
        for c in session.scalars(
            select(Category).where(Category.code.in_({data.category, *data.needs}))
        )
    }
    offer.title = data.title.strip()
    offer.summary = data.summary.strip()
    offer.description = data.description.strip()
    offer.category = categories[data.category]
    offer.needs = sorted((categories[code] for code in set(data.needs)), key=lambda c: c.position)
    offer.price_excl_vat_cents = data.price_excl_vat_cents
    offer.vat_rate_bp = data.vat_rate_bp
    offer.pricing_unit = PricingUnit(data.pricing_unit)
    offer.duration_days = data.duration_days
    offer.delivery_mode = DeliveryMode(data.delivery_mode)
    regions = select(Region).where(Region.code.in_(set(data.regions))).order_by(Region.name)
    offer.regions = list(session.scalars(regions))
    offer.languages = [code for code in LANGUAGE_NAMES if code in set(data.languages)]


def _changed(session: Session, offer: Offer) -> None:
    """Flush, then tell search (same transaction) that this offer must be looked at again."""
    session.flush()
    enqueue(session, OFFER, offer.id)
    session.flush()


# --- Operations -----------------------------------------------------------------------------


def create_offer(session: Session, actor: User, provider: Provider, data: OfferData) -> Offer:
    """Create a draft offer for the actor's own organisation."""
    _require_member(actor, provider)
    _check(provider, data)
    offer = Offer(provider=provider, status=OfferStatus.DRAFT)
    _apply(session, offer, data)
    session.add(offer)
    _changed(session, offer)
    return offer


def update_offer(
    session: Session, actor: User, offer: Offer, data: OfferData, today: date
) -> Offer:
    """Change an offer; a published one must still obey the publishing rules afterwards."""
    _require_owner(actor, offer)
    _check(offer.provider, data)
    if offer.status == OfferStatus.PUBLISHED:
        problem = publishing_problem(
            offer.provider, data.category, data.price_excl_vat_cents, today
        )
        if problem:
            raise Conflict(problem)
    _apply(session, offer, data)
    offer.updated_at = utcnow()
    _changed(session, offer)
    return offer


def publish_offer(session: Session, actor: User, offer: Offer, today: date) -> Offer:
    """Put a draft (or archived) offer in the catalogue, if the provider's label allows it."""
    _require_owner(actor, offer)
    if offer.status == OfferStatus.PUBLISHED:
        raise Conflict(str(_l("This offer is already published.")))
    _check(offer.provider, offer_data(offer))  # rules may have tightened since it was saved
    problem = publishing_problem(
        offer.provider, offer.category_code, offer.price_excl_vat_cents, today
    )
    if problem:
        raise Conflict(problem)
    offer.status = OfferStatus.PUBLISHED
    offer.published_at, offer.archived_at = utcnow(), None
    offer.unpublished_reason = ""
    _changed(session, offer)
    return offer


def archive_offer(session: Session, actor: User, offer: Offer) -> Offer:
    """Withdraw an offer from the catalogue for good (it can be published again later)."""
    _require_owner(actor, offer)
    if offer.status == OfferStatus.ARCHIVED:
        raise Conflict(str(_l("This offer is already archived.")))
    offer.status = OfferStatus.ARCHIVED
    offer.archived_at = utcnow()
    _changed(session, offer)
    return offer


def admin_unpublish_offer(session: Session, admin: User, offer: Offer, reason: str) -> Offer:
    """Take a published offer off the catalogue (back to draft), with a reason, audited."""
    _require_admin(admin)
    reason = reason.strip()
    if len(reason) < MIN_REASON_LENGTH:
        raise ValidationFailed({"reason": [str(_l("Give the reason for unpublishing."))]})
    if offer.status != OfferStatus.PUBLISHED:
        raise Conflict(str(_l("Only a published offer can be unpublished.")))
    offer.status = OfferStatus.DRAFT
    offer.published_at = None
    offer.unpublished_reason = reason
    _changed(session, offer)
    record_event(
        session,
        admin,
        "offer.unpublished",
        "offer",
        offer.id,
        provider_id=offer.provider_id,
        title=offer.title,
        reason=reason,
    )
    session.flush()
    return offer


def provider_label_changed(session: Session, provider_id: int) -> None:
    """A label changed status: search must re-check every offer of its provider.

    Offers keep their status (see the module docstring); only their visibility changes.
    """
    enqueue(session, PROVIDER, provider_id)
    session.flush()
