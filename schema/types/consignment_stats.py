"""Consignment statistics for administrators (CON-8) and their live counters (CON-9)."""

from __future__ import annotations

from datetime import date
from enum import Enum

import strawberry

from schema.money import Money
from services.consignment import stats


@strawberry.enum(
    description="How a statistics range is cut: business days, ISO weeks (Monday first) or calendar months (UTC+8)."
)
class StatsPeriod(Enum):
    DAY = strawberry.enum_value("DAY", description="Business days (UTC+8).")
    WEEK = strawberry.enum_value("WEEK", description="ISO weeks, Monday first.")
    MONTH = strawberry.enum_value("MONTH", description="Calendar months.")


@strawberry.interface(
    description="Consignment figures over some time. Sales and order counts follow the orders paid in that time (gross: "
    "refunds are reported separately); units sold and rewards follow the units matched in that time, as they stand now "
    "(a sale reversed by a refund no longer counts); rewards are split by whether they are still frozen or already paid."
)
class ConsignmentFigures:
    sales: Money = strawberry.field(
        description="Goods amount paid in the retail and wholesale zones (shipping excluded)."
    )
    retail_sales: Money = strawberry.field(description="Goods amount paid in the retail zone.")
    wholesale_sales: Money = strawberry.field(description="Goods amount paid in the wholesale zone.")
    refunded: Money = strawberry.field(description="Of those goods, the amount refunded since.")
    retail_orders: int = strawberry.field(description="Paid orders with retail-zone goods.")
    wholesale_orders: int = strawberry.field(description="Paid orders with wholesale-zone goods.")
    units_consigned: int = strawberry.field(description="Wholesale units that joined the consignment queue.")
    units_sold: int = strawberry.field(
        description="Consigned units sold to a retail buyer (sales reversed by a refund excluded)."
    )
    rewards_total: Money = strawberry.field(
        description="Consignment rewards (挂售奖励) on those sales: pending plus paid."
    )
    rewards_pending: Money = strawberry.field(
        description="Of those rewards, still frozen until the retail order is final."
    )
    rewards_paid: Money = strawberry.field(description="Of those rewards, already made available to the sellers.")


def _figures(f: stats.Figures) -> dict:
    return dict(
        sales=Money.from_fen(f.sales),
        retail_sales=Money.from_fen(f.retail_sales),
        wholesale_sales=Money.from_fen(f.wholesale_sales),
        refunded=Money.from_fen(f.refunded),
        retail_orders=f.retail_orders,
        wholesale_orders=f.wholesale_orders,
        units_consigned=f.units_consigned,
        units_sold=f.units_sold,
        rewards_total=Money.from_fen(f.rewards_pending + f.rewards_paid),
        rewards_pending=Money.from_fen(f.rewards_pending),
        rewards_paid=Money.from_fen(f.rewards_paid),
    )


@strawberry.type(description="Consignment figures of one day, week or month of the requested range.")
class ConsignmentStatsBucket(ConsignmentFigures):
    start: date = strawberry.field(description="First day counted (the period's start, or the range's if later).")
    end: date = strawberry.field(description="Last day counted (the period's end, or the range's if earlier).")

    @classmethod
    def from_bucket(cls, bucket: stats.Bucket) -> ConsignmentStatsBucket:
        return cls(start=bucket.first, end=bucket.last, **_figures(bucket.figures))


@strawberry.type(description="Consignment figures since the start, and the queue now.")
class ConsignmentStatsTotals(ConsignmentFigures):
    units_in_queue: int = strawberry.field(description="Consigned units waiting in the queues now.")

    @classmethod
    def from_totals(cls, totals: stats.Totals) -> ConsignmentStatsTotals:
        return cls(units_in_queue=totals.units_in_queue, **_figures(totals.figures))


@strawberry.type(description="Consignment statistics (CON-8): one row per period of a date range, and totals.")
class ConsignmentStats:
    period: StatsPeriod = strawberry.field(description="How the range is cut.")
    start: date = strawberry.field(description="First day of the range.")
    end: date = strawberry.field(description="Last day of the range.")
    buckets: list[ConsignmentStatsBucket] = strawberry.field(
        description="One row per period, oldest first, zeros included."
    )

    @strawberry.field(description="All-time figures and the units in the queue now (computed only when asked for).")
    async def totals(self) -> ConsignmentStatsTotals:
        return ConsignmentStatsTotals.from_totals(await stats.totals())


@strawberry.type(description="The consignment counters an administrator watches live (CON-9).")
class LiveConsignmentStats:
    day: date = strawberry.field(description="The business day (UTC+8) the today-figures are for.")
    units_in_queue: int = strawberry.field(description="Consigned units waiting in the queues now.")
    units_sold_today: int = strawberry.field(description="Consigned units sold today (sales reversed since excluded).")
    sales_today: Money = strawberry.field(description="Retail and wholesale goods amount paid today.")
    retail_orders_today: int = strawberry.field(description="Orders with retail-zone goods paid today.")
    wholesale_orders_today: int = strawberry.field(description="Orders with wholesale-zone goods paid today.")
    rewards_pending: Money = strawberry.field(description="Consignment rewards booked and still frozen, all sales.")

    @classmethod
    def from_counters(cls, c: stats.LiveCounters) -> LiveConsignmentStats:
        return cls(
            day=c.day,
            units_in_queue=c.units_in_queue,
            units_sold_today=c.units_sold_today,
            sales_today=Money.from_fen(c.sales_today),
            retail_orders_today=c.retail_orders_today,
            wholesale_orders_today=c.wholesale_orders_today,
            rewards_pending=Money.from_fen(c.rewards_pending),
        )
