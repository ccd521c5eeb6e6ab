"""The after-sales state machine (ORD-7) as one table, and the one function that applies it.

    REFUND_ONLY:    REQUESTED -> REFUNDED                      (approved: refunded at once)
    RETURN_REFUND:  REQUESTED -> APPROVED -> RETURN_SHIPPED -> REFUNDED
                    (approved: the buyer sends the goods back, gives carrier and tracking;
                    the merchant confirms receipt: stock restored, then the refund)
    both:           REQUESTED -> REJECTED                      (the reviewer gives a reason)
                    REQUESTED | APPROVED -> CANCELLED          (the buyer withdraws it)

REJECTED and CANCELLED release the units the request reserved on its order line.

A transition is one conditional UPDATE (`WHERE status IN (<from states>)`), so a double
approval, or an approval racing the buyer's cancel, has exactly one winner; the loser
gets INVALID_TRANSITION and changes nothing.
"""

from __future__ import annotations

from models.orders import AfterSale
from services.core import clock
from services.core.errors import DomainError, ErrorCode
from services.core.events import emit, user_channel
from services.orders.events import AfterSaleStatusChanged

REFUND_ONLY = "REFUND_ONLY"
RETURN_REFUND = "RETURN_REFUND"
KINDS = (REFUND_ONLY, RETURN_REFUND)

REQUESTED = "REQUESTED"
APPROVED = "APPROVED"
RETURN_SHIPPED = "RETURN_SHIPPED"
REFUNDED = "REFUNDED"
REJECTED = "REJECTED"
CANCELLED = "CANCELLED"
STATUSES = (REQUESTED, APPROVED, RETURN_SHIPPED, REFUNDED, REJECTED, CANCELLED)
OPEN = frozenset({REQUESTED, APPROVED, RETURN_SHIPPED})

# action -> (states it may start from, state it leads to, kind it needs or None)
TRANSITIONS: dict[str, tuple[frozenset[str], str, str | None]] = {
    "refund": (frozenset({REQUESTED}), REFUNDED, REFUND_ONLY),  # a refund-only request approved
    "approve_return": (frozenset({REQUESTED}), APPROVED, RETURN_REFUND),
    "ship_return": (frozenset({APPROVED}), RETURN_SHIPPED, RETURN_REFUND),
    "receive_return": (frozenset({RETURN_SHIPPED}), REFUNDED, RETURN_REFUND),
    "reject": (frozenset({REQUESTED}), REJECTED, None),
    "cancel": (frozenset({REQUESTED, APPROVED}), CANCELLED, None),
}

# Statuses after which the request no longer holds its units on the line.
RELEASING = frozenset({REJECTED, CANCELLED})


def target(action: str, status: str, kind: str) -> str:
    """Pure check of the table: the state `action` leads to from `status`, or raise."""
    sources, to, needs = TRANSITIONS[action]
    if status not in sources or (needs is not None and needs != kind):
        raise DomainError(
            ErrorCode.INVALID_TRANSITION,
            f"A {kind.lower().replace('_', '-')} request that is {status.lower().replace('_', ' ')} "
            f"cannot {action.replace('_', ' ')}.",
            "status",
        )
    return to


async def transition(after_sale: AfterSale, action: str, *, conn, **changes) -> AfterSale:
    """Apply `action` inside the caller's unit of work (`conn`): one conditional UPDATE.

    Extra column values (`changes`) are written by the same UPDATE; the row object is
    refreshed with them. Emits `after_sale_status` to the buyer (after the commit).
    """
    to = target(action, after_sale.status, after_sale.kind)
    sources, _, _ = TRANSITIONS[action]
    values = {"status": to, "updated_at": clock.now(), **changes}
    updated = await AfterSale.filter(id=after_sale.id, status__in=list(sources)).using_db(conn).update(**values)
    if updated != 1:  # someone else moved it first
        fresh = await AfterSale.get(id=after_sale.id).using_db(conn)
        target(action, fresh.status, fresh.kind)  # raises with the state it is in now
        raise DomainError(ErrorCode.INVALID_TRANSITION, "This request changed meanwhile; try again.", "status")
    for key, value in values.items():
        setattr(after_sale, key, value)
    emit(user_channel(after_sale.buyer_id), status_event(after_sale))
    return after_sale


def status_event(after_sale: AfterSale) -> AfterSaleStatusChanged:
    return AfterSaleStatusChanged(after_sale.id, after_sale.status)
