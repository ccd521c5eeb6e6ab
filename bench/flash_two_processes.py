"""The flash-sale acceptance run (MKT-3) on PostgreSQL + Redis with two web processes:
10,000 buyFlash attempts through GraphQL over HTTP (2,000 buyers, limit 1, five attempts
each, in random order, spread over both processes) for 100 flash units. Prints the answers,
checks exactly 100 orders with no buyer holding two, and counts the database's transactions
during the race (pg_stat_database: every statement outside a transaction is one), against the
winners' checkouts: a loser answered with a statement would add at least one each.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench REDIS_URL=redis://127.0.0.1:6379/9 \\
        .venv/bin/python bench/flash_two_processes.py [--buyers 2000] [--units 100] [--attempts 5]

The database's `public` schema is dropped first (a database of its own); Redis keys are
namespaced. Not a test: it never fails on timing; it exits non-zero if a count is wrong.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import sys
import tempfile
import time
import uuid
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.flash_sale import BUY, _gid, seed
from bench.graphql_vs_bare import (
    POSTGRES_SCHEMES,
    configure_environment,
    free_port,
    start_server,
    stop_server,
    wait_ready,
)


async def transactions() -> int:
    """Committed and rolled-back transactions of this database so far (after a flush pause)."""
    import asyncpg

    import settings

    await asyncio.sleep(1.5)  # the servers' statistics reach the shared view within ~1 s
    conn = await asyncpg.connect(settings.DATABASE_URL.replace("postgres://", "postgresql://", 1))
    try:
        await conn.execute("SELECT pg_stat_clear_snapshot()")
        row = await conn.fetchrow(
            "SELECT xact_commit + xact_rollback AS n FROM pg_stat_database WHERE datname = current_database()"
        )
        return int(row["n"])
    finally:
        await conn.close()


async def race(bases: list[str], buyers: list[dict], item: str, attempts: int, concurrency: int) -> Counter:
    import httpx

    plan = [(i, n) for i in range(len(buyers)) for n in range(attempts)]
    random.Random(7).shuffle(plan)
    answers: Counter = Counter()
    winners: list[int] = []
    queue = iter(enumerate(plan))

    async with httpx.AsyncClient(timeout=60.0, limits=httpx.Limits(max_connections=concurrency)) as client:

        async def worker() -> None:
            for k, (i, _n) in queue:
                body = {
                    "flashItemId": item,
                    "idempotencyKey": uuid.uuid4().hex,
                    "addressId": _gid("Address", buyers[i]["address"]),
                }
                try:
                    response = await client.post(
                        f"{bases[k % len(bases)]}/graphql",
                        headers={"Authorization": f"Bearer {buyers[i]['token']}", "Content-Type": "application/json"},
                        content=json.dumps({"query": BUY, "variables": {"input": body}}),
                    )
                except httpx.TransportError:  # a kept-alive connection the server closed: not an answer
                    answers["connection lost (not counted)"] += 1
                    continue
                data = response.json().get("data") or {}
                payload = data.get("buyFlash") or {}
                if payload.get("payment"):
                    answers["WON"] += 1
                    winners.append(i)
                else:
                    errors = payload.get("errors") or response.json().get("errors") or [{}]
                    answers[errors[0].get("code") or errors[0].get("extensions", {}).get("code", "?")] += 1

        await asyncio.gather(*(worker() for _ in range(concurrency)))
    answers["distinct winners"] = len(set(winners))
    return answers


async def database_counts(item_id: int) -> tuple[int, int, int]:
    from tortoise import Tortoise

    import settings
    from models.marketing import FlashClaim, FlashItem
    from models.orders import OrderLine

    await Tortoise.init(config=settings.TORTOISE_ORM)
    try:
        holders = Counter(await FlashClaim.filter(item_id=item_id, status="HELD").values_list("user_id", flat=True))
        lines = await OrderLine.filter(activity_kind="FLASH", activity_id=item_id).count()
        return (await FlashItem.get(id=item_id)).sold, lines, max(holders.values(), default=0)
    finally:
        await Tortoise.close_connections()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--buyers", type=int, default=2000)
    parser.add_argument("--units", type=int, default=100)
    parser.add_argument("--attempts", type=int, default=5)
    parser.add_argument("--concurrency", type=int, default=64)
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL", "").startswith(POSTGRES_SCHEMES) or not os.environ.get("REDIS_URL"):
        raise SystemExit("set DATABASE_URL=postgres://... and REDIS_URL=redis://...")
    redis_url = os.environ["REDIS_URL"]
    tmp = Path(tempfile.mkdtemp(prefix="bench-flash2-"))
    env = configure_environment(tmp)
    prefix = f"bench-flash2-{os.getpid()}:"
    for name, value in (("REDIS_URL", redis_url), ("BROADCAST_URL", redis_url), ("BROADCAST_CHANNEL_PREFIX", prefix)):
        os.environ[name] = env[name] = value
    os.environ["RESPONSE_CACHE"] = env["RESPONSE_CACHE"] = "false"
    started = time.monotonic()
    data = asyncio.run(seed(args.buyers, args.units))
    print(f"seeded {args.buyers} buyers and {args.units} flash units in {time.monotonic() - started:.0f} s")
    servers = []
    try:
        for n in range(2):
            port = free_port()
            proc = start_server(env, port, tmp / f"server{n}.log", [], app="bench.flash_app:app")
            servers.append((proc, f"http://127.0.0.1:{port}"))
        for proc, base in servers:
            wait_ready(proc, base, tmp / "server0.log")
        before = asyncio.run(transactions())
        started = time.monotonic()
        answers = asyncio.run(
            race(
                [b for _, b in servers],
                data["buyers"],
                _gid("FlashItem", data["item"]),
                args.attempts,
                args.concurrency,
            )
        )
        took = time.monotonic() - started
        after = asyncio.run(transactions())
    finally:
        for proc, _ in servers:
            stop_server(proc)
    sold, lines, most = asyncio.run(database_counts(data["item"]))
    total = args.buyers * args.attempts
    losers = total - answers["WON"]
    print(f"{total} attempts over 2 processes in {took:.1f} s ({total / took:.0f}/s): {dict(answers)}")
    print(f"database: item sold {sold}, flash order lines {lines}, most units held by one buyer {most}")
    print(
        f"transactions during the race: {after - before} for {answers['WON']} winners' checkouts "
        f"({(after - before) / max(answers['WON'], 1):.1f} each); {losers} losers would add at least {losers}"
    )
    # the database is the truth; a win whose answer was lost in transit is counted there
    ok = args.units == sold == lines and most == 1 and answers["WON"] <= args.units
    ok = ok and (after - before) < losers
    print("OK" if ok else "FAILED")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
