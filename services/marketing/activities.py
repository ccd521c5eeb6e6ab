"""Activity prices (MKT-3; the plug-in group buying and bargaining use too): an activity
(a flash sale today) grants a checkout line its own price and, optionally, its own stock.

The checkout (services.orders.checkout) knows no activity by name. A buyer's request carries
a `Ticket` (the activity's kind and id, the SKU and quantity); the checkout asks the kind's
`Activity` (registered by wiring.py in `ACTIVITIES`) for a `Grant` before pricing (the
grant's unit price is the pipeline's step 3, the activity price), and calls `hold` inside
its transaction once the payment exists. A grant with `own_stock` takes the activity's units
instead of the SKU's stock: the order line records the activity (`OrderLine.activity_kind`,
`activity_id`) and cancelling the unpaid order gives the units back to the activity (its
CANCELLED reaction), not to the SKU (services.orders.payments.cancel_payment skips them).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from services.core.errors import DomainError, ErrorCode
from services.core.hooks import Registry


@dataclass(frozen=True)
class Ticket:
    """What a buyer brings to the checkout for an activity."""

    kind: str  # FLASH, GROUP, BARGAIN
    activity_id: int  # the activity's own row (a flash item, a group activity, a bargain)
    sku_id: int
    quantity: int
    target_id: int = 0  # what the buyer joins within the activity (a group-buy team), 0: none


@dataclass(frozen=True)
class Grant:
    """What the activity allows the checkout line: its price and where its units come from."""

    kind: str
    activity_id: int
    sku_id: int
    quantity: int
    unit_price: int  # fen, the pipeline's activity price
    own_stock: bool  # the units are the activity's, not the SKU's stock
    target_id: int = 0  # the ticket's target (a group-buy team to join), 0: none


async def _admit_in_database(buyer_id: int, ticket: Ticket) -> bool:
    return False


async def _nothing_to_undo(buyer_id: int, ticket: Ticket, error: BaseException | None) -> None:
    return None


@dataclass(frozen=True)
class Activity:
    """`admit(buyer_id, ticket)`: an optional gate before any database statement (a flash
    sale's Redis script); True when it took something that `undo(buyer_id, ticket, error)`
    must give back if the checkout then fails or is a replay;
    `grant(buyer_id, ticket)`: check and price, writing nothing (a DomainError refuses);
    `hold(conn, buyer_id, grant, payment_id)`: take the units inside the checkout's
    transaction (a DomainError rolls the whole checkout back)."""

    grant: Callable[[int, Ticket], Awaitable[Grant]]
    hold: Callable[[Any, int, Grant, int], Awaitable[None]]
    admit: Callable[[int, Ticket], Awaitable[bool]] = _admit_in_database
    undo: Callable[[int, Ticket, BaseException | None], Awaitable[None]] = _nothing_to_undo


ACTIVITIES: Registry[Activity] = Registry("activity")
# Kinds whose lines hold the activity's own units: a cancelled order releases no SKU stock for them.
OWN_STOCK: set[str] = set()


def activity(kind: str) -> Activity:
    found = ACTIVITIES.get(kind)
    if found is None:
        raise DomainError(ErrorCode.INVALID_INPUT, f"No {kind} activity here.", "activity")
    return found
