"""Errors as data: mutation payloads carry `errors: [UserError!]!` with stable enum codes.

Authentication and permission failures, and bad query arguments, are GraphQL errors with
the same code in `extensions.code`. The errors graphql-core itself makes (parse, validation,
variable coercion) and unexpected ones get theirs in schema/coded_errors.py; a request over
MAX_REQUEST_BYTES is REQUEST_TOO_LARGE (limits.py).
"""

from __future__ import annotations

import re

import strawberry
from graphql import GraphQLError

from schema.enums import described_enum
from schema.error_codes import DESCRIPTIONS
from schema.telemetry import note_error
from services.core.errors import DomainError
from services.core.errors import ErrorCode as _ErrorCode

ErrorCode = described_enum(
    _ErrorCode, "Stable machine-readable error codes. Clients branch on these, never on messages.", DESCRIPTIONS
)


@strawberry.type(description="A problem with the input or a refused business rule; nothing was changed.")
class UserError:
    code: ErrorCode = strawberry.field(description="Stable error code.")
    message: str = strawberry.field(description="Human-readable explanation (may change; do not parse).")
    field: list[str] | None = strawberry.field(
        default=None,
        description="Path to the input value at fault: argument or input field names (camelCase) and list indexes "
        'as strings, e.g. ["skus", "0", "code"]; null when no single input is at fault.',
    )


_SEGMENT = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def field_path(field: str | None) -> list[str] | None:
    """A service's dotted field ("skus[0].code", "skus.0.code", "from") as path segments
    (["skus", "0", "code"]); snake_case names become camelCase. None or "" is no field."""
    if not field:
        return None
    path = []
    for name, index in _SEGMENT.findall(field):
        segment = index or _camel(name)
        if segment:  # a name of underscores only ("_") has no camelCase form: no segment
            path.append(segment)
    return path or None


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest if part)


def user_errors(exc: DomainError) -> list[UserError]:
    note_error(exc.code)
    return [UserError(code=exc.code, message=exc.message, field=field_path(exc.field))]


class ApiError(GraphQLError):
    """A GraphQL error with a stable code in `extensions.code` (never masked)."""

    def __init__(self, code: _ErrorCode, message: str) -> None:
        super().__init__(message, extensions={"code": code.value})


def api_error(exc: DomainError) -> ApiError:
    return ApiError(exc.code, exc.message)
