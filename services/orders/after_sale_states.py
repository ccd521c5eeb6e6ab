"""The after-sales state machine (ORD-7) as one table, and the one function that applies it.

    REFUND_ONLY:    REQUESTED -> REFUNDED                      (approved: refunded at once)
    RETURN_REFUND:  REQUESTED -> APPROVED -> RETURN_SHIPPED -> REFUNDED
                    (approved: the buyer sends the goods back, gives carrier and tracking;
                    the merchant confirms receipt: stock restored, then the refund)
    both:           REQUESTED -> REJECTED                      (the reviewer gives a reason)
                    REQUESTED | APPROVED -> CANCELLED          (the buyer withdraws it)

REJECTED and CANCELLED release the units the request reserved on its order line.

A transition is one conditional UPDATE (`WHERE status IN (<from states>)`, services.core.states), so a double
approval, or an approval racing the buyer's cancel, has exactly one winner; the loser
gets INVALID_TRANSITION and changes nothing.
"""

from __future__ import annotations

from models.orders import AfterSale
from services.core.events import emit, user_channel
from services.core.states import StateMachine, Transition
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


def _request(kind: str | None) -> str:
    return f"{kind.lower().replace('_', '-')} request" if kind else "after-sales request"


# The table: each action's source states, target state, the kind of request it needs and the
# timestamp column it sets (a reviewer's decision).
AFTER_SALE_STATES = StateMachine(
    _request,
    {
        "refund": Transition(REQUESTED, REFUNDED, requires=REFUND_ONLY, stamp="reviewed_at"),  # refund-only approved
        "approve_return": Transition(REQUESTED, APPROVED, requires=RETURN_REFUND, stamp="reviewed_at"),
        "ship_return": Transition(APPROVED, RETURN_SHIPPED, requires=RETURN_REFUND),
        "receive_return": Transition(RETURN_SHIPPED, REFUNDED, requires=RETURN_REFUND),
        "reject": Transition(REQUESTED, REJECTED, stamp="reviewed_at"),
        "cancel": Transition({REQUESTED, APPROVED}, CANCELLED),
    },
    guard="kind",
    touch="updated_at",
)

# Statuses after which the request no longer holds its units on the line.
RELEASING = frozenset({REJECTED, CANCELLED})


async def transition(after_sale: AfterSale, action: str, *, conn, **changes) -> AfterSale:
    """Apply `action` inside the caller's unit of work (`conn`): one conditional UPDATE.

    Extra column values (`changes`) are written by the same UPDATE; the row object is
    refreshed with them. Emits `after_sale_status` to the buyer (after the commit).
    """
    await AFTER_SALE_STATES.apply(after_sale, action, conn=conn, **changes)
    emit(user_channel(after_sale.buyer_id), status_event(after_sale))
    return after_sale


def status_event(after_sale: AfterSale) -> AfterSaleStatusChanged:
    return AfterSaleStatusChanged(after_sale.id, after_sale.status)
