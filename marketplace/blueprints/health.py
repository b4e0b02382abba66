"""Probes and metrics for whoever runs the app: `/healthz`, `/readyz`, `/metrics`.

Outside /api/v1 (they are not part of the API). `/metrics` answers 404 unless METRICS_ENABLED;
with METRICS_TOKEN set it also wants `Authorization: Bearer <token>`.
"""

from __future__ import annotations

import hmac

from flask import Blueprint, abort, current_app, jsonify, request
from werkzeug.wrappers import Response

from marketplace.auth import bearer_token
from marketplace.health import readiness
from marketplace.metrics import metrics_response

bp = Blueprint("health", __name__)


def _no_store(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/healthz")
def healthz() -> Response:
    """Public: the process is up and answers (touches no database, for liveness probes)."""
    return _no_store(jsonify(status="ok"))


@bp.get("/readyz")
def readyz() -> Response:
    """Public: whether this server can serve traffic: 200, or 503 naming the failing checks."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    checks = readiness(app)
    failing = sorted(name for name, check in checks.items() if not check.ok)
    body = {
        "status": "unavailable" if failing else "ok",
        "failing": failing,
        "checks": {name: check.as_json() for name, check in checks.items()},
    }
    response = jsonify(body)
    response.status_code = 503 if failing else 200
    return _no_store(response)


@bp.get("/metrics")
def metrics() -> Response:
    """Public when METRICS_ENABLED (and to holders of METRICS_TOKEN when set): Prometheus
    metrics in the text exposition format."""
    if not current_app.config.get("METRICS_ENABLED"):
        abort(404)
    token = current_app.config.get("METRICS_TOKEN", "")
    if token and not hmac.compare_digest((bearer_token(request) or "").encode(), token.encode()):
        abort(401)
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    return _no_store(metrics_response(app))
