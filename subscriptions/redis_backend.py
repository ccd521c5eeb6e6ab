"""A broadcaster backend on redis.asyncio that survives Redis restarts.

Why not broadcaster's own RedisBackend: with redis-py 8 it subscribes but delivers
nothing, and after a Redis restart its listener dies for good (upstream #144, #121).
Here one reader task owns the pub/sub connection; on any connection error it reconnects
with backoff and subscribes again to every channel that still has listeners. Messages
published while Redis is away are lost, as with any pub/sub: clients refetch on reconnect.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from broadcaster import BroadcastBackend, Event
from redis import asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

log = logging.getLogger(__name__)

# Always subscribed, so the pub/sub connection exists even before the first listener.
KEEPALIVE_CHANNEL = "__socialmall_keepalive__"
_CONNECTION_ERRORS = (RedisConnectionError, RedisTimeoutError, OSError, ConnectionError)


def redis_client(url: str) -> aioredis.Redis:
    """A client that retries a command on a fresh connection when a pooled socket is dead
    (after a Redis restart or an idle timeout), instead of failing that first command."""
    return aioredis.Redis.from_url(
        url,
        health_check_interval=15,
        socket_keepalive=True,
        retry=Retry(ExponentialBackoff(cap=0.2, base=0.05), 3),
        retry_on_error=[RedisConnectionError, RedisTimeoutError],
    )


class RedisPubSubBackend(BroadcastBackend):
    """`prefix` namespaces the channels on Redis (settings.BROADCAST_CHANNEL_PREFIX): the app
    names them without it, Redis sees them with it, and a message on a channel outside the
    prefix never reaches the app."""

    def __init__(
        self,
        url: str,
        *,
        prefix: str = "",
        min_backoff: float = 0.05,
        max_backoff: float = 2.0,
        queue_size: int = 10_000,
    ) -> None:
        self._url = url
        self._prefix = prefix
        self._min_backoff = min_backoff
        self._max_backoff = max_backoff
        self._channels: set[str] = set()
        self._queue: asyncio.Queue[Event] = asyncio.Queue(maxsize=queue_size)
        self._publisher: aioredis.Redis | None = None
        self._pubsub: Any = None
        self._reader: asyncio.Task[None] | None = None
        self.connected = asyncio.Event()  # set while the reader holds a live subscription
        self.reconnects = 0

    async def connect(self) -> None:
        self._publisher = redis_client(self._url)
        self._reader = asyncio.create_task(self._read_forever(), name="redis-pubsub-reader")

    async def disconnect(self) -> None:
        if self._reader is not None:
            self._reader.cancel()
            try:
                await self._reader
            except asyncio.CancelledError:
                pass
        if self._publisher is not None:
            await self._publisher.aclose()

    async def subscribe(self, channel: str) -> None:
        self._channels.add(channel)
        if self.connected.is_set():
            try:
                await self._pubsub.subscribe(self._prefix + channel)
            except _CONNECTION_ERRORS:
                pass  # the reader reconnects and subscribes to every channel again

    async def unsubscribe(self, channel: str) -> None:
        self._channels.discard(channel)
        if self.connected.is_set():
            try:
                await self._pubsub.unsubscribe(self._prefix + channel)
            except _CONNECTION_ERRORS:
                pass

    async def publish(self, channel: str, message: Any) -> None:
        assert self._publisher is not None, "connect() first"
        await self._publisher.publish(self._prefix + channel, message)

    def _named(self, channel: str) -> str:
        return self._prefix + channel

    async def next_published(self) -> Event:
        return await self._queue.get()

    async def _read_forever(self) -> None:
        backoff = self._min_backoff
        while True:
            client = aioredis.Redis.from_url(self._url, health_check_interval=15)
            pubsub = client.pubsub(ignore_subscribe_messages=True)
            try:
                channels = set(self._channels)
                named = self._named
                await pubsub.subscribe(named(KEEPALIVE_CHANNEL), *map(named, channels))
                self._pubsub = pubsub
                self.connected.set()
                backoff = self._min_backoff
                # subscribe()/unsubscribe() calls made while that SUBSCRIBE was in flight
                # saw no connection and only updated self._channels: catch up, or those
                # listeners would hear nothing until the next reconnect.
                if missed := self._channels - channels:
                    await pubsub.subscribe(*map(named, missed))
                if gone := channels - self._channels:
                    await pubsub.unsubscribe(*map(named, gone))
                while True:
                    message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=1.0)
                    if message is None or message.get("type") != "message":
                        continue
                    channel = message["channel"].decode()
                    if not channel.startswith(self._prefix):
                        continue
                    channel = channel[len(self._prefix) :]
                    if channel == KEEPALIVE_CHANNEL:
                        continue
                    event = Event(channel=channel, message=message["data"].decode())
                    try:
                        self._queue.put_nowait(event)
                    except asyncio.QueueFull:
                        log.error("broadcast queue full; dropping an event on %s", channel)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # connection lost or Redis restarting
                log.warning("redis pub/sub lost (%s); reconnecting in %.2fs", exc, backoff)
            finally:
                self.connected.clear()
                self._pubsub = None
                try:
                    await pubsub.aclose()
                    await client.aclose()
                except Exception:
                    pass
            self.reconnects += 1
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, self._max_backoff)
