"""The JSON API for the self-diagnosis: the public questionnaire and a company's diagnoses."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from marketplace.diagnosis.models import Diagnosis
from marketplace.diagnosis.needs import load_rules, rank_needs
from marketplace.diagnosis.questionnaire import (
    CURRENT_VERSION,
    as_of,
    load_questionnaire,
    normalize_answers,
)
from marketplace.diagnosis.scoring import score
from marketplace.extensions import db
from tests.factories import PASSWORD, company_user, login, provider_user

Answers = dict[str, Any]


# --- Helpers -------------------------------------------------------------------------------


def make_user(app: Flask, factory: Callable[..., Any] = company_user) -> str:
    with app.app_context():
        email = factory(db.session).email
        db.session.commit()
    return email


def bearer(client: FlaskClient, email: str) -> dict[str, str]:
    """A bearer header obtained the way API clients do: POST /api/v1/auth/tokens."""
    response = client.post("/api/v1/auth/tokens", json={"email": email, "password": PASSWORD})
    assert response.status_code == 201, response.get_json()
    return {"Authorization": f"Bearer {response.get_json()['token']}"}


def company_headers(app: Flask, client: FlaskClient) -> dict[str, str]:
    return bearer(client, make_user(app))


def stored_diagnoses(app: Flask) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Diagnosis)) or 0


def questionnaire(client: FlaskClient) -> dict[str, Any]:
    response = client.get("/api/v1/questionnaire")
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def middle_answers(doc: dict[str, Any]) -> Answers:
    """A full valid answer set built from the questionnaire itself, whatever its content."""
    answers: Answers = {}
    for q in doc["questions"]:
        if q["type"] == "single":
            answers[q["id"]] = q["options"][0]["value"]
        elif q["type"] == "multi":
            answers[q["id"]] = []
        elif q["type"] == "scale":
            answers[q["id"]] = 3
        else:
            answers[q["id"]] = "yes"
    return answers


def high_answers(doc: dict[str, Any]) -> Answers:
    """Another full valid set: last options, every combinable choice (reversed), 5, partially."""
    answers: Answers = {}
    for q in doc["questions"]:
        if q["type"] == "single":
            answers[q["id"]] = q["options"][-1]["value"]
        elif q["type"] == "multi":
            answers[q["id"]] = [o["value"] for o in reversed(q["options"]) if not o["exclusive"]]
        elif q["type"] == "scale":
            answers[q["id"]] = 5
        else:
            answers[q["id"]] = "partially"
    return answers


def first_of(doc: dict[str, Any], kind: str) -> dict[str, Any]:
    question = next((q for q in doc["questions"] if q["type"] == kind), None)
    if question is None:
        pytest.skip(f"the questionnaire has no {kind} question")
    return question


def submit(client: FlaskClient, headers: dict[str, str], answers: Answers) -> Any:
    return client.post("/api/v1/diagnoses", json={"answers": answers}, headers=headers)


# --- The questionnaire ---------------------------------------------------------------------


def test_questionnaire_is_public_with_six_dimensions_and_bilingual_texts(
    client: FlaskClient,
) -> None:
    """Can anyone read the current questionnaire, with every text in French and English?"""
    doc = questionnaire(client)
    assert doc["version"] == CURRENT_VERSION
    assert set(doc["title"]) == {"fr", "en"}
    assert [d["code"] for d in doc["dimensions"]] == [
        "strategy",
        "readiness",
        "human",
        "data",
        "automation",
        "green",
    ]
    assert 25 <= len(doc["questions"]) <= 35
    bands = sorted(doc["bands"], key=lambda b: b["min"])
    assert bands[0]["min"] == 0 and bands[-1]["max"] == 100
    assert all(b["title"]["fr"] and b["narrative"]["en"] for b in bands)
    for q in doc["questions"]:
        assert q["text"]["fr"] and q["text"]["en"], q["id"]
        assert 1 <= q["weight"] <= 3
        if q["type"] in ("single", "multi"):
            assert [o["value"] for o in q["options"]] == q["allowed_values"]
            assert all(o["label"]["fr"] and o["label"]["en"] for o in q["options"])
            assert all(set(o) == {"value", "label", "points", "exclusive"} for o in q["options"])
        if q["type"] == "multi":
            assert q["max_points"] > 0
        if q["type"] == "scale":
            assert q["options"] == [] and q["allowed_values"] == [0, 1, 2, 3, 4, 5]
        if q["type"] == "tristate":
            assert q["options"] == [] and q["allowed_values"] == ["no", "partially", "yes"]


def test_questionnaire_versions(client: FlaskClient) -> None:
    """Can old versions be asked for, and does an unknown one say so?"""
    explicit = client.get(f"/api/v1/questionnaire?version={CURRENT_VERSION}")
    assert explicit.status_code == 200
    assert explicit.get_json() == questionnaire(client)

    unknown = client.get("/api/v1/questionnaire?version=999")
    assert unknown.status_code == 404
    body = unknown.get_json()
    assert body["code"] == 404 and body["message"]

    assert client.get("/api/v1/questionnaire?version=abc").status_code == 422
    assert client.get("/api/v1/questionnaire?version=0").status_code == 422


# --- Submitting ----------------------------------------------------------------------------


@pytest.mark.parametrize("build", [middle_answers, high_answers])
def test_submission_scores_like_the_service(
    app: Flask, client: FlaskClient, build: Callable[[dict[str, Any]], Answers]
) -> None:
    """Do the same answers give, through the API, the scores and needs the service computes?"""
    headers = company_headers(app, client)
    answers = build(questionnaire(client))

    response = submit(client, headers, answers)

    assert response.status_code == 201, response.get_json()
    diagnosis = response.get_json()
    version = load_questionnaire(CURRENT_VERSION)
    normalized = normalize_answers(version, answers)
    expected = score(version, normalized)
    assert diagnosis["questionnaire_version"] == CURRENT_VERSION
    assert diagnosis["dimension_scores"] == expected.dimensions
    assert diagnosis["overall_score"] == expected.overall
    assert diagnosis["band"] == expected.band
    assert all(0 <= s <= 100 for s in diagnosis["dimension_scores"].values())
    assert 0 <= diagnosis["overall_score"] <= 100
    expected_needs = rank_needs(load_rules(CURRENT_VERSION), normalized, expected.dimensions)
    worded_today = [  # texts about dated facts are sent as worded today
        {**need, "reasons": [{**r, "text": as_of(r["text"])} for r in need["reasons"]]}
        for need in (need.as_dict() for need in expected_needs)
    ]
    assert diagnosis["needs"] == worded_today
    assert diagnosis["answers"] == normalized
    assert diagnosis["id"] and diagnosis["created_at"]
    assert stored_diagnoses(app) == 1


def _missing(doc: dict[str, Any], answers: Answers) -> str:
    qid = doc["questions"][0]["id"]
    del answers[qid]
    return qid


def _unknown(doc: dict[str, Any], answers: Answers) -> str:
    answers["no_such_question"] = "yes"
    return "no_such_question"


def _bad_choice(doc: dict[str, Any], answers: Answers) -> str:
    qid = first_of(doc, "single")["id"]
    answers[qid] = "not-an-option"
    return qid


def _scale_seven(doc: dict[str, Any], answers: Answers) -> str:
    qid = first_of(doc, "scale")["id"]
    answers[qid] = 7
    return qid


def _scale_as_text(doc: dict[str, Any], answers: Answers) -> str:
    qid = first_of(doc, "scale")["id"]
    answers[qid] = "3"
    return qid


def _bad_tristate(doc: dict[str, Any], answers: Answers) -> str:
    qid = first_of(doc, "tristate")["id"]
    answers[qid] = "maybe"
    return qid


def _exclusive_combined(doc: dict[str, Any], answers: Answers) -> str:
    question = next(
        (
            q
            for q in doc["questions"]
            if q["type"] == "multi" and any(o["exclusive"] for o in q["options"])
        ),
        None,
    )
    if question is None:
        pytest.skip("the questionnaire has no exclusive choice")
    exclusive = next(o["value"] for o in question["options"] if o["exclusive"])
    other = next(o["value"] for o in question["options"] if not o["exclusive"])
    answers[question["id"]] = [exclusive, other]
    return question["id"]


def _tristate_as_list(doc: dict[str, Any], answers: Answers) -> str:
    qid = first_of(doc, "tristate")["id"]
    answers[qid] = ["yes"]
    return qid


def _multi_unknown_choice(doc: dict[str, Any], answers: Answers) -> str:
    qid = first_of(doc, "multi")["id"]
    answers[qid] = ["not-an-option"]
    return qid


@pytest.mark.parametrize(
    "spoil",
    [
        _missing,
        _unknown,
        _bad_choice,
        _scale_seven,
        _scale_as_text,
        _bad_tristate,
        _exclusive_combined,
        _multi_unknown_choice,
        _tristate_as_list,
    ],
)
def test_faulty_answers_are_refused_by_question_and_nothing_is_stored(
    app: Flask, client: FlaskClient, spoil: Callable[[dict[str, Any], Answers], str]
) -> None:
    """Does each faulty answer come back as a 422 naming its question, with nothing stored?"""
    headers = company_headers(app, client)
    doc = questionnaire(client)
    answers = middle_answers(doc)
    qid = spoil(doc, answers)

    response = submit(client, headers, answers)

    assert response.status_code == 422, response.get_json()
    body = response.get_json()
    assert body["code"] == 422 and body["status"] == "Unprocessable Entity" and body["message"]
    faults = body["errors"]["json"]["answers"]
    assert list(faults) == [qid]
    assert faults[qid] and all(isinstance(m, str) and m for m in faults[qid])
    assert stored_diagnoses(app) == 0


def test_every_fault_is_reported_at_once(app: Flask, client: FlaskClient) -> None:
    """Does one refusal list every faulty question, so a client can fix them all?"""
    headers = company_headers(app, client)
    doc = questionnaire(client)
    answers = middle_answers(doc)
    missing = _missing(doc, answers)
    bad = _scale_seven(doc, answers)

    response = submit(client, headers, answers)

    assert response.status_code == 422
    assert set(response.get_json()["errors"]["json"]["answers"]) == {missing, bad}
    empty = submit(client, headers, {})
    assert empty.status_code == 422
    assert set(empty.get_json()["errors"]["json"]["answers"]) == {q["id"] for q in doc["questions"]}
    assert stored_diagnoses(app) == 0


@pytest.mark.parametrize(
    "body",
    [{}, {"answers": ["yes"]}, {"answers": "yes"}, {"answers": None}],
)
def test_malformed_body_is_a_422_on_answers(
    app: Flask, client: FlaskClient, body: dict[str, Any]
) -> None:
    headers = company_headers(app, client)
    response = client.post("/api/v1/diagnoses", json=body, headers=headers)
    assert response.status_code == 422, response.get_json()
    assert response.get_json()["errors"]["json"]["answers"]
    assert stored_diagnoses(app) == 0


def test_unknown_body_field_is_refused(app: Flask, client: FlaskClient) -> None:
    headers = company_headers(app, client)
    answers = middle_answers(questionnaire(client))
    response = client.post(
        "/api/v1/diagnoses", json={"answers": answers, "score": 100}, headers=headers
    )
    assert response.status_code == 422
    assert "score" in response.get_json()["errors"]["json"]
    assert stored_diagnoses(app) == 0


# --- Who may call --------------------------------------------------------------------------


def test_providers_are_forbidden(app: Flask, client: FlaskClient) -> None:
    headers = bearer(client, make_user(app, provider_user))
    answers = middle_answers(questionnaire(client))
    assert submit(client, headers, answers).status_code == 403
    assert client.get("/api/v1/diagnoses", headers=headers).status_code == 403
    assert client.get("/api/v1/diagnoses/1", headers=headers).status_code == 403
    assert stored_diagnoses(app) == 0


def test_anonymous_callers_must_log_in(app: Flask, client: FlaskClient) -> None:
    answers = middle_answers(questionnaire(client))
    for response in (
        submit(client, {}, answers),
        client.get("/api/v1/diagnoses"),
        client.get("/api/v1/diagnoses/1"),
    ):
        assert response.status_code == 401
        assert response.get_json()["code"] == 401
    assert stored_diagnoses(app) == 0


def test_a_company_reads_only_its_own_diagnoses(app: Flask, client: FlaskClient) -> None:
    """Is another company's diagnosis a 404, exactly like one that does not exist?"""
    mine, theirs = company_headers(app, client), company_headers(app, client)
    answers = middle_answers(questionnaire(client))
    created = submit(client, theirs, answers).get_json()

    assert client.get(f"/api/v1/diagnoses/{created['id']}", headers=theirs).get_json() == created
    other = client.get(f"/api/v1/diagnoses/{created['id']}", headers=mine)
    missing = client.get(f"/api/v1/diagnoses/{created['id'] + 1000}", headers=mine)
    assert other.status_code == missing.status_code == 404
    assert other.get_json() == missing.get_json()
    assert client.get("/api/v1/diagnoses", headers=mine).get_json()["items"] == []


def test_session_login_works_too(app: Flask, client: FlaskClient) -> None:
    """Can a browser session (cookie) submit and list, without a token?"""
    email = make_user(app)
    login(client, email)
    answers = middle_answers(questionnaire(client))
    assert submit(client, {}, answers).status_code == 201
    assert client.get("/api/v1/diagnoses").get_json()["pagination"]["total"] == 1


# --- Listing -------------------------------------------------------------------------------


def test_list_is_paginated_newest_first(app: Flask, client: FlaskClient) -> None:
    headers = company_headers(app, client)
    other = company_headers(app, client)
    doc = questionnaire(client)
    ids = [submit(client, headers, middle_answers(doc)).get_json()["id"] for _ in range(3)]
    submit(client, other, middle_answers(doc))

    first = client.get("/api/v1/diagnoses?page_size=2", headers=headers).get_json()
    second = client.get("/api/v1/diagnoses?page_size=2&page=2", headers=headers).get_json()

    assert first["pagination"] == {"page": 1, "page_size": 2, "total": 3, "pages": 2}
    assert second["pagination"]["page"] == 2
    assert [d["id"] for d in first["items"] + second["items"]] == list(reversed(ids))
    assert set(first["items"][0]) == {
        "id",
        "created_at",
        "questionnaire_version",
        "dimension_scores",
        "overall_score",
        "band",
        "needs",
        "answers",
    }
    too_big = client.get("/api/v1/diagnoses?page_size=101", headers=headers)
    assert too_big.status_code == 422
