"""An order's store delivery, live (STO-5): each status change of the delivery of one order,
for its buyer, on the buyer's channel (`user:{id}`). The delivery row is loaded fresh per event."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Annotated

import strawberry
from strawberry.types import Info

from models.deliveries import StoreDelivery as DeliveryRow
from models.orders import Order as OrderRow
from resolvers.common import login_required, parse_id, viewer
from schema.errors import ApiError, api_error
from schema.types.deliveries import StoreDelivery
from services.core.errors import DomainError, ErrorCode
from services.core.events import user_channel
from services.stores.events import DeliveryChanged
from subscriptions.hub import RESYNC, SlowConsumer, listen, resync_message


@strawberry.type
class DeliverySubscriptions:
    @strawberry.subscription(
        description="My order's store delivery as it moves (dispatched, picked up, delivered): the buyer only.",
        extensions=login_required(),
    )
    async def store_delivery_updates(
        self, info: Info, order_id: Annotated[strawberry.ID, strawberry.argument(description="My order.")]
    ) -> AsyncGenerator[StoreDelivery, None]:
        user_id = viewer(info).id
        try:
            oid = parse_id(order_id, "orderId", of="Order")
            if not await OrderRow.exists(id=oid, buyer_id=user_id):
                raise DomainError(ErrorCode.NOT_FOUND, "No such order.", "orderId")
        except DomainError as exc:
            raise api_error(exc) from exc
        try:
            async for event in listen(user_channel(user_id)):
                if event is RESYNC:
                    yield resync_message()
                    continue
                if not isinstance(event, DeliveryChanged) or event.order_id != oid:
                    continue
                row = await DeliveryRow.get_or_none(id=event.delivery_id, buyer_id=user_id)
                if row is not None:
                    yield row
        except SlowConsumer:
            raise ApiError(ErrorCode.SLOW_CONSUMER, "Too far behind; reconnect and refetch.") from None
