"""The outbox sync reads offers only through the loader it is handed (marketplace.search.sync)."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from marketplace.catalog.indexing import CatalogueLoader
from marketplace.search.documents import OfferFacts
from marketplace.search.outbox import OFFER, PROGRAMME, PROVIDER, SearchJob, enqueue
from marketplace.search.sync import Touched, check, process_outbox, reindex

TODAY = date(2026, 3, 2)


def facts(id: int, title: str = "Site vitrine") -> OfferFacts:
    return OfferFacts(
        id=id,
        title=title,
        summary="Un site clair.",
        description="Maquette et mise en ligne.",
        category="online-presence",
        needs=(),
        provider_id=1,
        provider_name="Studio Lumière",
        provider_kind="expert",
        regions=("53",),
        delivery_mode="remote",
        price_cents=90_000,
        vat_rate_bp=2000,
        pricing_unit="fixed",
        duration_days=3,
        languages=("fr",),
        published_at=datetime(2026, 1, 5, tzinfo=UTC),
    )


@dataclass
class FakeLoader:
    """Answers from fixed tables and records what it was asked."""

    by_offer: dict[int, OfferFacts | None] = field(default_factory=dict)
    by_provider: dict[int, dict[int, OfferFacts | None]] = field(default_factory=dict)
    by_programme: dict[int, dict[int, OfferFacts | None]] = field(default_factory=dict)
    everything: list[OfferFacts] = field(default_factory=list)
    asked: list[tuple[str, set[int]]] = field(default_factory=list)

    def offers(self, session: Session, offer_ids: Collection[int], today: date) -> Touched:
        self.asked.append((OFFER, set(offer_ids)))
        return {i: self.by_offer[i] for i in offer_ids if i in self.by_offer}

    def offers_of_providers(
        self, session: Session, provider_ids: Collection[int], today: date
    ) -> Touched:
        self.asked.append((PROVIDER, set(provider_ids)))
        return {k: v for p in provider_ids for k, v in self.by_provider.get(p, {}).items()}

    def offers_of_programmes(
        self, session: Session, programme_ids: Collection[int], today: date
    ) -> Touched:
        self.asked.append((PROGRAMME, set(programme_ids)))
        return {k: v for p in programme_ids for k, v in self.by_programme.get(p, {}).items()}

    def indexable_offers(self, session: Session, today: date) -> Iterable[OfferFacts]:
        return iter(self.everything)


@dataclass
class RecordingBackend:
    """Keeps documents in a dict, like an index would."""

    held: dict[int, dict[str, Any]] = field(default_factory=dict)

    def upsert(self, documents: Iterable[dict[str, Any]]) -> None:
        self.held.update({d["id"]: d for d in documents})

    def delete(self, ids: Iterable[int]) -> None:
        for i in ids:
            self.held.pop(i, None)

    def rebuild(self, documents: Iterator[dict[str, Any]]) -> int:
        self.held = {d["id"]: d for d in documents}
        return len(self.held)

    def documents(self) -> dict[int, dict[str, Any]]:
        return dict(self.held)


def pending(session: Session) -> list[SearchJob]:
    return list(session.scalars(select(SearchJob).where(SearchJob.done_at.is_(None))))


def test_a_programme_job_reindexes_the_offers_the_loader_names(session: Session) -> None:
    """Does a changed programme re-index the offers it touches, and drop those it no longer makes
    visible?"""
    loader = FakeLoader(by_programme={7: {1: facts(1, "Éligible"), 2: None}})
    backend = RecordingBackend(held={2: {"id": 2}, 3: {"id": 3}})
    enqueue(session, PROGRAMME, 7)
    session.flush()
    report = process_outbox(session, backend, TODAY, loader=loader)  # type: ignore[arg-type]
    assert (report.jobs, report.upserted, report.deleted, report.failed) == (1, 1, 1, 0)
    assert loader.asked == [(PROGRAMME, {7})]
    assert backend.held[1]["title"] == "Éligible"
    assert set(backend.held) == {1, 3}
    assert pending(session) == []


def test_each_kind_asks_the_loader_once_and_deleted_offers_leave(session: Session) -> None:
    loader = FakeLoader(by_offer={1: facts(1)}, by_provider={5: {4: facts(4), 6: None}})
    backend = RecordingBackend(held={6: {"id": 6}, 9: {"id": 9}})
    for kind, key in ((OFFER, 1), (OFFER, 9), (PROVIDER, 5), (OFFER, 1)):
        enqueue(session, kind, key)
    session.flush()
    report = process_outbox(session, backend, TODAY, loader=loader)  # type: ignore[arg-type]
    assert sorted(loader.asked) == [(OFFER, {1, 9}), (PROVIDER, {5})]
    assert (report.upserted, report.deleted) == (2, 2)  # 9 is gone from the database
    assert set(backend.held) == {1, 4}


def test_a_programme_job_without_offers_indexes_nothing(session: Session) -> None:
    """With the catalogue's loader, is a job for a programme (here unknown) processed without
    error when no offer is visible? (tests/integration/test_programme_indexing.py has offers.)"""
    backend = RecordingBackend(held={1: {"id": 1}})
    enqueue(session, PROGRAMME, 3)
    session.flush()
    report = process_outbox(session, backend, TODAY, loader=CatalogueLoader())  # type: ignore[arg-type]
    assert (report.jobs, report.upserted, report.deleted, report.failed) == (1, 0, 0, 0)
    assert backend.held == {1: {"id": 1}} and pending(session) == []


def test_reindex_and_check_use_everything_the_loader_holds(session: Session) -> None:
    loader = FakeLoader(everything=[facts(1), facts(2)])
    backend = RecordingBackend(held={5: {"id": 5}})
    assert check(session, backend, TODAY, loader=loader).extra == [5]  # type: ignore[arg-type]
    assert reindex(session, backend, TODAY, loader=loader) == 2  # type: ignore[arg-type]
    assert check(session, backend, TODAY, loader=loader).clean  # type: ignore[arg-type]


def test_unknown_job_kinds_are_refused(session: Session) -> None:
    with pytest.raises(ValueError, match="unknown search job kind"):
        enqueue(session, "label", 1)
