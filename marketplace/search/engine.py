"""Which search backend this app uses, built from configuration (embedded by default)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask, Response, g, has_request_context
from sqlalchemy import event

from marketplace import clock
from marketplace.extensions import db
from marketplace.search.backend import SearchBackend
from marketplace.search.outbox import SearchJob
from marketplace.search.sync import LOADER_EXTENSION, OfferLoader, process_outbox


def build_search_backend(config: dict[str, Any], instance_path: str) -> SearchBackend:
    """Meilisearch when MEILI_URL is set, else the embedded index in the instance folder."""
    if config.get("MEILI_URL"):
        from marketplace.search.meili import MeiliBackend

        return MeiliBackend(
            url=config["MEILI_URL"],
            # No key: no Authorization header (an empty "Bearer " is refused even by a server
            # without a master key). In production, an admin API key, not the master key.
            api_key=config.get("MEILI_MASTER_KEY") or None,
            index_uid=f"{config.get('MEILI_INDEX_PREFIX', '')}offers",
            timeout=float(config.get("MEILI_TIMEOUT", 5)),
        )
    from marketplace.search.embedded import EmbeddedBackend

    path = config.get("SEARCH_INDEX_PATH") or str(Path(instance_path) / "search-index.sqlite3")
    return EmbeddedBackend(path)


def register_search(app: Flask, loader: OfferLoader) -> None:
    """Keep the backend and the offer loader on the app; in inline mode, apply outbox jobs at
    the end of the request that wrote them (`flask search sync` does it otherwise)."""
    app.extensions["search"] = build_search_backend(app.config, app.instance_path)
    app.extensions[LOADER_EXTENSION] = loader
    if app.config.get("SEARCH_SYNC", "inline") != "inline":
        return

    @app.after_request
    def apply_search_jobs(response: Response) -> Response:
        if g.pop("search_jobs_written", False):
            try:
                search, loader = app.extensions["search"], app.extensions[LOADER_EXTENSION]
                process_outbox(db.session(), search, clock.today(), loader=loader)
                db.session.commit()
            except Exception:  # the change is committed; the job stays for the next sync
                db.session.rollback()
                app.logger.exception("inline search sync failed; jobs kept for retry")
        return response


@event.listens_for(SearchJob, "after_insert")
def _remember_jobs(mapper: Any, connection: Any, job: SearchJob) -> None:
    if has_request_context():
        g.search_jobs_written = True
