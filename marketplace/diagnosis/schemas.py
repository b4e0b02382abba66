"""JSON API schemas of what a diagnosis recommends per need (GET …/recommendations).

Every field is always present (`required`); only `duration_*` may be null. Offers are search
documents, shown with OfferSchema's field names where they mean the same thing.
"""

from __future__ import annotations

from typing import Any

from marshmallow import fields

from marketplace.diagnosis.needs import PRIORITY_RANK
from marketplace.resources import ResourceKind, ResourceLevel
from marketplace.schemas import ApiSchema, IndexedOfferSchema, known_values


class BilingualTextSchema(ApiSchema):
    fr = fields.String(required=True)
    en = fields.String(required=True)


class RecommendationReasonSchema(ApiSchema):
    rule = fields.String(required=True, metadata={"description": "Id of the rule that fired."})
    text = fields.Nested(BilingualTextSchema, required=True)


class RecommendedResourceSchema(ApiSchema):
    id = fields.Integer(required=True)
    title = fields.String(required=True)
    url = fields.String(required=True)
    publisher = fields.String(required=True)
    kind = fields.String(required=True, validate=known_values(ResourceKind))
    level = fields.String(required=True, validate=known_values(ResourceLevel))
    language = fields.String(required=True, metadata={"description": "ISO 639-1 code."})
    duration_minutes = fields.Integer(required=True, allow_none=True)


class RecommendedAdvisorSchema(ApiSchema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    department_code = fields.String(required=True)
    department_name = fields.String(required=True, attribute="department.name")
    remote_ok = fields.Boolean(required=True)


class RecommendedNeedSchema(ApiSchema):
    need = fields.String(required=True, metadata={"description": "Category code of the need."})
    priority = fields.String(required=True, validate=known_values(PRIORITY_RANK))
    reasons = fields.List(fields.Nested(RecommendationReasonSchema), required=True)
    offers = fields.List(
        fields.Nested(IndexedOfferSchema),
        required=True,
        metadata={
            "description": "At most 3, in the company's region or remote, best rated first: "
            "offers whose main category is the need, then others addressing it."
        },
    )
    offers_total = fields.Integer(
        required=True,
        metadata={
            "description": "How many offers address the need there: the count of the page's "
            "link to see them all, shown when it exceeds the offers listed."
        },
    )
    resources = fields.List(
        fields.Nested(RecommendedResourceSchema),
        required=True,
        metadata={"description": "Guides, MOOCs, webinars: at most 3, beginner level first."},
    )
    advisors = fields.List(
        fields.Nested(RecommendedAdvisorSchema),
        required=True,
        metadata={
            "description": "Labelled volunteer advisors: at most 3, serving the company's "
            "region (first) or working remotely."
        },
    )

    def get_attribute(self, obj: Any, attr: str, default: Any) -> Any:
        if attr in ("need", "priority", "reasons"):  # the need as the diagnosis stored it
            return obj.need[attr]
        return super().get_attribute(obj, attr, default)


class DiagnosisRecommendationsSchema(ApiSchema):
    diagnosis_id = fields.Integer(required=True)
    needs = fields.List(
        fields.Nested(RecommendedNeedSchema),
        required=True,
        metadata={"description": "The diagnosis's needs, highest priority first."},
    )
