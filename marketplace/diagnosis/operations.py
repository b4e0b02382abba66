"""Taking the self-diagnosis: drafts saved page by page, then a stored, scored diagnosis.

Functions flush and never commit: the caller owns the transaction.
"""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from marketplace.accounts.models import Company, User
from marketplace.diagnosis.models import Diagnosis, DiagnosisDraft
from marketplace.diagnosis.needs import load_rules, rank_needs
from marketplace.diagnosis.questionnaire import (
    CURRENT_VERSION,
    answer_problems,
    load_questionnaire,
    normalize_answers,
)
from marketplace.diagnosis.scoring import score
from marketplace.errors import Forbidden, NotFound, ValidationFailed


def require_company_member(actor: User, company: Company) -> None:
    if actor.company is None or actor.company.id != company.id:
        raise Forbidden(str(_l("You can only act for your own company.")))


def get_draft(session: Session, company: Company) -> DiagnosisDraft | None:
    """The company's draft for the current questionnaire (an outdated one is dropped)."""
    draft = session.scalar(select(DiagnosisDraft).where(DiagnosisDraft.company_id == company.id))
    if draft is not None and draft.questionnaire_version != CURRENT_VERSION:
        session.delete(draft)
        session.flush()
        return None
    return draft


def starting_answers(session: Session, company: Company) -> dict[str, Any]:
    """What the questionnaire shows pre-filled: the draft's answers, over those of the last
    diagnosis (same version), so a retake starts from where the company stood."""
    draft = get_draft(session, company)
    previous = latest_diagnosis(session, company)
    answers = (
        dict(previous.answers or {})
        if previous is not None and previous.questionnaire_version == CURRENT_VERSION
        else {}
    )
    return {**answers, **(dict(draft.answers or {}) if draft else {})}


def save_draft(
    session: Session, actor: User, company: Company, answers: dict[str, Any], page: int
) -> DiagnosisDraft:
    """Merge one page of answers into the draft; wrong answers are refused, missing ones kept."""
    require_company_member(actor, company)
    questionnaire = load_questionnaire(CURRENT_VERSION)
    problems = answer_problems(questionnaire, answers, complete=False)
    if problems:
        raise ValidationFailed({qid: [message] for qid, message in problems.items()})
    draft = get_draft(session, company) or DiagnosisDraft(
        company=company, questionnaire_version=CURRENT_VERSION, answers={}
    )
    # A new dict: JSON columns only notice reassignment, not in-place changes.
    draft.answers = normalize_answers(questionnaire, {**(draft.answers or {}), **answers})
    draft.page = max(0, min(page, len(questionnaire.dimensions)))
    draft.updated_by_id = actor.id
    session.add(draft)
    session.flush()
    return draft


def submit_diagnosis(
    session: Session, actor: User, company: Company, answers: dict[str, Any]
) -> Diagnosis:
    """Score complete answers, rank the needs and store the result; the draft is done with."""
    require_company_member(actor, company)
    questionnaire = load_questionnaire(CURRENT_VERSION)
    problems = answer_problems(questionnaire, answers, complete=True)
    if problems:
        raise ValidationFailed({qid: [message] for qid, message in problems.items()})
    answers = normalize_answers(questionnaire, answers)
    scores = score(questionnaire, answers)
    needs = rank_needs(load_rules(CURRENT_VERSION), answers, scores.dimensions)
    diagnosis = Diagnosis(
        company=company,
        created_by=actor,
        questionnaire_version=questionnaire.version,
        answers=answers,
        dimension_scores=scores.dimensions,
        overall_score=scores.overall,
        band=scores.band,
        needs=[need.as_dict() for need in needs],
    )
    session.add(diagnosis)
    draft = get_draft(session, company)
    if draft is not None:
        session.delete(draft)
    session.flush()
    return diagnosis


def company_diagnoses(company: Company) -> Select[Diagnosis]:
    """The company's diagnoses, newest first."""
    return (
        select(Diagnosis)
        .where(Diagnosis.company_id == company.id)
        .order_by(Diagnosis.created_at.desc(), Diagnosis.id.desc())
    )


def latest_diagnosis(session: Session, company: Company) -> Diagnosis | None:
    return session.scalars(company_diagnoses(company).limit(1)).first()


def get_diagnosis(session: Session, actor: User, diagnosis_id: int) -> Diagnosis:
    """A diagnosis its company's members may read; others get NotFound (no existence leak)."""
    diagnosis = session.get(Diagnosis, diagnosis_id)
    if diagnosis is None or actor.company is None or diagnosis.company_id != actor.company.id:
        raise NotFound(str(_l("This diagnosis does not exist.")))
    return diagnosis
