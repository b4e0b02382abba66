"""The public directory of providers: who is listed and how it is filtered."""

from __future__ import annotations

from datetime import date

from sqlalchemy import ColumnElement, ScalarSelect, Select, and_, exists, func, or_, select
from sqlalchemy.orm import aliased

from marketplace.accounts.models import Provider, ProviderKind, provider_regions
from marketplace.labels.models import Label, LabelStatus, label_categories


def latest_label_id() -> ScalarSelect[int]:
    """The id of the provider's latest application, correlated to the outer Provider row."""
    earlier = aliased(Label)
    return (
        select(func.max(earlier.id))
        .where(earlier.provider_id == Provider.id)
        .correlate(Provider)
        .scalar_subquery()
    )


def has_live_label(today: date) -> ColumnElement[bool]:
    """The provider's latest application is approved and still valid."""
    return (
        select(Label.id)
        .where(
            Label.id == latest_label_id(),
            Label.status == LabelStatus.APPROVED,
            or_(Label.valid_until.is_(None), Label.valid_until >= today),
        )
        .correlate(Provider)
        .exists()
    )


def listed_providers(
    today: date,
    region: str | None = None,
    category: str | None = None,
    kind: str | None = None,
    q: str | None = None,
) -> Select[Provider]:
    """Providers with a live label (volunteers included), filtered, by name."""
    query = select(Provider).where(has_live_label(today))
    if region:
        query = query.where(
            exists().where(
                and_(
                    provider_regions.c.provider_id == Provider.id,
                    provider_regions.c.region_code == region,
                )
            )
        )
    if category:
        query = query.where(
            exists().where(
                and_(
                    label_categories.c.label_id == latest_label_id(),
                    label_categories.c.category_code == category,
                )
            )
        )
    if kind in {k.value for k in ProviderKind}:
        query = query.where(Provider.kind == kind)
    if q:
        query = query.where(Provider.name.ilike(f"%{q.strip()}%"))
    return query.order_by(Provider.name, Provider.id)
