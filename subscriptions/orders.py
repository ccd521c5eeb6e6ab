"""Live order events (ORD-8, RT-2): the buyer's order status changes, and a merchant's
back-office feed (new orders, status changes, after-sales requests, low stock)."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from enum import Enum
from typing import Annotated

import strawberry
from strawberry.types import Info

from models.catalog import Product as ProductRow
from models.catalog import Sku as SkuRow
from models.orders import AfterSale as AfterSaleRow
from models.orders import Order as OrderRow
from resolvers.common import MERCHANT_IDS, login_required, parse_id, viewer
from schema.errors import ApiError, api_error
from schema.types.after_sales import AfterSale
from schema.types.catalog import Product, Sku
from schema.types.orders import Order, OrderStatus
from services.accounts import access
from services.catalog.events import LowStock, ProductDelisted, ProductRelisted
from services.core.errors import DomainError, ErrorCode
from services.core.events import LiveEvent, merchant_channel, user_channel
from services.orders.events import AfterSaleRequested, NewOrder, OrderStatusChanged
from subscriptions.hub import RESYNC, SlowConsumer, listen, resync_message
from subscriptions.sessions import OwnSession, StaffGrants
from subscriptions.shared_loads import shared_load


@strawberry.type(description="An order of the signed-in buyer changed status.")
class OrderUpdate:
    order: Order = strawberry.field(description="The order as it is now.")
    from_status: OrderStatus = strawberry.field(description="Status before the change.")
    status: OrderStatus = strawberry.field(description="Status after the change.")


@strawberry.enum(description="What happened in a merchant's shop.")
class MerchantEventKind(Enum):
    NEW_ORDER = strawberry.enum_value("NEW_ORDER", description="An order was paid.")
    ORDER_STATUS = strawberry.enum_value("ORDER_STATUS", description="An order changed status.")
    AFTER_SALE_REQUESTED = strawberry.enum_value("AFTER_SALE_REQUESTED", description="A buyer asked for an after-sale.")
    LOW_STOCK = strawberry.enum_value("LOW_STOCK", description="A SKU fell to its low-stock threshold.")
    PRODUCT_DELISTED = strawberry.enum_value("PRODUCT_DELISTED", description="A product went off sale.")
    PRODUCT_RELISTED = strawberry.enum_value("PRODUCT_RELISTED", description="A product is on sale again.")


@strawberry.type(description="One event of a merchant's live feed; the fields that apply to its kind are set.")
class MerchantEvent:
    kind: MerchantEventKind = strawberry.field(description="What happened.")
    order: Order | None = strawberry.field(default=None, description="The order (order and after-sales events).")
    after_sale: AfterSale | None = strawberry.field(
        default=None, description="The after-sales request (AFTER_SALE_REQUESTED)."
    )
    sku: Sku | None = strawberry.field(default=None, description="The SKU running low (LOW_STOCK).")
    product: Product | None = strawberry.field(default=None, description="The product (stock and listing events).")


# event on the merchant channel -> (kind, permission needed to see it)
_MERCHANT_EVENTS: dict[type[LiveEvent], tuple[MerchantEventKind, str]] = {
    NewOrder: (MerchantEventKind.NEW_ORDER, "merchant.orders"),
    OrderStatusChanged: (MerchantEventKind.ORDER_STATUS, "merchant.orders"),
    AfterSaleRequested: (MerchantEventKind.AFTER_SALE_REQUESTED, "merchant.orders"),
    LowStock: (MerchantEventKind.LOW_STOCK, "merchant.products"),
    ProductDelisted: (MerchantEventKind.PRODUCT_DELISTED, "merchant.products"),
    ProductRelisted: (MerchantEventKind.PRODUCT_RELISTED, "merchant.products"),
}


def _may_see(grants: access.Grants, merchant_id: int, permission: str) -> bool:
    try:
        if permission == "merchant.orders":
            access.require_order_staff(grants, merchant_id)
        else:
            access.require_merchant(grants, merchant_id, permission)
        return True
    except DomainError:
        return False


async def _merchant_event(kind: MerchantEventKind, event: LiveEvent) -> MerchantEvent | None:
    match event:
        case (
            NewOrder(order_id=order_id) | OrderStatusChanged(order_id=order_id) | AfterSaleRequested(order_id=order_id)
        ):
            order = await OrderRow.get_or_none(id=order_id)
            if order is None:
                return None
            after_sale = (
                await AfterSaleRow.get_or_none(id=event.after_sale_id)
                if isinstance(event, AfterSaleRequested)
                else None
            )
            return MerchantEvent(kind=kind, order=order, after_sale=after_sale)
        case LowStock(sku_id=sku_id, product_id=product_id):
            return MerchantEvent(
                kind=kind, sku=await SkuRow.get_or_none(id=sku_id), product=await ProductRow.get_or_none(id=product_id)
            )
        case ProductDelisted(product_id=product_id) | ProductRelisted(product_id=product_id):
            return MerchantEvent(kind=kind, product=await ProductRow.get_or_none(id=product_id))
    return None


@strawberry.type
class OrderSubscriptions:
    @strawberry.subscription(
        description="Status changes of the signed-in buyer's orders, as they happen.", extensions=login_required()
    )
    async def my_order_updates(self, info: Info) -> AsyncGenerator[OrderUpdate, None]:
        user_id, session = viewer(info).id, OwnSession(info.context.session_id)
        try:
            async for event in listen(user_channel(user_id)):
                if event is RESYNC:  # events may have been missed: the client refetches
                    yield resync_message()
                    continue
                if not await session.passes(event) or not isinstance(event, OrderStatusChanged):
                    continue
                order = await shared_load(event, "order", lambda e=event: OrderRow.get_or_none(id=e.order_id))
                if order is not None and order.buyer_id == user_id:
                    yield OrderUpdate(
                        order=order, from_status=OrderStatus(event.from_status), status=OrderStatus(event.status)
                    )
        except SlowConsumer:
            raise ApiError(ErrorCode.SLOW_CONSUMER, "Too far behind; reconnect and refetch.") from None

    @strawberry.subscription(
        description="A merchant's live feed: new and changed orders and after-sales requests (merchant.orders), "
        "low stock and automatic (de)listing (merchant.products). Only events the viewer may see are sent.",
        extensions=login_required(),
    )
    async def merchant_events(
        self, info: Info, merchant_id: Annotated[strawberry.ID, strawberry.argument(description="The merchant.")]
    ) -> AsyncGenerator[MerchantEvent, None]:
        mid = parse_id(merchant_id, "merchantId", of=MERCHANT_IDS)
        user_id = viewer(info).id
        grants = await access.load_grants(user_id)
        if not any(_may_see(grants, mid, perm) for perm in ("merchant.orders", "merchant.products")):
            raise api_error(
                DomainError(ErrorCode.FORBIDDEN, "This needs merchant.orders or merchant.products for this merchant.")
            )
        staff = StaffGrants(user_id, info.context.session_id, grants)
        try:
            async for event in listen(merchant_channel(mid)):
                if event is RESYNC:  # events may have been missed: the client refetches
                    yield resync_message()
                    continue
                known = _MERCHANT_EVENTS.get(type(event))
                if known is None:
                    continue
                if not _may_see(await staff.current(), mid, known[1]):  # rights may have been withdrawn
                    continue
                found = await shared_load(event, "merchant-event", lambda e=event, k=known[0]: _merchant_event(k, e))
                if found is not None:
                    yield found
        except SlowConsumer:
            raise ApiError(ErrorCode.SLOW_CONSUMER, "Too far behind; reconnect and refetch.") from None
