"""JSON API schemas of accounts: registration, users, tokens and the providers directory."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from marshmallow import fields, validate

from marketplace.accounts.models import ProviderKind, Role
from marketplace.accounts.passwords import MAX_LENGTH as PASSWORD_MAX
from marketplace.accounts.service import LANGUAGES
from marketplace.labels.schemas import PublicLabelSchema
from marketplace.schemas import (
    DEPARTMENT_CODES,
    IDN_EMAIL,
    LANGUAGE_CODES,
    REGION_CODES,
    ApiSchema,
    PageArgsSchema,
    PaginationSchema,
    Password,
    Text,
    code_list,
    email_field,
    known_values,
    length,
    one_of,
)
from marketplace.taxonomy import CATEGORY_CODES, SizeBand

SIREN_PATTERN = r"^[0-9]{3} ?[0-9]{3} ?[0-9]{3}$"
SIRET_PATTERN = r"^[0-9]{3} ?[0-9]{3} ?[0-9]{3} ?[0-9]{5}$"
NAF_PATTERN = r"^[0-9]{2}\.?[0-9]{2}[A-Za-z]$"
VAT_PATTERN = r"^(FR ?[0-9]{2} ?[0-9]{3} ?[0-9]{3} ?[0-9]{3})?$"


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
