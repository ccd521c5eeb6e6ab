"""Small helpers every resolver module uses."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from strawberry.permission import PermissionExtension
from strawberry.types import Info

from models.accounts import User
from schema.errors import api_error, user_errors
from schema.permissions import HasPermission, IsAuthenticated
from services.core.errors import DomainError, ErrorCode

P = TypeVar("P")


def login_required() -> list:
    return [PermissionExtension(permissions=[IsAuthenticated()], use_directives=False)]


def requires(permission: str) -> list:
    return [PermissionExtension(permissions=[HasPermission(permission)], use_directives=False)]


def viewer(info: Info) -> User:
    """The signed-in user; only call behind login_required() or requires()."""
    return info.context.viewer


def parse_id(value: Any, field: str = "id") -> int:
    try:
        parsed = int(str(value))
    except ValueError:
        raise DomainError(ErrorCode.NOT_FOUND, "No such object.", field) from None
    if parsed <= 0 or parsed > 2**63 - 1:
        raise DomainError(ErrorCode.NOT_FOUND, "No such object.", field)
    return parsed


async def mutate(payload: type[P], action: Callable[[], Awaitable[dict]]) -> P:
    """Run a mutation's action; a DomainError becomes the payload's `errors`."""
    try:
        return payload(**await action())
    except DomainError as exc:
        return payload(errors=user_errors(exc))


async def query(action: Awaitable[Any]) -> Any:
    """Run a query's action; a DomainError becomes a GraphQL error with its code."""
    try:
        return await action
    except DomainError as exc:
        raise api_error(exc) from exc
