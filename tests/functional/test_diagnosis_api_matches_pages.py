"""The same answers give the same diagnosis through the pages and through the API."""

from __future__ import annotations

import random

from flask import Flask
from sqlalchemy import select

from marketplace.diagnosis.models import Diagnosis
from marketplace.diagnosis.questionnaire import MULTI, SCALE, SINGLE
from marketplace.extensions import db
from tests.factories import PASSWORD, login
from tests.functional.test_diagnosis_pages import make_company, questionnaire, take_all


def mixed_answers(seed: int) -> dict[str, object]:
    """Answers spread over every level, so scores are not just 0 or 100."""
    rng = random.Random(seed)
    answers: dict[str, object] = {}
    for q in questionnaire().questions:
        if q.type == SCALE:
            answers[q.id] = rng.randint(0, 5)
        elif q.type == SINGLE:
            answers[q.id] = rng.choice(q.options).value
        elif q.type == MULTI:
            combinable = [o.value for o in q.options if not o.exclusive]
            answers[q.id] = rng.sample(combinable, rng.randint(1, len(combinable)))
        else:
            answers[q.id] = rng.choice(["no", "partially", "yes"])
    return answers


def test_pages_and_api_agree(app: Flask) -> None:
    answers = mixed_answers(2026)
    through_pages, through_api = app.test_client(), app.test_client()
    login(through_pages, make_company(app))
    take_all(through_pages, answers)

    api_email = make_company(app)
    token = through_api.post(
        "/api/v1/auth/tokens", json={"email": api_email, "password": PASSWORD}
    ).get_json()["token"]
    response = through_api.post(
        "/api/v1/diagnoses",
        json={"answers": answers},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 201, response.get_json()

    with app.app_context():
        ui, api = db.session.scalars(select(Diagnosis).order_by(Diagnosis.id)).all()
        assert 0 < ui.overall_score < 100
        assert ui.dimension_scores == api.dimension_scores
        assert (ui.overall_score, ui.band) == (api.overall_score, api.band)
        assert ui.needs == api.needs
        assert ui.answers == api.answers
