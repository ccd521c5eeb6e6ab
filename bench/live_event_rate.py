"""One user's live topic at a high event rate: does a subscriber that reads promptly get
every event, and how late?

    .venv/bin/python bench/live_event_rate.py                 # 500 events/s for 10 s
    .venv/bin/python bench/live_event_rate.py --rate 800 --seconds 5
    REDIS_URL=redis://127.0.0.1:6379/9 .venv/bin/python bench/live_event_rate.py

Not a test: it never fails on timing. Needs a Redis (REDIS_URL, default
redis://127.0.0.1:6379/0; its channels are namespaced by a fresh BROADCAST_CHANNEL_PREFIX)
and runs the app in one uvicorn process on a temporary SQLite database (bench/bench_app.py).
The bench process writes the notifications first, then publishes a `notification` event per
row on the user's channel, on schedule, as a web process does after each commit; the
subscriber (graphql-transport-ws, `myNotifications { id title }`, answering pings) stamps
each arrival. Baseline in the same run: a plain Redis pub/sub subscriber on the same channel,
i.e. the latency Redis itself adds. Prints delivered %, p50/p99 latency of both, and the
ratio of the p99s. Targets (issue: live updates that survive faults): 100 % delivered, p99 ≤
100 ms at 500 events/s.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.graphql_vs_bare import (
    configure_environment,
    cpu_seconds,
    free_port,
    prepare_database,
    start_server,
    stop_server,
    wait_ready,
)

SUBSCRIBE = "subscription { myNotifications { id title } }"


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


async def make_notifications(count: int, id_only: bool) -> tuple[int, list[str]]:
    """The admin's id and the live events (JSON) of `count` new notifications for the admin,
    as `notify` publishes them (or with the id alone, as an older release did); rows only."""
    from tortoise import Tortoise

    import settings
    from models.accounts import User
    from models.notifications import Notification
    from services.accounts import notifications
    from services.accounts.events import NotificationSent

    await Tortoise.init(config=settings.TORTOISE_ORM)
    try:
        admin = await User.get(nickname="bench-admin")
        await Notification.bulk_create(
            [
                Notification(user_id=admin.id, kind="ADMIN_MESSAGE", title=f"n{i}", body="", data={})
                for i in range(count)
            ]
        )
        rows = await Notification.filter(user_id=admin.id).order_by("-id").limit(count)
        events = [NotificationSent(row.id) if id_only else notifications.sent_event(row) for row in reversed(rows)]
        return admin.id, [event.to_json() for event in events]
    finally:
        await Tortoise.close_connections()


async def run(args: argparse.Namespace, base: str, token: str, user_id: int, events: list[str], prefix: str) -> None:
    from redis.asyncio import Redis
    from websockets.asyncio.client import connect

    from services.core.events import user_channel
    from subscriptions.redis_backend import RedisPubSubBackend

    channel = user_channel(user_id)
    backend = RedisPubSubBackend(os.environ["BROADCAST_URL"], prefix=prefix)
    await backend.connect()
    await asyncio.wait_for(backend.connected.wait(), 10)
    raw = Redis.from_url(os.environ["BROADCAST_URL"])
    baseline = raw.pubsub()
    await baseline.subscribe(prefix + channel)

    sent_at: dict[str, float] = {}
    app_at: dict[str, float] = {}
    redis_at: list[float] = []
    problems: list[str] = []
    ws_url = base.replace("http://", "ws://") + "/graphql"
    async with connect(ws_url, subprotocols=["graphql-transport-ws"], max_size=None) as ws:
        await ws.send(json.dumps({"type": "connection_init", "payload": {"authorization": f"Bearer {token}"}}))
        assert json.loads(await ws.recv())["type"] == "connection_ack"
        await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": SUBSCRIBE}}))

        async def read_app() -> None:
            async for message in ws:
                at = time.perf_counter()
                m = json.loads(message)
                if m["type"] == "ping":
                    await ws.send(json.dumps({"type": "pong"}))
                elif m["type"] == "next" and m["payload"].get("data"):
                    app_at[m["payload"]["data"]["myNotifications"]["title"]] = at
                else:
                    problems.append(json.dumps(m)[:300])

        async def read_redis() -> None:
            while True:
                message = await baseline.get_message(ignore_subscribe_messages=True, timeout=1.0)
                if message is not None:
                    redis_at.append(time.perf_counter())

        readers = [asyncio.create_task(read_app()), asyncio.create_task(read_redis())]
        # The subscription is live once a probe arrives (its event is not counted).
        probe = events[0]
        for _ in range(100):
            await backend.publish(channel, probe)
            await asyncio.sleep(0.1)
            if "n0" in app_at:
                break
        else:
            raise SystemExit(f"the subscription never started: {problems}")
        redis_at.clear()
        await asyncio.sleep(0.2)

        total = min(int(args.rate * args.seconds), len(events) - 1)
        cpu_before = cpu_seconds(args.server_pid)
        started = time.perf_counter()
        publish_times: list[float] = []
        for i in range(1, total + 1):
            due = started + (i - 1) / args.rate
            delay = due - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            publish_times.append(time.perf_counter())
            sent_at[f"n{i}"] = publish_times[-1]
            await backend.publish(channel, events[i])
        elapsed = time.perf_counter() - started
        deadline = time.perf_counter() + 5
        while time.perf_counter() < deadline and sum(1 for t in sent_at if t in app_at) < total:
            await asyncio.sleep(0.05)
        cpu_after = cpu_seconds(args.server_pid)
        for task in readers:
            task.cancel()
    await baseline.aclose()
    await raw.aclose()
    await backend.disconnect()

    app_latency = [(app_at[t] - sent_at[t]) * 1000 for t in sent_at if t in app_at]
    redis_latency = [(at - sent) * 1000 for at, sent in zip(redis_at, publish_times, strict=False)]
    delivered = len(app_latency) / total * 100
    print(f"{total} events in {elapsed:.2f} s ({total / elapsed:.0f}/s asked {args.rate}/s) to one subscriber")
    print(
        f"app subscriber:   delivered {delivered:.1f} %   p50 {percentile(app_latency, 0.5):.1f} ms"
        f"   p99 {percentile(app_latency, 0.99):.1f} ms   max {max(app_latency, default=float('nan')):.1f} ms"
    )
    print(
        f"redis baseline:   delivered {len(redis_latency) / total * 100:.1f} %   p50 "
        f"{percentile(redis_latency, 0.5):.1f} ms   p99 {percentile(redis_latency, 0.99):.1f} ms"
    )
    if cpu_before is not None and cpu_after is not None:
        print(f"server CPU per event: {(cpu_after - cpu_before) / total * 1e6:.0f} µs")
    ratio = percentile(app_latency, 0.99) / max(percentile(redis_latency, 0.99), 0.001)
    print(
        f"ratio p99 app / p99 redis: {ratio:.1f}   targets: delivered 100 % ({'met' if delivered == 100 else 'NOT met'}),"
        f" p99 <= 100 ms ({'met' if percentile(app_latency, 0.99) <= 100 else 'NOT met'})"
    )
    if problems:
        print("other messages on the subscription:", *problems[:5], sep="\n  ")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rate", type=float, default=500.0, help="events per second")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument(
        "--id-only", action="store_true", help="events with the notification id alone (an older release's)"
    )
    args = parser.parse_args()
    redis_url = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0"
    with tempfile.TemporaryDirectory() as tmp_dir:
        tmp = Path(tmp_dir)
        env = configure_environment(tmp)
        prefix = f"bench-{uuid.uuid4().hex[:8]}:"
        os.environ.update(
            BROADCAST_URL=redis_url, REDIS_URL=redis_url, BROADCAST_CHANNEL_PREFIX=prefix, WEB_CONCURRENCY="1"
        )
        env = dict(os.environ)
        token = asyncio.run(prepare_database(0))
        user_id, events = asyncio.run(make_notifications(int(args.rate * args.seconds) + 1, args.id_only))
        port = free_port()
        log = tmp / "server.log"
        proc = start_server(env, port, log, [])
        base = f"http://127.0.0.1:{port}"
        try:
            wait_ready(proc, base, log)
            args.server_pid = proc.pid
            asyncio.run(run(args, base, token, user_id, events, prefix))
        finally:
            stop_server(proc)
        errors = [
            line for line in log.read_text(errors="replace").splitlines() if "Traceback" in line or " ERROR " in line
        ]
        if errors:
            print("server log errors:", *errors[:10], sep="\n  ")


if __name__ == "__main__":
    main()
