"""Live events of accounts: a user's notifications (`user:{id}`) and the admin review
queues (`admin`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from services.core.events import Id, LiveEvent


@dataclass(frozen=True)
class NotificationSent(LiveEvent):
    """A notification was sent to the channel's user. It carries the whole notification, so
    subscribers build what they send from the event with no database read (a notification is
    never changed after it is sent, except marked read, which a new one never is). An event
    with the id alone (from a process of an older release) is read from the database."""

    type = "notification"
    id: int
    user_id: int | None = None
    kind: str | None = None
    title: str | None = None
    body: str | None = None
    data: dict | None = None
    created_at: datetime | None = None

    @property
    def complete(self) -> bool:
        return self.title is not None and self.created_at is not None


@dataclass(frozen=True)
class ReviewQueueChanged(LiveEvent):
    """The size of a review queue changed (`queue` None: any queue may have). Risk cases
    also say which case and its status."""

    type = "REVIEW_QUEUE_CHANGED"
    queue: str | None = None
    case_id: Id | None = None
    status: str | None = None


@dataclass(frozen=True)
class SessionsRevoked(LiveEvent):
    """Sessions of the channel's user were signed out: one (`session_id`) or all of them
    (`session_id` empty). Their open subscriptions end at once with TOKEN_REVOKED, with no
    session query per event."""

    type = "sessionsRevoked"
    session_id: str = ""
