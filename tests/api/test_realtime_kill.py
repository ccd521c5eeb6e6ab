"""kill -9 of one web process while events stream: its client reconnects to the other,
subscribes again and refetches, and then has every notification there is (checked against
the database): subscribe first, then query, as docs/frontend.md tells clients to.

Runs only with DATABASE_URL=postgres://... and REDIS_URL=redis://... set (two uvicorn
servers sharing them)."""

from __future__ import annotations

import asyncio
import contextlib
import signal

from models.notifications import Notification
from tests.api.test_realtime_multiprocess import SUBSCRIBE, NotificationServers, _users
from tests.conftest import requires_postgres, requires_redis
from tests.helpers import gid
from tests.servers import running_servers, ws_client

pytestmark = [requires_postgres, requires_redis]

REFETCH = "{ myNotifications(first: 100) { nodes { id } } }"


async def _drain(client, into: set[str], seconds: float) -> None:
    """Every notification id that arrives within `seconds` (stops early when the socket closes)."""
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(seconds):
            while True:
                _, message = await client.next(seconds)
                if message["type"] == "__closed__":
                    return
                data = (message.get("payload") or {}).get("data")
                if data:
                    into.add(data["myNotifications"]["id"])


async def test_after_a_kill_9_the_client_reconnects_refetches_and_misses_nothing(database):
    admin_token, [(user_id, token)] = await _users("kill-9 user")
    async with running_servers("kill", cls=NotificationServers) as servers:
        sent: list[str] = []
        stop = asyncio.Event()

        async def sender() -> None:  # through the process that stays up, 10 a second
            n = 0
            while not stop.is_set():
                sent.append((await servers.send(servers.two, admin_token, user_id, f"kill #{n}"))["id"])
                n += 1
                await asyncio.sleep(0.1)

        seen: set[str] = set()
        async with ws_client(servers.one, "graphql-transport-ws", token) as first:
            await first.subscribe(SUBSCRIBE)
            sending = asyncio.create_task(sender())
            await _drain(first, seen, 1.0)
            assert seen, "no event before the kill"
            servers.one.process.send_signal(signal.SIGKILL)  # by its pid
            servers.one.process.wait(10)
            await _drain(first, seen, 5.0)  # until the socket is seen closed

        # The client's retry lands on the other process: subscribe, then refetch.
        async with ws_client(servers.two, "graphql-transport-ws", token) as second:
            await second.subscribe(SUBSCRIBE)
            await asyncio.sleep(0.5)  # the subscription is live before the refetch
            body = await servers.graphql(servers.two, REFETCH, token=token)
            seen |= {node["id"] for node in body["data"]["myNotifications"]["nodes"]}
            await asyncio.sleep(1.0)
            stop.set()
            await sending
            await _drain(second, seen, 2.0)

    stored = await Notification.filter(user_id=user_id).values_list("id", flat=True)
    in_database = {gid("Notification", pk) for pk in stored}
    assert set(sent) == in_database
    assert in_database - seen == set(), sorted(in_database - seen)
