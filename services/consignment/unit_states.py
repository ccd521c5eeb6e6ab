"""The wholesale unit's state machine (CON-2..6) as one table.

    HELD -> QUEUED -> MATCHED -> SETTLED   (consigned, sold to a retail buyer, paid out)
    HELD -> PICKUP                         (kept for self-pickup)
    QUEUED -> PICKUP                       (an unsold consignment cancelled, CON-5)
    MATCHED -> QUEUED                      (the retail sale was refunded: back to the head)
    HELD | PICKUP -> REFUNDED              (the wholesale purchase itself was refunded)

Each move is one conditional UPDATE (services.core.states); the queue's order and money are
services.consignment.queue's. Its own module because the statistics read the same states
and the queue imports them.
"""

from __future__ import annotations

from services.core.errors import ErrorCode
from services.core.states import StateMachine, Transition

HELD, PICKUP, QUEUED, MATCHED, SETTLED, REFUNDED = "HELD", "PICKUP", "QUEUED", "MATCHED", "SETTLED", "REFUNDED"
STATUSES = (HELD, PICKUP, QUEUED, MATCHED, SETTLED, REFUNDED)

UNIT_STATES = StateMachine(
    "wholesale unit",
    {
        "consign": Transition(HELD, QUEUED, stamp="consigned_at", code=ErrorCode.NOT_CONSIGNABLE),
        "keep_for_pickup": Transition(HELD, PICKUP),
        "cancel_consignment": Transition(QUEUED, PICKUP),
        "match": Transition(QUEUED, MATCHED, stamp="matched_at"),
        "unmatch": Transition(MATCHED, QUEUED),
        "settle": Transition(MATCHED, SETTLED, stamp="settled_at"),
        "refund": Transition({HELD, PICKUP}, REFUNDED),
    },
    field=None,
)
