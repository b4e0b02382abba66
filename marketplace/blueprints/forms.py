"""WTForms for account pages. They check shape; services check the business rules."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Iterator
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    Field,
    FieldList,
    FormField,
    PasswordField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)

# SelectChoice is new in WTForms 3.3: types-WTForms does not declare it yet.
from wtforms.fields.choices import SelectChoice  # type: ignore[attr-defined]
from wtforms.validators import URL, DataRequired, EqualTo, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from marketplace.blueprints.helpers import region_choices
from marketplace.errors import ValidationFailed
from marketplace.geo import DEPARTMENTS
from marketplace.taxonomy import LANGUAGE_NAMES, SIZE_BAND_LABELS
from marketplace.textinput import text_problem


def _text_fields(fields: Iterable[Field]) -> Iterator[StringField]:
    """Every text field, inside sub-forms and lists too (passwords are never stored)."""
    for field in fields:
        if isinstance(field, FormField):
            yield from _text_fields(field.form)
        elif isinstance(field, FieldList):
            yield from _text_fields(field.entries)
        elif isinstance(field, StringField) and not isinstance(field, PasswordField):
            yield field


class SafeForm(FlaskForm):
    """A form whose text refuses control characters (and, on one line, breaks and bidi
    controls) next to the field, and reaches the services in NFC, as the API's does."""

    def validate(self, extra_validators: Any = None) -> bool:
        valid = super().validate(extra_validators)
        for field in _text_fields(self):
            if not isinstance(field.data, str):
                continue
            problem = text_problem(field.data, multiline=isinstance(field, TextAreaField))
            if problem is None:
                field.data = unicodedata.normalize("NFC", field.data)
            else:
                field.errors = [*field.errors, str(problem)]
                valid = False
        return valid


def options(pairs: Iterable[tuple[str, object]]) -> list[SelectChoice]:
    """WTForms 3.3+ wants SelectChoice objects rather than (value, label) tuples."""
    return [SelectChoice(value, label) for value, label in pairs]


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def department_choices() -> list[SelectChoice]:
    return options([("", _l("Choose…"))] + [(d.code, f"{d.code} – {d.name}") for d in DEPARTMENTS])


def region_select_choices() -> list[SelectChoice]:
    return options(region_choices())


def apply_service_errors(
    form: FlaskForm, error: ValidationFailed, aliases: dict[str, str] | None = None
) -> None:
    """Show a service's field errors next to the matching form fields (or above the form)."""
    aliases = aliases or {}
    for name, messages in error.errors.items():
        field = getattr(form, aliases.get(name, name), None)
        if field is not None:
            field.errors = list(field.errors) + messages
        else:
            form.form_errors.extend(messages)


class _UserFields(SafeForm):
    full_name = StringField(_l("Your name"), validators=[DataRequired(), Length(max=120)])
    email = EmailField(
        _l("Email address"),
        validators=[DataRequired(), Length(max=254)],
        render_kw={"autocomplete": "email"},
    )
    password = PasswordField(
        _l("Password"),
        validators=[DataRequired()],
        description=_l("At least 10 characters."),
        render_kw={"autocomplete": "new-password"},
    )
    password_confirm = PasswordField(
        _l("Confirm the password"),
        validators=[DataRequired(), EqualTo("password", message=_l("The passwords differ."))],
        render_kw={"autocomplete": "new-password"},
    )


class CompanyRegistrationForm(_UserFields):
    company_name = StringField(_l("Company name"), validators=[DataRequired(), Length(max=160)])
    siren = StringField(
        _l("SIREN"),
        validators=[DataRequired()],
        description=_l("9 digits, on your Kbis extract or INSEE notice."),
        render_kw={"inputmode": "numeric", "autocomplete": "off"},
    )
    size_band = SelectField(
        _l("Headcount"),
        choices=options((band.value, label) for band, label in SIZE_BAND_LABELS.items()),
        validators=[DataRequired()],
    )
    naf_code = StringField(
        _l("NAF code (main activity)"),
        validators=[DataRequired()],
        description=_l("For example 47.71Z for clothing retail."),
    )
    department_code = SelectField(
        _l("Department"), choices=department_choices, validators=[DataRequired()]
    )


class ProviderRegistrationForm(_UserFields):
    provider_name = StringField(_l("Business name"), validators=[DataRequired(), Length(max=160)])
    kind = RadioField(
        _l("You are"),
        choices=options(
            [
                ("expert", _l("a digital services provider (labelled expert)")),
                ("volunteer", _l("a volunteer advisor offering free sessions")),
            ]
        ),
        default="expert",
        validators=[DataRequired()],
    )
    siret = StringField(
        _l("SIRET"),
        validators=[DataRequired()],
        description=_l("14 digits: your SIREN followed by the establishment number."),
        render_kw={"inputmode": "numeric", "autocomplete": "off"},
    )
    vat_number = StringField(
        _l("Intra-community VAT number"),
        validators=[Optional()],
        description=_l("FR, a 2-digit key, then your SIREN. Required for experts."),
    )
    department_code = SelectField(
        _l("Department of your head office"),
        choices=department_choices,
        validators=[DataRequired()],
    )
    regions = MultiCheckboxField(
        _l("Regions you serve"),
        choices=region_select_choices,
        description=_l("Leave empty to serve only your own region."),
    )
    remote_ok = BooleanField(_l("I also work remotely"), default=True)
    languages = MultiCheckboxField(
        _l("Working languages"), choices=options(LANGUAGE_NAMES.items()), default=["fr"]
    )
    website = StringField(_l("Website"), validators=[Optional(), URL(), Length(max=255)])
    bio = TextAreaField(_l("Presentation"), validators=[Optional(), Length(max=2000)])


class LoginForm(SafeForm):
    email = EmailField(
        _l("Email address"), validators=[DataRequired()], render_kw={"autocomplete": "username"}
    )
    password = PasswordField(
        _l("Password"), validators=[DataRequired()], render_kw={"autocomplete": "current-password"}
    )
    remember = BooleanField(_l("Stay logged in on this device"))


class ForgotPasswordForm(SafeForm):
    email = EmailField(_l("Email address"), validators=[DataRequired()])


class ResetPasswordForm(SafeForm):
    password = PasswordField(
        _l("New password"),
        validators=[DataRequired()],
        description=_l("At least 10 characters."),
        render_kw={"autocomplete": "new-password"},
    )
    password_confirm = PasswordField(
        _l("Confirm the new password"),
        validators=[DataRequired(), EqualTo("password", message=_l("The passwords differ."))],
        render_kw={"autocomplete": "new-password"},
    )


class ChangePasswordForm(SafeForm):
    current_password = PasswordField(
        _l("Current password"),
        validators=[DataRequired()],
        render_kw={"autocomplete": "current-password"},
    )
    new_password = PasswordField(
        _l("New password"),
        validators=[DataRequired()],
        description=_l("At least 10 characters."),
        render_kw={"autocomplete": "new-password"},
    )
    new_password_confirm = PasswordField(
        _l("Confirm the new password"),
        validators=[DataRequired(), EqualTo("new_password", message=_l("The passwords differ."))],
        render_kw={"autocomplete": "new-password"},
    )


class TokenForm(SafeForm):
    name = StringField(_l("Token name"), validators=[DataRequired(), Length(max=80)])
