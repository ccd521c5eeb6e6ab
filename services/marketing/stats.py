"""Coupon statistics (MKT-1, MKT-6) for a template's managers: per business day, week or
month, how many coupons were claimed or issued, how many are used (coupons given back by a
cancel or a refund no longer count), the checkouts and orders they were used on, the GMV of
those orders (what their buyers paid) and the discount the coupons gave (their cost to the
funder). Range rules as every statistic (services.core.business_days.check_range)."""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta

from tortoise import connections

from models.orders import OrderLine
from services.accounts.access import Grants
from services.core.business_days import buckets, business_day, check_range, day_sql, day_start
from services.core.sql import sql
from services.marketing.coupon_templates import template_for_staff
from services.marketing.coupons import USED
from services.marketing.promotions import for_staff as promotion_for_staff

FIGURES = ("claimed", "used", "orders", "gmv", "discount")


def _claimed_sql(dialect: str) -> str:
    day = day_sql(dialect, "created_at")
    return (
        f"SELECT {day} AS day, COUNT(*) AS claimed FROM user_coupon "
        f"WHERE template_id = ? AND created_at >= ? AND created_at < ? GROUP BY {day}"
    )


def _used_sql(dialect: str) -> str:
    # A merchant coupon names its order; a platform coupon the checkout's payment (every order of it).
    day = day_sql(dialect, "u.used_at")
    return (
        f"SELECT {day} AS day, COUNT(DISTINCT u.id) AS used, COUNT(DISTINCT o.id) AS orders, "
        "SUM(o.pay_amount) AS gmv FROM user_coupon u JOIN orders o "
        "ON (u.order_id IS NOT NULL AND o.id = u.order_id) OR (u.order_id IS NULL AND o.payment_id = u.payment_id) "
        f"WHERE u.template_id = ? AND u.status = '{USED}' AND u.used_at >= ? AND u.used_at < ? GROUP BY {day}"
    )


def _discount_sql(dialect: str) -> str:
    day = day_sql(dialect, "used_at")
    return (
        f"SELECT {day} AS day, SUM(discount) AS discount FROM user_coupon "
        f"WHERE template_id = ? AND status = '{USED}' AND used_at >= ? AND used_at < ? GROUP BY {day}"
    )


@dataclass(frozen=True)
class Bucket:
    first: date
    last: date
    figures: dict[str, int] = field(default_factory=dict)


def _day(value) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def _fold(period: str, first: date, last: date, days: dict, names) -> tuple[list[Bucket], dict[str, int]]:
    out = []
    for start, end in buckets(period, first, last):
        figures = dict.fromkeys(names, 0)
        for day, values in days.items():
            if start <= day <= end:
                for name in names:
                    figures[name] += values[name]
        out.append(Bucket(start, end, figures))
    return out, {name: sum(b.figures[name] for b in out) for name in names}


PROMOTION_FIGURES = ("orders", "gmv", "discount", "units")


async def promotion_stats(
    grants: Grants, promotion_id: int, period: str, first: date, last: date
) -> tuple[list[Bucket], dict[str, int]]:
    """A promotion's figures (MKT-2, MKT-6) per bucket of [first, last] and over the whole
    range, by the business day its orders were placed (paid ones only):
    the orders it discounted or gave a gift on, their GMV (what their buyers paid), its
    discount (its parts on their lines, gifts' value included: its cost to the funder) and the
    units of the lines it has a part on (a gift promotion: the gift units given). Raises NOT_FOUND, FORBIDDEN (not its manager),
    INVALID_DATE_RANGE.

    Read from the lines' discount parts: the discounted lines of the range's orders (of the
    promotion's merchant, for a merchant's), from the promotion's start."""
    row = await promotion_for_staff(grants, promotion_id)
    check_range(period, first, last)
    start = max(day_start(first), row.starts_at)
    query = OrderLine.filter(
        order__created_at__gte=start,
        order__created_at__lt=day_start(last + timedelta(days=1)),
        discount_amount__gt=0,
        order__paid_at__isnull=False,
    )
    if row.merchant_id is not None:
        query = query.filter(order__merchant_id=row.merchant_id)
    days: dict[date, dict[str, int]] = defaultdict(lambda: dict.fromkeys(PROMOTION_FIGURES, 0))
    seen: set[int] = set()
    rows = await query.values_list("order_id", "quantity", "discounts", "order__pay_amount", "order__created_at")
    for order_id, quantity, discounts, pay_amount, created_at in rows:
        if isinstance(discounts, str):
            discounts = json.loads(discounts)
        mine = [p for p in discounts or () if p.get("source") == "PROMOTION" and p.get("id") == promotion_id]
        if not mine:
            continue
        figures = days[business_day(created_at)]
        figures["discount"] += sum(int(p["amount"]) for p in mine)
        figures["units"] += quantity
        if order_id not in seen:
            seen.add(order_id)
            figures["orders"] += 1
            figures["gmv"] += int(pay_amount)
    return _fold(period, first, last, days, PROMOTION_FIGURES)


async def coupon_stats(
    grants: Grants, template_id: int, period: str, first: date, last: date
) -> tuple[list[Bucket], dict[str, int]]:
    """The template's figures per bucket of [first, last], and over the whole range. Raises
    NOT_FOUND, FORBIDDEN (not its manager), INVALID_DATE_RANGE."""
    await template_for_staff(grants, template_id, "templateId")
    check_range(period, first, last)
    conn = connections.get("default")
    dialect = conn.capabilities.dialect
    params = [template_id, day_start(first), day_start(last + timedelta(days=1))]
    days: dict[date, dict[str, int]] = defaultdict(lambda: dict.fromkeys(FIGURES, 0))
    for query in (_claimed_sql, _used_sql, _discount_sql):
        for row in await conn.execute_query_dict(sql(conn, query(dialect)), params):
            for name in FIGURES:
                if name in row:
                    days[_day(row["day"])][name] += int(row[name] or 0)
    return _fold(period, first, last, days, FIGURES)
