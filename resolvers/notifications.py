"""The signed-in user's inbox, and admin messages."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from resolvers.common import login_required, mutate, parse_id, query, requires, viewer
from schema.pagination import Connection, to_connection
from schema.types.notifications import MarkReadPayload, Notification, NotificationPayload
from services.accounts import notifications
from services.core.pagination import paginate


@strawberry.type
class NotificationQueries:
    @strawberry.field(description="Your notifications, newest first.", extensions=login_required())
    async def my_notifications(
        self, info: Info, unread_only: bool = False, first: int = 20, after: str | None = None
    ) -> Connection[Notification]:
        page = await query(paginate(notifications.inbox(viewer(info).id, unread_only), first, after))
        return to_connection(page, Notification.from_model)


@strawberry.type
class NotificationMutations:
    @strawberry.mutation(description="Mark some of your notifications read.", extensions=login_required())
    async def mark_notifications_read(self, info: Info, ids: list[strawberry.ID]) -> MarkReadPayload:
        async def run() -> dict:
            return {"marked": await notifications.mark_read(viewer(info).id, [parse_id(i, "ids") for i in ids])}

        return await mutate(MarkReadPayload, run)

    @strawberry.mutation(
        description="Send a message to a user's inbox (delivered live if they are connected).",
        extensions=requires("notification.send"),
    )
    async def send_notification(self, user_id: strawberry.ID, title: str, body: str = "") -> NotificationPayload:
        async def run() -> dict:
            note = await notifications.send_admin_message(parse_id(user_id, "userId"), title, body)
            return {"notification": Notification.from_model(note)}

        return await mutate(NotificationPayload, run)
