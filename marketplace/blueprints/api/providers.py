"""API: the public directory of labelled providers."""

from __future__ import annotations

from typing import Any

from flask import abort
from flask_login import current_user

from marketplace import clock
from marketplace.accounts.models import Provider
from marketplace.accounts.schemas import ProviderPageSchema, ProviderQuerySchema, ProviderSchema
from marketplace.blueprints.api.common import PUBLIC, make_blueprint, paginate
from marketplace.directory import listed_providers
from marketplace.extensions import db

bp = make_blueprint(
    "api_providers", "/providers", "Labelled providers and volunteer advisors (public)."
)


@bp.route("", methods=["GET"])
@bp.doc(security=PUBLIC)
@bp.arguments(ProviderQuerySchema, location="query")
@bp.response(200, ProviderPageSchema)
def list_providers(args: dict[str, Any]) -> dict[str, Any]:
    """Public: providers with a live label, by name, filtered by region, category, kind, name.

    Paginated: `page` and `page_size` (at most 100) in, `{items, pagination}` out.
    """
    query = listed_providers(
        clock.today(),
        region=args.get("region"),
        category=args.get("category"),
        kind=args.get("kind"),
        q=(args.get("q") or "").strip() or None,
    )
    return paginate(query, args["page"], args["page_size"])


@bp.route("/<int:provider_id>", methods=["GET"])
@bp.doc(security=PUBLIC)
@bp.response(200, ProviderSchema)
@bp.alt_response(404, response="NOT_FOUND")
def get_provider(provider_id: int) -> Provider:
    """Public while its label is live; otherwise only the provider itself and admins see it."""
    provider = db.session.get(Provider, provider_id) or abort(404)
    is_own = current_user.is_authenticated and (
        current_user.is_admin or (current_user.provider and current_user.provider.id == provider.id)
    )
    if not provider.has_active_label and not is_own:
        abort(404)
    return provider
