"""Every route states who may use it: its docstring opens with its audience."""

from __future__ import annotations

from flask import Flask

AUDIENCES = ("Public", "Any logged-in user", "Companies", "Providers", "Admins", "Stripe")
FRAMEWORK_ENDPOINTS = {"static", "api-docs.openapi_json"}


def test_every_view_declares_its_audience(app: Flask) -> None:
    undeclared = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint in FRAMEWORK_ENDPOINTS:
            continue
        view = app.view_functions[rule.endpoint]
        doc = (view.__doc__ or "").strip()
        if isinstance(getattr(view, "view_class", None), type):
            doc = " ".join(
                (getattr(view.view_class, m.lower()).__doc__ or "").strip()
                for m in sorted(rule.methods - {"HEAD", "OPTIONS"})
            )
        if not doc.startswith(AUDIENCES):
            undeclared.append(f"{rule.rule} -> {rule.endpoint}: {doc[:40]!r}")
    assert undeclared == []
