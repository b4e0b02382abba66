"""Hostile or clumsy input to the API: always a documented 4xx JSON answer, never a 500."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from marketplace.accounts.models import User
from marketplace.catalog.models import Offer
from marketplace.extensions import db
from tests.conftest import make_test_app
from tests.factories import admin_user, approved_label, bearer_for, company_user, provider_user
from tests.functional.test_api_offers import body

OFFER = body()  # a valid offer, as the offer API tests send it


@pytest.fixture
def expert(app: Flask) -> dict[str, str]:
    with app.app_context():
        admin = admin_user(db.session)
        user = provider_user(db.session, regions=("53",))
        approved_label(db.session, user, admin, ("online-presence",))
        headers = bearer_for(user)
        db.session.commit()
        return headers


def offers_stored(app: Flask) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(Offer.id))) or 0


def assert_json_error(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.get_data(as_text=True)[:300]
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert body["code"] == status and body["message"]
    return body  # type: ignore[no-any-return]


def test_a_bearer_token_wins_over_the_cookies_the_client_keeps(
    app: Flask, client: FlaskClient
) -> None:
    """Does a token still work once the client holds an anonymous session cookie?"""
    with app.app_context():
        headers = bearer_for(company_user(db.session, email="anne@example.fr"))
        db.session.commit()
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    client.post("/language", data={"locale": "en"})  # the session now holds a locale
    response = client.get("/api/v1/me", headers=headers)
    assert response.status_code == 200
    assert response.get_json()["email"] == "anne@example.fr"


def test_a_wrong_token_is_refused_even_with_a_logged_in_cookie(
    app: Flask, client: FlaskClient
) -> None:
    """Does a bad token fall back to the session's user? It must not."""
    with app.app_context():
        company_user(db.session, email="anne@example.fr")
        db.session.commit()
    client.post("/login", data={"email": "anne@example.fr", "password": "correct-horse-battery"})
    assert client.get("/api/v1/me").status_code == 200
    response = client.get("/api/v1/me", headers={"Authorization": "Bearer not-a-token"})
    assert_json_error(response, 401)


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/offers/9223372036854775808",
        "/api/v1/offers/2147483648",
        "/api/v1/providers/2147483648",
        "/api/v1/labels/99999999999999999999",
    ],
)
def test_ids_beyond_the_columns_are_404(client: FlaskClient, url: str) -> None:
    assert_json_error(client.get(url), 404)


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/providers?page=9223372036854775807",
        "/api/v1/offers?page=10001",
        "/api/v1/offers?provider=2147483648",
        "/api/v1/offers?page_size=101",
        "/api/v1/search?page=99999999999999999999",
    ],
)
def test_integer_parameters_beyond_their_bounds_are_422(client: FlaskClient, url: str) -> None:
    errors = assert_json_error(client.get(url), 422)["errors"]["query"]
    assert errors


def test_a_page_that_is_not_a_number_says_so(client: FlaskClient) -> None:
    """Is `page=abc` explained as a bad integer, not as an amount in cents?"""
    body = assert_json_error(client.get("/api/v1/offers?page=abc"), 422)
    assert body["errors"]["query"]["page"] == ["Nombre entier non valide."]


@pytest.mark.parametrize("url", ["/offers/2147483648", "/providers/9223372036854775808"])
def test_pages_with_ids_beyond_the_columns_are_404(client: FlaskClient, url: str) -> None:
    assert client.get(url).status_code == 404


def test_a_huge_page_number_on_a_page_is_not_an_error(client: FlaskClient) -> None:
    response = client.get("/providers?page=99999999999999999999")
    assert response.status_code == 200


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("title", "Offre \ud800 vitrine"),  # a lone surrogate cannot be stored
        ("title", "Offre\u0000 vitrine"),
        ("title", "Offre\tvitrine"),
        ("title", "Offre \u202etirw"),  # a bidi override
        ("summary", "Un site\x85 rapide"),  # a C1 control
        ("description", "Deux lignes\u0000"),
        ("title", " Offre vitrine"),
        ("summary", ""),
    ],
)
def test_hostile_text_is_422_and_nothing_is_stored(
    app: Flask, client: FlaskClient, expert: dict[str, str], field: str, value: str
) -> None:
    response = client.post("/api/v1/offers", json={**OFFER, field: value}, headers=expert)
    body = assert_json_error(response, 422)
    assert field in body["errors"]["json"]
    assert offers_stored(app) == 0


def test_long_text_keeps_its_lines_and_text_is_stored_in_nfc(
    app: Flask, client: FlaskClient, expert: dict[str, str]
) -> None:
    body = {**OFFER, "title": "Cre\u0301ation de site", "description": "Un :\n\t- deux"}
    response = client.post("/api/v1/offers", json=body, headers=expert)
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["title"] == "Création de site"
    assert response.get_json()["description"] == "Un :\n\t- deux"


@pytest.mark.parametrize(
    "url", ["/api/v1/providers?q=%00", "/api/v1/search?q=site%00", "/api/v1/offers?category=%00"]
)
def test_nul_bytes_in_query_parameters_are_422(client: FlaskClient, url: str) -> None:
    assert_json_error(client.get(url), 422)


def test_nul_bytes_in_a_token_request_are_422(client: FlaskClient) -> None:
    response = client.post(
        "/api/v1/auth/tokens", json={"email": "a\u0000@example.fr", "password": "x" * 12}
    )
    assert_json_error(response, 422)


def test_a_body_over_the_size_limit_is_413_before_it_is_read(
    client: FlaskClient, expert: dict[str, str]
) -> None:
    big = b'{"title": "' + b"x" * (2 * 1024 * 1024) + b'"}'
    response = client.post(
        "/api/v1/offers", data=big, content_type="application/json", headers=expert
    )
    assert_json_error(response, 413)


def test_deeply_nested_json_is_400(client: FlaskClient, expert: dict[str, str]) -> None:
    response = client.post(
        "/api/v1/offers", data="[" * 100_000, content_type="application/json", headers=expert
    )
    assert_json_error(response, 400)


def test_malformed_json_is_400(client: FlaskClient, expert: dict[str, str]) -> None:
    response = client.post(
        "/api/v1/offers", data='{"title": ', content_type="application/json", headers=expert
    )
    assert_json_error(response, 400)


def test_a_body_of_another_type_is_415(client: FlaskClient, expert: dict[str, str]) -> None:
    """Is a form-encoded body refused as such, rather than as "every field is required"?"""
    response = client.post("/api/v1/offers", data={"title": "Site vitrine"}, headers=expert)
    body = assert_json_error(response, 415)
    assert "application/json" in body["message"]


def test_a_patch_without_a_body_is_refused(
    app: Flask, client: FlaskClient, expert: dict[str, str]
) -> None:
    created = client.post("/api/v1/offers", json=OFFER, headers=expert)
    assert created.status_code == 201
    response = client.patch(f"/api/v1/offers/{created.get_json()['id']}", headers=expert)
    assert_json_error(response, 422)


def test_search_validation_messages_are_french(client: FlaskClient) -> None:
    body = assert_json_error(client.get("/api/v1/search?sort=cheapest"), 422)
    assert body["errors"]["query"]["sort"][0].startswith("Choisissez")


@pytest.fixture
def fragile_app(database_url: str, search_index_path: str) -> Iterator[Flask]:
    """An app that answers unexpected errors as production does (no exception propagation)."""
    app = make_test_app(
        database_url, SEARCH_INDEX_PATH=search_index_path, PROPAGATE_EXCEPTIONS=False
    )

    @app.post("/api/v1/_break_the_session")
    def break_the_session() -> str:
        db.session.add(User(email=None))  # NOT NULL: the flush fails inside the request
        db.session.flush()
        return "unreachable"

    yield app
    with app.app_context():
        db.engine.dispose()  # its own pool: PostgreSQL connections must not outlive the test


def test_a_failed_write_comes_back_as_a_json_500(fragile_app: Flask) -> None:
    """After a failed flush, is the error still rendered (locale, user) and in JSON?"""
    with fragile_app.app_context():
        headers = bearer_for(company_user(db.session))
        db.session.commit()
    response = fragile_app.test_client().post("/api/v1/_break_the_session", headers=headers)
    body = assert_json_error(response, 500)
    assert body["message"] == "Un problème est survenu de notre côté. Veuillez réessayer plus tard."


@pytest.mark.parametrize("url", ["/providers?q=caf%00e", "/search?q=%00", "/providers?x%01=1"])
def test_page_links_with_control_characters_are_400(client: FlaskClient, url: str) -> None:
    assert client.get(url).status_code == 400


def test_a_form_with_a_nul_byte_shows_the_error_in_place_and_keeps_the_input(
    app: Flask, client: FlaskClient
) -> None:
    """Does registering with a NUL in the name say so next to the field, storing nothing?"""
    response = client.post(
        "/register/company",
        data={
            "full_name": "Anne\u0000 Martin",
            "email": "anne@example.fr",
            "password": "correct-horse-battery",
            "password_confirm": "correct-horse-battery",
            "company_name": "Boulangerie Martin",
            "siren": "732829320",
            "size_band": "3-9",
            "naf_code": "10.71C",
            "department_code": "69",
        },
    )
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Retirez les caractères de contrôle" in page
    assert "Boulangerie Martin" in page  # what was typed is still there
    with app.app_context():
        assert db.session.scalar(select(func.count(User.id))) == 0


@pytest.mark.parametrize("turnover", ["NaN", "Infinity", "1e30", "99999999999999999999"])
def test_a_label_form_with_an_absurd_turnover_says_so(
    app: Flask, client: FlaskClient, turnover: str
) -> None:
    """Do amounts beyond any column (or not numbers at all) come back as a form error?"""
    from marketplace.labels.models import Label
    from tests.factories import login

    with app.app_context():
        provider_user(db.session, email="paul@example.fr")
        db.session.commit()
    login(client, "paul@example.fr")
    response = client.post(
        "/provider/label/apply",
        data={
            "similar_projects_turnover": turnover,
            "categories": ["online-presence"],
            "sworn_statement": "y",
        },
    )
    assert response.status_code == 200
    assert 'aria-invalid="true"' in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count(Label.id))) == 0


def test_the_service_refuses_a_turnover_beyond_its_bound(app: Flask) -> None:
    from marketplace.errors import ValidationFailed
    from marketplace.labels.operations import MAX_TURNOVER_CENTS, apply_for_label
    from tests.factories import application

    with app.app_context():
        user = provider_user(db.session)
        data = application()
        data.similar_projects_turnover_cents = MAX_TURNOVER_CENTS + 1
        with pytest.raises(ValidationFailed) as refused:
            assert user.provider is not None
            apply_for_label(db.session, user, user.provider, data, date.today())
        assert "similar_projects_turnover_cents" in refused.value.errors
        db.session.rollback()


def test_registering_what_exists_is_a_409_with_the_field(client: FlaskClient) -> None:
    """Is an email already in use a conflict (409), and a bad field along with it a 422?"""
    body = {
        "email": "anne@example.fr",
        "password": "correct-horse-battery",
        "full_name": "Anne Martin",
        "company_name": "Boulangerie Martin",
        "siren": "732829320",
        "size_band": "3-9",
        "naf_code": "10.71C",
        "department_code": "69",
    }
    assert client.post("/api/v1/auth/register/company", json=body).status_code == 201
    again = client.post("/api/v1/auth/register/company", json=body)
    errors = assert_json_error(again, 409)["errors"]["json"]
    assert set(errors) == {"email", "siren"}
    worse = client.post("/api/v1/auth/register/company", json={**body, "password": body["email"]})
    assert_json_error(worse, 422)


def test_every_body_refusal_is_documented(client: FlaskClient) -> None:
    """Do operations with a JSON body list the 400, 413 and 415 they can answer?"""
    document = client.get("/api/openapi.json").get_json()
    with_body = [
        (path, method, operation)
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if isinstance(operation, dict) and "requestBody" in operation
    ]
    assert len(with_body) >= 7
    for path, method, operation in with_body:
        assert {"400", "413", "415", "422"} <= set(operation["responses"]), (method, path)
