"""Live events of memberships, on the member's channel (`user:{id}`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from services.core.events import LiveEvent


@dataclass(frozen=True)
class MembershipChanged(LiveEvent):
    """The user's membership now runs until `expires_at` (extended or shortened)."""

    type = "membership_changed"
    expires_at: datetime
