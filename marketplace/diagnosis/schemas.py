"""JSON API schemas of what a diagnosis recommends per need (GET …/recommendations).

Every field is always present (`required`); only `duration_*` may be null. Offers are search
documents, shown with OfferSchema's field names where they mean the same thing.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from marshmallow import fields

from marketplace.accounts.models import ProviderKind
from marketplace.catalog.models import DeliveryMode, PricingUnit
from marketplace.diagnosis.needs import PRIORITY_RANK
from marketplace.resources import ResourceKind, ResourceLevel
from marketplace.schemas import ApiSchema, known_values


class EpochDateTime(fields.DateTime):
    """A Unix timestamp (as search documents store dates) written as an ISO 8601 datetime."""

    def _serialize(
        self, value: Any, attr: str | None, obj: Any, **kwargs: Any
    ) -> str | float | None:
        moment = datetime.fromtimestamp(value, UTC) if isinstance(value, int) else value
        return super()._serialize(moment, attr, obj, **kwargs)


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


class RecommendedOfferProviderSchema(ApiSchema):
    id = fields.Integer(required=True, attribute="provider_id")
    name = fields.String(required=True, attribute="provider_name")
    kind = fields.String(
        required=True, attribute="provider_kind", validate=known_values(ProviderKind)
    )


class RecommendedOfferSchema(ApiSchema):
    """A published offer as the search index holds it."""

    id = fields.Integer(required=True)
    provider = fields.Nested(RecommendedOfferProviderSchema, required=True)
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
    pricing_unit = fields.String(required=True, validate=known_values(PricingUnit))
    duration_days = fields.Integer(required=True, allow_none=True)
    delivery_mode = fields.String(required=True, validate=known_values(DeliveryMode))
    regions = fields.List(fields.String(), required=True, metadata={"description": "INSEE codes."})
    languages = fields.List(fields.String(), required=True)
    published_at = EpochDateTime(required=True)

    def get_attribute(self, obj: Any, attr: str, default: Any) -> Any:
        if attr == "provider":  # the provider's fields sit in the document itself
            return obj
        return super().get_attribute(obj, attr, default)


class RecommendedNeedSchema(ApiSchema):
    need = fields.String(required=True, metadata={"description": "Category code of the need."})
    priority = fields.String(required=True, validate=known_values(PRIORITY_RANK))
    reasons = fields.List(fields.Nested(RecommendationReasonSchema), required=True)
    offers = fields.List(
        fields.Nested(RecommendedOfferSchema),
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
