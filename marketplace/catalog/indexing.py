"""Which offers the public sees (and search indexes), and the plain facts a document is built from.

An offer is visible while it is published, its provider's latest label is live and, for a paid
offer, that label covers the offer's category. `indexable` says it for one loaded offer and
`visible_offers` says it in SQL; a test keeps the two in agreement. `CatalogueLoader` is what
the factory hands to search (which never imports the catalogue or billing) to read offers for
the index, with what subsidy programmes make of them (billing's best case).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator, Sequence
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, exists, func, or_, select
from sqlalchemy.orm import Session, selectinload
from sqlalchemy.orm.interfaces import LoaderOption

from marketplace.accounts.models import Provider
from marketplace.audit import AuditEvent
from marketplace.billing.models import SubsidyProgramme
from marketplace.billing.quotes import (
    BestCase,
    best_case,
    best_case_programmes,
    offer_split_facts,
)
from marketplace.billing.split import ProgrammeFacts
from marketplace.catalog.models import DeliveryMode, Offer, OfferStatus
from marketplace.directory import has_live_label, latest_label_id
from marketplace.labels.models import Label, label_categories
from marketplace.labels.operations import is_live
from marketplace.reference import Category, Region
from marketplace.reviews.models import Review
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


def offer_facts(offer: Offer, best: BestCase | None = None, rating: int = 0) -> OfferFacts:
    """The plain values search builds its document from; `best`, billing's best case for the
    offer, adds the programmes that can apply, the best rate and the price after subsidies;
    `rating` is its visible reviews' average × 100."""
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
        programmes=best.programme_codes if best else (),
        best_rate_bp=best.rate_bp if best else 0,
        net_price_cents=best.net_incl_vat_cents if best else None,
        rating=rating,
    )


def offers_to_index_query(today: date) -> Select[Offer]:
    """Every indexable offer, by id, loaded in batches with what its document needs."""
    return (
        select(Offer)
        .join(Offer.provider)
        .where(visible_clause(today))
        .order_by(Offer.id)
        .options(*_document_loading())
        .execution_options(yield_per=YIELD_PER)
    )


def offers_to_index(session: Session, today: date) -> Iterator[Offer]:
    """Every indexable offer, by id, loaded in batches with what its document needs."""
    yield from session.scalars(offers_to_index_query(today))


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


def programme_categories(session: Session, programme_ids: Collection[int]) -> set[str] | None:
    """Every category these programmes cover or ever covered (their audit trail keeps the
    earlier ones); None when one of them covers, or once covered, every category."""
    if not programme_ids:
        return set()
    programmes = list(
        session.scalars(
            select(SubsidyProgramme)
            .where(SubsidyProgramme.id.in_(list(programme_ids)))
            .options(selectinload(SubsidyProgramme.categories))
        )
    )
    if len(programmes) < len(set(programme_ids)):
        return None  # a programme gone: which offers listed it is unknown
    categories: set[str] = set()
    for programme in programmes:
        if not programme.categories:
            return None
        categories.update(programme.category_codes)
    events = session.scalars(
        select(AuditEvent.data).where(
            AuditEvent.subject_type == "programme",
            AuditEvent.subject_id.in_(list(programme_ids)),
        )
    )
    for data in events:
        # A creation holds the programme's values, an update each change as [before, after].
        earlier: list[Any] = [data["categories"]] if "categories" in data else []
        earlier += list((data.get("changes") or {}).get("categories", []))
        for codes in earlier:
            if not isinstance(codes, list) or not codes:  # unreadable, or every category
                return None
            categories.update(str(code) for code in codes)
    return categories


class _BestCases:
    """Billing's best case of each offer, the open programmes read once; offers alike in what
    the split depends on share one computation (a catalogue has many of them)."""

    def __init__(self, session: Session, today: date) -> None:
        self.today = today
        self.programmes: Sequence[ProgrammeFacts] = best_case_programmes(session, today)
        self._known: dict[tuple[object, ...], BestCase] = {}

    def of(self, offer: Offer) -> BestCase:
        facts = offer_split_facts(offer)
        key = (facts, offer.vat_rate_bp)
        if key not in self._known:
            self._known[key] = best_case(facts, offer.vat_rate_bp, self.programmes, self.today)
        return self._known[key]


class CatalogueLoader:
    """The offers' facts for search (`marketplace.search.sync.OfferLoader`), from the catalogue
    and billing: which programmes can apply to each offer, and its best case."""

    def offers(self, session: Session, offer_ids: Collection[int], today: date) -> Touched:
        return self._touched(session, offers_of(session, offer_ids), today)

    def offers_of_providers(
        self, session: Session, provider_ids: Collection[int], today: date
    ) -> Touched:
        return self._touched(session, offers_of(session, (), provider_ids), today)

    def offers_of_programmes(
        self, session: Session, programme_ids: Collection[int], today: date
    ) -> Touched:
        """The visible offers of every category the programmes cover or once covered: all of
        them for a programme open to every category. (Offers out of the index stay out.)"""
        categories = programme_categories(session, programme_ids)
        if categories is not None and not categories:
            return {}
        query = offers_to_index_query(today)
        if categories is not None:
            query = query.where(Offer.category_code.in_(sorted(categories)))
        best = _BestCases(session, today)
        ratings = offer_ratings(session)
        return {
            o.id: offer_facts(o, best.of(o), ratings.get(o.id, 0)) for o in session.scalars(query)
        }

    def indexable_offers(self, session: Session, today: date) -> Iterable[OfferFacts]:
        best = _BestCases(session, today)
        ratings = offer_ratings(session)
        return (
            offer_facts(offer, best.of(offer), ratings.get(offer.id, 0))
            for offer in offers_to_index(session, today)
        )

    @staticmethod
    def _touched(session: Session, offers: Iterable[Offer], today: date) -> Touched:
        best: _BestCases | None = None
        ratings: dict[int, int] | None = None
        touched: dict[int, OfferFacts | None] = {}
        for offer in offers:
            if not indexable(offer, today):
                touched[offer.id] = None
                continue
            best = best or _BestCases(session, today)
            ratings = offer_ratings(session) if ratings is None else ratings
            touched[offer.id] = offer_facts(offer, best.of(offer), ratings.get(offer.id, 0))
        return touched


def offer_ratings(session: Session) -> dict[int, int]:
    """Every reviewed offer's rating as search indexes it (average × 100), in one query."""
    rows = session.execute(
        select(Review.offer_id, func.avg(Review.rating))
        .where(Review.hidden_at.is_(None))
        .group_by(Review.offer_id)
    ).all()
    return {offer_id: round(float(average) * 100) for offer_id, average in rows}
