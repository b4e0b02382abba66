"""API: full-text search of the published offers, with filters, facets, sort and pages."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from flask import abort, current_app

from marketplace import clock
from marketplace.blueprints.api.common import PUBLIC, make_blueprint
from marketplace.blueprints.helpers import highlight
from marketplace.catalog.schemas import SearchArgsSchema, SearchResultSchema
from marketplace.search.backend import SearchError
from marketplace.search.params import build_query
from marketplace.search.query import SearchResult

bp = make_blueprint("api_search", "/search", "Search the offer catalogue (public).")


@bp.route("", methods=["GET"])
@bp.doc(security=PUBLIC)
@bp.arguments(SearchArgsSchema, location="query")
@bp.response(200, SearchResultSchema)
@bp.alt_response(503, response="DEFAULT_ERROR")
def search(args: dict[str, Any]) -> SearchResult:
    """Public: offers matching the words and filters, with facet counts and totals.

    Repeat a filter to OR its values (`need=crm&need=marketing`); different filters AND.
    """
    query = build_query(
        clock.today(),
        text=args["q"],
        needs=args["need"],
        regions=args["region"],
        include_remote=args["remote"],
        delivery_modes=args["delivery"],
        provider_kinds=args["kind"],
        price_bands=args["price"],
        rating_bands=args["rating"],
        programmes=args["programme"],
        sort=args["sort"],
        page=args["page"],
        per_page=args["page_size"],
    )
    try:
        result = current_app.extensions["search"].search(query)
    except SearchError:
        current_app.logger.exception("search failed")
        abort(503)
    hits = [
        replace(hit, highlights={k: str(highlight(v)) for k, v in hit.highlights.items()})
        for hit in result.hits
    ]
    return replace(result, hits=hits)
