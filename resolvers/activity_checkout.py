"""The checkout of an activity (buyFlash, buyGroup, buyBargain): the same checkout request as
placeOrder's for one activity ticket, placed and its origin recorded (RISK-2). Thin: the
checkout and the activity plug-in (services.marketing.activities) do the work."""

from __future__ import annotations

from typing import Any

from strawberry.types import Info

from resolvers.common import MERCHANT_IDS, parse_id, viewer
from schema.errors import ApiError
from schema.types.orders import PlaceOrderPayload
from services.core.errors import DomainError
from services.marketing import activities
from services.orders import checkout
from services.risk import control as risk


def activity_request(data: Any, ticket: activities.Ticket) -> checkout.CheckoutRequest:
    """`data`: an activity checkout input (idempotencyKey, addressId, pickupStores, note, couponIds, coins)."""
    return checkout.CheckoutRequest(
        idempotency_key=data.idempotency_key,
        address_id=parse_id(data.address_id, "addressId", of="Address") if data.address_id is not None else None,
        pickup_stores={
            parse_id(p.merchant_id, "pickupStores", of=MERCHANT_IDS): parse_id(p.store_id, "pickupStores", of="Store")
            for p in data.pickup_stores
        },
        note=data.note,
        coupon_ids=None
        if data.coupon_ids is None
        else tuple(parse_id(i, "couponIds", of="UserCoupon") for i in data.coupon_ids),
        coins=data.coins,
        activity=ticket,
    )


async def buy(info: Info, data: Any, ticket: activities.Ticket, *, session_deferred: bool = False) -> PlaceOrderPayload:
    """Place the activity's checkout. `session_deferred` (buyFlash, see schema.context): the
    buyer is the token's until admitted; the session is read then, before the checkout writes."""
    request = activity_request(data, ticket)
    if session_deferred:
        placed = await checkout.place_order(info.context.claimed_user_id, request, confirm_buyer=lambda: _confirm(info))
    else:
        placed = await checkout.place_order(viewer(info).id, request)
    await risk.record_origin(
        viewer(info).id, [o.id for o in placed.orders], info.context.device_id, info.context.client.ip
    )
    return PlaceOrderPayload(payment=placed.payment, orders=placed.orders)


async def _confirm(info: Info) -> None:
    try:
        await info.context.confirm_session()
    except DomainError as exc:  # as a permission refusal: a top-level error with the reason's code
        raise ApiError(exc.code, exc.message) from None
