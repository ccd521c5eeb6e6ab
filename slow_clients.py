"""Stalled WebSocket clients, found by what they have really not read.

A subscriber that stops reading (a frozen tab, a phone behind a dead link) leaves the
server's writes in the kernel's buffers (megabytes per socket) long before a send blocks,
so neither our queues nor uvicorn notice for tens of seconds. On graphql-transport-ws the
server can ask: after it has sent a client anything, it sends a `ping` every
STALL_PING_SECONDS, and a client that has not answered with `pong` within
STALL_TIMEOUT_SECONDS has not read what came before the ping either. That socket is closed
with 1013 ("try again later"), which graphql-ws clients retry on: the client reconnects,
resubscribes and refetches. A client that reads promptly answers within milliseconds however
many events it is sent, so it is never taken for a slow one. Idle sockets are not pinged
(uvicorn's WebSocket pings, --ws-ping-interval, keep those honest).

The legacy graphql-ws protocol has no client pong; its sockets rely on uvicorn's pings.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from weakref import WeakKeyDictionary

log = logging.getLogger(__name__)

STALL_PING_SECONDS = 2.0
STALL_TIMEOUT_SECONDS = 6.0  # with the ping interval and its 2 s ticks: closed 6-10 s after the client stalled
SLOW_CLIENT_CLOSE = 1013  # RFC 6455 "Try Again Later"; graphql-ws retries on it
SLOW_CLIENT_REASON = "slow consumer"


class StallWatch:
    """One per graphql-transport-ws socket; `sent()` after each message to the client,
    `ponged()` when the client's pong arrives, `stop()` when the socket ends.

    The watches of a process share one ticker task (per event loop and interval) instead of
    a sleeping task each: thousands of subscribed sockets cost a set entry apiece, and one
    wake-up per interval for all of them (bench/queue_subscribers.py)."""

    def __init__(
        self,
        send_ping: Callable[[], Awaitable[None]],
        close: Callable[[int, str], Awaitable[None]],
        *,
        ping_every: float = STALL_PING_SECONDS,
        timeout: float = STALL_TIMEOUT_SECONDS,
    ) -> None:
        self._send_ping, self._close = send_ping, close
        self.ping_every, self.timeout = ping_every, timeout
        self._sent = False  # something went out since the last ping
        self._asked_at: float | None = None  # when the unanswered ping went out
        self._ticker: _Ticker | None = None
        self.closed_as_slow = False

    def sent(self) -> None:
        self._sent = True
        if self._ticker is None and not self.closed_as_slow:
            self._ticker = _Ticker.of(self.ping_every)
            self._ticker.watches.add(self)

    def ponged(self) -> None:
        self._asked_at = None

    async def stop(self) -> None:
        if self._ticker is not None:
            self._ticker.watches.discard(self)
            self._ticker = None

    def _tick(self, loop: asyncio.AbstractEventLoop, now: float) -> None:
        if self._asked_at is not None:
            if now - self._asked_at >= self.timeout:
                self.closed_as_slow = True
                self._ticker.watches.discard(self)
                self._ticker = None
                log.info("closing a WebSocket whose client stopped reading (no pong in %.0f s)", self.timeout)
                # Not awaited here: with the client's buffers full, the close frame may wait.
                loop.create_task(self._close(SLOW_CLIENT_CLOSE, SLOW_CLIENT_REASON))
            return
        if self._sent:
            self._sent = False
            self._asked_at = now
            # A send to a stalled client may wait for buffer space: never hold up the others.
            loop.create_task(_quiet(self._send_ping()))


class _Ticker:
    """Ticks every `interval` for its watches while it has any; ends when the last one stops."""

    _running: WeakKeyDictionary[asyncio.AbstractEventLoop, dict[float, _Ticker]] = WeakKeyDictionary()

    def __init__(self, loop: asyncio.AbstractEventLoop, interval: float) -> None:
        self.loop, self.interval = loop, interval
        self.watches: set[StallWatch] = set()
        self.task = loop.create_task(self._run(), name="ws-stall-watch")

    @classmethod
    def of(cls, interval: float) -> _Ticker:
        loop = asyncio.get_running_loop()
        tickers = cls._running.setdefault(loop, {})
        ticker = tickers.get(interval)
        if ticker is None or ticker.task.done():
            ticker = tickers[interval] = cls(loop, interval)
        return ticker

    async def _run(self) -> None:
        try:
            while True:
                await asyncio.sleep(self.interval)
                if not self.watches:
                    return
                now = self.loop.time()
                for watch in list(self.watches):
                    try:
                        watch._tick(self.loop, now)
                    except Exception:  # one socket's trouble must not stop the watch of the others
                        log.exception("stall watch failed for a socket")
        finally:
            if self._running.get(self.loop, {}).get(self.interval) is self:
                del self._running[self.loop][self.interval]


async def _quiet(sending: Awaitable[None]) -> None:
    with contextlib.suppress(Exception):
        await sending
