"""Live events through a Redis outage: two uvicorn servers on PostgreSQL and a private
redis-server that the tests stop and start again by its pid.

- Publishing never blocks a request: during the outage a mutation takes about what it took
  before, and the log says once that publishing fails and once that it recovered.
- A 3 s outage at 10 events/s loses nothing: the publisher buffers, the reader replays the
  channel's log from the last sequence it saw.
- A longer one whose events overflow the publisher's buffer (lowered here) ends, within a
  second of Redis returning, in one RESYNC message on the stream.
Runs only with DATABASE_URL=postgres://... and REDIS_URL=redis://... set (and redis-server).
"""

from __future__ import annotations

import asyncio
import itertools
import statistics
import time

import pytest
import pytest_asyncio

from tests.api.test_realtime_multiprocess import SUBSCRIBE, NotificationServers, _users
from tests.conftest import requires_postgres, requires_redis
from tests.servers import Servers, WsClient, private_redis, running_servers, wait_numsub, ws_client

pytestmark = [requires_postgres, requires_redis]

TITLES = itertools.count(1)
FIGURES: dict[str, object] = {}  # printed at the end (visible with -s)


OUTBOX_SIZE = 40  # a 3 s outage at 10 events/s fits; the long test sends far more


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def setup(database):
    """(servers, the private redis-server, a client of it), shared by the module's tests."""
    from subscriptions.redis_backend import redis_client

    async with private_redis() as redis_server:
        env = {"BROADCAST_URL": redis_server.url, "EVENT_OUTBOX_SIZE": str(OUTBOX_SIZE)}
        async with running_servers("outage", cls=NotificationServers, extra_env=env) as servers:
            client = redis_client(redis_server.url)  # retries on a fresh connection after a restart
            try:
                yield servers, redis_server, client
            finally:
                await client.aclose()
                if FIGURES:
                    print("\nredis outage figures:", FIGURES)


@pytest_asyncio.fixture(loop_scope="session", autouse=True)
async def print_server_logs_on_failure(request, setup):
    failed_before = request.session.testsfailed
    yield
    if request.session.testsfailed > failed_before:
        print(setup[0].logs())


async def _send(servers: Servers, token: str, user_id: int, label: str) -> tuple[str, float]:
    title = f"{label} #{next(TITLES)}"
    started = time.perf_counter()
    await servers.send(servers.two, token, user_id, title)
    return title, time.perf_counter() - started


async def _collect(client: WsClient, until: float) -> list[tuple[float, dict]]:
    """Every message until the deadline (perf_counter) or the first silence past it."""
    got = []
    while True:
        try:
            got.append(await client.next(max(until - time.perf_counter(), 0.05)))
        except TimeoutError:
            return got


def _titles(messages: list[tuple[float, dict]]) -> list[str]:
    return [m["payload"]["data"]["myNotifications"]["title"] for _, m in messages if m["payload"].get("data")]


async def _wait_for_log(server, text: str, seconds: float) -> None:
    deadline = time.perf_counter() + seconds
    while text not in server.log():
        assert time.perf_counter() < deadline, f"{text!r} not logged within {seconds} s"
        await asyncio.sleep(0.05)


def _resyncs(messages: list[tuple[float, dict]]) -> list[float]:
    return [
        at
        for at, m in messages
        if any(e.get("extensions", {}).get("code") == "RESYNC" for e in m["payload"].get("errors") or [])
    ]


async def _subscribed():
    admin_token, [(user_id, token)] = await _users(f"outage-user-{next(TITLES)}")
    return admin_token, user_id, token


async def test_mutations_keep_their_latency_while_redis_is_down(setup):
    servers, redis_server, rc = setup
    admin_token, user_id, token = await _subscribed()
    async with ws_client(servers.one, "graphql-transport-ws", token) as client:
        await client.subscribe(SUBSCRIBE)
        await wait_numsub(rc, f"user:{user_id}")
        for _ in range(2):  # warm-up: connections, caches
            await _send(servers, admin_token, user_id, "warm")
        before = [(await _send(servers, admin_token, user_id, "before"))[1] for _ in range(8)]
        await redis_server.stop()
        during_titles = []
        during = []
        for _ in range(8):
            title, took = await _send(servers, admin_token, user_id, "during")
            during_titles.append(title)
            during.append(took)
        # Keep Redis down until the publisher has noticed: its client retries a command for
        # up to ~0.45 s, so a shorter outage is bridged without any failure (seen on CI).
        await _wait_for_log(servers.two, "publishing live events is failing", 10.0)
        await redis_server.start()
        restarted = time.perf_counter()
        got = await _collect(client, restarted + 3.0)
    ratio = statistics.median(during) / statistics.median(before)
    FIGURES["mutation median before/during (ms)"] = (
        round(statistics.median(before) * 1000, 1),
        round(statistics.median(during) * 1000, 1),
    )
    FIGURES["latency ratio during/before"] = round(ratio, 2)
    assert ratio < 3, (before, during)
    assert set(during_titles) <= set(_titles(got)), _titles(got)
    log = servers.two.log()  # this is the module's first outage
    assert log.count("publishing live events is failing") == 1, log
    assert log.count("publishing live events recovered") == 1, log
    assert "Traceback" not in log, log


async def test_a_short_outage_at_ten_events_a_second_loses_nothing(setup):
    servers, redis_server, rc = setup
    admin_token, user_id, token = await _subscribed()
    async with ws_client(servers.one, "graphql-transport-ws", token) as client:
        await client.subscribe(SUBSCRIBE)
        await wait_numsub(rc, f"user:{user_id}")
        sent: list[str] = []
        marks: dict[str, float] = {}

        async def sender(seconds: float) -> None:
            """10 a second, on schedule: each mutation in its own task, so a slow one does not
            hold back the next."""

            async def one() -> None:
                sent.append((await _send(servers, admin_token, user_id, "steady"))[0])

            tasks = []
            start = time.perf_counter()
            while (elapsed := time.perf_counter() - start) < seconds:
                tasks.append(asyncio.create_task(one()))
                await asyncio.sleep(max(0.1 * len(tasks) - elapsed, 0))
            await asyncio.gather(*tasks)

        async def outage() -> None:
            await asyncio.sleep(1.5)
            await redis_server.stop()
            marks["down"] = time.perf_counter()
            await asyncio.sleep(3.0)
            await redis_server.start()
            marks["up"] = time.perf_counter()

        await asyncio.gather(sender(6.5), outage())
        got = await _collect(client, time.perf_counter() + 3.0)
    titles = _titles(got)
    missing = [t for t in sent if t not in titles]
    FIGURES["3 s outage: sent, received, lost, resyncs"] = (
        len(sent),
        len(titles),
        len(missing),
        len(_resyncs(got)),
    )
    assert not missing, missing
    assert not _resyncs(got)
    assert len(titles) == len(set(titles)), "duplicates"


@pytest.mark.parametrize("outage_seconds", [12.0])
async def test_a_long_outage_ends_in_a_resync_within_a_second(setup, outage_seconds):
    servers, redis_server, rc = setup
    admin_token, user_id, token = await _subscribed()
    async with ws_client(servers.one, "graphql-transport-ws", token) as client:
        await client.subscribe(SUBSCRIBE)
        await wait_numsub(rc, f"user:{user_id}")
        await redis_server.stop()
        end = time.perf_counter() + outage_seconds
        count = 0
        while time.perf_counter() < end:  # about 10 a second, far more than the publisher may hold
            await asyncio.gather(*(_send(servers, admin_token, user_id, "long") for _ in range(5)))
            count += 5
            await asyncio.sleep(0.4)
        await redis_server.start()
        restarted = time.perf_counter()
        got = await _collect(client, restarted + 3.0)
    resyncs = _resyncs(got)
    FIGURES[f"{outage_seconds:.0f} s outage: sent, received, resync after (s)"] = (
        count,
        len(_titles(got)),
        round(resyncs[0] - restarted, 3) if resyncs else None,
    )
    assert count > OUTBOX_SIZE
    assert resyncs, got
    assert resyncs[0] - restarted < 1.0
