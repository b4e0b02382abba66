"""Offer pages: providers manage their offers, anyone reads a published one, admins unpublish."""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation
from typing import cast

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import format_decimal
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from werkzeug.wrappers import Response
from wtforms import (
    DecimalField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
    ValidationError,
)

# SelectChoice is new in WTForms 3.3: types-WTForms does not declare it yet.
from wtforms.fields.choices import SelectChoice  # type: ignore[attr-defined]
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from marketplace.accounts.models import Provider
from marketplace.auth import admin_required, current_actor, provider_required
from marketplace.blueprints.forms import (
    MultiCheckboxField,
    SafeForm,
    apply_service_errors,
    options,
    region_select_choices,
)
from marketplace.catalog.indexing import indexable, visible_offers
from marketplace.catalog.models import DeliveryMode, Offer, OfferStatus, PricingUnit
from marketplace.catalog.operations import (
    DEFAULT_VAT_RATE_BP,
    MAX_DURATION_DAYS,
    VAT_RATES_BP,
    OfferData,
    admin_unpublish_offer,
    archive_offer,
    create_offer,
    offer_data,
    publish_offer,
    publishing_problem,
    update_offer,
)
from marketplace.catalog.pricing import price_breakdown
from marketplace.errors import Conflict, Forbidden, ValidationFailed
from marketplace.extensions import db
from marketplace.taxonomy import CATEGORY_LABELS, LANGUAGE_NAMES

bp = Blueprint("offers", __name__)

STATUS_LABELS = {
    OfferStatus.DRAFT: _l("draft"),
    OfferStatus.PUBLISHED: _l("published"),
    OfferStatus.ARCHIVED: _l("archived"),
}
PRICING_UNIT_LABELS = {
    PricingUnit.FIXED: _l("fixed price"),
    PricingUnit.PER_DAY: _l("per day"),
    PricingUnit.PER_HOUR: _l("per hour"),
    PricingUnit.PER_MONTH: _l("per month"),
    PricingUnit.PER_SESSION: _l("per session"),
}
DELIVERY_MODE_LABELS = {
    DeliveryMode.REMOTE: _l("Remote"),
    DeliveryMode.ON_SITE: _l("On site"),
    DeliveryMode.HYBRID: _l("Hybrid (remote and on site)"),
}
LIST_ORDER = {OfferStatus.PUBLISHED: 0, OfferStatus.DRAFT: 1, OfferStatus.ARCHIVED: 2}
# Form field names for the service's field names, so its errors show in place.
FIELD_ALIASES = {"price_excl_vat_cents": "price", "vat_rate_bp": "vat_rate"}


# --- Forms ----------------------------------------------------------------------------------


class EuroField(DecimalField):
    """An amount in euros as French users type it: "1 250,50", "1250.5" or "1250"."""

    def process_formdata(self, valuelist: list[str]) -> None:
        if not valuelist:
            return
        raw = valuelist[0]
        for space in (" ", "\u00a0", "\u202f"):
            raw = raw.replace(space, "")
        raw = raw.replace(",", ".").removesuffix("€")
        if not raw:
            self.data = None
            return
        try:
            value = Decimal(raw)
        except InvalidOperation as error:
            self.data = None
            raise ValueError(_l("Give an amount in euros, e.g. 1250,50.")) from error
        if not value.is_finite():
            self.data = None
            raise ValueError(_l("Give an amount in euros, e.g. 1250,50."))
        self.data = value

    def _value(self) -> str:
        if self.raw_data:  # what the user typed, when the form comes back with errors
            return str(self.raw_data[0])
        if self.data is None:
            return ""
        return format_decimal(self.data, format="0.00")  # "1250,50" in French


def euro_amount(_form: FlaskForm, field: EuroField) -> None:
    """Not negative, and to the cent at most, so that the conversion to cents is exact."""
    value = field.data
    if value is None:
        return
    if value < 0:
        raise ValidationError(_l("The price cannot be negative."))
    # EuroField keeps finite amounts only: their exponent is an int, never 'n', 'N' or 'F'.
    if cast(int, value.as_tuple().exponent) < -2:
        raise ValidationError(_l("Give the price to the cent at most (2 decimals)."))


def euros_to_cents(value: Decimal) -> int:
    """Exact: the field allows at most two decimals."""
    return int(value * 100)


def cents_to_euros(cents: int) -> Decimal:
    return (Decimal(cents) / 100).quantize(Decimal("0.01"))


def vat_rate_text(rate_bp: int) -> str:
    """20 %, 5,5 % … in the reader's locale."""
    return f"{format_decimal(Decimal(rate_bp) / 100)} %"


def _category_choices() -> list[SelectChoice]:
    return options([("", _l("Choose…")), *CATEGORY_LABELS.items()])


class OfferForm(SafeForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=120)])
    summary = TextAreaField(
        _l("Summary"),
        validators=[DataRequired(), Length(max=300)],
        description=_l("One or two sentences shown in search results (300 characters at most)."),
    )
    description = TextAreaField(
        _l("Description"),
        validators=[Optional(), Length(max=5000)],
        description=_l("What you deliver, how, and what the company gets at the end."),
    )
    category = SelectField(
        _l("Main category"), choices=_category_choices, validators=[DataRequired()]
    )
    needs = MultiCheckboxField(
        _l("Other needs addressed"),
        choices=options(CATEGORY_LABELS.items()),
        description=_l("The main category always counts as a need addressed."),
    )
    price = EuroField(
        _l("Price excl. VAT (EUR)"),
        validators=[InputRequired(), euro_amount],
        description=_l("0 for a free session. Paid offers need a label covering the category."),
        render_kw={"inputmode": "decimal"},
    )
    vat_rate = SelectField(
        _l("VAT rate"),
        choices=lambda: options((str(r), vat_rate_text(r)) for r in reversed(VAT_RATES_BP)),
        default=str(DEFAULT_VAT_RATE_BP),
        validators=[DataRequired()],
    )
    pricing_unit = SelectField(
        _l("The price is"),
        choices=options((u.value, label) for u, label in PRICING_UNIT_LABELS.items()),
        validators=[DataRequired()],
    )
    duration_days = IntegerField(
        _l("Duration (days)"),
        validators=[Optional(), NumberRange(min=1, max=MAX_DURATION_DAYS)],
        description=_l("How long the service takes, start to finish. Leave empty if it varies."),
    )
    delivery_mode = RadioField(
        _l("Delivery"),
        choices=options((m.value, label) for m, label in DELIVERY_MODE_LABELS.items()),
        default=DeliveryMode.HYBRID.value,
        validators=[DataRequired()],
    )
    regions = MultiCheckboxField(
        _l("Regions where you deliver"),
        choices=region_select_choices,
        description=_l("At least one, unless the service is delivered remotely only."),
    )
    languages = MultiCheckboxField(
        _l("Languages"), choices=options(LANGUAGE_NAMES.items()), default=["fr"]
    )

    def fill(self, offer: Offer) -> None:
        data = offer_data(offer)
        self.title.data, self.summary.data = data.title, data.summary
        self.description.data, self.category.data = data.description, data.category
        self.needs.data = [code for code in data.needs if code != data.category]
        self.price.data = cents_to_euros(data.price_excl_vat_cents)
        self.vat_rate.data = str(data.vat_rate_bp)
        self.pricing_unit.data, self.duration_days.data = data.pricing_unit, data.duration_days
        self.delivery_mode.data, self.regions.data = data.delivery_mode, list(data.regions)
        self.languages.data = list(data.languages)

    def to_data(self) -> OfferData:
        category = self.category.data or ""
        return OfferData(
            title=self.title.data or "",
            summary=self.summary.data or "",
            description=self.description.data or "",
            category=category,
            needs=list(dict.fromkeys([category, *(self.needs.data or [])])),
            price_excl_vat_cents=euros_to_cents(self.price.data or Decimal(0)),
            vat_rate_bp=int(self.vat_rate.data or DEFAULT_VAT_RATE_BP),
            pricing_unit=self.pricing_unit.data or "",
            duration_days=self.duration_days.data,
            delivery_mode=self.delivery_mode.data or "",
            regions=self.regions.data or [],
            languages=self.languages.data or [],
        )


class UnpublishForm(SafeForm):
    reason = TextAreaField(
        _l("Reason (shown to the provider)"),
        validators=[DataRequired(), Length(min=3, max=2000)],
    )


# --- Template helpers -----------------------------------------------------------------------


@bp.app_template_filter("offer_status")
def offer_status_label(status: OfferStatus | str) -> str:
    return str(STATUS_LABELS[OfferStatus(status)])


@bp.app_template_filter("pricing_unit")
def pricing_unit_label(unit: PricingUnit | str) -> str:
    return str(PRICING_UNIT_LABELS[PricingUnit(unit)])


@bp.app_template_filter("delivery_mode")
def delivery_mode_label(mode: DeliveryMode | str) -> str:
    return str(DELIVERY_MODE_LABELS[DeliveryMode(mode)])


@bp.app_template_filter("vat_rate")
def vat_rate_filter(rate_bp: int) -> str:
    return vat_rate_text(rate_bp)


@bp.app_template_global()
def published_offers_of(provider: Provider) -> list[Offer]:
    """What the provider's public profile lists: its offers the public may see."""
    query = visible_offers(date.today()).where(Offer.provider_id == provider.id)
    return list(db.session.scalars(query.options(selectinload(Offer.regions))))


def hidden_because(offer: Offer, today: date) -> str:
    """Why a published offer is not shown to the public; empty when it is."""
    if offer.status != OfferStatus.PUBLISHED or indexable(offer, today):
        return ""
    return publishing_problem(
        offer.provider, offer.category_code, offer.price_excl_vat_cents, today
    )


# --- Provider pages -------------------------------------------------------------------------


def _own_offer(offer_id: int) -> Offer:
    """The offer, if it belongs to the current provider: 404 if unknown, 403 if someone else's."""
    offer = db.session.get(Offer, offer_id) or abort(404)
    if offer.provider_id != current_user.provider.id:
        abort(403)
    return offer


@bp.get("/provider/offers")
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
    today = date.today()
    return render_template(
        "offers/mine.html",
        provider=provider,
        offers=offers,
        hidden={offer.id: hidden_because(offer, today) for offer in offers},
        label_problem=publishing_problem(provider, "", 0, today),
    )


@bp.route("/provider/offers/new", methods=["GET", "POST"])
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


@bp.route("/provider/offers/<int:offer_id>/edit", methods=["GET", "POST"])
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
            update_offer(db.session(), current_actor(), offer, form.to_data(), date.today())
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
            publish_offer(db.session(), current_actor(), offer, date.today())
        except Conflict as error:
            db.session.rollback()
            flash(
                _("Offer saved as a draft, but not published: %(why)s", why=error.message), "error"
            )
            return redirect(url_for("offers.my_offers"))
        db.session.commit()
        flash(_("Offer saved and published."), "success")
    else:
        flash(_("Offer saved."), "success")
    return redirect(url_for("offers.my_offers"))


@bp.post("/provider/offers/<int:offer_id>/publish")
@provider_required
def publish(offer_id: int) -> Response:
    """Providers: publish a draft or archived offer, if their label allows it."""
    offer = _own_offer(offer_id)
    try:
        publish_offer(db.session(), current_actor(), offer, date.today())
    except (Conflict, ValidationFailed) as error:
        db.session.rollback()
        flash(_("This offer cannot be published: %(why)s", why=error.message), "error")
    else:
        db.session.commit()
        flash(_("Offer published."), "success")
    return redirect(url_for("offers.my_offers"))


@bp.route("/provider/offers/<int:offer_id>/archive", methods=["GET", "POST"])
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
        return redirect(url_for("offers.my_offers"))
    return render_template("offers/archive.html", offer=offer, form=FlaskForm())


# --- Public page and admin action -----------------------------------------------------------


def _may_preview(offer: Offer) -> bool:
    if not current_user.is_authenticated:
        return False
    return current_user.is_admin or (
        current_user.provider is not None and current_user.provider.id == offer.provider_id
    )


def _render_offer(offer: Offer, form: UnpublishForm | None = None) -> str:
    today = date.today()
    visible = indexable(offer, today)
    return render_template(
        "offers/detail.html",
        offer=offer,
        visible=visible,
        hidden_reason=hidden_because(offer, today),
        price=price_breakdown(offer.price_excl_vat_cents, offer.vat_rate_bp),
        unpublish_form=form or UnpublishForm(),
    )


@bp.get("/offers/<int:offer_id>")
def offer_page(offer_id: int) -> str:
    """Public: a published offer of a labelled provider; its owner and admins preview any."""
    offer = db.session.get(Offer, offer_id) or abort(404)
    if not indexable(offer, date.today()) and not _may_preview(offer):
        abort(404)
    return _render_offer(offer)


@bp.post("/admin/offers/<int:offer_id>/unpublish")
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
            return redirect(url_for("offers.offer_page", offer_id=offer.id))
        else:
            db.session.commit()
            flash(_("Offer unpublished; the provider sees your reason."), "success")
            return redirect(url_for("offers.offer_page", offer_id=offer.id))
    return _render_offer(offer, form), 422
