"""Demo self-diagnoses, so the demo companies show results (and progress) right away.

Each company's story (how mature its answers are, and when) is in `data/diagnoses.json`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from fractions import Fraction
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from marketplace.accounts.service import find_user_by_email
from marketplace.diagnosis.models import Diagnosis
from marketplace.diagnosis.operations import submit_diagnosis
from marketplace.diagnosis.questionnaire import (
    MULTI,
    SCALE,
    SINGLE,
    Questionnaire,
    load_questionnaire,
)

DATA_DIR = Path(__file__).parent / "data"


@dataclass(frozen=True)
class _Take:
    level: Fraction  # 0 = least mature answer everywhere, 1 = most mature
    days_ago: int
    overrides: dict[str, Any] = field(default_factory=dict)


def _take(raw: dict[str, Any]) -> _Take:
    return _Take(Fraction(raw["level_percent"], 100), raw["days_ago"], raw.get("overrides", {}))


# Keyed by the demo user's login (before the @); the first take of a company is the oldest.
_stories = json.loads((DATA_DIR / "diagnoses.json").read_text(encoding="utf-8"))["stories"]
STORIES: dict[str, tuple[_Take, ...]] = {
    login: tuple(_take(take) for take in takes) for login, takes in _stories.items()
}


def answers_at_level(questionnaire: Questionnaire, level: Fraction) -> dict[str, Any]:
    """A plausible set of answers of about that maturity, for every question."""
    answers: dict[str, Any] = {}
    for q in questionnaire.questions:
        if q.type == SCALE:
            answers[q.id] = round(level * 5)
        elif q.type == SINGLE:
            top = max(o.points for o in q.options)
            answers[q.id] = min(q.options, key=lambda o: abs(Fraction(o.points, top) - level)).value
        elif q.type == MULTI:
            choices = [o.value for o in q.options if not o.exclusive]
            picked = choices[: round(level * len(choices))]
            exclusive = [o.value for o in q.options if o.exclusive]
            answers[q.id] = picked or exclusive[:1]
        else:
            answers[q.id] = (
                "no" if level < Fraction(1, 3) else "partially" if level < Fraction(2, 3) else "yes"
            )
    return answers


def seed_demo_diagnoses(session: Session, domain: str, now: datetime) -> tuple[int, int]:
    """Diagnoses for demo companies that have none yet; returns (created, already present)."""
    questionnaire = load_questionnaire()
    created = present = 0
    for login, takes in STORIES.items():
        user = find_user_by_email(session, f"{login}@{domain}")
        if user is None or user.company is None:
            continue
        existing = session.scalars(
            select(Diagnosis.id).where(Diagnosis.company_id == user.company.id)
        ).all()
        if existing:
            present += len(existing)
            continue
        for take in takes:
            answers = answers_at_level(questionnaire, take.level)
            answers.update({k: v for k, v in take.overrides.items() if questionnaire.question(k)})
            diagnosis = submit_diagnosis(session, user, user.company, answers)
            diagnosis.created_at = now - timedelta(days=take.days_ago)  # a history to look back on
            created += 1
    session.flush()
    return created, present
