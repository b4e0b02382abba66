"""What a diagnosis recommends per need: guides and MOOCs, volunteer advisors nearby, offers.

Read-only queries, one per need, so a result page costs a handful of queries whatever the
number of resources or providers; the offers come from one multi-search.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import and_, case, exists, select
from sqlalchemy.orm import Session, selectinload

from marketplace.accounts.models import Company, Provider, ProviderKind, provider_regions
from marketplace.diagnosis.models import Diagnosis
from marketplace.directory import has_live_label, latest_label_id
from marketplace.labels.models import label_categories
from marketplace.resources import Resource, ResourceLevel, resource_needs
from marketplace.search.backend import SearchBackend
from marketplace.search.query import SearchResult
from marketplace.search.recommend import recommendation_queries, recommendations

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


@dataclass(frozen=True)
class NeedHelp:
    """What the result page shows for one need: the need as stored, its guides, its advisors."""

    need: dict[str, Any]  # {"need": code, "priority": ..., "reasons": [...]}
    resources: list[Resource]
    advisors: list[Provider]

    @property
    def code(self) -> str:
        return str(self.need["need"])


@dataclass(frozen=True)
class NeedRecommendations(NeedHelp):
    """NeedHelp plus the recommended offers (search documents) and how many there are in all."""

    offers: list[dict[str, Any]]
    offers_total: int


def need_help(session: Session, diagnosis: Diagnosis, today: date) -> list[NeedHelp]:
    """The guides and volunteer advisors of each need of the diagnosis, in the needs' order."""
    codes = diagnosis.need_codes
    resources = resources_for_needs(session, codes)
    advisors = advisors_for_needs(session, diagnosis.company, codes, today)
    return [
        NeedHelp(need, resources[need["need"]], advisors[need["need"]]) for need in diagnosis.needs
    ]


def recommended_offers(
    search: SearchBackend, diagnosis: Diagnosis, today: date
) -> list[SearchResult]:
    """One result per need, in the needs' order: offers in the company's region or remote.

    Raises SearchError when the search engine fails."""
    if not diagnosis.needs:
        return []
    company = diagnosis.company
    queries = recommendation_queries(
        diagnosis.needs, company.region.code, today, naf_code=company.naf_code
    )
    return recommendations(search.multi_search(queries), naf_code=company.naf_code)


def diagnosis_recommendations(
    session: Session, search: SearchBackend, diagnosis: Diagnosis, today: date
) -> list[NeedRecommendations]:
    """Per need, in order: the guides and advisors of the result page and the recommended
    offers. Raises SearchError when the search engine fails (searched first, so nothing else
    is queried in vain)."""
    offers = recommended_offers(search, diagnosis, today)
    return [
        NeedRecommendations(
            found.need,
            found.resources,
            found.advisors,
            offers=[hit.document for hit in result.hits],
            offers_total=result.total,
        )
        for found, result in zip(need_help(session, diagnosis, today), offers, strict=True)
    ]
