"""JSON API schemas of label applications, decisions and the public view of a label."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from marshmallow import fields, validate

from marketplace import clock
from marketplace.accounts.models import ProviderKind
from marketplace.labels.models import LabelStatus
from marketplace.labels.operations import (
    MAX_TURNOVER_CENTS,
    MIN_REASON_LENGTH,
    OLDEST_REFERENCE_YEARS,
    REQUIRED_REFERENCES,
    Decision,
)
from marketplace.schemas import (
    _CODES,
    IDN_EMAIL,
    REGION_CODES,
    ApiSchema,
    PageArgsSchema,
    PaginationSchema,
    Text,
    WholeNumber,
    between,
    code_list,
    email_field,
    length,
    one_of,
)
from marketplace.taxonomy import CATEGORY_CODES


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


# --- Labels --------------------------------------------------------------------------------


def _reference_years() -> validate.Range:
    """The years a reference may be from; the document says the bounds of the day it is built."""
    this_year = clock.today().year
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
