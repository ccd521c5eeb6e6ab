"""Coins and points granted per product (CAT-3, MKT-4, FIN-2): a product's `coins_granted`
and `points_granted` are per unit, credited to the buyer when the order completes (the
after-sales window then runs, so a refund before completion simply leaves the refunded units
out), from the platform's PROMOTION_EXPENSE in the ledger currencies COIN and POINT.

A refund after completion takes the refunded units' grant back, as far as the buyer still
holds it (coins or points already spent are not clawed into a negative balance: the platform
bears that part, and the journal shows what was taken back).
"""

from __future__ import annotations

from models.ledger import LedgerAccount
from models.orders import OrderLine
from services.core.sql import sql
from services.ledger import ledger
from services.ledger.ledger import Purpose
from services.marketing.coins import COIN, from_budget

POINT = "POINT"
_CURRENCIES = ((Purpose.COINS, COIN, "coins_granted"), (Purpose.POINTS, POINT, "points_granted"))

_LINES = (
    "SELECT l.id, l.quantity, l.refunded_quantity, p.coins_granted, p.points_granted "
    "FROM order_line l JOIN product p ON p.id = l.product_id WHERE l.order_id = ? AND NOT l.is_gift"
)


async def on_completed(order, conn) -> None:
    """COMPLETED step: the units kept earn their products' coins and points."""
    rows = await conn.execute_query_dict(sql(conn, _LINES), [order.id])
    for purpose, currency, column in _CURRENCIES:
        total = sum(int(r[column]) * (r["quantity"] - r["refunded_quantity"]) for r in rows)
        if total > 0:
            kind = "COINS_EARNED" if purpose == Purpose.COINS else "POINTS_EARNED"
            key, reference = f"{kind.lower()}:{order.id}", ("ORDER", str(order.id))
            await from_budget(kind, order.buyer_id, total, key, reference, purpose=purpose, currency=currency)


async def on_line_refunded(refund, conn) -> None:
    """LINE_REFUNDED step: after completion, the refunded units' grant goes back (as held)."""
    order, line = refund.order, refund.line
    if order.completed_at is None or line.is_gift:  # a gift line earned nothing
        return
    product = (
        await OrderLine.filter(id=line.id)
        .using_db(conn)
        .values_list("product__coins_granted", "product__points_granted")
    )
    for (purpose, currency, _), per_unit in zip(_CURRENCIES, product[0], strict=True):
        due = int(per_unit) * refund.quantity
        if due <= 0:
            continue
        account = (await ledger.user_account(order.buyer_id, purpose, currency)).id
        await ledger.lock_accounts(conn, [account])  # the balance decided on cannot move meanwhile
        held = await LedgerAccount.filter(id=account).using_db(conn).values_list("balance", flat=True)
        taken = min(due, max(int(held[0]), 0))
        if taken:
            kind = "COINS_TAKEN_BACK" if purpose == Purpose.COINS else "POINTS_TAKEN_BACK"
            key = f"{kind.lower()}:{line.id}:{line.refunded_quantity}"
            reference = ("ORDER", str(order.id))
            await from_budget(kind, order.buyer_id, -taken, key, reference, purpose=purpose, currency=currency)
