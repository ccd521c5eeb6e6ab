"""Consignment statistics for administrators (CON-8)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import strawberry

from resolvers.common import api_errors, requires
from schema.types.consignment_stats import ConsignmentStats, ConsignmentStatsBucket, StatsPeriod
from services.consignment import stats as consignment_stats


@strawberry.type
class ConsignmentStatsQueries:
    @strawberry.field(
        description="Consignment statistics by day, week or month (consignment.manage): sales, retail and wholesale order "
        "counts, units consigned and sold, rewards pending and paid; plus totals. Days are business days (UTC+8). "
        "A range that ends before it starts, ends after today, or is longer than 366 days (DAY), 731 (WEEK) or "
        "1827 (MONTH) is refused with INVALID_DATE_RANGE.",
        extensions=requires("consignment.manage"),
    )
    @api_errors
    async def consignment_stats(
        self,
        period: Annotated[StatsPeriod, strawberry.argument(description="How to cut the range.")],
        from_: Annotated[date, strawberry.argument(name="from", description="First day, inclusive.")],
        to: Annotated[date, strawberry.argument(description="Last day, inclusive (today at the latest).")],
    ) -> ConsignmentStats:
        found = await consignment_stats.report(period.value, from_, to)
        return ConsignmentStats(
            period=period, start=from_, end=to, buckets=[ConsignmentStatsBucket.from_bucket(b) for b in found]
        )
