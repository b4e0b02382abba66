"""Marshmallow schemas of the JSON API (/api/v1): what it accepts and what it returns.

Money is integer cents, dates are ISO 8601. Business rules live in the services: these schemas
only check shapes and types, so the API and the pages refuse the same things for the same reasons.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from marshmallow import Schema, ValidationError, fields, post_load, validate

from marketplace.accounts.models import ProviderKind, Role
from marketplace.accounts.passwords import MAX_LENGTH as PASSWORD_MAX
from marketplace.accounts.passwords import MIN_LENGTH as PASSWORD_MIN
from marketplace.accounts.service import LANGUAGES
from marketplace.billing.money import vat_amount
from marketplace.catalog import operations as offer_rules
from marketplace.catalog.models import DeliveryMode, OfferStatus, PricingUnit
from marketplace.dbtypes import MAX_ID
from marketplace.diagnosis.needs import PRIORITY_RANK
from marketplace.diagnosis.questionnaire import DIMENSION_CODES, QUESTION_TYPES
from marketplace.geo import DEPARTMENTS, REGIONS
from marketplace.labels.models import LabelStatus
from marketplace.labels.operations import (
    MAX_TURNOVER_CENTS,
    MIN_REASON_LENGTH,
    OLDEST_REFERENCE_YEARS,
    REQUIRED_REFERENCES,
    Decision,
)
from marketplace.taxonomy import CATEGORY_CODES, LANGUAGE_NAMES, SizeBand
from marketplace.textinput import UnsafeText, clean_text, text_pattern

REGION_CODES = tuple(r.code for r in REGIONS)
# Identifiers as people write them ("732 829 320", "1071C"); the services normalise them.
SIREN_PATTERN = r"^[0-9]{3} ?[0-9]{3} ?[0-9]{3}$"
SIRET_PATTERN = r"^[0-9]{3} ?[0-9]{3} ?[0-9]{3} ?[0-9]{5}$"
NAF_PATTERN = r"^[0-9]{2}\.?[0-9]{2}[A-Za-z]$"
VAT_PATTERN = r"^(FR ?[0-9]{2} ?[0-9]{3} ?[0-9]{3} ?[0-9]{3})?$"
DEPARTMENT_CODES = tuple(d.code for d in DEPARTMENTS)
LANGUAGE_CODES = tuple(LANGUAGE_NAMES)
MAX_PAGE_SIZE = 100
# Far beyond any real list; it keeps OFFSET arithmetic within every database's integers.
MAX_PAGE = 10_000
# Emails as the accounts service accepts them: internationalized addresses included.
IDN_EMAIL = "idn-email"
_CODES = "Category codes."

# marshmallow's own messages are English only; these go through the translation catalog.
_COMMON_MESSAGES = {
    "required": _l("This field is required."),
    "null": _l("This field cannot be null."),
    "validator_failed": _l("Invalid value."),
}
_MESSAGES_BY_TYPE: tuple[tuple[type[fields.Field], dict[str, Any]], ...] = (
    (fields.Email, {"invalid": _l("Enter a valid email address.")}),
    (fields.String, {"invalid": _l("Not a valid string.")}),
    (fields.Integer, {"invalid": _l("Not a valid integer.")}),
    (fields.Boolean, {"invalid": _l("Not a valid boolean.")}),
    (fields.Date, {"invalid": _l("Not a valid date (YYYY-MM-DD).")}),
    (fields.List, {"invalid": _l("Not a valid list.")}),
    (fields.Nested, {"type": _l("Not a valid object.")}),
)


def _translate_messages(field: fields.Field) -> None:
    field.error_messages = {**field.error_messages, **_COMMON_MESSAGES}
    for field_type, messages in _MESSAGES_BY_TYPE:
        if isinstance(field, field_type):
            field.error_messages.update(messages)
            break
    inner = getattr(field, "inner", None)  # the items of a List
    if isinstance(inner, fields.Field):
        _translate_messages(inner)


def _as_text(messages: Any) -> Any:
    """Error messages as plain lists of strings, translated now (we are in the request)."""
    if isinstance(messages, dict):
        return {key: _as_text(value) for key, value in messages.items()}
    if isinstance(messages, list):
        return [str(message) for message in messages]
    return [str(messages)]  # a lazy message marshmallow did not wrap in a list


def one_of(choices: tuple[str, ...] | list[str]) -> validate.OneOf:
    return validate.OneOf(choices, error=_l("Choose one of: {choices}."))


def length(maximum: int, minimum: int | None = None) -> validate.Length:
    if minimum:
        return validate.Length(
            min=minimum, max=maximum, error=_l("Give between {min} and {max} characters.")
        )
    return validate.Length(max=maximum, error=_l("Give at most {max} characters."))


def at_least(minimum: int) -> validate.Range:
    return validate.Range(min=minimum, error=_l("Must be {min} or more."))


def between(minimum: int, maximum: int) -> validate.Range:
    return validate.Range(min=minimum, max=maximum, error=_l("Must be between {min} and {max}."))


def known_values(values: Iterable[Any]) -> validate.OneOf:
    """Documents a response field's values as an enum (response schemas are never loaded)."""
    return validate.OneOf([getattr(value, "value", value) for value in values])


class Text(fields.String):
    """User text as the API takes it: see `marketplace.textinput` for what is refused.

    Unlike forms, the API does not strip spaces at either end: it refuses them, so what is
    stored is exactly what was sent. `multiline` allows tabs and line breaks (long text);
    `allow_empty` defaults to "not required". The OpenAPI pattern says the same.
    """

    default_error_messages = {"empty": _l("This field cannot be empty.")}

    def __init__(
        self, *, multiline: bool = False, allow_empty: bool | None = None, **kwargs: Any
    ) -> None:
        self.multiline = multiline
        self.allow_empty = not kwargs.get("required", False) if allow_empty is None else allow_empty
        metadata = dict(kwargs.pop("metadata", {}))
        validators = kwargs.get("validate") or []
        validators = validators if isinstance(validators, list | tuple) else [validators]
        if not any(isinstance(v, validate.Regexp) for v in validators):
            # A field with a pattern of its own documents that one (it is the stricter).
            metadata.setdefault(
                "pattern", text_pattern(multiline=multiline, required=not self.allow_empty)
            )
        super().__init__(metadata=metadata, **kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        if not text and not self.allow_empty:
            raise self.make_error("empty")
        try:
            return clean_text(text, multiline=self.multiline, trimmed=True)
        except UnsafeText as error:
            raise ValidationError(str(error.message)) from error


class WholeNumber(fields.Integer):
    """A JSON integer: 12 or 12.0 (JSON Schema counts both as integers), never "12" or true."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(strict=True, **kwargs)

    def _validated(self, value: Any) -> int:
        if isinstance(value, bool):
            raise self.make_error("invalid")
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        return super()._validated(value)


def email_field(**kwargs: Any) -> Text:
    """An email address, checked by the service (email-validator) beyond this shape."""
    metadata = {
        "format": "email",
        "description": "An address a mail can reach: special-use domains (.test, .local, "
        ".invalid, .localhost…) are refused.",
        **kwargs.pop("metadata", {}),
    }
    return Text(validate=length(254), metadata=metadata, **kwargs)


class Password(fields.String):
    """Any characters but lone surrogates (they cannot be hashed); not only digits."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(
            load_only=True,
            validate=[
                length(PASSWORD_MAX, PASSWORD_MIN),
                # Search semantics in JSON Schema; marshmallow's Regexp matches from the start.
                validate.Regexp(r"^[\s\S]*[^0-9]", error=_l("Do not use only digits.")),
            ],
            **kwargs,
        )

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        try:
            text.encode("utf-8")
        except UnicodeEncodeError as error:
            raise ValidationError(str(_l("Not a valid string."))) from error
        return text


def code_list(choices: tuple[str, ...], **kwargs: Any) -> fields.List:
    """A list of codes from a fixed set (category, region, language codes)."""
    return fields.List(Text(validate=one_of(choices)), **kwargs)


class ApiSchema(Schema):
    """Base schema: translated error messages, unknown fields refused."""

    error_messages = {
        "unknown": _l("Unknown field."),
        "type": _l("Invalid input type."),
    }

    def on_bind_field(self, field_name: str, field_obj: fields.Field) -> None:
        _translate_messages(field_obj)

    def handle_error(self, error: ValidationError, data: Any, *, many: bool, **kwargs: Any) -> None:
        raise ValidationError(
            _as_text(error.messages), data=error.data, valid_data=error.valid_data
        ) from error


# --- Pagination ----------------------------------------------------------------------------


class PageArgsSchema(ApiSchema):
    page = fields.Integer(
        load_default=1,
        validate=between(1, MAX_PAGE),
        metadata={"description": "Page number, from 1; past the last page the list is empty."},
    )
    page_size = fields.Integer(
        load_default=20,
        validate=between(1, MAX_PAGE_SIZE),
        metadata={"description": f"Items per page, at most {MAX_PAGE_SIZE}."},
    )


class PaginationSchema(ApiSchema):
    page = fields.Integer(required=True)
    page_size = fields.Integer(required=True)
    total = fields.Integer(required=True, metadata={"description": "Items over all pages."})
    pages = fields.Integer(required=True, metadata={"description": "Number of pages."})


# --- Errors --------------------------------------------------------------------------------


class ErrorSchema(ApiSchema):
    """The body of every API error, as `marketplace.blueprints.errors` writes it.

    flask-smorest documents every error response with it (`Api.ERROR_SCHEMA`); it never
    serializes anything.
    """

    code = fields.Integer(
        required=True,
        validate=validate.Range(min=400, max=599),
        metadata={"description": "The HTTP status code."},
    )
    status = fields.String(
        required=True, metadata={"description": "The status's name, e.g. Not Found."}
    )
    message = fields.String(
        required=True, metadata={"description": "What went wrong, in the caller's language."}
    )
    errors = fields.Dict(
        keys=fields.String(),
        values=fields.Raw(metadata={"type": ["object", "array"]}),
        metadata={
            "description": "Only when the request was refused field by field: per location "
            "(json, query…), field → messages, or a list of messages about the whole body."
        },
    )


# --- Organisations and users ---------------------------------------------------------------


class RegionSchema(ApiSchema):
    code = fields.String(required=True, metadata={"description": "INSEE code."})
    name = fields.String(required=True)


class CompanySummarySchema(ApiSchema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    siren = fields.String(required=True, metadata={"description": "9 digits."})
    size_band = fields.String(required=True, validate=known_values(SizeBand))
    naf_code = fields.String(required=True)
    department_code = fields.String(required=True)
    region_code = fields.String(required=True, attribute="department.region_code")


class ProviderSummarySchema(ApiSchema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    siret = fields.String(required=True, metadata={"description": "14 digits."})
    kind = fields.Enum(ProviderKind, by_value=True, required=True)
    department_code = fields.String(required=True)
    has_active_label = fields.Boolean(required=True)


class UserSchema(ApiSchema):
    id = fields.Integer(required=True)
    email = fields.String(required=True, metadata={"format": IDN_EMAIL})
    full_name = fields.String(required=True)
    role = fields.Enum(Role, by_value=True, required=True)
    locale = fields.String(required=True, validate=known_values(LANGUAGES))
    company = fields.Nested(
        CompanySummarySchema,
        required=True,
        allow_none=True,
        metadata={"description": "Null unless the user acts for a company."},
    )
    provider = fields.Nested(
        ProviderSummarySchema,
        required=True,
        allow_none=True,
        metadata={"description": "Null unless the user acts for a provider."},
    )


class _UserFieldsSchema(ApiSchema):
    email = email_field(required=True)
    password = Password(
        required=True,
        metadata={"description": "Not only digits, and not the email address."},
    )
    full_name = Text(required=True, validate=length(120))
    locale = Text(
        validate=one_of(("fr", "en")),
        metadata={"description": "fr or en; by default the request's Accept-Language."},
    )


class CompanyRegistrationSchema(_UserFieldsSchema):
    company_name = Text(required=True, validate=length(160))
    siren = Text(
        required=True,
        validate=validate.Regexp(SIREN_PATTERN, error=_l("A SIREN has 9 digits.")),
        metadata={
            "format": "siren",
            "description": "9 digits (spaces between groups of 3 allowed); the last is a Luhn "
            "check digit.",
        },
    )
    size_band = Text(required=True, validate=one_of([b.value for b in SizeBand]))
    naf_code = Text(
        required=True,
        validate=validate.Regexp(NAF_PATTERN, error=_l("A NAF code looks like 62.01Z.")),
        metadata={"description": "NAF rév. 2 code, e.g. 62.01Z"},
    )
    department_code = Text(
        required=True,
        validate=one_of(DEPARTMENT_CODES),
        metadata={"description": "INSEE code, e.g. 69 or 2A"},
    )


class ProviderRegistrationSchema(_UserFieldsSchema):
    provider_name = Text(required=True, validate=length(160))
    siret = Text(
        required=True,
        validate=validate.Regexp(SIRET_PATTERN, error=_l("A SIRET has 14 digits.")),
        metadata={
            "format": "siret",
            "description": "14 digits: the SIREN, then the establishment; Luhn check digit.",
        },
    )
    kind = Text(required=True, validate=one_of([k.value for k in ProviderKind]))
    vat_number = Text(
        load_default="",
        validate=validate.Regexp(
            VAT_PATTERN, error=_l("A French VAT number is FR, 2 digits and the SIREN.")
        ),
        metadata={
            "format": "fr-vat",
            "description": "FR, the 2-digit key and the SIRET's SIREN; required for experts.",
        },
    )
    department_code = Text(required=True, validate=one_of(DEPARTMENT_CODES))
    regions = code_list(
        REGION_CODES,
        load_default=list,
        metadata={"description": "INSEE region codes served (default: the department's)."},
    )
    remote_ok = fields.Boolean(load_default=True)
    languages = code_list(
        LANGUAGE_CODES, load_default=lambda: ["fr"], metadata={"description": "ISO 639-1."}
    )
    bio = Text(load_default="", multiline=True, validate=length(4000))
    website = Text(load_default="", validate=length(255))


# --- API tokens ----------------------------------------------------------------------------


class TokenRequestSchema(ApiSchema):
    email = Text(required=True, validate=length(254))
    password = fields.String(required=True, load_only=True, validate=length(PASSWORD_MAX, 1))
    name = Text(
        load_default="API",
        allow_empty=False,
        validate=length(80),
        metadata={"description": "What the token is for, to recognise it later."},
    )


class TokenSchema(ApiSchema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    prefix = fields.String(
        required=True, metadata={"description": "The first characters, to recognise it."}
    )
    created_at = fields.DateTime(required=True)
    expires_at = fields.DateTime(
        required=True, allow_none=True, metadata={"description": "Null: it does not expire."}
    )
    last_used_at = fields.DateTime(
        required=True, allow_none=True, metadata={"description": "Null: never used yet."}
    )


class NewTokenSchema(TokenSchema):
    token = fields.String(
        required=True,
        metadata={"description": "Send as `Authorization: Bearer <token>`. Shown only once."},
    )


# --- Providers directory -------------------------------------------------------------------


class ProviderQuerySchema(PageArgsSchema):
    region = Text(validate=one_of(REGION_CODES), metadata={"description": "Served."})
    category = Text(validate=one_of(CATEGORY_CODES))
    kind = Text(validate=one_of([k.value for k in ProviderKind]))
    q = Text(validate=length(100), metadata={"description": "Part of the name."})


class PublicLabelSchema(ApiSchema):
    status = fields.Enum(LabelStatus, by_value=True, required=True)
    is_active = fields.Boolean(
        required=True, metadata={"description": "Approved and within its validity."}
    )
    categories = fields.List(
        fields.String(), required=True, attribute="category_codes", metadata={"description": _CODES}
    )
    valid_until = fields.Date(
        required=True, allow_none=True, metadata={"description": "Last valid day; null if none."}
    )


class ProviderSchema(ApiSchema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    kind = fields.Enum(ProviderKind, by_value=True, required=True)
    siret = fields.String(required=True, metadata={"description": "14 digits."})
    department_code = fields.String(required=True)
    regions = fields.List(
        fields.Nested(RegionSchema), required=True, metadata={"description": "Served."}
    )
    remote_ok = fields.Boolean(required=True)
    languages = fields.List(
        fields.String(), required=True, metadata={"description": "ISO 639-1 codes."}
    )
    bio = fields.String(required=True, metadata={"description": "May be empty."})
    website = fields.String(required=True, metadata={"description": "May be empty."})
    label = fields.Nested(
        PublicLabelSchema,
        required=True,
        attribute="current_label",
        allow_none=True,
        metadata={"description": "The latest application; null when it never applied."},
    )


class ProviderPageSchema(ApiSchema):
    items = fields.List(fields.Nested(ProviderSchema), required=True)
    pagination = fields.Nested(PaginationSchema, required=True)


# --- Labels --------------------------------------------------------------------------------


def _reference_years() -> validate.Range:
    """The years a reference may be from; the document says the bounds of the day it is built."""
    this_year = date.today().year
    return between(this_year - OLDEST_REFERENCE_YEARS, this_year)


class ReferenceSchema(ApiSchema):
    client_name = Text(required=True, validate=length(160))
    description = Text(required=True, multiline=True, validate=length(1000))
    year = WholeNumber(
        required=True,
        validate=_reference_years(),
        metadata={"description": f"At most {OLDEST_REFERENCE_YEARS} years ago."},
    )
    contact_email = email_field(load_default="")


class LabelApplicationSchema(ApiSchema):
    categories = code_list(
        CATEGORY_CODES,
        required=True,
        validate=validate.Length(min=1, error=_l("Choose at least one category.")),
        metadata={"description": "Category codes the label should cover."},
    )
    similar_projects_turnover_cents = WholeNumber(
        required=True,
        validate=between(0, MAX_TURNOVER_CENTS),
        metadata={
            "description": "Turnover from similar projects over two years, EUR cents "
            "(more than 0 for experts)."
        },
    )
    certifications = Text(load_default="", multiline=True, validate=length(2000))
    references = fields.List(
        fields.Nested(ReferenceSchema),
        load_default=list,
        validate=validate.Length(
            max=REQUIRED_REFERENCES, error=_l("Give at most {max} references.")
        ),
        metadata={
            "description": f"Client references ({REQUIRED_REFERENCES} for experts, "
            "optional for volunteers)."
        },
    )
    sworn_statement = fields.Boolean(
        required=True,
        validate=validate.OneOf(
            [True], error=_l("You must certify that the information is accurate.")
        ),
        metadata={"description": "Must be true: the information is accurate."},
    )


class DecisionRequestSchema(ApiSchema):
    decision = Text(required=True, validate=one_of([d.value for d in Decision]))
    reason = Text(
        required=True,
        multiline=True,
        validate=length(2000, MIN_REASON_LENGTH),
        metadata={"description": "Mailed to the provider."},
    )
    valid_until = fields.Date(
        allow_none=True,
        load_default=None,
        metadata={
            "description": "Approvals only: after today; default: today + the configured validity."
        },
    )


class DecisionSchema(ApiSchema):
    id = fields.Integer(required=True)
    label_id = fields.Integer(required=True)
    from_status = fields.Enum(LabelStatus, by_value=True, required=True)
    to_status = fields.Enum(LabelStatus, by_value=True, required=True)
    reason = fields.String(required=True)
    actor = fields.Function(
        lambda decision: decision.actor.email if decision.actor else None,
        required=True,
        allow_none=True,
        metadata={
            "type": "string",
            "format": IDN_EMAIL,
            "description": "Email of the administrator; null when the system decided.",
        },
    )
    created_at = fields.DateTime(required=True)
    valid_until = fields.Date(
        required=True,
        allow_none=True,
        metadata={"description": "The label's last valid day after it; null when none is set."},
    )


class LabelReferenceSchema(ApiSchema):
    client_name = fields.String(required=True)
    description = fields.String(required=True)
    year = fields.Integer(required=True)
    contact_email = fields.String(
        required=True,
        metadata={"description": "As the provider gave it (pages do not check it); may be empty."},
    )


class EvidenceSchema(ApiSchema):
    similar_projects_turnover_cents = fields.Integer(
        required=True, metadata={"description": "EUR cents."}
    )
    certifications = fields.String(required=True, metadata={"description": "May be empty."})
    references = fields.List(fields.Nested(LabelReferenceSchema), required=True)
    sworn_statement_at = fields.DateTime(required=True)


class LabelProviderSchema(ApiSchema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    kind = fields.Enum(ProviderKind, by_value=True, required=True)
    department_code = fields.String(required=True)


class LabelSchema(ApiSchema):
    id = fields.Integer(required=True)
    provider = fields.Nested(LabelProviderSchema, required=True)
    status = fields.Enum(LabelStatus, by_value=True, required=True)
    is_active = fields.Boolean(
        required=True, metadata={"description": "Approved and within its validity."}
    )
    categories = fields.List(
        fields.String(), required=True, attribute="category_codes", metadata={"description": _CODES}
    )
    evidence = fields.Nested(EvidenceSchema, required=True)
    submitted_at = fields.DateTime(required=True)
    decided_at = fields.DateTime(
        required=True, allow_none=True, metadata={"description": "Null until decided."}
    )
    valid_until = fields.Date(
        required=True, allow_none=True, metadata={"description": "Last valid day; null if none."}
    )
    decisions = fields.List(
        fields.Nested(DecisionSchema), required=True, metadata={"description": "Oldest first."}
    )

    def get_attribute(self, obj: Any, attr: str, default: Any) -> Any:
        if attr == "evidence":  # the evidence columns live on the label itself
            return obj
        return super().get_attribute(obj, attr, default)


class LabelQuerySchema(PageArgsSchema):
    status = Text(
        validate=one_of([s.value for s in LabelStatus]),
        metadata={"description": "Only labels in this status (default: every status)."},
    )
    region = Text(
        validate=one_of(REGION_CODES), metadata={"description": "Provider's head-office region."}
    )
    category = Text(validate=one_of(CATEGORY_CODES))


class LabelPageSchema(ApiSchema):
    items = fields.List(fields.Nested(LabelSchema), required=True)
    pagination = fields.Nested(PaginationSchema, required=True)


# --- Diagnosis -----------------------------------------------------------------------------


class LocalizedTextSchema(ApiSchema):
    """A text in both languages: clients show the one they need (French is the reference)."""

    fr = fields.String(required=True)
    en = fields.String(required=True)


class OptionalTextSchema(ApiSchema):
    """A text a questionnaire may leave out: {} when it has none, else as LocalizedText."""

    fr = fields.String()
    en = fields.String()


def optional_text() -> fields.Nested:
    return fields.Nested(
        OptionalTextSchema,
        required=True,
        metadata={"description": "{} when the questionnaire has none."},
    )


class QuestionnaireQuerySchema(ApiSchema):
    version = fields.Integer(
        validate=between(1, 1000),
        metadata={"description": "An older version, to read old diagnoses (default: current)."},
    )


class DimensionSchema(ApiSchema):
    code = fields.String(required=True, validate=known_values(DIMENSION_CODES))
    title = fields.Nested(LocalizedTextSchema, required=True)
    description = optional_text()


class BandSchema(ApiSchema):
    code = fields.String(required=True)
    min = fields.Integer(
        required=True, metadata={"description": "Lowest overall score in the band."}
    )
    max = fields.Integer(
        required=True, metadata={"description": "Highest overall score in the band."}
    )
    title = fields.Nested(LocalizedTextSchema, required=True)
    narrative = fields.Nested(LocalizedTextSchema, required=True)


class OptionSchema(ApiSchema):
    value = fields.String(
        required=True, metadata={"description": "What to send as (part of) the answer."}
    )
    label = fields.Nested(LocalizedTextSchema, required=True)
    points = fields.Integer(required=True)
    exclusive = fields.Boolean(
        required=True,
        metadata={"description": "Multi questions: cannot be combined with other choices."},
    )


class QuestionSchema(ApiSchema):
    id = fields.String(required=True)
    dimension = fields.String(
        required=True,
        validate=known_values(DIMENSION_CODES),
        metadata={"description": "Code of its dimension."},
    )
    type = fields.String(
        required=True,
        validate=known_values(QUESTION_TYPES),
        metadata={
            "description": "single: one option value; multi: a list of option values; "
            "scale: an integer 0 to 5; tristate: no, partially or yes."
        },
    )
    weight = fields.Integer(
        required=True, metadata={"description": "1 to 3, within its dimension."}
    )
    text = fields.Nested(LocalizedTextSchema, required=True)
    help = optional_text()
    options = fields.List(
        fields.Nested(OptionSchema),
        required=True,
        metadata={"description": "single and multi only; empty for the others."},
    )
    max_points = fields.Integer(
        required=True,
        allow_none=True,
        metadata={
            "description": "multi only (null otherwise): points beyond it count as the maximum."
        },
    )
    allowed_values = fields.List(
        fields.Raw(metadata={"oneOf": [{"type": "string"}, {"type": "integer"}]}),
        required=True,
        metadata={"description": "Every value the answer may take (or contain, for multi)."},
    )


class QuestionnaireSchema(ApiSchema):
    version = fields.Integer(required=True)
    title = fields.Nested(LocalizedTextSchema, required=True)
    intro = optional_text()
    dimensions = fields.List(
        fields.Nested(DimensionSchema), required=True, metadata={"description": "In order."}
    )
    bands = fields.List(
        fields.Nested(BandSchema),
        required=True,
        metadata={"description": "Cover 0 to 100 without overlap."},
    )
    questions = fields.List(
        fields.Nested(QuestionSchema), required=True, metadata={"description": "In order."}
    )


def answers_json_schema(questionnaire: Any) -> dict[str, Any]:
    """The JSON Schema of a complete set of answers to `questionnaire`, question by question.

    The service checks the same (`answer_problems`); this says it in the OpenAPI document so a
    client can build valid answers from it alone.
    """
    from marketplace.diagnosis.questionnaire import MULTI, SCALE, SCALE_VALUES

    properties: dict[str, Any] = {}
    for question in questionnaire.questions:
        if question.type == SCALE:
            properties[question.id] = {
                "type": "integer",
                "minimum": min(SCALE_VALUES),
                "maximum": max(SCALE_VALUES),
            }
        elif question.type == MULTI:
            combinable = [o.value for o in question.options if not o.exclusive]
            exclusive = [o.value for o in question.options if o.exclusive]
            choices: list[dict[str, Any]] = [{"items": {"enum": combinable}}]
            choices += [
                {"items": {"const": value}, "minItems": 1, "maxItems": 1} for value in exclusive
            ]
            properties[question.id] = {"type": "array", "uniqueItems": True, "anyOf": choices}
        else:
            properties[question.id] = {"type": "string", "enum": list(question.allowed_values)}
    return {
        "type": "object",
        "properties": properties,
        "required": list(properties),
        "additionalProperties": False,
    }


def _current_questionnaire() -> Any:
    from marketplace.diagnosis.questionnaire import CURRENT_VERSION, load_questionnaire

    return load_questionnaire(CURRENT_VERSION)


class DiagnosisRequestSchema(ApiSchema):
    answers = fields.Dict(
        keys=fields.String(),
        required=True,
        error_messages={"invalid": _l("Not a valid object.")},
        metadata={
            **answers_json_schema(_current_questionnaire()),
            "description": "Every question of the current questionnaire: question id → answer "
            "(a string for single and tristate, an integer 0 to 5 for scale, a list of "
            "distinct option values for multi, an exclusive one alone). Answers are checked "
            "by the service: faults come back as 422 with `errors.json.answers.<question id>`.",
        },
    )

    @post_load
    def whole_numbers_as_int(self, data: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        """JSON Schema counts 3.0 as the integer 3; so does the scoring."""
        data["answers"] = {
            key: int(value) if isinstance(value, float) and value.is_integer() else value
            for key, value in data["answers"].items()
        }
        return data


class NeedReasonSchema(ApiSchema):
    rule = fields.String(required=True, metadata={"description": "Id of the rule that fired."})
    text = fields.Nested(LocalizedTextSchema, required=True)


class NeedSchema(ApiSchema):
    need = fields.String(required=True, metadata={"description": "Category code of the need."})
    priority = fields.String(required=True, validate=known_values(PRIORITY_RANK))
    reasons = fields.List(fields.Nested(NeedReasonSchema), required=True)


class DiagnosisSchema(ApiSchema):
    id = fields.Integer(required=True)
    created_at = fields.DateTime(required=True)
    questionnaire_version = fields.Integer(required=True)
    dimension_scores = fields.Dict(
        keys=fields.String(),
        values=fields.Integer(),
        required=True,
        metadata={"description": "Dimension code → score, 0 to 100."},
    )
    overall_score = fields.Integer(required=True, metadata={"description": "0 to 100."})
    band = fields.String(
        required=True, metadata={"description": "Code of the band of the overall score."}
    )
    needs = fields.List(
        fields.Nested(NeedSchema),
        required=True,
        metadata={"description": "Highest priority first."},
    )
    answers = fields.Dict(
        keys=fields.String(),
        required=True,
        metadata={"description": "As stored: multi choices in the questionnaire's order."},
    )


class DiagnosisPageSchema(ApiSchema):
    items = fields.List(fields.Nested(DiagnosisSchema), required=True)
    pagination = fields.Nested(PaginationSchema, required=True)


# --- Offers --------------------------------------------------------------------------------


def _vat_cents(offer: Any) -> int:
    return vat_amount(offer.price_excl_vat_cents, offer.vat_rate_bp)


class OfferQuerySchema(PageArgsSchema):
    category = Text(validate=one_of(CATEGORY_CODES), metadata={"description": "Main category."})
    need = Text(
        validate=one_of(CATEGORY_CODES),
        metadata={"description": "A need the offer addresses (its category included)."},
    )
    region = Text(
        validate=one_of(REGION_CODES),
        metadata={"description": "Delivered in this region, or remotely."},
    )
    provider = fields.Integer(
        validate=between(1, MAX_ID),
        metadata={"description": "Only this provider's offers (its id)."},
    )


class OfferProviderSchema(ApiSchema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    kind = fields.Enum(ProviderKind, by_value=True, required=True)


class OfferSchema(ApiSchema):
    id = fields.Integer(required=True)
    provider = fields.Nested(OfferProviderSchema, required=True)
    title = fields.String(required=True)
    summary = fields.String(required=True)
    description = fields.String(required=True, metadata={"description": "May be empty."})
    category = fields.String(
        required=True, attribute="category_code", metadata={"description": "Main category code."}
    )
    needs = fields.List(
        fields.String(),
        required=True,
        attribute="need_codes",
        metadata={"description": "Category included."},
    )
    price_excl_vat_cents = fields.Integer(
        required=True, metadata={"description": "EUR cents, 0 when free."}
    )
    vat_rate_bp = fields.Integer(
        required=True, metadata={"description": "Basis points: 2000 = 20 %."}
    )
    vat_cents = fields.Function(
        _vat_cents,
        required=True,
        metadata={"type": "integer", "description": "VAT in cents, rounded half-up."},
    )
    price_incl_vat_cents = fields.Function(
        lambda offer: offer.price_excl_vat_cents + _vat_cents(offer),
        required=True,
        metadata={"type": "integer", "description": "Price excl. VAT + VAT, in cents."},
    )
    pricing_unit = fields.String(required=True, validate=known_values(PricingUnit))
    duration_days = fields.Integer(
        required=True, allow_none=True, metadata={"description": "Null when not given."}
    )
    delivery_mode = fields.String(required=True, validate=known_values(DeliveryMode))
    regions = fields.List(
        fields.String(),
        required=True,
        attribute="region_codes",
        metadata={"description": "INSEE codes; may be empty when remote."},
    )
    languages = fields.List(
        fields.String(), required=True, metadata={"description": "ISO 639-1 codes."}
    )
    status = fields.String(required=True, validate=known_values(OfferStatus))
    published_at = fields.DateTime(
        required=True,
        allow_none=True,
        metadata={"description": "When last published; null for a draft."},
    )
    archived_at = fields.DateTime(
        required=True, allow_none=True, metadata={"description": "When archived; null otherwise."}
    )
    unpublished_reason = fields.String(
        required=True,
        metadata={"description": "Why an administrator unpublished it; empty otherwise."},
    )
    created_at = fields.DateTime(required=True)
    updated_at = fields.DateTime(required=True)


class OfferPageSchema(ApiSchema):
    items = fields.List(fields.Nested(OfferSchema), required=True)
    pagination = fields.Nested(PaginationSchema, required=True)


class OfferUpdateSchema(ApiSchema):
    """Every field optional: only the fields sent change (the rules apply to the result)."""

    title = Text(allow_empty=False, validate=length(offer_rules.TITLE_MAX, offer_rules.TITLE_MIN))
    summary = Text(allow_empty=False, validate=length(offer_rules.SUMMARY_MAX))
    description = Text(multiline=True, validate=length(offer_rules.DESCRIPTION_MAX))
    category = Text(validate=one_of(CATEGORY_CODES))
    needs = code_list(
        CATEGORY_CODES,
        metadata={"description": "Category codes addressed; the main category always is."},
    )
    price_excl_vat_cents = WholeNumber(
        validate=between(0, offer_rules.MAX_PRICE_CENTS),
        metadata={"description": "EUR cents excl. VAT; 0 for a free offer (volunteers: 0)."},
    )
    vat_rate_bp = WholeNumber(
        validate=validate.OneOf(offer_rules.VAT_RATES_BP, error=_l("Choose one of: {choices}.")),
        metadata={"description": "Basis points: 0, 5.5 %, 10 % or 20 %."},
    )
    pricing_unit = Text(validate=one_of([u.value for u in PricingUnit]))
    duration_days = WholeNumber(allow_none=True, validate=between(1, offer_rules.MAX_DURATION_DAYS))
    delivery_mode = Text(validate=one_of([m.value for m in DeliveryMode]))
    regions = code_list(
        REGION_CODES,
        metadata={
            "description": "INSEE region codes; empty: the regions the provider serves "
            "(none needed when remote)."
        },
    )
    languages = code_list(
        LANGUAGE_CODES,
        validate=validate.Length(min=1, error=_l("Choose at least one language.")),
        metadata={"description": "ISO 639-1 codes."},
    )


class OfferCreateSchema(OfferUpdateSchema):
    title = Text(required=True, validate=length(offer_rules.TITLE_MAX, offer_rules.TITLE_MIN))
    summary = Text(required=True, validate=length(offer_rules.SUMMARY_MAX))
    description = Text(
        load_default="", multiline=True, validate=length(offer_rules.DESCRIPTION_MAX)
    )
    category = Text(required=True, validate=one_of(CATEGORY_CODES))
    needs = code_list(
        CATEGORY_CODES,
        load_default=list,
        metadata={"description": "Other needs addressed besides the main category."},
    )
    price_excl_vat_cents = WholeNumber(
        required=True,
        validate=between(0, offer_rules.MAX_PRICE_CENTS),
        metadata={"description": "EUR cents excl. VAT; 0 for a free offer (volunteers: 0)."},
    )
    vat_rate_bp = WholeNumber(
        load_default=offer_rules.DEFAULT_VAT_RATE_BP,
        validate=validate.OneOf(offer_rules.VAT_RATES_BP, error=_l("Choose one of: {choices}.")),
        metadata={"description": "Basis points: 0, 5.5 %, 10 % or 20 %."},
    )
    pricing_unit = Text(required=True, validate=one_of([u.value for u in PricingUnit]))
    duration_days = WholeNumber(
        allow_none=True,
        load_default=None,
        validate=between(1, offer_rules.MAX_DURATION_DAYS),
    )
    delivery_mode = Text(required=True, validate=one_of([m.value for m in DeliveryMode]))
    regions = code_list(
        REGION_CODES,
        load_default=list,
        metadata={
            "description": "INSEE region codes; empty: the regions the provider serves "
            "(none needed when remote)."
        },
    )
    languages = code_list(
        LANGUAGE_CODES,
        load_default=lambda: ["fr"],
        validate=validate.Length(min=1, error=_l("Choose at least one language.")),
        metadata={"description": "ISO 639-1 codes."},
    )


# --- Search -------------------------------------------------------------------------------


def _search_choices() -> dict[str, tuple[str, ...]]:
    from marketplace.search.params import DELIVERY_MODES, PRICE_BAND_CODES, PROVIDER_KINDS
    from marketplace.search.query import SORTS

    return {
        "delivery": DELIVERY_MODES,
        "kind": PROVIDER_KINDS,
        "price": PRICE_BAND_CODES,
        "sort": tuple(SORTS),
    }


_SEARCH = _search_choices()


class SearchArgsSchema(ApiSchema):
    """Query arguments of GET /api/v1/search."""

    q = Text(
        load_default="", validate=length(200), metadata={"description": "Words (typo tolerant)."}
    )
    need = code_list(CATEGORY_CODES, load_default=list)
    region = code_list(REGION_CODES, load_default=list)
    remote = fields.Boolean(
        load_default=True, metadata={"description": "With region: also remote offers."}
    )
    delivery = code_list(_SEARCH["delivery"], load_default=list)
    kind = code_list(_SEARCH["kind"], load_default=list)
    price = code_list(
        _SEARCH["price"], load_default=list, metadata={"description": "Price bands excl. VAT."}
    )
    programme = fields.List(
        Text(allow_empty=False, validate=length(40)),
        load_default=list,
        validate=validate.Length(max=20, error=_l("Give at most {max} values.")),
        metadata={"description": "Subsidy programme codes."},
    )
    sort = Text(load_default="relevance", validate=one_of(_SEARCH["sort"]))
    page = fields.Integer(
        load_default=1,
        validate=between(1, MAX_PAGE),
        metadata={"description": "From 1; results stop after the 1,000th hit."},
    )
    page_size = fields.Integer(load_default=20, validate=between(1, MAX_PAGE_SIZE))


class EpochDateTime(fields.DateTime):
    """A Unix timestamp (as search documents store dates) written as an ISO 8601 datetime."""

    def _serialize(
        self, value: Any, attr: str | None, obj: Any, **kwargs: Any
    ) -> str | float | None:
        moment = datetime.fromtimestamp(value, UTC) if isinstance(value, int) else value
        return super()._serialize(moment, attr, obj, **kwargs)


class IndexedOfferProviderSchema(ApiSchema):
    id = fields.Integer(required=True, attribute="provider_id")
    name = fields.String(required=True, attribute="provider_name")
    kind = fields.String(
        required=True, attribute="provider_kind", validate=known_values(ProviderKind)
    )


class IndexedOfferSchema(ApiSchema):
    """A published offer as the search index holds it, with `OfferSchema`'s names for the same
    facts (search results and recommendations)."""

    id = fields.Integer(required=True)
    provider = fields.Nested(IndexedOfferProviderSchema, required=True)
    title = fields.String(required=True)
    summary = fields.String(required=True)
    category = fields.String(required=True, metadata={"description": "Main category code."})
    needs = fields.List(
        fields.String(), required=True, metadata={"description": "Category included."}
    )
    price_excl_vat_cents = fields.Integer(
        required=True, attribute="price_cents", metadata={"description": "EUR cents, 0 when free."}
    )
    vat_rate_bp = fields.Integer(
        required=True, metadata={"description": "Basis points: 2000 = 20 %."}
    )
    price_band = fields.String(required=True, validate=known_values(_SEARCH["price"]))
    pricing_unit = fields.String(required=True, validate=known_values(PricingUnit))
    duration_days = fields.Integer(required=True, allow_none=True)
    delivery_mode = fields.String(required=True, validate=known_values(DeliveryMode))
    regions = fields.List(fields.String(), required=True, metadata={"description": "INSEE codes."})
    languages = fields.List(fields.String(), required=True)
    programmes = fields.List(
        fields.String(), required=True, metadata={"description": "Subsidy programme codes."}
    )
    published_at = EpochDateTime(required=True)

    def get_attribute(self, obj: Any, attr: str, default: Any) -> Any:
        if attr == "provider":  # the provider's fields sit in the document itself
            return obj
        return super().get_attribute(obj, attr, default)


class SearchHitSchema(IndexedOfferSchema):
    """One offer found, and where the query matched it."""

    highlights = fields.Dict(
        keys=fields.String(),
        values=fields.String(),
        required=True,
        metadata={
            "description": "Field → its text with the matched words in <mark>…</mark> "
            "(HTML-escaped)."
        },
    )

    def get_attribute(self, obj: Any, attr: str, default: Any) -> Any:
        if attr == "highlights":
            return obj.highlights
        return super().get_attribute(obj.document, attr, default)


class SearchResultSchema(ApiSchema):
    hits = fields.List(fields.Nested(SearchHitSchema), required=True)
    total = fields.Integer(required=True, metadata={"description": "Exact, over all pages."})
    page = fields.Integer(required=True)
    page_size = fields.Integer(attribute="per_page", required=True)
    pages = fields.Integer(required=True)
    facets = fields.Dict(
        keys=fields.String(),
        values=fields.Dict(keys=fields.String(), values=fields.Integer()),
        required=True,
        metadata={"description": "Facet → value → number of hits with it."},
    )
