"""The "Am I eligible?" form: a company described without an account (GET, shareable)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import cast

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import SelectField, StringField, ValidationError
from wtforms.fields.choices import SelectChoice  # type: ignore[attr-defined]

from marketplace.blueprints.forms import SafeForm, department_choices, options
from marketplace.geo import DEPARTMENT_BY_CODE
from marketplace.identifiers import is_valid_siren, normalize_digits
from marketplace.taxonomy import SIZE_BAND_LABELS

# What marks the form as sent (a link may carry only `offer`, from an offer page).
ANSWERS = ("siren", "size_band", "department")


class EligibilityForm(SafeForm):
    class Meta:
        csrf = False  # a GET form: nothing changes, and the result is a link to share

    # The choices are checked by the validators below, with messages that say what to do.
    size_band = SelectField(
        _l("Headcount"),
        choices=options([("", _l("Choose…")), *SIZE_BAND_LABELS.items()]),
        validate_choice=False,
    )
    department = SelectField(_l("Department"), choices=department_choices, validate_choice=False)
    siren = StringField(
        _l("SIREN (optional)"),
        description=_l(
            "9 digits. We cannot look a company up from here: give its headcount and "
            "department too."
        ),
        render_kw={"inputmode": "numeric", "autocomplete": "off"},
    )
    offer = SelectField(_l("An offer, for an example"), choices=[], validate_choice=False)

    def validate_size_band(self, field: SelectField) -> None:
        if field.data not in SIZE_BAND_LABELS:
            raise ValidationError(_("Choose your headcount."))

    def validate_department(self, field: SelectField) -> None:
        if field.data in DEPARTMENT_BY_CODE:
            return
        if is_valid_siren(normalize_digits(self.siren.data or "")):
            raise ValidationError(
                _("We cannot look this SIREN up here: choose your department as well.")
            )
        raise ValidationError(_("Choose your department."))

    def validate_siren(self, field: StringField) -> None:
        field.data = normalize_digits(field.data or "")
        if field.data and not is_valid_siren(field.data):
            raise ValidationError(_("Give the 9 digits of a valid SIREN."))

    def validate_offer(self, field: SelectField) -> None:
        choices = cast(list[SelectChoice], field.choices)  # set by the view with `options`
        if field.data and field.data not in {str(choice.value) for choice in choices}:
            raise ValidationError(_("This offer is not available: choose one in the list."))


def answered(args: Mapping[str, str]) -> bool:
    """Whether the visitor sent the form (a link from an offer page carries only `offer`)."""
    return any(name in args for name in ANSWERS)
