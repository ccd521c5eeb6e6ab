"""The process's broadcaster, with bounded per-subscriber buffers.

broadcaster's own `Broadcast` gives every subscriber an unbounded queue, so one slow
WebSocket client could grow memory without limit. Here each subscriber gets a bounded
queue; when it overflows the subscriber is dropped (its subscription ends with
SLOW_CONSUMER; the client reconnects and refetches).
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import urlparse

from broadcaster import Broadcast, Event

import metrics
import settings
from schema.errors import ApiError
from services.core.errors import ErrorCode
from services.core.events import LiveEvent, decode
from subscriptions.outbox import Outbox

log = logging.getLogger(__name__)


_UNDECODED = object()


class SharedEvent(Event):
    """An event as every subscriber of its channel receives it: its JSON is decoded once,
    not once per subscriber (thousands may watch one queue)."""

    __slots__ = ("_decoded",)

    def __init__(self, channel: str, message: str) -> None:
        super().__init__(channel, message)
        self._decoded: Any = _UNDECODED


class Resync:
    """Not an event: events of this channel may have been lost (Redis was away too long, or
    a publisher had to drop some). Stateful subscriptions re-read their state; event streams
    send the client one RESYNC error message (`resync_message`) so it refetches."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "RESYNC"


RESYNC = Resync()


def resync_message() -> ApiError:
    """Yielded by an event stream (not raised): the client gets one message whose errors carry
    code RESYNC, and the stream goes on."""
    return ApiError(ErrorCode.RESYNC, "Live events may have been missed; refetch what this stream shows.")


def event_data(event: Event) -> LiveEvent | Resync | None:
    """The typed live event the message carries (decoded once, for a SharedEvent; frozen,
    so sharing it is safe). None for a type this process does not know: ignore it.
    RESYNC when the backend says events on the channel may have been lost."""
    if getattr(event, "resync", False):
        return RESYNC
    if not isinstance(event, SharedEvent):
        return decode(event.message)
    if event._decoded is _UNDECODED:
        event._decoded = decode(event.message)
    return event._decoded


class SlowConsumer(Exception):
    """The subscriber fell too far behind and was dropped."""


class _BoundedQueue:
    """A subscriber's buffer: one deque and, while its reader waits, one future. (An
    asyncio.Queue carries four deques and an Event, ~2.5 KiB, for each of the thousands of
    subscribers a process holds: bench/queue_subscribers.py.) Overflowing sets `overflowed`."""

    __slots__ = ("_items", "_maxsize", "_waiter", "overflowed")

    def __init__(self, maxsize: int) -> None:
        self._items: deque[Event] = deque()
        self._maxsize = maxsize
        self._waiter: asyncio.Future[None] | None = None
        self.overflowed = False

    def qsize(self) -> int:
        return len(self._items)

    def put_nowait(self, item: Event) -> None:
        if len(self._items) >= self._maxsize:
            raise asyncio.QueueFull
        self._items.append(item)
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    async def get(self) -> Event:
        while not self._items:
            self._waiter = asyncio.get_running_loop().create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None
        return self._items.popleft()


class BoundedSubscriber:
    def __init__(self, queue: _BoundedQueue) -> None:
        self._queue = queue

    def __aiter__(self) -> BoundedSubscriber:
        return self

    async def __anext__(self) -> Event:
        if self._queue.overflowed:
            raise SlowConsumer()
        return await self._queue.get()

    def backlog(self) -> int:
        """Events received and not yet read."""
        return self._queue.qsize()


class BoundedBroadcast(Broadcast):
    def __init__(self, url: str | None = None, *, backend: Any = None, queue_size: int = 100) -> None:
        super().__init__(url, backend=backend)
        self.queue_size = queue_size

    async def _listener(self) -> None:
        while True:
            try:
                published = await self._backend.next_published()
                resync = getattr(published, "resync", False)
                event = published if resync else SharedEvent(published.channel, published.message)
            except asyncio.CancelledError:
                raise
            except Exception:  # a backend hiccup must not end delivery for the process
                log.exception("broadcast backend failed; continuing")
                await asyncio.sleep(0.1)
                continue
            delivered = dropped = 0
            for queue in list(self._subscribers.get(event.channel, ())):
                if queue.overflowed:
                    dropped += 1
                    continue
                try:
                    queue.put_nowait(event)
                    delivered += 1
                except asyncio.QueueFull:
                    # Not blocked in get() (its queue is full): it sees the flag next read.
                    queue.overflowed = True
                    dropped += 1
            metrics.event_fanned_out(event.channel, delivered, dropped)

    async def publish(self, channel: str, message: Any) -> None:
        await super().publish(channel, message)
        metrics.event_published(channel)

    @asynccontextmanager
    async def subscribe(self, channel: str) -> AsyncIterator[BoundedSubscriber]:
        queue = _BoundedQueue(maxsize=self.queue_size)
        try:
            if not self._subscribers.get(channel):
                self._subscribers[channel] = {queue}
                await self._backend.subscribe(channel)
            else:
                self._subscribers[channel].add(queue)
            yield BoundedSubscriber(queue)
        finally:
            subscribers = self._subscribers.get(channel, set())
            subscribers.discard(queue)
            if not subscribers:
                self._subscribers.pop(channel, None)
                await self._backend.unsubscribe(channel)

    def subscriber_count(self, channel: str) -> int:
        return len(self._subscribers.get(channel, ()))


def create_broadcast(url: str, queue_size: int, channel_prefix: str | None = None) -> BoundedBroadcast:
    """channel_prefix: settings.BROADCAST_CHANNEL_PREFIX unless given (Redis only)."""
    if urlparse(url).scheme in ("redis", "rediss"):
        from subscriptions.redis_backend import RedisPubSubBackend

        prefix = settings.BROADCAST_CHANNEL_PREFIX if channel_prefix is None else channel_prefix
        return BoundedBroadcast(backend=RedisPubSubBackend(url, prefix=prefix), queue_size=queue_size)
    return BoundedBroadcast(url, queue_size=queue_size)


def create_outbox(broadcast: BoundedBroadcast, maxsize: int | None = None) -> Outbox:
    """The process's publisher of live events (services.core.events.set_publisher(outbox.put))."""
    on_lost = getattr(broadcast._backend, "announce_lost", None)  # subscribers resync after a drop
    return Outbox(broadcast.publish, settings.EVENT_OUTBOX_SIZE if maxsize is None else maxsize, on_lost=on_lost)


_broadcast: BoundedBroadcast | None = None


def set_broadcast(broadcast: BoundedBroadcast | None) -> None:
    global _broadcast
    _broadcast = broadcast


def get_broadcast() -> BoundedBroadcast:
    if _broadcast is None:
        raise RuntimeError("the broadcaster is not running (app lifespan not started)")
    return _broadcast


async def publish(channel: str, message: str) -> None:
    await get_broadcast().publish(channel, message)


async def listen(channel: str) -> AsyncIterator[LiveEvent | Resync]:
    """Yield the live events published on `channel` (ids only; load fresh data from them),
    skipping those of types this process does not know; RESYNC when some may have been lost."""
    async with get_broadcast().subscribe(channel) as subscriber:
        async for raw in subscriber:
            event = event_data(raw)
            if event is not None:
                yield event
