"""Flash-sale attempts at the peak (MKT-3): buyFlash refusals through GraphQL against a bare
Starlette endpoint running the same Redis admission script, and against plain placeOrder
checkouts, in the same run on the same server process. Prints attempts/second, the p99
latency of a refused attempt, and the ratios (targets: buyFlash / bare >= 0.5,
buyFlash / placeOrder >= 10).

    REDIS_URL=redis://127.0.0.1:6379/9 .venv/bin/python bench/flash_sale.py [--seconds 5] [--concurrency 32]

SQLite in a temporary file (a refused attempt never reaches the database beyond the token's
session read, which every case does). Needs a Redis (REDIS_URL; its keys are namespaced with
`bench-flash:`). One uvicorn process (bench/flash_app.py) serves every case; the load comes
from this process (httpx, asyncio). The item's units are sold first, so every measured
attempt is a loser (SOLD_OUT / LIMIT_REACHED), as at 10:00:01. Not a test: never fails on
timing.
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

from bench.graphql_vs_bare import configure_environment, cpu_seconds, free_port, start_server, stop_server, wait_ready

BUY = """mutation($input: BuyFlashInput!) { buyFlash(input: $input) { payment { id } errors { code } } }"""
PLACE = """mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { payment { id } errors { code } } }"""


async def seed(buyers: int, units: int) -> dict:
    from datetime import timedelta

    from tortoise import Tortoise
    from tortoise.migrations.api.migrate import migrate

    import settings
    import wiring
    from manage import reset_database
    from services.accounts import access, auth
    from services.catalog.limits import MAX_STOCK
    from services.core import clock
    from services.marketing import flash
    from tests.order_factories import make_buyer, make_shop

    await reset_database()
    await migrate(config=settings.TORTOISE_ORM)
    await Tortoise.close_connections()
    wiring.install()
    await Tortoise.init(config=settings.TORTOISE_ORM, _enable_global_fallback=True)
    try:
        await access.sync_catalog()
        _, _, (flash_sku,) = await make_shop(price=10_000, stock=10)
        _, _, (plain_sku,) = await make_shop(price=10_000, stock=MAX_STOCK)
        grants = await _admin_grants()
        at = clock.now() + timedelta(hours=settings.BUSINESS_UTC_OFFSET_HOURS) - timedelta(minutes=5)
        session = await flash.create_session(grants, None, "bench", at.date(), f"{at:%H:%M}", 600)
        item = await flash.add_item(grants, flash.ItemData(session.id, flash_sku.id, 5_000, units, 1))
        people = []
        for i in range(buyers):
            user, address = await make_buyer(f"b{i}")
            signed = await auth.start_session(user, "SMS", auth.ClientInfo(), False)
            people.append({"token": signed.access_token, "address": address.id})
        return {"item": item.id, "plain_sku": plain_sku.id, "buyers": people}
    finally:
        await Tortoise.close_connections()


async def _admin_grants():
    from services.accounts import access
    from tests.helpers import make_user

    admin = await make_user("bench-admin", roles=("admin",))
    return await access.load_grants(admin.id)


def _gid(type_name: str, pk: int) -> str:
    from schema.node import encode

    return encode(type_name, pk)


async def load(base: str, seconds: float, concurrency: int, make, expect) -> dict:
    """`concurrency` clients sending make(i) for `seconds`; latencies of answers `expect` accepts."""
    import httpx

    latencies: list[float] = []
    errors = 0
    count = 0
    stop = time.monotonic() + seconds
    async with httpx.AsyncClient(base_url=base, timeout=30.0, limits=httpx.Limits(max_connections=concurrency)) as c:

        async def client(n: int) -> None:
            nonlocal errors, count
            i = n
            while time.monotonic() < stop:
                kwargs = make(i)
                i += concurrency
                started = time.perf_counter()
                response = await c.post(**kwargs)
                elapsed = time.perf_counter() - started
                count += 1
                if response.status_code != 200 or not expect(response.json()):
                    errors += 1
                else:
                    latencies.append(elapsed)

        started = time.monotonic()
        await asyncio.gather(*(client(n) for n in range(concurrency)))
        took = time.monotonic() - started
    latencies.sort()
    p99 = latencies[int(len(latencies) * 0.99) - 1] * 1000 if latencies else float("nan")
    return {"rps": count / took, "count": count, "errors": errors, "p99_ms": p99}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--buyers", type=int, default=100)
    parser.add_argument("--units", type=int, default=20)
    args = parser.parse_args()
    redis_url = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0"
    tmp = Path(tempfile.mkdtemp(prefix="bench-flash-"))
    env = configure_environment(tmp)
    os.environ["REDIS_URL"] = env["REDIS_URL"] = redis_url
    os.environ["BROADCAST_CHANNEL_PREFIX"] = env["BROADCAST_CHANNEL_PREFIX"] = f"bench-flash-{os.getpid()}:"
    os.environ["RESPONSE_CACHE"] = env["RESPONSE_CACHE"] = "false"
    data = asyncio.run(seed(args.buyers, args.units))
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = tmp / "server.log"
    proc = start_server(env, port, log, [], app="bench.flash_app:app")
    try:
        wait_ready(proc, base, log)
        buyers = data["buyers"]
        item = _gid("FlashItem", data["item"])

        def headers(i: int) -> dict:
            return {"Authorization": f"Bearer {buyers[i % len(buyers)]['token']}", "Content-Type": "application/json"}

        def buy(i: int) -> dict:
            body = {"flashItemId": item, "idempotencyKey": uuid.uuid4().hex, "addressId": _addr(i)}
            return {
                "url": "/graphql",
                "headers": headers(i),
                "content": json.dumps({"query": BUY, "variables": {"input": body}}),
            }

        def _addr(i: int) -> str:
            return _gid("Address", buyers[i % len(buyers)]["address"])

        def bare(i: int) -> dict:
            return {"url": "/bare/flash", "headers": headers(i), "content": json.dumps({"flashItemId": data["item"]})}

        def place(i: int) -> dict:
            body = {
                "idempotencyKey": uuid.uuid4().hex,
                "addressId": _addr(i),
                "items": [{"skuId": _gid("Sku", data["plain_sku"]), "quantity": 1}],
            }
            return {
                "url": "/graphql",
                "headers": headers(i),
                "content": json.dumps({"query": PLACE, "variables": {"input": body}}),
            }

        def refused(body: dict) -> bool:
            errors = body.get("data", {}).get("buyFlash", {}).get("errors") or []
            return bool(errors) and errors[0]["code"] in ("SOLD_OUT", "LIMIT_REACHED")

        def bare_refused(body: dict) -> bool:
            return body.get("data", {}).get("code") in ("SOLD_OUT", "LIMIT_REACHED")

        def placed(body: dict) -> bool:
            return bool(body.get("data", {}).get("placeOrder", {}).get("payment"))

        # the peak: the units go in the first second; the rest are losers
        sell = asyncio.run(load(base, 2.0, args.concurrency, buy, lambda b: True))
        results = {}
        for name, make, expect in (
            ("bare", bare, bare_refused),
            ("buyFlash", buy, refused),
            ("placeOrder", place, placed),
        ):
            cpu0 = cpu_seconds(proc.pid)
            results[name] = asyncio.run(load(base, args.seconds, args.concurrency, make, expect))
            cpu1 = cpu_seconds(proc.pid)
            if cpu0 is not None and cpu1 is not None and results[name]["count"]:
                results[name]["cpu_ms"] = (cpu1 - cpu0) * 1000 / results[name]["count"]
    finally:
        stop_server(proc)
    print(f"sell-out: {sell['count']} attempts in 2 s ({args.units} units, {args.buyers} buyers, limit 1)")
    print(f"{'case':<12}{'attempts/s':>12}{'p99 ms':>10}{'server CPU ms':>15}{'errors':>8}")
    for name, r in results.items():
        print(f"{name:<12}{r['rps']:>12.0f}{r['p99_ms']:>10.1f}{r.get('cpu_ms', float('nan')):>15.2f}{r['errors']:>8}")
    b, a, c = results["buyFlash"]["rps"], results["bare"]["rps"], results["placeOrder"]["rps"]
    print(f"buyFlash / bare       = {b / a:.2f}  (target >= 0.5)")
    print(f"buyFlash / placeOrder = {b / c:.1f}  (target >= 10)")
    print(f"p99 of a refused buyFlash: {results['buyFlash']['p99_ms']:.1f} ms at concurrency {args.concurrency}")


if __name__ == "__main__":
    main()
