"""Provider pages: the label dashboard and application, and their own offers."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from werkzeug.wrappers import Response

from marketplace import clock
from marketplace.auth import current_actor, provider_required
from marketplace.blueprints.forms import apply_service_errors
from marketplace.blueprints.label_forms import LabelApplicationForm
from marketplace.blueprints.offer_forms import FIELD_ALIASES, OfferForm, hidden_because
from marketplace.catalog.models import Offer, OfferStatus
from marketplace.catalog.operations import (
    archive_offer,
    create_offer,
    publish_offer,
    publishing_problem,
    update_offer,
)
from marketplace.errors import Conflict, ValidationFailed
from marketplace.extensions import db
from marketplace.labels.operations import application_refusal, apply_for_label, can_apply

bp = Blueprint("provider", __name__, url_prefix="/provider")

LIST_ORDER = {OfferStatus.PUBLISHED: 0, OfferStatus.DRAFT: 1, OfferStatus.ARCHIVED: 2}


@bp.get("/")
@provider_required
def dashboard() -> str:
    """Providers: their own label, its history of decisions, and what to do next."""
    provider = current_user.provider
    return render_template(
        "provider/dashboard.html",
        provider=provider,
        label=provider.current_label,
        can_apply=can_apply(provider, clock.today()),
    )


@bp.route("/label/apply", methods=["GET", "POST"])
@provider_required
def apply() -> str | Response:
    """Providers: apply for a label with evidence (not while one is pending, live or suspended)."""
    provider = current_user.provider
    refusal = application_refusal(provider, clock.today())
    if refusal:
        flash(refusal, "info")
        return redirect(url_for("provider.dashboard"))
    form = LabelApplicationForm()
    if form.validate_on_submit():
        try:
            apply_for_label(db.session(), current_user, provider, form.to_data(), clock.today())
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


# --- Offers --------------------------------------------------------------------------------


def _own_offer(offer_id: int) -> Offer:
    """The offer, if it belongs to the current provider: 404 if unknown, 403 if someone else's."""
    offer = db.session.get(Offer, offer_id) or abort(404)
    if offer.provider_id != current_user.provider.id:
        abort(403)
    return offer


@bp.get("/offers")
@provider_required
def my_offers() -> str:
    """Providers: their offers in every status, with what can be done with each."""
    provider = current_user.provider
    offers = sorted(
        db.session.scalars(
            select(Offer)
            .where(Offer.provider_id == provider.id)
            .order_by(Offer.updated_at.desc(), Offer.id.desc())
        ),
        key=lambda offer: LIST_ORDER[OfferStatus(offer.status)],
    )
    today = clock.today()
    return render_template(
        "offers/mine.html",
        provider=provider,
        offers=offers,
        hidden={offer.id: hidden_because(offer, today) for offer in offers},
        label_problem=publishing_problem(provider, "", 0, today),
    )


@bp.route("/offers/new", methods=["GET", "POST"])
@provider_required
def new_offer() -> str | Response | tuple[str, int]:
    """Providers: write a new offer, saved as a draft or published at once."""
    form = OfferForm()
    if request.method == "GET":
        form.regions.data = [r.code for r in current_user.provider.regions]
    if form.validate_on_submit():
        try:
            offer = create_offer(
                db.session(), current_actor(), current_user.provider, form.to_data()
            )
        except ValidationFailed as error:
            db.session.rollback()
            apply_service_errors(form, error, FIELD_ALIASES)
        else:
            return _saved(offer, publish=request.form.get("action") == "publish")
    status = 422 if request.method == "POST" else 200
    return render_template("offers/form.html", form=form, offer=None), status


@bp.route("/offers/<int:offer_id>/edit", methods=["GET", "POST"])
@provider_required
def edit_offer(offer_id: int) -> str | Response | tuple[str, int]:
    """Providers: change one of their offers (a published one must stay publishable)."""
    offer = _own_offer(offer_id)
    form = OfferForm()
    if request.method == "GET":
        form.fill(offer)
    status = 422 if request.method == "POST" else 200
    if form.validate_on_submit():
        try:
            update_offer(db.session(), current_actor(), offer, form.to_data(), clock.today())
        except ValidationFailed as error:
            db.session.rollback()
            apply_service_errors(form, error, FIELD_ALIASES)
        except Conflict as error:
            db.session.rollback()
            form.form_errors.append(error.message)
            status = 409
        else:
            return _saved(offer, publish=request.form.get("action") == "publish")
    return render_template("offers/form.html", form=form, offer=offer), status


def _saved(offer: Offer, publish: bool) -> Response:
    """Commit the saved offer, then publish it if asked (a refusal keeps the saved draft)."""
    db.session.commit()
    if publish and offer.status != OfferStatus.PUBLISHED:
        try:
            publish_offer(db.session(), current_actor(), offer, clock.today())
        except Conflict as error:
            db.session.rollback()
            flash(
                _("Offer saved as a draft, but not published: %(why)s", why=error.message), "error"
            )
            return redirect(url_for("provider.my_offers"))
        db.session.commit()
        flash(_("Offer saved and published."), "success")
    else:
        flash(_("Offer saved."), "success")
    return redirect(url_for("provider.my_offers"))


@bp.post("/offers/<int:offer_id>/publish")
@provider_required
def publish(offer_id: int) -> Response:
    """Providers: publish a draft or archived offer, if their label allows it."""
    offer = _own_offer(offer_id)
    try:
        publish_offer(db.session(), current_actor(), offer, clock.today())
    except (Conflict, ValidationFailed) as error:
        db.session.rollback()
        flash(_("This offer cannot be published: %(why)s", why=error.message), "error")
    else:
        db.session.commit()
        flash(_("Offer published."), "success")
    return redirect(url_for("provider.my_offers"))


@bp.route("/offers/<int:offer_id>/archive", methods=["GET", "POST"])
@provider_required
def archive(offer_id: int) -> str | Response:
    """Providers: confirm, then archive one of their offers (it leaves the catalogue)."""
    offer = _own_offer(offer_id)
    if request.method == "POST":
        form = FlaskForm()
        if form.validate_on_submit():
            try:
                archive_offer(db.session(), current_actor(), offer)
            except Conflict as error:
                db.session.rollback()
                flash(error.message, "error")
            else:
                db.session.commit()
                flash(_("Offer archived."), "success")
        return redirect(url_for("provider.my_offers"))
    return render_template("offers/archive.html", offer=offer, form=FlaskForm())
