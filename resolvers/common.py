"""Small helpers every resolver module uses."""

from __future__ import annotations

import dataclasses
import functools
import typing
from collections.abc import Awaitable, Callable
from typing import Any, ParamSpec, TypeVar

import strawberry
from strawberry.permission import PermissionExtension
from strawberry.types import Info
from tortoise.exceptions import ValidationError

import settings
from models.accounts import User
from resolvers.error_codes import MUTATION_ERRORS
from schema import node as global_ids
from schema.errors import api_error, user_errors
from schema.money import Amount
from schema.permissions import HasPermission, HasVerifiedToken, IsAuthenticated
from services.core.errors import DomainError, ErrorCode

Params = ParamSpec("Params")
R = TypeVar("R")


def login_required() -> list:
    return [PermissionExtension(permissions=[IsAuthenticated()], use_directives=False)]


def token_required() -> list:
    """A valid access token whose session the resolver confirms itself (context.confirm_session)
    once it gets past what needs no database statement: see schema.context.DEFERRED_SESSION_FIELDS."""
    return [PermissionExtension(permissions=[HasVerifiedToken()], use_directives=False)]


def requires(permission: str) -> list:
    return [PermissionExtension(permissions=[HasPermission(permission)], use_directives=False)]


def viewer(info: Info) -> User:
    """The signed-in user; only call behind login_required() or requires()."""
    return info.context.viewer


# Both views of a user (User, PublicUser) and of a merchant (Merchant, ManagedMerchant) have the
# same global id, of the full type's name.
USER_IDS = ("User",)
MERCHANT_IDS = ("Merchant",)


def parse_id(value: Any, field: str = "id", *, of: str | tuple[str, ...]) -> int:
    """The pk in a global id of type `of` (one type name or several); INVALID_ID on `field`
    when `value` is not a global id of one of them."""
    decoded = global_ids.decode(value)
    if decoded is None or decoded[0] not in ((of,) if isinstance(of, str) else of):
        raise DomainError(ErrorCode.INVALID_ID, f"Not an id of a {_type_names(of)}.", field)
    return decoded[1]


def parse_typed_id(value: Any, field: str = "id", *, of: tuple[str, ...]) -> tuple[str, int]:
    """(type name, pk) of a global id that may be of several types."""
    decoded = global_ids.decode(value)
    if decoded is None or decoded[0] not in of:
        raise DomainError(ErrorCode.INVALID_ID, f"Not an id of a {_type_names(of)}.", field)
    return decoded


def _type_names(of: str | tuple[str, ...]) -> str:
    return of if isinstance(of, str) else " or ".join(of)


def _too_big(exc: ValidationError) -> DomainError:
    """Tortoise checks a value against its column (a string longer than the column, an integer
    out of its range) before a query or write: a client's value that fits no row is bad input."""
    return DomainError(ErrorCode.INVALID_INPUT, "A value is too long or out of range.")


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
    if declared is not None:
        declared = (*declared, *(code for code in input_codes(resolver) if code not in declared))

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
        except ValidationError as exc:
            return payload(errors=user_errors(_too_big(exc)))

    resolve.error_codes = declared  # type: ignore[attr-defined]
    return resolve


def input_codes(resolver: Callable) -> list[ErrorCode]:
    """The codes any mutation's arguments can bring, whatever its business: INVALID_INPUT (a
    value too long or out of range for its column), INVALID_ID where it takes an ID (here or
    in an input object), INVALID_AMOUNT where it takes an Amount."""
    codes = [ErrorCode.INVALID_INPUT]
    found: set[Any] = set()
    seen: set[Any] = set()

    def walk(hint: Any) -> None:
        if hint in seen:
            return
        seen.add(hint)
        if hint is strawberry.ID or hint is Amount:
            found.add(hint)
        for inner in typing.get_args(hint):
            walk(inner)
        if dataclasses.is_dataclass(hint):
            for inner in typing.get_type_hints(hint, include_extras=True).values():
                walk(inner)

    hints = typing.get_type_hints(resolver, include_extras=True)
    for name, hint in hints.items():
        if name not in ("return", "self", "info"):
            walk(hint)
    if strawberry.ID in found:
        codes.append(ErrorCode.INVALID_ID)
    if Amount in found:
        codes.append(ErrorCode.INVALID_AMOUNT)
    return codes


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
    payload codes declared in resolvers.error_codes. Idempotent: the Mutation roots built with
    and without the sandbox's mutations share their fields."""
    for field in mutation_type.__strawberry_definition__.fields:
        if " Errors: " in f" {field.description or ''}":
            continue
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
        except ValidationError as exc:
            raise api_error(_too_big(exc)) from exc

    return resolve
