"""Forms for label applications (provider side) and decisions (admin side)."""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateField,
    DecimalField,
    EmailField,
    FieldList,
    Form,
    FormField,
    IntegerField,
    RadioField,
    StringField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    StopValidation,
)

from marketplace.blueprints.forms import MultiCheckboxField, SafeForm, options
from marketplace.labels.operations import (
    MAX_TURNOVER_CENTS,
    REQUIRED_REFERENCES,
    ApplicationData,
    ReferenceData,
)
from marketplace.taxonomy import CATEGORY_LABELS


def finite(_form: Form, field: DecimalField) -> None:
    """"NaN" and "Infinity" parse as decimals; they are not amounts."""
    if field.data is not None and not field.data.is_finite():
        raise StopValidation(_l("Give an amount in euros, e.g. 1250,50."))


class ReferenceForm(Form):
    client_name = StringField(_l("Client"), validators=[Optional(), Length(max=160)])
    description = TextAreaField(_l("What you delivered"), validators=[Optional(), Length(max=1000)])
    year = IntegerField(_l("Year"), validators=[Optional(), NumberRange(min=1990, max=2100)])
    contact_email = EmailField(
        _l("Client contact (optional)"), validators=[Optional(), Length(max=254)]
    )

    def is_blank(self) -> bool:
        return not any((self.client_name.data, self.description.data, self.year.data))


class LabelApplicationForm(SafeForm):
    categories = MultiCheckboxField(
        _l("Categories you cover"),
        choices=options(CATEGORY_LABELS.items()),
        description=_l("Only these categories will be open to your subsidised offers."),
    )
    similar_projects_turnover = DecimalField(
        _l("Turnover from similar projects over the last two years (EUR excl. VAT)"),
        places=2,
        validators=[
            Optional(),
            finite,
            NumberRange(
                min=0,
                max=MAX_TURNOVER_CENTS // 100,
                message=_l("Give an amount between 0 and 10 billion euros."),
            ),
        ],
    )
    certifications = TextAreaField(
        _l("Certifications and qualifications"), validators=[Optional(), Length(max=2000)]
    )
    references = FieldList(
        FormField(ReferenceForm),
        label=_l("Client references"),
        min_entries=REQUIRED_REFERENCES,
        max_entries=REQUIRED_REFERENCES,
    )
    sworn_statement = BooleanField(
        _l(
            "I certify on my honour that this information is accurate and that my business is "
            "up to date with its tax and social obligations."
        )
    )

    def to_data(self) -> ApplicationData:
        turnover = self.similar_projects_turnover.data
        return ApplicationData(
            categories=self.categories.data or [],
            # Decimal euros → integer cents, exactly.
            similar_projects_turnover_cents=(
                int((turnover * 100).to_integral_value(ROUND_HALF_UP))
                if turnover is not None
                else 0
            ),
            certifications=self.certifications.data or "",
            references=[
                ReferenceData(
                    client_name=entry.client_name.data or "",
                    description=entry.description.data or "",
                    year=entry.year.data or 0,
                    contact_email=entry.contact_email.data or "",
                )
                for entry in (item.form for item in self.references)
                if not entry.is_blank()
            ],
            sworn_statement=bool(self.sworn_statement.data),
        )


class DecisionForm(SafeForm):
    decision = RadioField(_l("Decision"), validators=[InputRequired()], choices=[])
    reason = TextAreaField(
        _l("Reason (sent to the provider)"),
        validators=[DataRequired(), Length(min=3, max=2000)],
    )
    valid_until = DateField(
        _l("Valid until (approval only)"),
        validators=[Optional()],
        description=_l("Leave empty for one year from today."),
    )
    confirm = BooleanField(
        _l("I confirm this decision; the provider will be notified."),
        validators=[DataRequired(message=_l("Tick the box to confirm."))],
    )

    def valid_until_or_none(self) -> date | None:
        return self.valid_until.data
