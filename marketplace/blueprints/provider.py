"""Provider pages: the label dashboard and the label application."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from marketplace.auth import provider_required
from marketplace.blueprints.forms import apply_service_errors
from marketplace.blueprints.label_forms import LabelApplicationForm
from marketplace.errors import Conflict, ValidationFailed
from marketplace.extensions import db
from marketplace.labels.operations import application_refusal, apply_for_label, can_apply

bp = Blueprint("provider", __name__, url_prefix="/provider")


@bp.get("/")
@provider_required
def dashboard() -> str:
    """Providers: their own label, its history of decisions, and what to do next."""
    provider = current_user.provider
    return render_template(
        "provider/dashboard.html",
        provider=provider,
        label=provider.current_label,
        can_apply=can_apply(provider, date.today()),
    )


@bp.route("/label/apply", methods=["GET", "POST"])
@provider_required
def apply() -> str | Response:
    """Providers: apply for a label with evidence (not while one is pending, live or suspended)."""
    provider = current_user.provider
    refusal = application_refusal(provider, date.today())
    if refusal:
        flash(refusal, "info")
        return redirect(url_for("provider.dashboard"))
    form = LabelApplicationForm()
    if form.validate_on_submit():
        try:
            apply_for_label(db.session(), current_user, provider, form.to_data(), date.today())
        except Conflict as error:
            # The label changed since the page was opened (e.g. an admin suspended it).
            db.session.rollback()
            flash(error.message, "error")
            return redirect(url_for("provider.dashboard"))
        except ValidationFailed as error:
            db.session.rollback()
            _show_reference_errors(form, error)
            apply_service_errors(
                form,
                ValidationFailed(
                    {k: v for k, v in error.errors.items() if not k.startswith("references-")}
                ),
                aliases={"similar_projects_turnover_cents": "similar_projects_turnover"},
            )
        else:
            db.session.commit()
            flash(_("Your application has been sent. We will email you the decision."), "success")
            return redirect(url_for("provider.dashboard"))
    return render_template("provider/apply.html", form=form, provider=provider)


def _show_reference_errors(form: LabelApplicationForm, error: ValidationFailed) -> None:
    """Errors on the n-th filled reference go under that reference's client field."""
    filled = [item.form for item in form.references if not item.form.is_blank()]
    for key, messages in error.errors.items():
        if key.startswith("references-"):
            index = int(key.split("-", 1)[1])
            if index < len(filled):
                filled[index].client_name.errors = list(filled[index].client_name.errors) + messages
