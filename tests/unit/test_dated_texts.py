"""Texts about dated facts read right on any day: before, on and after their dates."""

from __future__ import annotations

from datetime import date

import pytest
from flask import Flask
from flask.testing import FlaskClient

from marketplace.diagnosis.needs import load_rules
from marketplace.diagnosis.questionnaire import as_of, load_questionnaire, localized
from marketplace.extensions import db
from tests.factories import company_user, login
from tests.functional.test_diagnosis_pages import answers

TEXT = {
    "fr": "Vous devrez recevoir des factures électroniques dès septembre 2026.",
    "en": "You will have to receive electronic invoices from September 2026.",
    "after": {
        "2027-09-01": {
            "fr": "Obligatoire depuis 2026 et 2027.",
            "en": "Mandatory since 2026, 2027.",
        },
        "2026-09-01": {"fr": "Obligatoire depuis septembre 2026.", "en": "Mandatory since 2026."},
    },
}


@pytest.mark.parametrize(
    ("day", "french"),
    [
        (date(2026, 8, 31), "Vous devrez recevoir des factures électroniques dès septembre 2026."),
        (date(2026, 9, 1), "Obligatoire depuis septembre 2026."),
        (date(2027, 9, 1), "Obligatoire depuis 2026 et 2027."),
    ],
)
def test_the_latest_variant_whose_day_has_come_is_used(day: date, french: str) -> None:
    assert localized(TEXT, "fr", day) == french
    assert set(as_of(TEXT, day)) == {"fr", "en"}


def test_a_plain_text_is_itself() -> None:
    assert as_of({"fr": "Bonjour", "en": "Hello"}) == {"fr": "Bonjour", "en": "Hello"}


def test_the_e_invoicing_texts_no_longer_speak_of_september_2026_as_to_come() -> None:
    after = date(2026, 12, 1)
    rules = {rule.id: rule for rule in load_rules(load_questionnaire().version)}
    for rule_id in ("einvoicing-not-prepared", "einvoicing-in-progress"):
        text = localized(rules[rule_id].reason, "fr", after)
        assert "depuis septembre 2026" in text and "dès septembre 2026" not in text, rule_id
        assert "avant septembre 2026" not in text
    (question,) = [q for q in load_questionnaire().questions if q.id == "einvoicing_ready"]
    assert "Depuis septembre 2026" in localized(question.help, "fr", after)


def test_result_page_and_api_word_them_for_today(app: Flask, client: FlaskClient) -> None:
    """A diagnosis stored with the variants shows today's wording, on the page and in the API."""
    from marketplace.diagnosis.operations import submit_diagnosis

    with app.app_context():
        user = company_user(db.session, "facturation@example.fr")
        diagnosis_id = submit_diagnosis(db.session, user, user.company, answers("worst")).id
        db.session.commit()
    login(client, "facturation@example.fr")
    page = client.get(f"/diagnosis/{diagnosis_id}").get_data(as_text=True)
    if date.today() >= date(2026, 9, 1):
        assert "depuis septembre 2026" in page and "dès septembre 2026" not in page
    body = client.get(f"/api/v1/diagnoses/{diagnosis_id}").get_data(as_text=True)
    assert '"after"' not in body
