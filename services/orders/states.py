"""The order state machine (ORD-5) as one table, and the one function that applies it.

    PENDING_PAYMENT -> PAID -> SHIPPED -> DELIVERED -> COMPLETED      (express)
                       PAID -> READY_FOR_PICKUP -> PICKED_UP -> COMPLETED  (pickup)
    PENDING_PAYMENT -> CANCELLED                  (buyer, admin, payment time-out)
    PAID .. PICKED_UP -> CLOSED                   (every unit refunded before completion)
                       PAID -> COMPLETED          (virtual goods, STO-6; a payment at a store, STO-1)
    PENDING_PAYMENT -> PAID -> SHIPPED -> DELIVERED -> COMPLETED      (store delivery, STO-5: picked up, delivered)

A transition is one conditional UPDATE (`WHERE status IN (<from states>)`, services.core.states),
so two workers or a buyer racing a worker cannot both apply it; the loser gets
INVALID_TRANSITION and changes nothing.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from models.orders import Order, OrderStatusChange
from services.core.events import emit, merchant_channel, user_channel
from services.core.states import StateMachine, Transition
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
VIRTUAL = "VIRTUAL"  # nothing to deliver (STO-6): every line is a virtual good
IN_STORE = "IN_STORE"  # a payment taken at a store's counter (STO-1, services.stores.payments)
STORE_DELIVERY = "STORE_DELIVERY"  # delivered by a store to an address nearby (STO-5, services.stores.delivery)
DELIVERY_TYPES = (EXPRESS, PICKUP, VIRTUAL, IN_STORE, STORE_DELIVERY)  # the guard of the table below

# The table: each action's source states, target state, the delivery type it needs and the
# timestamp column it sets.
ORDER_STATES = StateMachine(
    "order",
    {
        "pay": Transition(PENDING_PAYMENT, PAID, stamp="paid_at"),
        "cancel": Transition(PENDING_PAYMENT, CANCELLED, stamp="closed_at"),
        "ship": Transition(PAID, SHIPPED, requires=EXPRESS, stamp="shipped_at"),
        "deliver": Transition(SHIPPED, DELIVERED, requires=EXPRESS, stamp="delivered_at"),
        "ready_for_pickup": Transition(PAID, READY_FOR_PICKUP, requires=PICKUP, stamp="ready_at"),
        "pick_up": Transition(READY_FOR_PICKUP, PICKED_UP, requires=PICKUP, stamp="picked_up_at"),
        "complete": Transition({SHIPPED, DELIVERED, PICKED_UP}, COMPLETED, stamp="completed_at"),
        # virtual goods: at payment (VIRTUAL products) or when redeemed (REDEEMABLE ones)
        "complete_virtual": Transition(PAID, COMPLETED, requires=VIRTUAL, stamp="completed_at"),
        "complete_in_store": Transition(PAID, COMPLETED, requires=IN_STORE, stamp="completed_at"),
        # store delivery: the rider picked the goods up, then handed them over
        "store_pick_up": Transition(PAID, SHIPPED, requires=STORE_DELIVERY, stamp="shipped_at"),
        "store_deliver": Transition(SHIPPED, DELIVERED, requires=STORE_DELIVERY, stamp="delivered_at"),
        "close": Transition({PAID, SHIPPED, DELIVERED, READY_FOR_PICKUP, PICKED_UP}, CLOSED, stamp="closed_at"),
    },
    guard="delivery_type",
    touch="updated_at",
)

# States in which the goods have left the merchant (after-sales may ask for a return).
GOODS_WITH_BUYER = frozenset({SHIPPED, DELIVERED, PICKED_UP, COMPLETED})
OPEN_AFTER_PAYMENT = frozenset({PAID, SHIPPED, DELIVERED, READY_FOR_PICKUP, PICKED_UP})


# The actions that hand an order's goods on (shipping, pickup, store delivery), and the checks
# that may hold them (wiring.py: a group-buy order waits for its team, MKT-3): each raises a
# DomainError to refuse.
FULFILMENT_ACTIONS = frozenset({"ship", "ready_for_pickup", "store_pick_up"})
FULFILMENT_HOLDS: list[Callable[[Order, Any], Awaitable[None]]] = []


async def transition(
    order: Order, action: str, *, conn, actor_id: int | None = None, reason: str = "", **changes
) -> Order:
    """Apply `action` to `order` inside the caller's unit of work (`conn`).

    Extra column values (`changes`) are written by the same UPDATE. The row object is
    refreshed with the new state. Records the change and emits `order_status` to the buyer
    and the merchant.
    """
    if action in FULFILMENT_ACTIONS:
        for hold in FULFILMENT_HOLDS:
            await hold(order, conn)
    from_status = await ORDER_STATES.apply(order, action, conn=conn, **changes)
    to = order.status
    await OrderStatusChange.create(
        order_id=order.id, from_status=from_status, to_status=to, actor_id=actor_id, reason=reason[:256], using_db=conn
    )
    event = OrderStatusChanged(order.id, from_status, to)
    emit(user_channel(order.buyer_id), event)
    emit(merchant_channel(order.merchant_id), event)
    return order


async def record_transitions(orders: list[Order], from_status: str, conn, *, actor_id: int | None = None) -> None:
    """What `transition` does after its UPDATE, for orders moved together by
    `ORDER_STATES.apply_returning` (from `from_status`): one audit INSERT, the events."""
    await OrderStatusChange.bulk_create(
        [
            OrderStatusChange(order_id=o.id, from_status=from_status, to_status=o.status, actor_id=actor_id)
            for o in orders
        ],
        using_db=conn,
    )
    for order in orders:
        event = OrderStatusChanged(order.id, from_status, order.status)
        emit(user_channel(order.buyer_id), event)
        emit(merchant_channel(order.merchant_id), event)
