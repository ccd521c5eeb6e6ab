"""The order state machine (ORD-5) as one table, and the one function that applies it.

    PENDING_PAYMENT -> PAID -> SHIPPED -> DELIVERED -> COMPLETED      (express)
                       PAID -> READY_FOR_PICKUP -> PICKED_UP -> COMPLETED  (pickup)
    PENDING_PAYMENT -> CANCELLED                  (buyer, admin, payment time-out)
    PAID .. PICKED_UP -> CLOSED                   (every unit refunded before completion)

A transition is one conditional UPDATE (`WHERE status IN (<from states>)`), so two
workers or a buyer racing a worker cannot both apply it; the loser gets
INVALID_TRANSITION and changes nothing.
"""

from __future__ import annotations

from models.orders import Order, OrderStatusChange
from services.core import clock
from services.core.errors import DomainError, ErrorCode
from services.core.events import emit, merchant_channel, user_channel
from services.orders.events import OrderStatusChanged

PENDING_PAYMENT = "PENDING_PAYMENT"
PAID = "PAID"
SHIPPED = "SHIPPED"
DELIVERED = "DELIVERED"
READY_FOR_PICKUP = "READY_FOR_PICKUP"
PICKED_UP = "PICKED_UP"
COMPLETED = "COMPLETED"
CANCELLED = "CANCELLED"
CLOSED = "CLOSED"
STATUSES = (PENDING_PAYMENT, PAID, SHIPPED, DELIVERED, READY_FOR_PICKUP, PICKED_UP, COMPLETED, CANCELLED, CLOSED)

EXPRESS = "EXPRESS"
PICKUP = "PICKUP"

# action -> (states it may start from, state it leads to, delivery type it needs or None)
TRANSITIONS: dict[str, tuple[frozenset[str], str, str | None]] = {
    "pay": (frozenset({PENDING_PAYMENT}), PAID, None),
    "cancel": (frozenset({PENDING_PAYMENT}), CANCELLED, None),
    "ship": (frozenset({PAID}), SHIPPED, EXPRESS),
    "deliver": (frozenset({SHIPPED}), DELIVERED, EXPRESS),
    "ready_for_pickup": (frozenset({PAID}), READY_FOR_PICKUP, PICKUP),
    "pick_up": (frozenset({READY_FOR_PICKUP}), PICKED_UP, PICKUP),
    "complete": (frozenset({SHIPPED, DELIVERED, PICKED_UP}), COMPLETED, None),
    "close": (frozenset({PAID, SHIPPED, DELIVERED, READY_FOR_PICKUP, PICKED_UP}), CLOSED, None),
}

# Timestamp column set by each target state.
STAMPS = {
    PAID: "paid_at",
    SHIPPED: "shipped_at",
    DELIVERED: "delivered_at",
    READY_FOR_PICKUP: "ready_at",
    PICKED_UP: "picked_up_at",
    COMPLETED: "completed_at",
    CANCELLED: "closed_at",
    CLOSED: "closed_at",
}

# States in which the goods have left the merchant (after-sales may ask for a return).
GOODS_WITH_BUYER = frozenset({SHIPPED, DELIVERED, PICKED_UP, COMPLETED})
OPEN_AFTER_PAYMENT = frozenset({PAID, SHIPPED, DELIVERED, READY_FOR_PICKUP, PICKED_UP})


def target(action: str, status: str, delivery_type: str) -> str:
    """Pure check of the table: the state `action` leads to from `status`, or raise."""
    sources, to, needs = TRANSITIONS[action]
    if status not in sources or (needs is not None and needs != delivery_type):
        raise DomainError(
            ErrorCode.INVALID_TRANSITION, f"An order that is {status} cannot {action.replace('_', ' ')}.", "status"
        )
    return to


async def transition(
    order: Order, action: str, *, conn, actor_id: int | None = None, reason: str = "", **changes
) -> Order:
    """Apply `action` to `order` inside the caller's unit of work (`conn`).

    Extra column values (`changes`) are written by the same UPDATE. The row object is
    refreshed with the new state. Emits `order_status` to the buyer and the merchant.
    """
    to = target(action, order.status, order.delivery_type)
    sources, _, _ = TRANSITIONS[action]
    now = clock.now()
    values = {"status": to, STAMPS[to]: now, "updated_at": now, **changes}
    updated = await Order.filter(id=order.id, status__in=list(sources)).using_db(conn).update(**values)
    if updated != 1:  # someone else moved it first
        fresh = await Order.get(id=order.id).using_db(conn)
        raise DomainError(
            ErrorCode.INVALID_TRANSITION,
            f"An order that is {fresh.status} cannot {action.replace('_', ' ')}.",
            "status",
        )
    from_status = order.status
    await OrderStatusChange.create(
        order_id=order.id, from_status=from_status, to_status=to, actor_id=actor_id, reason=reason[:256], using_db=conn
    )
    for key, value in values.items():
        setattr(order, key, value)
    event = OrderStatusChanged(order.id, from_status, to)
    emit(user_channel(order.buyer_id), event)
    emit(merchant_channel(order.merchant_id), event)
    return order
