"""Thousands of WebSocket subscribers watching one wholesale product's queue while retail
sales take units from its head (CON-9, RT-3).

    psql -h 127.0.0.1 -U postgres -d test -c "create database bench_queue"   # its `public` schema is dropped
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_queue .venv/bin/python bench/queue_subscribers.py
                                    # PostgreSQL + Redis (a private redis-server; the production path)
    .venv/bin/python bench/queue_subscribers.py --broadcast memory://
                                    # SQLite in a temporary directory + the in-process broadcast

    ... --subscribers 5000 --servers 2  # two web processes sharing the subscribers through Redis

Targets: event-to-client latency p99 <= 250 ms; server memory <= 30 KiB per connection
(5,000 subscribers over two web processes at 10 sales/s).

1. Seeds through the services (rows exactly as the app makes them): one self-operated
   merchant's retail product granting one voucher per unit for its wholesale twin; a
   reserve seller with `--reserve` queued units at the head; `--subscribers` sellers with
   one queued unit each behind them (each bought a retail unit for the voucher, then a
   wholesale unit consigned at payment); a retail buyer with money; a session (bearer
   token) per seller. `--state FILE` keeps that database for later runs (PostgreSQL).
2. Broadcast: by default a redis-server of its own on a free port. Redis pub/sub channels
   are global to a server whatever the database number in the URL, so on a shared Redis
   other processes' `queue:<id>` events (tests, other benches) would reach these
   subscribers and move their positions, and this bench's events would reach theirs.
   `--broadcast redis://...` uses a given Redis, `--broadcast memory://` the in-process one.
3. Starts `--servers` uvicorn processes (default 1; the harness of bench/graphql_vs_bare.py) serving
   `bench.queue_subscribers:app`: the real app plus read-outs under /bench/ (commit stamps,
   GC pauses, where the subscription generators wait, tracemalloc). One server is pinned to
   the last CPU; several are pinned only when the machine has a CPU left for the clients.
   Connections go to the servers in turn; CPU and memory are the servers' together.
4. Reads the server's VmRSS, then client processes (pinned to the other CPUs; websockets,
   permessage-deflate offered as browsers do) open one graphql-transport-ws connection per
   seller, authenticated in connection_init, and subscribe to myQueuePositions; VmRSS again
   once every connection has its first update, and after `--settle` idle seconds (no forced GC).
5. The seller makes `--rate` retail purchases per second for `--duration` seconds (open
   loop: sale i starts at t0 + i/rate), each taking the head of the queue. `--seller
   service` (default with Redis): in this process through services.orders.checkout and
   services.orders.payments, publishing to Redis like another server process would; `--seller
   graphql` (needed with memory://): placeOrder + payWithWallet over HTTP to the server.
   A sale's commit time is stamped where its `sold` event is published, right after the
   commit; clients stamp each message as they read it (same clock, one machine).
6. Every subscriber is behind every unit sold, so it must hear of every sale: an update
   showing position p tells it of the first p0 - p sales (one update may cover several).
   Latency of each (subscriber, sale) pair = arrival of the first update covering it -
   the sale's commit. Reports p50/p95/p99/max, pairs delivered of expected, messages,
   stream errors (SLOW_CONSUMER), server CPU (and per message), GC pauses, how late the
   client's own loop ran, memory per connection, and a timeline.

Experiments: `--patch-graphql-memo` (graphql-core's per-event memo, see
patch_per_event_memo), `--code-overlay DIR` (A/B against a copy of some packages),
`--tracemalloc N`, `--no-compression`. Not a test: it never fails on timing.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import math
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.graphql_vs_bare import (
    configure_environment,
    cpu_seconds,
    free_port,
    pin_prefixes,
    prepare_database,
    start_server,
    stop_server,
    wait_ready,
)
from schema.node import encode

POSITIONS = (
    "subscription($p: ID!) { myQueuePositions(productId: $p) { positions { position unit { id } } soldUnitIds } }"
)
PLACE = "mutation($i: PlaceOrderInput!) { placeOrder(input: $i) { payment { id } errors { code message } } }"
PAY = "mutation($p: ID!) { payWithWallet(paymentId: $p) { payment { status } errors { code message } } }"
RETAIL_PRICE, WHOLESALE_PRICE = 1000, 300
SERVER_APP = "bench.queue_subscribers:app"
RUN = uuid.uuid4().hex[:8]  # in the sales' idempotency keys: a kept database (--state) serves several runs


# --------------------------------------------------------------------------- commit stamps


def install_stamper(stamps: dict[int, float]) -> None:
    """Record, per queue key, when its `sold` event is published: right after the commit
    (services.core.events.unit_of_work publishes the events of a unit of work once it commits)."""
    from services.core import events

    original = events.publish_now

    async def publish_now(channel: str, message: str) -> None:
        if channel.startswith("queue:") and '"type":"sold"' in message:
            stamps[int(json.loads(message)["key"])] = time.time()
        await original(channel, message)

    events.publish_now = publish_now


def patch_per_event_memo() -> None:
    """Experiment (--patch-graphql-memo): graphql-core 3.3.2's per-event executor is a shallow
    copy of the subscription's executor and so shares its `_relevant_sub_fields` memo, keyed
    by the id of field lists that are new at every event: each event adds entries that live
    as long as the subscription (~2 KiB per event and subscriber). A fresh memo per event."""
    from graphql.execution.executor import Executor

    original = Executor.build_per_event_executor

    def build_per_event_executor(self, payload):
        executor = original(self, payload)
        executor._relevant_sub_fields = {}
        return executor

    Executor.build_per_event_executor = build_per_event_executor


def build_server_app():
    """The real app (as bench/bench_app.py builds it) plus the bench's read-outs."""
    if os.environ.get("BENCH_CODE_OVERLAY"):  # --code-overlay: its packages shadow the project's
        sys.path.insert(0, os.environ["BENCH_CODE_OVERLAY"])
    from starlette.responses import JSONResponse

    from bench.bench_app import build

    stamps: dict[int, float] = {}
    install_stamper(stamps)
    if os.environ.get("BENCH_PATCH_GRAPHQL_MEMO"):
        patch_per_event_memo()
    pauses: list[tuple[float, int, float]] = []  # (wall time at the end, generation, seconds) of each collection
    started: list[float] = []

    def gc_timer(phase: str, info: dict) -> None:
        if phase == "start":
            started[:] = [time.perf_counter()]
        elif started:
            pauses.append((time.time(), info["generation"], time.perf_counter() - started[0]))

    gc.callbacks.append(gc_timer)

    async def gc_route(request):
        since = float(request.query_params.get("since", "0"))
        return JSONResponse([p for p in pauses if p[0] >= since])

    async def stamps_route(request):
        return JSONResponse({str(k): t for k, t in stamps.items()})

    async def memory_route(request):
        import tracemalloc

        gc_counts = gc.get_count()
        if not tracemalloc.is_tracing():
            return JSONResponse({"tracing": False, "gc": gc_counts})
        snapshot = tracemalloc.take_snapshot().filter_traces([tracemalloc.Filter(False, tracemalloc.__file__)])
        group = request.query_params.get("by", "lineno")
        top = snapshot.statistics(group)[: int(request.query_params.get("top", "30"))]
        return JSONResponse(
            {
                "tracing": True,
                "gc": gc_counts,
                "traced": tracemalloc.get_traced_memory()[0],
                "top": [{"where": str(s.traceback), "size": s.size, "count": s.count} for s in top],
            }
        )

    async def generators_route(request):
        """Where the subscriptions' async generators are suspended: `file:line` -> count."""
        import collections
        import types

        where = collections.Counter(
            f"{g.ag_code.co_name} {g.ag_frame.f_code.co_filename.rsplit('/', 1)[-1]}:{g.ag_frame.f_lineno}"
            for g in gc.get_objects()
            if isinstance(g, types.AsyncGeneratorType)
            and g.ag_frame is not None
            and g.ag_code.co_name in ("_positions", "my_queue_positions")
        )
        return JSONResponse(dict(where.most_common()))

    async def objects_route(request):
        """Live objects by type, tasks by coroutine, and async generators by function (gc-tracked
        objects only: ints, strings and bytes are not counted)."""
        import asyncio
        import collections
        import sys as _sys
        import types

        kinds: collections.Counter[str] = collections.Counter()
        sizes: collections.Counter[str] = collections.Counter()
        for obj in gc.get_objects():
            name = type(obj).__qualname__
            if isinstance(obj, types.AsyncGeneratorType):
                name = f"async_generator {obj.ag_code.co_qualname}"
            elif isinstance(obj, types.CoroutineType):
                name = f"coroutine {obj.cr_code.co_qualname}"
            kinds[name] += 1
            sizes[name] += _sys.getsizeof(obj)
        tasks = collections.Counter(getattr(t.get_coro(), "__qualname__", "?") for t in asyncio.all_tasks())
        return JSONResponse({"count": dict(kinds), "bytes": dict(sizes), "tasks": dict(tasks)})

    profiler: list = []

    async def profile_route(request):
        """POST start / POST stop?top=N: cProfile of the server while selling (--profile)."""
        import cProfile
        import io
        import pstats

        if request.query_params.get("action") == "start":
            profiler[:] = [cProfile.Profile()]
            profiler[0].enable()
            return JSONResponse({"started": True})
        profiler[0].disable()
        out = io.StringIO()
        pstats.Stats(profiler[0], stream=out).sort_stats("tottime").print_stats(
            int(request.query_params.get("top", 30))
        )
        return JSONResponse({"stats": out.getvalue()})

    application = build()
    application.router.add_route("/bench/profile", profile_route, methods=["GET"])
    application.router.add_route("/bench/objects", objects_route, methods=["GET"])
    application.router.add_route("/bench/stamps", stamps_route, methods=["GET"])
    application.router.add_route("/bench/generators", generators_route, methods=["GET"])
    application.router.add_route("/bench/gc", gc_route, methods=["GET"])
    application.router.add_route("/bench/memory", memory_route, methods=["GET"])
    return application


def __getattr__(name: str):
    """`uvicorn bench.queue_subscribers:app`: built on first access, in the server only."""
    if name == "app":
        application = build_server_app()
        globals()["app"] = application
        return application
    raise AttributeError(name)


# --------------------------------------------------------------------------- seeding


@dataclass
class Seeded:
    product_id: int  # the wholesale product (its queue)
    retail_sku_id: int
    buyer_id: int
    buyer_address_id: int
    buyer_token: str
    reserve: int  # queue keys 1..reserve are the reserve seller's units, ahead of every subscriber
    sellers: list[tuple[str, int]]  # (access token, queued unit id), queue order


async def reserve_left(seeded: Seeded) -> int:
    """Reserve units still queued (a database kept with --state loses some at every run)."""
    from tortoise import Tortoise

    import settings
    import wiring
    from models.consignment import WholesaleUnit

    wiring.install()

    await Tortoise.init(config=settings.TORTOISE_ORM, _enable_global_fallback=True)
    try:
        return await WholesaleUnit.filter(
            product_id=seeded.product_id, status="QUEUED", queue_key__lte=seeded.reserve
        ).count()
    finally:
        await Tortoise.close_connections()


async def seed(subscribers: int, reserve: int, concurrency: int) -> Seeded:
    """Everything through the services, as the app does it (tests' factories)."""
    from tortoise import Tortoise

    import settings
    from models.consignment import WholesaleUnit
    from services.accounts import auth
    from services.orders import payments
    from tests import helpers
    from tests.order_factories import make_buyer, make_consignment_pair, place

    next(helpers.PHONE_SEQ)  # the first test phone number is prepare_database's admin's
    import wiring

    wiring.install()
    await Tortoise.init(config=settings.TORTOISE_ORM, _enable_global_fallback=True)
    try:
        _, retail, wholesale = await make_consignment_pair(
            retail_price=RETAIL_PRICE,
            wholesale_price=WHOLESALE_PRICE,
            vouchers=1,
            stock=10 * (subscribers + reserve) + 100_000,
        )
        gate = asyncio.Semaphore(concurrency)

        async def buy(user, address, sku_id: int, quantity: int, consign: bool = False) -> None:
            placed = await place(user, address, [(sku_id, quantity)], consign_wholesale=consign)
            await payments.pay_with_wallet(user.id, placed.payment.id)

        async def new_seller(i: int, quantity: int):
            async with gate:
                user, address = await make_buyer(f"卖家{i:05d}", wallet=quantity * (RETAIL_PRICE + WHOLESALE_PRICE))
                await buy(user, address, retail.id, quantity)  # earns the vouchers; the queue is still empty
                return user, address

        async def consign(user, address, quantity: int) -> None:
            async with gate:
                await buy(user, address, wholesale.id, quantity, consign=True)

        # Every retail purchase happens before anyone consigns: no seller's own purchase
        # takes a unit off the queue being built.
        reserve_seller = await new_seller(0, reserve)
        sellers = await asyncio.gather(*(new_seller(i, 1) for i in range(1, subscribers + 1)))
        await consign(*reserve_seller, reserve)  # the head of the queue, sold during the run
        await asyncio.gather(*(consign(user, address, 1) for user, address in sellers))

        async def token(user) -> str:
            async with gate:
                return (await auth.start_session(user, "SMS", auth.ClientInfo(), False)).access_token

        tokens = await asyncio.gather(*(token(user) for user, _ in sellers))
        units = dict(
            await WholesaleUnit.filter(owner_id__in=[u.id for u, _ in sellers], status="QUEUED").values_list(
                "owner_id", "id"
            )
        )
        keys = dict(await WholesaleUnit.filter(id__in=list(units.values())).values_list("id", "queue_key"))
        ordered = sorted(((tok, units[user.id]) for tok, (user, _) in zip(tokens, sellers)), key=lambda p: keys[p[1]])
        buyer, buyer_address = await make_buyer("零售买家", wallet=1_000_000_000)
        buyer_token = (await auth.start_session(buyer, "SMS", auth.ClientInfo(), False)).access_token
        queued = await WholesaleUnit.filter(product_id=wholesale.product_id, status="QUEUED").count()
        if queued != subscribers + reserve or len(ordered) != subscribers:
            raise SystemExit(
                f"seeding: {queued} queued units, {len(ordered)} sellers; expected {subscribers + reserve}"
            )
        if settings.IS_POSTGRES:
            from tortoise import connections

            await connections.get("default").execute_script("ANALYZE")
        return Seeded(wholesale.product_id, retail.id, buyer.id, buyer_address.id, buyer_token, reserve, ordered)
    finally:
        await Tortoise.close_connections()


# --------------------------------------------------------------------------- clients


async def _subscribe(url: str, token: str, product_id: int, compression: str | None):
    """One graphql-transport-ws connection subscribed to myQueuePositions: (ws, first update)."""
    from websockets.asyncio.client import connect

    ws = await connect(
        url,
        subprotocols=["graphql-transport-ws"],
        compression=compression,
        ping_interval=None,
        open_timeout=120,
        close_timeout=2,
        max_queue=None,
    )
    await ws.send(json.dumps({"type": "connection_init", "payload": {"authorization": f"Bearer {token}"}}))
    ack = json.loads(await ws.recv())
    if ack.get("type") != "connection_ack":
        raise RuntimeError(f"no connection_ack: {ack}")
    await ws.send(
        json.dumps(
            {
                "id": "1",
                "type": "subscribe",
                "payload": {"query": POSITIONS, "variables": {"p": encode("Product", product_id)}},
            }
        )
    )
    while True:
        message = json.loads(await ws.recv())
        if message.get("type") == "ping":
            await ws.send('{"type":"pong"}')
            continue
        if message.get("type") != "next" or message["payload"].get("errors"):
            raise RuntimeError(f"subscription refused: {message}")
        return ws, message["payload"]["data"]["myQueuePositions"]


def _position(update: dict) -> int | None:
    positions = update["positions"]
    return positions[0]["position"] if positions else None


async def warm_up(url: str, token: str, product_id: int, compression: str | None) -> None:
    """One subscription before the memory baseline: lazy imports and caches are not per connection."""
    ws, _ = await _subscribe(url, token, product_id, compression)
    await ws.close()


def client_main(spec_path: str) -> None:
    """A client process: its share of the connections; talks to the parent over stdin/stdout.

    stdout: `READY <ok> <failed>` once every connection has its first update; on stdin
    `COUNT` -> `COUNT <(subscriber, sale) pairs heard of>`; `STOP` -> writes the results file, then `DONE`."""
    spec = json.loads(Path(spec_path).read_text())
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))

    async def main() -> None:
        gate = asyncio.Semaphore(spec["connect_concurrency"])
        conns: list[dict] = []
        counter = {"covered": 0}  # (subscriber, sale) pairs heard of
        failures: list[str] = []

        async def read(ws, conn: dict) -> None:
            times, positions = conn["t"], conn["p"]
            try:
                async for raw in ws:
                    now = time.time()
                    message = json.loads(raw)
                    kind = message.get("type")
                    if kind == "next":
                        payload = message["payload"]
                        if payload.get("errors"):
                            conn["errors"].append(payload["errors"][0].get("extensions", {}).get("code", "?"))
                            conn["error_at"] = now
                            continue
                        update = payload["data"]["myQueuePositions"]
                        times.append(now)
                        positions.append(_position(update))
                        if update["soldUnitIds"]:
                            conn["sold"] += 1
                        if positions[-1] is not None and conn["p0"] is not None:
                            counter["covered"] += conn["p0"] - positions[-1] - conn["covered"]
                            conn["covered"] = conn["p0"] - positions[-1]
                    elif kind == "ping":
                        await ws.send('{"type":"pong"}')
                    elif kind in ("error", "complete"):
                        conn["errors"].append(kind)
            except Exception as exc:  # connection closed by the server, etc.
                conn["errors"].append(f"closed: {exc.__class__.__name__}")

        async def open_one(url: str, token: str, unit_id: int) -> None:
            async with gate:
                try:
                    ws, first = await _subscribe(url, token, spec["product_id"], spec["compression"])
                except Exception as exc:
                    failures.append(f"{exc.__class__.__name__}: {exc}"[:200])
                    return
            mine = [p for p in first["positions"] if p["unit"]["id"] == encode("WholesaleUnit", unit_id)]
            conn = {
                "unit": unit_id,
                "p0": mine[0]["position"] if mine else None,
                "t": [],
                "p": [],
                "sold": 0,
                "covered": 0,
                "subscribed_at": time.time(),
                "errors": [] if mine else ["first update lacks the unit"],
                "ws": ws,
            }
            conn["task"] = asyncio.create_task(read(ws, conn))
            conns.append(conn)

        cpu0 = time.process_time()
        urls = spec["urls"]  # connection i to server i mod n, as a load balancer spreads them
        await asyncio.gather(
            *(open_one(urls[i % len(urls)], token, unit_id) for i, (token, unit_id) in enumerate(spec["sellers"]))
        )
        print(f"READY {len(conns)} {len(failures)}", flush=True)
        loop = asyncio.get_running_loop()
        lags: list[float] = []  # how late this client's loop runs: its receive stamps are that late too

        async def probe() -> None:
            while True:
                t = loop.time()
                await asyncio.sleep(0.05)
                lags.append(loop.time() - t - 0.05)

        prober = asyncio.create_task(probe())
        while True:
            line = (await loop.run_in_executor(None, sys.stdin.readline)).strip()
            if line == "COUNT":
                print(f"COUNT {counter['covered']}", flush=True)
            elif line in ("STOP", ""):
                break
        cpu = time.process_time() - cpu0
        prober.cancel()
        out = {
            "cpu": cpu,
            "failures": failures,
            "lags": lags,
            "conns": [{k: v for k, v in c.items() if k not in ("ws", "task")} for c in conns],
        }
        Path(spec["out"]).write_text(json.dumps(out))
        for conn in conns:
            conn["task"].cancel()
            conn["ws"].transport.abort()  # no closing handshakes: the server is measured no more
        print("DONE", flush=True)

    asyncio.run(main())


class Clients:
    """The client processes: each gets a slice of the sellers."""

    def __init__(self, args, tmp: Path, urls: list[str], seeded: Seeded, prefix: list[str]) -> None:
        self.procs: list[subprocess.Popen] = []
        self.outs: list[Path] = []
        n = args.client_procs
        for i in range(n):
            out, spec_path = tmp / f"client{i}.json", tmp / f"client{i}.spec.json"
            spec_path.write_text(
                json.dumps(
                    {
                        "urls": urls[i:] + urls[:i],  # over all client processes too
                        "product_id": seeded.product_id,
                        "sellers": seeded.sellers[i::n],
                        "out": str(out),
                        "connect_concurrency": max(1, args.connect_concurrency // n),
                        "compression": "deflate" if args.compression else None,
                    }
                )
            )
            self.outs.append(out)
            self.procs.append(
                subprocess.Popen(
                    [*prefix, sys.executable, str(Path(__file__).resolve()), "--client-worker", str(spec_path)],
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                    text=True,
                    cwd=ROOT,
                )
            )

    def _ask(self, proc: subprocess.Popen, line: str | None, expect: str) -> list[str]:
        if line is not None:
            proc.stdin.write(line + "\n")
            proc.stdin.flush()
        while True:
            answer = proc.stdout.readline()
            if not answer:
                raise SystemExit(f"client process {proc.pid} ended (exit {proc.wait()})")
            if answer.startswith(expect):
                return answer.split()[1:]

    def wait_ready(self) -> tuple[int, int]:
        ok = failed = 0
        for proc in self.procs:
            a, b = self._ask(proc, None, "READY")
            ok, failed = ok + int(a), failed + int(b)
        return ok, failed

    def count(self) -> int:
        return sum(int(self._ask(proc, "COUNT", "COUNT")[0]) for proc in self.procs)

    def stop(self) -> list[dict]:
        results = []
        for proc, out in zip(self.procs, self.outs):
            self._ask(proc, "STOP", "DONE")
            proc.wait(timeout=60)
            results.append(json.loads(out.read_text()))
        return results

    def kill(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()


# --------------------------------------------------------------------------- the seller


async def sell_with_services(
    seeded: Seeded, broadcast_url: str, rate: float, duration: float
) -> tuple[dict[int, float], list[str]]:
    """Retail sales in this process, like another server process: its events go to Redis."""
    from tortoise import Tortoise

    import settings
    import wiring
    from services.core import events
    from services.orders import checkout, payments
    from subscriptions.hub import create_broadcast

    wiring.install()

    await Tortoise.init(config=settings.TORTOISE_ORM, _enable_global_fallback=True)
    broadcast = create_broadcast(broadcast_url, settings.SUBSCRIBER_QUEUE_SIZE)
    await broadcast.connect()
    events.set_publisher(broadcast.publish)
    stamps: dict[int, float] = {}
    install_stamper(stamps)
    errors: list[str] = []

    async def sale(i: int) -> None:
        try:
            placed = await checkout.place_order(
                seeded.buyer_id,
                checkout.CheckoutRequest(
                    idempotency_key=f"bench-sale-{RUN}-{i}",
                    items=(checkout.LineRequest(seeded.retail_sku_id, 1),),
                    address_id=seeded.buyer_address_id,
                ),
            )
            await payments.pay_with_wallet(seeded.buyer_id, placed.payment.id)
        except Exception as exc:
            errors.append(f"{exc.__class__.__name__}: {exc}"[:200])

    try:
        await _open_loop(sale, rate, duration)
    finally:
        events.set_publisher(None)
        await broadcast.disconnect()
        await Tortoise.close_connections()
    return stamps, errors


async def sell_with_graphql(seeded: Seeded, base: str, rate: float, duration: float) -> list[str]:
    """Retail sales through the server's GraphQL API; the server records the commit times
    (read from GET /bench/stamps once the updates have drained: a sale whose request timed
    out here may still commit)."""
    import httpx

    errors: list[str] = []
    headers = {"Authorization": f"Bearer {seeded.buyer_token}"}
    async with httpx.AsyncClient(base_url=base, headers=headers, timeout=60.0) as client:

        async def call(query: str, variables: dict, field: str) -> dict:
            body = (await client.post("/graphql", json={"query": query, "variables": variables})).json()
            result = (body.get("data") or {}).get(field) or {}
            if body.get("errors") or result.get("errors"):
                raise RuntimeError(str(body.get("errors") or result["errors"]))
            return result

        async def sale(i: int) -> None:
            try:
                placed = await call(
                    PLACE,
                    {
                        "i": {
                            "idempotencyKey": f"bench-sale-{RUN}-{i}",
                            "items": [{"skuId": encode("Sku", seeded.retail_sku_id), "quantity": 1}],
                            "addressId": encode("Address", seeded.buyer_address_id),
                        }
                    },
                    "placeOrder",
                )
                await call(PAY, {"p": placed["payment"]["id"]}, "payWithWallet")
            except Exception as exc:
                errors.append(f"{exc.__class__.__name__}: {exc}"[:200])

        await _open_loop(sale, rate, duration)
    return errors


async def _open_loop(sale, rate: float, duration: float) -> None:
    """Sale i starts at t0 + i/rate, whether or not the previous ones have finished."""
    count = max(1, round(rate * duration))
    t0 = time.perf_counter()
    tasks = []
    for i in range(count):
        delay = t0 + i / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(sale(i)))
    await asyncio.gather(*tasks)


# --------------------------------------------------------------------------- measuring


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def servers_cpu(pids: list[int]) -> float | None:
    """CPU seconds of the server processes together."""
    seconds = [cpu_seconds(pid) for pid in pids]
    return None if None in seconds else sum(seconds)


def servers_rss(pids: list[int]) -> int:
    return sum(rss_kib(pid) for pid in pids)


def percentile(sorted_values: list[float], q: float) -> float:
    if not sorted_values:
        return float("nan")
    index = math.ceil(q / 100 * len(sorted_values)) - 1  # nearest rank
    return sorted_values[min(len(sorted_values) - 1, max(0, index))]


def analyse(results: list[dict], stamps: dict[int, float], reserve: int) -> dict:
    """Every subscriber is behind every unit sold, so an update showing position p tells it
    of the first k = p0 - p sales. Latency of each (subscriber, sale) pair: when the first
    update covering that sale arrived, minus the sale's commit. An update may cover several
    sales (a subscriber that fell behind gets one update for all the events queued for it)."""
    commits = [t for _, t in sorted(stamps.items())]
    sold_keys = sorted(stamps)
    if sold_keys and sold_keys[-1] > reserve:
        raise SystemExit(f"a sale took queue key {sold_keys[-1]}: past the reserve ({reserve}); raise --reserve")
    latencies: list[float] = []
    by_sale: list[list[float]] = [[] for _ in commits]  # the latencies of sale k's notifications
    anomalies = {"position out of range": 0, "position went back": 0}
    errors: dict[str, int] = {}
    subscribers = messages = batched = 0
    for result in results:
        for conn in result["conns"]:
            subscribers += 1
            messages += len(conn["t"])
            for e in conn["errors"]:
                errors[e] = errors.get(e, 0) + 1
            covered = 0  # sales this subscriber has heard of
            for t, p in zip(conn["t"], conn["p"]):
                k = conn["p0"] - p if p is not None and conn["p0"] is not None else None
                if k is None or not 1 <= k <= len(commits):
                    anomalies["position out of range"] += 1
                    continue
                if k <= covered:
                    anomalies["position went back"] += 1
                    continue
                batched += k - covered > 1
                for j in range(covered, k):
                    latencies.append(t - commits[j])
                    by_sale[j].append(latencies[-1])
                covered = k
    latencies.sort()
    return {
        "commits": commits,
        "by_sale": by_sale,
        "subscribers": subscribers,
        "sales": len(commits),
        "received": len(latencies),
        "expected": subscribers * len(commits),
        "messages": messages,
        "batched": batched,
        "latencies": latencies,
        "anomalies": anomalies,
        "errors": errors,
        "client_cpu": sum(r["cpu"] for r in results),
        "connect_failures": sum(len(r["failures"]) for r in results),
        "client_lags": sorted(x for r in results for x in r["lags"]),
    }


def _get_json(url: str, params: dict | None = None):
    import httpx

    try:
        return httpx.get(url, params=params, timeout=300.0).json()
    except httpx.HTTPError:
        return None


def fetch_memory_top(base: str) -> dict | None:
    return _get_json(f"{base}/bench/memory", {"top": 400})


def print_memory_top(label: str, snapshot: dict | None, baseline: dict | None, connections: int) -> None:
    """The source lines whose traced memory grew most since the baseline (before connecting)."""
    if not snapshot or not snapshot.get("tracing") or not baseline:
        return
    before = {row["where"]: row["size"] for row in baseline["top"]}
    growth = sorted(((row["size"] - before.get(row["where"], 0), row) for row in snapshot["top"]), key=lambda g: -g[0])
    total = snapshot["traced"] - baseline["traced"]
    print(
        f"\ntracemalloc, {label}: traced memory +{total / 2**20:.1f} MiB since before connecting "
        f"({total / 1024 / max(connections, 1):.1f} KiB per connection); lines that grew most:"
    )
    for grew, row in growth[:20]:
        print(f"  {grew / 1024 / max(connections, 1):8.2f} KiB/conn  {row['count']:8d} blocks  {row['where']}")


# --------------------------------------------------------------------------- main


def start_private_redis(tmp: Path) -> tuple[subprocess.Popen, str]:
    """A Redis of the bench's own. Pub/sub channels are global to a Redis server (the
    database number in the URL does not separate them), so on a shared Redis other
    processes' `queue:<id>` / `user:<id>` / `admin` events would reach these subscribers
    and this bench's events theirs."""
    port = free_port()
    proc = subprocess.Popen(
        [
            "redis-server",
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(tmp),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
    )
    from redis import Redis

    url = f"redis://127.0.0.1:{port}/0"
    for _ in range(100):
        try:
            Redis.from_url(url).ping()
            return proc, url
        except Exception:
            time.sleep(0.05)
    proc.kill()
    raise SystemExit("redis-server did not start")


def machine_cpu() -> tuple[float, float, int]:
    """(busy jiffies, all jiffies) of the whole machine, and processes runnable now (/proc/stat)."""
    busy = total = 0.0
    running = 0
    for line in Path("/proc/stat").read_text().splitlines():
        if line.startswith("cpu "):
            values = [float(v) for v in line.split()[1:]]
            total = sum(values[:8])
            busy = total - values[3] - values[4]  # minus idle and iowait
        elif line.startswith("procs_running"):
            running = int(line.split()[1])
    return busy, total, running


class CpuSampler:
    """Every 0.25 s (wall time.time()): the server's CPU seconds and the machine's load, in a thread."""

    def __init__(self, pids: list[int]) -> None:
        import threading

        self.pids, self.samples, self._stop = pids, [], threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            self.samples.append((time.time(), servers_cpu(self.pids) or 0.0, *machine_cpu()))
            self._stop.wait(0.25)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    def window(self, t0: float, t1: float) -> tuple[float, float, float]:
        """Between t0 and t1: the server's share of one CPU, the machine's busy share (all
        CPUs), the mean number of runnable processes."""
        inside = [s for s in self.samples if t0 <= s[0] <= t1]
        if len(inside) < 2:
            return float("nan"), float("nan"), float("nan")
        (w0, c0, b0, a0, _), (w1, c1, b1, a1, _) = inside[0], inside[-1]
        return (c1 - c0) / (w1 - w0), (b1 - b0) / max(a1 - a0, 1), statistics.fmean(s[4] for s in inside)


def print_timeline(report: dict, results: list[dict], sampler: CpuSampler, step: float) -> None:
    """Per `step` seconds of the run: sales committed, their updates' latency, updates
    delivered and the server's CPU."""
    commits = report["commits"]
    if not commits:
        return
    start = commits[0]
    received = [t for r in results for c in r["conns"] for t in c["t"]]
    end = max(received + commits)
    print(
        f"\n{'window s':>10} {'sales':>6} {'p50 ms':>8} {'p99 ms':>8} {'msgs/s':>10} {'srv CPU':>8} "
        f"{'machine':>8} {'runnable':>9}"
    )
    t = start
    while t < end:
        ks = [k for k, c in enumerate(commits) if t <= c < t + step]
        lat = sorted(x for k in ks for x in report["by_sale"][k])
        delivered = sum(1 for x in received if t <= x < t + step)
        p50 = f"{percentile(lat, 50) * 1e3:8.0f}" if lat else f"{'-':>8}"
        p99 = f"{percentile(lat, 99) * 1e3:8.0f}" if lat else f"{'-':>8}"
        server, machine, runnable = sampler.window(t, t + step)
        print(
            f"{t - start:4.0f}-{t - start + step:<5.0f} {len(ks):6d} {p50} {p99} {delivered / step:10.0f} "
            f"{server * 100:7.0f}% {machine * 100:7.0f}% {runnable:9.1f}"
        )
        t += step


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--subscribers", type=int, default=2000, help="WebSocket subscribers, one seller each (default 2000)"
    )
    parser.add_argument("--rate", type=float, default=10.0, help="retail sales per second (default 10)")
    parser.add_argument("--duration", type=float, default=30.0, help="seconds of selling (default 30)")
    parser.add_argument("--reserve", type=int, help="queued units ahead of the subscribers (default: the sales + 10%%)")
    parser.add_argument(
        "--settle",
        type=float,
        default=5.0,
        help="seconds idle after subscribing before the second RSS reading (default 5)",
    )
    parser.add_argument(
        "--drain",
        type=float,
        default=60.0,
        help="at most this many seconds after the last sale for updates to arrive (default 60)",
    )
    parser.add_argument(
        "--broadcast",
        default="redis",
        help="redis (default: a private redis-server on a free port), a redis:// URL, or memory:// (one process)",
    )
    parser.add_argument(
        "--seller",
        choices=["auto", "service", "graphql"],
        default="auto",
        help="sales through the services in this process (Redis only) or the server's GraphQL (auto: service with Redis)",
    )
    parser.add_argument(
        "--client-procs", type=int, default=1, help="client processes sharing the connections (default 1)"
    )
    parser.add_argument(
        "--connect-concurrency", type=int, default=50, help="connections being opened at once (default 50)"
    )
    parser.add_argument("--seed-concurrency", type=int, default=16, help="sellers seeded at once (default 16)")
    parser.add_argument(
        "--state",
        type=Path,
        help="PostgreSQL only: keep the seeded database and its tokens in this file; "
        "a later run with the same file sells from the remaining reserve instead of seeding again",
    )
    parser.add_argument(
        "--compression",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="clients offer permessage-deflate, as browsers do (default on)",
    )
    parser.add_argument(
        "--server-deflate",
        action=argparse.BooleanOptionalAction,
        default=False,
        help="the server accepts permessage-deflate (default off, as the Procfile serves)",
    )
    parser.add_argument(
        "--server-ws",
        default="auto",
        choices=["auto", "websockets", "websockets-sansio", "wsproto"],
        help="uvicorn's WebSocket implementation (--ws; default auto)",
    )
    parser.add_argument(
        "--timeline", type=float, default=5.0, help="seconds per line of the timeline (0: none; default 5)"
    )
    parser.add_argument(
        "--tracemalloc",
        type=int,
        default=0,
        metavar="FRAMES",
        help="run the server under tracemalloc with this many frames and print the top allocations (slow)",
    )
    parser.add_argument(
        "--patch-graphql-memo",
        action="store_true",
        help="experiment: give graphql-core's per-event executors their own memo (see patch_per_event_memo)",
    )
    parser.add_argument(
        "--code-overlay",
        type=Path,
        metavar="DIR",
        help="A/B runs: packages in DIR (e.g. a copy of subscriptions/ as it was) shadow the project's in the server",
    )
    parser.add_argument(
        "--pin",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="pin the server to the last CPU, clients and seller to the others (default on)",
    )
    parser.add_argument(
        "--servers",
        type=int,
        default=1,
        help="web processes sharing the subscribers through the Redis broadcast (default 1); each pinned to a "
        "CPU of its own when there are more CPUs than servers, otherwise not pinned",
    )
    parser.add_argument("--objects", action="store_true", help="print the live objects and tasks each connection holds")
    parser.add_argument(
        "--profile", type=int, default=0, metavar="N", help="print the N functions of most own time (cProfile; slow)"
    )
    parser.add_argument("--client-worker", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.client_worker:
        client_main(args.client_worker)
        return
    redis = args.broadcast == "redis" or args.broadcast.startswith(("redis://", "rediss://"))
    if args.seller == "auto":
        args.seller = "service" if redis else "graphql"
    if args.seller == "service" and not redis:
        raise SystemExit(
            "--seller service needs a Redis broadcast: the in-memory one does not leave the server process"
        )
    reserve = args.reserve or int(args.rate * args.duration * 1.1) + 10

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))  # inherited by the server and the clients
    if hard < args.subscribers + 200:
        print(f"warning: RLIMIT_NOFILE hard limit {hard} < subscribers", file=sys.stderr)
    server_prefix, client_prefix = pin_prefixes(args.pin)
    if args.servers > 1 and not redis:
        raise SystemExit("--servers > 1 needs a Redis broadcast")
    if args.servers > 1 and server_prefix and args.servers >= len(os.sched_getaffinity(0)):
        server_prefix, client_prefix = [], []  # not enough CPUs to keep servers and clients apart

    tmp = Path(tempfile.mkdtemp(prefix="socialmall-bench-queue-"))
    redis_proc = None
    if args.broadcast == "redis":
        redis_proc, args.broadcast = start_private_redis(tmp)
    try:
        run(args, tmp, redis, reserve, server_prefix, client_prefix)
    finally:
        if redis_proc is not None:
            redis_proc.terminate()
            redis_proc.wait()
    if os.environ.get("BENCH_KEEP"):
        print(f"kept       {tmp}")
    else:
        import shutil

        shutil.rmtree(tmp, ignore_errors=True)


def run(args, tmp: Path, redis: bool, reserve: int, server_prefix: list[str], client_prefix: list[str]) -> None:
    env = configure_environment(tmp)
    os.environ["BROADCAST_URL"] = env["BROADCAST_URL"] = args.broadcast
    os.environ["REDIS_URL"] = env["REDIS_URL"] = args.broadcast if redis else ""
    if args.tracemalloc:
        env["PYTHONTRACEMALLOC"] = str(args.tracemalloc)
    if args.patch_graphql_memo:
        env["BENCH_PATCH_GRAPHQL_MEMO"] = "1"
    if args.code_overlay:
        env["BENCH_CODE_OVERLAY"] = str(args.code_overlay.resolve())

    import settings

    if args.state and not settings.IS_POSTGRES:
        raise SystemExit("--state needs DATABASE_URL=postgres://... (the SQLite file is temporary)")
    db = settings.DATABASE_URL.split("://", 1)[0] + "://" + settings.DATABASE_URL.split("@")[-1].split("://")[-1]
    print(f"database   {db}; broadcast {args.broadcast}")
    if args.state and args.state.exists():
        saved = json.loads(args.state.read_text())
        if saved["database"] != settings.DATABASE_URL or len(saved["seeded"]["sellers"]) < args.subscribers:
            raise SystemExit(f"{args.state} was seeded for another database or fewer subscribers")
        sellers = [tuple(x) for x in saved["seeded"]["sellers"]][: args.subscribers]  # the first in the queue
        seeded = Seeded(**{**saved["seeded"], "sellers": sellers})
        left = asyncio.run(reserve_left(seeded))
        print(
            f"reused     {args.state}: {args.subscribers} of its {len(saved['seeded']['sellers'])} sellers, "
            f"behind {left} reserve units still queued"
        )
        if left < args.rate * args.duration + 1:
            raise SystemExit("not enough reserve left for this run: delete the state file to seed again")
    else:
        asyncio.run(prepare_database(0))
        started = time.perf_counter()
        seeded = asyncio.run(seed(args.subscribers, reserve, args.seed_concurrency))
        print(
            f"seeded     {args.subscribers} sellers with 1 queued unit each behind {reserve} reserve units "
            f"in {time.perf_counter() - started:.0f} s (services)"
        )
        if args.state:
            args.state.write_text(json.dumps({"database": settings.DATABASE_URL, "seeded": seeded.__dict__}))

    ports = [free_port() for _ in range(args.servers)]
    bases = [f"http://127.0.0.1:{port}" for port in ports]
    urls = [f"ws://127.0.0.1:{port}/graphql" for port in ports]
    base = bases[0]  # the read-outs under /bench/ (stamps, memory) come from the first server
    logs = [tmp / f"server{i}.log" for i in range(args.servers)]
    # As the Procfile serves: permessage-deflate only with --server-deflate.
    extra = ("--ws-per-message-deflate", "true" if args.server_deflate else "false", "--ws", args.server_ws)
    servers = [
        start_server(env, port, log, server_prefix, app=SERVER_APP, extra=extra) for port, log in zip(ports, logs)
    ]
    pids = [server.pid for server in servers]
    clients = sampler = None
    try:
        for server, server_base, log in zip(servers, bases, logs):
            wait_ready(server, server_base, log)
        compression = "deflate" if args.compression else None
        for url in urls:
            asyncio.run(warm_up(url, seeded.sellers[0][0], seeded.product_id, compression))
        time.sleep(1.0)
        pinned = f", pinned to CPU {server_prefix[-1]}" if server_prefix else ", not pinned"
        print(
            f"server     uvicorn, {args.servers} process(es) (pids {' '.join(map(str, pids))}{pinned}), "
            f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs"
            + (f", tracemalloc {args.tracemalloc} frames" if args.tracemalloc else "")
            + (", graphql-core per-event memo PATCHED (experiment)" if args.patch_graphql_memo else "")
            + (f", code overlay {args.code_overlay}" if args.code_overlay else "")
        )
        print(
            f"clients    {args.client_procs} process(es), websockets {_websockets_version()}, "
            f"permessage-deflate {'offered' if args.compression else 'off'} by clients, {'accepted' if args.server_deflate else 'declined'} by the server (uvicorn --ws {args.server_ws}); seller: {args.seller}, "
            f"{args.rate:g}/s for {args.duration:g} s",
            flush=True,
        )
        mem_base = fetch_memory_top(base) if args.tracemalloc else None
        objects_base = _get_json(f"{base}/bench/objects") if args.objects else None
        rss0 = servers_rss(pids)

        t_connect = time.perf_counter()
        clients = Clients(args, tmp, urls, seeded, client_prefix)
        ok, failed = clients.wait_ready()
        connect_seconds = time.perf_counter() - t_connect
        rss1 = servers_rss(pids)
        time.sleep(args.settle)
        rss2 = servers_rss(pids)
        mem_subscribed = fetch_memory_top(base) if args.tracemalloc else None
        if args.objects:
            print_objects(objects_base, _get_json(f"{base}/bench/objects"), ok / args.servers)
        print(f"\nsubscribed {ok} connections ({failed} failed) in {connect_seconds:.1f} s")
        per = lambda rss: (rss - rss0) / max(ok, 1)  # noqa: E731
        print(
            f"server RSS {rss0 / 1024:.1f} MiB before; {rss1 / 1024:.1f} MiB when all subscribed "
            f"({per(rss1):.1f} KiB/connection); {rss2 / 1024:.1f} MiB after {args.settle:g} s idle ({per(rss2):.1f} KiB/connection)",
            flush=True,
        )

        if client_prefix:  # the seller runs here: keep it off the server's CPU
            os.sched_setaffinity(0, {int(c) for c in client_prefix[-1].split(",")})
        if args.profile:
            _get_json(f"{base}/bench/profile", {"action": "start"})
        sampler = CpuSampler(pids)
        cpu0, wall0, epoch0 = servers_cpu(pids), time.perf_counter(), time.time()
        if args.seller == "service":
            stamps, sale_errors = asyncio.run(sell_with_services(seeded, args.broadcast, args.rate, args.duration))
        else:
            stamps, sale_errors = {}, asyncio.run(sell_with_graphql(seeded, base, args.rate, args.duration))
        cpu_sales, wall_sales = servers_cpu(pids), time.perf_counter()
        if args.profile:
            time.sleep(1.0)  # the last sale's updates go out
            print("\nprofile of the first server while selling (cProfile, by own time):")
            print(_get_json(f"{base}/bench/profile", {"action": "stop", "top": args.profile})["stats"])

        def server_stamps() -> dict[int, float]:
            return {int(k): t for k, t in (_get_json(f"{base}/bench/stamps") or {}).items()}

        last, still = -1, wall_sales
        while time.perf_counter() - wall_sales < args.drain:
            received = clients.count()
            if received >= ok * len(stamps if args.seller == "service" else server_stamps()):
                break
            if received != last:
                last, still = received, time.perf_counter()
            elif time.perf_counter() - still > 5.0:
                break  # nothing new for 5 s
            time.sleep(0.5)
        drain_seconds = time.perf_counter() - wall_sales
        if args.seller == "graphql":
            stamps = server_stamps()
        cpu1, wall1, epoch1 = servers_cpu(pids), time.perf_counter(), time.time()
        sampler.stop()
        rss3 = servers_rss(pids)
        gc_pauses = [p for b in bases for p in _get_json(f"{b}/bench/gc", {"since": epoch0}) or []]
        mem_after = fetch_memory_top(base) if args.tracemalloc else None
        results = clients.stop()
    finally:
        if sampler is not None:
            sampler.stop()
        if clients is not None:
            clients.kill()
        for server in servers:
            stop_server(server)

    report = analyse(results, stamps, seeded.reserve)
    lat = report["latencies"]
    ms = lambda q: percentile(lat, q) * 1e3  # noqa: E731
    print(
        f"\nsales      {report['sales']} committed in {wall_sales - wall0:.1f} s ({report['sales'] / (wall_sales - wall0):.1f}/s)"
        + (f"; {len(sale_errors)} failed, e.g. {sale_errors[0]}" if sale_errors else "")
    )
    print(
        f"delivered  {report['received']} of {report['expected']} (subscriber, sale) notifications "
        f"({100 * report['received'] / max(report['expected'], 1):.1f} %) in {report['messages']} messages, "
        f"{report['batched']} of them covering several sales; {drain_seconds:.1f} s to drain after the last sale"
    )
    if any(report["anomalies"].values()) or report["errors"]:
        print(f"           anomalies {report['anomalies']}; stream errors {report['errors']}")
    if lat:
        print(
            f"latency    p50 {ms(50):.0f} ms   p95 {ms(95):.0f} ms   p99 {ms(99):.0f} ms   max {lat[-1] * 1e3:.0f} ms   "
            f"mean {statistics.fmean(lat) * 1e3:.0f} ms   (commit -> client; target p99 <= 250 ms: "
            f"{'met' if ms(99) <= 250 else 'NOT met'})"
        )
    if cpu0 is not None and cpu1 is not None:
        during = (cpu_sales - cpu0) / (wall_sales - wall0) * 100
        total_cpu = cpu1 - cpu0
        _, machine, runnable = sampler.window(epoch0, epoch1)
        print(
            f"server CPU {during:.0f} % of one CPU while selling ({args.servers} process(es) together); {total_cpu:.1f} s in all over {wall1 - wall0:.1f} s "
            f"({total_cpu / max(report['messages'], 1) * 1e6:.0f} us per message sent); machine {machine * 100:.0f} % "
            f"busy ({os.cpu_count()} CPUs), {runnable:.1f} runnable processes on average"
        )
    full = sorted(p[2] for p in gc_pauses if p[1] == 2)
    young = sum(p[2] for p in gc_pauses if p[1] < 2)
    print(
        f"server GC  {len(full)} full collections while selling and draining, {sum(full):.1f} s in all, longest "
        f"{max(full or [0]) * 1e3:.0f} ms; younger generations {young:.1f} s"
    )
    lags = report["client_lags"]
    print(
        f"client CPU {report['client_cpu']:.1f} s over the whole run ({args.client_procs} process(es)); its event loop ran late by "
        f"p50 {percentile(lags, 50) * 1e3:.0f} / p99 {percentile(lags, 99) * 1e3:.0f} / max {max(lags or [0]) * 1e3:.0f} ms "
        "(receive stamps are late by as much)"
    )
    print(
        f"memory     {per(rss1):.1f} KiB/connection subscribed, {per(rss2):.1f} after {args.settle:g} s idle, "
        f"{per(rss3):.1f} after the run (RSS {rss3 / 1024:.1f} MiB); target <= 30 KiB: "
        f"{'met' if max(per(rss1), per(rss2)) <= 30 else 'NOT met'}"
    )
    if args.timeline:
        print_timeline(report, results, sampler, args.timeline)
    print_memory_top("all subscribed", mem_subscribed, mem_base, ok)
    print_memory_top("after the run", mem_after, mem_base, ok)
    if os.environ.get("BENCH_KEEP"):
        Path(tmp / "stamps.json").write_text(json.dumps(stamps))


def print_objects(before: dict, after: dict, connections: float) -> None:
    """--objects: what each connection of the first server holds, by type (shallow sizes)."""
    print("\nobjects per connection (first server; gc-tracked, shallow sizes):")
    grown = sorted(((after["bytes"].get(k, 0) - before["bytes"].get(k, 0), k) for k in after["bytes"]), reverse=True)
    for size, kind in grown[:25]:
        count = after["count"].get(kind, 0) - before["count"].get(kind, 0)
        print(f"  {size / connections / 1024:6.2f} KiB  {count / connections:5.1f} x  {kind}")
    total = sum(size for size, _ in grown)
    print(f"  {total / connections / 1024:6.2f} KiB in all; tasks per connection:")
    for name, n in sorted(after["tasks"].items(), key=lambda kv: -kv[1])[:10]:
        print(f"  {(n - before['tasks'].get(name, 0)) / connections:5.2f}  {name}")


def _websockets_version() -> str:
    import websockets

    return websockets.__version__


if __name__ == "__main__":
    main()
