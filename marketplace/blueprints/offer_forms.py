"""Offer forms (provider side, admin unpublish) and the offer labels every audience's pages show."""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any, cast

from flask_babel import format_decimal
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
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
from wtforms.widgets import TextInput

from marketplace.blueprints.forms import (
    MultiCheckboxField,
    SafeForm,
    options,
    region_select_choices,
)
from marketplace.catalog.indexing import indexable
from marketplace.catalog.models import DeliveryMode, Offer, OfferStatus, PricingUnit
from marketplace.catalog.operations import (
    DEFAULT_VAT_RATE_BP,
    MAX_DURATION_DAYS,
    VAT_RATES_BP,
    OfferData,
    offer_data,
    publishing_problem,
)
from marketplace.taxonomy import CATEGORY_LABELS, LANGUAGE_NAMES

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
# Form field names for the service's field names, so its errors show in place.
FIELD_ALIASES = {"price_excl_vat_cents": "price", "vat_rate_bp": "vat_rate"}


# --- Labels ------------------------------------------------------------------------------


def offer_status_label(status: OfferStatus | str) -> str:
    return str(STATUS_LABELS[OfferStatus(status)])


def pricing_unit_label(unit: PricingUnit | str) -> str:
    return str(PRICING_UNIT_LABELS[PricingUnit(unit)])


def delivery_mode_label(mode: DeliveryMode | str) -> str:
    return str(DELIVERY_MODE_LABELS[DeliveryMode(mode)])


def vat_rate_text(rate_bp: int) -> str:
    """20 %, 5,5 % … in the reader's locale."""
    return f"{format_decimal(Decimal(rate_bp) / 100)} %"


def hidden_because(offer: Offer, today: date) -> str:
    """Why a published offer is not shown to the public; empty when it is."""
    if offer.status != OfferStatus.PUBLISHED or indexable(offer, today):
        return ""
    return publishing_problem(
        offer.provider, offer.category_code, offer.price_excl_vat_cents, today
    )


# --- Forms ---------------------------------------------------------------------------------


class EuroField(DecimalField):
    """An amount in euros as French users type it: "1 250,50", "1250.5" or "1250".

    A text box, not DecimalField's number input: a browser shows a number input holding
    "3100,00" (the French comma) as empty and sends nothing back, so an edit form saved
    unchanged would lose the amount. `inputmode` still brings up the numeric keypad on phones.
    """

    widget = TextInput()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs["render_kw"] = {"inputmode": "decimal", **(kwargs.get("render_kw") or {})}
        super().__init__(*args, **kwargs)

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
