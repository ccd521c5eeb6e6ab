"""Seams through which other features react to orders inside the order's own transaction.

Consignment (vouchers issued on payment, the wholesale zone's voucher rule) and
distribution (commissions created on payment, reversed on refund, released on
completion) register here instead of being called by the order code. Each hook runs in
the caller's unit of work: if it raises, the payment / completion / refund is rolled
back as a whole, so money and reactions never disagree.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any

from models.orders import Order, OrderLine
from services.errors import DomainError, ErrorCode


@dataclass(frozen=True)
class CheckoutLine:
    """What a zone rule sees of one line being bought."""

    sku_id: int
    product_id: int
    merchant_id: int
    zone: str
    quantity: int
    unit_price: int


@dataclass(frozen=True)
class LineRefund:
    order: Order
    line: OrderLine
    quantity: int
    amount: int  # fen refunded for this line (shipping excluded)


ZoneRule = Callable[[int, list[OrderLine], Any], Awaitable[None]]  # (buyer_id, the zone's new order lines, conn)
OrderHook = Callable[[Order, Any], Awaitable[None]]  # (order, conn)
RefundHook = Callable[[LineRefund, Any], Awaitable[None]]

ON_PAID: list[OrderHook] = []
# After every ON_PAID hook: hooks that lock a row many payments queue on (a product's
# consignment queue), so that it is held from there to the commit only.
ON_PAID_LAST: list[OrderHook] = []
ON_CANCELLED: list[OrderHook] = []  # an unpaid order was cancelled (by the buyer or the time-out)
ON_COMPLETED: list[OrderHook] = []
ON_PICKED_UP: list[OrderHook] = []  # store staff verified the pickup code and handed the goods over
ON_LINE_REFUNDED: list[RefundHook] = []


async def _not_yet_available(buyer_id: int, lines: list[OrderLine], conn: Any) -> None:
    zone = lines[0].zone
    raise DomainError(
        ErrorCode.ZONE_REQUIREMENT_NOT_MET,
        f"Products of the {zone} zone cannot be bought yet: their zone's requirement is not available.",
        "items",
    )


# zone -> the rule checked at checkout for that zone's lines, once the order lines exist
# (inside the checkout's transaction: a refusal rolls everything back). WHOLESALE needs
# vouchers (services.consignment_hooks registers its rule); POINTS needs the points mall
# and is refused until then rather than sold at the wrong terms.
ZONE_RULES: dict[str, ZoneRule] = {"WHOLESALE": _not_yet_available, "POINTS": _not_yet_available}


async def run_zone_rules(buyer_id: int, lines: list[OrderLine], conn: Any) -> None:
    by_zone: dict[str, list[OrderLine]] = {}
    for line in lines:
        by_zone.setdefault(line.zone, []).append(line)
    for zone, zone_lines in sorted(by_zone.items()):
        rule = ZONE_RULES.get(zone)
        if rule is not None:
            await rule(buyer_id, zone_lines, conn)


async def order_paid(order: Order, conn: Any, lines: list[OrderLine] | None = None) -> None:
    """Run the ON_PAID hooks. `lines`: the order's lines, when the caller has just read them
    in this transaction (the payment does); the hooks then take them from `paid_lines`
    instead of each reading them again. They are the hooks' only while these run."""
    if lines is not None:
        order._paid_lines = sorted(lines, key=lambda ln: ln.id)
    try:
        for hook in (*ON_PAID, *ON_PAID_LAST):
            await hook(order, conn)
    finally:
        if lines is not None:
            del order._paid_lines


async def paid_lines(order: Order, conn: Any, zones: Iterable[str] | None = None) -> list[OrderLine]:
    """For ON_PAID hooks: the paid order's lines (in `zones`, if given), by id."""
    lines = getattr(order, "_paid_lines", None)
    if lines is None:
        query = OrderLine.filter(order_id=order.id)
        if zones is not None:
            query = query.filter(zone__in=list(zones))
        return list(await query.using_db(conn).order_by("id"))
    return [ln for ln in lines if zones is None or ln.zone in zones]


async def order_cancelled(order: Order, conn: Any) -> None:
    for hook in ON_CANCELLED:
        await hook(order, conn)


async def order_completed(order: Order, conn: Any) -> None:
    for hook in ON_COMPLETED:
        await hook(order, conn)


async def order_picked_up(order: Order, conn: Any) -> None:
    for hook in ON_PICKED_UP:
        await hook(order, conn)


async def line_refunded(refund: LineRefund, conn: Any) -> None:
    for hook in ON_LINE_REFUNDED:
        await hook(refund, conn)
