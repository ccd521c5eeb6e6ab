"""The points mall (MKT-4, CAT-2's POINTS zone, seed 积分兑换产品专区): products priced in points
only or in points plus a cash part, the shipping paid in cash or in points at a set ratio
(积分快递费现金比例: `POINTS_SHIPPING_POINTS_PER_YUAN`).

- A POINTS-zone SKU's `price` is the cash part (0 for points only), `points_price` the points
  per unit. A checkout of points goods holds points goods only, takes no promotions, coupons
  or coins (their cash part is not discounted), and is priced by the same pipeline (stock,
  per-buyer limits, shipping by the merchant's template) plus `price_points` below.
- Shipping in points: the merchant's shipping fee F (fen) costs ceil(F × ratio / 100) points;
  the platform pays the merchant F in cash at payment (a platform-funded shipping discount of
  source `POINTS`, as for coupons and coins), so the merchant is paid the same either way.
- The points are taken from the buyer's POINTS account (ledger currency POINT, to the
  platform's PROMOTION_EXPENSE) by the `marketing.take_points` step of the payment, in the
  payment's own transaction, with the cash part: not enough points refuses the payment
  (INSUFFICIENT_POINTS) and nothing moves; a gateway's money for it is then refunded (the
  payment's rule for a refused settlement). The checkout refuses early when the buyer's
  balance does not cover the points. An unpaid checkout cancelled took no points.
- A refund gives the units' points back by cumulative share (every point exactly once when
  the last unit returns), and the shipping's points when the whole order is refunded before
  it was shipped, as the cash shipping is; the cash part by the payment's own method.
- Commissions: none on points orders unless `POINTS_ORDERS_EARN_COMMISSIONS`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from tortoise import connections

from services.accounts.access import Grants
from services.core.business_days import check_range, day_start
from services.core.errors import DomainError, ErrorCode
from services.core.money import cumulative_share
from services.core.sql import sql
from services.ledger import ledger
from services.ledger.ledger import Purpose
from services.marketing.coins import from_budget
from services.marketing.coupon_templates import PLATFORM_PERMISSION
from services.marketing.pipeline import Part

ZONE = "POINTS"
POINT = "POINT"
SOURCE = "POINTS"  # the source of the platform-funded shipping part paid in points
MAX_POINTS = 10**12


@dataclass(frozen=True)
class PointsLine:
    key: str
    merchant_id: int
    quantity: int
    points_price: int  # per unit


@dataclass(frozen=True)
class PointsQuote:
    lines: Mapping[str, int]  # line key -> points for its goods
    shipping: Mapping[int, int]  # merchant id -> points paid for its shipping
    shipping_cash: Mapping[int, int]  # merchant id -> the shipping (fen) those points pay

    @property
    def goods(self) -> int:
        return sum(self.lines.values())

    @property
    def total(self) -> int:
        return self.goods + sum(self.shipping.values())


def shipping_points(fen: int, points_per_yuan: int) -> int:
    """What `fen` of shipping costs in points, rounded up (the buyer never pays less)."""
    return -(-fen * points_per_yuan // 100)


def price_points(
    lines: Sequence[PointsLine],
    shipping_fen: Mapping[int, int],
    *,
    shipping_in_points: bool,
    points_per_yuan: int,
) -> PointsQuote:
    """The points a points checkout costs: each line's points_price × quantity, and, when the
    buyer pays the shipping in points, each merchant's shipping (what is left of it to pay)
    at the ratio. Refuses INVALID_PRICE (a line without a points price) and INVALID_INPUT
    (shipping in points when the ratio is 0: cash only)."""
    if shipping_in_points and points_per_yuan <= 0:
        raise DomainError(ErrorCode.INVALID_INPUT, "Shipping is paid in cash only.", "shippingInPoints")
    out: dict[str, int] = {}
    for line in lines:
        if not isinstance(line.points_price, int) or line.points_price <= 0:
            raise DomainError(ErrorCode.INVALID_PRICE, "A points product needs a points price.", "items")
        out[line.key] = line.points_price * line.quantity
    shipping = {}
    cash = {}
    if shipping_in_points:
        for merchant_id, fen in shipping_fen.items():
            if fen > 0:
                shipping[merchant_id] = shipping_points(fen, points_per_yuan)
                cash[merchant_id] = fen
    quote = PointsQuote(out, shipping, cash)
    if quote.total > MAX_POINTS:
        raise DomainError(ErrorCode.INVALID_AMOUNT, "That is more points than a checkout may take.", "items")
    return quote


def shipping_part(fen: int) -> Part:
    """The shipping paid in points, as the platform-funded part of the order's shipping."""
    return Part(SOURCE, None, None, fen)


# --------------------------------------------------------------------------- the ledger


async def balance(user_id: int) -> int:
    return (await ledger.user_account(user_id, Purpose.POINTS, POINT)).balance


async def on_paid(paid, conn) -> None:
    """PAID step (`marketing.take_points`): the order's points leave the buyer in the
    payment's transaction; short of them, the whole payment is refused."""
    order = paid.order
    if order.points <= 0:
        return
    try:
        await from_budget(
            "POINTS_SPENT",
            order.buyer_id,
            -order.points,
            f"points:spent:{order.id}",
            ("ORDER", str(order.id)),
            conn,
            purpose=Purpose.POINTS,
            currency=POINT,
        )
    except DomainError as exc:
        if exc.code != ErrorCode.INSUFFICIENT_FUNDS:
            raise
        raise DomainError(
            ErrorCode.INSUFFICIENT_POINTS, f"This order needs {order.points} points.", "paymentId"
        ) from exc


def refunded_points(line_points: int, quantity: int, refunded_before: int, units: int) -> int:
    """The points `units` more refunded units give back (cumulative share)."""
    return cumulative_share(line_points, quantity, refunded_before, units)


async def refund(order, points: int, after_sale_id: int, conn) -> None:
    """Refunded units' (and the shipping's) points back to the buyer."""
    if points > 0:
        await from_budget(
            "POINTS_REFUNDED",
            order.buyer_id,
            points,
            f"points:refunded:{after_sale_id}",
            ("ORDER", str(order.id)),
            conn,
            purpose=Purpose.POINTS,
            currency=POINT,
        )


# --------------------------------------------------------------------------- statistics


@dataclass(frozen=True)
class ExchangeRow:
    product_id: int
    title: str
    orders: int
    units: int  # exchanged and not refunded
    points: int  # the goods' points kept (refunded units' points given back excluded)
    cash: int  # the cash part kept, fen
    shipping_points: int  # shipping paid in points, of orders not wholly refunded


_STATS = (
    "SELECT l.product_id, l.title, l.order_id, l.quantity, l.refunded_quantity, l.points, l.amount, "
    "l.refunded_amount, o.shipping_points, o.status FROM order_line l JOIN orders o ON o.id = l.order_id "
    "WHERE l.zone = ? AND o.paid_at >= ? AND o.paid_at < ? ORDER BY l.product_id, l.id"
)


async def exchange_stats(grants: Grants, first: date, last: date) -> list[ExchangeRow]:
    """Points-mall exchanges paid in [first, last] (business days), per product, for admins
    with marketing.manage (FORBIDDEN, INVALID_DATE_RANGE); the most points first."""
    if not grants.has(PLATFORM_PERMISSION):
        raise DomainError(ErrorCode.FORBIDDEN, f"This needs the {PLATFORM_PERMISSION} permission.")
    check_range("DAY", first, last)
    conn = connections.get("default")
    rows = await conn.execute_query_dict(
        sql(conn, _STATS), [ZONE, day_start(first), day_start(last + timedelta(days=1))]
    )
    by_product: dict[int, dict] = {}
    seen_orders: dict[int, set[int]] = {}
    shipping_counted: set[int] = set()
    for r in rows:
        q, rq = int(r["quantity"]), int(r["refunded_quantity"])
        acc = by_product.setdefault(
            r["product_id"], {"title": r["title"], "units": 0, "points": 0, "cash": 0, "shipping": 0}
        )
        acc["units"] += q - rq
        acc["points"] += int(r["points"]) - refunded_points(int(r["points"]), q, 0, rq)
        acc["cash"] += int(r["amount"]) - int(r["refunded_amount"])
        if q > rq:
            seen_orders.setdefault(r["product_id"], set()).add(r["order_id"])
            if r["order_id"] not in shipping_counted:
                shipping_counted.add(r["order_id"])
                acc["shipping"] += int(r["shipping_points"])
    out = [
        ExchangeRow(
            pid,
            acc["title"],
            len(seen_orders.get(pid, ())),
            acc["units"],
            acc["points"],
            acc["cash"],
            acc["shipping"],
        )
        for pid, acc in by_product.items()
    ]
    out.sort(key=lambda row: (-row.points, row.product_id))
    return out


async def check_lines(buyer_id: int, lines, conn) -> None:
    """POINTS zone rule at checkout: every line was priced in points (a path that did not
    price them must not sell points goods for their cash part alone)."""
    if any(line.points <= 0 for line in lines):
        raise DomainError(ErrorCode.ZONE_REQUIREMENT_NOT_MET, "Points-mall goods are paid in points.", "items")
