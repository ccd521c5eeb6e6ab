"""Franchise store types (MEM-3): a store's franchise (franchisee, invite code, members),
my store binding, payloads."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry.types import Info

from models import agents as m
from schema.errors import UserError
from schema.node import encode
from schema.types.accounts import PublicUser
from schema.types.merchants import Store


@strawberry.type(
    description="A franchise store seen by its franchisee or the merchant: who earns for it, its invite code."
)
class StoreFranchise:
    updated_at: datetime = strawberry.field(description="When the franchisee was last named.")

    @strawberry.field(description="The store's id.")
    def store_id(self: m.StoreFranchise) -> strawberry.ID:
        return encode("Store", self.store_id)

    @strawberry.field(description="The store.")
    async def store(self: m.StoreFranchise, info: Info) -> Store | None:
        return await info.context.loaders.orders.store.load(self.store_id)

    @strawberry.field(description="The franchisee: earns the store's share and pickup rewards.")
    async def franchisee(self: m.StoreFranchise, info: Info) -> PublicUser | None:
        user = await info.context.loaders.user.load(self.franchisee_id)
        return PublicUser.from_model(user) if user else None

    @strawberry.field(description="The code users bind to this store with (share it as a link or QR code).")
    async def invite_code(self: m.StoreFranchise, info: Info) -> str:
        store = await info.context.loaders.orders.store.load(self.store_id)
        return store.invite_code if store else ""

    @strawberry.field(description="How many users are bound to the store.")
    async def member_count(self: m.StoreFranchise, info: Info) -> int:
        return await info.context.loaders.distribution.store_member_count.load(self.store_id)


@strawberry.type(description="My binding to a franchise store (one store per user, for good).")
class StoreMembership:
    bound_at: datetime = strawberry.field(description="When I bound to it.")

    @strawberry.field(description="The store.")
    async def store(self: m.StoreMember, info: Info) -> Store | None:
        return await info.context.loaders.orders.store.load(self.store_id)


@strawberry.type(description="Outcome of naming a store's franchisee.")
class StoreFranchisePayload:
    franchise: StoreFranchise | None = strawberry.field(default=None, description="The store's franchise as it is now.")
    errors: list[UserError] = strawberry.field(default_factory=list, description="Why it failed; nothing changed.")


@strawberry.type(description="Outcome of binding to a store.")
class StoreMembershipPayload:
    membership: StoreMembership | None = strawberry.field(default=None, description="My binding.")
    errors: list[UserError] = strawberry.field(default_factory=list, description="Why it failed; nothing changed.")
