"""Small helpers every resolver module uses."""

from __future__ import annotations

import dataclasses
import functools
import typing
from collections.abc import Awaitable, Callable
from typing import Any, ParamSpec, TypeVar

from strawberry.permission import PermissionExtension
from strawberry.types import Info

import settings
from models.accounts import User
from resolvers.error_codes import MUTATION_ERRORS
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


class UndeclaredErrorCode(RuntimeError):
    """A mutation returned a code its MUTATION_ERRORS entry does not list (STRICT_ERROR_CODES)."""


def payload_errors(resolver: Callable[Params, Awaitable[R]]) -> Callable[Params, Awaitable[R]]:
    """A mutation's resolver returns its payload and raises DomainError freely: the error
    becomes a payload of the return annotation's type carrying only `errors`. The codes it may
    return are declared in resolvers.error_codes (see describe_errors).

    Goes under @strawberry.mutation, so permission extensions run first; functools.wraps
    keeps the signature and annotations Strawberry builds the field from. Other exceptions
    pass through (MaskErrors hides them from clients)."""
    payload = typing.get_type_hints(resolver).get("return")
    if not (dataclasses.is_dataclass(payload) and "errors" in {f.name for f in dataclasses.fields(payload)}):
        raise TypeError(f"{resolver.__qualname__} must be annotated to return a payload type with `errors`")

    declared = MUTATION_ERRORS.get(resolver.__name__)

    @functools.wraps(resolver)
    async def resolve(*args: Params.args, **kwargs: Params.kwargs) -> R:
        try:
            return await resolver(*args, **kwargs)
        except DomainError as exc:
            if settings.STRICT_ERROR_CODES and declared is not None and exc.code not in declared:
                raise UndeclaredErrorCode(
                    f"{resolver.__name__} returned {exc.code.value}: add it to resolvers/error_codes.py"
                ) from exc
            return payload(errors=user_errors(exc))

    resolve.error_codes = declared  # type: ignore[attr-defined]
    return resolve


def permission_codes(extensions: list) -> list[ErrorCode]:
    """The codes a field's permission extensions refuse with (as GraphQL errors)."""
    codes: list[ErrorCode] = []
    for extension in extensions:
        for permission in getattr(extension, "permissions", ()):
            wanted = [ErrorCode.UNAUTHENTICATED]
            if isinstance(permission, HasPermission):
                wanted.append(ErrorCode.FORBIDDEN)
            codes += [code for code in wanted if code not in codes]
    return codes


def describe_errors(mutation_type: type) -> None:
    """Appends "Errors: ..." to each mutation's description: its permission codes, then the
    payload codes declared in resolvers.error_codes."""
    for field in mutation_type.__strawberry_definition__.fields:
        resolver = field.base_resolver.wrapped_func if field.base_resolver else None
        codes = permission_codes(field.extensions)
        codes += [code for code in getattr(resolver, "error_codes", None) or () if code not in codes]
        if codes:
            listed = ", ".join(code.value for code in codes)
            field.description = f"{(field.description or '').rstrip()} Errors: {listed}.".lstrip()


def api_errors(resolver: Callable[Params, Awaitable[R]]) -> Callable[Params, Awaitable[R]]:
    """A query's resolver raises DomainError freely: it becomes a GraphQL error with its code.

    Goes under @strawberry.field; see payload_errors."""

    @functools.wraps(resolver)
    async def resolve(*args: Params.args, **kwargs: Params.kwargs) -> R:
        try:
            return await resolver(*args, **kwargs)
        except DomainError as exc:
            raise api_error(exc) from exc

    return resolve
