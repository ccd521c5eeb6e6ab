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

log = logging.getLogger(__name__)

STALL_PING_SECONDS = 2.0
STALL_TIMEOUT_SECONDS = 6.0  # with the ping interval and its 2 s ticks: closed 6-10 s after the client stalled
SLOW_CLIENT_CLOSE = 1013  # RFC 6455 "Try Again Later"; graphql-ws retries on it
SLOW_CLIENT_REASON = "slow consumer"


class StallWatch:
    """One per graphql-transport-ws socket; `sent()` after each message to the client,
    `ponged()` when the client's pong arrives, `stop()` when the socket ends."""

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
        self._task: asyncio.Task[None] | None = None
        self.closed_as_slow = False

    def sent(self) -> None:
        self._sent = True
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._watch(), name="ws-stall-watch")

    def ponged(self) -> None:
        self._asked_at = None

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _watch(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            await asyncio.sleep(self.ping_every)
            if self._asked_at is not None:
                if loop.time() - self._asked_at >= self.timeout:
                    self.closed_as_slow = True
                    log.info("closing a WebSocket whose client stopped reading (no pong in %.0f s)", self.timeout)
                    # Not awaited here: with the client's buffers full, the close frame may wait.
                    loop.create_task(self._close(SLOW_CLIENT_CLOSE, SLOW_CLIENT_REASON))
                    return
                continue
            if self._sent:
                self._sent = False
                self._asked_at = loop.time()
                # A send to a stalled client may wait for buffer space: never hold up the watch.
                loop.create_task(self._quiet(self._send_ping()))

    @staticmethod
    async def _quiet(sending: Awaitable[None]) -> None:
        with contextlib.suppress(Exception):
            await sending
