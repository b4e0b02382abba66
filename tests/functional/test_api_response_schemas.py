"""Do the API's responses say what /api/openapi.json documents for them, and no less?

Real responses of every resource are validated (formats included) against the schema their
operation documents for that status; and the response schemas themselves must list every
property as required and as nullable only where it can be null, since clients generated from
the document rely on both.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import jsonschema_rs
import pytest
from flask import Flask
from flask.testing import FlaskClient

from marketplace.catalog.indexing import CatalogueLoader
from marketplace.catalog.operations import OfferData, create_offer, publish_offer
from marketplace.extensions import db
from marketplace.identifiers import french_vat_number, make_siren, make_siret
from marketplace.labels.operations import expire_lapsed_labels
from marketplace.mail import LogMailer
from marketplace.search.sync import process_outbox
from tests.factories import (
    PASSWORD,
    admin_user,
    approved_label,
    bearer_for,
    company_user,
    programme,
    provider_user,
    published_offer,
)
from tests.functional.test_api_labels import application_body
from tests.functional.test_api_offers import body as offer_body
from tests.functional.test_api_openapi import openapi
from tests.invoicing import agreed_booking, confirmed_booking

DIALECT = "https://json-schema.org/draft/2020-12/schema"
SCHEMAS = "#/components/schemas/"

# Response properties a body may leave out, and why: every other one is always there.
OPTIONAL = {
    ("Error", "errors"): "only when the request was refused field by field",
    ("Error", "allowed"): "only when a booking transition is refused for the booking's state",
    ("Error", "split"): "only when a quote's split changed before its acceptance",
    ("OptionalText", "fr"): "a questionnaire may leave a help, intro or description out",
    ("OptionalText", "en"): "a questionnaire may leave a help, intro or description out",
}
# Response properties that may be null; every other one never is.
NULLABLE = {
    "Booking": {
        "agreed_at",
        "agreement",
        "confirmed_at",
        "current_split",
        "delivered_at",
        "quote",
        "waiting_for",
        "wished_end",
        "wished_start",
    },
    "BookingEvent": {"by", "from_state"},
    "Claim": {"decided_at", "paid_on"},
    "Payment": {"received_on"},
    "Refund": {"sent_on"},
    "Review": {"replied_at"},
    "Invoice": {"buyer_vat_number", "cancelled_at", "credit_note_id", "seller_vat_number"},
    "JournalLine": {"third_party_id"},
    "LedgerEntry": {"booking_id", "declared_aid_id"},
    "Quote": {"end", "start"},
    "Decision": {"actor", "valid_until"},
    "Label": {"decided_at", "valid_until"},
    "NewToken": {"expires_at", "last_used_at"},
    "Offer": {"archived_at", "duration_days", "published_at"},
    "Provider": {"label"},
    "Programme": {
        "budget_cents",
        "cap_per_booking_cents",
        "cap_per_company_cents",
        "max_aid_intensity_bp",
        "valid_from",
        "valid_to",
    },
    "ProgrammeStats": {
        "budget_cents",
        "days_to_payment_average",
        "days_to_payment_median",
        "remaining_cents",
    },
    "PublicLabel": {"valid_until"},
    "Question": {"max_points"},
    "IndexedOffer": {"duration_days", "net_price_cents"},
    "RecommendedResource": {"duration_minutes"},
    "SearchHit": {"duration_days", "net_price_cents"},
    "SplitLine": {"capped_by"},
    "ThirdPartyBalance": {"id"},
    "Token": {"expires_at", "last_used_at"},
    "TrialBalance": {"on"},
    "User": {"company", "provider"},
}


@dataclass
class Api:
    """The test client, checking each response against the document."""

    client: FlaskClient
    document: dict[str, Any]

    def call(
        self,
        method: str,
        path: str,
        status: int,
        *,
        headers: dict[str, str] | None = None,
        json: Any = None,
        data: str | None = None,
        query: dict[str, Any] | None = None,
        **path_params: Any,
    ) -> Any:
        """Call the operation at `path` (as the document names it), expect `status`, and
        check the body against the schema documented for that status; return the body."""
        response = self.client.open(
            path.format(**path_params),
            method=method,
            headers=headers,
            json=json,
            data=data,
            content_type="application/json" if data is not None else None,
            query_string=query,
        )
        body = response.get_json()
        assert response.status_code == status, body
        problems = conformance_problems(self.document, path, method, status, body)
        assert problems == [], f"{method} {path} {status}: {problems}\n{body}"
        return body


def conformance_problems(
    document: dict[str, Any], path: str, method: str, status: int, body: Any
) -> list[str]:
    responses = document["paths"][path][method.lower()]["responses"]
    response = responses.get(str(status), responses["default"])
    response = resolve(document, response)
    schema = response["content"]["application/json"]["schema"]
    # The operation's schema at the root, with the components its references point into.
    validator = jsonschema_rs.validator_for(
        {"$schema": DIALECT, **schema, "components": document["components"]},
        validate_formats=True,
    )
    return [f"{e.instance_path}: {e.message}" for e in validator.iter_errors(body)]


def resolve(document: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    """A local `$ref` (e.g. to #/components/responses/NOT_FOUND) replaced by what it names."""
    while "$ref" in node:
        ref = node["$ref"]
        assert ref.startswith("#/"), ref
        node = document
        for part in ref[2:].split("/"):
            node = node[part]
    return node


@pytest.fixture
def api(client: FlaskClient) -> Api:
    return Api(client, openapi(client))


def lowest_answers(questionnaire: dict[str, Any]) -> dict[str, Any]:
    """A complete answer set with the lowest level everywhere: it raises many needs."""
    lowest = {"single": lambda q: q["options"][0]["value"], "multi": lambda q: []}
    lowest |= {"scale": lambda q: 0, "tristate": lambda q: "no"}
    return {q["id"]: lowest[q["type"]](q) for q in questionnaire["questions"]}


# --- Real responses ------------------------------------------------------------------------


def test_accounts_and_tokens(app: Flask, api: Api) -> None:
    """Do registrations, tokens and /me answer as documented, for every kind of user?"""
    siren = make_siren(900_001)
    company = api.call(
        "POST",
        "/api/v1/auth/register/company",
        201,
        json={
            "email": "anne@exemple.fr",
            "password": PASSWORD,
            "full_name": "Anne Martin",
            "company_name": "Boulangerie Martin",
            "siren": siren,
            "size_band": "3-9",
            "naf_code": "10.71C",
            "department_code": "69",
        },
    )
    assert company["company"]["region_code"] == "84" and company["provider"] is None
    provider_siren = make_siren(900_002)
    provider = api.call(
        "POST",
        "/api/v1/auth/register/provider",
        201,
        json={
            "email": "paul@exemple.fr",
            "password": PASSWORD,
            "full_name": "Paul Le Gall",
            "provider_name": "Atelier Numérique",
            "siret": make_siret(provider_siren, 1),
            "kind": "expert",
            "vat_number": french_vat_number(provider_siren),
            "department_code": "35",
            "locale": "en",
        },
    )
    assert provider["provider"]["has_active_label"] is False and provider["company"] is None

    token = api.call(
        "POST",
        "/api/v1/auth/tokens",
        201,
        json={"email": "anne@exemple.fr", "password": PASSWORD, "name": "Comptabilité"},
    )
    assert token["token"].startswith(token["prefix"]) and token["last_used_at"] is None
    headers = {"Authorization": f"Bearer {token['token']}"}
    assert api.call("GET", "/api/v1/auth/tokens", 200, headers=headers)[0]["id"] == token["id"]
    assert api.call("GET", "/api/v1/me", 200, headers=headers)["email"] == "anne@exemple.fr"
    with app.app_context():
        admin = bearer_for(admin_user(db.session, "alice@exemple.fr"))
        db.session.commit()
    me = api.call("GET", "/api/v1/me", 200, headers=admin)
    assert me["role"] == "admin" and me["company"] is None and me["provider"] is None


def test_providers_offers_and_search(app: Flask, api: Api) -> None:
    """Does a labelled provider's offer read as documented through its whole life, in the
    catalogue, the directory and search; and an unlabelled provider's own page?"""
    with app.app_context():
        admin = admin_user(db.session)
        expert = provider_user(db.session, name="Atelier Web", regions=("53",))
        approved_label(db.session, expert, admin, ("online-presence",))
        unlabelled = provider_user(db.session, name="Sans Label")
        assert expert.provider is not None and unlabelled.provider is not None
        expert_id, unlabelled_id = expert.provider.id, unlabelled.provider.id
        headers, unlabelled_headers = bearer_for(expert), bearer_for(unlabelled)
        db.session.commit()

    draft = api.call("POST", "/api/v1/offers", 201, headers=headers, json=offer_body())
    assert draft["duration_days"] is None and draft["published_at"] is None
    offer = "/api/v1/offers/{offer_id}"
    changed = api.call(
        "PATCH", offer, 200, headers=headers, json={"duration_days": 30}, offer_id=draft["id"]
    )
    assert changed["duration_days"] == 30
    published = api.call("POST", offer + "/publish", 200, headers=headers, offer_id=draft["id"])
    assert published["status"] == "published"
    api.call("GET", offer, 200, offer_id=draft["id"])
    listed = api.call("GET", "/api/v1/offers", 200, query={"provider": expert_id})
    assert [o["id"] for o in listed["items"]] == [draft["id"]]

    found = api.call("GET", "/api/v1/search", 200, query={"q": "site vitrine"})
    assert [hit["id"] for hit in found["hits"]] == [draft["id"]]
    assert found["hits"][0]["highlights"]

    archived = api.call("POST", offer + "/archive", 200, headers=headers, offer_id=draft["id"])
    assert archived["archived_at"] is not None

    directory = api.call("GET", "/api/v1/providers", 200)
    assert [p["id"] for p in directory["items"]] == [expert_id]
    labelled = api.call("GET", "/api/v1/providers/{provider_id}", 200, provider_id=expert_id)
    assert labelled["label"]["is_active"] is True
    own = api.call(
        "GET",
        "/api/v1/providers/{provider_id}",
        200,
        headers=unlabelled_headers,
        provider_id=unlabelled_id,
    )
    assert own["label"] is None


def test_labels_and_decisions(app: Flask, api: Api) -> None:
    """Do an application, an admin's decision and the system's (an expiry) read as documented?"""
    with app.app_context():
        admin_account = admin_user(db.session)
        admin = bearer_for(admin_account)
        provider = bearer_for(provider_user(db.session))
        lapsed_user = provider_user(db.session, name="Agence Expirée")
        lapsed = approved_label(db.session, lapsed_user, admin_account)
        expire_lapsed_labels(db.session, LogMailer(), date.today() + timedelta(days=400))
        lapsed_id = lapsed.id
        db.session.commit()

    label = api.call("POST", "/api/v1/labels", 201, headers=provider, json=application_body())
    assert label["decided_at"] is None and label["valid_until"] is None
    decision = api.call(
        "POST",
        "/api/v1/labels/{label_id}/decisions",
        201,
        headers=admin,
        json={"decision": "approve", "reason": "Dossier complet"},
        label_id=label["id"],
    )
    assert decision["actor"] is not None and decision["valid_until"] is not None
    one = "/api/v1/labels/{label_id}"
    assert api.call("GET", one, 200, headers=provider, label_id=label["id"])["is_active"]
    expired = api.call("GET", one, 200, headers=admin, label_id=lapsed_id)
    assert expired["status"] == "expired" and expired["decisions"][-1]["actor"] is None
    queue = api.call("GET", "/api/v1/labels", 200, headers=admin)
    assert {item["id"] for item in queue["items"]} == {label["id"], lapsed_id}


def test_questionnaire_and_diagnoses(app: Flask, api: Api) -> None:
    """Do the questionnaire, a diagnosis and what it recommends read as documented?"""
    questionnaire = api.call("GET", "/api/v1/questionnaire", 200)
    with app.app_context():
        headers = bearer_for(company_user(db.session, department="69"))
        db.session.commit()
    diagnosis = api.call(
        "POST",
        "/api/v1/diagnoses",
        201,
        headers=headers,
        json={"answers": lowest_answers(questionnaire)},
    )
    need = diagnosis["needs"][0]["need"]
    with app.app_context():  # an offer and an advisor for the first need, to recommend
        admin = admin_user(db.session)
        expert = provider_user(db.session, name="Agence à distance")
        approved_label(db.session, expert, admin, (need,))
        volunteer = provider_user(db.session, kind="volunteer", name="Bénévole à distance")
        approved_label(db.session, volunteer, admin, (need,))
        assert expert.provider is not None
        data = OfferData(
            title="Accompagnement à distance",
            summary="Un accompagnement à distance, étape par étape.",
            category=need,
            needs=(need,),
            price_excl_vat_cents=90_000,
            pricing_unit="per_day",
            delivery_mode="remote",
        )
        offer = create_offer(db.session, expert, expert.provider, data)
        publish_offer(db.session, expert, offer, date.today())
        db.session.commit()
        process_outbox(
            db.session(), app.extensions["search"], date.today(), loader=CatalogueLoader()
        )
        db.session.commit()

    one = "/api/v1/diagnoses/{diagnosis_id}"
    api.call("GET", one, 200, headers=headers, diagnosis_id=diagnosis["id"])
    page = api.call("GET", "/api/v1/diagnoses", 200, headers=headers)
    assert [item["id"] for item in page["items"]] == [diagnosis["id"]]
    recommended = api.call(
        "GET", one + "/recommendations", 200, headers=headers, diagnosis_id=diagnosis["id"]
    )
    first = recommended["needs"][0]
    assert first["offers"] and first["advisors"]


def test_programmes(app: Flask, api: Api) -> None:
    """Does a programme read as documented when created, changed, listed and refused, with its
    nullable caps and dates both set and null?"""
    with app.app_context():
        admin = bearer_for(admin_user(db.session))
        db.session.commit()
    open_ended = api.call(
        "POST",
        "/api/v1/programmes",
        201,
        headers=admin,
        json={"funder": "state", "code": "france-num", "name": "France Num", "rate_bp": 5000},
    )
    assert open_ended["budget_cents"] is None and open_ended["valid_from"] is None
    one = "/api/v1/programmes/{code}"
    changed = api.call(
        "PATCH",
        one,
        200,
        headers=admin,
        json={
            "budget_cents": 6_000_000,
            "cap_per_booking_cents": 250_000,
            "cap_per_company_cents": 500_000,
            "valid_from": "2026-01-01",
            "valid_to": "2026-12-31",
            "max_aid_intensity_bp": 8000,
            "regions": ["75"],
        },
        code="france-num",
    )
    assert changed["valid_to"] == "2026-12-31" and changed["regions"] == ["75"]
    assert api.call("GET", one, 200, code="france-num") == changed
    listed = api.call("GET", "/api/v1/programmes", 200, query={"region": "75"})
    assert [item["code"] for item in listed["items"]] == ["france-num"]
    api.call("GET", one, 404, code="inconnu")
    taken = {"funder": "eu", "code": "france-num", "name": "Autre", "rate_bp": 100}
    assert api.call("POST", "/api/v1/programmes", 409, headers=admin, json=taken)["errors"]
    api.call("POST", "/api/v1/programmes", 422, headers=admin, json={"rate_bp": 0})
    api.call("PATCH", one, 401, json={}, code="france-num")


def test_bookings(app: Flask, api: Api) -> None:
    """Does a booking read as documented in each state it goes through, with its refusals
    (a skipped state lists the allowed transitions, a stale split sends the new one)?"""
    with app.app_context():
        admin = admin_user(db.session)
        expert = provider_user(db.session)
        offer_id = published_offer(db.session, expert, admin).id
        programme(db.session, admin, budget_cents=300_000)
        provider, company = bearer_for(expert), bearer_for(company_user(db.session))
        db.session.commit()
    asked = api.call("POST", "/api/v1/bookings", 201, headers=company, json={"offer_id": offer_id})
    one = "/api/v1/bookings/{booking_id}"
    skipped = api.call("POST", one + "/confirm", 409, headers=company, booking_id=asked["id"])
    assert skipped["allowed"] == ["cancel"]
    quote = {"quantity": 1, "start": "2030-03-01", "end": "2030-03-31", "note": "Devis"}
    api.call(
        "POST", one + "/propose_quote", 200, headers=provider, json=quote, booking_id=asked["id"]
    )
    seen = api.call("GET", one, 200, headers=company, booking_id=asked["id"])
    stale = {"expected_company_share_cents": 1}
    changed = api.call(
        "POST", one + "/accept", 409, headers=company, json=stale, booking_id=asked["id"]
    )
    assert changed["split"] == seen["current_split"]
    share = {"expected_company_share_cents": seen["current_split"]["company_share_cents"]}
    api.call("POST", one + "/accept", 200, headers=company, json=share, booking_id=asked["id"])
    api.call("GET", "/api/v1/bookings", 200, headers=provider)
    messages = one + "/messages"
    api.call("POST", messages, 201, headers=company, json={"body": "Merci"}, booking_id=asked["id"])
    api.call("GET", messages, 200, headers=provider, booking_id=asked["id"])
    api.call("GET", one, 404, headers=provider, booking_id=asked["id"] + 1)
    declaration = {"granted_on": "2026-01-15", "amount_cents": 100_000, "funder": "Région"}
    api.call("POST", "/api/v1/me/de-minimis/declarations", 201, headers=company, json=declaration)
    ledger = api.call("GET", "/api/v1/me/de-minimis", 200, headers=company)
    assert ledger["entries"][0]["declared_aid_id"] is not None


def test_invoices_and_credit_notes(app: Flask, api: Api) -> None:
    """Do an invoice and its credit note read as documented, issued, listed and refused; and
    do the PDF operations answer the content type the document gives them?"""
    with app.app_context():
        admin = admin_user(db.session)
        expert = provider_user(db.session)
        company = company_user(db.session)
        programme(db.session, admin, budget_cents=10**9)
        offer = published_offer(db.session, expert, admin)
        booking_id = confirmed_booking(db.session, company, expert, offer, date.today()).id
        agreed_id = agreed_booking(db.session, company, expert, offer, date.today()).id
        provider, buyer = bearer_for(expert), bearer_for(company)
        db.session.commit()
    invoices = "/api/v1/invoices"
    body = {"booking_id": agreed_id}
    api.call("POST", invoices, 409, headers=provider, json=body)
    invoice = api.call("POST", invoices, 201, headers=provider, json={"booking_id": booking_id})
    assert invoice["credit_note_id"] is None and invoice["subsidies"]
    api.call("POST", invoices, 409, headers=provider, json={"booking_id": booking_id})
    api.call("POST", invoices, 403, headers=buyer, json={"booking_id": booking_id})
    listed = api.call("GET", invoices, 200, headers=buyer, query={"status": "issued"})
    assert [item["id"] for item in listed["items"]] == [invoice["id"]]
    one = invoices + "/{invoice_id}"
    api.call("GET", one, 200, headers=buyer, invoice_id=invoice["id"])
    note = api.call(
        "POST",
        one + "/credit-notes",
        201,
        headers=provider,
        json={"reason": "Erreur de quantité"},
        invoice_id=invoice["id"],
    )
    api.call(
        "POST",
        one + "/credit-notes",
        409,
        headers=provider,
        json={"reason": "Bis"},
        invoice_id=invoice["id"],
    )
    cancelled = api.call("GET", one, 200, headers=buyer, invoice_id=invoice["id"])
    assert cancelled["credit_note_id"] == note["id"] and cancelled["cancelled_at"] is not None
    api.call(
        "GET",
        "/api/v1/credit-notes/{credit_note_id}",
        200,
        headers=buyer,
        credit_note_id=note["id"],
    )
    api.call("GET", one, 404, headers=buyer, invoice_id=invoice["id"] + 1)
    for path, ids in (
        (one + "/pdf", {"invoice_id": invoice["id"]}),
        ("/api/v1/credit-notes/{credit_note_id}/pdf", {"credit_note_id": note["id"]}),
    ):
        response = api.client.get(path.format(**ids), headers=buyer)
        documented = api.document["paths"][path]["get"]["responses"]["200"]["content"]
        assert response.status_code == 200 and response.mimetype in documented
        assert response.data.startswith(b"%PDF")


def test_error_bodies(app: Flask, api: Api) -> None:
    """Does every kind of error (the handler's, webargs', the services') send the documented
    error body?"""
    with app.app_context():
        admin = admin_user(db.session)
        expert = provider_user(db.session)
        approved_label(db.session, expert, admin)
        headers, company = bearer_for(expert), bearer_for(company_user(db.session))
        applicant = bearer_for(provider_user(db.session, name="Nouvelle Agence"))
        db.session.commit()
    offer = "/api/v1/offers/{offer_id}"
    missing = api.call("GET", offer, 404, offer_id=999_999)
    assert missing["code"] == 404 and "errors" not in missing
    api.call("GET", "/api/v1/me", 401)
    api.call("POST", "/api/v1/offers", 403, headers=company, json=offer_body())
    # webargs: the body's shape, the query's; the service's own field rules
    refused = api.call("POST", "/api/v1/offers", 422, headers=headers, json={"title": 1})
    assert set(refused["errors"]["json"]) >= {"title", "summary"}
    api.call("GET", "/api/v1/offers", 422, query={"page": 0})
    unproven = application_body(similar_projects_turnover_cents=0, references=[])
    ruled = api.call("POST", "/api/v1/labels", 422, headers=applicant, json=unproven)
    assert "references" in ruled["errors"]["json"]
    api.call("POST", "/api/v1/offers", 400, headers=headers, data="{not json")
    created = api.call("POST", "/api/v1/offers", 201, headers=headers, json=offer_body())
    api.call("POST", offer + "/publish", 200, headers=headers, offer_id=created["id"])
    conflict = api.call("POST", offer + "/publish", 409, headers=headers, offer_id=created["id"])
    assert conflict["message"]


# --- The schemas themselves ----------------------------------------------------------------


def response_components(document: dict[str, Any]) -> set[str]:
    """The component schemas a response (success or error) refers to, directly or not."""
    roots = [
        response
        for item in document["paths"].values()
        for operation in item.values()
        if isinstance(operation, dict) and "responses" in operation
        for response in operation["responses"].values()
    ]
    found: set[str] = set()
    pending = [resolve(document, response) for response in roots]
    while pending:
        node = pending.pop()
        if isinstance(node, list):
            pending.extend(node)
        elif isinstance(node, dict):
            ref = node.get("$ref", "")
            if ref.startswith(SCHEMAS) and ref[len(SCHEMAS) :] not in found:
                found.add(ref[len(SCHEMAS) :])
                pending.append(resolve(document, node))
            pending.extend(value for key, value in node.items() if key != "$ref")
    return found


def test_response_schemas_are_all_checked(client: FlaskClient) -> None:
    """Are the components found by walking the responses the ones this module expects?"""
    names = response_components(openapi(client))
    assert {"User", "Offer", "Label", "Diagnosis", "SearchHit", "Error"} <= names
    assert not names & {"OfferCreate", "LabelApplication", "PaginationMetadata"}


def test_every_response_property_is_required(client: FlaskClient) -> None:
    """Does every response schema list each of its properties as required, but the few a
    body may leave out (each for a reason)?"""
    document = openapi(client)
    schemas = document["components"]["schemas"]
    optional = {
        (name, prop)
        for name in response_components(document)
        for prop in schemas[name].get("properties", {})
        if prop not in schemas[name].get("required", [])
    }
    assert optional == set(OPTIONAL)


def is_nullable(prop: dict[str, Any]) -> bool:
    types = prop.get("type", [])
    return "null" in types or {"type": "null"} in prop.get("anyOf", [])


def test_only_what_can_be_null_is_nullable(client: FlaskClient) -> None:
    """Is a property nullable in the document exactly when the server may send null?"""
    document = openapi(client)
    schemas = document["components"]["schemas"]
    nullable = {
        name: props
        for name in response_components(document)
        if (
            props := {
                prop
                for prop, spec in schemas[name].get("properties", {}).items()
                if is_nullable(spec)
            }
        )
    }
    assert nullable == NULLABLE


def test_errors_are_documented_with_the_body_we_send(client: FlaskClient) -> None:
    """Does every error response refer to our Error schema: code, status, message, errors?"""
    document = openapi(client)
    for name, response in document["components"]["responses"].items():
        if "content" in response:
            assert response["content"]["application/json"]["schema"] == {
                "$ref": SCHEMAS + "Error"
            }, name
    error = document["components"]["schemas"]["Error"]
    assert {prop: spec["type"] for prop, spec in error["properties"].items()} == {
        "code": "integer",
        "status": "string",
        "message": "string",
        "errors": "object",
        "allowed": "array",
        "split": "object",
    }
    assert sorted(error["required"]) == ["code", "message", "status"]
    assert error["additionalProperties"] is False
