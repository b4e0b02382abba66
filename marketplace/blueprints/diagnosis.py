"""Company pages for the digital self-assessment: take it page by page, read and compare results."""

from __future__ import annotations

from functools import partial
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import and_, or_, select
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response

from marketplace import clock
from marketplace.auth import company_required, current_actor
from marketplace.blueprints.helpers import page_number
from marketplace.diagnosis.comparison import Comparison, compare_diagnoses
from marketplace.diagnosis.models import Diagnosis, DiagnosisDraft
from marketplace.diagnosis.operations import (
    company_diagnoses,
    get_diagnosis,
    get_draft,
    latest_diagnosis,
    save_draft,
    starting_answers,
    submit_diagnosis,
)
from marketplace.diagnosis.questionnaire import (
    MULTI,
    SCALE,
    SCALE_VALUES,
    TRISTATE_POINTS,
    Band,
    Question,
    Questionnaire,
    load_questionnaire,
    localized,
)
from marketplace.diagnosis.radar import radar
from marketplace.diagnosis.recommendations import need_help
from marketplace.errors import DomainError, ValidationFailed
from marketplace.extensions import db

bp = Blueprint("diagnosis", __name__, url_prefix="/diagnosis")

HISTORY_PER_PAGE = 10
SCALE_LABELS = {
    0: _l("Not used"),
    1: _l("Considering"),
    2: _l("Piloting"),
    3: _l("Partly implemented"),
    4: _l("Widely implemented"),
    5: _l("Operational"),
}
TRISTATE_LABELS = {"no": _l("No"), "partially": _l("Partially"), "yes": _l("Yes")}
PRIORITY_LABELS = {
    "high": _l("High priority"),
    "medium": _l("Medium priority"),
    "low": _l("Low priority"),
}
RESOURCE_KINDS = {"guide": _l("Guide"), "mooc": _l("MOOC"), "webinar": _l("Webinar")}
RESOURCE_LEVELS = {
    "beginner": _l("Beginner"),
    "intermediate": _l("Intermediate"),
    "advanced": _l("Advanced"),
}


def _language() -> str:
    locale = get_locale()
    return locale.language if locale else "fr"


def _render(template: str, **context: Any) -> str:
    """Templates read data-file texts in the reader's language through `local(text)`."""
    return render_template(
        template,
        local=partial(localized, locale=_language()),
        SCALE_LABELS={value: SCALE_LABELS[value] for value in SCALE_VALUES},
        TRISTATE_LABELS={value: TRISTATE_LABELS[value] for value in TRISTATE_POINTS},
        PRIORITY_LABELS=PRIORITY_LABELS,
        RESOURCE_KINDS=RESOURCE_KINDS,
        RESOURCE_LEVELS=RESOURCE_LEVELS,
        **context,
    )


# --- Overview ------------------------------------------------------------------------------


@bp.get("/")
@company_required
def overview() -> str:
    """Companies: the latest result, the history of diagnoses, and starting or resuming one."""
    company = current_user.company
    questionnaire = load_questionnaire()
    draft = get_draft(db.session(), company)
    history = db.paginate(
        company_diagnoses(company),
        page=page_number(),
        per_page=HISTORY_PER_PAGE,
        error_out=False,
        count=True,
    )
    latest = latest_diagnosis(db.session(), company)
    return _render(
        "diagnosis/overview.html",
        questionnaire=questionnaire,
        draft=draft,
        draft_answered=_answered(questionnaire, draft),
        resume_page=_resume_page(questionnaire, draft),
        latest=latest,
        latest_band=_band(latest) if latest else None,
        history=history,
        band_title=_band_title,
    )


def _answered(questionnaire: Questionnaire, draft: DiagnosisDraft | None) -> int:
    if draft is None:
        return 0
    return sum(1 for q in questionnaire.questions if q.id in (draft.answers or {}))


def _resume_page(questionnaire: Questionnaire, draft: DiagnosisDraft | None) -> int:
    if draft is None:
        return 1
    return max(1, min(draft.page, len(questionnaire.dimensions)))


def _band(diagnosis: Diagnosis) -> Band | None:
    bands = load_questionnaire(diagnosis.questionnaire_version).bands
    return next((b for b in bands if b.code == diagnosis.band), None)


def _band_title(diagnosis: Diagnosis) -> str:
    band = _band(diagnosis)
    return localized(band.title, _language()) if band else diagnosis.band


# --- Taking the self-assessment ------------------------------------------------------------


@bp.route("/take/<int:page>", methods=["GET", "POST"])
@company_required
def take(page: int) -> str | Response | tuple[str, int]:
    """Companies: one page per dimension; answers are kept in a draft between pages.

    "next" needs every question of the page answered; "previous" and "later" save what is
    answered without that check. Next on the last page scores the whole draft.
    """
    questionnaire = load_questionnaire()
    pages = len(questionnaire.dimensions)
    if not 1 <= page <= pages:
        abort(404)
    company = current_user.company
    if request.method == "GET":
        return _take_page(questionnaire, page, starting_answers(db.session(), company), {})

    action = request.form.get("action", "next")
    questions = questionnaire.questions_of(questionnaire.dimensions[page - 1].code)
    answers = parse_answers(questions, request.form)
    errors: dict[str, list[str]] = {}
    if action == "next":
        errors = {q.id: [_("Answer this question.")] for q in questions if q.id not in answers}
        target = page if errors else min(page + 1, pages)  # the page to resume at
    elif action == "previous":
        target = max(page - 1, 1)
    else:
        target = page
    try:
        save_draft(db.session(), current_actor(), company, answers, page=target)
    except ValidationFailed as error:
        db.session.rollback()
        errors = {**errors, **error.errors}
    else:
        db.session.commit()  # even with missing answers: what was answered is kept
    if errors:
        # Show exactly what was submitted on this page, not older draft answers.
        return _take_page(questionnaire, page, answers, errors), 422
    if action == "later" or (action == "previous" and page == 1):
        draft = get_draft(db.session(), company)
        if draft is not None and draft.answers:
            flash(_("Your answers are saved. You can resume at any time."), "success")
        else:
            flash(_("Nothing to save yet: you can start whenever you like."), "info")
        return redirect(url_for("diagnosis.overview"))
    if action == "previous":
        return redirect(url_for("diagnosis.take", page=page - 1))
    if page < pages:
        return redirect(url_for("diagnosis.take", page=page + 1))
    return _submit(questionnaire)


def _take_page(
    questionnaire: Questionnaire, page: int, values: dict[str, Any], errors: dict[str, list[str]]
) -> str:
    dimension = questionnaire.dimensions[page - 1]
    return _render(
        "diagnosis/take.html",
        questionnaire=questionnaire,
        dimension=dimension,
        questions=questionnaire.questions_of(dimension.code),
        page=page,
        pages=len(questionnaire.dimensions),
        values=values,
        errors=errors,
    )


def parse_answers(questions: tuple[Question, ...], form: MultiDict[str, str]) -> dict[str, Any]:
    """The answers given on one page, typed as the questionnaire stores them; unanswered
    questions are left out (checking the values is the service's job)."""
    answers: dict[str, Any] = {}
    for question in questions:
        if question.type == MULTI:
            chosen = form.getlist(question.id)
            # Without a "none of these" option, ticking nothing is itself the answer.
            if chosen or not any(o.exclusive for o in question.options):
                answers[question.id] = chosen
            continue
        raw = form.get(question.id, "").strip()
        if not raw:
            continue
        if question.type == SCALE:
            try:
                answers[question.id] = int(raw)
            except ValueError:
                answers[question.id] = raw  # refused by the service with its own message
        else:
            answers[question.id] = raw
    return answers


def _submit(questionnaire: Questionnaire) -> Response:
    """Score the finished draft; a skipped page sends the user back to it."""
    company = current_user.company
    draft = get_draft(db.session(), company)
    answers = dict(draft.answers or {}) if draft else {}
    for number, dimension in enumerate(questionnaire.dimensions, start=1):
        if any(q.id not in answers for q in questionnaire.questions_of(dimension.code)):
            flash(_("Some questions are not answered yet. Please complete this step."), "error")
            return redirect(url_for("diagnosis.take", page=number))
    diagnosis = submit_diagnosis(db.session(), current_actor(), company, answers)
    db.session.commit()
    flash(_("Your self-assessment is complete. Here are your results."), "success")
    return redirect(url_for("diagnosis.result", diagnosis_id=diagnosis.id))


# --- Results -------------------------------------------------------------------------------


@bp.get("/<int:diagnosis_id>")
@company_required
def result(diagnosis_id: int) -> str:
    """Companies: one of their own diagnoses: scores, ranked needs and recommendations."""
    diagnosis = get_diagnosis(db.session(), current_actor(), diagnosis_id)
    questionnaire = load_questionnaire(diagnosis.questionnaire_version)
    language = _language()
    dimensions = [
        (d.code, localized(d.title, language), diagnosis.dimension_scores.get(d.code, 0))
        for d in questionnaire.dimensions
    ]
    helps = need_help(db.session(), diagnosis, clock.today())
    previous = _previous(diagnosis)
    return _render(
        "diagnosis/result.html",
        diagnosis=diagnosis,
        band=_band(diagnosis),
        dimensions=dimensions,
        chart=radar([(title, value) for _code, title, value in dimensions]),
        compact_chart=radar([("", value) for _code, _title, value in dimensions], label_room=40),
        resources={h.code: h.resources for h in helps},
        advisors={h.code: h.advisors for h in helps},
        previous=previous,
        comparison=compare_diagnoses(previous, diagnosis) if previous else None,
        dimension_titles=_dimension_titles(diagnosis),
    )


def _previous(diagnosis: Diagnosis) -> Diagnosis | None:
    """The company's diagnosis just before this one."""
    query = (
        select(Diagnosis)
        .where(
            Diagnosis.company_id == diagnosis.company_id,
            or_(
                Diagnosis.created_at < diagnosis.created_at,
                and_(Diagnosis.created_at == diagnosis.created_at, Diagnosis.id < diagnosis.id),
            ),
        )
        .order_by(Diagnosis.created_at.desc(), Diagnosis.id.desc())
        .limit(1)
    )
    return db.session.scalars(query).first()


def _dimension_titles(*diagnoses: Diagnosis) -> dict[str, str]:
    """Dimension titles by code, in the reader's language, from these diagnoses' versions."""
    titles: dict[str, str] = {}
    for diagnosis in diagnoses:
        for d in load_questionnaire(diagnosis.questionnaire_version).dimensions:
            titles.setdefault(d.code, localized(d.title, _language()))
    return titles


@bp.get("/compare")
@company_required
def compare() -> str:
    """Companies: how two of their own diagnoses differ, per dimension and per need."""
    try:
        before_id = int(request.args["before"])
        after_id = int(request.args["after"])
    except (KeyError, ValueError):
        raise DomainError(_("Choose two diagnoses to compare.")) from None
    if before_id == after_id:
        raise DomainError(_("Choose two different diagnoses to compare."))
    first = get_diagnosis(db.session(), current_actor(), before_id)
    second = get_diagnosis(db.session(), current_actor(), after_id)
    before, after = sorted((first, second), key=lambda d: (d.created_at, d.id))
    comparison: Comparison = compare_diagnoses(before, after)
    return _render(
        "diagnosis/compare.html",
        before=before,
        after=after,
        comparison=comparison,
        dimension_titles=_dimension_titles(after, before),
        band_title=_band_title,
    )
