"""Every route states who may use it: its docstring opens with its audience."""

from __future__ import annotations

from flask import Flask

AUDIENCES = ("Public", "Any logged-in user", "Companies", "Providers", "Admins", "Stripe")
FRAMEWORK_ENDPOINTS = {"static", "api-docs.openapi_json"}
# The HTML blueprints that serve one audience only, and that audience's docstring opening.
AUDIENCE_BLUEPRINTS = {
    "public": "Public",
    "provider": "Providers",
    "provider_bookings": "Providers",
    "provider_invoices": "Providers",
    "provider_claims": "Providers",
    "admin": "Admins",
    "admin_bookings": "Admins",
    "admin_invoices": "Admins",
    "admin_ledger": "Admins",
    "admin_claims": "Admins",
    "admin_reviews": "Admins",
    "funder_dashboard": "Admins",
}


def audience_doc(app: Flask, endpoint: str, methods: set[str]) -> str:
    view = app.view_functions[endpoint]
    doc = (view.__doc__ or "").strip()
    if isinstance(getattr(view, "view_class", None), type):
        doc = " ".join(
            (getattr(view.view_class, m.lower()).__doc__ or "").strip()
            for m in sorted(methods - {"HEAD", "OPTIONS"})
        )
    return doc


def html_pages(app: Flask) -> list[tuple[str, str, str]]:
    """(rule, endpoint, docstring) of every HTML page: the /api/v1 routes left out."""
    return [
        (rule.rule, rule.endpoint, audience_doc(app, rule.endpoint, rule.methods or set()))
        for rule in app.url_map.iter_rules()
        if rule.endpoint not in FRAMEWORK_ENDPOINTS and not rule.rule.startswith("/api/")
    ]


def test_every_view_declares_its_audience(app: Flask) -> None:
    undeclared = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint in FRAMEWORK_ENDPOINTS:
            continue
        doc = audience_doc(app, rule.endpoint, rule.methods or set())
        if not doc.startswith(AUDIENCES):
            undeclared.append(f"{rule.rule} -> {rule.endpoint}: {doc[:40]!r}")
    assert undeclared == []


def test_audience_blueprints_hold_only_their_audience(app: Flask) -> None:
    """Does the public, provider or admin blueprint hold a page meant for someone else?"""
    misplaced = []
    for rule, endpoint, doc in html_pages(app):
        audience = AUDIENCE_BLUEPRINTS.get(endpoint.partition(".")[0])
        if audience and not doc.startswith(audience):
            misplaced.append(f"{rule} -> {endpoint}: {doc[:40]!r}")
    assert misplaced == []


def test_provider_and_admin_pages_live_in_their_blueprint(app: Flask) -> None:
    """Is any provider or admin HTML page left in another blueprint (as offers once mixed them)?"""
    home = {
        "Providers": {"provider", "provider_bookings", "provider_invoices", "provider_claims"},
        "Admins": {
            "admin",
            "admin_bookings",
            "admin_invoices",
            "admin_ledger",
            "admin_claims",
            "admin_reviews",
            "funder_dashboard",
        },
    }
    stray = []
    for rule, endpoint, doc in html_pages(app):
        for audience, blueprints in home.items():
            if doc.startswith(audience) and endpoint.partition(".")[0] not in blueprints:
                stray.append(f"{rule} -> {endpoint}: {doc[:40]!r}")
    assert stray == []
