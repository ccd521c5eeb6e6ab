"""Streaming the ledger journal as CSV (FIN-5): is memory flat in the number of lines?

    .venv/bin/python bench/ledger_csv.py                    # 100,000 and 1,000,000 lines
    .venv/bin/python bench/ledger_csv.py --sizes 10000,100000 --chunk 2000

Not a test: it prints figures and ratios measured in the same run and never fails on timing.

What it does, for each size (each in its own fresh SQLite file under a temporary directory):
1. creates the schema (Tortoise `generate_schemas`), the role catalogue, a `finance` user
   and its access token; bulk-inserts `size / 2` journal transactions of two entries each
   (`size` journal lines) over 200 accounts with the `sqlite3` module (executemany);
2. streams `GET /exports/journal.csv` through the ASGI app in-process (the Starlette app of
   `app.create_app`, driven by a minimal ASGI client that counts and drops the body, so no
   client buffers the response), twice:
     a  timed, sampling the process RSS at every body chunk (RSS delta = max − before);
     b  under tracemalloc (slower; its peak is the Python heap allocated while streaming);
3. baseline: the same keyset query pages (`services.finance.csv_export.journal_pages`) written with
   the csv module to /dev/null, no ASGI, no HTTP: the cost of reading and formatting alone.

Prints per size: lines, seconds, lines/second (app and baseline), throughput ratio app /
baseline, tracemalloc peak, RSS delta; then the ratio of peaks 1M / 100k (target ≈ 1: the
export holds one page at a time whatever the number of lines).
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import gc
import sqlite3
import sys
import tempfile
import time
import tracemalloc
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

ACCOUNTS = 200
START = datetime(2026, 1, 1, tzinfo=UTC)


def rss_kib() -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def bulk_insert(path: str, lines: int) -> float:
    """`lines` journal entries (lines / 2 balanced transactions), straight into SQLite."""
    t0 = time.perf_counter()
    db = sqlite3.connect(path)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=OFF")
    stamp = START.strftime("%Y-%m-%d %H:%M:%S.%f+00:00")
    db.executemany(
        "INSERT INTO ledger_account (id, owner_type, owner_id, purpose, currency, balance, allow_negative, created_at) "
        "VALUES (?, 'USER', ?, 'WALLET', 'CNY', 0, 1, ?)",
        [(i, i, stamp) for i in range(1, ACCOUNTS + 1)],
    )
    balances = [0] * (ACCOUNTS + 1)
    batch = 50_000
    tx_id = entry_id = 0
    for first in range(0, lines // 2, batch):
        txs, entries = [], []
        for _ in range(min(batch, lines // 2 - first)):
            tx_id += 1
            at = (START + timedelta(seconds=tx_id)).strftime("%Y-%m-%d %H:%M:%S.%f+00:00")
            txs.append((tx_id, "BENCH_TRANSFER", "BENCH", str(tx_id), at))
            src, dst, amount = tx_id % ACCOUNTS + 1, (tx_id * 7 + 3) % ACCOUNTS + 1, 100 + tx_id % 9900
            if src == dst:
                dst = dst % ACCOUNTS + 1
            for account, signed in ((src, -amount), (dst, amount)):
                entry_id += 1
                balances[account] += signed
                entries.append((entry_id, tx_id, account, signed, balances[account], at))
        db.executemany(
            "INSERT INTO ledger_transaction (id, kind, idempotency_key, request_hash, reference_type, reference_id, memo, created_at) "
            "VALUES (?, ?, NULL, '', ?, ?, '', ?)",
            txs,
        )
        db.executemany(
            "INSERT INTO ledger_entry (id, transaction_id, account_id, amount, balance_after, created_at) VALUES (?, ?, ?, ?, ?, ?)",
            entries,
        )
    db.executemany(
        "UPDATE ledger_account SET balance = ? WHERE id = ?", [(balances[i], i) for i in range(1, ACCOUNTS + 1)]
    )
    db.commit()
    db.close()
    return time.perf_counter() - t0


async def stream(app, token: str, rss_samples: list[int] | None) -> tuple[int, int]:
    """GET /exports/journal.csv through the ASGI app; returns (lines, bytes). The body is
    counted and dropped chunk by chunk."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": "/exports/journal.csv",
        "raw_path": b"/exports/journal.csv",
        "root_path": "",
        "query_string": b"",
        "headers": [(b"host", b"bench"), (b"authorization", f"Bearer {token}".encode())],
        "client": ("127.0.0.1", 5000),
        "server": ("bench", 80),
    }
    sent = False
    done = asyncio.Event()
    counts = {"lines": 0, "bytes": 0, "status": 0}

    async def receive():
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await done.wait()
        return {"type": "http.disconnect"}

    async def send(message):
        if message["type"] == "http.response.start":
            counts["status"] = message["status"]
        elif message["type"] == "http.response.body":
            body = message.get("body", b"")
            counts["lines"] += body.count(b"\n")
            counts["bytes"] += len(body)
            if rss_samples is not None:
                rss_samples.append(rss_kib())
            if not message.get("more_body"):
                done.set()

    await app(scope, receive, send)
    assert counts["status"] == 200, counts
    return counts["lines"] - 1, counts["bytes"]  # minus the header


async def baseline() -> int:
    from services.finance.csv_export import journal_pages, journal_row

    lines = 0
    with open("/dev/null", "w", newline="") as sink:
        writer = csv.writer(sink)
        async for rows in journal_pages(None, None):
            writer.writerows(map(journal_row, rows))
            lines += len(rows)
    return lines


async def run_size(size: int, workdir: Path) -> dict:
    from tortoise import Tortoise

    import settings

    path = str(workdir / f"journal_{size}.sqlite3")
    import wiring

    wiring.install()
    await Tortoise.init(config=settings.tortoise_config(f"sqlite://{path}"), _enable_global_fallback=True)
    await Tortoise.generate_schemas()
    from app import create_app
    from services.accounts import access, auth, referral

    await access.sync_catalog()
    user = await referral.create_user(phone="+8613900000001", nickname="finance")
    await access.grant_role(user.id, "finance")
    token = (await auth.start_session(user, "SMS", auth.ClientInfo(), False)).access_token
    await Tortoise.close_connections()
    insert_s = bulk_insert(path, size)
    import wiring

    wiring.install()
    await Tortoise.init(config=settings.tortoise_config(f"sqlite://{path}"), _enable_global_fallback=True)
    app = create_app(debug=False, manage_database=False)
    try:
        await stream(app, token, None)  # warm-up: page cache, statement cache
        gc.collect()
        samples: list[int] = []
        before = rss_kib()
        t0 = time.perf_counter()
        lines, size_bytes = await stream(app, token, samples)
        app_s = time.perf_counter() - t0
        rss_delta = max(samples, default=before) - before
        t0 = time.perf_counter()
        base_lines = await baseline()
        base_s = time.perf_counter() - t0
        gc.collect()
        tracemalloc.start()
        tracemalloc.reset_peak()
        start_mem = tracemalloc.get_traced_memory()[0]
        await stream(app, token, None)
        peak = tracemalloc.get_traced_memory()[1] - start_mem
        tracemalloc.stop()
    finally:
        await Tortoise.close_connections()
    assert lines == size == base_lines, (lines, size, base_lines)
    return dict(
        size=size,
        insert_s=insert_s,
        bytes=size_bytes,
        app_s=app_s,
        app_lps=lines / app_s,
        base_s=base_s,
        base_lps=base_lines / base_s,
        peak=peak,
        rss_delta=rss_delta * 1024,
    )


def mib(n: float) -> str:
    return f"{n / 1048576:.2f} MiB"


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100000,1000000", help="journal lines per run, comma-separated")
    parser.add_argument("--chunk", type=int, default=None, help="rows per keyset page (CSV_EXPORT_CHUNK_ROWS)")
    args = parser.parse_args()
    import settings

    if args.chunk:
        settings.CSV_EXPORT_CHUNK_ROWS = args.chunk
    sizes = [int(s) for s in args.sizes.split(",")]
    print(f"journal CSV export, SQLite, keyset pages of {settings.CSV_EXPORT_CHUNK_ROWS} rows")
    results = []
    with tempfile.TemporaryDirectory(prefix="ledger-csv-") as tmp:
        for size in sizes:
            r = await run_size(size, Path(tmp))
            results.append(r)
            print(
                f"{r['size']:>9,} lines  insert {r['insert_s']:6.1f} s  csv {mib(r['bytes'])}  "
                f"app {r['app_s']:6.2f} s {r['app_lps']:>9,.0f} lines/s  baseline {r['base_s']:6.2f} s {r['base_lps']:>9,.0f} lines/s  "
                f"app/baseline {r['app_lps'] / r['base_lps']:.2f}  tracemalloc peak {mib(r['peak'])}  RSS delta {mib(r['rss_delta'])}"
            )
    if len(results) >= 2:
        small, big = results[0], results[-1]
        print(
            f"peak memory {big['size']:,} / {small['size']:,}: tracemalloc {big['peak'] / max(small['peak'], 1):.2f}  "
            f"RSS delta {big['rss_delta'] / max(small['rss_delta'], 1):.2f}   (flat ≈ 1)"
        )
        print(
            f"throughput {big['size']:,} / {small['size']:,}: app {big['app_lps'] / small['app_lps']:.2f}  "
            f"baseline {big['base_lps'] / small['base_lps']:.2f}"
        )


if __name__ == "__main__":
    asyncio.run(main())
