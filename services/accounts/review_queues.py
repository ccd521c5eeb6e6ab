"""The admin review queues (merchant applications, withdrawals, risk cases, distributor
applications …) as one registry, so a live counter can show every pending count.

A feature declares its queue (name, the permission that may see and work it, a count
function), `wiring.py` registers it, and the feature calls `changed(name)` inside the unit of work that adds or removes an item:
the event goes out on the admin channel only if that commits.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from services.accounts.access import Grants
from services.accounts.events import ReviewQueueChanged
from services.core.events import admin_channel, emit


@dataclass(frozen=True)
class ReviewQueue:
    name: str  # stable id shown to clients, e.g. WITHDRAWALS
    permission: str  # who may see the count
    description: str
    count: Callable[[], Awaitable[int]]  # items awaiting a decision now


QUEUES: dict[str, ReviewQueue] = {}


def register(queue: ReviewQueue) -> None:
    if queue.name in QUEUES:
        raise ValueError(f"review queue {queue.name!r} is already registered")
    QUEUES[queue.name] = queue


def changed(name: str) -> None:
    """Announce, after the surrounding unit of work commits, that a queue's size changed."""
    emit(admin_channel(), ReviewQueueChanged(name))


def visible(grants: Grants) -> list[ReviewQueue]:
    return [q for q in QUEUES.values() if grants.has(q.permission)]


async def counts(queues: list[ReviewQueue]) -> dict[str, int]:
    return {q.name: await q.count() for q in queues}
