"""JSON API schemas of subsidy programmes: the programme as read, created and changed.

The bounds are the service's (`billing.programmes`), so the OpenAPI document says what the
server accepts: a body the schema calls valid is refused only for a taken code (409) or for
valid_to before valid_from, a rule between two fields that JSON Schema cannot state.
"""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from marshmallow import fields, validate

from marketplace.billing import programmes as rules
from marketplace.billing.models import Funder
from marketplace.billing.money import BASIS_POINTS, MAX_AMOUNT_CENTS
from marketplace.schemas import (
    REGION_CODES,
    ApiSchema,
    PageArgsSchema,
    PaginationSchema,
    Text,
    WholeNumber,
    between,
    code_list,
    known_values,
    length,
    one_of,
)
from marketplace.taxonomy import CATEGORY_CODES, SizeBand

FUNDERS = tuple(f.value for f in Funder)
SIZE_BAND_CODES = tuple(b.value for b in SizeBand)
# JSON Schema patterns search; the service matches the whole code, hence the anchors.
CODE_PATTERN = f"^{rules.CODE_PATTERN.pattern}$"
CODE_DESCRIPTION = (
    f"{rules.CODE_MIN} to {rules.CODE_MAX} lowercase letters and digits, in words joined by "
    "single hyphens (e.g. cheque-numerique-2026). Unique."
)


class JsonBoolean(fields.Boolean):
    """true or false, as JSON writes them; marshmallow's Boolean also takes 0, 1, "yes"…,
    which the document (type: boolean) does not allow."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> bool:
        if not isinstance(value, bool):
            raise self.make_error("invalid")
        return value


def _code(**kwargs: Any) -> Text:
    return Text(
        validate=[
            length(rules.CODE_MAX, rules.CODE_MIN),
            validate.Regexp(
                CODE_PATTERN,
                error=_l("Use lowercase letters, digits and single hyphens between words."),
            ),
        ],
        metadata={"description": CODE_DESCRIPTION},
        **kwargs,
    )


def _amount(description: str, **kwargs: Any) -> WholeNumber:
    return WholeNumber(
        allow_none=True,
        validate=between(0, MAX_AMOUNT_CENTS),
        metadata={"description": description},
        **kwargs,
    )


_DESCRIPTIONS = {
    "regions": "INSEE region codes the programme covers; empty: every region.",
    "categories": "Category codes of the offers it covers; empty: every category.",
    "size_bands": "Company headcount bands it covers; empty: every size.",
    "rate_bp": "Share of the price excl. VAT it pays, in basis points: 5000 = 50 %.",
    "cap_per_booking_cents": "At most this much per booking, EUR cents; null: no cap.",
    "cap_per_company_cents": "At most this much per company over the programme, EUR cents; "
    "null: no cap.",
    "budget_cents": "The envelope, EUR cents; null: no budget limit.",
    "valid_from": "First day bookings can be covered (inclusive); null: no start.",
    "valid_to": "Last day bookings can be covered (inclusive), not before valid_from; "
    "null: no end.",
    "de_minimis": "Whether the aid falls under the EU de minimis regime "
    "(EUR 300,000 per company over 3 years).",
    "stacking_order": "Programmes apply in this order, lowest first (ties by code); each "
    "one's rate is of the price excl. VAT.",
    "max_aid_intensity_bp": "Ceiling on the public aid of this programme and those stacked "
    "before it, as a share of the price excl. VAT, in basis points; null: none.",
}


class ProgrammeUpdateSchema(ApiSchema):
    """Every field optional: only the fields sent change (the rules apply to the result)."""

    funder = Text(validate=one_of(FUNDERS))
    code = _code()
    name = Text(allow_empty=False, validate=length(rules.NAME_MAX, rules.NAME_MIN))
    description = Text(multiline=True, validate=length(rules.DESCRIPTION_MAX))
    regions = code_list(REGION_CODES, metadata={"description": _DESCRIPTIONS["regions"]})
    categories = code_list(CATEGORY_CODES, metadata={"description": _DESCRIPTIONS["categories"]})
    size_bands = code_list(SIZE_BAND_CODES, metadata={"description": _DESCRIPTIONS["size_bands"]})
    rate_bp = WholeNumber(
        validate=between(1, BASIS_POINTS), metadata={"description": _DESCRIPTIONS["rate_bp"]}
    )
    cap_per_booking_cents = _amount(_DESCRIPTIONS["cap_per_booking_cents"])
    cap_per_company_cents = _amount(_DESCRIPTIONS["cap_per_company_cents"])
    budget_cents = _amount(_DESCRIPTIONS["budget_cents"])
    valid_from = fields.Date(allow_none=True, metadata={"description": _DESCRIPTIONS["valid_from"]})
    valid_to = fields.Date(allow_none=True, metadata={"description": _DESCRIPTIONS["valid_to"]})
    de_minimis = JsonBoolean(metadata={"description": _DESCRIPTIONS["de_minimis"]})
    stacking_order = WholeNumber(
        validate=between(rules.STACKING_MIN, rules.STACKING_MAX),
        metadata={"description": _DESCRIPTIONS["stacking_order"]},
    )
    max_aid_intensity_bp = WholeNumber(
        allow_none=True,
        validate=between(1, BASIS_POINTS),
        metadata={"description": _DESCRIPTIONS["max_aid_intensity_bp"]},
    )


class ProgrammeCreateSchema(ProgrammeUpdateSchema):
    funder = Text(required=True, validate=one_of(FUNDERS))
    code = _code(required=True)
    name = Text(required=True, validate=length(rules.NAME_MAX, rules.NAME_MIN))
    description = Text(load_default="", multiline=True, validate=length(rules.DESCRIPTION_MAX))
    regions = code_list(
        REGION_CODES, load_default=list, metadata={"description": _DESCRIPTIONS["regions"]}
    )
    categories = code_list(
        CATEGORY_CODES, load_default=list, metadata={"description": _DESCRIPTIONS["categories"]}
    )
    size_bands = code_list(
        SIZE_BAND_CODES, load_default=list, metadata={"description": _DESCRIPTIONS["size_bands"]}
    )
    rate_bp = WholeNumber(
        required=True,
        validate=between(1, BASIS_POINTS),
        metadata={"description": _DESCRIPTIONS["rate_bp"]},
    )
    cap_per_booking_cents = _amount(_DESCRIPTIONS["cap_per_booking_cents"], load_default=None)
    cap_per_company_cents = _amount(_DESCRIPTIONS["cap_per_company_cents"], load_default=None)
    budget_cents = _amount(_DESCRIPTIONS["budget_cents"], load_default=None)
    valid_from = fields.Date(
        allow_none=True, load_default=None, metadata={"description": _DESCRIPTIONS["valid_from"]}
    )
    valid_to = fields.Date(
        allow_none=True, load_default=None, metadata={"description": _DESCRIPTIONS["valid_to"]}
    )
    de_minimis = JsonBoolean(
        load_default=False, metadata={"description": _DESCRIPTIONS["de_minimis"]}
    )
    stacking_order = WholeNumber(
        load_default=0,
        validate=between(rules.STACKING_MIN, rules.STACKING_MAX),
        metadata={"description": _DESCRIPTIONS["stacking_order"]},
    )
    max_aid_intensity_bp = WholeNumber(
        allow_none=True,
        load_default=None,
        validate=between(1, BASIS_POINTS),
        metadata={"description": _DESCRIPTIONS["max_aid_intensity_bp"]},
    )


class ProgrammeSchema(ApiSchema):
    id = fields.Integer(required=True)
    funder = fields.String(required=True, validate=known_values(Funder))
    code = fields.String(required=True, metadata={"description": CODE_DESCRIPTION})
    name = fields.String(required=True)
    description = fields.String(required=True, metadata={"description": "May be empty."})
    regions = fields.List(
        fields.String(),
        required=True,
        attribute="region_codes",
        metadata={"description": _DESCRIPTIONS["regions"]},
    )
    categories = fields.List(
        fields.String(),
        required=True,
        attribute="category_codes",
        metadata={"description": _DESCRIPTIONS["categories"]},
    )
    size_bands = fields.List(
        fields.String(validate=known_values(SizeBand)),
        required=True,
        metadata={"description": _DESCRIPTIONS["size_bands"]},
    )
    rate_bp = fields.Integer(required=True, metadata={"description": _DESCRIPTIONS["rate_bp"]})
    cap_per_booking_cents = fields.Integer(
        required=True,
        allow_none=True,
        metadata={"description": _DESCRIPTIONS["cap_per_booking_cents"]},
    )
    cap_per_company_cents = fields.Integer(
        required=True,
        allow_none=True,
        metadata={"description": _DESCRIPTIONS["cap_per_company_cents"]},
    )
    budget_cents = fields.Integer(
        required=True, allow_none=True, metadata={"description": _DESCRIPTIONS["budget_cents"]}
    )
    valid_from = fields.Date(
        required=True, allow_none=True, metadata={"description": _DESCRIPTIONS["valid_from"]}
    )
    valid_to = fields.Date(
        required=True, allow_none=True, metadata={"description": _DESCRIPTIONS["valid_to"]}
    )
    de_minimis = fields.Boolean(
        required=True, metadata={"description": _DESCRIPTIONS["de_minimis"]}
    )
    stacking_order = fields.Integer(
        required=True, metadata={"description": _DESCRIPTIONS["stacking_order"]}
    )
    max_aid_intensity_bp = fields.Integer(
        required=True,
        allow_none=True,
        metadata={"description": _DESCRIPTIONS["max_aid_intensity_bp"]},
    )
    created_at = fields.DateTime(required=True)
    updated_at = fields.DateTime(required=True)


class ProgrammePageSchema(ApiSchema):
    items = fields.List(fields.Nested(ProgrammeSchema), required=True)
    pagination = fields.Nested(PaginationSchema, required=True)


class ProgrammeQuerySchema(PageArgsSchema):
    funder = Text(validate=one_of(FUNDERS))
    region = Text(
        validate=one_of(REGION_CODES),
        metadata={"description": "Programmes covering this region (those open to all included)."},
    )
    category = Text(
        validate=one_of(CATEGORY_CODES),
        metadata={"description": "Programmes covering this category (those open to all included)."},
    )
