"""Consignment statistics (CON-8) and the admin's live counters (CON-9).

Source of truth: the order tables for sales and order counts (lines of the RETAIL and
WHOLESALE zones of orders that were paid, by `orders.paid_at`), and the `wholesale_unit`
rows for everything about units and rewards. The ledger is not used: the seller's
CONSIGNMENT_PENDING account receives proceeds and reward together and settlement moves
them as one amount, so only the unit row says how much of a settled amount was reward.
A unit row is the current state of the unit: a sale reversed by a refund (the unit went
back to the queue) is no longer counted as sold, and its reward no longer as pending.

Periods are calendar days, ISO weeks (Monday first) and calendar months of the business
day, `UTC_OFFSET` (China Standard Time, no daylight saving). The database groups rows by
business day (one set-based query per source, `GROUP BY day`, the day expression written
per dialect by `day_sql`); days are then rolled up into weeks or months here. The day
rows are bounded by the requested range, whose length is capped per period.

Live counters: services emit a small `StatsChanged` (made by `stats_event`) on the admin
channel inside the unit of work that changes a counter (a unit consigned, sold, returned
to the queue, taken out of it, settled; a retail or wholesale order paid). The
subscription reads `live_snapshot()` once and then applies the events with `apply_event`
(pure): no query per event.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any

from tortoise import connections

from services.consignment.events import StatsChanged
from services.consignment.unit_states import MATCHED, QUEUED, SETTLED
from services.core import clock
from services.core.business_days import bucket_start, buckets, business_day, check_range, day_sql, day_start, today
from services.core.events import LiveEvent
from services.core.sql import sql

SALES_ZONES = ("RETAIL", "WHOLESALE")


# --------------------------------------------------------------------------- the report


@dataclass(frozen=True)
class Figures:
    """Sums over some days. Amounts in fen."""

    retail_sales: int = 0
    wholesale_sales: int = 0
    refunded: int = 0
    retail_orders: int = 0
    wholesale_orders: int = 0
    units_consigned: int = 0
    units_sold: int = 0
    rewards_pending: int = 0
    rewards_paid: int = 0

    @property
    def sales(self) -> int:
        return self.retail_sales + self.wholesale_sales

    def __add__(self, other: Figures) -> Figures:
        return Figures(**{name: getattr(self, name) + getattr(other, name) for name in self.__dataclass_fields__})


@dataclass(frozen=True)
class Bucket:
    first: date
    last: date
    figures: Figures


@dataclass(frozen=True)
class Totals:
    """All time, and the queue as it is now."""

    figures: Figures
    units_in_queue: int


def _int(value: Any) -> int:
    return int(value or 0)


def _day(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def _order_sql(dialect: str, grouped: bool) -> str:
    zones = ", ".join(f"'{z}'" for z in SALES_ZONES)
    day = day_sql(dialect, "o.paid_at")
    where = "o.paid_at >= ? AND o.paid_at < ?" if grouped else "o.paid_at IS NOT NULL"
    return (
        f"SELECT {day + ' AS day, ' if grouped else ''}"
        "SUM(CASE WHEN l.zone = 'RETAIL' THEN l.amount ELSE 0 END) AS retail_sales, "
        "SUM(CASE WHEN l.zone = 'WHOLESALE' THEN l.amount ELSE 0 END) AS wholesale_sales, "
        "SUM(l.refunded_amount) AS refunded, "
        "COUNT(DISTINCT CASE WHEN l.zone = 'RETAIL' THEN o.id END) AS retail_orders, "
        "COUNT(DISTINCT CASE WHEN l.zone = 'WHOLESALE' THEN o.id END) AS wholesale_orders "
        f"FROM orders o JOIN order_line l ON l.order_id = o.id WHERE {where} AND l.zone IN ({zones})"
        f"{' GROUP BY ' + day if grouped else ''}"
    )


def _sold_sql(dialect: str, grouped: bool) -> str:
    day = day_sql(dialect, "matched_at")
    where = "matched_at >= ? AND matched_at < ? AND " if grouped else ""
    return (
        f"SELECT {day + ' AS day, ' if grouped else ''}COUNT(*) AS units_sold, "
        f"SUM(CASE WHEN status = '{MATCHED}' THEN reward ELSE 0 END) AS rewards_pending, "
        f"SUM(CASE WHEN status = '{SETTLED}' THEN reward ELSE 0 END) AS rewards_paid "
        f"FROM wholesale_unit WHERE {where}status IN ('{MATCHED}', '{SETTLED}')"
        f"{' GROUP BY ' + day if grouped else ''}"
    )


def _consigned_sql(dialect: str) -> str:
    day = day_sql(dialect, "consigned_at")
    return (
        f"SELECT {day} AS day, COUNT(*) AS units_consigned FROM wholesale_unit "
        f"WHERE consigned_at >= ? AND consigned_at < ? GROUP BY {day}"
    )


async def _days(first: date, last: date) -> dict[date, Figures]:
    """Figures per business day of [first, last] that has any (three grouped queries)."""
    conn = connections.get("default")
    dialect = conn.capabilities.dialect
    bounds = [day_start(first), day_start(last + timedelta(days=1))]
    found: dict[date, dict[str, int]] = {}
    for text in (_order_sql(dialect, True), _sold_sql(dialect, True), _consigned_sql(dialect)):
        for row in await conn.execute_query_dict(sql(conn, text), bounds):
            values = found.setdefault(_day(row.pop("day")), {})
            values.update({key: _int(value) for key, value in row.items()})
    return {day: Figures(**values) for day, values in found.items()}


async def report(period: str, first: date, last: date) -> list[Bucket]:
    """CON-8: one bucket per day, week or month of [first, last] (business days), every
    bucket present (zeros included), in order. A sale is counted in the bucket it was
    paid in (sales, order counts) or matched in (units sold, rewards); a unit consigned
    in the bucket it joined the queue. Rewards are split by the unit's state now:
    pending (frozen until the retail order is final) or paid (available to the seller)."""
    check_range(period, first, last)
    spans = buckets(period, first, last)
    index = {bucket_start(start, period): i for i, (start, _) in enumerate(spans)}
    sums = [Figures() for _ in spans]
    for day, figures in (await _days(first, last)).items():
        i = index[bucket_start(day, period)]
        sums[i] += figures
    return [Bucket(start, end, figures) for (start, end), figures in zip(spans, sums, strict=True)]


async def totals() -> Totals:
    """All-time figures, and the units in the queue now (three aggregate queries)."""
    conn = connections.get("default")
    dialect = conn.capabilities.dialect
    values: dict[str, int] = {}
    for text in (_order_sql(dialect, False), _sold_sql(dialect, False)):
        for row in await conn.execute_query_dict(text):
            values.update({key: _int(value) for key, value in row.items()})
    rows = await conn.execute_query_dict(
        "SELECT COUNT(consigned_at) AS units_consigned, "
        f"COUNT(CASE WHEN status = '{QUEUED}' THEN 1 END) AS queued FROM wholesale_unit"
    )
    queued = _int(rows[0].pop("queued"))
    values["units_consigned"] = _int(rows[0]["units_consigned"])
    return Totals(figures=Figures(**values), units_in_queue=queued)


# --------------------------------------------------------------------------- live counters


@dataclass(frozen=True)
class LiveCounters:
    """What an admin watches live. `day` is the business day the today-figures are for."""

    day: date
    units_in_queue: int
    units_sold_today: int
    sales_today: int
    retail_orders_today: int
    wholesale_orders_today: int
    rewards_pending: int


async def live_snapshot() -> LiveCounters:
    """The counters now (four aggregate queries; read once per subscription, not per event)."""
    day = today()
    figures = (await _days(day, day)).get(day, Figures())
    conn = connections.get("default")
    rows = await conn.execute_query_dict(
        f"SELECT COUNT(CASE WHEN status = '{QUEUED}' THEN 1 END) AS queued, "
        f"SUM(CASE WHEN status = '{MATCHED}' THEN reward ELSE 0 END) AS pending "
        f"FROM wholesale_unit WHERE status IN ('{QUEUED}', '{MATCHED}')"
    )
    return LiveCounters(
        day=day,
        units_in_queue=_int(rows[0]["queued"]),
        units_sold_today=figures.units_sold,
        sales_today=figures.sales,
        retail_orders_today=figures.retail_orders,
        wholesale_orders_today=figures.wholesale_orders,
        rewards_pending=_int(rows[0]["pending"]),
    )


def stats_event(
    *,
    queued: int = 0,
    sold: int = 0,
    sales: int = 0,
    retail_orders: int = 0,
    wholesale_orders: int = 0,
    rewards_pending: int = 0,
    at: datetime | None = None,
) -> StatsChanged:
    """A change of the live counters, for the admin channel. `at`: when the sale or
    payment it concerns happened (default now); it decides which day's figures move."""
    return StatsChanged(
        day=business_day(at or clock.now()),
        queued=queued,
        sold=sold,
        sales=sales,
        retail_orders=retail_orders,
        wholesale_orders=wholesale_orders,
        rewards_pending=rewards_pending,
    )


def apply_event(counters: LiveCounters, event: LiveEvent | None) -> LiveCounters | None:
    """The counters after a stats event, or None when nothing the admin sees changed (or
    it is another event). Today-figures move only for an event of the counters' own day."""
    if not isinstance(event, StatsChanged):
        return None
    same_day = event.day == counters.day
    changed = replace(
        counters,
        units_in_queue=counters.units_in_queue + event.queued,
        rewards_pending=counters.rewards_pending + event.rewards_pending,
        units_sold_today=counters.units_sold_today + (event.sold if same_day else 0),
        sales_today=counters.sales_today + (event.sales if same_day else 0),
        retail_orders_today=counters.retail_orders_today + (event.retail_orders if same_day else 0),
        wholesale_orders_today=counters.wholesale_orders_today + (event.wholesale_orders if same_day else 0),
    )
    return None if changed == counters else changed
