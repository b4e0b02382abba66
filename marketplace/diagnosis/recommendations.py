"""What a diagnosis recommends per need: guides and MOOCs, and volunteer advisors nearby.

Read-only queries, one per need, so a result page costs a handful of queries whatever the
number of resources or providers.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy import and_, case, exists, select
from sqlalchemy.orm import Session, selectinload

from marketplace.accounts.models import Company, Provider, ProviderKind, provider_regions
from marketplace.directory import has_live_label, latest_label_id
from marketplace.labels.models import label_categories
from marketplace.resources import Resource, ResourceLevel, resource_needs

LEVEL_ORDER = {ResourceLevel.BEGINNER: 0, ResourceLevel.INTERMEDIATE: 1, ResourceLevel.ADVANCED: 2}


def resources_for_needs(
    session: Session, need_codes: Sequence[str], per_need: int = 3
) -> dict[str, list[Resource]]:
    """Up to `per_need` resources for each need, beginner level first, then by title."""
    level_rank = case(
        {level.value: rank for level, rank in LEVEL_ORDER.items()}, value=Resource.level, else_=9
    )
    result: dict[str, list[Resource]] = {}
    for code in dict.fromkeys(need_codes):
        query = (
            select(Resource)
            .join(resource_needs, resource_needs.c.resource_id == Resource.id)
            .where(resource_needs.c.category_code == code)
            .order_by(level_rank, Resource.title, Resource.id)
            .limit(per_need)
        )
        result[code] = list(session.scalars(query))
    return result


def advisors_for_needs(
    session: Session, company: Company, need_codes: Sequence[str], today: date, per_need: int = 3
) -> dict[str, list[Provider]]:
    """Up to `per_need` volunteer advisors per need: a live label covering the need, serving
    the company's region or working remotely; those serving the region come first."""
    serves_region = exists().where(
        and_(
            provider_regions.c.provider_id == Provider.id,
            provider_regions.c.region_code == company.department.region_code,
        )
    )
    result: dict[str, list[Provider]] = {}
    for code in dict.fromkeys(need_codes):
        covers_need = exists().where(
            and_(
                label_categories.c.label_id == latest_label_id(),
                label_categories.c.category_code == code,
            )
        )
        query = (
            select(Provider)
            .where(
                Provider.kind == ProviderKind.VOLUNTEER,
                has_live_label(today),
                covers_need,
                serves_region | Provider.remote_ok.is_(True),
            )
            .options(selectinload(Provider.department))
            .order_by(case((serves_region, 0), else_=1), Provider.name, Provider.id)
            .limit(per_need)
        )
        result[code] = list(session.scalars(query))
    return result
