"""API: label applications (providers) and decisions on them (administrators)."""

from __future__ import annotations

from typing import Any

from flask import abort, current_app
from flask_login import current_user

from marketplace import clock
from marketplace.accounts.models import Role
from marketplace.auth import admin_required, current_actor, login_required, provider_required
from marketplace.blueprints.api.common import LOGGED_IN, make_blueprint, paginate
from marketplace.extensions import db
from marketplace.labels.models import Label, LabelDecision
from marketplace.labels.operations import (
    ApplicationData,
    ReferenceData,
    apply_for_label,
    decide_on_label,
    expire_lapsed_labels,
    label_queue,
)
from marketplace.labels.schemas import (
    DecisionRequestSchema,
    DecisionSchema,
    LabelApplicationSchema,
    LabelPageSchema,
    LabelQuerySchema,
    LabelSchema,
)

bp = make_blueprint("api_labels", "/labels", "Label applications and decisions.")


@bp.route("", methods=["POST"])
@bp.doc(security=LOGGED_IN)
@provider_required
@bp.arguments(LabelApplicationSchema)
@bp.response(201, LabelSchema)
@bp.alt_response(401, response="UNAUTHORIZED")
@bp.alt_response(403, response="FORBIDDEN")
@bp.alt_response(409, response="CONFLICT")
def apply(args: dict[str, Any]) -> Label:
    """Providers: apply for a label for their own organisation.

    409 while an application is under review, the label is live or it is suspended.
    """
    data = ApplicationData(
        categories=args["categories"],
        similar_projects_turnover_cents=args["similar_projects_turnover_cents"],
        certifications=args["certifications"],
        references=[ReferenceData(**ref) for ref in args["references"]],
        sworn_statement=args["sworn_statement"],
    )
    label = apply_for_label(
        db.session(), current_actor(), current_user.provider, data, clock.today()
    )
    db.session.commit()
    return label


@bp.route("", methods=["GET"])
@bp.doc(security=LOGGED_IN)
@login_required
@bp.arguments(LabelQuerySchema, location="query")
@bp.response(200, LabelPageSchema)
@bp.alt_response(401, response="UNAUTHORIZED")
@bp.alt_response(403, response="FORBIDDEN")
def list_labels(args: dict[str, Any]) -> dict[str, Any]:
    """Providers: their own applications. Admins: the queue, oldest first. Companies: 403.

    Filters: status (default every status), region of the provider, category. Paginated like
    every list: `page`, `page_size` (at most 100) in, `{items, pagination}` out.
    """
    if current_user.role == Role.COMPANY:
        abort(403)
    if current_user.is_admin and expire_lapsed_labels(
        db.session(), current_app.extensions["mailer"], clock.today()
    ):
        db.session.commit()  # as on the admin page: the queue never shows a stale "approved"
    query = label_queue(args.get("status"), args.get("region"), args.get("category"))
    if not current_user.is_admin:
        query = query.where(Label.provider_id == current_user.provider.id)
    return paginate(query, args["page"], args["page_size"])


@bp.route("/<int:label_id>", methods=["GET"])
@bp.doc(security=LOGGED_IN)
@login_required
@bp.response(200, LabelSchema)
@bp.alt_response(401, response="UNAUTHORIZED")
@bp.alt_response(403, response="FORBIDDEN")
@bp.alt_response(404, response="NOT_FOUND")
def get_label(label_id: int) -> Label:
    """Providers (their own) and admins: one application with its evidence and decisions.

    Companies get 403; another provider's label is a 404, so ids do not reveal who applied.
    """
    if current_user.role == Role.COMPANY:
        abort(403)
    label = db.session.get(Label, label_id)
    if label is None or not (
        current_user.is_admin or label.provider_id == current_user.provider.id
    ):
        abort(404)
    return label


@bp.route("/<int:label_id>/decisions", methods=["POST"])
@bp.doc(security=LOGGED_IN)
@admin_required
@bp.arguments(DecisionRequestSchema)
@bp.response(201, DecisionSchema)
@bp.alt_response(401, response="UNAUTHORIZED")
@bp.alt_response(403, response="FORBIDDEN")
@bp.alt_response(404, response="NOT_FOUND")
@bp.alt_response(409, response="CONFLICT")
def decide(args: dict[str, Any], label_id: int) -> LabelDecision:
    """Admins: approve, reject or suspend a label, with a reason mailed to the provider.

    409 when the decision does not fit the label's status (e.g. approving an approved label).
    """
    label = db.session.get(Label, label_id) or abort(404)
    decision = decide_on_label(
        db.session(),
        current_actor(),
        label,
        args["decision"],
        args["reason"],
        current_app.extensions["mailer"],
        clock.today(),
        valid_until=args["valid_until"],
        validity_days=current_app.config["LABEL_VALIDITY_DAYS"],
    )
    db.session.commit()
    return decision
