"""How consignment reacts to orders (steps of services.orders.hooks, added by wiring.py):

- checkout of WHOLESALE lines reserves one voucher per unit (the zone's rule);
- a paid order: reserved vouchers become used, wholesale units are created, retail /
  member-zone lines grant vouchers, retail units are matched against the queue;
- a cancelled unpaid order frees its reserved vouchers;
- a refunded line: a retail line's matches are reversed (units back to the head of the
  queue) and its unused granted vouchers withdrawn; a wholesale line's held / pickup units
  are refunded and their vouchers restored.
All inside the order's own transaction.
"""

from __future__ import annotations

from models.catalog import Product
from models.consignment import WholesaleUnit
from models.orders import Order, OrderLine
from services.consignment import queue as consignment
from services.consignment import snapup, vouchers
from services.consignment.unit_states import UNIT_STATES
from services.core.errors import DomainError, ErrorCode
from services.orders import hooks as order_hooks


async def reserve_vouchers(buyer_id: int, lines: list[OrderLine], conn) -> None:
    for line in lines:
        await vouchers.reserve(buyer_id, line, conn)


async def on_cancelled(order: Order, conn) -> None:
    await vouchers.release_for_order(order, conn)
    await snapup.give_back(order, conn)


def _not_refundable() -> DomainError:
    return DomainError(
        ErrorCode.AFTER_SALE_NOT_ALLOWED,
        "Consigned or sold wholesale units cannot be refunded; cancel the consignment first.",
        "quantity",
    )


async def on_line_refunded(refund: order_hooks.LineRefund, conn) -> None:
    line = refund.line
    if line.zone == "WHOLESALE":
        ids = (
            await WholesaleUnit.filter(order_line_id=line.id, status__in=sorted(UNIT_STATES.sources("refund")))
            .using_db(conn)
            .order_by("-id")
            .limit(refund.quantity)
            .values_list("id", flat=True)
        )
        if len(ids) < refund.quantity:
            raise _not_refundable()
        # conditional: a unit consigned since it was read is not refunded out of the queue
        if await UNIT_STATES.update(WholesaleUnit.filter(id__in=ids).using_db(conn), "refund") != len(ids):
            raise _not_refundable()
        await vouchers.restore_for_line(line.id, refund.quantity, conn)
        return
    if line.zone in vouchers.GRANTING_ZONES:
        per_unit = await Product.filter(id=line.product_id).using_db(conn).values_list("vouchers_per_unit", flat=True)
        if per_unit and per_unit[0]:
            await vouchers.revoke_granted(line.id, per_unit[0] * refund.quantity, conn)
    if line.zone == "RETAIL":
        await consignment.unmatch_refunded(refund, conn)
