"""API: the self-diagnosis questionnaire (public) and a company's diagnoses."""

from __future__ import annotations

from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_smorest import abort

from marketplace import clock
from marketplace.auth import company_required, current_actor, current_company
from marketplace.blueprints.api.common import LOGGED_IN, PUBLIC, make_blueprint, paginate
from marketplace.diagnosis.models import Diagnosis
from marketplace.diagnosis.operations import company_diagnoses, get_diagnosis, submit_diagnosis
from marketplace.diagnosis.questionnaire import (
    CURRENT_VERSION,
    Questionnaire,
    available_versions,
    load_questionnaire,
)
from marketplace.diagnosis.recommendations import NeedRecommendations, diagnosis_recommendations
from marketplace.diagnosis.schemas import (
    DiagnosisPageSchema,
    DiagnosisRecommendationsSchema,
    DiagnosisRequestSchema,
    DiagnosisSchema,
    QuestionnaireQuerySchema,
    QuestionnaireSchema,
)
from marketplace.errors import NotFound, ValidationFailed
from marketplace.extensions import db
from marketplace.schemas import PageArgsSchema
from marketplace.search.backend import SearchError

bp = make_blueprint("api_diagnosis", "", "The self-diagnosis: questionnaire and results.")


@bp.route("/questionnaire", methods=["GET"])
@bp.doc(security=PUBLIC)
@bp.arguments(QuestionnaireQuerySchema, location="query")
@bp.response(200, QuestionnaireSchema)
@bp.alt_response(404, response="NOT_FOUND")
def questionnaire(args: dict[str, Any]) -> Questionnaire:
    """Public: the current questionnaire, or an older `version`, with every text in fr and en.

    Dimensions and questions come in the order the questionnaire asks them; each question
    lists `allowed_values` (option values, 0 to 5 for scale, no/partially/yes for tristate).
    """
    version = args.get("version", CURRENT_VERSION)
    if version not in available_versions():
        raise NotFound(str(_l("This questionnaire version does not exist.")))
    return load_questionnaire(version)


@bp.route("/diagnoses", methods=["POST"])
@bp.doc(security=LOGGED_IN)
@company_required
@bp.arguments(DiagnosisRequestSchema)
@bp.response(201, DiagnosisSchema)
@bp.alt_response(401, response="UNAUTHORIZED")
@bp.alt_response(403, response="FORBIDDEN")
def submit(args: dict[str, Any]) -> Diagnosis:
    """Companies: answer the whole current questionnaire; get the scored diagnosis and needs.

    Scored by the same service as the pages, so the same answers give the same result. Any
    faulty answer (missing, unknown question, not an allowed value, an exclusive choice
    combined with others) is a 422 with `errors.json.answers.<question id>` listing the
    messages, and nothing is stored.
    """
    user = current_actor()
    try:
        diagnosis = submit_diagnosis(db.session(), user, current_company(), args["answers"])
    except ValidationFailed as error:
        db.session.rollback()
        abort(422, messages={"json": {"answers": error.errors}})
    db.session.commit()
    return diagnosis


@bp.route("/diagnoses", methods=["GET"])
@bp.doc(security=LOGGED_IN)
@company_required
@bp.arguments(PageArgsSchema, location="query")
@bp.response(200, DiagnosisPageSchema)
@bp.alt_response(401, response="UNAUTHORIZED")
@bp.alt_response(403, response="FORBIDDEN")
def list_diagnoses(args: dict[str, Any]) -> dict[str, Any]:
    """Companies: their own company's diagnoses, newest first.

    Paginated like every list: `page`, `page_size` (at most 100) in, `{items, pagination}` out.
    """
    return paginate(company_diagnoses(current_company()), args["page"], args["page_size"])


@bp.route("/diagnoses/<int:diagnosis_id>", methods=["GET"])
@bp.doc(security=LOGGED_IN)
@company_required
@bp.response(200, DiagnosisSchema)
@bp.alt_response(401, response="UNAUTHORIZED")
@bp.alt_response(403, response="FORBIDDEN")
@bp.alt_response(404, response="NOT_FOUND")
def get_one(diagnosis_id: int) -> Diagnosis:
    """Companies: one of their own company's diagnoses; another company's is a 404."""
    return get_diagnosis(db.session(), current_actor(), diagnosis_id)


@bp.route("/diagnoses/<int:diagnosis_id>/recommendations", methods=["GET"])
@bp.doc(security=LOGGED_IN)
@company_required
@bp.response(200, DiagnosisRecommendationsSchema)
@bp.alt_response(401, response="UNAUTHORIZED")
@bp.alt_response(403, response="FORBIDDEN")
@bp.alt_response(404, response="NOT_FOUND")
@bp.alt_response(503, response="DEFAULT_ERROR")
def recommendations(diagnosis_id: int) -> dict[str, Any]:
    """Companies: what one of their own diagnoses recommends per need; another company's is a 404.

    Needs in the result page's order, each with the guides and volunteer advisors of that page
    and the offers of the "recommended for you" page (searched today, in the company's region
    or remote). A 503 when search is unavailable.
    """
    diagnosis = get_diagnosis(db.session(), current_actor(), diagnosis_id)
    try:
        needs: list[NeedRecommendations] = diagnosis_recommendations(
            db.session(), current_app.extensions["search"], diagnosis, clock.today()
        )
    except SearchError:
        current_app.logger.exception("recommendations failed")
        abort(503)
    return {"diagnosis_id": diagnosis.id, "needs": needs}
