"""Orders after checkout (ORD-5, ORD-6): who may see them, shipping and tracking, pickup,
receipt, and the worker's automatic completion."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import settings
from models.catalog import Product
from models.merchants import Merchant, Store
from models.orders import Order, Shipment, TrackingEvent
from services.accounts.access import Grants, require_order_staff, require_store
from services.catalog import product_states
from services.core import clock
from services.core.errors import DomainError, ErrorCode
from services.core.events import unit_of_work
from services.orders import hooks as order_hooks
from services.orders import messages
from services.orders import states as order_states
from services.orders.states import DELIVERED, IN_STORE, PICKED_UP, READY_FOR_PICKUP, SHIPPED, VIRTUAL

IN_TRANSIT, OUT_FOR_DELIVERY, EXCEPTION = "IN_TRANSIT", "OUT_FOR_DELIVERY", "EXCEPTION"
# A carrier's event statuses; its DELIVERED is the order state's name (it moves the order there).
TRACKING_STATUSES = (IN_TRANSIT, OUT_FOR_DELIVERY, DELIVERED, EXCEPTION)
_TRACKING_NO = re.compile(r"^[A-Za-z0-9-]{4,64}$")


def _not_found() -> DomainError:
    return DomainError(ErrorCode.NOT_FOUND, "No such order.", "orderId")


async def visible_order(viewer_id: int, grants: Grants, order_id: int) -> Order:
    """The order if the viewer is its buyer, handles its merchant's orders, works at its
    pickup store, or is platform support; NOT_FOUND otherwise (existence is not leaked)."""
    order = await Order.get_or_none(id=order_id)
    if order is None:
        raise _not_found()
    if order.buyer_id == viewer_id:
        return order
    try:
        if order.store_id is not None:
            require_store(grants, order.store_id, order.merchant_id)
        else:
            require_order_staff(grants, order.merchant_id)
    except DomainError:
        if grants.has("order.manage"):
            return order
        raise _not_found() from None
    return order


async def _staff_order(grants: Grants, order_id: int) -> Order:
    order = await Order.get_or_none(id=order_id)
    if order is None:
        raise _not_found()
    require_order_staff(grants, order.merchant_id)
    return order


def my_orders(buyer_id: int, status: str | None = None):
    query = Order.filter(buyer_id=buyer_id)
    return query.filter(status=status) if status else query


async def merchant_orders(grants: Grants, merchant_id: int, status: str | None = None):
    if not await Merchant.exists(id=merchant_id):
        raise DomainError(ErrorCode.NOT_FOUND, "No such merchant.", "merchantId")
    require_order_staff(grants, merchant_id)
    query = Order.filter(merchant_id=merchant_id).exclude(status=order_states.PENDING_PAYMENT)
    return query.filter(status=status) if status else query


# --------------------------------------------------------------------------- express


async def ship(grants: Grants, actor_id: int, order_id: int, carrier: str, tracking_no: str) -> Order:
    order = await _staff_order(grants, order_id)
    carrier, tracking_no = carrier.strip(), tracking_no.strip()
    if not 1 <= len(carrier) <= 32:
        raise DomainError(ErrorCode.INVALID_INPUT, "A carrier name of 1 to 32 characters is required.", "carrier")
    if not _TRACKING_NO.match(tracking_no):
        raise DomainError(
            ErrorCode.INVALID_INPUT, "A tracking number is 4 to 64 letters, digits or dashes.", "trackingNo"
        )
    async with unit_of_work() as conn:
        await order_states.transition(
            order,
            "ship",
            conn=conn,
            actor_id=actor_id,
            auto_complete_at=clock.now() + timedelta(days=settings.ORDER_SHIPPED_AUTO_COMPLETE_DAYS),
        )
        await Shipment.create(order_id=order.id, carrier=carrier, tracking_no=tracking_no, using_db=conn)
        await messages.queue(
            order.buyer_id,
            "ORDER_SHIPPED",
            {"orderNo": order.order_no, "carrier": carrier, "trackingNo": tracking_no},
            conn,
        )
    return order


async def add_tracking_event(
    grants: Grants,
    actor_id: int,
    order_id: int,
    status: str,
    description: str,
    location: str = "",
    occurred_at: datetime | None = None,
) -> Order:
    """Record a carrier's tracking event (entered by staff here; a carrier webhook in
    production). DELIVERED moves the order to DELIVERED and starts the auto-complete clock."""
    order = await _staff_order(grants, order_id)
    if status not in TRACKING_STATUSES:
        raise DomainError(ErrorCode.INVALID_INPUT, f"Status is one of {', '.join(TRACKING_STATUSES)}.", "status")
    description = description.strip()
    if not 1 <= len(description) <= 256 or len(location) > 128:
        raise DomainError(ErrorCode.INVALID_INPUT, "A description of 1 to 256 characters is required.", "description")
    now = clock.now()
    if occurred_at is not None and occurred_at > now + timedelta(minutes=5):
        raise DomainError(ErrorCode.INVALID_INPUT, "A tracking event cannot be in the future.", "occurredAt")
    shipment = await Shipment.get_or_none(order_id=order.id)
    if shipment is None or order.status not in (SHIPPED, DELIVERED):
        raise DomainError(ErrorCode.INVALID_TRANSITION, "Only a shipped order has tracking.", "status")
    async with unit_of_work() as conn:
        if status == DELIVERED and order.status == SHIPPED:
            await order_states.transition(
                order,
                "deliver",
                conn=conn,
                actor_id=actor_id,
                auto_complete_at=now + timedelta(days=settings.ORDER_AUTO_COMPLETE_DAYS),
            )
        await TrackingEvent.create(
            shipment_id=shipment.id,
            status=status,
            description=description,
            location=location.strip(),
            occurred_at=occurred_at or now,
            using_db=conn,
        )
    return order


# --------------------------------------------------------------------------- pickup


async def mark_ready_for_pickup(grants: Grants, actor_id: int, order_id: int) -> Order:
    order = await Order.get_or_none(id=order_id)
    if order is None:
        raise _not_found()
    if order.store_id is None:
        raise DomainError(ErrorCode.INVALID_TRANSITION, "This order is delivered by express.", "status")
    require_store(grants, order.store_id, order.merchant_id)
    async with unit_of_work() as conn:
        await order_states.transition(order, "ready_for_pickup", conn=conn, actor_id=actor_id)
        await messages.queue(
            order.buyer_id, "PICKUP_READY", {"orderNo": order.order_no, "storeId": order.store_id}, conn
        )
    return order


async def verify_pickup(grants: Grants, actor_id: int, store_id: int, code: str) -> Order:
    """Store staff hand the goods over against the buyer's pickup code."""
    store = await Store.get_or_none(id=store_id)
    if store is None:
        raise DomainError(ErrorCode.NOT_FOUND, "No such store.", "storeId")
    require_store(grants, store.id, store.merchant_id)
    order = await Order.get_or_none(store_id=store.id, pickup_code=(code or "").strip())
    if order is None or order.status not in (READY_FOR_PICKUP, order_states.PAID):
        raise DomainError(ErrorCode.PICKUP_CODE_INVALID, "No order waiting for pickup has this code.", "code")
    async with unit_of_work() as conn:
        if order.status == order_states.PAID:  # goods were at hand: no separate "ready" step
            await order_states.transition(order, "ready_for_pickup", conn=conn, actor_id=actor_id)
        await order_states.transition(
            order,
            "pick_up",
            conn=conn,
            actor_id=actor_id,
            auto_complete_at=clock.now() + timedelta(days=settings.ORDER_AUTO_COMPLETE_DAYS),
        )
        await order_hooks.PICKED_UP.run(order, conn)  # e.g. the franchise store's pickup reward
    return order


# --------------------------------------------------------------------------- completion


async def complete(order: Order, *, actor_id: int | None, reason: str) -> Order:
    async with unit_of_work() as conn:
        await order_states.transition(
            order, "complete", conn=conn, actor_id=actor_id, reason=reason, auto_complete_at=None
        )
        await order_hooks.COMPLETED.run(order, conn)
    return order


async def complete_on_payment(paid: order_hooks.PaidOrder, conn) -> None:
    """PAID step (STO-6, STO-1): an order with nothing to deliver completes as it is paid, in the
    payment's unit of work, through the state machine and the COMPLETED reactions: a payment at
    a store always, a virtual order when all its products are VIRTUAL (REDEEMABLE ones complete
    when redeemed). Other orders are left alone without a query."""
    order = paid.order
    if order.delivery_type == IN_STORE:
        action = "complete_in_store"
    elif order.delivery_type == VIRTUAL:
        kinds = (
            await Product.filter(id__in=[ln.product_id for ln in paid.lines])
            .using_db(conn)
            .values_list("delivery_kind", flat=True)
        )
        if any(kind != product_states.VIRTUAL for kind in kinds):
            return  # completes at redemption
        action = "complete_virtual"
    else:
        return
    await order_states.transition(order, action, conn=conn, reason="Completed at payment", auto_complete_at=None)
    await order_hooks.COMPLETED.run(order, conn)


async def confirm_receipt(buyer_id: int, order_id: int) -> Order:
    order = await Order.get_or_none(id=order_id, buyer_id=buyer_id)
    if order is None:
        raise _not_found()
    return await complete(order, actor_id=buyer_id, reason="Receipt confirmed by the buyer")


async def auto_complete_due(limit: int = 500) -> int:
    """Worker job: complete orders whose auto-complete time has passed. Safe on several
    workers: a completion is a conditional UPDATE, a lost race is skipped."""
    due = (
        await Order.filter(status__in=[SHIPPED, DELIVERED, PICKED_UP], auto_complete_at__lte=clock.now())
        .order_by("id")
        .limit(limit)
    )
    done = 0
    for order in due:
        try:
            await complete(order, actor_id=None, reason="Completed automatically")
            done += 1
        except DomainError:
            pass
    return done
