"""The JSON API under /api/v1 (flask-smorest), documented at /api/openapi.json."""

from __future__ import annotations

from flask_smorest import Api


def register_api(api: Api) -> None:
    """Register every API blueprint (one module per resource)."""
    from marketplace.blueprints.api import (
        auth,
        bookings,
        claims,
        deminimis,
        diagnosis,
        invoices,
        labels,
        ledger,
        me,
        offers,
        programmes,
        providers,
        reviews,
        search,
    )

    modules = (auth, me, providers, labels, diagnosis, offers, search, programmes)
    for module in (*modules, bookings, deminimis, invoices, ledger, claims, reviews):
        api.register_blueprint(module.bp)
    api.register_blueprint(invoices.credit_notes_bp)
    document_cross_field_rules(api)


def document_cross_field_rules(api: Api) -> None:
    """Rules between fields of one body, which marshmallow schemas cannot declare.

    A labelled expert must give its VAT number (the services check it; this says it).
    """
    schemas = api.spec.components.schemas
    schemas["ProviderRegistration"]["if"] = {
        "properties": {"kind": {"const": "expert"}},
        "required": ["kind"],
    }
    schemas["ProviderRegistration"]["then"] = {
        "required": ["vat_number"],
        "properties": {"vat_number": {"minLength": 1}},
    }
