"""Scoring and needs are pure functions: checked on a small questionnaire and on the real one."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from marketplace.diagnosis.needs import PRIORITY_RANK, Rule, load_rules, rank_needs
from marketplace.diagnosis.questionnaire import (
    MULTI,
    SCALE,
    SINGLE,
    TRISTATE,
    Question,
    Questionnaire,
    QuestionnaireError,
    answer_problems,
    load_questionnaire,
    parse_questionnaire,
)
from marketplace.diagnosis.scoring import question_ratio, round_half_up, score

T = {"fr": "texte", "en": "text"}
DIMENSIONS = ("strategy", "readiness", "human", "data", "automation", "green")


def option(value: str, points: int, exclusive: bool = False) -> dict[str, Any]:
    return {"value": value, "label": T, "points": points, "exclusive": exclusive}


def small_questionnaire() -> dict[str, Any]:
    """Two questions per dimension, every type represented, weights 1 to 3."""
    kinds = [
        {"type": SINGLE, "options": [option("none", 0), option("some", 1), option("all", 3)]},
        {
            "type": MULTI,
            "max_points": 3,
            "options": [option("a", 1), option("b", 2), option("c", 2), option("none", 0, True)],
        },
        {"type": SCALE},
        {"type": TRISTATE},
    ]
    questions = []
    for i, dimension in enumerate(DIMENSIONS):
        for j in range(2):
            kind = kinds[(i + j) % len(kinds)]
            questions.append(
                {
                    "id": f"q_{dimension}_{j}",
                    "dimension": dimension,
                    "weight": 1 + (i + j) % 3,
                    "text": T,
                    "help": T,
                    **kind,
                }
            )
    return {
        "version": 99,
        "title": T,
        "dimensions": [{"code": d, "title": T} for d in DIMENSIONS],
        "bands": [
            {"code": "basic", "min": 0, "max": 25, "title": T, "narrative": T},
            {"code": "average", "min": 26, "max": 50, "title": T, "narrative": T},
            {"code": "moderate", "min": 51, "max": 70, "title": T, "narrative": T},
            {"code": "advanced", "min": 71, "max": 100, "title": T, "narrative": T},
        ],
        "questions": questions,
    }


SMALL = parse_questionnaire(small_questionnaire())
REAL = load_questionnaire()
QUESTIONNAIRES = [SMALL, REAL]


def answer_strategy(question: Question) -> st.SearchStrategy[Any]:
    if question.type == SCALE:
        return st.integers(0, 5)
    if question.type == TRISTATE:
        return st.sampled_from(["no", "partially", "yes"])
    values = [o.value for o in question.options if not o.exclusive]
    if question.type == SINGLE:
        return st.sampled_from(values)
    exclusive = [[o.value] for o in question.options if o.exclusive]
    subsets = st.lists(st.sampled_from(values), unique=True)
    return st.one_of(subsets, st.sampled_from(exclusive)) if exclusive else subsets


def answers_for(questionnaire: Questionnaire) -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries({q.id: answer_strategy(q) for q in questionnaire.questions})


def valid_answers() -> st.SearchStrategy[tuple[Questionnaire, dict[str, Any]]]:
    return st.sampled_from(QUESTIONNAIRES).flatmap(lambda q: st.tuples(st.just(q), answers_for(q)))


@settings(max_examples=200)
@given(valid_answers())
def test_scores_stay_in_bounds_and_band_matches(case: tuple[Questionnaire, dict[str, Any]]) -> None:
    questionnaire, answers = case
    assert answer_problems(questionnaire, answers) == {}
    result = score(questionnaire, answers)
    assert set(result.dimensions) == set(DIMENSIONS)
    assert all(0 <= s <= 100 for s in result.dimensions.values())
    assert 0 <= result.overall <= 100
    band = questionnaire.band_for(result.overall)
    assert result.band == band.code


@settings(max_examples=200)
@given(valid_answers(), st.data())
def test_a_better_answer_never_lowers_a_score(
    case: tuple[Questionnaire, dict[str, Any]], data: st.DataObject
) -> None:
    """Replace one answer by one at least as mature: does any score go down?"""
    questionnaire, answers = case
    question = data.draw(st.sampled_from(questionnaire.questions))
    other = data.draw(answer_strategy(question))
    worse, better = sorted([answers[question.id], other], key=lambda a: question_ratio(question, a))
    low = score(questionnaire, {**answers, question.id: worse})
    high = score(questionnaire, {**answers, question.id: better})
    assert all(high.dimensions[d] >= low.dimensions[d] for d in DIMENSIONS)
    assert high.overall >= low.overall


@given(valid_answers())
def test_same_answers_same_result(case: tuple[Questionnaire, dict[str, Any]]) -> None:
    questionnaire, answers = case
    reordered = {k: list(reversed(v)) if isinstance(v, list) else v for k, v in answers.items()}
    assert score(questionnaire, answers) == score(questionnaire, reordered)


@pytest.mark.parametrize("questionnaire", QUESTIONNAIRES, ids=["small", "v1"])
def test_extremes(questionnaire: Questionnaire) -> None:
    """Least mature answers everywhere give 0 and 'basic'; most mature give 100 and 'advanced'."""

    def extreme(best: bool) -> dict[str, Any]:
        answers: dict[str, Any] = {}
        for q in questionnaire.questions:
            if q.type == SCALE:
                answers[q.id] = 5 if best else 0
            elif q.type == TRISTATE:
                answers[q.id] = "yes" if best else "no"
            elif q.type == SINGLE:
                pick = max if best else min
                answers[q.id] = pick(q.options, key=lambda o: o.points).value
            else:
                answers[q.id] = [o.value for o in q.options if not o.exclusive] if best else []
        return answers

    low, high = score(questionnaire, extreme(False)), score(questionnaire, extreme(True))
    assert (low.overall, low.band) == (0, "basic")
    assert set(low.dimensions.values()) == {0}
    assert (high.overall, high.band) == (100, "advanced")


def test_weights_and_rounding() -> None:
    """Readiness has weights 2 and 3: the heavy question alone at its best gives 3/5 = 60 %."""
    questionnaire = SMALL
    lowest = {SCALE: 0, TRISTATE: "no", SINGLE: "none", MULTI: []}
    answers = {q.id: lowest[q.type] for q in questionnaire.questions}
    light, heavy = questionnaire.questions_of("readiness")
    assert (light.weight, heavy.weight) == (2, 3)
    answers[heavy.id] = 5 if heavy.type == SCALE else "yes"
    assert score(questionnaire, answers).dimensions["readiness"] == 60
    assert round_half_up(Fraction(5, 2)) == 3 and round_half_up(Fraction(249, 100)) == 2


def test_answer_problems_name_the_question() -> None:
    questionnaire = SMALL
    multi = next(q for q in questionnaire.questions if q.type == MULTI)
    scale = next(q for q in questionnaire.questions if q.type == SCALE)
    single = next(q for q in questionnaire.questions if q.type == SINGLE)
    tristate = next(q for q in questionnaire.questions if q.type == TRISTATE)
    problems = answer_problems(
        questionnaire,
        {
            "nope": "x",
            multi.id: ["a", "none"],
            scale.id: True,
            single.id: "everything",
            tristate.id: "maybe",
        },
        complete=False,
    )
    assert set(problems) == {"nope", multi.id, scale.id, single.id, tristate.id}
    missing = answer_problems(questionnaire, {})
    assert set(missing) == {q.id for q in questionnaire.questions}
    assert answer_problems(questionnaire, {}, complete=False) == {}


def test_malformed_questionnaires_are_refused() -> None:
    raw = small_questionnaire()
    raw["questions"][0]["options"][0]["points"] = 1  # no 0-point option in a single question
    raw["bands"][1]["min"] = 30  # gap between bands
    with pytest.raises(QuestionnaireError) as error:
        parse_questionnaire(raw)
    assert "0 points" in str(error.value) and "bands" in str(error.value)


def test_needs_are_ranked_by_priority_then_taxonomy() -> None:
    questionnaire = SMALL
    q = questionnaire.questions[0]
    rules = (
        Rule("r1", "marketing", "low", {"question": q.id, "in": ["none"]}, T),
        Rule("r2", "crm", "high", {"dimension": "data", "below": 50}, T),
        Rule("r3", "marketing", "medium", {"any": [{"dimension": "green", "below": 10}]}, T),
        Rule("r4", "online-presence", "high", {"all": [{"question": q.id, "in": ["none"]}]}, T),
        Rule("r5", "export", "high", {"question": q.id, "in": ["all"]}, T),
    )
    answers = {q.id: "none"}
    needs = rank_needs(rules, answers, dict.fromkeys(DIMENSIONS, 0))
    assert [(n.code, n.priority) for n in needs] == [
        ("online-presence", "high"),
        ("crm", "high"),
        ("marketing", "medium"),
    ]
    assert [r["rule"] for r in needs[2].reasons] == ["r1", "r3"]


@settings(max_examples=100)
@given(answers_for(REAL))
def test_real_rules_give_each_need_once_in_priority_order(answers: dict[str, Any]) -> None:
    result = score(REAL, answers)
    needs = rank_needs(load_rules(REAL.version), answers, result.dimensions)
    codes = [n.code for n in needs]
    assert len(codes) == len(set(codes))
    ranks = [PRIORITY_RANK[n.priority] for n in needs]
    assert ranks == sorted(ranks, reverse=True)
    assert all(n.reasons for n in needs)
