"""Place-and-pay orders per second through the GraphQL API on PostgreSQL, against pgbench.

    psql -h 127.0.0.1 -U postgres -d test -c "create database bench_orders"   # its `public` schema is DROPPED
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_orders .venv/bin/python bench/place_and_pay.py
        # pgbench -i runs in the database --pgbench-db (default bench_pgbench, created when missing)

PostgreSQL only. Not a test: it never fails on timing (exit status 1 only when a check below
fails). Cases, measured in the same run on the same PostgreSQL server, rounds interleaved
(a b c a b c ...):

  a  pgbench TPC-B: `pgbench -c <clients> -j <jobs> -T <seconds>` (tables made by `pgbench -i`)
  b  place-and-pay: each of <clients> concurrent clients (its own buyer, token and address)
     repeatedly runs placeOrder (unique idempotency key, one unit, express delivery to its
     address) then payWithWallet, through HTTP against one uvicorn process
  c  consignment: the same loop buying a retail product that grants vouchers for a wholesale
     product whose queue holds units consigned by many sellers: each paid retail unit is
     matched to the head of the queue (CON-3) in the payment's transaction

Figures: paid orders per second (b, c), transactions per second (a). Target: (c)/(b) >= 0.7.
(b)/(a) is a floor reference, no longer a target: place-and-pay's target is the ratio against a
peer commerce server, Vendure, in bench/peer_vendure.py (>= 6x, on a grown shop with --grown).

Checked at the end: orders paid == orders counted by the clients, stock decreased by exactly
the units placed, matched units == paid retail units and they are exactly the first N of the
queue by queue_key, matched in key order (strict FIFO), and the ledger's invariants hold
(services.ledger.ledger.check_invariants).

The harness (environment, database reset, server, pinning, report) is bench/graphql_vs_bare.py's;
the load generator is this script's own (--worker), in its own process.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.graphql_vs_bare import (
    POSTGRES_SCHEMES,
    Case,
    Result,
    configure_environment,
    cpu_seconds,
    free_port,
    pin_prefixes,
    prepare_database,
    print_header,
    print_ratio,
    print_results,
    run_json_worker,
    start_server,
    stop_server,
    wait_ready,
)
from schema.node import encode

PLACE = """mutation($input: PlaceOrderInput!) { placeOrder(input: $input) {
  payment { id amount { amount } } orders { id status } errors { code message } } }"""
PAY = "mutation($id: ID!) { payWithWallet(paymentId: $id) { payment { id status } errors { code message } } }"

PLAIN_PRICE = 1000  # fen, no shipping fee
RETAIL_PRICE, WHOLESALE_PRICE, VOUCHERS_PER_UNIT = 2200, 440, 2  # make_consignment_pair's defaults
WALLET = 10**11  # fen per buyer: never runs out
CASES = {
    "a": Case("a", "pgbench TPC-B (tps)", "-", "-"),
    "b": Case("b", "place+pay orders/s", "POST", "/graphql"),
    "c": Case("c", "place+pay consigned retail/s", "POST", "/graphql"),
}
MODES = {"plain": "ab", "consign": "bc", "all": "abc"}


# --------------------------------------------------------------------------- PostgreSQL / pgbench


@dataclass(frozen=True)
class PgTarget:
    host: str
    port: str
    user: str
    password: str
    dbname: str

    @classmethod
    def from_url(cls, url: str, dbname: str | None = None) -> PgTarget:
        parts = urlsplit(url)
        return cls(
            host=parts.hostname or "127.0.0.1",
            port=str(parts.port or 5432),
            user=unquote(parts.username or "postgres"),
            password=unquote(parts.password or ""),
            dbname=dbname or parts.path.lstrip("/"),
        )

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        if self.password:
            env["PGPASSWORD"] = self.password
        return env

    def args(self) -> list[str]:
        return ["-h", self.host, "-p", self.port, "-U", self.user]


async def ensure_database(orders_db: PgTarget, name: str) -> None:
    """CREATE DATABASE `name` unless it exists (connecting to the orders database)."""
    import asyncpg

    conn = await asyncpg.connect(
        host=orders_db.host,
        port=int(orders_db.port),
        user=orders_db.user,
        password=orders_db.password or None,
        database=orders_db.dbname,
    )
    try:
        if not await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name):
            await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()


def pgbench_init(target: PgTarget, scale: int) -> None:
    proc = subprocess.run(
        [pgbench_path(), "-i", "-q", "-s", str(scale), *target.args(), target.dbname],
        capture_output=True,
        text=True,
        env=target.env(),
    )
    if proc.returncode != 0:
        raise SystemExit(f"pgbench -i failed:\n{proc.stdout}{proc.stderr}")


def pgbench_path() -> str:
    return shutil.which("pgbench") or "/usr/bin/pgbench"


def run_pgbench(target: PgTarget, clients: int, jobs: int, seconds: float, prefix: list[str]) -> Result:
    cmd = [
        *prefix,
        pgbench_path(),
        "-c",
        str(clients),
        "-j",
        str(jobs),
        "-T",
        str(max(1, round(seconds))),
        *target.args(),
        target.dbname,
    ]
    for attempt in range(5):  # a shared server may be out of connections for a moment
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=target.env())
        out = proc.stdout.read().decode(errors="replace")
        _, status, usage = os.wait4(proc.pid, 0)
        if os.waitstatus_to_exitcode(status) == 0:
            break
        if "too many clients" not in out or attempt == 4:
            raise SystemExit(f"pgbench failed:\n{out}")
        print("    pgbench: the server has too many clients; retrying in 3 s", flush=True)
        time.sleep(3)
    done = re.search(r"number of transactions actually processed: (\d+)", out)
    tps = re.search(r"tps = ([\d.]+) \(without initial connection time\)", out)
    if not done or not tps or not float(tps.group(1)):
        raise SystemExit(f"cannot parse pgbench output:\n{out}")
    failed = re.search(r"number of failed transactions: (\d+)", out)
    latency = re.search(r"latency average = ([\d.]+) ms", out)
    n = int(done.group(1))
    return Result(
        requests=n,
        seconds=n / float(tps.group(1)),
        errors=int(failed.group(1)) if failed else 0,
        latency_ms=float(latency.group(1)) if latency else None,
        client_cpu=usage.ru_utime + usage.ru_stime,
    )


# --------------------------------------------------------------------------- seed


@dataclass
class Seed:
    buyers: list[dict]  # {"token", "address_id", "user_id"}
    plain_merchant_ids: list[int]
    plain_sku_ids: list[int]  # client i buys plain_sku_ids[i % len]
    retail_merchant_id: int
    retail_sku_id: int
    wholesale_product_id: int
    plain_stock: int  # the SKUs' stock once seeded (each plain SKU's)
    retail_stock: int
    queued: int  # units queued by the sellers


async def seed(buyers: int, sellers: int, queued: int, products: int = 1) -> Seed:
    """Through the real services: `products` shops (one product each), buyers with an address,
    wallet money and a token, the consignment pair, and `queued` wholesale units consigned by
    `sellers` sellers (each buys retail units for the vouchers, then wholesale units consigned
    on payment)."""
    from tortoise import Tortoise

    import settings
    from models.catalog import Sku
    from models.consignment import ConsignmentQueue, WholesaleUnit
    from services.catalog.limits import MAX_STOCK
    from services.orders import payments
    from tests import helpers
    from tests.order_factories import make_buyer, make_consignment_pair, make_shop, place

    # The factories number phones from +8613900000000, the bench admin's: start one later.
    helpers.PHONE_SEQ = iter(range(1, 10_000_000))
    import wiring

    wiring.install()
    await Tortoise.init(config=settings.TORTOISE_ORM, _enable_global_fallback=True)
    try:
        shops = [await make_shop(price=PLAIN_PRICE, stock=MAX_STOCK) for _ in range(products)]
        retail_merchant, retail_sku, wholesale_sku = await make_consignment_pair(
            RETAIL_PRICE, WHOLESALE_PRICE, VOUCHERS_PER_UNIT, stock=MAX_STOCK
        )
        rows = []
        for i in range(buyers):
            user, address = await make_buyer(f"买家{i:03d}", wallet=WALLET)
            rows.append({"user_id": user.id, "address_id": address.id, "token": await helpers.token_for(user)})

        started = time.perf_counter()
        per_seller = [queued // sellers + (1 if i < queued % sellers else 0) for i in range(sellers)]
        people = []
        for i, units in enumerate(n for n in per_seller if n):  # retail first: the queue is empty yet
            retail_units = math.ceil(units / VOUCHERS_PER_UNIT)
            seller, address = await make_buyer(
                f"寄售{i:03d}", wallet=retail_units * RETAIL_PRICE + units * WHOLESALE_PRICE
            )
            placed = await place(seller, address, [(retail_sku.id, retail_units)])
            await payments.pay_with_wallet(seller.id, placed.payment.id)
            people.append((seller, address, units))
        for seller, address, units in people:  # then the wholesale units, consigned on payment
            placed = await place(seller, address, [(wholesale_sku.id, units)], consign_wholesale=True)
            await payments.pay_with_wallet(seller.id, placed.payment.id)
        retail_stock = (await Sku.get(id=retail_sku.id)).stock  # the sellers' retail units are gone
        in_queue = await WholesaleUnit.filter(product_id=wholesale_sku.product_id, status="QUEUED").count()
        queue = await ConsignmentQueue.get_or_none(product_id=wholesale_sku.product_id)
        assert in_queue == queued == (queue.next_key - 1 if queue else 0), (in_queue, queued)
        print(
            f"seeded     {buyers} buyers; {in_queue} wholesale units queued by {len(people)} sellers "
            f"({time.perf_counter() - started:.1f} s)"
        )
        return Seed(
            buyers=rows,
            plain_merchant_ids=[m.id for m, _, _ in shops],
            plain_sku_ids=[s[0].id for _, _, s in shops],
            retail_merchant_id=retail_merchant.id,
            retail_sku_id=retail_sku.id,
            wholesale_product_id=wholesale_sku.product_id,
            plain_stock=MAX_STOCK,
            retail_stock=retail_stock,
            queued=queued,
        )
    finally:
        await Tortoise.close_connections()


# --------------------------------------------------------------------------- load generator


def run_clients(base: str, data: Seed, sku_ids: list[int], seconds: float, prefix: list[str]) -> Result:
    spec = {
        "base": base,
        "seconds": seconds,
        "tag": uuid.uuid4().hex[:12],
        "buyers": [
            {"token": b["token"], "address_id": b["address_id"], "sku_id": sku_ids[i % len(sku_ids)]}
            for i, b in enumerate(data.buyers)
        ],
    }
    out = run_json_worker(__file__, spec, prefix)
    if out["samples"]:
        print(f"    errors: {out['samples']}", flush=True)
    return Result(
        requests=out["paid"],
        seconds=out["seconds"],
        errors=out["errors"],
        latency_ms=out["latency_ms"],
        client_cpu=out["cpu"],
        extra={"placed": out["placed"]},
    )


def worker_main(spec_json: str) -> None:
    """One client per buyer: placeOrder then payWithWallet, until the time is up (an
    iteration under way is finished, so no order is left unpaid by the deadline)."""
    import httpx

    spec = json.loads(spec_json)
    try:
        from uvloop import run as run_loop
    except ImportError:
        run_loop = asyncio.run

    async def main() -> dict:
        n = len(spec["buyers"])
        counts = {"placed": 0, "paid": 0, "errors": 0, "latency": 0.0}
        samples: list[str] = []

        def failed(what: str, detail) -> None:
            counts["errors"] += 1
            if len(samples) < 5:
                samples.append(f"{what}: {str(detail)[:300]}")

        limits = httpx.Limits(max_connections=n, max_keepalive_connections=n)
        async with httpx.AsyncClient(base_url=spec["base"], limits=limits, timeout=60.0) as client:
            deadline = time.perf_counter() + spec["seconds"]

            async def gql(token: str, query: str, variables: dict) -> dict:
                response = await client.post(
                    "/graphql",
                    json={"query": query, "variables": variables},
                    headers={"Authorization": f"Bearer {token}"},
                )
                body = response.json()
                if response.status_code != 200 or body.get("errors"):
                    raise RuntimeError(f"{response.status_code} {body.get('errors')}")
                return body["data"]

            async def one_client(index: int, buyer: dict) -> None:
                seq = 0
                while time.perf_counter() < deadline:
                    seq += 1
                    t0 = time.perf_counter()
                    order = {
                        "idempotencyKey": f"{spec['tag']}-{index}-{seq}",
                        "addressId": encode("Address", buyer["address_id"]),
                        "items": [{"skuId": encode("Sku", buyer["sku_id"]), "quantity": 1}],
                    }
                    try:
                        placed = (await gql(buyer["token"], PLACE, {"input": order}))["placeOrder"]
                        if placed["errors"]:
                            failed("placeOrder", placed["errors"])
                            continue
                        counts["placed"] += 1
                        paid = (await gql(buyer["token"], PAY, {"id": placed["payment"]["id"]}))["payWithWallet"]
                        if paid["errors"] or paid["payment"]["status"] != "PAID":
                            failed("payWithWallet", paid)
                            continue
                    except (httpx.HTTPError, RuntimeError, ValueError) as exc:
                        failed("http", repr(exc))
                        continue
                    counts["paid"] += 1
                    counts["latency"] += time.perf_counter() - t0

            start, cpu0 = time.perf_counter(), time.process_time()
            await asyncio.gather(*(one_client(i, b) for i, b in enumerate(spec["buyers"])))
            elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu0
        return {
            "placed": counts["placed"],
            "paid": counts["paid"],
            "errors": counts["errors"],
            "samples": samples,
            "seconds": elapsed,
            "cpu": cpu,
            "latency_ms": 1e3 * counts["latency"] / counts["paid"] if counts["paid"] else None,
        }

    print(json.dumps(run_loop(main())))


# --------------------------------------------------------------------------- verification


async def verify(data: Seed, counted: dict[str, int], placed: dict[str, int]) -> list[str]:
    """Compare the database with what the clients counted; returns the problems found."""
    from tortoise import Tortoise

    import settings
    from models.catalog import Sku
    from models.consignment import WholesaleUnit
    from models.orders import Order
    from services.ledger import ledger

    problems: list[str] = []
    buyer_ids = [b["user_id"] for b in data.buyers]
    import wiring

    wiring.install()
    await Tortoise.init(config=settings.TORTOISE_ORM, _enable_global_fallback=True)
    try:
        for key, merchant_ids, sku_ids, stock in (
            ("b", data.plain_merchant_ids, data.plain_sku_ids, data.plain_stock),
            ("c", [data.retail_merchant_id], [data.retail_sku_id], data.retail_stock),
        ):
            orders = Order.filter(merchant_id__in=merchant_ids, buyer_id__in=buyer_ids)
            paid = await orders.filter(status="PAID").count()
            unpaid = await orders.filter(status="PENDING_PAYMENT").count()
            taken = sum(stock - s for s in await Sku.filter(id__in=sku_ids).values_list("stock", flat=True))
            print(
                f"  ({key}) orders paid {paid} (clients counted {counted[key]}), unpaid {unpaid}, "
                f"stock taken {taken} (placed {placed[key]})"
            )
            if paid != counted[key]:
                problems.append(f"({key}) {paid} orders paid, the clients counted {counted[key]}")
            if taken != paid + unpaid or paid + unpaid != placed[key]:
                problems.append(
                    f"({key}) stock taken {taken}, orders paid + unpaid {paid + unpaid}, placed {placed[key]}"
                )

        units = WholesaleUnit.filter(product_id=data.wholesale_product_id)
        matched = (
            await units.filter(status="MATCHED")
            .order_by("queue_key")
            .values_list("queue_key", "matched_at", "matched_order_id")
        )
        still_queued = await units.filter(status="QUEUED").count()
        print(
            f"  (c) units matched {len(matched)} (paid retail units {counted['c']}), still queued {still_queued} "
            f"of {data.queued}"
        )
        if len(matched) != counted["c"]:
            problems.append(f"(c) {len(matched)} units matched, {counted['c']} retail units paid")
        if [k for k, _, _ in matched] != list(range(1, len(matched) + 1)) or len(matched) + still_queued != data.queued:
            problems.append("(c) the matched units are not exactly the first N of the queue by queue_key")
        if any(a[1] > b[1] for a, b in zip(matched, matched[1:])):
            problems.append("(c) units were not matched in queue_key order")
        if len({m[2] for m in matched}) != len(matched):
            problems.append("(c) a retail order was matched more than one unit")
        if counted["c"] and not still_queued:
            problems.append("(c) the queue ran empty: raise --queued")

        violations = await ledger.check_invariants()
        print(f"  ledger invariants: {'hold' if not violations else f'{len(violations)} violations'}")
        problems += [f"ledger: {v}" for v in violations[:10]]
    finally:
        await Tortoise.close_connections()
    return problems


# --------------------------------------------------------------------------- main


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--mode",
        choices=list(MODES),
        default="all",
        help="plain: (a) pgbench and (b) place-and-pay; consign: (b) and (c) consignment; all (default)",
    )
    parser.add_argument("--cases", help="the cases to run, e.g. b (overrides --mode; for profiling)")
    parser.add_argument("--clients", type=int, default=32, help="concurrent clients, for pgbench too (default 32)")
    parser.add_argument("--duration", type=float, default=10.0, help="seconds measured per case and round (default 10)")
    parser.add_argument("--warmup", type=float, default=2.0, help="seconds of warm-up per case, once (default 2)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds over the cases, interleaved (default 3)")
    parser.add_argument("--pgbench-db", default="bench_pgbench", help="database for pgbench -i (default bench_pgbench)")
    parser.add_argument("--pgbench-scale", type=int, default=1, help="pgbench -i scale factor (default 1)")
    parser.add_argument("--pgbench-jobs", type=int, default=0, help="pgbench -j (default: the client CPUs)")
    parser.add_argument(
        "--queued", type=int, default=0, help="wholesale units queued for (c) (default: enough for 300 paid orders/s)"
    )
    parser.add_argument("--sellers", type=int, default=40, help="sellers whose units are queued (default 40)")
    parser.add_argument(
        "--products",
        type=int,
        default=1,
        help="plain products, one merchant each, the clients spread over them (default 1: one hot product)",
    )
    parser.add_argument(
        "--pool",
        type=int,
        default=0,
        help="the server's connection pool size (Tortoise maxsize; default: Tortoise's, 5)",
    )
    parser.add_argument(
        "--workers", type=int, default=1, help="uvicorn worker processes, as deployed (Procfile: --workers); default 1"
    )
    parser.add_argument(
        "--pin",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="pin the server to the last CPU (with --workers > 1: to all CPUs), the clients and "
        "pgbench to the others (default on)",
    )
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker_main(args.worker)
        return
    if not os.environ.get("DATABASE_URL", "").startswith(POSTGRES_SCHEMES):
        raise SystemExit("PostgreSQL only: set DATABASE_URL=postgres://user@host:5432/<throw-away database>")
    keys = "".join(k for k in "abc" if k in (args.cases or MODES[args.mode]))
    server_prefix, client_prefix = pin_prefixes(args.pin)
    if args.workers > 1 and server_prefix:  # several workers share every CPU; the clients keep theirs
        server_prefix = ["taskset", "-c", ",".join(map(str, sorted(os.sched_getaffinity(0))))]
    client_cpus = len(client_prefix[-1].split(",")) if client_prefix else os.cpu_count() or 1
    jobs = args.pgbench_jobs or min(client_cpus, args.clients)
    measured = args.rounds * args.duration + args.warmup
    queued = args.queued or (300 * math.ceil(measured) if "c" in keys else 0)
    orders_db = PgTarget.from_url(os.environ["DATABASE_URL"])
    bench_db = PgTarget.from_url(os.environ["DATABASE_URL"], args.pgbench_db)
    if bench_db.dbname == orders_db.dbname:
        raise SystemExit("--pgbench-db must not be the orders database")

    tmp = Path(tempfile.mkdtemp(prefix="socialmall-bench-orders-"))
    env = configure_environment(tmp)
    asyncio.run(prepare_database(0))
    data = asyncio.run(seed(args.clients, args.sellers, queued, args.products))
    if "a" in keys:
        asyncio.run(ensure_database(orders_db, bench_db.dbname))
        pgbench_init(bench_db, args.pgbench_scale)

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = tmp / "server.log"
    if args.pool:
        env = {
            **env,
            "DATABASE_URL": env["DATABASE_URL"] + ("&" if "?" in env["DATABASE_URL"] else "?") + f"maxsize={args.pool}",
        }
    server = start_server(env, port, log, server_prefix, workers=args.workers)
    args.client, args.connections = "httpx", args.clients  # for print_header
    cases = [CASES[k] for k in keys]
    runs: dict[str, list[Result]] = {k: [] for k in keys}
    counted = {"b": 0, "c": 0}
    placed = {"b": 0, "c": 0}

    def measure(key: str, seconds: float) -> Result:
        if key == "a":
            return run_pgbench(bench_db, args.clients, jobs, seconds, client_prefix)
        cpu0 = cpu_seconds(server.pid)
        skus = data.plain_sku_ids if key == "b" else [data.retail_sku_id]
        result = run_clients(base, data, skus, seconds, client_prefix)
        cpu1 = cpu_seconds(server.pid)
        if cpu0 is not None and cpu1 is not None:
            result.server_cpu = cpu1 - cpu0
        counted[key] += result.requests
        placed[key] += result.extra["placed"]
        return result

    try:
        wait_ready(server, base, log)
        print_header(args, server, server_prefix)
        if "a" in keys:
            print(
                f"pgbench    TPC-B, scale {args.pgbench_scale}, -c {args.clients} -j {jobs}, database {bench_db.dbname}"
            )
        print(
            "unit       (a) transactions/s; (b), (c) paid orders/s (placeOrder + payWithWallet: 2 requests each)\n",
            flush=True,
        )
        if args.warmup > 0:
            for key in keys:
                measure(key, args.warmup)
        for round_no in range(1, args.rounds + 1):
            line = []
            for key in keys:
                result = measure(key, args.duration)
                runs[key].append(result)
                line.append(f"({key}) {result.rps:7.1f}")
            print(f"  round {round_no}   per s  " + "  ".join(line), flush=True)
    finally:
        stop_server(server)

    totals = print_results(cases, runs)
    print_ratio(totals, runs, "b", "a", "place+pay / pgbench (floor)")  # a reference: the target is peer_vendure's
    print_ratio(totals, runs, "c", "b", "consignment / plain", 0.7)
    errors = {k: sum(r.errors for r in runs[k]) for k in keys}
    if any(errors.values()):
        print(f"\nwarning: failures during the measurements: {errors}")
    print("\nverification")
    problems = asyncio.run(verify(data, counted, placed))
    for problem in problems:
        print(f"  PROBLEM: {problem}")
    if not problems:
        print("  all checks passed")
    if any(errors.values()) or server.returncode not in (0, None):
        text = log.read_text(errors="replace")
        kinds = sorted(set(re.findall(r"^(\w[\w.]*(?:Error|Exception)\b.*)$", text, re.M)))
        print(f"\nserver log ({len(text)} characters), exceptions: {kinds[:10]}\n{text[-3000:]}")
    shutil.rmtree(tmp, ignore_errors=True)
    if problems:
        sys.exit(1)


if __name__ == "__main__":
    main()
