"""The signed-in user's inbox, and admin messages."""

from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry.types import Info

from resolvers.common import USER_IDS, api_errors, login_required, parse_id, payload_errors, requires, viewer
from schema.pagination import Connection, to_connection
from schema.types.notifications import MarkReadPayload, Notification, NotificationPayload
from services.accounts import notifications
from services.core.pagination import paginate


@strawberry.type
class NotificationQueries:
    @strawberry.field(description="Your notifications, newest first.", extensions=login_required())
    @api_errors
    async def my_notifications(
        self,
        info: Info,
        unread_only: Annotated[bool, strawberry.argument(description="Only notifications not yet read.")] = False,
        first: Annotated[int, strawberry.argument(description="Page size.")] = 20,
        after: Annotated[
            str | None, strawberry.argument(description="Cursor from the previous page (`pageInfo.endCursor`).")
        ] = None,
    ) -> Connection[Notification]:
        page = await paginate(notifications.inbox(viewer(info).id, unread_only), first, after)
        return to_connection(page, Notification.from_model)


@strawberry.type
class NotificationMutations:
    @strawberry.mutation(description="Mark some of your notifications read.", extensions=login_required())
    @payload_errors
    async def mark_notifications_read(
        self,
        info: Info,
        ids: Annotated[
            list[strawberry.ID],
            strawberry.argument(description="The notifications to mark read (others' ids are ignored)."),
        ],
    ) -> MarkReadPayload:
        return MarkReadPayload(
            marked=await notifications.mark_read(viewer(info).id, [parse_id(i, "ids", of="Notification") for i in ids])
        )

    @strawberry.mutation(
        description="Send a message to a user's inbox (delivered live if they are connected).",
        extensions=requires("notification.send"),
    )
    @payload_errors
    async def send_notification(
        self,
        user_id: Annotated[strawberry.ID, strawberry.argument(description="The recipient.")],
        title: Annotated[str, strawberry.argument(description="Title shown in the list.")],
        body: Annotated[str, strawberry.argument(description="Text of the notification.")] = "",
    ) -> NotificationPayload:
        note = await notifications.send_admin_message(parse_id(user_id, "userId", of=USER_IDS), title, body)
        return NotificationPayload(notification=Notification.from_model(note))
