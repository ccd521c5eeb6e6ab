"""Permission classes. A refusal is a GraphQL error with a stable `extensions.code`:
UNAUTHENTICATED (no or bad token; TOKEN_EXPIRED / TOKEN_REVOKED when the token says why)
or FORBIDDEN (signed in, lacking the permission)."""

from __future__ import annotations

from typing import Any

from strawberry.permission import BasePermission
from strawberry.types import Info

from schema.errors import ApiError
from services.core.errors import ErrorCode


def _unauthenticated(info: Info) -> ApiError:
    reason = info.context.auth_error
    if reason is not None:
        return ApiError(reason.code, reason.message)
    return ApiError(ErrorCode.UNAUTHENTICATED, "Sign in first.")


class IsAuthenticated(BasePermission):
    message = "Sign in first."

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        if info.context.viewer is None:
            raise _unauthenticated(info)
        return True


class HasVerifiedToken(BasePermission):
    """A valid access token, its session not read yet (a field that admits before any database
    statement: buyFlash); the resolver calls `context.confirm_session()` before it writes."""

    message = "Sign in first."

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        if info.context.claimed_user_id is None:
            raise _unauthenticated(info)
        return True


class HasPermission(BasePermission):
    """A platform permission such as `user.read` (see services/accounts/access.py)."""

    message = "You do not have permission to do this."

    def __init__(self, permission: str) -> None:
        self.permission = permission

    async def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        if info.context.viewer is None:
            raise _unauthenticated(info)
        if not (await info.context.grants()).has(self.permission):
            raise ApiError(ErrorCode.FORBIDDEN, f"This needs the {self.permission} permission.")
        return True
