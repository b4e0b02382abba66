"""Form markup screen readers rely on: no field is announced invalid before it is."""

from __future__ import annotations

import re

from flask import Flask
from flask.testing import FlaskClient

from marketplace.extensions import db
from tests.factories import admin_user, login, provider_user

NONE_ATTRIBUTE = re.compile(r'aria-[a-z]+="None"')


def test_untouched_fields_carry_no_aria_state(app: Flask, client: FlaskClient) -> None:
    """Does a form page leave aria-invalid and aria-describedby out until there is an error?
    (WTForms writes a None attribute as the text "None", which marks every field invalid.)"""
    for path in ("/login", "/register/company", "/register/provider", "/password/forgot"):
        html = client.get(path).get_data(as_text=True)
        assert 'name="email"' in html, path
        assert not NONE_ATTRIBUTE.search(html), path
        assert 'aria-invalid="true"' not in html, path
    with app.app_context():
        provider_user(db.session, email="formes@example.fr")
        admin_user(db.session)
        db.session.commit()
    login(client, "formes@example.fr")
    html = client.get("/provider/offers/new").get_data(as_text=True)
    assert 'name="price"' in html and not NONE_ATTRIBUTE.search(html)


def test_a_refused_field_is_announced_with_its_error(client: FlaskClient) -> None:
    html = client.post("/login", data={"email": "pas-un-email", "password": ""}).get_data(
        as_text=True
    )
    field = re.search(r'<input[^>]*name="password"[^>]*>', html)
    assert field and 'aria-invalid="true"' in field.group(0)
    assert 'aria-describedby="password-error"' in field.group(0)
