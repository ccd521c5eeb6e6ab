"""Events collected inside a unit of work and published only after it commits.

Services call `emit(channel, payload)` inside `unit_of_work()`. If the transaction rolls
back, the events are dropped: subscribers never hear about what did not happen. The
publisher itself (broadcaster) is plugged in by the app at start-up with `set_publisher`.
"""

from __future__ import annotations

import contextvars
import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

from tortoise.transactions import in_transaction

log = logging.getLogger(__name__)

Publisher = Callable[[str, str], Awaitable[None]]

_publisher: Publisher | None = None
_pending: contextvars.ContextVar[list[tuple[str, str]] | None] = contextvars.ContextVar("pending_events", default=None)


def set_publisher(publisher: Publisher | None) -> None:
    global _publisher
    _publisher = publisher


def user_channel(user_id: int) -> str:
    return f"user:{user_id}"


def merchant_channel(merchant_id: int) -> str:
    """Live events for a merchant's back-office (low stock, new orders)."""
    return f"merchant:{merchant_id}"


def admin_channel() -> str:
    return "admin"


def emit(channel: str, payload: dict[str, Any]) -> None:
    """Queue an event for after the surrounding unit of work commits."""
    pending = _pending.get()
    message = json.dumps(payload, separators=(",", ":"))
    if pending is None:
        raise RuntimeError("emit() outside unit_of_work(): events must follow a commit")
    pending.append((channel, message))


async def publish_now(channel: str, message: str) -> None:
    if _publisher is None:
        return
    try:
        await _publisher(channel, message)
    except Exception:  # a lost live event must never fail the request that caused it
        log.exception("publishing to %s failed", channel)


@asynccontextmanager
async def unit_of_work() -> AsyncIterator[Any]:
    """One database transaction whose events are published after it commits.

    A nested unit is a savepoint: its events join the enclosing unit only if it succeeds,
    and go out when the outermost unit commits.
    """
    outer = _pending.get()
    pending: list[tuple[str, str]] = []
    token = _pending.set(pending)
    try:
        async with in_transaction() as conn:
            yield conn
    finally:
        _pending.reset(token)
    if outer is not None:
        outer.extend(pending)
        return
    for channel, message in pending:
        await publish_now(channel, message)
