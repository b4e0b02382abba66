"""Marshmallow schemas of the JSON API (/api/v1): what it accepts and what it returns.

Money is integer cents, dates are ISO 8601. Business rules live in the services: these schemas
only check shapes and types, so the API and the pages refuse the same things for the same reasons.
"""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from marshmallow import Schema, ValidationError, fields, validate

from marketplace.accounts.models import ProviderKind, Role
from marketplace.geo import REGIONS
from marketplace.labels.models import LabelStatus
from marketplace.labels.operations import Decision
from marketplace.taxonomy import CATEGORY_CODES, SizeBand

REGION_CODES = tuple(r.code for r in REGIONS)
MAX_PAGE_SIZE = 100

# marshmallow's own messages are English only; these go through the translation catalog.
_COMMON_MESSAGES = {
    "required": _l("This field is required."),
    "null": _l("This field cannot be null."),
    "validator_failed": _l("Invalid value."),
}
_MESSAGES_BY_TYPE: tuple[tuple[type[fields.Field], dict[str, Any]], ...] = (
    (fields.Email, {"invalid": _l("Enter a valid email address.")}),
    (fields.String, {"invalid": _l("Not a valid string.")}),
    (fields.Integer, {"invalid": _l("Not a valid integer (amounts are in cents).")}),
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
        validate=validate.Range(min=1, error=_l("Must be {min} or more.")),
        metadata={"description": "Page number, from 1."},
    )
    page_size = fields.Integer(
        load_default=20,
        validate=validate.Range(
            min=1, max=MAX_PAGE_SIZE, error=_l("Must be between {min} and {max}.")
        ),
        metadata={"description": f"Items per page, at most {MAX_PAGE_SIZE}."},
    )


class PaginationSchema(ApiSchema):
    page = fields.Integer(required=True)
    page_size = fields.Integer(required=True)
    total = fields.Integer(required=True, metadata={"description": "Items over all pages."})
    pages = fields.Integer(required=True, metadata={"description": "Number of pages."})


# --- Organisations and users ---------------------------------------------------------------


class RegionSchema(ApiSchema):
    code = fields.String()
    name = fields.String()


class CompanySummarySchema(ApiSchema):
    id = fields.Integer()
    name = fields.String()
    siren = fields.String()
    size_band = fields.String()
    naf_code = fields.String()
    department_code = fields.String()
    region_code = fields.String(attribute="department.region_code")


class ProviderSummarySchema(ApiSchema):
    id = fields.Integer()
    name = fields.String()
    siret = fields.String()
    kind = fields.Enum(ProviderKind, by_value=True)
    department_code = fields.String()
    has_active_label = fields.Boolean()


class UserSchema(ApiSchema):
    id = fields.Integer()
    email = fields.String()
    full_name = fields.String()
    role = fields.Enum(Role, by_value=True)
    locale = fields.String()
    company = fields.Nested(CompanySummarySchema, allow_none=True)
    provider = fields.Nested(ProviderSummarySchema, allow_none=True)


class _UserFieldsSchema(ApiSchema):
    email = fields.String(required=True, validate=length(254))
    password = fields.String(required=True, load_only=True, validate=length(128))
    full_name = fields.String(required=True, validate=length(120))
    locale = fields.String(
        validate=one_of(("fr", "en")),
        metadata={"description": "fr or en; by default the request's Accept-Language."},
    )


class CompanyRegistrationSchema(_UserFieldsSchema):
    company_name = fields.String(required=True, validate=length(160))
    siren = fields.String(
        required=True, validate=length(20), metadata={"description": "9 digits, spaces allowed."}
    )
    size_band = fields.String(required=True, validate=one_of([b.value for b in SizeBand]))
    naf_code = fields.String(
        required=True, validate=length(10), metadata={"description": "e.g. 62.01Z"}
    )
    department_code = fields.String(
        required=True, validate=length(3), metadata={"description": "INSEE code, e.g. 69"}
    )


class ProviderRegistrationSchema(_UserFieldsSchema):
    provider_name = fields.String(required=True, validate=length(160))
    siret = fields.String(
        required=True, validate=length(30), metadata={"description": "14 digits, spaces allowed."}
    )
    kind = fields.String(required=True, validate=one_of([k.value for k in ProviderKind]))
    vat_number = fields.String(
        load_default="",
        validate=length(20),
        metadata={"description": "French VAT number; required for experts."},
    )
    department_code = fields.String(required=True, validate=length(3))
    regions = fields.List(
        fields.String(validate=one_of(REGION_CODES)),
        load_default=list,
        metadata={"description": "INSEE region codes served (default: the department's)."},
    )
    remote_ok = fields.Boolean(load_default=True)
    languages = fields.List(fields.String(validate=length(2)), load_default=lambda: ["fr"])
    bio = fields.String(load_default="", validate=length(4000))
    website = fields.String(load_default="", validate=length(255))


# --- API tokens ----------------------------------------------------------------------------


class TokenRequestSchema(ApiSchema):
    email = fields.String(required=True, validate=length(254))
    password = fields.String(required=True, load_only=True, validate=length(128))
    name = fields.String(
        load_default="API",
        validate=length(80),
        metadata={"description": "What the token is for, to recognise it later."},
    )


class TokenSchema(ApiSchema):
    id = fields.Integer()
    name = fields.String()
    prefix = fields.String(metadata={"description": "The first characters, to recognise it."})
    created_at = fields.DateTime()
    expires_at = fields.DateTime(allow_none=True)
    last_used_at = fields.DateTime(allow_none=True)


class NewTokenSchema(TokenSchema):
    token = fields.String(
        metadata={"description": "Send as `Authorization: Bearer <token>`. Shown only once."}
    )


# --- Providers directory -------------------------------------------------------------------


class ProviderQuerySchema(PageArgsSchema):
    region = fields.String(validate=one_of(REGION_CODES), metadata={"description": "Served."})
    category = fields.String(validate=one_of(CATEGORY_CODES))
    kind = fields.String(validate=one_of([k.value for k in ProviderKind]))
    q = fields.String(validate=length(100), metadata={"description": "Part of the name."})


class PublicLabelSchema(ApiSchema):
    status = fields.Enum(LabelStatus, by_value=True)
    is_active = fields.Boolean()
    categories = fields.List(fields.String(), attribute="category_codes")
    valid_until = fields.Date(allow_none=True)


class ProviderSchema(ApiSchema):
    id = fields.Integer()
    name = fields.String()
    kind = fields.Enum(ProviderKind, by_value=True)
    siret = fields.String()
    department_code = fields.String()
    regions = fields.List(fields.Nested(RegionSchema), metadata={"description": "Served."})
    remote_ok = fields.Boolean()
    languages = fields.List(fields.String())
    bio = fields.String()
    website = fields.String()
    label = fields.Nested(PublicLabelSchema, attribute="current_label", allow_none=True)


class ProviderPageSchema(ApiSchema):
    items = fields.List(fields.Nested(ProviderSchema))
    pagination = fields.Nested(PaginationSchema)


# --- Labels --------------------------------------------------------------------------------


class ReferenceSchema(ApiSchema):
    client_name = fields.String(required=True, validate=length(160))
    description = fields.String(required=True, validate=length(1000))
    year = fields.Integer(required=True, strict=True)
    contact_email = fields.String(load_default="", validate=length(254))


class LabelApplicationSchema(ApiSchema):
    categories = fields.List(
        fields.String(validate=one_of(CATEGORY_CODES)),
        required=True,
        metadata={"description": "Category codes the label should cover."},
    )
    similar_projects_turnover_cents = fields.Integer(
        required=True,
        strict=True,
        metadata={"description": "Turnover from similar projects over two years, EUR cents."},
    )
    certifications = fields.String(load_default="", validate=length(2000))
    references = fields.List(
        fields.Nested(ReferenceSchema),
        load_default=list,
        metadata={"description": "Client references (3 for experts, optional for volunteers)."},
    )
    sworn_statement = fields.Boolean(
        required=True, metadata={"description": "Must be true: the information is accurate."}
    )


class DecisionRequestSchema(ApiSchema):
    decision = fields.String(required=True, validate=one_of([d.value for d in Decision]))
    reason = fields.String(
        required=True, validate=length(2000), metadata={"description": "Mailed to the provider."}
    )
    valid_until = fields.Date(
        allow_none=True,
        load_default=None,
        metadata={"description": "Approvals only; default: today + the configured validity."},
    )


class DecisionSchema(ApiSchema):
    id = fields.Integer()
    label_id = fields.Integer()
    from_status = fields.Enum(LabelStatus, by_value=True)
    to_status = fields.Enum(LabelStatus, by_value=True)
    reason = fields.String()
    actor = fields.Function(
        lambda decision: decision.actor.email if decision.actor else None,
        allow_none=True,
        metadata={
            "type": "string",
            "description": "Email of the administrator; null when the system decided.",
        },
    )
    created_at = fields.DateTime()
    valid_until = fields.Date(allow_none=True)


class LabelReferenceSchema(ApiSchema):
    client_name = fields.String()
    description = fields.String()
    year = fields.Integer()
    contact_email = fields.String()


class EvidenceSchema(ApiSchema):
    similar_projects_turnover_cents = fields.Integer()
    certifications = fields.String()
    references = fields.List(fields.Nested(LabelReferenceSchema))
    sworn_statement_at = fields.DateTime()


class LabelProviderSchema(ApiSchema):
    id = fields.Integer()
    name = fields.String()
    kind = fields.Enum(ProviderKind, by_value=True)
    department_code = fields.String()


class LabelSchema(ApiSchema):
    id = fields.Integer()
    provider = fields.Nested(LabelProviderSchema)
    status = fields.Enum(LabelStatus, by_value=True)
    is_active = fields.Boolean(metadata={"description": "Approved and within its validity."})
    categories = fields.List(fields.String(), attribute="category_codes")
    evidence = fields.Nested(EvidenceSchema)
    submitted_at = fields.DateTime()
    decided_at = fields.DateTime(allow_none=True)
    valid_until = fields.Date(allow_none=True)
    decisions = fields.List(
        fields.Nested(DecisionSchema), metadata={"description": "Oldest first."}
    )

    def get_attribute(self, obj: Any, attr: str, default: Any) -> Any:
        if attr == "evidence":  # the evidence columns live on the label itself
            return obj
        return super().get_attribute(obj, attr, default)


class LabelQuerySchema(PageArgsSchema):
    status = fields.String(
        validate=one_of([s.value for s in LabelStatus]),
        metadata={"description": "Only labels in this status (default: every status)."},
    )
    region = fields.String(
        validate=one_of(REGION_CODES), metadata={"description": "Provider's head-office region."}
    )
    category = fields.String(validate=one_of(CATEGORY_CODES))


class LabelPageSchema(ApiSchema):
    items = fields.List(fields.Nested(LabelSchema))
    pagination = fields.Nested(PaginationSchema)


# --- Diagnosis -----------------------------------------------------------------------------


class LocalizedTextSchema(ApiSchema):
    """A text in both languages: clients show the one they need (French is the reference)."""

    fr = fields.String()
    en = fields.String()


class QuestionnaireQuerySchema(ApiSchema):
    version = fields.Integer(
        validate=validate.Range(min=1, error=_l("Must be {min} or more.")),
        metadata={"description": "An older version, to read old diagnoses (default: current)."},
    )


class DimensionSchema(ApiSchema):
    code = fields.String()
    title = fields.Nested(LocalizedTextSchema)
    description = fields.Nested(LocalizedTextSchema)


class BandSchema(ApiSchema):
    code = fields.String()
    min = fields.Integer(metadata={"description": "Lowest overall score in the band."})
    max = fields.Integer(metadata={"description": "Highest overall score in the band."})
    title = fields.Nested(LocalizedTextSchema)
    narrative = fields.Nested(LocalizedTextSchema)


class OptionSchema(ApiSchema):
    value = fields.String(metadata={"description": "What to send as (part of) the answer."})
    label = fields.Nested(LocalizedTextSchema)
    points = fields.Integer()
    exclusive = fields.Boolean(
        metadata={"description": "Multi questions: cannot be combined with other choices."}
    )


class QuestionSchema(ApiSchema):
    id = fields.String()
    dimension = fields.String(metadata={"description": "Code of its dimension."})
    type = fields.String(
        metadata={
            "description": "single: one option value; multi: a list of option values; "
            "scale: an integer 0 to 5; tristate: no, partially or yes."
        }
    )
    weight = fields.Integer(metadata={"description": "1 to 3, within its dimension."})
    text = fields.Nested(LocalizedTextSchema)
    help = fields.Nested(LocalizedTextSchema, metadata={"description": "May be empty."})
    options = fields.List(
        fields.Nested(OptionSchema), metadata={"description": "single and multi only."}
    )
    max_points = fields.Integer(
        allow_none=True,
        metadata={"description": "multi only: points beyond it count as the maximum."},
    )
    allowed_values = fields.List(
        fields.Raw(metadata={"oneOf": [{"type": "string"}, {"type": "integer"}]}),
        metadata={"description": "Every value the answer may take (or contain, for multi)."},
    )


class QuestionnaireSchema(ApiSchema):
    version = fields.Integer()
    title = fields.Nested(LocalizedTextSchema)
    intro = fields.Nested(LocalizedTextSchema)
    dimensions = fields.List(fields.Nested(DimensionSchema), metadata={"description": "In order."})
    bands = fields.List(
        fields.Nested(BandSchema), metadata={"description": "Cover 0 to 100 without overlap."}
    )
    questions = fields.List(fields.Nested(QuestionSchema), metadata={"description": "In order."})


class DiagnosisRequestSchema(ApiSchema):
    answers = fields.Dict(
        keys=fields.String(),
        required=True,
        error_messages={"invalid": _l("Not a valid object.")},
        metadata={
            "description": "Every question of the current questionnaire: question id → answer "
            "(a string for single and tristate, an integer 0 to 5 for scale, a list of "
            "strings for multi). Answers are checked by the service: faults come back as "
            "422 with `errors.json.answers.<question id>`."
        },
    )


class NeedReasonSchema(ApiSchema):
    rule = fields.String()
    text = fields.Nested(LocalizedTextSchema)


class NeedSchema(ApiSchema):
    need = fields.String(metadata={"description": "Category code of the need."})
    priority = fields.String(metadata={"description": "high, medium or low."})
    reasons = fields.List(fields.Nested(NeedReasonSchema))


class DiagnosisSchema(ApiSchema):
    id = fields.Integer()
    created_at = fields.DateTime()
    questionnaire_version = fields.Integer()
    dimension_scores = fields.Dict(
        keys=fields.String(),
        values=fields.Integer(),
        metadata={"description": "Dimension code → score, 0 to 100."},
    )
    overall_score = fields.Integer(metadata={"description": "0 to 100."})
    band = fields.String(metadata={"description": "Code of the band of the overall score."})
    needs = fields.List(
        fields.Nested(NeedSchema), metadata={"description": "Highest priority first."}
    )
    answers = fields.Dict(
        keys=fields.String(),
        metadata={"description": "As stored: multi choices in the questionnaire's order."},
    )


class DiagnosisPageSchema(ApiSchema):
    items = fields.List(fields.Nested(DiagnosisSchema))
    pagination = fields.Nested(PaginationSchema)


# --- Offers --------------------------------------------------------------------------------


def _offer_enum_values(enum_name: str) -> list[str]:
    from marketplace.catalog import models

    return [member.value for member in getattr(models, enum_name)]


def _vat_cents(offer: Any) -> int:
    from marketplace.catalog.pricing import vat_amount

    return vat_amount(offer.price_excl_vat_cents, offer.vat_rate_bp)


class OfferQuerySchema(PageArgsSchema):
    category = fields.String(
        validate=one_of(CATEGORY_CODES), metadata={"description": "Main category."}
    )
    need = fields.String(
        validate=one_of(CATEGORY_CODES),
        metadata={"description": "A need the offer addresses (its category included)."},
    )
    region = fields.String(
        validate=one_of(REGION_CODES),
        metadata={"description": "Delivered in this region, or remotely."},
    )
    provider = fields.Integer(metadata={"description": "Only this provider's offers (its id)."})


class OfferProviderSchema(ApiSchema):
    id = fields.Integer()
    name = fields.String()
    kind = fields.Enum(ProviderKind, by_value=True)


class OfferSchema(ApiSchema):
    id = fields.Integer()
    provider = fields.Nested(OfferProviderSchema)
    title = fields.String()
    summary = fields.String()
    description = fields.String()
    category = fields.String(attribute="category_code")
    needs = fields.List(
        fields.String(), attribute="need_codes", metadata={"description": "Category included."}
    )
    price_excl_vat_cents = fields.Integer(metadata={"description": "EUR cents, 0 when free."})
    vat_rate_bp = fields.Integer(metadata={"description": "Basis points: 2000 = 20 %."})
    vat_cents = fields.Function(
        _vat_cents,
        metadata={"type": "integer", "description": "VAT in cents, rounded half-up."},
    )
    price_incl_vat_cents = fields.Function(
        lambda offer: offer.price_excl_vat_cents + _vat_cents(offer),
        metadata={"type": "integer", "description": "Price excl. VAT + VAT, in cents."},
    )
    pricing_unit = fields.String(
        metadata={"description": "fixed, per_day, per_hour, per_month or per_session."}
    )
    duration_days = fields.Integer(allow_none=True)
    delivery_mode = fields.String(metadata={"description": "remote, on_site or hybrid."})
    regions = fields.List(
        fields.String(), attribute="region_codes", metadata={"description": "INSEE codes."}
    )
    languages = fields.List(fields.String())
    status = fields.String(metadata={"description": "draft, published or archived."})
    published_at = fields.DateTime(allow_none=True)
    archived_at = fields.DateTime(allow_none=True)
    unpublished_reason = fields.String(
        metadata={"description": "Why an administrator unpublished it; empty otherwise."}
    )
    created_at = fields.DateTime()
    updated_at = fields.DateTime()


class OfferPageSchema(ApiSchema):
    items = fields.List(fields.Nested(OfferSchema))
    pagination = fields.Nested(PaginationSchema)


class OfferUpdateSchema(ApiSchema):
    """Every field optional: only the fields sent change (the rules apply to the result)."""

    title = fields.String(metadata={"description": "5 to 120 characters."})
    summary = fields.String(metadata={"description": "At most 300 characters."})
    description = fields.String(metadata={"description": "At most 5000 characters."})
    category = fields.String(validate=one_of(CATEGORY_CODES))
    needs = fields.List(
        fields.String(validate=one_of(CATEGORY_CODES)),
        metadata={"description": "Category codes; must include the category."},
    )
    price_excl_vat_cents = fields.Integer(
        strict=True, metadata={"description": "EUR cents excl. VAT; 0 for a free offer."}
    )
    vat_rate_bp = fields.Integer(
        strict=True, metadata={"description": "0, 550, 1000 or 2000 (basis points)."}
    )
    pricing_unit = fields.String(validate=one_of(_offer_enum_values("PricingUnit")))
    duration_days = fields.Integer(strict=True, allow_none=True)
    delivery_mode = fields.String(validate=one_of(_offer_enum_values("DeliveryMode")))
    regions = fields.List(
        fields.String(validate=one_of(REGION_CODES)),
        metadata={"description": "INSEE region codes; at least one unless remote."},
    )
    languages = fields.List(
        fields.String(validate=length(2)), metadata={"description": "ISO 639-1 codes."}
    )


class OfferCreateSchema(OfferUpdateSchema):
    title = fields.String(required=True, metadata={"description": "5 to 120 characters."})
    summary = fields.String(required=True, metadata={"description": "At most 300 characters."})
    description = fields.String(load_default="", metadata={"description": "At most 5000."})
    category = fields.String(required=True, validate=one_of(CATEGORY_CODES))
    needs = fields.List(
        fields.String(validate=one_of(CATEGORY_CODES)),
        load_default=list,
        metadata={"description": "Must include the category; default: the category alone."},
    )
    price_excl_vat_cents = fields.Integer(
        required=True,
        strict=True,
        metadata={"description": "EUR cents excl. VAT; 0 for a free offer."},
    )
    vat_rate_bp = fields.Integer(
        load_default=2000,
        strict=True,
        metadata={"description": "0, 550, 1000 or 2000 (basis points)."},
    )
    pricing_unit = fields.String(required=True, validate=one_of(_offer_enum_values("PricingUnit")))
    duration_days = fields.Integer(strict=True, allow_none=True, load_default=None)
    delivery_mode = fields.String(
        required=True, validate=one_of(_offer_enum_values("DeliveryMode"))
    )
    regions = fields.List(
        fields.String(validate=one_of(REGION_CODES)),
        load_default=list,
        metadata={"description": "INSEE region codes; at least one unless remote."},
    )
    languages = fields.List(
        fields.String(validate=length(2)),
        load_default=lambda: ["fr"],
        metadata={"description": "ISO 639-1 codes."},
    )


# --- Search


class SearchArgsSchema(Schema):
    """Query arguments of GET /api/v1/search; unknown filter values are ignored."""

    q = fields.String(load_default="", metadata={"description": "Words to find (typo tolerant)."})
    need = fields.List(fields.String(), load_default=list)
    region = fields.List(fields.String(), load_default=list)
    remote = fields.Boolean(
        load_default=True, metadata={"description": "With region: also remote offers."}
    )
    delivery = fields.List(fields.String(), load_default=list)
    kind = fields.List(fields.String(), load_default=list)
    price = fields.List(fields.String(), load_default=list, metadata={"description": "Bands."})
    programme = fields.List(fields.String(), load_default=list)
    sort = fields.String(load_default="relevance")
    page = fields.Integer(load_default=1, validate=validate.Range(min=1))
    page_size = fields.Integer(load_default=20, validate=validate.Range(min=1, max=100))


class SearchHitSchema(Schema):
    id = fields.Integer()
    document = fields.Dict()
    highlights = fields.Dict(
        keys=fields.String(),
        values=fields.String(),
        metadata={"description": "Matched words wrapped in <mark>…</mark> (text HTML-escaped)."},
    )


class SearchResultSchema(Schema):
    hits = fields.List(fields.Nested(SearchHitSchema))
    total = fields.Integer()
    page = fields.Integer()
    page_size = fields.Integer(attribute="per_page")
    pages = fields.Integer()
    facets = fields.Dict(keys=fields.String(), values=fields.Dict())
