"""Store delivery (STO-5): a store's delivery rule, an order's delivery, and the store staff's
dispatching and status moves. Thin calls into services.stores.delivery."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import strawberry
from strawberry.types import Info

from resolvers.common import api_errors, login_required, parse_id, payload_errors, viewer
from schema.pagination import Connection, to_connection
from schema.types.deliveries import (
    StoreDelivery,
    StoreDeliveryPayload,
    StoreDeliveryRule,
    StoreDeliveryRuleInput,
    StoreDeliveryRulePayload,
    StoreDeliveryStatus,
)
from schema.types.store_summary import StoreDailySummary
from services.core.pagination import paginate
from services.stores import delivery, summary

STORE_ID = "The store."
ORDER_ID = "The store-delivery order."


@strawberry.type
class DeliveryQueries:
    @strawberry.field(description="Where and at what fee a store delivers; null if it does not (anyone).")
    @api_errors
    async def store_delivery_rule(
        self, info: Info, store_id: Annotated[strawberry.ID, strawberry.argument(description=STORE_ID)]
    ) -> StoreDeliveryRule | None:
        return await delivery.rule_of(parse_id(store_id, "storeId", of="Store"))

    @strawberry.field(
        description="An order's store delivery, for its buyer or the store's staff (store.delivery); the live "
        "updates are `storeDeliveryUpdates`.",
        extensions=login_required(),
    )
    @api_errors
    async def order_store_delivery(
        self, info: Info, order_id: Annotated[strawberry.ID, strawberry.argument(description=ORDER_ID)]
    ) -> StoreDelivery:
        return await delivery.visible_delivery(
            viewer(info).id, await info.context.grants(), parse_id(order_id, "orderId", of="Order")
        )

    @strawberry.field(description="A store's deliveries, newest first (store.delivery).", extensions=login_required())
    @api_errors
    async def store_deliveries(
        self,
        info: Info,
        store_id: Annotated[strawberry.ID, strawberry.argument(description=STORE_ID)],
        status: Annotated[StoreDeliveryStatus | None, strawberry.argument(description="Only in this state.")] = None,
        first: Annotated[int, strawberry.argument(description="Page size.")] = 20,
        after: Annotated[str | None, strawberry.argument(description="Cursor from the previous page.")] = None,
    ) -> Connection[StoreDelivery]:
        qs = await delivery.deliveries_of_store(
            await info.context.grants(), parse_id(store_id, "storeId", of="Store"), status.value if status else None
        )
        return to_connection(await paginate(qs, first, after))


@strawberry.type
class StoreSummaryQueries:
    @strawberry.field(
        description="One business day at a store (not after today): payments at the counter, bookings, deliveries; "
        "for the merchant's owner (merchant.finance).",
        extensions=login_required(),
    )
    @api_errors
    async def store_daily_summary(
        self,
        info: Info,
        store_id: Annotated[strawberry.ID, strawberry.argument(description=STORE_ID)],
        date: Annotated[date, strawberry.argument(description="The business day.")],
    ) -> StoreDailySummary:
        found = await summary.daily_summary(
            await info.context.grants(), parse_id(store_id, "storeId", of="Store"), date
        )
        return StoreDailySummary.of(found)


@strawberry.type
class DeliveryMutations:
    @strawberry.mutation(
        description="Set where and at what fee a store delivers (merchant.settings).", extensions=login_required()
    )
    @payload_errors
    async def set_store_delivery_rule(
        self,
        info: Info,
        store_id: Annotated[strawberry.ID, strawberry.argument(description=STORE_ID)],
        input: Annotated[StoreDeliveryRuleInput, strawberry.argument(description="The rule.")],
    ) -> StoreDeliveryRulePayload:
        rule = await delivery.set_rule(
            await info.context.grants(),
            parse_id(store_id, "storeId", of="Store"),
            delivery.RuleData(
                radius_m=input.radius_meters,
                base_fee=input.base_fee or 0,
                per_km_fee=input.per_km_fee or 0,
                free_over=input.free_over or 0,
                min_order=input.min_order or 0,
                is_active=input.is_active,
            ),
        )
        return StoreDeliveryRulePayload(rule=rule)

    @strawberry.mutation(
        description="Dispatch a paid store-delivery order to the delivery provider (store.delivery); again after "
        "a cancel.",
        extensions=login_required(),
    )
    @payload_errors
    async def dispatch_store_delivery(
        self,
        info: Info,
        order_id: Annotated[strawberry.ID, strawberry.argument(description=ORDER_ID)],
        rider_name: Annotated[str, strawberry.argument(description="The store's rider (own riders).")] = "",
        rider_phone: Annotated[str, strawberry.argument(description="The rider's phone.")] = "",
    ) -> StoreDeliveryPayload:
        found = await delivery.dispatch(
            await info.context.grants(), parse_id(order_id, "orderId", of="Order"), rider_name, rider_phone
        )
        return StoreDeliveryPayload(delivery=found)

    @strawberry.mutation(
        description="The store's own riders: report the goods picked up or delivered (store.delivery). Other "
        "providers report through their callbacks.",
        extensions=login_required(),
    )
    @payload_errors
    async def update_store_delivery(
        self,
        info: Info,
        order_id: Annotated[strawberry.ID, strawberry.argument(description=ORDER_ID)],
        status: Annotated[StoreDeliveryStatus, strawberry.argument(description="PICKED_UP or DELIVERED.")],
    ) -> StoreDeliveryPayload:
        found = await delivery.update_by_staff(
            await info.context.grants(), viewer(info).id, parse_id(order_id, "orderId", of="Order"), status.value
        )
        return StoreDeliveryPayload(delivery=found)

    @strawberry.mutation(
        description="Call a delivery off before pick-up (store.delivery); it may be dispatched again.",
        extensions=login_required(),
    )
    @payload_errors
    async def cancel_store_delivery(
        self, info: Info, order_id: Annotated[strawberry.ID, strawberry.argument(description=ORDER_ID)]
    ) -> StoreDeliveryPayload:
        found = await delivery.cancel(
            await info.context.grants(), viewer(info).id, parse_id(order_id, "orderId", of="Order")
        )
        return StoreDeliveryPayload(delivery=found)
