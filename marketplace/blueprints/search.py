"""Finding offers: the search page (anyone) and the offers recommended from a diagnosis."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, redirect, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import exists, select
from werkzeug.wrappers import Response

from marketplace import clock
from marketplace.auth import company_required
from marketplace.billing.eligibility import programme_names
from marketplace.billing.split import Split
from marketplace.blueprints.offer_forms import DELIVERY_MODE_LABELS, PRICING_UNIT_LABELS
from marketplace.blueprints.quoting import hit_quotes, offer_prices
from marketplace.catalog.indexing import visible_offers
from marketplace.catalog.models import Offer
from marketplace.diagnosis.operations import latest_diagnosis
from marketplace.diagnosis.recommendations import recommended_offers
from marketplace.extensions import db
from marketplace.geo import REGIONS
from marketplace.reviews.models import Review
from marketplace.search.backend import SearchError
from marketplace.search.params import build_query
from marketplace.search.query import SearchQuery, SearchResult
from marketplace.taxonomy import CATEGORY_LABELS

bp = Blueprint("search", __name__)

SORT_LABELS = {
    "relevance": _l("Relevance"),
    "price_asc": _l("Price, lowest first"),
    "price_desc": _l("Price, highest first"),
    "net_price_asc": _l("Price after subsidies, lowest first"),
    "rating_desc": _l("Best rated"),  # offered once some offer has a visible review
    "newest": _l("Newest"),
}
DELIVERY_LABELS = {mode.value: label for mode, label in DELIVERY_MODE_LABELS.items()}
MAX_COMPARED = 3
KIND_LABELS = {"expert": _l("Labelled provider"), "volunteer": _l("Volunteer advisor")}
PRICE_BAND_LABELS = {
    "free": _l("Free"),
    "under_500": _l("Under €500"),
    "500_2000": _l("€500 to €2,000"),
    "2000_5000": _l("€2,000 to €5,000"),
    "over_5000": _l("Over €5,000"),
}
RATING_BAND_LABELS = {
    "4_plus": _l("4 stars and over"),
    "3_to_4": _l("3 to 4 stars"),
    "under_3": _l("Under 3 stars"),
    "unrated": _l("No review yet"),
}


def query_from_request() -> SearchQuery:
    args = request.args
    return build_query(
        clock.today(),
        text=args.get("q", ""),
        needs=args.getlist("need"),
        regions=args.getlist("region"),
        include_remote=args.get("remote", "1") != "0",
        delivery_modes=args.getlist("delivery"),
        provider_kinds=args.getlist("kind"),
        price_bands=args.getlist("price"),
        rating_bands=args.getlist("rating"),
        programmes=args.getlist("programme"),
        sort=args.get("sort"),
        page=args.get("page"),
    )


@bp.get("/search")
def search() -> tuple[str, int] | str | Response:
    """Public: full-text search of published offers with filters, facets, sort and pages.

    A company sees each offer's price split for it (one batch for the page's hits); anyone
    else the best case the index holds.
    """
    query = query_from_request()
    try:
        result = current_app.extensions["search"].search(query)
    except SearchError:
        current_app.logger.exception("search failed")
        return render_template(
            "search/search.html", query=query, result=None, quotes={}, **_choices()
        ), 503
    if result.total and query.page > result.pages:  # ?page=999: the last page, not nothing
        args: dict[str, Any] = request.args.to_dict(flat=False)
        args["page"] = [str(result.pages)]
        return redirect(url_for("search.search", **args))
    return render_template(
        "search/search.html",
        query=query,
        result=result,
        quotes=_quotes_of([result]),
        **_choices(),
    )


def _quotes_of(results: list[SearchResult]) -> dict[int, Split]:
    """The reading company's split of every offer found (none for anyone else)."""
    ids = [hit.id for result in results for hit in result.hits]
    return hit_quotes(db.session(), ids, clock.today())


def some_offer_rated() -> bool:
    return bool(db.session.scalar(select(exists().where(Review.hidden_at.is_(None)))))


def sort_labels(rated: bool) -> dict[str, object]:
    """The sorts offered: "best rated" only once some offer has a rating to sort by."""
    return {code: label for code, label in SORT_LABELS.items() if rated or code != "rating_desc"}


def _choices() -> dict[str, object]:
    """Labels of every facet value and sort, in the reader's language; the rating facet and
    sort only once some offer has a rating."""
    rated = some_offer_rated()
    return {
        "sort_labels": sort_labels(rated),
        "facet_labels": {
            "needs": CATEGORY_LABELS,
            "category": CATEGORY_LABELS,
            "regions": {r.code: r.name for r in sorted(REGIONS, key=lambda r: r.name)},
            "delivery_mode": DELIVERY_LABELS,
            "provider_kind": KIND_LABELS,
            "price_band": PRICE_BAND_LABELS,
            "programmes": programme_names(db.session()),
            "rating_band": RATING_BAND_LABELS,
        },
        "facet_params": {
            facet: param for facet, param in FACET_PARAMS.items() if rated or facet != "rating_band"
        },
    }


# The URL argument of each facet (the form field that filters on it).
FACET_PARAMS = {
    "needs": "need",
    "regions": "region",
    "delivery_mode": "delivery",
    "provider_kind": "kind",
    "price_band": "price",
    "rating_band": "rating",
    "programmes": "programme",
}


@bp.get("/recommended")
@company_required
def recommended() -> str:
    """Companies: offers for each need of their latest diagnosis, in their region or remote."""
    company = current_user.company
    diagnosis = latest_diagnosis(db.session(), company)
    groups: list[tuple[dict, SearchResult]] = []
    failed = False
    if diagnosis is not None and diagnosis.needs:
        try:
            results = recommended_offers(current_app.extensions["search"], diagnosis, clock.today())
        except SearchError:
            current_app.logger.exception("recommendations failed")
            results, failed = [], True
        groups = list(zip(diagnosis.needs, results, strict=False))
    return render_template(
        "search/recommended.html",
        diagnosis=diagnosis,
        groups=groups,
        failed=failed,
        quotes=_quotes_of([result for _need, result in groups]),
        **_choices(),
    )


@bp.get("/compare")
def compare() -> tuple[str, int] | str:
    """Public: two or three visible offers side by side (price, VAT, delivery, regions…); any
    other number shows the offers chosen, still ticked, to add to or untick."""
    ids = list(dict.fromkeys(int(i) for i in request.args.getlist("id") if i.isdigit()))
    found = {
        o.id: o
        for o in db.session.scalars(visible_offers(clock.today()).where(Offer.id.in_(ids[:50])))
    }
    offers = [found[i] for i in ids if i in found]
    if not 2 <= len(offers) <= MAX_COMPARED:
        if len(offers) > MAX_COMPARED:
            message = _l(
                "You chose %(num)d offers: untick some to keep three at most.", num=len(offers)
            )
        else:
            message = _l("Choose two or three offers to compare.")
        return render_template(
            "search/compare.html", rows=[], chosen=offers, message=message, **_compare_labels()
        ), 400
    prices = offer_prices(db.session(), offers, clock.today())
    rows = [(offer, prices[offer.id]) for offer in offers]
    return render_template(
        "search/compare.html", rows=rows, missing=len(ids) - len(offers), **_compare_labels()
    )


def _compare_labels() -> dict[str, Any]:
    return {"pricing_labels": PRICING_UNIT_LABELS, "delivery_labels": DELIVERY_MODE_LABELS}
