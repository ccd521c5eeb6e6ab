"""Admin live consignment statistics (CON-9, RT-2).

Choice: a snapshot, then deltas. The services emit a small `StatsChanged` event on
the admin channel, inside the transaction that changes a counter (unit consigned, sold,
returned to the queue after a refund, taken out of the queue, settled; retail or
wholesale order paid), so it is published only if that commits. A subscription reads the
counters once when it starts (`live_snapshot`, a few aggregate queries) and then applies
each event in memory (`apply_event`): no database query per event, whatever the number of
subscribers or the sales rate. It re-reads the snapshot only when the business day
changes (today's figures start again from zero) and every RESYNC_SECONDS, which bounds the
drift an event lost in transit (a Redis restart) or one committed while the snapshot was
being read could cause. The session and the consignment.manage permission are checked
when the subscription starts (FORBIDDEN otherwise) and again every PERMISSION_CHECK_SECONDS
(subscriptions.sessions.AdminGuard),
not per event.

(The alternative, recomputing at most once a second per process and fanning out, is exact
without deltas but scans the day's orders every second while sales go on.)
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncGenerator
from datetime import timedelta

import strawberry
from strawberry.types import Info

from resolvers.common import requires, viewer
from schema.errors import ApiError
from schema.types.consignment_stats import LiveConsignmentStats
from services.consignment import stats
from services.core import clock
from services.core.errors import ErrorCode
from services.core.events import admin_channel
from subscriptions.hub import RESYNC, SlowConsumer, event_data, get_broadcast
from subscriptions.sessions import AdminGuard

PERMISSION = "consignment.manage"
RESYNC_SECONDS = 300.0


def _seconds_to_next_day() -> float:
    tomorrow = stats.day_start(stats.today() + timedelta(days=1))
    return max((tomorrow - clock.now()).total_seconds(), 0.0) + 0.01


async def live_counters(guard: AdminGuard) -> AsyncGenerator[stats.LiveCounters, None]:
    """The counters now, then each time they change."""
    # Subscribe first, then read: an event committed after the read is applied, not lost.
    async with get_broadcast().subscribe(admin_channel()) as subscriber:
        counters = await stats.live_snapshot()
        yield counters
        events = aiter(subscriber)
        resync_at = time.monotonic() + RESYNC_SECONDS
        while True:
            timeout = min(_seconds_to_next_day(), max(resync_at - time.monotonic(), 0.0))
            try:
                raw = await asyncio.wait_for(anext(events), timeout)
            except TimeoutError:
                raw = None
            await guard.check()
            # RESYNC: events may have been missed, so the counters are read again
            if raw is None or stats.today() != counters.day or event_data(raw) is RESYNC:
                fresh = await stats.live_snapshot()
                resync_at = time.monotonic() + RESYNC_SECONDS
                if fresh != counters:
                    counters = fresh
                    yield counters
                continue
            changed = stats.apply_event(counters, event_data(raw))
            if changed is not None:
                counters = changed
                yield counters


@strawberry.type
class ConsignmentStatsSubscriptions:
    @strawberry.subscription(
        description="Live consignment counters for administrators (consignment.manage): units in the queue now, units sold "
        "and goods sold today, rewards pending. First the current values, then an update each time one changes.",
        extensions=requires(PERMISSION),
    )
    async def admin_consignment_stats(self, info: Info) -> AsyncGenerator[LiveConsignmentStats, None]:
        guard = AdminGuard(viewer(info).id, info.context.session_id, PERMISSION)
        try:
            async for counters in live_counters(guard):
                yield LiveConsignmentStats.from_counters(counters)
        except SlowConsumer:
            raise ApiError(ErrorCode.SLOW_CONSUMER, "Too far behind; reconnect and refetch.") from None
