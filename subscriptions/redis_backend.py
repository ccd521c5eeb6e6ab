"""A broadcaster backend on redis.asyncio that survives Redis restarts without losing events.

Why not broadcaster's own RedisBackend: with redis-py 8 it subscribes but delivers
nothing, and after a Redis restart its listener dies for good (upstream #144, #121).
Here one reader task owns the pub/sub connection; on a connection error it retries every
RETRY_MIN..RETRY_MAX seconds (jittered, capped low: it is back within a fraction of a
second of Redis) and subscribes again to every channel that still has listeners.

Pub/sub alone loses what is published while a reader is away, so each message is
sequenced: one script increments the channel's counter, appends "<seq> <json>" to the
channel's capped log (HISTORY_LENGTH entries) and publishes it. A reader remembers the
last sequence it passed on per channel; after reconnecting, or on seeing a jump, it reads
the missing ones from the log. When the log no longer has them (a long outage, Redis lost
its data), or a publisher had to drop events it could not publish (it then publishes on
RESYNC_CHANNEL), the reader hands the hub a `resync` for the channel instead, and the
subscriptions re-read their state or tell the client to refetch.
"""

from __future__ import annotations

import asyncio
import logging
import random
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
# A publisher dropped events it could not publish: every reader resyncs every channel.
RESYNC_CHANNEL = "__socialmall_resync__"
_CONNECTION_ERRORS = (RedisConnectionError, RedisTimeoutError, OSError, ConnectionError)

RETRY_MIN = 0.05
RETRY_MAX = 0.25
HISTORY_LENGTH = 1000  # per channel: at 10 events/s a channel's last 100 s
HISTORY_TTL_SECONDS = 3600
SEQUENCE_TTL_SECONDS = 7 * 86400

# KEYS: sequence counter, log, channel; ARGV: message, log length, counter TTL, log TTL.
_PUBLISH_SCRIPT = """
local seq = redis.call('INCR', KEYS[1])
redis.call('EXPIRE', KEYS[1], ARGV[3])
local framed = seq .. ' ' .. ARGV[1]
redis.call('RPUSH', KEYS[2], framed)
redis.call('LTRIM', KEYS[2], -tonumber(ARGV[2]), -1)
redis.call('EXPIRE', KEYS[2], ARGV[4])
redis.call('PUBLISH', KEYS[3], framed)
return seq
"""


class ResyncEvent(Event):
    """Events on `channel` may have been lost: re-read the state, or tell the client."""

    resync = True

    def __init__(self, channel: str) -> None:
        super().__init__(channel, "")


def split_framed(data: str) -> tuple[int | None, str]:
    """("<seq> <json>") -> (seq, json); a bare JSON message (no sequence) -> (None, it)."""
    head, sep, rest = data.partition(" ")
    if sep and head.isdigit():
        return int(head), rest
    return None, data


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
    """`prefix` namespaces the channels (and the sequence keys) on Redis
    (settings.BROADCAST_CHANNEL_PREFIX): the app names them without it, Redis sees them with
    it, and a message on a channel outside the prefix never reaches the app."""

    def __init__(
        self,
        url: str,
        *,
        prefix: str = "",
        min_backoff: float = RETRY_MIN,
        max_backoff: float = RETRY_MAX,
        queue_size: int = 10_000,
        history_length: int = HISTORY_LENGTH,
    ) -> None:
        self._url = url
        self._prefix = prefix
        self._min_backoff = min_backoff
        self._max_backoff = max_backoff
        self._history_length = history_length
        self._channels: set[str] = set()
        # per channel: the last sequence passed on (None: none yet), and the counter read
        # just after subscribing (what a reconnect replays from when nothing came since)
        self._last: dict[str, int | None] = {RESYNC_CHANNEL: None}
        self._floor: dict[str, int] = {}
        # channels whose subscribe() is between its SUBSCRIBE and reading the floor: a
        # catch-up meanwhile leaves them be (they miss nothing) instead of resyncing them
        self._subscribing: set[str] = set()
        self._queue: asyncio.Queue[Event] = asyncio.Queue(maxsize=queue_size)
        self._publisher: aioredis.Redis | None = None
        self._script: Any = None
        self._pubsub: Any = None
        self._reader: asyncio.Task[None] | None = None
        self.connected = asyncio.Event()  # set while the reader holds a live subscription
        self.reconnects = 0
        self.replayed = 0  # events read back from the log after a reconnect or a jump
        self.resyncs = 0  # resync events handed on

    def _named(self, channel: str) -> str:
        return self._prefix + channel

    def _seq_key(self, channel: str) -> str:
        return f"{self._prefix}live-seq:{channel}"

    def _log_key(self, channel: str) -> str:
        return f"{self._prefix}live-log:{channel}"

    async def connect(self) -> None:
        self._publisher = redis_client(self._url)
        self._script = self._publisher.register_script(_PUBLISH_SCRIPT)
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
        self._last.setdefault(channel, None)
        if self.connected.is_set():
            self._subscribing.add(channel)
            try:
                await self._pubsub.subscribe(self._named(channel))
                # After SUBSCRIBE: whatever is published from here on arrives live.
                self._floor[channel] = int(await self._publisher.get(self._seq_key(channel)) or 0)
            except _CONNECTION_ERRORS:
                pass  # the reader reconnects, subscribes to every channel again and resyncs this one
            finally:
                self._subscribing.discard(channel)

    async def unsubscribe(self, channel: str) -> None:
        self._channels.discard(channel)
        self._last.pop(channel, None)
        self._floor.pop(channel, None)
        if self.connected.is_set():
            try:
                await self._pubsub.unsubscribe(self._named(channel))
            except _CONNECTION_ERRORS:
                pass

    async def publish(self, channel: str, message: Any) -> None:
        assert self._script is not None, "connect() first"
        await self._script(
            keys=[self._seq_key(channel), self._log_key(channel), self._named(channel)],
            args=[message, self._history_length, SEQUENCE_TTL_SECONDS, HISTORY_TTL_SECONDS],
        )

    async def announce_lost(self) -> None:
        """Tell every reader that this process dropped events it could not publish. Sequenced
        and logged like an event: a reader not yet back from the outage replays it."""
        await self.publish(RESYNC_CHANNEL, "lost")

    async def next_published(self) -> Event:
        return await self._queue.get()

    def _put(self, event: Event) -> None:
        if event.channel == RESYNC_CHANNEL:
            self._resync_all()
            return
        try:
            self._queue.put_nowait(event)
        except asyncio.QueueFull:
            log.error("broadcast queue full; dropping an event on %s", event.channel)

    def _resync(self, channel: str) -> None:
        if channel == RESYNC_CHANNEL:
            self._resync_all()
            return
        self.resyncs += 1
        self._put(ResyncEvent(channel))

    def _resync_all(self) -> None:
        for channel in list(self._channels):
            self._resync(channel)

    async def _replay(self, client: aioredis.Redis, channel: str, after: int, upto: int | None = None) -> None:
        """Pass on the channel's logged events after `after` (up to `upto`), or a resync
        when the log no longer holds the first of them."""
        entries = [split_framed(raw.decode()) for raw in await client.lrange(self._log_key(channel), 0, -1)]
        wanted = [
            (seq, msg) for seq, msg in entries if seq is not None and seq > after and (upto is None or seq <= upto)
        ]
        if not wanted or wanted[0][0] != after + 1:
            self._resync(channel)
        for seq, message in wanted:
            self._put(Event(channel=channel, message=message))
            self._last[channel] = seq
            self.replayed += 1

    async def _catch_up(self, client: aioredis.Redis, channels: set[str]) -> None:
        """After (re)subscribing: replay what each channel missed while the reader was away."""
        ordered = sorted(channels)
        async with client.pipeline(transaction=False) as pipe:
            for channel in ordered:
                pipe.get(self._seq_key(channel))
            current = [int(value or 0) for value in await pipe.execute()]
        for channel, now in zip(ordered, current, strict=True):
            if channel not in self._last:
                continue  # unsubscribed meanwhile
            last = self._last[channel]
            base = last if last is not None else self._floor.get(channel)
            if base is None and channel in self._subscribing:
                continue  # its subscribe() sets the floor once SUBSCRIBE is done
            if base is None or now < base:  # subscribed while Redis was away, or Redis lost its data
                self._resync(channel)
            elif now > base:
                await self._replay(client, channel, base, now)
            self._last[channel] = max(now, self._last[channel] or 0)

    async def _read_forever(self) -> None:
        backoff = self._min_backoff
        down_since: float | None = None
        while True:
            client = aioredis.Redis.from_url(self._url, health_check_interval=15)
            pubsub = client.pubsub(ignore_subscribe_messages=True)
            try:
                channels = set(self._channels)
                named = self._named
                await pubsub.subscribe(named(KEEPALIVE_CHANNEL), named(RESYNC_CHANNEL), *map(named, channels))
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
                if self._last[RESYNC_CHANNEL] is None:  # first connection: from now on
                    self._last[RESYNC_CHANNEL] = int(await client.get(self._seq_key(RESYNC_CHANNEL)) or 0)
                await self._catch_up(client, {*self._channels, RESYNC_CHANNEL})
                if down_since is not None:
                    log.warning(
                        "redis pub/sub back after %.2fs; replayed %d events, %d resyncs",
                        asyncio.get_running_loop().time() - down_since,
                        self.replayed,
                        self.resyncs,
                    )
                    down_since = None
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
                    await self._received(client, channel, message["data"].decode())
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # connection lost or Redis restarting
                if down_since is None:  # once per outage, not once per retry
                    down_since = asyncio.get_running_loop().time()
                    log.warning("redis pub/sub lost (%s); reconnecting", exc)
            finally:
                self.connected.clear()
                self._pubsub = None
                try:
                    await pubsub.aclose()
                    await client.aclose()
                except Exception:
                    pass
            self.reconnects += 1
            await asyncio.sleep(random.uniform(backoff / 2, backoff))
            backoff = min(backoff * 2, self._max_backoff)

    async def _received(self, client: aioredis.Redis, channel: str, data: str) -> None:
        seq, message = split_framed(data)
        if channel not in self._last:
            return  # unsubscribed while it was in flight
        last = self._last[channel]
        if seq is not None and last is not None:
            if seq <= last:
                return  # already passed on (replayed from the log)
            if seq > last + 1:  # a jump: the ones between were missed
                await self._replay(client, channel, last, seq - 1)
        self._put(Event(channel=channel, message=message))
        if seq is not None:
            self._last[channel] = seq
