"""JSON API schemas of the self-diagnosis: questionnaire, answers, results and what each need
recommends (GET …/recommendations).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask_babel import lazy_gettext as _l
from marshmallow import fields, post_load, pre_dump

from marketplace.catalog.schemas import IndexedOfferSchema
from marketplace.diagnosis.needs import PRIORITY_RANK
from marketplace.diagnosis.questionnaire import DIMENSION_CODES, QUESTION_TYPES, as_of
from marketplace.resources import ResourceKind, ResourceLevel
from marketplace.schemas import (
    ApiSchema,
    PaginationSchema,
    between,
    known_values,
)

# --- Diagnosis -----------------------------------------------------------------------------


class LocalizedTextSchema(ApiSchema):
    """A text in both languages: clients show the one they need (French is the reference).

    A text about a dated fact is sent as worded today (`questionnaire.as_of`)."""

    fr = fields.String(required=True)
    en = fields.String(required=True)

    @pre_dump
    def worded_today(self, text: Any, **_kwargs: Any) -> Any:
        return as_of(text) if isinstance(text, Mapping) else text


class OptionalTextSchema(ApiSchema):
    """A text a questionnaire may leave out: {} when it has none, else as LocalizedText."""

    fr = fields.String()
    en = fields.String()

    @pre_dump
    def worded_today(self, text: Any, **_kwargs: Any) -> Any:
        return as_of(text) if isinstance(text, Mapping) else text


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
    reasons = fields.List(fields.Nested(NeedReasonSchema), required=True)
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
