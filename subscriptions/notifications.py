"""`myNotifications`: the signed-in user's notifications, live."""

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
        user_id, session = viewer(info).id, OwnSession(info.context.session_id)
        try:
            async for event in listen(user_channel(user_id)):
                if event is RESYNC:  # events may have been missed: the client refetches
                    yield resync_message()
                    continue
                if not await session.passes(event) or not isinstance(event, NotificationSent):
                    continue
                note = await shared_load(event, "notification", lambda e=event: notifications.get(e.id))
                if note is not None and note.user_id == user_id:
                    yield Notification.from_model(note)
        except SlowConsumer:
            raise ApiError(ErrorCode.SLOW_CONSUMER, "Too far behind; reconnect and refetch.") from None
