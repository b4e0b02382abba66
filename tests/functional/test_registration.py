"""Registration and login through the pages."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from marketplace.accounts.models import Company, Provider, User
from marketplace.extensions import db
from marketplace.identifiers import french_vat_number, make_siren, make_siret
from tests.factories import PASSWORD, company_user, login


def company_form(**overrides: str) -> dict[str, str]:
    data = {
        "full_name": "Anne Martin",
        "email": "anne@boulangerie-martin.fr",
        "password": PASSWORD,
        "password_confirm": PASSWORD,
        "company_name": "Boulangerie Martin",
        "siren": "732 829 320",
        "size_band": "3-9",
        "naf_code": "1071C",
        "department_code": "69",
    }
    data.update(overrides)
    return data


def count(app: Flask, model: type) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model)) or 0


def test_company_registers_and_lands_on_its_self_diagnosis(
    app: Flask, client: FlaskClient
) -> None:
    """Can a company sign up with a spaced SIREN and a NAF code without its dot, and does it
    land on its first step, the self-diagnosis (not on API tokens)?"""
    response = client.post("/register/company", data=company_form())
    assert response.status_code == 302 and response.headers["Location"].endswith("/diagnosis/")
    assert client.get("/diagnosis/").status_code == 200
    page = client.get("/account/").get_data(as_text=True)
    assert "Boulangerie Martin" in page and "732829320" in page and "10.71C" in page
    assert '<details class="panel" id="api-tokens">' in page  # folded: an advanced section
    with app.app_context():
        company = db.session.scalar(select(Company))
        assert company is not None and company.region.code == "84"


def test_wrong_siren_is_a_field_error_and_stores_nothing(app: Flask, client: FlaskClient) -> None:
    """Does a SIREN with a bad check digit show next to its field, with nothing saved?"""
    response = client.post("/register/company", data=company_form(siren="732829321"))
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert 'id="siren-error"' in page
    assert count(app, User) == 0 and count(app, Company) == 0


def test_every_bad_field_is_reported_at_once(app: Flask, client: FlaskClient) -> None:
    """Are a bad email, a short password, a bad NAF code all reported together?"""
    response = client.post(
        "/register/company",
        data=company_form(
            email="not-an-email", password="short", password_confirm="short", naf_code="ABC"
        ),
    )
    page = response.get_data(as_text=True)
    for field in ("email", "password", "naf_code"):
        assert f'id="{field}-error"' in page, field
    assert count(app, User) == 0


def test_duplicate_email_is_refused(app: Flask, client: FlaskClient) -> None:
    with app.app_context():
        company_user(db.session, email="anne@boulangerie-martin.fr")
        db.session.commit()
    response = client.post("/register/company", data=company_form(siren=make_siren(77)))
    assert 'id="email-error"' in response.get_data(as_text=True)
    assert count(app, Company) == 1


def test_provider_with_vat_of_another_company_is_refused(app: Flask, client: FlaskClient) -> None:
    """Is a VAT number whose SIREN differs from the SIRET's refused?"""
    siren = make_siren(5)
    data = {
        "full_name": "Paul Le Gall",
        "email": "paul@atelier.bzh",
        "password": PASSWORD,
        "password_confirm": PASSWORD,
        "provider_name": "Atelier Numérique Breton",
        "kind": "expert",
        "siret": make_siret(siren, 12),
        "vat_number": french_vat_number(make_siren(6)),
        "department_code": "35",
        "languages": ["fr"],
    }
    response = client.post("/register/provider", data=data)
    assert 'id="vat_number-error"' in response.get_data(as_text=True)
    assert count(app, Provider) == 0
    data["vat_number"] = french_vat_number(siren)
    response = client.post("/register/provider", data=data, follow_redirects=True)
    assert response.status_code == 200
    assert count(app, Provider) == 1


def test_login_logout(app: Flask, client: FlaskClient) -> None:
    with app.app_context():
        company_user(db.session, email="anne@example.fr")
        db.session.commit()
    assert client.get("/account/").status_code == 302
    bad = login(client, "anne@example.fr", "wrong-password")
    assert "Wrong email address or password" in bad.get_data(
        as_text=True
    ) or "incorrect" in bad.get_data(as_text=True)
    assert login(client, "ANNE@example.fr").status_code == 302
    assert client.get("/account/").status_code == 200
    client.post("/logout")
    assert client.get("/account/").status_code == 302
