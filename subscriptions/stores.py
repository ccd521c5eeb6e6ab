"""A store's live payment feed (STO-1, the cashier's screen): each payment taken at the store
and each refund of one, on the store's channel (`store:{id}`), for its staff (store.cashier)
or the merchant's order staff. Events carry ids; the payment's order row is loaded fresh,
once per event for all the process's subscribers (shared_loads); rights are re-read every
30 s (StaffGrants)."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Annotated

import strawberry
from strawberry.types import Info

from models.merchants import Store as StoreRow
from models.orders import Order as OrderRow
from resolvers.common import login_required, parse_id, viewer
from schema.errors import ApiError, api_error
from schema.money import Money
from schema.types.store_payments import StorePaymentEvent, StorePaymentEventKind
from services.accounts import access
from services.core.errors import DomainError, ErrorCode
from services.core.events import store_channel
from services.orders.states import IN_STORE
from services.stores.events import StorePaymentReceived, StorePaymentRefunded
from subscriptions.hub import RESYNC, SlowConsumer, listen, resync_message
from subscriptions.sessions import StaffGrants
from subscriptions.shared_loads import shared_load


@strawberry.type
class StoreSubscriptions:
    @strawberry.subscription(
        description="Payments taken at a store and their refunds, as they happen (store.cashier, or the "
        "merchant's order staff).",
        extensions=login_required(),
    )
    async def store_payment_events(
        self, info: Info, store_id: Annotated[strawberry.ID, strawberry.argument(description="The store.")]
    ) -> AsyncGenerator[StorePaymentEvent, None]:
        user_id = viewer(info).id
        try:
            sid = parse_id(store_id, "storeId", of="Store")
            store = await StoreRow.get_or_none(id=sid)
            if store is None:
                raise DomainError(ErrorCode.NOT_FOUND, "No such store.", "storeId")
            grants = await access.load_grants(user_id)
            access.require_store_permission(grants, sid, store.merchant_id, "store.cashier")
        except DomainError as exc:
            raise api_error(exc) from exc
        staff = StaffGrants(user_id, info.context.session_id, grants)
        try:
            async for event in listen(store_channel(sid)):
                if event is RESYNC:  # events may have been missed: the client refetches
                    yield resync_message()
                    continue
                if not isinstance(event, StorePaymentReceived | StorePaymentRefunded):
                    continue
                try:
                    access.require_store_permission(await staff.current(), sid, store.merchant_id, "store.cashier")
                except DomainError as exc:  # rights withdrawn: the stream ends
                    raise api_error(exc) from exc
                order = await shared_load(event, "store-payment", lambda e=event: OrderRow.get_or_none(id=e.order_id))
                if order is None or order.store_id != sid or order.delivery_type != IN_STORE:
                    continue
                kind = (
                    StorePaymentEventKind.PAID
                    if isinstance(event, StorePaymentReceived)
                    else StorePaymentEventKind.REFUNDED
                )
                yield StorePaymentEvent(kind=kind, amount=Money.from_fen(event.amount), receipt=order)
        except SlowConsumer:
            raise ApiError(ErrorCode.SLOW_CONSUMER, "Too far behind; reconnect and refetch.") from None
