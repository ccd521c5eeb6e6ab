"""`myNotifications`: the signed-in user's notifications, live.

A user's channel carries several events a second at peak (bench/live_event_rate.py: 500/s),
so the stream is also served by the compiled projection (schema/fast_paths/subscriptions.py)
and builds each notification from its event: no database read and no GraphQL execution
per event and subscriber."""

from __future__ import annotations

from collections.abc import AsyncGenerator

import strawberry
from strawberry.types import Info

from resolvers.common import login_required, viewer
from schema.errors import ApiError
from schema.types.notifications import Notification
from services.accounts import notifications
from services.accounts.events import NotificationSent
from services.core.errors import ErrorCode
from services.core.events import user_channel
from subscriptions.hub import RESYNC, SlowConsumer, listen, resync_message
from subscriptions.sessions import OwnSession
from subscriptions.shared_loads import shared_load


@strawberry.type
class NotificationSubscriptions:
    @strawberry.subscription(
        description="Each new notification of the signed-in user as it is sent. Only the owner can open it.",
        extensions=login_required(),
    )
    async def my_notifications(self, info: Info) -> AsyncGenerator[Notification, None]:
        async for item in _watch(viewer(info).id, OwnSession(info.context.session_id)):
            yield item


def fast_my_notifications(context, arguments: dict) -> AsyncGenerator[Notification | ApiError, None] | None:
    """myNotifications for the fast path. None (nobody signed in) leaves the request to the
    resolver above, which reports the error."""
    if context.viewer is None:
        return None
    return _watch(context.viewer.id, OwnSession(context.session_id))


async def _watch(user_id: int, session: OwnSession) -> AsyncGenerator[Notification | ApiError, None]:
    try:
        async for event in listen(user_channel(user_id)):
            if event is RESYNC:  # events may have been missed: the client refetches
                yield resync_message()
                continue
            if not await session.passes(event) or not isinstance(event, NotificationSent):
                continue
            if event.complete:  # the event carries the notification
                if event.user_id == user_id:
                    yield Notification.from_event(event)
                continue
            note = await shared_load(event, "notification", lambda e=event: notifications.get(e.id))
            if note is not None and note.user_id == user_id:  # an id-only event: read once per process
                yield Notification.from_model(note)
    except SlowConsumer:
        raise ApiError(ErrorCode.SLOW_CONSUMER, "Too far behind; reconnect and refetch.") from None
