"""Inbox notifications."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry.scalars import JSON

from models import notifications as m
from schema.errors import UserError
from schema.node import Node, node_id
from services.accounts.events import NotificationSent


@strawberry.type(description="A message in the user's inbox, also pushed live by the `myNotifications` subscription.")
class Notification(Node):
    pk: strawberry.Private[int]
    id: strawberry.ID = node_id("Notification", "pk", description="Notification id.")
    kind: str = strawberry.field(description="NEW_TEAM_MEMBER, ADMIN_MESSAGE, ... (more kinds arrive with features).")
    title: str = strawberry.field(description="Short title.")
    body: str = strawberry.field(description="Text of the message.")
    data: JSON = strawberry.field(description='Ids the client can follow, e.g. {"userId": "12"}.')
    read: bool = strawberry.field(description="Whether the user has marked it read.")
    created_at: datetime = strawberry.field(description="When it was sent.")

    @classmethod
    def from_model(cls, n: m.Notification) -> Notification:
        return cls(
            pk=n.id,
            kind=n.kind,
            title=n.title,
            body=n.body,
            data=n.data,
            read=n.read_at is not None,
            created_at=n.created_at,
        )

    @classmethod
    def from_event(cls, e: NotificationSent) -> Notification:
        """From the live event that carries it (just sent: never read yet)."""
        return cls(pk=e.id, kind=e.kind, title=e.title, body=e.body, data=e.data, read=False, created_at=e.created_at)


@strawberry.type(description="Outcome of sendNotification.")
class NotificationPayload:
    notification: Notification | None = strawberry.field(default=None, description="What was sent.")
    errors: list[UserError] = strawberry.field(default_factory=list, description="Why it failed; empty on success.")


@strawberry.type(description="Outcome of markNotificationsRead.")
class MarkReadPayload:
    marked: int = strawberry.field(default=0, description="How many unread notifications of yours were marked.")
    errors: list[UserError] = strawberry.field(default_factory=list, description="Why it failed; empty on success.")
