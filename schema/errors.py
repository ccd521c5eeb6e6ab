"""Errors as data: mutation payloads carry `errors: [UserError!]!` with stable enum codes.

Authentication and permission failures, and bad query arguments, are GraphQL errors with
the same code in `extensions.code`. The errors graphql-core itself makes (parse, validation,
variable coercion) and unexpected ones get theirs in schema/coded_errors.py; a request over
MAX_REQUEST_BYTES is REQUEST_TOO_LARGE (limits.py).
"""

from __future__ import annotations

import strawberry
from graphql import GraphQLError

from schema.telemetry import note_error
from services.core.errors import DomainError
from services.core.errors import ErrorCode as _ErrorCode

ErrorCode = strawberry.enum(
    _ErrorCode, description="Stable machine-readable error codes. Clients branch on these, never on messages."
)


@strawberry.type(description="A problem with the input or a refused business rule; nothing was changed.")
class UserError:
    code: ErrorCode = strawberry.field(description="Stable error code.")
    message: str = strawberry.field(description="Human-readable explanation (may change; do not parse).")
    field: str | None = strawberry.field(default=None, description="The input field at fault (camelCase), when one is.")


def user_errors(exc: DomainError) -> list[UserError]:
    note_error(exc.code)
    return [UserError(code=exc.code, message=exc.message, field=exc.field)]


class ApiError(GraphQLError):
    """A GraphQL error with a stable code in `extensions.code` (never masked)."""

    def __init__(self, code: _ErrorCode, message: str) -> None:
        super().__init__(message, extensions={"code": code.value})


def api_error(exc: DomainError) -> ApiError:
    return ApiError(exc.code, exc.message)
