"""Bargains (MKT-3): thin calls into services.marketing.bargain and the checkout."""

from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry.types import Info

from resolvers import activity_checkout
from resolvers.common import api_errors, login_required, parse_id, payload_errors, viewer
from schema.money import Money
from schema.types.bargain import (
    Bargain,
    BargainActivity,
    BargainActivityInput,
    BargainActivityPayload,
    BargainActivityStats,
    BargainActivityUpdateInput,
    BargainPayload,
    BuyBargainInput,
)
from schema.types.orders import PlaceOrderPayload
from services.core.errors import DomainError, ErrorCode
from services.marketing import activities, bargain

ACTIVITY_ID = Annotated[strawberry.ID, strawberry.argument(description="The bargain activity.")]
BARGAIN_ID = Annotated[strawberry.ID, strawberry.argument(description="The bargain (from its share link).")]


async def _bargain(pk: int) -> Bargain:
    found = await bargain.view(pk)
    if found is None:
        raise DomainError(ErrorCode.NOT_FOUND, "No such bargain.", "bargainId")
    return Bargain(view=found)


@strawberry.type
class BargainQueries:
    @strawberry.field(description="The bargain activities on now (the storefront's).")
    @api_errors
    async def bargain_activities(self) -> list[BargainActivity]:
        return [BargainActivity(row=r) for r in await bargain.live_activities()]

    @strawberry.field(
        description="A bargain by its id (a share link): its price, helps (helpers masked), helps left, endsAt and the server time."
    )
    @api_errors
    async def bargain(self, id: BARGAIN_ID) -> Bargain:
        return await _bargain(parse_id(id, of="Bargain"))

    @strawberry.field(
        description="Bargain activities to manage: all for the platform's marketing.manage, a merchant's own for its merchant.marketing staff.",
        extensions=login_required(),
    )
    @api_errors
    async def managed_bargain_activities(self, info: Info) -> list[BargainActivity]:
        return [BargainActivity(row=r) for r in await bargain.managed_activities(await info.context.grants())]

    @strawberry.field(
        description="A bargain activity's figures: bargains started, helps, completed, bought, paid, GMV, discount cost.",
        extensions=login_required(),
    )
    @api_errors
    async def bargain_activity_stats(self, info: Info, id: ACTIVITY_ID) -> BargainActivityStats:
        pk = parse_id(id, of="BargainActivity")
        return BargainActivityStats.of(await bargain.activity_stats(await info.context.grants(), pk))


@strawberry.type
class BargainMutations:
    @strawberry.mutation(
        description="Start a bargain of an activity (or get back one's bargain still open there); share its id.",
        extensions=login_required(),
    )
    @payload_errors
    async def start_bargain(self, info: Info, activity_id: ACTIVITY_ID) -> BargainPayload:
        row = await bargain.start(
            viewer(info).id,
            parse_id(activity_id, "activityId", of="BargainActivity"),
            info.context.device_id,
            info.context.client.ip,
        )
        return BargainPayload(bargain=await _bargain(row.id))

    @strawberry.mutation(
        description="Help a friend's bargain: cut its price by the next amount of its sequence (once per friend, device or network).",
        extensions=login_required(),
    )
    @payload_errors
    async def help_bargain(self, info: Info, bargain_id: BARGAIN_ID) -> BargainPayload:
        row, _ = await bargain.help_bargain(
            viewer(info).id,
            parse_id(bargain_id, "bargainId", of="Bargain"),
            info.context.device_id,
            info.context.client.ip,
        )
        return BargainPayload(bargain=await _bargain(row.bargain_id), cut=Money.from_fen(row.amount))

    @strawberry.mutation(
        description="Buy one's bargain at its current price: placed as placeOrder places (one order per bargain; a cancelled unpaid order frees it).",
        extensions=login_required(),
    )
    @payload_errors
    async def buy_bargain(
        self, info: Info, input: Annotated[BuyBargainInput, strawberry.argument(description="The bargain checkout.")]
    ) -> PlaceOrderPayload:
        ticket = activities.Ticket(bargain.KIND, parse_id(input.bargain_id, "bargainId", of="Bargain"), 0, 1)
        return await activity_checkout.buy(info, input, ticket)

    @strawberry.mutation(
        description="Create a bargain activity (marketing.manage, or the merchant's merchant.marketing for its own SKUs).",
        extensions=login_required(),
    )
    @payload_errors
    async def create_bargain_activity(
        self, info: Info, input: Annotated[BargainActivityInput, strawberry.argument(description="The activity.")]
    ) -> BargainActivityPayload:
        row = await bargain.create_activity(
            await info.context.grants(),
            viewer(info).id,
            bargain.ActivityData(
                sku_id=parse_id(input.sku_id, "skuId", of="Sku"),
                name=input.name,
                start_price=input.start_price,
                floor_price=input.floor_price,
                helps_needed=input.helps_needed,
                time_limit_minutes=input.time_limit_minutes,
                starts_at=input.starts_at,
                ends_at=input.ends_at,
            ),
        )
        return BargainActivityPayload(activity=BargainActivity(row=row))

    @strawberry.mutation(
        description="Change a bargain activity, or withdraw it (active: false).", extensions=login_required()
    )
    @payload_errors
    async def update_bargain_activity(
        self,
        info: Info,
        id: ACTIVITY_ID,
        input: Annotated[BargainActivityUpdateInput, strawberry.argument(description="The changes.")],
    ) -> BargainActivityPayload:
        row = await bargain.update_activity(
            await info.context.grants(),
            parse_id(id, of="BargainActivity"),
            bargain.ActivityChanges(
                name=input.name,
                start_price=input.start_price,
                floor_price=input.floor_price,
                helps_needed=input.helps_needed,
                time_limit_minutes=input.time_limit_minutes,
                starts_at=input.starts_at,
                ends_at=input.ends_at,
                active=input.active,
            ),
        )
        return BargainActivityPayload(activity=BargainActivity(row=row))
