"""API: the offer catalogue (public reading) and providers' own offers (writing)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from flask import abort
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy.orm import selectinload

from marketplace import clock
from marketplace.accounts.models import Provider
from marketplace.auth import current_actor, provider_required
from marketplace.billing.quotes import best_case, best_case_programmes, offer_split_facts, quote
from marketplace.billing.split_schemas import (
    BEST_CASE,
    COMPANY,
    OfferQuoteSchema,
    QuoteArgsSchema,
)
from marketplace.blueprints.api.common import LOGGED_IN, PUBLIC, make_blueprint, paginate
from marketplace.blueprints.quoting import viewing_company
from marketplace.catalog.indexing import catalogue_query, indexable
from marketplace.catalog.models import Offer
from marketplace.catalog.operations import (
    OfferData,
    archive_offer,
    create_offer,
    offer_data,
    publish_offer,
    update_offer,
)
from marketplace.catalog.schemas import (
    OfferCreateSchema,
    OfferPageSchema,
    OfferQuerySchema,
    OfferSchema,
    OfferUpdateSchema,
)
from marketplace.errors import Conflict
from marketplace.extensions import db

bp = make_blueprint(
    "api_offers", "/offers", "The offer catalogue: anyone reads it, providers write their own."
)


def _offer(offer_id: int) -> Offer:
    return db.session.get(Offer, offer_id) or abort(404)


def with_category(category: str, needs: Sequence[str]) -> list[str]:
    """The needs addressed, the main category first: the API never refuses it as missing."""
    return list(dict.fromkeys([category, *needs]))


def served_regions(provider: Provider, delivery_mode: str) -> list[str]:
    """Regions of an offer sent without any: the provider's own, unless it is remote-only."""
    return [] if delivery_mode == "remote" else [region.code for region in provider.regions]


@bp.route("", methods=["GET"])
@bp.doc(security=PUBLIC)
@bp.arguments(OfferQuerySchema, location="query")
@bp.response(200, OfferPageSchema)
def list_offers(args: dict[str, Any]) -> dict[str, Any]:
    """Public: published offers of providers with a live label, newest first.

    Filters: `category` (main category), `need` (any need addressed), `region` (delivered
    there, or remotely), `provider` (id). Paginated: `page`, `page_size` (at most 100) in,
    `{items, pagination}` out. Money is integer cents.
    """
    query = catalogue_query(
        clock.today(),
        category=args.get("category"),
        need=args.get("need"),
        region=args.get("region"),
        provider_id=args.get("provider"),
    ).options(selectinload(Offer.provider), selectinload(Offer.needs), selectinload(Offer.regions))
    return paginate(query, args["page"], args["page_size"])


@bp.route("", methods=["POST"])
@bp.doc(security=LOGGED_IN)
@provider_required
@bp.arguments(OfferCreateSchema)
@bp.response(201, OfferSchema)
@bp.alt_response(401, response="UNAUTHORIZED")
@bp.alt_response(403, response="FORBIDDEN")
def create(args: dict[str, Any]) -> Offer:
    """Providers: create a draft offer for their own organisation.

    The rules are the pages' (422 with `errors.json.<field>`): title 5–120 characters, VAT
    rate 0/550/1000/2000, at least one region unless remote, needs including the category,
    volunteers' offers free. Publish it with `POST /offers/{id}/publish`.
    """
    provider = current_user.provider
    data = OfferData(
        **{
            **args,
            "needs": with_category(args["category"], args["needs"]),
            "regions": args["regions"] or served_regions(provider, args["delivery_mode"]),
        }
    )
    offer = create_offer(db.session(), current_actor(), provider, data)
    db.session.commit()
    return offer


@bp.route("/<int:offer_id>", methods=["GET"])
@bp.doc(security=PUBLIC)
@bp.response(200, OfferSchema)
@bp.alt_response(404, response="NOT_FOUND")
def get_offer(offer_id: int) -> Offer:
    """Public: one published offer of a provider with a live label; 404 otherwise.

    Its provider's members and administrators also see it in any status (a preview).
    """
    offer = _offer(offer_id)
    if not indexable(offer, clock.today()):
        may_preview = current_user.is_authenticated and (
            current_user.is_admin
            or (current_user.provider and current_user.provider.id == offer.provider_id)
        )
        if not may_preview:
            abort(404)
    return offer


@bp.route("/<int:offer_id>/quote", methods=["GET"])
@bp.doc(security=PUBLIC)
@bp.arguments(QuoteArgsSchema, location="query")
@bp.response(200, OfferQuoteSchema)
@bp.alt_response(404, response="NOT_FOUND")
@bp.alt_response(409, response="CONFLICT")
def get_quote(args: dict[str, Any], offer_id: int) -> dict[str, Any]:
    """Public: what the offer costs, split between subsidy programmes and the company.

    A logged-in company gets its own split (`basis: company`): the one its pages show. Anyone
    else gets the best case (`basis: best-case`): the split of the most favoured eligible
    company, "up to N % covered". `quantity` (1 to 999) counts units of a per-unit offer; a
    fixed-price offer is for one, so another quantity is a 409. 404 for an offer the public
    cannot see.
    """
    offer = _offer(offer_id)
    today = clock.today()
    if not indexable(offer, today):
        abort(404)
    quantity = args["quantity"]
    if quantity != 1 and not offer.is_per_unit:
        raise Conflict(_l("This offer has a fixed price: quote it for a quantity of 1."))
    company = viewing_company()
    if company is not None:
        split = quote(db.session(), company, offer, today, quantity)
        basis = COMPANY
    else:
        programmes = best_case_programmes(db.session(), today)
        facts = offer_split_facts(offer)
        split = best_case(facts, offer.vat_rate_bp, programmes, today, quantity).split
        basis = BEST_CASE
    return {
        "basis": basis,
        "offer_id": offer.id,
        "pricing_unit": str(offer.pricing_unit),
        "quantity": quantity,
        "split": split,
    }


@bp.route("/<int:offer_id>", methods=["PATCH"])
@bp.doc(security=LOGGED_IN)
@provider_required
@bp.arguments(OfferUpdateSchema)
@bp.response(200, OfferSchema)
@bp.alt_response(401, response="UNAUTHORIZED")
@bp.alt_response(403, response="FORBIDDEN")
@bp.alt_response(404, response="NOT_FOUND")
@bp.alt_response(409, response="CONFLICT")
def patch(args: dict[str, Any], offer_id: int) -> Offer:
    """Providers: change some fields of one of their offers (403 for another's).

    A published offer must still obey the publishing rules afterwards, or it is a 409.
    """
    offer = _offer(offer_id)
    current = offer_data(offer)
    data = replace(current, **args)
    if "category" in args and "needs" not in args:
        # The new main category replaces the old one among the needs addressed.
        others = [code for code in current.needs if code != current.category]
        data.needs = with_category(args["category"], others)
    else:
        data.needs = with_category(data.category, data.needs)
    if not data.regions:
        data.regions = served_regions(offer.provider, data.delivery_mode)
    update_offer(db.session(), current_actor(), offer, data, clock.today())
    db.session.commit()
    return offer


@bp.route("/<int:offer_id>/publish", methods=["POST"])
@bp.doc(security=LOGGED_IN)
@provider_required
@bp.response(200, OfferSchema)
@bp.alt_response(401, response="UNAUTHORIZED")
@bp.alt_response(403, response="FORBIDDEN")
@bp.alt_response(404, response="NOT_FOUND")
@bp.alt_response(409, response="CONFLICT")
def publish(offer_id: int) -> Offer:
    """Providers: publish one of their draft or archived offers.

    409 with the reason when the label is not live, does not cover a paid offer's category,
    or the offer is already published.
    """
    offer = _offer(offer_id)
    publish_offer(db.session(), current_actor(), offer, clock.today())
    db.session.commit()
    return offer


@bp.route("/<int:offer_id>/archive", methods=["POST"])
@bp.doc(security=LOGGED_IN)
@provider_required
@bp.response(200, OfferSchema)
@bp.alt_response(401, response="UNAUTHORIZED")
@bp.alt_response(403, response="FORBIDDEN")
@bp.alt_response(404, response="NOT_FOUND")
@bp.alt_response(409, response="CONFLICT")
def archive(offer_id: int) -> Offer:
    """Providers: withdraw one of their offers from the catalogue (409 if already archived)."""
    offer = _offer(offer_id)
    archive_offer(db.session(), current_actor(), offer)
    db.session.commit()
    return offer
