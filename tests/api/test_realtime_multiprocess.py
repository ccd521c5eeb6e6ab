"""Live notifications across processes: two uvicorn servers, one PostgreSQL, one Redis.

A client subscribed over WebSocket to server 1 (graphql-transport-ws and the legacy
graphql-ws) hears, within a second, what a mutation sent over HTTP to server 2 caused.
The open subscription keeps working after Redis drops every connection (CLIENT KILL) and
after Redis restarts (only the local 127.0.0.1:6379 one, and only when it holds no data).
A subscription needs a token, and each user hears only their own events. One in-process
test pins a race of the Redis backend's reconnection.
Runs only with DATABASE_URL=postgres://... and REDIS_URL=redis://... set.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import shutil
import socket
import subprocess
import time
import uuid
from urllib.parse import urlparse

import pytest
import pytest_asyncio

import settings
from tests.conftest import requires_postgres, requires_redis
from tests.helpers import gid, make_user, token_for
from tests.servers import Server, Servers, WsClient, redis, running_servers, wait_numsub, ws_client  # noqa: F401 (redis: fixture)

pytestmark = [requires_postgres, requires_redis]

SEND = """mutation($u: ID!, $t: String!) {
  sendNotification(userId: $u, title: $t, body: "hello") { notification { id kind title } errors { code field } }
}"""
SUBSCRIBE = "subscription { myNotifications { id kind title } }"
MAX_LATENCY = 1.0  # seconds, from sending the mutation to receiving the event
TITLES = itertools.count(1)

# Latencies measured in this module, printed at the end (visible with -s or on failure).
LATENCIES: dict[str, list[float]] = {}


# --- servers (tests/servers.py) -------------------------------------------------------


class NotificationServers(Servers):
    async def send(self, server: Server, token: str, user_id: int, title: str) -> dict:
        body = await self.graphql(server, SEND, {"u": gid("User", user_id), "t": title}, token)
        assert not body.get("errors"), body
        payload = body["data"]["sendNotification"]
        assert payload["errors"] == [], payload
        return payload["notification"]


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def servers(database):
    try:
        async with running_servers("server", cls=NotificationServers) as started:
            yield started
    finally:
        if LATENCIES:
            print("\nlatencies (s):", {k: [round(v, 4) for v in vs] for k, vs in LATENCIES.items()})


@pytest_asyncio.fixture(loop_scope="session", autouse=True)
async def print_server_logs_on_failure(request, servers):
    failed_before = request.session.testsfailed
    yield
    if request.session.testsfailed > failed_before:
        print(servers.logs())  # shown by pytest as "Captured stdout teardown"


async def wait_subscribed(redis, user_id: int, timeout: float = 10.0) -> None:
    """Until a server listens on the user's channel: the subscription is live, so an
    event published from now on reaches it (no server subscribes to it otherwise)."""
    await wait_numsub(redis, f"user:{user_id}", 1, timeout)


# --- tests ---------------------------------------------------------------------------


async def _users(*names: str) -> tuple[str, list[tuple[int, str]]]:
    """An admin's token, and (id, token) of a plain user per name (in the shared database)."""
    admin = await make_user("admin", roles=("admin",))
    users = []
    for name in names:
        user = await make_user(name)
        users.append((user.id, await token_for(user)))
    return await token_for(admin), users


async def _measure(
    servers: Servers, client: WsClient, admin_token: str, user_id: int, label: str, rounds: int = 3
) -> list[float]:
    """Mutations over HTTP on server 2, each event awaited on `client`: all under a second."""
    latencies = []
    for _ in range(rounds):
        title = f"{label} #{next(TITLES)}"
        started = time.perf_counter()
        sent = await servers.send(servers.two, admin_token, user_id, title)
        at, note = await client.next_notification(MAX_LATENCY)
        latencies.append(at - started)
        assert note == {"id": sent["id"], "kind": "ADMIN_MESSAGE", "title": title}
    LATENCIES.setdefault(label, []).extend(latencies)
    assert max(latencies) < MAX_LATENCY, latencies
    return latencies


async def _until_delivered(
    servers: Servers, client: WsClient, admin_token: str, user_id: int, label: str, since: float, timeout: float = 10.0
) -> None:
    """Send a notification every ~0.5 s until the subscription hears one (reconnection)."""
    deadline = since + timeout
    while time.perf_counter() < deadline:
        await servers.send(servers.two, admin_token, user_id, f"{label} #{next(TITLES)}")
        with contextlib.suppress(TimeoutError):
            at, note = await client.next_notification(0.5)
            # Events published while a server was resubscribing are lost (pub/sub), but
            # what arrives is one of these notifications of this user.
            assert note["kind"] == "ADMIN_MESSAGE" and note["title"].startswith(f"{label} #"), note
            LATENCIES.setdefault(f"{label}: first event after", []).append(at - since)
            # Stragglers of the retry loop, if a later publish overtook an earlier one.
            with contextlib.suppress(TimeoutError):
                while True:
                    await client.next_notification(0.3)
            return
    pytest.fail(f"{label}: no event within {timeout} s")


async def _assert_healthy(servers: Servers) -> None:
    for server in (servers.one, servers.two):
        # Polled: app.py's /healthz Redis client has no retry, so its first probe after
        # Redis dropped its connection answers 503 once (see the report / app.py).
        for _ in range(3):
            response = await servers.http.get(f"{server.http_url}/healthz")
            if response.status_code == 200:
                break
        assert response.status_code == 200, response.text


@pytest.mark.parametrize("protocol", ["graphql-transport-ws", "graphql-ws"])
async def test_event_from_other_process_arrives_within_a_second(servers, redis, protocol):
    admin_token, [(user_id, token)] = await _users("alice")
    async with ws_client(servers.one, protocol, token) as client:
        await client.subscribe(SUBSCRIBE)
        await wait_subscribed(redis, user_id)
        await _measure(servers, client, admin_token, user_id, protocol)


async def test_subscription_survives_redis_dropping_connections(servers, redis):
    admin_token, [(user_id, token)] = await _users("bob")
    async with ws_client(servers.one, "graphql-transport-ws", token) as client:
        await client.subscribe(SUBSCRIBE)
        await wait_subscribed(redis, user_id)
        await _measure(servers, client, admin_token, user_id, "before drop", rounds=1)

        # Every pub/sub reader (both servers, this process) and every pooled command
        # connection (publishers, /healthz clients); not this test's own connection.
        killed = await redis.execute_command("CLIENT", "KILL", "TYPE", "pubsub")
        assert killed >= 2, killed  # at least the readers of the two servers
        await redis.execute_command("CLIENT", "KILL", "TYPE", "normal")
        dropped_at = time.perf_counter()

        await _until_delivered(servers, client, admin_token, user_id, "after drop", dropped_at)
        await _measure(servers, client, admin_token, user_id, "after drop", rounds=2)
        await _assert_healthy(servers)


def _restartable_redis() -> str | None:
    """Why the machine's Redis may not be restarted by this test, or None if it may."""
    url = urlparse(settings.REDIS_URL)
    if url.hostname not in ("127.0.0.1", "localhost") or (url.port or 6379) != 6379:
        return "REDIS_URL is not the local Redis at 127.0.0.1:6379"
    if not (shutil.which("redis-cli") and shutil.which("redis-server")):
        return "redis-cli / redis-server not on PATH"
    return None


async def _redis_answers(redis, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            if await redis.ping():
                return
        except Exception:
            if time.monotonic() > deadline:
                raise
        await asyncio.sleep(0.05)


@contextlib.asynccontextmanager
async def redis_stopped(redis):
    """Stops the local Redis (losing nothing: its keyspace must be empty), restarts it on exit."""
    keyspace = await redis.info("keyspace")
    if keyspace:
        pytest.skip(f"the local Redis holds data ({keyspace}); not restarting it")
    await asyncio.to_thread(
        subprocess.run,
        ["redis-cli", "-h", "127.0.0.1", "-p", "6379", "shutdown", "nosave"],
        capture_output=True,
        timeout=10,
    )
    try:
        with pytest.raises(ConnectionRefusedError):  # really down, not just refusing SHUTDOWN
            socket.create_connection(("127.0.0.1", 6379), timeout=2).close()
        yield
    finally:
        await asyncio.to_thread(
            subprocess.run,
            [
                "redis-server",
                "--daemonize",
                "yes",
                "--bind",
                "127.0.0.1",
                "--port",
                "6379",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            check=True,
            capture_output=True,
            timeout=10,
        )
        await _redis_answers(redis)


async def test_subscriptions_survive_redis_restart(servers, redis):
    """Redis goes away and comes back: an open subscription hears events again, and so
    does one opened on server 1 while Redis was down."""
    if reason := _restartable_redis():
        pytest.skip(reason)
    admin_token, [(carol_id, carol_token), (dave_id, dave_token)] = await _users("carol", "dave")
    async with ws_client(servers.one, "graphql-transport-ws", carol_token) as carol:
        await carol.subscribe(SUBSCRIBE)
        await wait_subscribed(redis, carol_id)
        await _measure(servers, carol, admin_token, carol_id, "before restart", rounds=1)

        async with redis_stopped(redis):
            # Signs in over PostgreSQL, subscribes while server 1 has no Redis.
            dave_ws = ws_client(servers.one, "graphql-ws", dave_token)
            dave = await dave_ws.__aenter__()
            await dave.subscribe(SUBSCRIBE)
            await asyncio.sleep(0.3)  # let server 1 run the subscription resolver meanwhile
        try:
            restarted_at = time.perf_counter()
            await _until_delivered(servers, carol, admin_token, carol_id, "after restart", restarted_at)
            await _measure(servers, carol, admin_token, carol_id, "after restart", rounds=2)
            await wait_subscribed(redis, dave_id, timeout=5.0)
            await _measure(servers, dave, admin_token, dave_id, "subscribed while down", rounds=2)
        finally:
            await dave_ws.__aexit__(None, None, None)
    await _assert_healthy(servers)


@pytest.mark.parametrize("protocol", ["graphql-transport-ws", "graphql-ws"])
async def test_subscription_without_token_is_refused(servers, protocol):
    async with ws_client(servers.one, protocol, None) as client:
        await client.subscribe(SUBSCRIBE)
        _, message = await client.next(5)
        assert message["type"] == "error" and message["id"] == "1", message
        # graphql-transport-ws sends a list of errors, graphql-ws a single one.
        errors = message["payload"] if isinstance(message["payload"], list) else [message["payload"]]
        assert errors[0]["extensions"]["code"] == "UNAUTHENTICATED", message
        assert errors[0]["path"] == ["myNotifications"], message
        await client.expect_silence(0.2)


async def test_users_hear_only_their_own_notifications(servers, redis):
    admin_token, [(a_id, a_token), (b_id, b_token)] = await _users("a", "b")
    async with (
        ws_client(servers.one, "graphql-transport-ws", a_token) as a,
        ws_client(servers.two, "graphql-ws", b_token) as b,
    ):
        await a.subscribe(SUBSCRIBE)
        await b.subscribe(SUBSCRIBE)
        await wait_subscribed(redis, a_id)
        await wait_subscribed(redis, b_id)

        for_b = await servers.send(servers.two, admin_token, b_id, f"for b #{next(TITLES)}")
        _, note = await b.next_notification(MAX_LATENCY)
        assert note["id"] == for_b["id"]
        for_a = await servers.send(servers.one, admin_token, a_id, f"for a #{next(TITLES)}")
        _, note = await a.next_notification(MAX_LATENCY)
        assert note["id"] == for_a["id"]  # A's first event is A's own: B's never came
        await a.expect_silence(0.3)
        await b.expect_silence(0.0)  # nor did A's reach B


async def test_channel_subscribed_while_the_reader_resubscribes_is_not_lost(redis, monkeypatch):
    """In-process, deterministic: a listener that arrives while the backend's reader is
    re-subscribing after a dropped connection must end up subscribed on Redis."""
    from subscriptions.redis_backend import RedisPubSubBackend

    tag = uuid.uuid4().hex
    early, late = f"test:early:{tag}", f"test:late:{tag}"
    backend = RedisPubSubBackend(settings.REDIS_URL)
    await backend.connect()
    try:
        async with asyncio.timeout(60):  # a deadlocked reader fails the test instead of hanging the run
            await _interleaved_subscription(backend, redis, monkeypatch, early, late)
    finally:
        await asyncio.wait_for(backend.disconnect(), 10)


async def test_a_catch_up_during_a_subscribe_does_not_resync_that_channel(redis):
    """The reader's catch-up may run while subscribe() is between its SUBSCRIBE and reading
    the channel's floor (seen on CI as a stray RESYNC): that channel missed nothing."""
    from subscriptions.redis_backend import RedisPubSubBackend

    channel = f"test:catch-up:{uuid.uuid4().hex}"
    backend = RedisPubSubBackend(settings.REDIS_URL)
    await backend.connect()
    try:
        await asyncio.wait_for(backend.connected.wait(), 5)
        publisher = backend._publisher
        original_get = publisher.get

        async def get(key):
            publisher.get = original_get
            await backend._catch_up(publisher, {channel})  # the reader, just then
            return await original_get(key)

        publisher.get = get
        await backend.subscribe(channel)
        await wait_numsub(redis, channel, 1, prefix="")
        await backend.publish(channel, "hello")
        event = await asyncio.wait_for(backend.next_published(), 2)
        assert (event.channel, event.message, getattr(event, "resync", False)) == (channel, "hello", False)
    finally:
        await asyncio.wait_for(backend.disconnect(), 10)


async def _interleaved_subscription(backend, redis, monkeypatch, early: str, late: str) -> None:
    from redis.asyncio.client import PubSub

    await asyncio.wait_for(backend.connected.wait(), 5)
    await backend.subscribe(early)
    await wait_numsub(redis, early, 1, prefix="")

    original = PubSub.subscribe
    interleaved = asyncio.Event()

    async def subscribe(self, *args, **kwargs):
        if early in args and not interleaved.is_set():  # the reader's resubscription
            interleaved.set()
            await backend.subscribe(late)  # a listener arrives just then
        return await original(self, *args, **kwargs)

    monkeypatch.setattr(PubSub, "subscribe", subscribe)
    await redis.execute_command("CLIENT", "KILL", "TYPE", "pubsub")
    await asyncio.wait_for(interleaved.wait(), 5)
    await wait_numsub(redis, early, 1, prefix="")
    await wait_numsub(redis, late, 1, timeout=2.0, prefix="")

    await redis.publish(late, "hello")
    event = await asyncio.wait_for(backend.next_published(), 2)
    # Subscribed while the reader was away, it may have missed events: it is told so first.
    assert getattr(event, "resync", False) and event.channel == late, event
    event = await asyncio.wait_for(backend.next_published(), 2)
    assert (event.channel, event.message) == (late, "hello")


async def test_channel_prefixes_keep_deployments_sharing_a_redis_apart(redis):
    """BROADCAST_CHANNEL_PREFIX: two deployments on one Redis, the same app channel name:
    each hears only its own events; Redis sees the prefixed names; a message published
    outside the prefix reaches neither."""
    from subscriptions.redis_backend import RedisPubSubBackend

    tag = uuid.uuid4().hex
    channel = f"user:{tag}"
    a = RedisPubSubBackend(settings.REDIS_URL, prefix=f"a-{tag}:")
    b = RedisPubSubBackend(settings.REDIS_URL, prefix=f"b-{tag}:")
    for backend in (a, b):
        await backend.connect()
    try:
        for backend in (a, b):
            await asyncio.wait_for(backend.connected.wait(), 5)
            await backend.subscribe(channel)
        await wait_numsub(redis, channel, 1, prefix=f"a-{tag}:")
        await wait_numsub(redis, channel, 1, prefix=f"b-{tag}:")
        await redis.publish(channel, "unprefixed")  # nobody's
        await a.publish(channel, "for a")
        event = await asyncio.wait_for(a.next_published(), 2)
        assert (event.channel, event.message) == (channel, "for a")
        await b.publish(channel, "for b")
        event = await asyncio.wait_for(b.next_published(), 2)
        assert (event.channel, event.message) == (channel, "for b")
        await asyncio.sleep(0.2)
        assert a._queue.empty() and b._queue.empty()
    finally:
        for backend in (a, b):
            await backend.disconnect()
