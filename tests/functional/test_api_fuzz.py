"""Fuzz the JSON API with schemathesis: every operation, for every kind of caller.

For each caller (anonymous, company, provider, admin) schemathesis reads /api/openapi.json and
sends every operation generated requests, in-process (WSGI), checking each response with every
check `schemathesis run --checks all` runs. The world holds ids to find: a company with a
diagnosis, a labelled provider with offers in each status, a pending label application.

`API_FUZZ_EXAMPLES` sets the random examples per operation (default 10, for CI; nightly runs
use e.g. `API_FUZZ_EXAMPLES=500`). Generation is deterministic (fixed seed) and keeps no example
database, so a run can be repeated exactly and writes nothing into the repository.

A failure names the caller and the operation, the checks that failed, the response, and a curl
command that replays the request (the token shows as [Filtered]: use one of the same role).
One caller only: `pytest tests/functional/test_api_fuzz.py -k company`.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest
import schemathesis
from flask import Flask
from hypothesis import strategies as st
from sqlalchemy.orm import Session

from marketplace.accounts.models import User
from marketplace.accounts.schemas import SIRET_PATTERN, VAT_PATTERN
from marketplace.accounts.tokens import create_token
from marketplace.billing.invoices import issue_credit_note, issue_invoice
from marketplace.billing.programmes import ProgrammeData, create_programme
from marketplace.blueprints.api.programmes import EXAMPLE_CODE
from marketplace.bookings.operations import RequestData, request_booking
from marketplace.catalog.models import PricingUnit
from marketplace.catalog.operations import OfferData, archive_offer, create_offer, publish_offer
from marketplace.diagnosis.operations import submit_diagnosis
from marketplace.extensions import db, limiter
from marketplace.identifiers import (
    french_vat_number,
    make_siren,
    make_siret,
    normalize_digits,
)
from marketplace.mail import LogMailer
from tests.factories import admin_user, approved_label, company_user, pending_label, provider_user
from tests.functional.test_diagnosis_pages import answers
from tests.invoicing import confirmed_booking

pytestmark = pytest.mark.fuzz

EXAMPLES = int(os.environ.get("API_FUZZ_EXAMPLES", "10"))
SEED = 20260315

# The string formats the document declares for French identifiers: valid values, so that valid
# (positive) examples get past the check digits and on to the rest of the code.
_sirens = st.integers(min_value=0, max_value=89_999_999).map(make_siren)
schemathesis.openapi.format("siren", _sirens)
schemathesis.openapi.format(
    "siret", st.builds(make_siret, _sirens, st.integers(min_value=0, max_value=9999))
)
schemathesis.openapi.format("fr-vat", _sirens.map(french_vat_number))
# Addresses email-validator takes: the server refuses special-use domains (.test, .local, …),
# which the document says in words, and hypothesis' own emails draw them.
_labels = st.from_regex(r"[a-z0-9]([a-z0-9-]{0,10}[a-z0-9])?", fullmatch=True)
schemathesis.openapi.format(
    "email",
    st.builds(
        "{}@{}.{}".format,
        st.from_regex(r"[a-z0-9_+-]{1,20}(\.[a-z0-9_+-]{1,10})?", fullmatch=True),
        _labels,
        st.sampled_from(["fr", "com", "eu", "org", "bzh"]),
    ),
)

# Where each caller gets past authentication and authorization, so that what it sends reaches
# validation and the services. The coverage phase (boundary and invalid values of every field,
# missing fields, wrong types: a few hundred requests per operation) runs there only; elsewhere
# the answer is 401 or 403 whatever is sent, which the fuzzing phase checks for every caller.
# One caller per operation: a second one would double the time, not the bugs found.
COVERED_BY: dict[str, tuple[str, ...]] = {
    "anonymous": (
        "POST /api/v1/auth/register/company",
        "POST /api/v1/auth/register/provider",
        "POST /api/v1/auth/tokens",
        "GET /api/v1/providers",
        "GET /api/v1/providers/{provider_id}",
        "GET /api/v1/questionnaire",
        "GET /api/v1/offers",
        "GET /api/v1/offers/{offer_id}",
        "GET /api/v1/search",
        "GET /api/v1/programmes",
        "GET /api/v1/programmes/{code}",
        "GET /api/v1/reviews",
    ),
    "company": (
        "GET /api/v1/auth/tokens",
        "GET /api/v1/me",
        "POST /api/v1/diagnoses",
        "GET /api/v1/diagnoses",
        "GET /api/v1/diagnoses/{diagnosis_id}",
        "GET /api/v1/diagnoses/{diagnosis_id}/recommendations",
        "GET /api/v1/offers/{offer_id}/quote",
        "POST /api/v1/bookings",
        "GET /api/v1/bookings",
        "GET /api/v1/bookings/{booking_id}",
        "POST /api/v1/bookings/{booking_id}/cancel",
        "POST /api/v1/bookings/{booking_id}/accept",
        "POST /api/v1/bookings/{booking_id}/confirm",
        "POST /api/v1/bookings/{booking_id}/dispute",
        "GET /api/v1/bookings/{booking_id}/messages",
        "POST /api/v1/bookings/{booking_id}/messages",
        "GET /api/v1/me/de-minimis",
        "POST /api/v1/me/de-minimis/declarations",
        "DELETE /api/v1/me/de-minimis/declarations/{aid_id}",
        "GET /api/v1/invoices",
        "GET /api/v1/invoices/{invoice_id}",
        "GET /api/v1/invoices/{invoice_id}/pdf",
        "GET /api/v1/credit-notes/{credit_note_id}",
        "GET /api/v1/credit-notes/{credit_note_id}/pdf",
        "GET /api/v1/invoices/{invoice_id}/payments",
        "POST /api/v1/reviews",
    ),
    "provider": (
        "POST /api/v1/labels",
        "POST /api/v1/offers",
        "PATCH /api/v1/offers/{offer_id}",
        "POST /api/v1/offers/{offer_id}/publish",
        "POST /api/v1/offers/{offer_id}/archive",
        "POST /api/v1/bookings/{booking_id}/propose_quote",
        "POST /api/v1/bookings/{booking_id}/decline",
        "POST /api/v1/bookings/{booking_id}/mark_delivered",
        "POST /api/v1/invoices",
        "POST /api/v1/invoices/{invoice_id}/credit-notes",
        "POST /api/v1/invoices/{invoice_id}/payments",
        "GET /api/v1/claims",
        "GET /api/v1/claims/{claim_id}",
        "POST /api/v1/reviews/{review_id}/reply",
    ),
    "admin": (
        "GET /api/v1/labels",
        "GET /api/v1/labels/{label_id}",
        "POST /api/v1/labels/{label_id}/decisions",
        "POST /api/v1/programmes",
        "PATCH /api/v1/programmes/{code}",
        "POST /api/v1/bookings/{booking_id}/settle_for_provider",
        "POST /api/v1/bookings/{booking_id}/settle_for_company",
        "GET /api/v1/ledger/entries",
        "GET /api/v1/ledger/entries/{entry_id}",
        "GET /api/v1/ledger/trial-balance",
        "GET /api/v1/ledger/fec",
        "POST /api/v1/claims/{claim_id}/approve",
        "POST /api/v1/claims/{claim_id}/reject",
        "POST /api/v1/claims/{claim_id}/pay",
        "GET /api/v1/programmes/{code}/stats",
        "POST /api/v1/reviews/{review_id}/hide",
    ),
}
# Revoking the caller's own token would turn the rest of the run into 401s.
EXCLUDED = "DELETE /api/v1/auth/tokens/{token_id}"


def fuzz_config(role: str) -> schemathesis.Config:
    """The run's settings, with the keys and values of schemathesis.toml."""
    return schemathesis.Config.from_dict(
        {
            "seed": SEED,
            "generation": {
                "mode": "all",  # valid (positive) and invalid (negative) requests
                "max-examples": EXAMPLES,
                "deterministic": True,
                "database": "none",
            },
            "phases": {
                "examples": {"enabled": True},
                "coverage": {"enabled": False},  # on where the caller is let in, below
                "fuzzing": {"enabled": True},
                # The document declares no links, so a stateful run would only guess at them.
                "stateful": {"enabled": False},
            },
            "operations": [
                {"include-name": list(COVERED_BY[role]), "phases": {"coverage": {"enabled": True}}}
            ],
            "checks": {
                "enabled": True,
                # A valid request may still be refused for who calls or what the world holds:
                # no token (401), another role's operation (403), an id that does not exist or
                # that the caller may not see (404), a duplicate email or a state that forbids
                # the change (409). Not 422: what the schema calls valid, the server must take.
                # 5xx is reported by not_a_server_error; 429 cannot happen, limits are off.
                "positive_data_acceptance": {
                    "expected-statuses": ["2xx", "401", "403", "404", "409", "5xx"]
                },
            },
        }
    )


# --- The world every caller fuzzes ---------------------------------------------------------


def _offer(title: str) -> OfferData:
    return OfferData(
        title=title,
        summary="Un site vitrine rapide et adapté au mobile.",
        category="online-presence",
        needs=("online-presence",),
        price_excl_vat_cents=240_050,
        pricing_unit="fixed",
        delivery_mode="hybrid",
        regions=("53",),
    )


def build_world(session: Session) -> dict[str, User]:
    """One user per role, and ids to find: a diagnosis, two labels, an offer in each status,
    a subsidy programme (with the code the document gives as an example)."""
    admin = admin_user(session)
    company = company_user(session)
    assert company.company is not None
    submit_diagnosis(session, company, company.company, answers("worst"))
    provider = provider_user(session, regions=("53",))
    assert provider.provider is not None
    approved_label(session, provider, admin)
    pending_label(session, provider_user(session, name="Agence en attente"))
    _draft, published, archived = (
        create_offer(session, provider, provider.provider, _offer(title))
        for title in ("Site vitrine", "Boutique en ligne", "Création de logo")
    )
    published.pricing_unit = PricingUnit.PER_DAY  # booked by quantity: any 1..999 fits
    for offer in (published, archived):
        publish_offer(session, provider, offer, date.today())
    archive_offer(session, provider, archived)
    # Bookings to find, waiting for the provider's quote.
    for _ in range(2):
        request_booking(session, company, published, RequestData(), LogMailer(), date.today())
    # Invoices to find (none subsidised): one cancelled by a credit note, one issued; and a
    # booking to invoice.
    today = date.today()
    cancelled, issued, _ready = (
        confirmed_booking(session, company, provider, published, today) for _ in range(3)
    )
    issue_credit_note(
        session, provider, issue_invoice(session, provider, cancelled, today), "Erreur", today
    )
    issue_invoice(session, provider, issued, today)
    # The programme last: no booking draws on its budget, so that any change to it is valid.
    create_programme(
        session,
        admin,
        ProgrammeData(funder="state", code=EXAMPLE_CODE, name="Chèque France Num", rate_bp=5000),
    )
    return {"company": company, "provider": provider, "admin": admin}


@dataclass(frozen=True)
class Caller:
    role: str
    headers: dict[str, str]


@pytest.fixture(params=list(COVERED_BY))
def caller(request: pytest.FixtureRequest, app: Flask) -> Caller:
    """A fresh world, and who fuzzes it: a bearer token for every role but anonymous."""
    role: str = request.param
    headers: dict[str, str] = {}
    with app.app_context():
        users = build_world(db.session())
        if role != "anonymous":
            _token, raw = create_token(db.session(), users[role], "API fuzzing")
            headers["Authorization"] = f"Bearer {raw}"
        db.session.commit()
    return Caller(role, headers)


@pytest.fixture
def api_schema(
    request: pytest.FixtureRequest, app: Flask, caller: Caller, monkeypatch: pytest.MonkeyPatch
) -> Any:
    """The session's app as schemathesis sees it, rate limits off until the test ends."""
    # Thousands of requests come from one address. The limiter is one object shared by every
    # app of the session, so it is switched off here and back on by monkeypatch afterwards.
    monkeypatch.setattr(limiter, "enabled", False)
    # schemathesis 4.32 names each operation's subtest through Node._nodeid, gone in pytest 9.2.
    if not hasattr(request.node, "_nodeid"):
        request.node._nodeid = request.node.nodeid
    return schemathesis.openapi.from_wsgi("/api/openapi.json", app, config=fuzz_config(caller.role))


schema = schemathesis.pytest.from_fixture("api_schema").exclude(name=EXCLUDED)


def with_coherent_vat_number(case: schemathesis.Case) -> None:
    """Make a provider registration's VAT number the one of its SIRET's SIREN.

    The VAT key is computed from the SIREN: a rule across two fields, which the document says
    in words but JSON Schema cannot state. Only a pair that is valid field by field is made
    coherent, so an example meant to be invalid in either field stays invalid.
    """
    body = case.body
    if case.operation.label != "POST /api/v1/auth/register/provider" or not isinstance(body, dict):
        return
    siret, vat = body.get("siret"), body.get("vat_number")
    if (
        isinstance(siret, str)
        and isinstance(vat, str)
        and vat
        and re.fullmatch(SIRET_PATTERN, siret)
        and re.fullmatch(VAT_PATTERN, vat)
    ):
        body["vat_number"] = french_vat_number(normalize_digits(siret)[:9])


def with_ordered_dates(case: schemathesis.Case) -> None:
    """Put a programme's valid_from and valid_to in order when both are valid dates.

    valid_to may not be before valid_from: a rule across two fields, which the document says
    in words but JSON Schema cannot state. (The world's programme has no dates, so a change
    sending only one of them is always in order.)
    """
    body = case.body
    if not case.operation.label.endswith(
        ("POST /api/v1/programmes", "PATCH /api/v1/programmes/{code}")
    ) or not isinstance(body, dict):
        return
    start, end = body.get("valid_from"), body.get("valid_to")
    if isinstance(start, str) and isinstance(end, str):
        try:
            if date.fromisoformat(end) < date.fromisoformat(start):
                body["valid_from"], body["valid_to"] = end, start
        except ValueError:
            return  # an example meant to be invalid stays invalid


def with_dates_that_fit_today(case: schemathesis.Case) -> None:
    """Bring booking and declaration dates where the documents say they must be: a wished
    start from today on, an end not before its start, a declared grant not in the future.

    Rules relative to today or across two fields, which JSON Schema cannot state; only valid
    dates are moved, so an example meant to be invalid stays invalid.
    """
    body = case.body
    if "/bookings" not in case.operation.label and "/de-minimis" not in case.operation.label:
        return
    if not isinstance(body, dict):
        return

    def parsed(key: str) -> date | None:
        try:
            return date.fromisoformat(body[key]) if isinstance(body.get(key), str) else None
        except ValueError:
            return None

    today = date.today()
    if (start := parsed("wished_start")) is not None and start < today:
        body["wished_start"] = today.isoformat()
    if (granted := parsed("granted_on")) is not None and granted > today:
        body["granted_on"] = today.isoformat()
    for first, last in (("wished_start", "wished_end"), ("start", "end")):
        start, end = parsed(first), parsed(last)
        if start is not None and end is not None and end < start:
            body[first], body[last] = body[last], body[first]
    if (start := parsed("wished_start")) is not None and start < today:
        body["wished_start"] = today.isoformat()
        if (end := parsed("wished_end")) is not None and end < today:
            body["wished_end"] = today.isoformat()


@schema.parametrize()
def test_api_fuzz(case: schemathesis.Case, caller: Caller) -> None:
    """Does every operation answer this caller within its documented contract?"""
    with_coherent_vat_number(case)
    with_ordered_dates(case)
    with_dates_that_fit_today(case)
    case.call_and_validate(headers=caller.headers)


def test_every_operation_gets_a_coverage_run(app: Flask) -> None:
    """Is every operation of the document, new ones included, covered by one caller?"""
    document = app.test_client().get("/api/openapi.json").get_json()
    operations = {
        f"{method.upper()} {path}"
        for path, item in document["paths"].items()
        for method in item
        if method in ("get", "post", "put", "patch", "delete")
    }
    covered = [label for labels in COVERED_BY.values() for label in labels]
    assert len(covered) == len(set(covered)), "an operation is covered by two callers"
    assert operations - set(covered) - {EXCLUDED} == set(), "add them to COVERED_BY"
