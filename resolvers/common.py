"""Small helpers every resolver module uses."""

from __future__ import annotations

import dataclasses
import functools
import typing
from collections.abc import Awaitable, Callable
from typing import Any, ParamSpec, TypeVar

from strawberry.permission import PermissionExtension
from strawberry.types import Info
from tortoise.exceptions import ValidationError

from models.accounts import User
from schema.errors import api_error, user_errors
from schema.permissions import HasPermission, IsAuthenticated
from services.core.errors import DomainError, ErrorCode

Params = ParamSpec("Params")
R = TypeVar("R")


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


def _too_big(exc: ValidationError) -> DomainError:
    """Tortoise checks a value against its column (a string longer than the column, an integer
    out of its range) before a query or write: a client's value that fits no row is bad input."""
    return DomainError(ErrorCode.INVALID_INPUT, "A value is too long or out of range.")


def payload_errors(resolver: Callable[Params, Awaitable[R]]) -> Callable[Params, Awaitable[R]]:
    """A mutation's resolver returns its payload and raises DomainError freely: the error
    becomes a payload of the return annotation's type carrying only `errors`.

    Goes under @strawberry.mutation, so permission extensions run first; functools.wraps
    keeps the signature and annotations Strawberry builds the field from. Other exceptions
    pass through (MaskErrors hides them from clients)."""
    payload = typing.get_type_hints(resolver).get("return")
    if not (dataclasses.is_dataclass(payload) and "errors" in {f.name for f in dataclasses.fields(payload)}):
        raise TypeError(f"{resolver.__qualname__} must be annotated to return a payload type with `errors`")

    @functools.wraps(resolver)
    async def resolve(*args: Params.args, **kwargs: Params.kwargs) -> R:
        try:
            return await resolver(*args, **kwargs)
        except DomainError as exc:
            return payload(errors=user_errors(exc))
        except ValidationError as exc:
            return payload(errors=user_errors(_too_big(exc)))

    return resolve


def api_errors(resolver: Callable[Params, Awaitable[R]]) -> Callable[Params, Awaitable[R]]:
    """A query's resolver raises DomainError freely: it becomes a GraphQL error with its code.

    Goes under @strawberry.field; see payload_errors."""

    @functools.wraps(resolver)
    async def resolve(*args: Params.args, **kwargs: Params.kwargs) -> R:
        try:
            return await resolver(*args, **kwargs)
        except DomainError as exc:
            raise api_error(exc) from exc
        except ValidationError as exc:
            raise api_error(_too_big(exc)) from exc

    return resolve
