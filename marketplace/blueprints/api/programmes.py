"""API: subsidy programmes (public reading, administrators writing, every change audited)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from flask import abort

from marketplace.auth import admin_required, current_actor
from marketplace.billing.models import SubsidyProgramme
from marketplace.billing.programme_stats import ProgrammeStats, programme_stats
from marketplace.billing.programme_stats_schemas import ProgrammeStatsSchema
from marketplace.billing.programmes import (
    CODE_MAX,
    CODE_MIN,
    ProgrammeData,
    create_programme,
    programme_by_code,
    programme_data,
    programme_list,
    update_programme,
)
from marketplace.billing.schemas import (
    CODE_DESCRIPTION,
    CODE_PATTERN,
    ProgrammeCreateSchema,
    ProgrammePageSchema,
    ProgrammeQuerySchema,
    ProgrammeSchema,
    ProgrammeUpdateSchema,
)
from marketplace.blueprints.api.common import LOGGED_IN, PUBLIC, make_blueprint, paginate
from marketplace.extensions import db

bp = make_blueprint(
    "api_programmes",
    "/programmes",
    "Subsidy programmes: anyone reads them, administrators manage them. Volunteers' free "
    "sessions are never in scope.",
)

# The string converter bounds the length; the parameter's documented pattern is the
# service's, and a code outside it names no programme (404).
ONE = f"/<string(minlength={CODE_MIN}, maxlength={CODE_MAX}):code>"
EXAMPLE_CODE = "cheque-france-num"  # the demo's national programme
CODE_PARAMETER = {
    "in": "path",
    "name": "code",
    "required": True,
    "description": CODE_DESCRIPTION,
    "example": EXAMPLE_CODE,
    "schema": {
        "type": "string",
        "minLength": CODE_MIN,
        "maxLength": CODE_MAX,
        "pattern": CODE_PATTERN,
    },
}


def _programme(code: str) -> SubsidyProgramme:
    return programme_by_code(db.session(), code) or abort(404)


@bp.route("", methods=["GET"])
@bp.doc(security=PUBLIC)
@bp.arguments(ProgrammeQuerySchema, location="query")
@bp.response(200, ProgrammePageSchema)
def list_programmes(args: dict[str, Any]) -> dict[str, Any]:
    """Public: every subsidy programme, in stacking order (ties by code).

    Filters: `funder`, `region` and `category` (programmes covering it, those open to every
    region or category included). Paginated: `page`, `page_size` (at most 100) in,
    `{items, pagination}` out. Money is integer cents, rates basis points.
    """
    query = programme_list(args.get("funder"), args.get("region"), args.get("category"))
    return paginate(query, args["page"], args["page_size"])


@bp.route("", methods=["POST"])
@bp.doc(security=LOGGED_IN)
@admin_required
@bp.arguments(ProgrammeCreateSchema)
@bp.response(201, ProgrammeSchema)
@bp.alt_response(401, response="UNAUTHORIZED")
@bp.alt_response(403, response="FORBIDDEN")
@bp.alt_response(409, response="CONFLICT")
def create(args: dict[str, Any]) -> SubsidyProgramme:
    """Admins: register a subsidy programme (audited).

    409 when another programme has the code; 422 with `errors.json.<field>` otherwise, e.g.
    valid_to before valid_from. Empty regions, categories or size bands mean "all".
    """
    programme = create_programme(db.session(), current_actor(), ProgrammeData(**args))
    db.session.commit()
    return programme


@bp.route(ONE, methods=["GET"], parameters=[CODE_PARAMETER])
@bp.doc(security=PUBLIC)
@bp.response(200, ProgrammeSchema)
@bp.alt_response(404, response="NOT_FOUND")
def get_programme(code: str) -> SubsidyProgramme:
    """Public: one subsidy programme, by its code."""
    return _programme(code)


@bp.route(ONE, methods=["PATCH"], parameters=[CODE_PARAMETER])
@bp.doc(security=LOGGED_IN)
@admin_required
@bp.arguments(ProgrammeUpdateSchema)
@bp.response(200, ProgrammeSchema)
@bp.alt_response(401, response="UNAUTHORIZED")
@bp.alt_response(403, response="FORBIDDEN")
@bp.alt_response(404, response="NOT_FOUND")
@bp.alt_response(409, response="CONFLICT")
def patch(args: dict[str, Any], code: str) -> SubsidyProgramme:
    """Admins: change some fields of a programme (audited, before and after).

    Only the fields sent change, and the rules apply to the result (422 otherwise); a new
    code another programme has is a 409.
    """
    programme = _programme(code)
    data = replace(programme_data(programme), **args)
    update_programme(db.session(), current_actor(), programme, data)
    db.session.commit()
    return programme


@bp.route(f"{ONE}/stats", methods=["GET"], parameters=[CODE_PARAMETER])
@bp.doc(security=LOGGED_IN)
@admin_required
@bp.response(200, ProgrammeStatsSchema)
@bp.alt_response(401, response="UNAUTHORIZED")
@bp.alt_response(403, response="FORBIDDEN")
@bp.alt_response(404, response="NOT_FOUND")
def get_stats(code: str) -> ProgrammeStats:
    """Admins: where the programme's budget went (the funder's dashboard): budget parts,
    bookings and companies helped by region, category and size, averages, days to payment."""
    return programme_stats(db.session(), _programme(code))
