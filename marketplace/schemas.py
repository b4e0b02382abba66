"""What every JSON API schema (/api/v1) is built from: the base schema, text and number
fields, pagination and the error body. Each domain keeps its own schemas beside it
(`accounts/schemas.py`, `labels/schemas.py`, `diagnosis/schemas.py`, `catalog/schemas.py`).

Money is integer cents, dates are ISO 8601. Business rules live in the services: schemas check
shapes and types and say them exactly in the OpenAPI document.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask_babel import lazy_gettext as _l
from marshmallow import Schema, ValidationError, fields, validate

from marketplace.accounts.passwords import MAX_LENGTH as PASSWORD_MAX
from marketplace.accounts.passwords import MIN_LENGTH as PASSWORD_MIN
from marketplace.dbtypes import MAX_PAGE
from marketplace.geo import DEPARTMENTS, REGIONS
from marketplace.taxonomy import LANGUAGE_NAMES
from marketplace.textinput import UnsafeText, clean_text, text_pattern

REGION_CODES = tuple(r.code for r in REGIONS)
# Identifiers as people write them ("732 829 320", "1071C"); the services normalise them.
DEPARTMENT_CODES = tuple(d.code for d in DEPARTMENTS)
LANGUAGE_CODES = tuple(LANGUAGE_NAMES)
MAX_PAGE_SIZE = 100
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
    allowed = fields.List(
        fields.String(),
        metadata={
            "description": "Only on a 409 for a booking transition: the transitions the caller "
            "may fire from the booking's state."
        },
    )
    split = fields.Dict(
        metadata={
            "description": "Only on a 409 when accepting a quote whose split changed (a budget "
            "ran low): the new split, to accept with its company share."
        }
    )
