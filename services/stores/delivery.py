"""Store delivery (配送上门, STO-5): a store delivers its merchant's goods to addresses within a
radius it sets, at its fee rule, from a minimum order; the delivery of each such order through
a delivery provider (services.stores.delivery_providers), its statuses live for the buyer.

Checkout (services.orders.checkout) asks `quote` through order_hooks.STORE_DELIVERY_QUOTE for
each merchant the buyer chose store delivery for: the address must have coordinates
(STORE_DELIVERY_UNAVAILABLE otherwise, as for a store that does not deliver), lie within the
radius (OUT_OF_DELIVERY_RANGE; the distance is delivery_math's haversine from the store) and
the goods reach the minimum (BELOW_MINIMUM_ORDER). The fee replaces the merchant's shipping
template for that order (free over the rule's amount). The order is of delivery type
STORE_DELIVERY at the store, with the address snapshot.

Paid, it gets a StoreDelivery (PENDING, the PAID step `stores.open_deliveries`). Store staff
(store.delivery) dispatch it to the provider; the provider's status callbacks
(`on_provider_status`) or, for the store's own riders, the staff move it on:
DISPATCHED -> PICKED_UP (the order SHIPPED) -> DELIVERED (the order DELIVERED, auto-completed
like an express one). A dispatch not picked up yet may be cancelled and dispatched again.
Every change is a DeliveryChanged event to the buyer (`user:{id}`) and the store (`store:{id}`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import settings
from models.deliveries import StoreDelivery, StoreDeliveryRule
from models.merchants import Merchant, Store
from models.orders import Order
from services.accounts.access import Grants, require_merchant, require_store_permission
from services.core import clock
from services.core.errors import DomainError, ErrorCode
from services.core.events import emit, store_channel, unit_of_work, user_channel
from services.core.states import StateMachine, Transition
from services.merchants import merchants
from services.merchants.stores import MAX_RADIUS_M
from services.orders import hooks as order_hooks
from services.orders import states as order_states
from services.stores import delivery_math, delivery_providers
from services.stores.events import DeliveryChanged

PENDING, DISPATCHED, PICKED_UP, DELIVERED, CANCELLED = "PENDING", "DISPATCHED", "PICKED_UP", "DELIVERED", "CANCELLED"
STATUSES = (PENDING, DISPATCHED, PICKED_UP, DELIVERED, CANCELLED)
MAX_FEE = 100_000  # 1,000.00
MAX_AMOUNT = 10_000_000

DELIVERY_STATES = StateMachine(
    "delivery",
    {
        "dispatch": Transition({PENDING, CANCELLED}, DISPATCHED, stamp="dispatched_at"),
        "pick_up": Transition(DISPATCHED, PICKED_UP, stamp="picked_up_at"),
        "deliver": Transition(PICKED_UP, DELIVERED, stamp="delivered_at"),
        "cancel": Transition({PENDING, DISPATCHED}, CANCELLED, stamp="cancelled_at"),
    },
    touch="updated_at",
    field="status",
)
_ACTIONS = {PICKED_UP: "pick_up", DELIVERED: "deliver", CANCELLED: "cancel"}


# --------------------------------------------------------------------------- the rule


@dataclass
class RuleData:
    radius_m: int
    base_fee: int = 0
    per_km_fee: int = 0
    free_over: int = 0
    min_order: int = 0
    is_active: bool = True


def _money(value: int, field: str, cap: int) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= cap:
        raise DomainError(ErrorCode.INVALID_AMOUNT, f"An amount from 0 to {cap / 100:.2f}.", field)
    return value


async def _store(store_id: int) -> Store:
    store = await Store.get_or_none(id=store_id)
    if store is None:
        raise DomainError(ErrorCode.NOT_FOUND, "No such store.", "storeId")
    return store


async def set_rule(grants: Grants, store_id: int, data: RuleData) -> StoreDeliveryRule:
    """Where and at what fee the store delivers (merchant.settings)."""
    store = await _store(store_id)
    require_merchant(grants, store.merchant_id, "merchant.settings")
    if not isinstance(data.radius_m, int) or not 1 <= data.radius_m <= MAX_RADIUS_M:
        raise DomainError(ErrorCode.INVALID_INPUT, f"A delivery radius is 1 to {MAX_RADIUS_M} metres.", "radiusMeters")
    values = {
        "radius_m": data.radius_m,
        "base_fee": _money(data.base_fee, "baseFee", MAX_FEE),
        "per_km_fee": _money(data.per_km_fee, "perKmFee", MAX_FEE),
        "free_over": _money(data.free_over, "freeOver", MAX_AMOUNT),
        "min_order": _money(data.min_order, "minOrder", MAX_AMOUNT),
        "is_active": bool(data.is_active),
    }
    async with unit_of_work():
        rule, created = await StoreDeliveryRule.get_or_create(store_id=store.id, defaults=values)
        if not created:
            await StoreDeliveryRule.filter(id=rule.id).update(**values)
    return await StoreDeliveryRule.get(store_id=store.id)


async def rule_of(store_id: int) -> StoreDeliveryRule | None:
    return await StoreDeliveryRule.get_or_none(store_id=store_id)


def pure_rule(row: StoreDeliveryRule) -> delivery_math.DeliveryRule:
    return delivery_math.DeliveryRule(row.radius_m, row.base_fee, row.per_km_fee, row.free_over, row.min_order)


async def quote(merchant_id: int, store_id: int, address) -> order_hooks.DeliveryQuote:
    """order_hooks.STORE_DELIVERY_QUOTE: the store's offer for this address, or refuse."""
    store = await Store.get_or_none(id=store_id)
    if store is None or store.merchant_id != merchant_id or not store.is_active:
        raise DomainError(ErrorCode.INVALID_STORE, "Choose an open store of that merchant.", "storeDeliveries")
    status = await Merchant.filter(id=merchant_id).values_list("status", flat=True)
    row = await rule_of(store.id)
    if row is None or not row.is_active or not status or status[0] != merchants.ACTIVE:
        raise DomainError(ErrorCode.STORE_DELIVERY_UNAVAILABLE, f"{store.name} does not deliver.", "storeDeliveries")
    if address is None:
        raise DomainError(ErrorCode.ADDRESS_REQUIRED, "Choose the address to deliver to.", "addressId")
    if address.latitude is None or address.longitude is None:
        raise DomainError(
            ErrorCode.STORE_DELIVERY_UNAVAILABLE,
            "The address has no coordinates: set its latitude and longitude for store delivery.",
            "addressId",
        )
    rule = pure_rule(row)
    distance = delivery_math.distance_m(store.latitude, store.longitude, address.latitude, address.longitude)
    if not delivery_math.within(rule, distance):
        raise DomainError(
            ErrorCode.OUT_OF_DELIVERY_RANGE,
            f"{store.name} delivers within {rule.radius_m} m; this address is {distance:.0f} m away.",
            "addressId",
        )
    return order_hooks.DeliveryQuote(
        store, round(distance), delivery_math.trip_fee(rule, distance), rule.free_over, rule.min_order
    )


# --------------------------------------------------------------------------- deliveries


def _announce(delivery: StoreDelivery) -> None:
    event = DeliveryChanged(delivery.order_id, delivery.id, delivery.status)
    emit(user_channel(delivery.buyer_id), event)
    emit(store_channel(delivery.store_id), event)


async def on_paid(paid: order_hooks.PaidOrder, conn) -> None:
    """PAID step: a store-delivery order awaits dispatch."""
    order = paid.order
    if order.delivery_type != order_states.STORE_DELIVERY:
        return
    address = order.address or {}
    store = await Store.get(id=order.store_id).using_db(conn)
    distance = 0
    if address.get("latitude") is not None:
        distance = round(
            delivery_math.distance_m(store.latitude, store.longitude, address["latitude"], address["longitude"])
        )
    delivery = await StoreDelivery.create(
        order_id=order.id,
        store_id=order.store_id,
        buyer_id=order.buyer_id,
        provider=delivery_providers.provider.get().name,
        distance_m=distance,
        fee=order.shipping_fee - order.shipping_discount,
        using_db=conn,
    )
    _announce(delivery)


async def _staff_delivery(grants: Grants, order_id: int) -> StoreDelivery:
    delivery = await StoreDelivery.get_or_none(order_id=order_id)
    if delivery is None:
        raise DomainError(ErrorCode.NOT_FOUND, "No store delivery for this order.", "orderId")
    store = await Store.get(id=delivery.store_id)
    require_store_permission(grants, store.id, store.merchant_id, "store.delivery")
    return delivery


async def visible_delivery(viewer_id: int, grants: Grants, order_id: int) -> StoreDelivery:
    """The delivery of an order for its buyer or the store's staff (store.delivery); else NOT_FOUND."""
    delivery = await StoreDelivery.get_or_none(order_id=order_id)
    if delivery is None:
        raise DomainError(ErrorCode.NOT_FOUND, "No store delivery for this order.", "orderId")
    if delivery.buyer_id == viewer_id:
        return delivery
    try:
        return await _staff_delivery(grants, order_id)
    except DomainError:
        raise DomainError(ErrorCode.NOT_FOUND, "No store delivery for this order.", "orderId") from None


def store_deliveries(store_id: int):
    return StoreDelivery.filter(store_id=store_id).order_by("-created_at", "-id")


async def deliveries_of_store(grants: Grants, store_id: int, status: str | None = None):
    store = await _store(store_id)
    require_store_permission(grants, store.id, store.merchant_id, "store.delivery")
    query = store_deliveries(store.id)
    return query.filter(status=status) if status else query


async def dispatch(grants: Grants, order_id: int, rider_name: str = "", rider_phone: str = "") -> StoreDelivery:
    """Hand a paid order's delivery to the provider (store.delivery); again after a cancel."""
    delivery = await _staff_delivery(grants, order_id)
    DELIVERY_STATES.target("dispatch", delivery.status)
    rider_name, rider_phone = (rider_name or "").strip()[:64], (rider_phone or "").strip()[:32]
    order = await Order.get(id=order_id)
    if order.status != order_states.PAID:
        raise DomainError(ErrorCode.INVALID_TRANSITION, "Only a paid order is dispatched.", "orderId")
    store = await Store.get(id=delivery.store_id)
    address = order.address or {}
    provider = delivery_providers.provider.get()
    external_id = await provider.dispatch(
        delivery_providers.DispatchRequest(
            delivery.id,
            order.order_no,
            store.name,
            store.address,
            store.latitude,
            store.longitude,
            address,
            address.get("latitude") or 0.0,
            address.get("longitude") or 0.0,
            rider_name,
            rider_phone,
        )
    )
    async with unit_of_work() as conn:
        await DELIVERY_STATES.apply(
            delivery,
            "dispatch",
            conn=conn,
            provider=provider.name,
            external_id=external_id,
            rider_name=rider_name,
            rider_phone=rider_phone,
        )
        _announce(delivery)
    return delivery


async def _move(delivery: StoreDelivery, status: str, *, actor_id: int | None) -> StoreDelivery:
    action = _ACTIONS.get(status)
    if action is None:
        raise DomainError(ErrorCode.INVALID_INPUT, "A delivery moves to PICKED_UP, DELIVERED or CANCELLED.", "status")
    async with unit_of_work() as conn:
        await DELIVERY_STATES.apply(delivery, action, conn=conn)
        order = await Order.get(id=delivery.order_id).using_db(conn)
        if status == PICKED_UP:
            await order_states.transition(order, "store_pick_up", conn=conn, actor_id=actor_id, reason="Picked up")
        elif status == DELIVERED:
            await order_states.transition(
                order,
                "store_deliver",
                conn=conn,
                actor_id=actor_id,
                reason="Delivered by the store",
                auto_complete_at=clock.now() + timedelta(days=settings.ORDER_AUTO_COMPLETE_DAYS),
            )
        _announce(delivery)
    return delivery


async def update_by_staff(grants: Grants, actor_id: int, order_id: int, status: str) -> StoreDelivery:
    """The store's own riders: staff (store.delivery) report pick-up and delivery."""
    delivery = await _staff_delivery(grants, order_id)
    provider = delivery_providers.provider.get()
    if not provider.staff_moves_statuses or delivery.provider != provider.name:
        raise DomainError(
            ErrorCode.INVALID_TRANSITION, "This delivery's provider reports its statuses itself.", "status"
        )
    if status == CANCELLED:
        raise DomainError(ErrorCode.INVALID_INPUT, "Cancel with cancelStoreDelivery.", "status")
    return await _move(delivery, status, actor_id=actor_id)


async def cancel(grants: Grants, actor_id: int, order_id: int) -> StoreDelivery:
    """Call a delivery off before pick-up (store.delivery); it may be dispatched again."""
    delivery = await _staff_delivery(grants, order_id)
    DELIVERY_STATES.target("cancel", delivery.status)
    if delivery.external_id:
        await delivery_providers.provider.get().cancel(delivery.external_id)
    return await _move(delivery, CANCELLED, actor_id=actor_id)


async def on_provider_status(provider_name: str, external_id: str, status: str) -> StoreDelivery:
    """A provider's status callback (verified by its route): the delivery moves on. A repeat
    of a status already reached changes nothing (INVALID_TRANSITION)."""
    delivery = await StoreDelivery.get_or_none(provider=provider_name, external_id=external_id)
    if delivery is None or not external_id:
        raise DomainError(ErrorCode.NOT_FOUND, "No such dispatch.", "externalId")
    return await _move(delivery, status, actor_id=None)


_NEXT = {DISPATCHED: PICKED_UP, PICKED_UP: DELIVERED}


async def advance_dev_deliveries(limit: int = 100) -> int:
    """Worker job: the dev provider moves each of its deliveries one status on."""
    provider = delivery_providers.provider.get()
    if not provider.self_advancing:
        return 0
    moved = 0
    rows = await StoreDelivery.filter(provider=provider.name, status__in=list(_NEXT)).order_by("id").limit(limit)
    for delivery in rows:
        try:
            await on_provider_status(provider.name, delivery.external_id, _NEXT[delivery.status])
            moved += 1
        except DomainError:  # moved meanwhile
            continue
    return moved
