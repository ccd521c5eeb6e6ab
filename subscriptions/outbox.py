"""Live events on their way out: a bounded in-process buffer drained by one background task.

A request that committed must not wait for the broadcaster: with Redis away, publishing
inside the request retried Redis for about half a second per event and logged a traceback
each time. Here `put` only appends; the drain task publishes in order, and while publishing
fails it keeps the events and retries every RETRY_MIN..RETRY_MAX seconds (with jitter), so
they go out within a fraction of a second of Redis coming back. The log says once that
publishing is failing and once that it recovered. A full buffer drops its oldest event
(counted in metrics); `on_lost` runs after a recovery that dropped any, so subscribers can
be told to resync.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
import random
from collections.abc import Awaitable, Callable

import metrics

log = logging.getLogger(__name__)

RETRY_MIN = 0.05
RETRY_MAX = 0.25


class Outbox:
    def __init__(
        self,
        publish: Callable[[str, str], Awaitable[None]],
        maxsize: int,
        *,
        on_lost: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        self._publish = publish
        self._on_lost = on_lost
        self.maxsize = max(maxsize, 1)
        self._items: collections.deque[tuple[str, str]] = collections.deque()
        self._ready = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self.failing = False
        self.dropped = 0  # since start
        self._lost = False  # dropped any since the last recovery

    def __len__(self) -> int:
        return len(self._items)

    async def put(self, channel: str, message: str) -> None:
        """The publisher for services.core.events.set_publisher: never waits."""
        self.put_nowait(channel, message)

    def put_nowait(self, channel: str, message: str) -> None:
        while len(self._items) >= self.maxsize:
            self._drop(self._items.popleft()[0])
        self._items.append((channel, message))
        self._ready.set()

    def _drop(self, channel: str) -> None:
        self.dropped += 1
        self._lost = True
        metrics.event_publish_dropped(channel)

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._drain(), name="live-event-outbox")

    async def stop(self, flush_timeout: float = 2.0) -> None:
        """Publish what is buffered (for at most `flush_timeout`), then stop."""
        if self._task is None:
            return
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(flush_timeout):
                while self._items and not self.failing and not self._task.done():
                    await asyncio.sleep(0.01)
        if self._items:
            log.warning("stopping with %d live events unpublished", len(self._items))
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        self._task = None

    async def _drain(self) -> None:
        delay = RETRY_MIN
        while True:
            if not self._items:
                self._ready.clear()
                await self._ready.wait()
                continue
            channel, message = self._items.popleft()
            try:
                await self._publish(channel, message)
            except asyncio.CancelledError:
                self._items.appendleft((channel, message))
                raise
            except Exception as exc:
                if len(self._items) < self.maxsize:
                    self._items.appendleft((channel, message))
                else:
                    self._drop(channel)
                if not self.failing:
                    self.failing = True
                    log.warning(
                        "publishing live events is failing (%s: %s); buffering up to %d and retrying",
                        type(exc).__name__,
                        exc,
                        self.maxsize,
                    )
                await asyncio.sleep(random.uniform(delay / 2, delay))
                delay = min(delay * 2, RETRY_MAX)
                continue
            delay = RETRY_MIN
            if self.failing:
                self.failing = False
                log.warning(
                    "publishing live events recovered; %d buffered to send, %d dropped in all",
                    len(self._items),
                    self.dropped,
                )
            if self._lost and self._on_lost is not None:
                self._lost = False
                try:
                    await self._on_lost()
                except Exception as exc:  # Redis went away again: try at the next success
                    self._lost = True
                    log.warning("could not announce lost live events (%s)", exc)
