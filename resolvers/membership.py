"""Paid partner membership (MEM-1): my membership, the settings (membership.manage)."""

from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry.types import Info

from resolvers.common import login_required, payload_errors, requires, viewer
from schema.types.membership import MembershipSettings, MembershipSettingsInput, MembershipSettingsPayload, MyMembership
from services.membership import membership


@strawberry.type
class MembershipQueries:
    @strawberry.field(
        description="My partner membership: valid until, renewal price, the SKU to buy.", extensions=login_required()
    )
    async def my_membership(self, info: Info) -> MyMembership:
        return MyMembership.of(await membership.my_membership(viewer(info).id))

    @strawberry.field(
        description="The membership settings in force (membership.manage).", extensions=requires("membership.manage")
    )
    async def membership_settings(self) -> MembershipSettings:
        return MembershipSettings.of(await membership.current_terms())


@strawberry.type
class MembershipMutations:
    @strawberry.mutation(
        description="Replace the membership settings: price, duration, sign-up reward, gift-pack commission "
        "(membership.manage; audited; membership SKUs are repriced).",
        extensions=requires("membership.manage"),
    )
    @payload_errors
    async def update_membership_settings(
        self,
        info: Info,
        input: Annotated[MembershipSettingsInput, strawberry.argument(description="The new settings.")],
    ) -> MembershipSettingsPayload:
        terms = await membership.update_terms(
            await info.context.grants(),
            viewer(info).id,
            price=input.price,
            days=input.days,
            referral_reward=input.referral_reward,
            gift_pack_commission=input.gift_pack_commission,
        )
        return MembershipSettingsPayload(settings=MembershipSettings.of(terms))
