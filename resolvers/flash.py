"""Flash sales (MKT-3): thin calls into services.marketing.flash and the checkout."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import strawberry
from strawberry.types import Info

from resolvers import activity_checkout
from resolvers.common import (
    api_errors,
    login_required,
    parse_id,
    payload_errors,
    token_required,
    viewer,
)
from schema.types.flash import (
    BuyFlashInput,
    FlashItem,
    FlashItemInput,
    FlashItemPayload,
    FlashSchedule,
    FlashSession,
    FlashSessionInput,
    FlashSessionPayload,
    FlashSessionStats,
)
from schema.types.orders import PlaceOrderPayload
from services.marketing import activities, flash

SESSION_ID = Annotated[strawberry.ID, strawberry.argument(description="The flash session.")]


@strawberry.type
class FlashQueries:
    @strawberry.field(
        description="A business day's flash sessions (default today) with their items, states and the server time."
    )
    @api_errors
    async def flash_sessions(
        self, day: Annotated[date | None, strawberry.argument(description="The business day (default: today).")] = None
    ) -> FlashSchedule:
        now, shown, views = await flash.sessions_of_day(day)
        return FlashSchedule(server_time=now, day=shown, sessions=[FlashSession(view=v) for v in views])

    @strawberry.field(
        description="A flash session's figures per item: attempts, winners, units held and paid, GMV, discount cost (the platform's marketing.manage; a merchant's merchant.marketing staff see its items).",
        extensions=login_required(),
    )
    @api_errors
    async def flash_session_stats(self, info: Info, id: SESSION_ID) -> FlashSessionStats:
        pk = parse_id(id, of="FlashSession")
        return FlashSessionStats.of(pk, await flash.session_stats(await info.context.grants(), pk))


@strawberry.type
class FlashMutations:
    @strawberry.mutation(
        description="Buy a flash item: admitted first (SOLD_OUT / LIMIT_REACHED / FLASH_NOT_STARTED / FLASH_ENDED answered at once), then placed as placeOrder places (pay within the payment time-out, or the unit goes back to the session).",
        extensions=token_required(),
    )
    @payload_errors
    async def buy_flash(
        self, info: Info, input: Annotated[BuyFlashInput, strawberry.argument(description="The flash checkout.")]
    ) -> PlaceOrderPayload:
        ticket = activities.Ticket(
            flash.KIND, parse_id(input.flash_item_id, "flashItemId", of="FlashItem"), 0, input.quantity
        )
        # admitted before the session is read (a loser costs no statement)
        return await activity_checkout.buy(info, input, ticket, session_deferred=True)

    @strawberry.mutation(
        description="Create a flash session in a daily time slot (marketing.manage).", extensions=login_required()
    )
    @payload_errors
    async def create_flash_session(
        self, info: Info, input: Annotated[FlashSessionInput, strawberry.argument(description="The session.")]
    ) -> FlashSessionPayload:
        row = await flash.create_session(
            await info.context.grants(), viewer(info).id, input.name, input.day, input.slot, input.duration_minutes
        )
        return FlashSessionPayload(session=FlashSession(view=await flash.session_view(row.id)))

    @strawberry.mutation(
        description="Cancel a flash session (marketing.manage): it ends at once; orders placed stay.",
        extensions=login_required(),
    )
    @payload_errors
    async def cancel_flash_session(self, info: Info, id: SESSION_ID) -> FlashSessionPayload:
        row = await flash.cancel_session(await info.context.grants(), parse_id(id, of="FlashSession"))
        return FlashSessionPayload(session=FlashSession(view=await flash.session_view(row.id)))

    @strawberry.mutation(
        description="Put a SKU on flash sale in a session (marketing.manage, or the merchant's merchant.marketing for its own SKUs).",
        extensions=login_required(),
    )
    @payload_errors
    async def add_flash_item(
        self, info: Info, input: Annotated[FlashItemInput, strawberry.argument(description="The item.")]
    ) -> FlashItemPayload:
        item = await flash.add_item(
            await info.context.grants(),
            flash.ItemData(
                session_id=parse_id(input.session_id, "sessionId", of="FlashSession"),
                sku_id=parse_id(input.sku_id, "skuId", of="Sku"),
                flash_price=input.flash_price,
                stock=input.stock,
                per_user_limit=input.per_user_limit,
            ),
        )
        session = await flash.session_view(item.session_id)
        view = next(v for v in session.items if v.item.id == item.id)
        return FlashItemPayload(item=FlashItem(view=view), session=FlashSession(view=session))

    @strawberry.mutation(
        description="Take an item out of its session while none of it was bought.", extensions=login_required()
    )
    @payload_errors
    async def remove_flash_item(
        self, info: Info, id: Annotated[strawberry.ID, strawberry.argument(description="The flash item.")]
    ) -> FlashItemPayload:
        session = await flash.remove_item(await info.context.grants(), parse_id(id, of="FlashItem"))
        return FlashItemPayload(session=FlashSession(view=await flash.session_view(session.id)))
