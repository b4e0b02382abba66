"""The self-assessment pages: taking it page by page, resuming, results and comparisons."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from marketplace.accounts.models import User
from marketplace.accounts.service import find_user_by_email
from marketplace.diagnosis.models import Diagnosis, DiagnosisDraft
from marketplace.diagnosis.operations import submit_diagnosis
from marketplace.diagnosis.questionnaire import (
    MULTI,
    SCALE,
    SINGLE,
    TRISTATE,
    Question,
    Questionnaire,
    load_questionnaire,
)
from marketplace.extensions import db
from marketplace.resources import sync_resources
from tests.factories import (
    admin_user,
    approved_label,
    company_user,
    login,
    provider_user,
)

Answers = dict[str, Any]


def questionnaire() -> Questionnaire:
    return load_questionnaire()


def answers(level: str) -> Answers:
    """Every question answered at the lowest ("worst") or the highest ("best") level."""
    best = level == "best"
    result: Answers = {}
    for q in questionnaire().questions:
        if q.type == SCALE:
            result[q.id] = 5 if best else 0
        elif q.type == SINGLE:
            pick = max if best else min
            result[q.id] = pick(q.options, key=lambda o: o.points).value
        elif q.type == MULTI:
            exclusive = [o.value for o in q.options if o.exclusive]
            combinable = [o.value for o in q.options if not o.exclusive]
            result[q.id] = combinable if best else exclusive[:1]
        else:
            result[q.id] = "yes" if best else "no"
    return result


def questions_on(page: int) -> tuple[Question, ...]:
    q = questionnaire()
    return q.questions_of(q.dimensions[page - 1].code)


def page_form(page: int, given: Answers, action: str = "next") -> dict[str, Any]:
    """The form a browser sends for one page (checkboxes as lists, numbers as text)."""
    form: dict[str, Any] = {"action": action}
    for q in questions_on(page):
        if q.id in given:
            value = given[q.id]
            form[q.id] = value if isinstance(value, list) else str(value)
    return form


def make_company(app: Flask, **kwargs: Any) -> str:
    with app.app_context():
        email = company_user(db.session, **kwargs).email
        db.session.commit()
    return email


def draft_of(app: Flask, email: str) -> DiagnosisDraft | None:
    with app.app_context():
        user = find_user_by_email(db.session, email)
        assert user is not None and user.company is not None
        return db.session.scalar(
            select(DiagnosisDraft).where(DiagnosisDraft.company_id == user.company.id)
        )


def stored(app: Flask) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Diagnosis)) or 0


def take_all(client: FlaskClient, given: Answers) -> str:
    """Go through every page with Next; returns the URL the last page redirects to."""
    pages = len(questionnaire().dimensions)
    location = ""
    for page in range(1, pages + 1):
        assert client.get(f"/diagnosis/take/{page}").status_code == 200
        response = client.post(f"/diagnosis/take/{page}", data=page_form(page, given))
        assert response.status_code == 302, response.get_data(as_text=True)[:2000]
        location = response.headers["Location"]
        if page < pages:
            assert location.endswith(f"/diagnosis/take/{page + 1}")
    return location


def submitted(app: Flask, email: str, level: str, days_ago: int = 0) -> int:
    """A diagnosis stored through the service, dated `days_ago`."""
    with app.app_context():
        user = find_user_by_email(db.session, email)
        assert user is not None
        diagnosis = submit_diagnosis(db.session, user, user.company, answers(level))
        diagnosis.created_at = diagnosis.created_at - timedelta(days=days_ago)
        db.session.commit()
        return diagnosis.id


# --- Taking it -----------------------------------------------------------------------------


def test_company_takes_the_self_assessment_and_sees_its_result(
    app: Flask, client: FlaskClient
) -> None:
    email = make_company(app)
    login(client, email)
    overview = client.get("/diagnosis/")
    assert overview.status_code == 200
    assert 'id="start-link"' in overview.get_data(as_text=True)

    first = client.get("/diagnosis/take/1").get_data(as_text=True)
    pages = len(questionnaire().dimensions)
    assert f'<progress id="diagnosis-progress" max="{pages}" value="1"' in first
    for q in questions_on(1):
        assert f'id="{q.id}"' in first and f'name="{q.id}"' in first

    location = take_all(client, answers("worst"))

    assert re.search(r"/diagnosis/\d+$", location)
    assert stored(app) == 1 and draft_of(app, email) is None
    result = client.get(location)
    assert result.status_code == 200
    html = result.get_data(as_text=True)
    assert re.search(r'<svg class="radar-chart[^"]*" id="radar" role="img"', html)
    assert 'aria-labelledby="radar-title radar-desc"' in html and '<title id="radar-title">' in html
    assert 'id="scores-table"' in html
    for d in questionnaire().dimensions:
        assert f'data-dimension="{d.code}"' in html
    with app.app_context():
        diagnosis = db.session.scalars(select(Diagnosis)).one()
        needs = diagnosis.needs
    assert needs, "the least mature answers raise needs"
    assert f'id="need-{needs[0]["need"]}"' in html
    assert needs[0]["reasons"][0]["text"]["fr"] in html  # reasons in the reader's language
    overview = client.get("/diagnosis/").get_data(as_text=True)
    assert f"/diagnosis/{diagnosis.id}" in overview and 'id="resume-link"' not in overview


def test_english_reader_gets_the_questions_in_english(app: Flask, client: FlaskClient) -> None:
    login(client, make_company(app))
    client.post("/language", data={"locale": "en"})
    html = client.get("/diagnosis/take/1").get_data(as_text=True)
    first = questions_on(1)[0]
    assert first.text["en"].replace("'", "&#39;") in html


def test_missing_answer_is_shown_on_its_question_and_not_stored(
    app: Flask, client: FlaskClient
) -> None:
    email = make_company(app)
    login(client, email)
    given = answers("best")
    skipped = questions_on(1)[0]
    del given[skipped.id]

    response = client.post("/diagnosis/take/1", data=page_form(1, given))

    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert f'id="{skipped.id}-error"' in html
    assert f'href="#{skipped.id}"' in html  # the error summary links to the question
    others = [q for q in questions_on(1) if q.id != skipped.id]
    for q in others:  # what was checked is still checked
        assert f'id="{q.id}-error"' not in html
    draft = draft_of(app, email)
    assert draft is not None and skipped.id not in draft.answers
    assert {q.id for q in others} <= set(draft.answers)
    assert draft.page == 1
    assert stored(app) == 0


def test_checked_answers_stay_checked_after_an_error(app: Flask, client: FlaskClient) -> None:
    login(client, make_company(app))
    question = next((q for q in questions_on(1) if q.type in (SINGLE, TRISTATE, SCALE)), None)
    if question is None:
        pytest.skip("page 1 has no single-choice question")
    value = answers("best")[question.id]
    html = client.post("/diagnosis/take/1", data={"action": "next", question.id: str(value)})
    assert html.status_code == 422
    assert re.search(
        rf'id="{re.escape(question.id)}-{re.escape(str(value))}" value="[^"]*"\s+checked',
        html.get_data(as_text=True),
    )


def test_wrong_values_are_refused_on_their_question(app: Flask, client: FlaskClient) -> None:
    email = make_company(app)
    login(client, email)
    q = questionnaire()
    scale = next((x for x in q.questions if x.type == SCALE), None)
    if scale is None:
        pytest.skip("no scale question")
    page = [d.code for d in q.dimensions].index(scale.dimension) + 1
    form = page_form(page, answers("best"))
    form[scale.id] = "9"
    response = client.post(f"/diagnosis/take/{page}", data=form)
    assert response.status_code == 422
    assert f'id="{scale.id}-error"' in response.get_data(as_text=True)
    assert draft_of(app, email) is None  # a wrong value stores nothing of the page


def test_an_exclusive_choice_cannot_be_combined(app: Flask, client: FlaskClient) -> None:
    email = make_company(app)
    login(client, email)
    q = questionnaire()
    multi = next(
        (x for x in q.questions if x.type == MULTI and any(o.exclusive for o in x.options)), None
    )
    if multi is None:
        pytest.skip("no multi question with an exclusive option")
    page = [d.code for d in q.dimensions].index(multi.dimension) + 1
    form = page_form(page, answers("best"))
    form[multi.id] = [o.value for o in multi.options]  # "none" and everything else
    response = client.post(f"/diagnosis/take/{page}", data=form)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert f'id="{multi.id}-error"' in html
    draft = draft_of(app, email)
    assert draft is None or multi.id not in draft.answers


def test_stop_half_way_and_resume_at_the_saved_page(app: Flask, client: FlaskClient) -> None:
    email = make_company(app)
    login(client, email)
    given = answers("best")
    for page in (1, 2, 3):
        assert (
            client.post(f"/diagnosis/take/{page}", data=page_form(page, given)).status_code == 302
        )

    overview = client.get("/diagnosis/").get_data(as_text=True)
    assert 'id="resume-link" href="/diagnosis/take/4"' in overview
    answered = sum(len(questions_on(p)) for p in (1, 2, 3))
    assert f'value="{answered}"' in overview  # the draft's progress

    back = client.get("/diagnosis/take/2").get_data(as_text=True)
    assert back.count("checked") >= len(questions_on(2))  # earlier answers are shown again

    for page in range(4, len(questionnaire().dimensions) + 1):
        assert (
            client.post(f"/diagnosis/take/{page}", data=page_form(page, given)).status_code == 302
        )
    assert stored(app) == 1


def test_previous_saves_without_requiring_every_answer(app: Flask, client: FlaskClient) -> None:
    email = make_company(app)
    login(client, email)
    one = questions_on(2)[0]
    response = client.post(
        "/diagnosis/take/2", data=page_form(2, {one.id: answers("best")[one.id]}, "previous")
    )
    assert response.status_code == 302 and response.headers["Location"].endswith("/take/1")
    draft = draft_of(app, email)
    assert draft is not None and set(draft.answers) == {one.id} and draft.page == 1


def test_save_and_continue_later_goes_back_to_the_overview(app: Flask, client: FlaskClient) -> None:
    email = make_company(app)
    login(client, email)
    response = client.post("/diagnosis/take/3", data=page_form(3, answers("best"), "later"))
    assert response.status_code == 302 and response.headers["Location"].endswith("/diagnosis/")
    assert draft_of(app, email).page == 3


def test_skipping_pages_by_url_sends_back_to_the_first_unanswered(
    app: Flask, client: FlaskClient
) -> None:
    email = make_company(app)
    login(client, email)
    given = answers("best")
    last = len(questionnaire().dimensions)
    assert client.post("/diagnosis/take/1", data=page_form(1, given)).status_code == 302
    response = client.post(f"/diagnosis/take/{last}", data=page_form(last, given))
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/diagnosis/take/2")
    assert stored(app) == 0
    assert "flash-error" in client.get("/diagnosis/take/2").get_data(as_text=True)


def test_pages_outside_the_questionnaire_do_not_exist(app: Flask, client: FlaskClient) -> None:
    login(client, make_company(app))
    assert client.get("/diagnosis/take/0").status_code == 404
    assert client.get(f"/diagnosis/take/{len(questionnaire().dimensions) + 1}").status_code == 404


# --- Who may see what ----------------------------------------------------------------------

PAGES = ["/diagnosis/", "/diagnosis/take/1", "/diagnosis/1", "/diagnosis/compare?before=1&after=2"]


@pytest.mark.parametrize("path", PAGES)
def test_anonymous_is_sent_to_login(client: FlaskClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 302 and "/login" in response.headers["Location"]


@pytest.mark.parametrize("role", ["provider", "admin"])
def test_providers_and_admins_are_refused(app: Flask, client: FlaskClient, role: str) -> None:
    """Can a provider or an admin open or post the company's self-assessment pages?"""
    with app.app_context():
        user = provider_user(db.session) if role == "provider" else admin_user(db.session)
        email = user.email
        db.session.commit()
    login(client, email)
    for path in PAGES:
        assert client.get(path).status_code == 403, path
    assert client.post("/diagnosis/take/1", data={"action": "next"}).status_code == 403


def test_another_companys_result_is_not_found(app: Flask, client: FlaskClient) -> None:
    """Can a company read or compare another company's diagnosis by guessing its id?"""
    owner, stranger = make_company(app), make_company(app)
    theirs = submitted(app, owner, "worst", days_ago=2)
    mine_old = submitted(app, stranger, "worst", days_ago=1)
    mine = submitted(app, stranger, "best")
    login(client, stranger)
    assert client.get(f"/diagnosis/{theirs}").status_code == 404
    assert client.get(f"/diagnosis/compare?before={theirs}&after={mine}").status_code == 404
    assert client.get(f"/diagnosis/compare?before={mine_old}&after={mine}").status_code == 200
    assert client.get("/diagnosis/999999").status_code == 404


# --- Results, progress and comparison ------------------------------------------------------


def test_second_diagnosis_shows_progress_against_the_first(app: Flask, client: FlaskClient) -> None:
    email = make_company(app)
    first = submitted(app, email, "worst", days_ago=30)
    second = submitted(app, email, "best")
    login(client, email)

    html = client.get(f"/diagnosis/{second}").get_data(as_text=True)

    assert 'id="progress"' in html
    assert f"/diagnosis/compare?before={first}&amp;after={second}" in html
    assert '<span class="delta delta-up">+100</span>' in html
    first_page = client.get(f"/diagnosis/{first}").get_data(as_text=True)
    assert 'id="progress"' not in first_page


def test_compare_two_diagnoses(app: Flask, client: FlaskClient) -> None:
    email = make_company(app)
    first = submitted(app, email, "worst", days_ago=30)
    second = submitted(app, email, "best")
    login(client, email)

    overview = client.get("/diagnosis/").get_data(as_text=True)
    assert 'id="compare-form"' in overview
    assert f'name="before" value="{first}" id="before-{first}" checked' in overview
    assert f'name="after" value="{second}" id="after-{second}" checked' in overview

    # The order of the two does not matter: the older one is "before".
    for before, after in ((first, second), (second, first)):
        response = client.get(f"/diagnosis/compare?before={before}&after={after}")
        assert response.status_code == 200
        html = response.get_data(as_text=True)
        for d in questionnaire().dimensions:
            assert f'data-dimension="{d.code}"' in html
        assert "+100" in html
    with app.app_context():
        old_needs = db.session.get(Diagnosis, first).need_codes
        new_needs = db.session.get(Diagnosis, second).need_codes
    met = [n for n in old_needs if n not in new_needs]
    if met:
        section = html.split('id="needs-met"')[1].split('id="needs-open"')[0]
        assert "badge-approved" in section


@pytest.mark.parametrize(
    "query", ["", "?before=1", "?after=2", "?before=a&after=2", "?before=1&after=1"]
)
def test_compare_needs_two_ids(app: Flask, client: FlaskClient, query: str) -> None:
    login(client, make_company(app))
    response = client.get(f"/diagnosis/compare{query}")
    assert response.status_code == 400
    assert "diagnos" in response.get_data(as_text=True).lower()


def test_history_is_paginated(app: Flask, client: FlaskClient) -> None:
    email = make_company(app)
    ids = [submitted(app, email, "worst", days_ago=30 - i) for i in range(12)]
    login(client, email)
    first = client.get("/diagnosis/").get_data(as_text=True)
    assert f"/diagnosis/{ids[-1]}" in first and f'href="/diagnosis/{ids[0]}"' not in first
    assert 'rel="next"' in first
    second = client.get("/diagnosis/?page=2").get_data(as_text=True)
    assert f'href="/diagnosis/{ids[0]}"' in second


def test_result_recommends_resources_and_nearby_volunteers(app: Flask, client: FlaskClient) -> None:
    email = make_company(app, department="69")
    diagnosis_id = submitted(app, email, "worst")
    with app.app_context():
        diagnosis = db.session.get(Diagnosis, diagnosis_id)
        need = diagnosis.need_codes[0]
        sync_resources(
            db.session,
            [
                {
                    "slug": "guide-test",
                    "kind": "mooc",
                    "level": "beginner",
                    "title": "Un MOOC pour démarrer",
                    "summary": "Les bases.",
                    "publisher": "France Num",
                    "url": "https://www.francenum.gouv.fr/guide-test",
                    "needs": [need],
                }
            ],
        )
        admin = admin_user(db.session)
        volunteer: User = provider_user(
            db.session, kind="volunteer", name="Connecteur Lyonnais", department="69"
        )
        approved_label(db.session, volunteer, admin, (need,))
        expert = provider_user(db.session, kind="expert", name="Agence Experte", department="69")
        approved_label(db.session, expert, admin, (need,))
        volunteer_id = volunteer.provider.id
        db.session.commit()
    login(client, email)

    html = client.get(f"/diagnosis/{diagnosis_id}").get_data(as_text=True)

    section = html.split(f'id="need-{need}"')[1].split('<li class="need"')[0]
    assert '<a href="https://www.francenum.gouv.fr/guide-test" rel="noopener">' in section
    assert "France Num" in section
    assert f'href="/providers/{volunteer_id}"' in section
    assert "Agence Experte" not in html  # experts are not volunteer advisors


def test_nav_and_account_link_to_the_self_assessment(app: Flask, client: FlaskClient) -> None:
    login(client, make_company(app))
    assert 'href="/diagnosis/"' in client.get("/account/").get_data(as_text=True)


def test_scale_questions_offer_every_level(app: Flask, client: FlaskClient) -> None:
    """Is every level of a scale question offered, 0 to 5?"""
    login(client, make_company(app))
    q = questionnaire()
    scale = next((x for x in q.questions if x.type == SCALE), None)
    if scale is None:
        pytest.skip("no scale question")
    page = [d.code for d in q.dimensions].index(scale.dimension) + 1
    html = client.get(f"/diagnosis/take/{page}").get_data(as_text=True)
    for level in range(6):
        assert f'id="{scale.id}-{level}"' in html


def test_each_need_of_the_result_links_to_its_offers(app: Flask, client: FlaskClient) -> None:
    """The way forward sits with each need, not only at the bottom of a long page."""
    from marketplace.diagnosis.operations import submit_diagnosis

    with app.app_context():
        user = company_user(db.session, "besoins@example.fr")
        diagnosis = submit_diagnosis(db.session, user, user.company, answers("worst"))
        codes, diagnosis_id = [n["need"] for n in diagnosis.needs], diagnosis.id
        db.session.commit()
    login(client, "besoins@example.fr")
    page = client.get(f"/diagnosis/{diagnosis_id}").get_data(as_text=True)
    assert codes and all(f'href="/recommended#need-{code}"' in page for code in codes)
    recommended = client.get("/recommended").get_data(as_text=True)
    assert all(f'id="need-{code}"' in recommended for code in codes)


def test_a_retake_starts_from_the_last_answers(app: Flask, client: FlaskClient) -> None:
    """The company changes what moved, rather than answering everything again."""
    from marketplace.diagnosis.operations import submit_diagnosis

    with app.app_context():
        user = company_user(db.session, "reprise@example.fr")
        last = submit_diagnosis(db.session, user, user.company, answers("worst"))
        first_page = load_questionnaire().questions_of(load_questionnaire().dimensions[0].code)
        expected = {q.id: last.answers[q.id] for q in first_page}
        db.session.commit()
    login(client, "reprise@example.fr")
    page = client.get("/diagnosis/take/1").get_data(as_text=True)
    checked = dict(re.findall(r'name="([a-z_]+)" id="[^"]*" value="([^"]+)"\s*checked', page))
    single = {qid: value for qid, value in expected.items() if isinstance(value, str)}
    assert single and all(checked.get(qid) == value for qid, value in single.items())


def test_saving_for_later_without_an_answer_says_nothing_was_saved(client: FlaskClient, app: Flask):
    with app.app_context():
        company_user(db.session, "rien@example.fr")
        db.session.commit()
    login(client, "rien@example.fr")
    response = client.post("/diagnosis/take/1", data={"action": "later"}, follow_redirects=True)
    text = response.get_data(as_text=True)
    assert "Nothing to save yet" in text or "Rien à enregistrer" in text
    assert "answers are saved" not in text and "réponses sont enregistrées" not in text
