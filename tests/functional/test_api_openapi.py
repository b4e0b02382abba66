"""The OpenAPI document served at /api/openapi.json."""

from __future__ import annotations

import json

from flask.testing import FlaskClient

API_PATHS = {
    "/api/v1/auth/register/company": {"post"},
    "/api/v1/auth/register/provider": {"post"},
    "/api/v1/auth/tokens": {"get", "post"},
    "/api/v1/auth/tokens/{token_id}": {"delete"},
    "/api/v1/me": {"get"},
    "/api/v1/providers": {"get"},
    "/api/v1/providers/{provider_id}": {"get"},
    "/api/v1/labels": {"get", "post"},
    "/api/v1/labels/{label_id}": {"get"},
    "/api/v1/labels/{label_id}/decisions": {"post"},
    "/api/v1/questionnaire": {"get"},
    "/api/v1/search": {"get"},
    "/api/v1/diagnoses": {"get", "post"},
    "/api/v1/diagnoses/{diagnosis_id}": {"get"},
    "/api/v1/diagnoses/{diagnosis_id}/recommendations": {"get"},
    "/api/v1/offers": {"get", "post"},
    "/api/v1/offers/{offer_id}": {"get", "patch"},
    "/api/v1/offers/{offer_id}/publish": {"post"},
    "/api/v1/offers/{offer_id}/archive": {"post"},
    "/api/v1/offers/{offer_id}/quote": {"get"},
    "/api/v1/programmes": {"get", "post"},
    "/api/v1/programmes/{code}": {"get", "patch"},
    "/api/v1/programmes/{code}/stats": {"get"},
    "/api/v1/bookings": {"get", "post"},
    "/api/v1/bookings/{booking_id}": {"get"},
    "/api/v1/bookings/{booking_id}/messages": {"get", "post"},
    **{
        f"/api/v1/bookings/{{booking_id}}/{name}": {"post"}
        for name in (
            "propose_quote",
            "decline",
            "cancel",
            "accept",
            "mark_delivered",
            "confirm",
            "dispute",
            "settle_for_provider",
            "settle_for_company",
        )
    },
    "/api/v1/me/de-minimis": {"get"},
    "/api/v1/me/de-minimis/declarations": {"post"},
    "/api/v1/me/de-minimis/declarations/{aid_id}": {"delete"},
    "/api/v1/invoices": {"get", "post"},
    "/api/v1/invoices/{invoice_id}": {"get"},
    "/api/v1/invoices/{invoice_id}/pdf": {"get"},
    "/api/v1/invoices/{invoice_id}/credit-notes": {"post"},
    "/api/v1/invoices/{invoice_id}/payments": {"get", "post"},
    "/api/v1/claims": {"get"},
    "/api/v1/reviews": {"get", "post"},
    "/api/v1/reviews/{review_id}/reply": {"post"},
    "/api/v1/reviews/{review_id}/hide": {"post"},
    "/api/v1/claims/{claim_id}": {"get"},
    "/api/v1/claims/{claim_id}/approve": {"post"},
    "/api/v1/claims/{claim_id}/reject": {"post"},
    "/api/v1/claims/{claim_id}/pay": {"post"},
    "/api/v1/credit-notes/{credit_note_id}": {"get"},
    "/api/v1/credit-notes/{credit_note_id}/pdf": {"get"},
    "/api/v1/ledger/entries": {"get"},
    "/api/v1/ledger/entries/{entry_id}": {"get"},
    "/api/v1/ledger/trial-balance": {"get"},
    "/api/v1/ledger/fec": {"get"},
}
HTTP_METHODS = {"get", "post", "put", "patch", "delete"}


def openapi(client: FlaskClient) -> dict:
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    return json.loads(response.get_data(as_text=True))


def test_document_lists_every_path_and_method(client: FlaskClient) -> None:
    """Is every API route in the document, with the method it really answers?"""
    doc = openapi(client)
    assert doc["openapi"].startswith("3.")
    paths = {
        path: {m for m in operations if m in HTTP_METHODS}
        for path, operations in doc["paths"].items()
    }
    assert paths == API_PATHS


def test_document_declares_who_may_call_each_route(client: FlaskClient) -> None:
    """Does each logged-in route require bearerAuth or cookieAuth, and public ones nothing?"""
    doc = openapi(client)
    schemes = doc["components"]["securitySchemes"]
    assert schemes["bearerAuth"] == {"type": "http", "scheme": "bearer"}
    assert "cookieAuth" in schemes
    public = {
        ("/api/v1/auth/register/company", "post"),
        ("/api/v1/auth/register/provider", "post"),
        ("/api/v1/auth/tokens", "post"),
        ("/api/v1/providers", "get"),
        ("/api/v1/providers/{provider_id}", "get"),
        ("/api/v1/questionnaire", "get"),
        ("/api/v1/search", "get"),
        ("/api/v1/offers", "get"),
        ("/api/v1/offers/{offer_id}", "get"),
        ("/api/v1/offers/{offer_id}/quote", "get"),
        ("/api/v1/programmes", "get"),
        ("/api/v1/programmes/{code}", "get"),
        ("/api/v1/reviews", "get"),
    }
    for path, methods in API_PATHS.items():
        for method in methods:
            operation = doc["paths"][path][method]
            assert operation.get("summary"), (path, method)
            security = operation.get("security", [])
            if (path, method) in public:
                assert security == [], (path, method)
            else:
                assert {"bearerAuth": []} in security, (path, method)


def test_money_is_documented_as_integer_cents(client: FlaskClient) -> None:
    doc = openapi(client)
    field = doc["components"]["schemas"]["LabelApplication"]["properties"][
        "similar_projects_turnover_cents"
    ]
    assert field["type"] == "integer"


def test_pdf_downloads_are_documented_as_binary(client: FlaskClient) -> None:
    """Do the PDF operations say they answer application/pdf bytes, not JSON?"""
    doc = openapi(client)
    for path in ("/api/v1/invoices/{invoice_id}/pdf", "/api/v1/credit-notes/{credit_note_id}/pdf"):
        content = doc["paths"][path]["get"]["responses"]["200"]["content"]
        assert content == {"application/pdf": {"schema": {"type": "string", "format": "binary"}}}
