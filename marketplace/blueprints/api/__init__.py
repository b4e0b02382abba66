"""The JSON API under /api/v1 (flask-smorest), documented at /api/openapi.json."""

from __future__ import annotations

from flask_smorest import Api


def register_api(api: Api) -> None:
    """Register every API blueprint (one module per resource)."""
    from marketplace.blueprints.api import (
        auth,
        diagnosis,
        labels,
        me,
        offers,
        providers,
        search,
    )

    for module in (auth, me, providers, labels, diagnosis, offers, search):
        api.register_blueprint(module.bp)
