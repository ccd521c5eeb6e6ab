"""The discount report (FIN-5 with MKT-1/2/4): what the discounts of the orders paid each
business day cost, by source (coupons, promotions, free shipping, coins) and by who funds
them (the platform or the merchant). Gross at payment: a refund does not take a discount back
from this report (the platform's share of refunded units shows in the journal as
PLATFORM_DISCOUNT_RETURNED).

Source: each line's stored discount parts (`order_line.discounts`: source, funder, amount;
funder null is the platform) and the order's shipping discount, whose platform share is
the order's `platform_funded` less the platform's parts on its lines.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta

from tortoise import connections

from services.core.business_days import business_day, day_start
from services.core.clock import parse_instant
from services.core.sql import sql

FIGURES = (
    "coupons_by_platform",
    "coupons_by_merchants",
    "promotions_by_platform",
    "promotions_by_merchants",
    "shipping_by_platform",
    "shipping_by_merchants",
    "coins",
    "by_platform",
    "by_merchants",
    "total",
)
_SOURCES = {"COUPON": "coupons", "PROMOTION": "promotions"}


@dataclass(frozen=True)
class PaidOrder:
    """What the report reads of one paid order: its lines' discount parts and its shipping."""

    day: date
    parts: tuple[dict, ...]
    shipping_discount: int
    platform_funded: int


def figures(orders: list[PaidOrder]) -> dict[str, int]:
    out = dict.fromkeys(FIGURES, 0)
    for o in orders:
        platform_on_lines = 0
        for p in o.parts:
            amount, platform = int(p["amount"]), p.get("funder") is None
            if p["source"] == "COINS":
                out["coins"] += amount
            else:
                out[f"{_SOURCES.get(p['source'], 'promotions')}_by_{'platform' if platform else 'merchants'}"] += amount
            if platform:
                platform_on_lines += amount
        shipping_platform = min(max(o.platform_funded - platform_on_lines, 0), o.shipping_discount)
        out["shipping_by_platform"] += shipping_platform
        out["shipping_by_merchants"] += o.shipping_discount - shipping_platform
    out["by_platform"] = out["coupons_by_platform"] + out["promotions_by_platform"] + out["shipping_by_platform"]
    out["by_platform"] += out["coins"]  # coins are the platform's: it credits the merchant their value
    out["by_merchants"] = out["coupons_by_merchants"] + out["promotions_by_merchants"] + out["shipping_by_merchants"]
    out["total"] = out["by_platform"] + out["by_merchants"]
    return out


_ORDERS = (
    "SELECT o.id AS id, o.paid_at AS paid_at, o.shipping_discount AS shipping_discount, "
    "o.platform_funded AS platform_funded, l.discounts AS discounts "
    "FROM orders o JOIN order_line l ON l.order_id = o.id "
    "WHERE o.paid_at >= ? AND o.paid_at < ? "
    "AND (o.discount_amount > 0 OR o.shipping_discount > 0 OR o.coins_amount > 0)"
)


async def daily(first: date, last: date) -> dict[date, list[PaidOrder]]:
    """The discounted orders paid on each business day of [first, last]."""
    conn = connections.get("default")
    rows = await conn.execute_query_dict(sql(conn, _ORDERS), [day_start(first), day_start(last + timedelta(days=1))])
    by_order: dict[int, dict] = {}
    for r in rows:
        o = by_order.setdefault(r["id"], {"row": r, "parts": []})
        parts = json.loads(r["discounts"]) if isinstance(r["discounts"], str) else r["discounts"]
        o["parts"].extend(parts or ())
    out: dict[date, list[PaidOrder]] = defaultdict(list)
    for o in by_order.values():
        r = o["row"]
        paid = r["paid_at"]
        day = business_day(parse_instant(paid) if isinstance(paid, str) else paid)
        out[day].append(PaidOrder(day, tuple(o["parts"]), int(r["shipping_discount"]), int(r["platform_funded"])))
    return out
