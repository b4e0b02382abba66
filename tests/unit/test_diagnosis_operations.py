"""Taking the diagnosis as services: drafts, submission, access, comparison."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from marketplace.diagnosis.comparison import compare, compare_diagnoses
from marketplace.diagnosis.models import Diagnosis, DiagnosisDraft
from marketplace.diagnosis.needs import load_rules
from marketplace.diagnosis.operations import (
    get_diagnosis,
    get_draft,
    latest_diagnosis,
    save_draft,
    submit_diagnosis,
)
from marketplace.diagnosis.questionnaire import (
    MULTI,
    SCALE,
    SINGLE,
    available_versions,
    load_questionnaire,
)
from marketplace.errors import Forbidden, NotFound, ValidationFailed
from tests.factories import company_user, provider_user

QUESTIONNAIRE = load_questionnaire()


def answers(level: str) -> dict[str, Any]:
    """Every question answered at the lowest or the highest level."""
    best = level == "best"
    result: dict[str, Any] = {}
    for q in QUESTIONNAIRE.questions:
        if q.type == SCALE:
            result[q.id] = 5 if best else 0
        elif q.type == SINGLE:
            result[q.id] = (
                max(q.options, key=lambda o: o.points).value
                if best
                else min(q.options, key=lambda o: o.points).value
            )
        elif q.type == MULTI:
            result[q.id] = [o.value for o in q.options if not o.exclusive] if best else []
        else:
            result[q.id] = "yes" if best else "no"
    return result


def test_every_shipped_version_loads_with_its_rules() -> None:
    """Can every questionnaire version ever released still be read (old diagnoses need it)?"""
    assert available_versions()[0] == 1
    for version in available_versions():
        assert load_questionnaire(version).version == version
        assert load_rules(version)


def test_draft_is_merged_page_by_page_and_checked(session: Session) -> None:
    user = company_user(session)
    first, second = QUESTIONNAIRE.questions[0], QUESTIONNAIRE.questions[-1]
    all_answers = answers("worst")
    save_draft(session, user, user.company, {first.id: all_answers[first.id]}, page=1)
    save_draft(session, user, user.company, {second.id: all_answers[second.id]}, page=5)
    draft = get_draft(session, user.company)
    assert draft is not None and draft.page == 5
    assert set(draft.answers) == {first.id, second.id}
    with pytest.raises(ValidationFailed) as error:
        save_draft(session, user, user.company, {"no_such_question": "x"}, page=2)
    assert "no_such_question" in error.value.errors
    assert get_draft(session, user.company).page == 5


def test_submission_scores_ranks_and_clears_the_draft(session: Session) -> None:
    user = company_user(session)
    save_draft(session, user, user.company, {}, page=3)
    diagnosis = submit_diagnosis(session, user, user.company, answers("worst"))
    assert diagnosis.overall_score == 0 and diagnosis.band == "basic"
    assert diagnosis.needs, "a company at zero everywhere has needs"
    assert all(n["reasons"] and n["reasons"][0]["text"]["fr"] for n in diagnosis.needs)
    assert "online-presence" in diagnosis.need_codes
    assert get_draft(session, user.company) is None


def test_incomplete_or_wrong_answers_store_nothing(session: Session) -> None:
    user = company_user(session)
    partial = answers("best")
    missing = partial.pop(QUESTIONNAIRE.questions[3].id)
    assert missing is not None
    with pytest.raises(ValidationFailed) as error:
        submit_diagnosis(session, user, user.company, partial)
    assert list(error.value.errors) == [QUESTIONNAIRE.questions[3].id]
    assert session.scalar(select(func.count(Diagnosis.id))) == 0


def test_only_members_of_the_company(session: Session) -> None:
    """Can a user submit or read a diagnosis for a company that is not theirs?"""
    owner, stranger, provider = company_user(session), company_user(session), provider_user(session)
    with pytest.raises(Forbidden):
        submit_diagnosis(session, stranger, owner.company, answers("best"))
    with pytest.raises(Forbidden):
        save_draft(session, provider, owner.company, {}, page=0)
    diagnosis = submit_diagnosis(session, owner, owner.company, answers("best"))
    with pytest.raises(NotFound):
        get_diagnosis(session, stranger, diagnosis.id)
    assert get_diagnosis(session, owner, diagnosis.id) is diagnosis


def test_second_diagnosis_shows_progress(session: Session) -> None:
    user = company_user(session)
    first = submit_diagnosis(session, user, user.company, answers("worst"))
    second = submit_diagnosis(session, user, user.company, answers("best"))
    assert latest_diagnosis(session, user.company) is second
    comparison = compare_diagnoses(second, first)  # order does not matter
    assert comparison.overall_change == 100
    assert all(comparison.delta(d.code) == 100 for d in QUESTIONNAIRE.dimensions)
    assert set(comparison.needs_met) == set(first.need_codes) - set(second.need_codes)
    assert comparison.band_before == "basic" and comparison.band_after == "advanced"


def test_comparison_across_versions_with_different_dimensions() -> None:
    """Does a future version that drops or adds a dimension still compare with an old one?"""
    result = compare(
        {"strategy": 20, "green": 10},
        15,
        "basic",
        [{"need": "green"}, {"need": "crm"}],
        {"strategy": 50, "ai_ethics": 40},
        45,
        "average",
        [{"need": "crm"}, {"need": "export"}],
    )
    assert result.dimension_changes == {
        "strategy": (20, 50),
        "green": (10, None),
        "ai_ethics": (None, 40),
    }
    assert result.delta("green") is None and result.delta("strategy") == 30
    assert (result.needs_met, result.needs_still_open, result.needs_new) == (
        ["green"],
        ["crm"],
        ["export"],
    )


def test_a_stored_draft_of_an_old_version_is_dropped(session: Session) -> None:
    user = company_user(session)
    session.add(DiagnosisDraft(company=user.company, questionnaire_version=0, answers={"x": 1}))
    session.flush()
    assert get_draft(session, user.company) is None
