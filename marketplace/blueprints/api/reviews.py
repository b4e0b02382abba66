"""API: reviews of closed bookings — written by companies, answered by providers."""

from __future__ import annotations

from marketplace.blueprints.api.common import make_blueprint

bp = make_blueprint("api_reviews", "/reviews", "Reviews: a company rates a closed booking once.")
