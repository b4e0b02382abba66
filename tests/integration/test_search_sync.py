"""The outbox keeps the index in step with the database, even across a crash."""

from __future__ import annotations

from datetime import date

from flask import Flask
from sqlalchemy import select

from marketplace.accounts.models import User
from marketplace.catalog.indexing import CatalogueLoader
from marketplace.catalog.models import Offer
from marketplace.catalog.operations import create_offer, publish_offer
from marketplace.extensions import db
from marketplace.labels.operations import Decision, decide_on_label
from marketplace.mail import LogMailer
from marketplace.search.embedded import EmbeddedBackend
from marketplace.search.outbox import SearchJob
from marketplace.search.query import SearchQuery
from marketplace.search.sync import LOADER_EXTENSION, check, process_outbox, reindex
from tests.factories import admin_user, approved_label, login, provider_user
from tests.unit.test_catalog_operations import offer_input

TODAY = date.today()
LOADER = CatalogueLoader()


def published_offer(app: Flask, title: str = "Site vitrine pour artisans") -> tuple[int, int]:
    """A published offer, committed with its outbox rows but not yet indexed."""
    with app.app_context():
        admin = admin_user(db.session)
        user = provider_user(db.session, regions=("53",))
        approved_label(db.session, user, admin, ("online-presence",))
        offer = create_offer(db.session, user, user.provider, offer_input(title=title))
        publish_offer(db.session, user, offer, TODAY)
        db.session.commit()
        return offer.id, admin.id


def titles(backend: EmbeddedBackend, text: str = "") -> list[str]:
    return [hit.document["title"] for hit in backend.search(SearchQuery(text=text)).hits]


def test_a_change_killed_before_indexing_is_applied_by_the_next_sync(app: Flask, tmp_path) -> None:
    """Does a process killed between the commit and the indexing lose the change? (No.)"""
    published_offer(app)  # committed; nothing indexed: the process "died" here
    backend = EmbeddedBackend(tmp_path / "index.sqlite3")
    backend.apply_settings()
    assert titles(backend) == []
    with app.app_context():
        report = process_outbox(db.session, backend, TODAY, loader=LOADER)
        db.session.commit()
        assert report.upserted == 1 and report.failed == 0
        assert db.session.scalars(select(SearchJob).where(SearchJob.done_at.is_(None))).all() == []
    assert titles(backend, "vitrine") == ["Site vitrine pour artisans"]


def test_archive_and_suspension_remove_the_offer(app: Flask, tmp_path) -> None:
    offer_id, admin_id = published_offer(app)
    backend = EmbeddedBackend(tmp_path / "index.sqlite3")
    backend.apply_settings()
    with app.app_context():
        process_outbox(db.session, backend, TODAY, loader=LOADER)
        offer = db.session.get(Offer, offer_id)
        label = offer.provider.current_label
        decide_on_label(
            db.session,
            db.session.get(User, admin_id),
            label,
            Decision.SUSPEND,
            "Plainte client",
            LogMailer(),
            TODAY,
        )
        db.session.commit()
        process_outbox(db.session, backend, TODAY, loader=LOADER)
        db.session.commit()
    assert titles(backend) == []


def test_failed_sync_keeps_the_jobs_for_a_retry(app: Flask) -> None:
    published_offer(app)

    class Broken:
        def upsert(self, documents: object) -> None:
            from marketplace.search.backend import SearchError

            raise SearchError("index unreachable")

        delete = upsert

    with app.app_context():
        report = process_outbox(db.session, Broken(), TODAY, loader=LOADER)  # type: ignore[arg-type]
        db.session.commit()
        assert report.failed == report.jobs > 0
        pending = db.session.scalars(select(SearchJob).where(SearchJob.done_at.is_(None))).all()
        assert pending and all(j.attempts == 1 and "unreachable" in j.last_error for j in pending)


def test_reindex_and_check(app: Flask, tmp_path) -> None:
    offer_id, _ = published_offer(app)
    backend = EmbeddedBackend(tmp_path / "index.sqlite3")
    backend.apply_settings()
    with app.app_context():
        assert check(db.session, backend, TODAY, loader=LOADER).missing == [offer_id]
        assert reindex(db.session, backend, TODAY, loader=LOADER) == 1
        db.session.commit()
        assert check(db.session, backend, TODAY, loader=LOADER).clean
        backend.upsert([{**backend.documents()[offer_id], "title": "Changed behind our back"}])
        assert check(db.session, backend, TODAY, loader=LOADER).stale == [offer_id]


def test_inline_sync_indexes_at_the_end_of_the_request(app: Flask) -> None:
    """Through the provider pages, is a published offer searchable right away?"""
    with app.app_context():
        admin = admin_user(db.session)
        user = provider_user(db.session, regions=("53",))
        approved_label(db.session, user, admin, ("online-presence",))
        offer = create_offer(db.session, user, user.provider, offer_input(title="Boutique test"))
        db.session.commit()
        email, offer_id = user.email, offer.id
    client = app.test_client()
    login(client, email)
    assert client.post(f"/provider/offers/{offer_id}/publish").status_code == 302
    page = client.get("/search?q=boutique").get_data(as_text=True)
    assert "<mark>Boutique</mark> test" in page


def test_the_factory_hands_search_the_catalogue_loader(app: Flask) -> None:
    """Is the loader kept on the app, beside the backend, for the inline sync and the CLI?"""
    assert isinstance(app.extensions[LOADER_EXTENSION], CatalogueLoader)
