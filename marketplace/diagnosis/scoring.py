"""Scores of a diagnosis: pure functions over a questionnaire and a complete set of answers.

Each question is worth a fraction of its weight (the answer's points over the question's
maximum); a dimension is the weighted share in percent, rounded half up; the overall score is
the mean of the dimensions, rounded half up. Fractions keep it exact until the final rounding,
so the same answers always give the same scores on every machine.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from marketplace.diagnosis.questionnaire import (
    MULTI,
    SCALE,
    SCALE_VALUES,
    SINGLE,
    TRISTATE,
    TRISTATE_POINTS,
    Answer,
    Question,
    Questionnaire,
)


@dataclass(frozen=True)
class Scores:
    dimensions: dict[str, int]  # code → 0..100
    overall: int  # 0..100
    band: str


def round_half_up(value: Fraction) -> int:
    return int(value + Fraction(1, 2)) if value >= 0 else -int(-value + Fraction(1, 2))


def question_ratio(question: Question, answer: Answer) -> Fraction:
    """How mature this answer is, from 0 (least) to 1 (most)."""
    if question.type == SCALE:
        assert isinstance(answer, int)
        return Fraction(answer, max(SCALE_VALUES))
    if question.type == TRISTATE:
        assert isinstance(answer, str)
        return Fraction(TRISTATE_POINTS[answer], max(TRISTATE_POINTS.values()))
    if question.type == SINGLE:
        assert isinstance(answer, str)
        option = question.option(answer)
        assert option is not None
        return Fraction(option.points, max(o.points for o in question.options))
    if question.type == MULTI:
        assert isinstance(answer, list) and question.max_points
        earned = sum(o.points for v in answer if (o := question.option(v)) is not None)
        return Fraction(min(earned, question.max_points), question.max_points)
    raise ValueError(f"unknown question type {question.type}")


def score(questionnaire: Questionnaire, answers: dict[str, Answer]) -> Scores:
    """Scores for complete, valid answers (check them first with answer_problems)."""
    dimensions = {}
    for dimension in questionnaire.dimensions:
        questions = questionnaire.questions_of(dimension.code)
        total_weight = sum(q.weight for q in questions)
        earned = sum(q.weight * question_ratio(q, answers[q.id]) for q in questions)
        dimensions[dimension.code] = round_half_up(100 * Fraction(earned) / total_weight)
    overall = round_half_up(Fraction(sum(dimensions.values()), len(dimensions)))
    return Scores(dimensions, overall, questionnaire.band_for(overall).code)
