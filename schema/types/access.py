"""Roles for the admin console."""

from __future__ import annotations

import strawberry

from models import access as m
from schema.errors import UserError


@strawberry.type(description="A role: a named set of permissions, platform-wide or for one merchant or store.")
class Role:
    code: str = strawberry.field(description="Stable code, e.g. admin, merchant_staff.")
    name: str = strawberry.field(description="Display name.")
    description: str = strawberry.field(description="What the role is for.")
    scope: str = strawberry.field(description="PLATFORM, MERCHANT or STORE.")
    permissions: list[str] = strawberry.field(description="Permission codes the role grants.")

    @classmethod
    def from_model(cls, r: m.Role) -> Role:
        return cls(
            code=r.code,
            name=r.name,
            description=r.description,
            scope=r.scope,
            permissions=sorted(p.code for p in r.permissions),
        )


@strawberry.type(description="Outcome of grantRole / revokeRole.")
class RoleGrantPayload:
    ok: bool = strawberry.field(default=False, description="True when it took effect.")
    errors: list[UserError] = strawberry.field(default_factory=list, description="Why it failed; empty on success.")
