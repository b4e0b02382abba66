"""Subsidy programme forms (admin side) and the programme labels the pages show.

Amounts are typed in euros and rates in percent, as French users write them ("2 500,00",
"12,5"); the form turns them into the integer cents and basis points the service takes, and
shows the service's values back the same way, so that an edit page submitted unchanged saves.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import cast

from flask_babel import format_decimal
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    Field,
    IntegerField,
    RadioField,
    StringField,
    TextAreaField,
    ValidationError,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional
from wtforms.widgets import TextInput

from marketplace.billing.models import Funder, SubsidyProgramme
from marketplace.billing.money import MAX_AMOUNT_CENTS
from marketplace.billing.programmes import (
    CODE_MAX,
    CODE_MIN,
    DESCRIPTION_MAX,
    NAME_MAX,
    NAME_MIN,
    STACKING_MAX,
    STACKING_MIN,
    ProgrammeData,
    programme_data,
)
from marketplace.blueprints.forms import (
    MultiCheckboxField,
    SafeForm,
    options,
    region_select_choices,
)
from marketplace.blueprints.offer_forms import EuroField, cents_to_euros, euros_to_cents
from marketplace.taxonomy import CATEGORY_LABELS, SIZE_BAND_LABELS

FUNDER_LABELS = {
    Funder.STATE: _l("State"),
    Funder.REGION: _l("Region"),
    Funder.EU: _l("European Union"),
    Funder.OTHER: _l("Other funder"),
}
# Form field names for the service's field names, so its errors show in place.
FIELD_ALIASES = {
    "rate_bp": "rate",
    "cap_per_booking_cents": "cap_per_booking",
    "cap_per_company_cents": "cap_per_company",
    "budget_cents": "budget",
    "max_aid_intensity_bp": "max_aid_intensity",
}
MAX_EUROS = MAX_AMOUNT_CENTS // 100


# --- Labels ------------------------------------------------------------------------------


def funder_label(funder: Funder | str) -> str:
    return str(FUNDER_LABELS[Funder(funder)])


def percent_text(rate_bp: int | None) -> str:
    """Basis points as a percentage in the reader's locale: 50 %, 12,5 %; empty for None."""
    if rate_bp is None:
        return ""
    return f"{format_decimal(Decimal(rate_bp) / 100)} %"


# --- Fields --------------------------------------------------------------------------------


class PercentField(Field):
    """A rate typed in percent ("50", "12,5", "12.5 %"), kept as a Decimal."""

    widget = TextInput()
    data: Decimal | None

    def process_formdata(self, valuelist: list[str]) -> None:
        if not valuelist:
            return
        raw = valuelist[0]
        for space in (" ", "\u00a0", "\u202f"):
            raw = raw.replace(space, "")
        raw = raw.replace(",", ".").removesuffix("%")
        if not raw:
            self.data = None
            return
        try:
            value = Decimal(raw)
        except InvalidOperation as error:
            self.data = None
            raise ValueError(_l("Give a percentage, e.g. 50 or 12,5.")) from error
        if not value.is_finite():
            self.data = None
            raise ValueError(_l("Give a percentage, e.g. 50 or 12,5."))
        self.data = value

    def _value(self) -> str:
        if self.raw_data:  # what the user typed, when the form comes back with errors
            return str(self.raw_data[0])
        if self.data is None:
            return ""
        return str(format_decimal(self.data, format="0.##"))  # "12,5" in French


def percentage(_form: FlaskForm, field: PercentField) -> None:
    """From 0.01 % to 100 %, to the hundredth at most, so the conversion is exact."""
    value = field.data
    if value is None:
        return
    if not Decimal("0.01") <= value <= 100:
        raise ValidationError(_l("Give a percentage between 0.01 and 100."))
    # PercentField keeps finite values only: their exponent is an int.
    if cast(int, value.as_tuple().exponent) < -2:
        raise ValidationError(_l("Give the percentage to the hundredth at most (2 decimals)."))


def amount(_form: FlaskForm, field: EuroField) -> None:
    """Zero or more, to the cent at most, and within what the service accepts."""
    value = field.data
    if value is None:
        return
    if value < 0:
        raise ValidationError(_l("The amount cannot be negative."))
    if value > MAX_EUROS:
        raise ValidationError(_l("Give an amount under 10,000 billion euros."))
    if cast(int, value.as_tuple().exponent) < -2:
        raise ValidationError(_l("Give the amount to the cent at most (2 decimals)."))


def percent_to_bp(value: Decimal) -> int:
    """Exact: the field allows at most two decimals."""
    return int(value * 100)


def bp_to_percent(rate_bp: int) -> Decimal:
    return Decimal(rate_bp) / 100


# --- Form ----------------------------------------------------------------------------------


class ProgrammeForm(SafeForm):
    funder = RadioField(
        _l("Funder"),
        choices=options((f.value, label) for f, label in FUNDER_LABELS.items()),
        default=Funder.STATE.value,
        validators=[InputRequired()],
    )
    code = StringField(
        _l("Code"),
        validators=[DataRequired(), Length(min=CODE_MIN, max=CODE_MAX)],
        description=_l(
            "Lowercase letters, digits and hyphens, e.g. cheque-numerique-2026. It names the "
            "programme in the API and on invoices."
        ),
        render_kw={"autocomplete": "off", "spellcheck": "false"},
    )
    name = StringField(_l("Name"), validators=[DataRequired(), Length(min=NAME_MIN, max=NAME_MAX)])
    description = TextAreaField(
        _l("Description"),
        validators=[Optional(), Length(max=DESCRIPTION_MAX)],
        description=_l("Who it is for and what it covers, as companies will read it."),
    )
    regions = MultiCheckboxField(
        _l("Regions"),
        choices=region_select_choices,
        description=_l("Leave every box empty for a programme open to every region."),
    )
    categories = MultiCheckboxField(
        _l("Eligible categories"),
        choices=options(CATEGORY_LABELS.items()),
        description=_l("Leave every box empty to cover every category."),
    )
    size_bands = MultiCheckboxField(
        _l("Company sizes"),
        choices=options((band.value, label) for band, label in SIZE_BAND_LABELS.items()),
        description=_l("Leave every box empty to cover companies of every size."),
    )
    rate = PercentField(
        _l("Rate (%)"),
        validators=[InputRequired(), percentage],
        description=_l("Share of the price excl. VAT the programme pays, e.g. 50 or 12,5."),
        render_kw={"inputmode": "decimal"},
    )
    cap_per_booking = EuroField(
        _l("Cap per booking (EUR)"),
        validators=[Optional(), amount],
        description=_l("Leave empty for no cap."),
        render_kw={"inputmode": "decimal"},
    )
    cap_per_company = EuroField(
        _l("Cap per company (EUR)"),
        validators=[Optional(), amount],
        description=_l("Over the whole programme. Leave empty for no cap."),
        render_kw={"inputmode": "decimal"},
    )
    budget = EuroField(
        _l("Budget envelope (EUR)"),
        validators=[Optional(), amount],
        description=_l("Leave empty for no budget limit."),
        render_kw={"inputmode": "decimal"},
    )
    max_aid_intensity = PercentField(
        _l("Ceiling on total public aid (%)"),
        validators=[Optional(), percentage],
        description=_l(
            "Bounds this programme and those stacked before it, as a share of the price "
            "excl. VAT. Leave empty for none."
        ),
        render_kw={"inputmode": "decimal"},
    )
    valid_from = DateField(
        _l("Valid from"),
        validators=[Optional()],
        description=_l("First day covered. Leave empty if it is open already."),
    )
    valid_to = DateField(
        _l("Valid until"),
        validators=[Optional()],
        description=_l("Last day covered. Leave empty if it has no end."),
    )
    de_minimis = BooleanField(
        _l("De minimis aid (EUR 300,000 per company over three years, all such aid counted)")
    )
    stacking_order = IntegerField(
        _l("Stacking order"),
        default=0,
        validators=[InputRequired(), NumberRange(min=STACKING_MIN, max=STACKING_MAX)],
        description=_l(
            "Programmes apply lowest first: national ones first (e.g. 10), then regional "
            "ones (e.g. 20)."
        ),
    )

    def fill(self, programme: SubsidyProgramme) -> None:
        data = programme_data(programme)
        self.funder.data, self.code.data, self.name.data = data.funder, data.code, data.name
        self.description.data = data.description
        self.regions.data = list(data.regions)
        self.categories.data = list(data.categories)
        self.size_bands.data = list(data.size_bands)
        self.rate.data = bp_to_percent(data.rate_bp)
        self.cap_per_booking.data = _euros(data.cap_per_booking_cents)
        self.cap_per_company.data = _euros(data.cap_per_company_cents)
        self.budget.data = _euros(data.budget_cents)
        ceiling = data.max_aid_intensity_bp
        self.max_aid_intensity.data = None if ceiling is None else bp_to_percent(ceiling)
        self.valid_from.data, self.valid_to.data = data.valid_from, data.valid_to
        self.de_minimis.data = data.de_minimis
        self.stacking_order.data = data.stacking_order

    def to_data(self) -> ProgrammeData:
        ceiling = self.max_aid_intensity.data
        return ProgrammeData(
            funder=self.funder.data or "",
            code=self.code.data or "",
            name=self.name.data or "",
            description=self.description.data or "",
            regions=self.regions.data or [],
            categories=self.categories.data or [],
            size_bands=self.size_bands.data or [],
            rate_bp=percent_to_bp(self.rate.data or Decimal(0)),
            cap_per_booking_cents=_cents(self.cap_per_booking.data),
            cap_per_company_cents=_cents(self.cap_per_company.data),
            budget_cents=_cents(self.budget.data),
            valid_from=self.valid_from.data,
            valid_to=self.valid_to.data,
            de_minimis=bool(self.de_minimis.data),
            stacking_order=self.stacking_order.data or 0,
            max_aid_intensity_bp=None if ceiling is None else percent_to_bp(ceiling),
        )


def _euros(cents: int | None) -> Decimal | None:
    return None if cents is None else cents_to_euros(cents)


def _cents(euros: Decimal | None) -> int | None:
    return None if euros is None else euros_to_cents(euros)
