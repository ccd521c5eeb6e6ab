"""In-app notifications: stored for the inbox, announced live on the user's channel."""

from __future__ import annotations

from typing import Any

from models.accounts import User
from models.notifications import Notification
from services.accounts.events import NotificationSent
from services.core import clock
from services.core.errors import DomainError, ErrorCode
from services.core.events import emit, unit_of_work, user_channel


async def notify(
    user_id: int, *, kind: str, title: str, body: str = "", data: dict[str, Any] | None = None
) -> Notification:
    async with unit_of_work():
        note = await Notification.create(
            user_id=user_id, kind=kind, title=title[:128], body=body[:1024], data=data or {}
        )
        emit(user_channel(user_id), sent_event(note))
    return note


def sent_event(note: Notification) -> NotificationSent:
    """The live event of a notification just stored: the whole notification."""
    return NotificationSent(
        note.id,
        user_id=note.user_id,
        kind=note.kind,
        title=note.title,
        body=note.body,
        data=note.data,
        created_at=note.created_at,
    )


async def send_admin_message(user_id: int, title: str, body: str) -> Notification:
    title = title.strip()
    if not title or len(title) > 128:
        raise DomainError(ErrorCode.INVALID_INPUT, "A title of 1 to 128 characters is required.", "title")
    if len(body) > 1024:
        raise DomainError(ErrorCode.INVALID_INPUT, "The body is at most 1024 characters.", "body")
    if not await User.exists(id=user_id):
        raise DomainError(ErrorCode.NOT_FOUND, "No such user.", "userId")
    return await notify(user_id, kind="ADMIN_MESSAGE", title=title, body=body)


async def get(notification_id: int) -> Notification | None:
    """By id alone, for a live event shared by every subscriber of the user's channel (each
    checks `user_id` itself)."""
    return await Notification.get_or_none(id=notification_id)


MAX_MARK_READ = 500  # ids per call: a client marks a page it showed, never the whole inbox by id


async def mark_read(user_id: int, notification_ids: list[int]) -> int:
    """Marks the caller's own notifications read; ids of others are silently not theirs."""
    if len(notification_ids) > MAX_MARK_READ:
        raise DomainError(ErrorCode.INVALID_INPUT, f"At most {MAX_MARK_READ} ids at a time.", "ids")
    return await Notification.filter(user_id=user_id, id__in=notification_ids, read_at=None).update(read_at=clock.now())


def inbox(user_id: int, unread_only: bool = False):
    query = Notification.filter(user_id=user_id)
    return query.filter(read_at=None) if unread_only else query
