"""Which offers the public sees (and search indexes), and the plain facts a document is built from.

An offer is visible while it is published, its provider's latest label is live and, for a paid
offer, that label covers the offer's category. `indexable` says it for one loaded offer and
`visible_offers` says it in SQL; a test keeps the two in agreement. `CatalogueLoader` is what
the factory hands to search (which never imports the catalogue) to read offers for the index.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator
from datetime import date

from sqlalchemy import ColumnElement, Select, and_, exists, or_, select
from sqlalchemy.orm import Session, selectinload
from sqlalchemy.orm.interfaces import LoaderOption

from marketplace.accounts.models import Provider
from marketplace.catalog.models import DeliveryMode, Offer, OfferStatus
from marketplace.directory import has_live_label, latest_label_id
from marketplace.labels.models import Label, label_categories
from marketplace.labels.operations import is_live
from marketplace.reference import Category, Region
from marketplace.search.documents import OfferFacts
from marketplace.search.sync import Touched

YIELD_PER = 500


def indexable(offer: Offer, today: date) -> bool:
    """Published, the provider's label live, and a paid offer's category covered by it."""
    if offer.status != OfferStatus.PUBLISHED:
        return False
    label = offer.provider.current_label
    if label is None or not is_live(label, today):
        return False
    return offer.price_excl_vat_cents == 0 or offer.category_code in label.category_codes


def visible_clause(today: date) -> ColumnElement[bool]:
    """`indexable` in SQL; the query must join Offer.provider (the label is the provider's)."""
    category_covered = exists().where(
        and_(
            label_categories.c.label_id == latest_label_id(),
            label_categories.c.category_code == Offer.category_code,
        )
    )
    return and_(
        Offer.status == OfferStatus.PUBLISHED,
        has_live_label(today),
        or_(Offer.price_excl_vat_cents == 0, category_covered),
    )


def visible_offers(today: date) -> Select[Offer]:
    """Every offer the public may see, newest first."""
    return (
        select(Offer)
        .join(Offer.provider)
        .where(visible_clause(today))
        .order_by(Offer.published_at.desc(), Offer.id.desc())
    )


def catalogue_query(
    today: date,
    category: str | None = None,
    need: str | None = None,
    region: str | None = None,
    provider_id: int | None = None,
) -> Select[Offer]:
    """Visible offers filtered as the catalogue's API and pages filter them, newest first."""
    query = visible_offers(today)
    if category:
        query = query.where(Offer.category_code == category)
    if need:
        query = query.where(Offer.needs.any(Category.code == need))
    if region:
        query = query.where(
            or_(
                Offer.delivery_mode == DeliveryMode.REMOTE, Offer.regions.any(Region.code == region)
            )
        )
    if provider_id is not None:
        query = query.where(Offer.provider_id == provider_id)
    return query


def _document_loading() -> list[LoaderOption]:
    """What `offer_facts` and `indexable` read, loaded in a few queries for a whole batch."""
    return [
        selectinload(Offer.provider).selectinload(Provider.labels).selectinload(Label.categories),
        selectinload(Offer.needs),
        selectinload(Offer.regions),
    ]


def offer_facts(offer: Offer) -> OfferFacts:
    """The plain values search builds its document from."""
    return OfferFacts(
        id=offer.id,
        title=offer.title,
        summary=offer.summary,
        description=offer.description,
        category=offer.category_code,
        needs=tuple(offer.need_codes),
        provider_id=offer.provider_id,
        provider_name=offer.provider.name,
        provider_kind=str(offer.provider.kind),
        regions=tuple(offer.region_codes),
        delivery_mode=str(offer.delivery_mode),
        price_cents=offer.price_excl_vat_cents,
        vat_rate_bp=offer.vat_rate_bp,
        pricing_unit=str(offer.pricing_unit),
        duration_days=offer.duration_days,
        languages=tuple(offer.languages),
        published_at=offer.published_at or offer.created_at,
        visible_through=offer.provider.current_label.valid_until
        if offer.provider.current_label
        else None,
    )


def offers_to_index(session: Session, today: date) -> Iterator[Offer]:
    """Every indexable offer, by id, loaded in batches with what its document needs."""
    query = (
        select(Offer)
        .join(Offer.provider)
        .where(visible_clause(today))
        .order_by(Offer.id)
        .options(*_document_loading())
        .execution_options(yield_per=YIELD_PER)
    )
    yield from session.scalars(query)


def offers_of(
    session: Session, offer_ids: Collection[int], provider_ids: Collection[int] = ()
) -> list[Offer]:
    """These offers and every offer of these providers, whatever their status (sync decides)."""
    if not offer_ids and not provider_ids:
        return []
    query = (
        select(Offer)
        .where(or_(Offer.id.in_(list(offer_ids)), Offer.provider_id.in_(list(provider_ids))))
        .order_by(Offer.id)
        .options(*_document_loading())
    )
    return list(session.scalars(query))


class CatalogueLoader:
    """The offers' facts for search (`marketplace.search.sync.OfferLoader`), from the catalogue.

    Later billing adds eligibility to these facts: programmes, best subsidy rate.
    """

    def offers(self, session: Session, offer_ids: Collection[int], today: date) -> Touched:
        return self._touched(offers_of(session, offer_ids), today)

    def offers_of_providers(
        self, session: Session, provider_ids: Collection[int], today: date
    ) -> Touched:
        return self._touched(offers_of(session, (), provider_ids), today)

    def offers_of_programmes(
        self, session: Session, programme_ids: Collection[int], today: date
    ) -> Touched:
        """No offer yet: no programmes exist until billing brings them."""
        return {}

    def indexable_offers(self, session: Session, today: date) -> Iterable[OfferFacts]:
        return (offer_facts(offer) for offer in offers_to_index(session, today))

    @staticmethod
    def _touched(offers: Iterable[Offer], today: date) -> Touched:
        return {o.id: offer_facts(o) if indexable(o, today) else None for o in offers}
