"""API: subsidy claims — admins decide, providers read theirs."""

from __future__ import annotations

from marketplace.blueprints.api.common import make_blueprint

bp = make_blueprint("api_claims", "/claims", "Subsidy claims: one per subsidy of a paid invoice.")
