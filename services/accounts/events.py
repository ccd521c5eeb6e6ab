"""Live events of accounts: a user's notifications (`user:{id}`) and the admin review
queues (`admin`)."""

from __future__ import annotations

from dataclasses import dataclass

from services.core.events import Id, LiveEvent


@dataclass(frozen=True)
class NotificationSent(LiveEvent):
    """A notification (its id) was sent to the channel's user."""

    type = "notification"
    id: int


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
