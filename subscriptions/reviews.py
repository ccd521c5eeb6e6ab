"""Live admin review counts (RT-2: admins' pending review counts).

The counts are read when the subscription starts; afterwards a REVIEW_QUEUE_CHANGED event
on the admin channel (sent after the commit that added or decided an item) makes it
re-count the queues named by the events that arrived together (a burst of decisions costs
one count per queue, not one per event). Counting is one indexed COUNT per queue; admins
are few, so this is cheaper and exact compared with keeping deltas.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator

import strawberry
from broadcaster import Event
from strawberry.types import Info

from resolvers.common import login_required, viewer
from schema.errors import ApiError
from schema.types.reviews import ReviewCounts
from services.accounts import access, review_queues
from services.accounts.events import ReviewQueueChanged
from services.core.errors import ErrorCode
from services.core.events import admin_channel
from subscriptions.hub import RESYNC, SlowConsumer, event_data, get_broadcast
from subscriptions.sessions import AdminGuard
from subscriptions.shared_loads import shared_load


@strawberry.type
class ReviewSubscriptions:
    @strawberry.subscription(
        description="My review queues' pending counts: first the current counts, then new ones each time an item is "
        "added to or decided in one of them (FORBIDDEN when I may work no queue).",
        extensions=login_required(),
    )
    async def admin_review_counts(self, info: Info) -> AsyncGenerator[ReviewCounts, None]:
        user_id = viewer(info).id
        queues = review_queues.visible(await access.load_grants(user_id))
        if not queues:
            raise ApiError(ErrorCode.FORBIDDEN, "You may work no review queue.")
        guard = AdminGuard(user_id, info.context.session_id, *{q.permission for q in queues})
        names = {q.name for q in queues}
        try:
            # Subscribe first, then count: a change committed after the count is not lost.
            async with get_broadcast().subscribe(admin_channel()) as subscriber:
                counts = await review_queues.counts(queues)
                yield ReviewCounts.build(queues, counts)
                async for raw in subscriber:
                    due = _queues_named(raw, names)
                    while subscriber.backlog():  # coalesce what arrived together
                        raw = await anext(subscriber)
                        due |= _queues_named(raw, names)
                    if not due:
                        continue
                    await guard.check()
                    # One count per event and queue set for all the process's admins watching
                    recount = [q for q in queues if q.name in due]
                    fresh = {
                        **counts,
                        **await shared_load(raw, frozenset(due), lambda r=recount: review_queues.counts(r)),
                    }
                    if fresh != counts:
                        counts = fresh
                        yield ReviewCounts.build(queues, counts)
        except SlowConsumer:
            raise ApiError(ErrorCode.SLOW_CONSUMER, "Too far behind; reconnect and refetch.") from None


def _queues_named(raw: Event, names: set[str]) -> set[str]:
    event = event_data(raw)
    if event is RESYNC:  # changes may have been missed: count every queue again
        return names
    if not isinstance(event, ReviewQueueChanged):
        return set()
    return names if event.queue is None else ({event.queue} & names)
