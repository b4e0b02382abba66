"""Demo self-diagnoses, so the demo companies show results (and progress) right away."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from fractions import Fraction
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


@dataclass(frozen=True)
class _Take:
    level: Fraction  # 0 = least mature answer everywhere, 1 = most mature
    days_ago: int
    overrides: dict[str, Any] = field(default_factory=dict)


# Keyed by the demo user's email; the first take of a company is the oldest.
STORIES: dict[str, tuple[_Take, ...]] = {
    "marie.chevalier": (
        _Take(
            Fraction(15, 100),
            210,
            {
                "web_presence": "social_only",
                "online_sales_share": "none",
                "online_payment": "no",
                "einvoicing_ready": "unaware",
            },
        ),
        _Take(
            Fraction(45, 100),
            12,
            {
                "web_presence": "showcase",
                "online_sales_share": "under_10",
                "online_payment": "partially",
                "einvoicing_ready": "aware",
            },
        ),
    ),
    "herve.duval": (
        _Take(Fraction(35, 100), 40, {"web_presence": "showcase", "crm_tool": "spreadsheet"}),
    ),
    "aurelie.castaing": (
        _Take(Fraction(50, 100), 75, {"web_presence": "shop", "export_online": "considering"}),
    ),
    "frederic.schneider": (
        _Take(Fraction(62, 100), 20, {"web_presence": "showcase", "online_sales_share": "none"}),
    ),
    "lucie.perrillat": (
        _Take(Fraction(8, 100), 5, {"web_presence": "none", "online_sales_share": "none"}),
    ),
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
