"""Administrator pages: label queue and decisions, unpublishing offers, subsidy programmes,
audit trail, outbox."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from werkzeug.wrappers import Response

from marketplace import clock
from marketplace.audit import AuditEvent
from marketplace.auth import admin_required, current_actor
from marketplace.billing.models import SubsidyProgramme
from marketplace.billing.programmes import create_programme, programme_list, update_programme
from marketplace.blueprints.audit_wording import describe
from marketplace.blueprints.forms import apply_service_errors, options
from marketplace.blueprints.helpers import page_number
from marketplace.blueprints.label_forms import DecisionForm
from marketplace.blueprints.offer_forms import UnpublishForm
from marketplace.blueprints.programme_forms import FIELD_ALIASES as PROGRAMME_FIELDS
from marketplace.blueprints.programme_forms import ProgrammeForm, funder_label, percent_text
from marketplace.blueprints.public import render_offer
from marketplace.catalog.models import Offer
from marketplace.catalog.operations import admin_unpublish_offer
from marketplace.errors import AlreadyExists, Conflict, Forbidden, ValidationFailed
from marketplace.extensions import db
from marketplace.labels.models import Label, LabelStatus
from marketplace.labels.operations import (
    TRANSITIONS,
    Decision,
    decide_on_label,
    expire_lapsed_labels,
    status_label,
)
from marketplace.labels.operations import (
    label_queue as build_label_queue,
)
from marketplace.mail import OutboundEmail

bp = Blueprint("admin", __name__, url_prefix="/admin")
bp.add_app_template_filter(funder_label, "funder")
bp.add_app_template_filter(percent_text, "percent")

PER_PAGE = 25


def possible_decisions(label: Label) -> list[Decision]:
    return [d for d, (allowed, _to) in TRANSITIONS.items() if label.status in allowed]


def _decision_form(label: Label) -> DecisionForm:
    form = DecisionForm()
    labels = {
        Decision.APPROVE: _("Approve") if label.status == LabelStatus.PENDING else _("Reinstate"),
        Decision.REJECT: _("Reject"),
        Decision.SUSPEND: _("Suspend"),
    }
    form.decision.choices = options((d.value, labels[d]) for d in possible_decisions(label))
    return form


@bp.get("/labels")
@admin_required
def label_queue() -> str:
    """Admins: applications filtered by status (pending first by default), region, category."""
    # Lapsed labels turn expired here too, so the queue never shows a stale "approved".
    if expire_lapsed_labels(db.session(), current_app.extensions["mailer"], clock.today()):
        db.session.commit()
    status = request.args.get("status", LabelStatus.PENDING.value)
    if status not in {s.value for s in LabelStatus} | {"all"}:
        status = LabelStatus.PENDING.value
    region = request.args.get("region") or None
    category = request.args.get("category") or None
    page = db.paginate(
        build_label_queue(None if status == "all" else status, region, category),
        page=page_number(),
        per_page=PER_PAGE,
        error_out=False,
    )
    return render_template(
        "admin/label_queue.html",
        page=page,
        status_choices=[(s.value, status_label(s)) for s in LabelStatus],
        filters={"status": status, "region": region, "category": category},
    )


@bp.route("/labels/<int:label_id>", methods=["GET", "POST"])
@admin_required
def label_detail(label_id: int) -> Response | tuple[str, int]:
    """Admins: the evidence of one application and the decision form."""
    label = db.session.get(Label, label_id) or abort(404)
    form = _decision_form(label)
    if request.method == "POST" and form.validate_on_submit():
        try:
            decide_on_label(
                db.session(),
                current_user,
                label,
                form.decision.data or "",
                form.reason.data or "",
                current_app.extensions["mailer"],
                clock.today(),
                valid_until=form.valid_until_or_none(),
                validity_days=current_app.config["LABEL_VALIDITY_DAYS"],
            )
        except ValidationFailed as error:
            db.session.rollback()
            apply_service_errors(form, error)
        except Conflict as error:
            db.session.rollback()
            flash(error.message, "error")
            return redirect(url_for("admin.label_detail", label_id=label.id))
        else:
            db.session.commit()
            flash(_("Decision recorded and sent to the provider."), "success")
            return redirect(url_for("admin.label_detail", label_id=label.id))
    status = 422 if request.method == "POST" else 200
    return render_template("admin/label_detail.html", label=label, form=form), status


@bp.post("/offers/<int:offer_id>/unpublish")
@admin_required
def unpublish(offer_id: int) -> Response | tuple[str, int]:
    """Admins: take a published offer off the catalogue, with a reason shown to the provider."""
    offer = db.session.get(Offer, offer_id) or abort(404)
    form = UnpublishForm()
    if form.validate_on_submit():
        try:
            admin_unpublish_offer(db.session(), current_actor(), offer, form.reason.data or "")
        except ValidationFailed as error:
            db.session.rollback()
            apply_service_errors(form, error)
        except (Conflict, Forbidden) as error:
            db.session.rollback()
            flash(error.message, "error")
            return redirect(url_for("public.offer_page", offer_id=offer.id))
        else:
            db.session.commit()
            flash(_("Offer unpublished; the provider sees your reason."), "success")
            return redirect(url_for("public.offer_page", offer_id=offer.id))
    return render_offer(offer, form), 422


# --- Subsidy programmes -------------------------------------------------------------------


@bp.get("/programmes")
@admin_required
def programmes() -> str:
    """Admins: every subsidy programme in stacking order, with its rate, caps and budget."""
    page = db.paginate(programme_list(), page=page_number(), per_page=PER_PAGE, error_out=False)
    return render_template("admin/programmes.html", page=page)


@bp.route("/programmes/new", methods=["GET", "POST"])
@admin_required
def new_programme() -> str | Response | tuple[str, int]:
    """Admins: register a subsidy programme (audited)."""
    form = ProgrammeForm()
    status = 422 if request.method == "POST" else 200
    if form.validate_on_submit():
        try:
            programme = create_programme(db.session(), current_actor(), form.to_data())
        except ValidationFailed as error:  # a taken code (AlreadyExists) too, shown in place
            db.session.rollback()
            apply_service_errors(form, error, PROGRAMME_FIELDS)
            status = 409 if isinstance(error, AlreadyExists) else 422
        else:
            db.session.commit()
            flash(_("Programme %(code)s created.", code=programme.code), "success")
            return redirect(url_for("admin.programmes"))
    return render_template("admin/programme_form.html", form=form, programme=None), status


@bp.route("/programmes/<int:programme_id>/edit", methods=["GET", "POST"])
@admin_required
def edit_programme(programme_id: int) -> str | Response | tuple[str, int]:
    """Admins: change a subsidy programme (audited, each field before and after)."""
    programme = db.session.get(SubsidyProgramme, programme_id) or abort(404)
    form = ProgrammeForm()
    if request.method == "GET":
        form.fill(programme)
    status = 422 if request.method == "POST" else 200
    if form.validate_on_submit():
        try:
            update_programme(db.session(), current_actor(), programme, form.to_data())
        except ValidationFailed as error:
            db.session.rollback()
            apply_service_errors(form, error, PROGRAMME_FIELDS)
            status = 409 if isinstance(error, AlreadyExists) else 422
        else:
            db.session.commit()
            flash(_("Programme %(code)s saved.", code=programme.code), "success")
            return redirect(url_for("admin.programmes"))
    return render_template("admin/programme_form.html", form=form, programme=programme), status


@bp.get("/audit")
@admin_required
def audit_log() -> str:
    """Admins: every money movement and label decision, newest first."""
    query = select(AuditEvent).order_by(AuditEvent.id.desc())
    action = request.args.get("action") or None
    if action:
        query = query.where(AuditEvent.action.startswith(action))
    page = db.paginate(query, page=page_number(), per_page=50, error_out=False)
    return render_template("admin/audit.html", page=page, action=action, describe_event=describe)


@bp.get("/outbox")
@admin_required
def outbox() -> str:
    """Admins: every mail the platform sent (or only logged, on the embedded default)."""
    page = db.paginate(
        select(OutboundEmail).order_by(OutboundEmail.id.desc()),
        page=page_number(),
        per_page=30,
        error_out=False,
    )
    return render_template("admin/outbox.html", page=page)
