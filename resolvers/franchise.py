"""Franchise stores (MEM-3): name a store's franchisee, bind to a store by its code, my
store and the stores I run."""

from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry.types import Info

from resolvers.common import USER_IDS, login_required, parse_id, payload_errors, viewer
from schema.types.franchise import StoreFranchise, StoreFranchisePayload, StoreMembership, StoreMembershipPayload
from services.distribution import franchise


@strawberry.type
class FranchiseQueries:
    @strawberry.field(description="The franchise store I am bound to, if any.", extensions=login_required())
    async def my_store_membership(self, info: Info) -> StoreMembership | None:
        return await franchise.my_membership(viewer(info).id)

    @strawberry.field(
        description="The stores I am franchisee of: invite codes and member counts.", extensions=login_required()
    )
    async def my_franchise_stores(self, info: Info) -> list[StoreFranchise]:
        return await franchise.my_stores(viewer(info).id)


@strawberry.type
class FranchiseMutations:
    @strawberry.mutation(
        description="Name (or replace) a store's franchisee: franchise.manage, or the owner of the store's "
        "merchant. Audited.",
        extensions=login_required(),
    )
    @payload_errors
    async def set_store_franchisee(
        self,
        info: Info,
        store_id: Annotated[strawberry.ID, strawberry.argument(description="The store.")],
        user_id: Annotated[strawberry.ID, strawberry.argument(description="The user who earns for the store.")],
    ) -> StoreFranchisePayload:
        row = await franchise.set_franchisee(
            await info.context.grants(),
            viewer(info).id,
            parse_id(store_id, "storeId", of="Store"),
            parse_id(user_id, "userId", of=USER_IDS),
        )
        return StoreFranchisePayload(franchise=row)

    @strawberry.mutation(
        description="Bind me to a franchise store by its invite code (one store per user, for good): "
        "STORE_CODE_INVALID for an unknown code, STORE_ALREADY_BOUND the second time.",
        extensions=login_required(),
    )
    @payload_errors
    async def bind_store(
        self, info: Info, code: Annotated[str, strawberry.argument(description="The store's invite code.")]
    ) -> StoreMembershipPayload:
        return StoreMembershipPayload(membership=await franchise.bind(viewer(info).id, code))
