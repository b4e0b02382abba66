"""Domain errors raised by services; blueprints map them to HTTP in one place."""

from __future__ import annotations

from collections.abc import Mapping, Sequence


class DomainError(Exception):
    """A rule of the marketplace refused the operation; the message is user-facing."""

    status_code = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = str(message)

    def details(self) -> dict[str, object]:
        """Extra members of the API error body (e.g. what is allowed instead)."""
        return {}


class ValidationFailed(DomainError):
    """Input broke a rule; errors are per field so forms and the API can show them in place."""

    status_code = 422

    def __init__(self, errors: Mapping[str, Sequence[str]]) -> None:
        self.errors = {field: [str(m) for m in messages] for field, messages in errors.items()}
        super().__init__("; ".join(f"{f}: {' '.join(m)}" for f, m in self.errors.items()))


class AlreadyExists(ValidationFailed):
    """The input is well formed but names something already registered (an email, a SIREN):
    a conflict with the current state, 409, still reported per field."""

    status_code = 409


class InputConflict(ValidationFailed):
    """Well-formed input that the current state refuses (more than is due, a date before the
    invoice or after today): no schema can say it, so a 409, still reported per field."""

    status_code = 409


class Forbidden(DomainError):
    status_code = 403


class NotFound(DomainError):
    status_code = 404


class Conflict(DomainError):
    """The operation does not fit the current state (e.g. deciding on a decided label)."""

    status_code = 409
