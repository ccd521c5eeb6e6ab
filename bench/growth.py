"""How the per-operation cost grows with the shop: a 10k shop against the full-size one, same run.

    for db in bench_grown_10k bench_grown_full; do psql -h 127.0.0.1 -U postgres -d test -c "create database $db"; done
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_grown_full .venv/bin/python bench/growth.py \\
        --small-db bench_grown_10k             # both `public` schemas are DROPPED unless already grown

PostgreSQL only. Not a test: it never fails on timing. The two shops are made (or reused) by
bench/grow_shop.py: `--small` (default 10k) in `--small-db`, `--large` (default full) in
DATABASE_URL's database. One uvicorn process per shop (bench/bench_app.py), both pinned to the
server CPU; the load generator (bench/peer_vendure.py's worker: one async httpx client per
token) on the others; the operations and the two sizes interleaved (round 1: op1 small, op1
large, op2 small, ...), so a slow spell of the machine hits both sizes alike.

Operations (each viewer is one of the grown shops' history users 1-6, who have the same team,
orders and commissions at every size; place-and-pay with the place-and-pay buyers):

  pay         placeOrder + payWithWallet (one unit of the hot product), as bench/place_and_pay.py
  search      searchProducts(first: 50) with SKUs, price range, stock and merchant
  orders      myOrders(first: 20) with lines and amounts
  commissions myCommissions(first: 20)
  centre      the distributor centre: myTeamCounts, myDistributorPerformance (DAY, 30 days), myCommissionSummary
  statement   myStatement(first: 20)
  stats       the admin statistics: consignmentStats (DAY, 30 days, buckets)
  report      financeReport(REVENUE, DAY, 30 days), as admin

Per operation and size: operations/s, server CPU ms per operation (uvicorn's, /proc/<pid>/stat),
PostgreSQL CPU ms per operation (the backends serving that server's database, from their
/proc/<pid>/stat: the database's share of the work, which a growing query shows first), and
the ratio large/small of each (target: total CPU per operation ratio <= 1.2).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.graphql_vs_bare import (
    POSTGRES_SCHEMES,
    Result,
    configure_environment,
    cpu_seconds,
    free_port,
    pin_prefixes,
    run_json_worker,
    start_server,
    stop_server,
    total,
    wait_ready,
)
from bench.peer_vendure import OUR_LIST, run_worker

GROW = ROOT / "bench" / "grow_shop.py"
ORDERS = """{ myOrders(first: 20) { nodes { id orderNo status createdAt payAmount { amount currency }
  lines { title quantity unitPrice { amount } } } pageInfo { hasNextPage endCursor } } }"""
COMMISSIONS = """{ myCommissions(first: 20) { nodes { id level status createdAt base { amount } amount { amount }
  orderNo buyerNickname } pageInfo { hasNextPage endCursor } } }"""
CENTRE = """query($from: Date!, $to: Date!) { myTeamCounts { level1 level2 level3 total }
  myDistributorPerformance(period: DAY, from: $from, to: $to) {
    buckets { start teamOrders teamGoods { amount } commissionBooked { amount } commissionReleased { amount } }
    total { teamOrders teamGoods { amount } commissionBooked { amount } } }
  myCommissionSummary { pending { amount } available { amount } reversed { amount } debt { amount } } }"""
STATEMENT = """{ myStatement(first: 20) { nodes { id amount { amount } account balanceAfter { amount } createdAt
  kind referenceType referenceId } pageInfo { hasNextPage endCursor } } }"""
STATS = """query($from: Date!, $to: Date!) { consignmentStats(period: DAY, from: $from, to: $to) {
  buckets { start sales { amount } retailSales { amount } retailOrders wholesaleOrders unitsConsigned unitsSold
    rewardsTotal { amount } } } }"""
REPORT = """query($from: Date!, $to: Date!) { financeReport(kind: REVENUE, period: DAY, from: $from, to: $to) {
  columns buckets { start figures { name amount { amount } } } totals { name amount { amount } } } }"""

# key: (label, query, who: buyers | viewers | admin, with the date range)
OPS = {
    "pay": ("placeOrder + payWithWallet", None, "buyers", False),
    "search": ("searchProducts(first: 50)", OUR_LIST % 50, "viewers", False),
    "orders": ("myOrders(first: 20)", ORDERS, "viewers", False),
    "commissions": ("myCommissions(first: 20)", COMMISSIONS, "viewers", False),
    "centre": ("distributor centre (3 fields)", CENTRE, "viewers", True),
    "statement": ("myStatement(first: 20)", STATEMENT, "viewers", False),
    "stats": ("consignmentStats (30 days)", STATS, "admin", True),
    "report": ("financeReport (30 days)", REPORT, "admin", True),
}


def database_url(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


def backend_cpu(dbname: str, env: dict[str, str]) -> dict[int, float]:
    """CPU seconds of each PostgreSQL backend connected to `dbname` (same machine)."""
    proc = subprocess.run(
        [
            "psql",
            "-X",
            "-At",
            "-d",
            env["DATABASE_URL"],
            "-c",
            f"SELECT pid FROM pg_stat_activity WHERE datname = '{dbname}' AND pid <> pg_backend_pid()",
        ],
        capture_output=True,
        text=True,
    )
    pids = [int(p) for p in proc.stdout.split()]
    return {p: c for p in pids if (c := cpu_seconds(p)) is not None}


def business_range(days: int) -> dict[str, str]:
    today = (dt.datetime.now(dt.UTC) + dt.timedelta(hours=8)).date()  # BUSINESS_UTC_OFFSET_HOURS default
    return {"from": (today - dt.timedelta(days=days - 1)).isoformat(), "to": today.isoformat()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--small", default="10k", help="size of the small shop (grow_shop.py --size; default 10k)")
    parser.add_argument("--large", default="full", help="size of the large shop (default full)")
    parser.add_argument(
        "--small-db", default="bench_grown_10k", help="the small shop's database (default bench_grown_10k)"
    )
    parser.add_argument("--ops", default=",".join(OPS), help=f"operations, comma-separated (default {','.join(OPS)})")
    parser.add_argument("--clients", type=int, default=16, help="concurrent clients (default 16)")
    parser.add_argument("--duration", type=float, default=5.0, help="seconds per operation, size and round (default 5)")
    parser.add_argument(
        "--warmup", type=float, default=2.0, help="seconds of warm-up per operation and size (default 2)"
    )
    parser.add_argument("--rounds", type=int, default=3, help="rounds, interleaved (default 3)")
    parser.add_argument(
        "--pin",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="pin both servers to the last CPU, the load generator to the others (default on)",
    )
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL", "").startswith(POSTGRES_SCHEMES):
        raise SystemExit("PostgreSQL only: set DATABASE_URL=postgres://user@host:5432/<the large shop's database>")
    ops = [o.strip() for o in args.ops.split(",") if o.strip()]
    unknown = [o for o in ops if o not in OPS]
    if unknown:
        raise SystemExit(f"unknown operations {unknown}; known: {', '.join(OPS)}")
    large_url = os.environ["DATABASE_URL"]
    small_url = database_url(large_url, args.small_db)
    if small_url == large_url:
        raise SystemExit("--small-db must not be DATABASE_URL's database")
    server_prefix, client_prefix = pin_prefixes(args.pin)
    tmp = Path(tempfile.mkdtemp(prefix="socialmall-bench-growth-"))
    os.environ["RESPONSE_CACHE"] = "false"  # measure the work, not the cache (response_cache.py does)
    base_env = configure_environment(tmp)
    sizes = {"small": (args.small, small_url), "large": (args.large, large_url)}
    shops: dict[str, dict] = {}
    envs: dict[str, dict[str, str]] = {}
    for key, (size, url) in sizes.items():
        envs[key] = {**base_env, "DATABASE_URL": url}
        started = time.perf_counter()
        shops[key] = run_json_worker(
            str(GROW), {"size": size, "buyers": args.clients}, [], f"grow_shop {size}", envs[key]
        )
        c = shops[key]["counts"]
        print(
            f"{key:<6} {size:>5}  {urlsplit(url).path.lstrip('/')}: {c['orders']:,} orders, {c['order_line']:,} lines, "
            f"{c['account_user']:,} users, {c['product']:,} products, {c['commission']:,} commissions, "
            f"{c['ledger_entry']:,} journal lines (seeded in {shops[key]['seconds']:.0f} s; ready in "
            f"{time.perf_counter() - started:.0f} s)",
            flush=True,
        )

    servers, bases, logs = {}, {}, {}
    for key in sizes:
        port = free_port()
        bases[key], logs[key] = f"http://127.0.0.1:{port}", tmp / f"server-{key}.log"
        servers[key] = start_server(envs[key], port, logs[key], server_prefix)
    dates = business_range(30)
    tag = uuid.uuid4().hex[:12]
    runs: dict[tuple[str, str], list[tuple[Result, float | None]]] = {(o, k): [] for o in ops for k in sizes}

    def spec(op: str, key: str, seconds: float, n: int) -> dict:
        shop = shops[key]
        label, query, who, ranged = OPS[op]
        if op == "pay":
            return {
                "flow": "ours",
                "base": bases[key],
                "path": "/graphql",
                "tokens": shop["buyer_tokens"][: args.clients],
                "addresses": [b["address_id"] for b in shop["buyers"][: args.clients]],
                "sku": shop["hot_sku"],
                "seconds": seconds,
                "tag": f"{tag}-{key}-{n}",
            }
        tokens = {"viewers": shop["viewer_tokens"], "admin": [shop["admin_token"]]}[who]
        return {
            "flow": "list",
            "base": bases[key],
            "path": "/graphql",
            "tokens": [tokens[i % len(tokens)] for i in range(args.clients)],
            "query": query,
            "variables": dates if ranged else None,
            "page": 50 if op == "search" else None,
            "seconds": seconds,
        }

    def measure(op: str, key: str, seconds: float, n: int = 0) -> tuple[Result, float | None]:
        dbname = urlsplit(envs[key]["DATABASE_URL"]).path.lstrip("/")
        db0 = backend_cpu(dbname, envs[key])
        cpu0 = cpu_seconds(servers[key].pid)
        out = run_worker(spec(op, key, seconds, n), client_prefix)
        cpu1 = cpu_seconds(servers[key].pid)
        db1 = backend_cpu(dbname, envs[key])
        db = sum(c - db0.get(p, 0.0) for p, c in db1.items()) if db1 else None
        result = Result(
            requests=out["done"],
            seconds=out["seconds"],
            errors=out["errors"],
            latency_ms=out["latency_ms"],
            server_cpu=cpu1 - cpu0 if cpu0 is not None and cpu1 is not None else None,
            client_cpu=out["cpu"],
        )
        return result, db

    busy: list[float] = []

    def cpu_busy() -> tuple[float, float]:
        fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
        idle = fields[3] + fields[4]
        return sum(fields), idle

    def describe(key: str) -> str:
        """What one viewer's answer holds, per operation (the viewers must have data at both sizes)."""
        import httpx

        parts = []
        with httpx.Client(base_url=bases[key], timeout=60.0) as client:
            for op in ops:
                if op == "pay":
                    continue
                s = spec(op, key, 0, 0)
                response = client.post(
                    "/graphql",
                    json={"query": s["query"], "variables": s["variables"] or {}},
                    headers={"Authorization": f"Bearer {s['tokens'][0]}"},
                )
                body = response.json()
                if response.status_code != 200 or body.get("errors"):
                    raise SystemExit(f"{op} ({key}): {response.status_code} {str(body)[:500]}")
                data = next(iter(body["data"].values()))
                if "nodes" in data:
                    parts.append(f"{op} {len(data['nodes'])} nodes")
                elif "buckets" in data:
                    parts.append(f"{op} {len(data['buckets'])} buckets")
                elif op == "centre":
                    parts.append(f"team {data['total']}")
        return ", ".join(parts)

    try:
        for key in sizes:
            wait_ready(servers[key], bases[key], logs[key])
            print(f"answers    {key}: {describe(key)}")
        print(
            f"\nload       peer_vendure.py's worker (httpx), {args.clients} clients, {args.rounds} x {args.duration:g} s "
            f"per operation and size, interleaved; pinned: {' '.join(server_prefix) or 'no'} (servers) / "
            f"{' '.join(client_prefix) or 'no'} (clients); response cache off"
        )
        la = os.getloadavg()
        print(
            f"machine    load average {la[0]:.2f} {la[1]:.2f} {la[2]:.2f} at the start, {os.cpu_count()} CPUs",
            flush=True,
        )
        if args.warmup > 0:
            for op in ops:
                for key in sizes:
                    measure(op, key, args.warmup)
        for round_no in range(1, args.rounds + 1):
            t0, i0 = cpu_busy()
            line = []
            for op in ops:
                for key in sizes:
                    runs[(op, key)].append(measure(op, key, args.duration, round_no))
                small, large = runs[(op, "small")][-1][0], runs[(op, "large")][-1][0]
                line.append(f"{op} {small.rps:.0f}/{large.rps:.0f}")
            t1, i1 = cpu_busy()
            busy.append(100.0 * (1 - (i1 - i0) / (t1 - t0)) if t1 > t0 else 0.0)
            print(
                f"  round {round_no}  per s (small/large)  " + "  ".join(line) + f"   machine {busy[-1]:.0f} % busy",
                flush=True,
            )
    finally:
        for server in servers.values():
            stop_server(server)

    la = os.getloadavg()
    print(
        f"\nmachine    load average {la[0]:.2f} {la[1]:.2f} {la[2]:.2f} at the end; CPU busy per round "
        + ", ".join(f"{b:.0f} %" for b in busy)
    )
    print(f"\n{'operation':<32} {'size':>5} {'per s':>8} {'lat ms':>7} {'srv ms/op':>10} {'db ms/op':>9} {'total':>7}")
    ratios = []
    for op in ops:
        per = {}
        for key in sizes:
            r = total([x for x, _ in runs[(op, key)]])
            db = [d for _, d in runs[(op, key)]]
            db_total = None if None in db else sum(db)
            srv_ms = r.server_cpu / r.requests * 1e3 if r.server_cpu is not None and r.requests else None
            db_ms = db_total / r.requests * 1e3 if db_total is not None and r.requests else None
            both = srv_ms + db_ms if srv_ms is not None and db_ms is not None else None
            per[key] = (r, srv_ms, db_ms, both)
            lat = "-" if r.latency_ms is None else f"{r.latency_ms:7.1f}"
            print(
                f"{OPS[op][0]:<32} {sizes[key][0]:>5} {r.rps:8.1f} {lat:>7} "
                f"{'-' if srv_ms is None else f'{srv_ms:10.2f}'} {'-' if db_ms is None else f'{db_ms:9.2f}'} "
                f"{'-' if both is None else f'{both:7.2f}'}" + (f"   errors {r.errors}" if r.errors else "")
            )
        ratios.append((op, per))
    print(
        f"\n{'ratio large/small':<32} {'srv CPU':>8} {'db CPU':>8} {'total CPU':>10} {'per s small/large':>18}  (target total <= 1.2)"
    )
    for op, per in ratios:
        (rs, ss, ds, ts), (rl, sl, dl, tl) = per["small"], per["large"]

        def ratio(a, b):
            return f"{a / b:8.2f}" if a is not None and b else f"{'-':>8}"

        per_round = [
            (a.server_cpu / a.requests) / (b.server_cpu / b.requests)
            for (a, _), (b, _) in zip(runs[(op, "large")], runs[(op, "small")])
            if a.requests and b.requests and a.server_cpu and b.server_cpu
        ]
        spread = f"  srv per round {min(per_round):.2f}..{max(per_round):.2f}" if len(per_round) > 1 else ""
        median = f" (median {statistics.median(per_round):.2f})" if len(per_round) > 1 else ""
        print(
            f"{OPS[op][0]:<32} {ratio(sl, ss)} {ratio(dl, ds)} {ratio(tl, ts):>10} {ratio(rs.rps, rl.rps):>18}"
            + spread
            + median
            + ("   <- grows" if tl is not None and ts and tl / ts > 1.2 else "")
        )
    errors = {f"{op}/{key}": sum(r.errors for r, _ in rs) for (op, key), rs in runs.items()}
    if any(errors.values()):
        print(f"\nwarning: failures during the measurements: { {k: v for k, v in errors.items() if v} }")
        for key in sizes:
            print(f"server log ({key}) tail:\n{logs[key].read_text(errors='replace')[-2000:]}")
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
