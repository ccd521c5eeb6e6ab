"""Seed a grown shop into a PostgreSQL database: a long history, fast, reusable across runs.

    psql -h 127.0.0.1 -U postgres -d test -c "create database bench_grown"   # its `public` schema is DROPPED
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_grown .venv/bin/python bench/grow_shop.py --size full
    DATABASE_URL=... .venv/bin/python bench/grow_shop.py --size 10k          # the same shop, 1/100 of it

Sizes (orders; the rest scales with them): `10k` 10,000 orders, 1,000 users, 100 products;
`100k`; `full` 1,000,000 orders (with 1,500,000 lines and 1,000,000 payments), 100,000 users in
referral chains (upline_id, five invitees each), 10,000 products with 1-3 SKUs of 200 merchants,
200,000 commissions (two levels on every tenth order) and ~1,400,000 journal lines.

Reusable: the database keeps a marker row (`bench_grown_marker`: version and size); when it
matches, nothing is seeded again (the benches' own orders since then stay). Any other content
is dropped (`manage.reset_database`) and the shop made anew: migrations (the project's own
path, as bench/graphql_vs_bare.py's `prepare_database`), the catalog of bench/search_vs_bare.py
(`seed_catalog`), then through the real services the place-and-pay buyers (wallet money, an
address) and the hot product of bench/place_and_pay.py, then the history by set-based SQL
(INSERT ... SELECT generate_series, ids given, sequences moved past them):

- users with nickname, invite code, upline (user j's upline is user (j-1) // 5: every user above
  the last three levels has 5 / 25 / 125 invitees at levels 1-3) and an invite sign-up row;
- orders: every user the same number (10), at pseudo-random times; one product, all products
  alike (and for every other order the next product of the same merchant), created over the last 365 days, 90 % COMPLETED, 5 % PAID,
  5 % CLOSED (unpaid); a payment per order (20 % by wallet, the rest a gateway's);
- commissions: levels 1 and 2 of the buyer's upline on every tenth order, 10 % and 5 % of the
  goods, PENDING;
- the journal, balanced and with balances equal to their entries' sums (the ledger's
  invariants hold: `--check`): a wallet credit per user (PROMOTION_EXPENSE -> WALLET, enough for
  the user's wallet payments), each wallet payment as the service books it (WALLET ->
  ORDER_CLEARING -> MERCHANT_PENDING), each commission (MERCHANT_PENDING ->
  COMMISSION_PENDING); balance_after by a window over each account's entries.

The viewers the benches read as (`viewers`: users 1-6 of the history, each with the same team
and history at every size: 5/25/125 invitees, ~10 orders, commissions from their team) and the
place-and-pay buyers are in the returned/stored description; `tokens()` signs them in anew.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

VERSION = 2
SIZES = {"10k": 10_000, "100k": 100_000, "full": 1_000_000}  # orders
FANOUT = 5  # invitees per user
VIEWERS = 6  # users 1..6 of the history: a full three-level team at every size (>= 1,000 users)
PLAIN_PRICE = 1000  # the hot product (bench/place_and_pay.py's)
WALLET = 10**11


def shape(orders: int) -> dict[str, int]:
    users = max(1000, orders // 10)
    products = max(100, orders // 100)
    return {"orders": orders, "users": users, "products": products, "merchants": max(20, products // 50)}


# --------------------------------------------------------------------------- marker


async def _connect():
    import asyncpg

    return await asyncpg.connect(os.environ["DATABASE_URL"].replace("postgres://", "postgresql://", 1))


async def read_marker(size: str) -> dict | None:
    conn = await _connect()
    try:
        if not await conn.fetchval("SELECT to_regclass('public.bench_grown_marker') IS NOT NULL"):
            return None
        row = await conn.fetchrow("SELECT version, size, data FROM bench_grown_marker LIMIT 1")
        if row is None or row["version"] != VERSION or row["size"] != size:
            return None
        return json.loads(row["data"])
    finally:
        await conn.close()


async def write_marker(size: str, data: dict) -> None:
    conn = await _connect()
    try:
        await conn.execute(
            "CREATE TABLE bench_grown_marker (version int NOT NULL, size text NOT NULL, data text NOT NULL)"
        )
        await conn.execute("INSERT INTO bench_grown_marker VALUES ($1, $2, $3)", VERSION, size, json.dumps(data))
    finally:
        await conn.close()


# --------------------------------------------------------------------------- services part


async def seed_actors(buyers: int) -> dict:
    """Through the real services and the test factories: the hot product and the place-and-pay
    buyers (as bench/place_and_pay.py's seed)."""
    from tortoise import Tortoise

    import settings
    import wiring
    from models.accounts import User
    from services.catalog.limits import MAX_STOCK
    from tests import helpers
    from tests.order_factories import make_buyer, make_shop

    helpers.PHONE_SEQ = iter(range(1, 10_000_000))  # the bench admin has +8613900000000
    wiring.install()
    await Tortoise.init(config=settings.TORTOISE_ORM, _enable_global_fallback=True)
    try:
        _, _, hot = await make_shop(price=PLAIN_PRICE, stock=MAX_STOCK)
        rows = []
        for i in range(buyers):
            user, address = await make_buyer(f"买家{i:03d}", wallet=WALLET)
            rows.append({"user_id": user.id, "address_id": address.id})
        admin = await User.get(nickname="bench-admin")
        return {"hot_sku": hot[0].id, "buyers": rows, "admin_id": admin.id}
    finally:
        await Tortoise.close_connections()


# --------------------------------------------------------------------------- bulk history (SQL)

BULK = [
    # -- the catalog's products, numbered in merchant order (pidx), and their SKUs (sn of nskus):
    # order k buys product k*7919 mod P (every product alike, whatever its SKU count)
    (
        "skus",
        """CREATE TABLE g_sku AS
           SELECT (dense_rank() OVER (ORDER BY p.merchant_id, p.id) - 1)::int AS pidx,
                  (row_number() OVER (PARTITION BY p.id ORDER BY s.id) - 1)::int AS sn,
                  (count(*) OVER (PARTITION BY p.id))::int AS nskus, s.id AS sku_id,
                  p.id AS product_id, p.merchant_id, p.zone, s.price, p.title, s.spec_key, p.main_image_url
           FROM sku s JOIN product p ON p.id = s.product_id
           WHERE p.status = 'LISTED' AND p.title NOT LIKE '商品%'""",
    ),
    ("skus", "CREATE UNIQUE INDEX ON g_sku (pidx, sn)"),
    # -- users 0..U-1 of the history: ids $U0 + j + 1
    (
        "users",
        """INSERT INTO account_user (id, nickname, avatar_url, invite_code, upline_id, upline_bound_at, is_active,
                                    created_at, updated_at)
           SELECT {u0} + j + 1, '会员' || j, 'https://cdn.example.com/a/' || (j % 1000) || '.png', 'G' || j,
                  CASE WHEN j > 0 THEN {u0} + (j - 1) / {fanout} + 1 END,
                  CASE WHEN j > 0 THEN now() - interval '400 days' + j * (interval '30 days' / {users}) END,
                  true, now() - interval '400 days' + j * (interval '30 days' / {users}),
                  now() - interval '400 days' + j * (interval '30 days' / {users})
           FROM generate_series(0, {users} - 1) AS j""",
    ),
    (
        "users",
        """INSERT INTO distributor_invite_signup (user_id, upline_id, source, created_at)
           SELECT id, upline_id, 'SIGNUP', upline_bound_at FROM account_user WHERE id > {u0} + 1 AND id <= {u0} + {users}""",
    ),
    # -- orders: one row per order k with its SKUs
    (
        "orders",
        """CREATE TABLE g_order AS
           SELECT k, {u0} + ((k % {users}) * 7919 + k / {users}) % {users} + 1 AS buyer_id,
                  a.sku_id AS sku1, a.product_id AS product1, a.price AS price1, a.title AS title1, a.spec_key AS spec1,
                  a.zone AS zone1, a.merchant_id, b.sku_id AS sku2, b.product_id AS product2, b.price AS price2,
                  b.title AS title2, b.spec_key AS spec2, b.zone AS zone2,
                  1 + (k % 3) AS qty1,
                  a.price * (1 + (k % 3)) + coalesce(b.price, 0) AS goods,
                  now() - interval '365 days' + k * (interval '365 days' / {orders}) AS at,
                  CASE k % 20 WHEN 19 THEN 'CLOSED' WHEN 18 THEN 'PAID' ELSE 'COMPLETED' END AS status,
                  k % 10 IN (1, 2) AS by_wallet
           FROM generate_series(0, {orders} - 1) AS k
           JOIN g_sku a ON a.pidx = (k::bigint * 7919) % {products_listed} AND a.sn = k % a.nskus
           LEFT JOIN g_sku b ON k % 2 = 0 AND b.pidx = a.pidx + 1 AND b.sn = 0 AND b.merchant_id = a.merchant_id""",
    ),
    ("orders", "CREATE UNIQUE INDEX ON g_order (k)"),
    (
        "payments",
        """INSERT INTO payment (id, payment_no, amount, currency, status, method, gateway_trade_no, expires_at, paid_at,
                               closed_at, refunded_amount, idempotency_key, request_hash, created_at, buyer_id)
           SELECT {p0} + k + 1, 'GP' || k, goods, 'CNY', CASE status WHEN 'CLOSED' THEN 'CLOSED' ELSE 'PAID' END,
                  CASE WHEN by_wallet THEN 'WALLET' ELSE 'SANDBOX' END,
                  CASE WHEN by_wallet OR status = 'CLOSED' THEN '' ELSE 'GT' || k END,
                  at + interval '30 minutes', CASE WHEN status <> 'CLOSED' THEN at + interval '1 minute' END,
                  CASE WHEN status = 'CLOSED' THEN at + interval '30 minutes' END, 0, 'grown-' || k, '', at, buyer_id
           FROM g_order""",
    ),
    (
        "orders",
        """INSERT INTO orders (id, order_no, status, delivery_type, address, goods_amount, shipping_fee, pay_amount,
                              refunded_amount, currency, note, paid_at, shipped_at, delivered_at, completed_at, closed_at,
                              cancel_reason, created_at, updated_at, buyer_id, merchant_id, payment_id)
           SELECT {o0} + k + 1, 'G' || k, status, 'EXPRESS',
                  '{{"recipient": "张三", "province_code": "330000", "city_code": "330100", "county_code": "330106",
                    "region_name": "浙江省杭州市西湖区", "detail": "文三路 1 号", "postal_code": ""}}'::jsonb,
                  goods, 0, goods, 0, 'CNY', '',
                  CASE WHEN status <> 'CLOSED' THEN at + interval '1 minute' END,
                  CASE WHEN status = 'COMPLETED' THEN at + interval '1 day' END,
                  CASE WHEN status = 'COMPLETED' THEN at + interval '3 days' END,
                  CASE WHEN status = 'COMPLETED' THEN at + interval '10 days' END,
                  CASE WHEN status = 'CLOSED' THEN at + interval '30 minutes' END,
                  CASE WHEN status = 'CLOSED' THEN 'PAYMENT_TIMEOUT' ELSE '' END,
                  at, at, buyer_id, merchant_id, {p0} + k + 1
           FROM g_order""",
    ),
    (
        "lines",
        """INSERT INTO order_line (id, title, spec_text, image_url, zone, unit_price, quantity, amount, requested_quantity,
                                  refunded_quantity, refunded_amount, order_id, product_id, sku_id, consign_on_payment)
           SELECT {l0} + 2 * k + 1, title1, spec1, '', zone1, price1, qty1, price1 * qty1, qty1, 0, 0,
                  {o0} + k + 1, product1, sku1, false
           FROM g_order
           UNION ALL
           SELECT {l0} + 2 * k + 2, title2, spec2, '', zone2, price2, 1, price2, 1, 0, 0,
                  {o0} + k + 1, product2, sku2, false
           FROM g_order WHERE sku2 IS NOT NULL""",
    ),
    (
        "orders",
        """INSERT INTO order_status_change (order_id, from_status, to_status, reason, created_at)
           SELECT {o0} + k + 1, 'PENDING_PAYMENT', CASE status WHEN 'CLOSED' THEN 'CLOSED' ELSE 'PAID' END, '',
                  at + interval '1 minute'
           FROM g_order""",
    ),
    # -- commissions: levels 1 and 2 on every tenth order (line 1), from the buyer's uplines
    (
        "commissions",
        """INSERT INTO commission (id, level, base, amount, reversed_amount, debt_amount, funded_by, merchant_id, status,
                                  reject_reason, created_at, updated_at, beneficiary_id, buyer_id, line_id, order_id,
                                  booked_refunded_quantity, kind, region_code)
           SELECT {c0} + row_number() OVER (ORDER BY o.k, lvl.level), lvl.level, o.price1 * o.qty1,
                  o.price1 * o.qty1 * (CASE lvl.level WHEN 1 THEN 10 ELSE 5 END) / 100, 0, 0, 'MERCHANT', o.merchant_id,
                  'PENDING', '', o.at + interval '1 minute', o.at + interval '1 minute',
                  CASE lvl.level WHEN 1 THEN u.upline_id ELSE up.upline_id END, o.buyer_id, {l0} + 2 * o.k + 1,
                  {o0} + o.k + 1, 0, 'DISTRIBUTION', ''
           FROM g_order o
           JOIN account_user u ON u.id = o.buyer_id
           LEFT JOIN account_user up ON up.id = u.upline_id
           CROSS JOIN (VALUES (1), (2)) AS lvl(level)
           WHERE o.k % 10 = 0 AND (CASE lvl.level WHEN 1 THEN u.upline_id ELSE up.upline_id END) IS NOT NULL""",
    ),
    # -- the journal: accounts, then transactions with their entries (amount only), then balances
    (
        "journal",
        """INSERT INTO ledger_account (owner_type, owner_id, purpose, currency, balance, allow_negative, created_at)
           SELECT 'USER', id, p.purpose, 'CNY', 0, false, created_at
           FROM account_user CROSS JOIN (VALUES ('WALLET'), ('COMMISSION_PENDING')) AS p(purpose)
           WHERE id > {u0} AND id <= {u0} + {users}
           UNION ALL
           SELECT 'MERCHANT', m.id, 'MERCHANT_PENDING', 'CNY', 0, true, now()
           FROM merchant m WHERE m.id IN (SELECT DISTINCT merchant_id FROM g_sku)
             AND NOT EXISTS (SELECT 1 FROM ledger_account la WHERE la.owner_type = 'MERCHANT' AND la.owner_id = m.id
                             AND la.purpose = 'MERCHANT_PENDING' AND la.currency = 'CNY')
           UNION ALL
           SELECT 'PLATFORM', 0, p.purpose, 'CNY', 0, p.neg, now()
           FROM (VALUES ('PROMOTION_EXPENSE', true), ('ORDER_CLEARING', false)) AS p(purpose, neg)
           WHERE NOT EXISTS (SELECT 1 FROM ledger_account la WHERE la.owner_type = 'PLATFORM' AND la.owner_id = 0
                             AND la.purpose = p.purpose AND la.currency = 'CNY')""",
    ),
    (
        "journal",
        """CREATE TABLE g_acct AS
           SELECT owner_type, owner_id, purpose, id FROM ledger_account WHERE currency = 'CNY'""",
    ),
    ("journal", "CREATE UNIQUE INDEX ON g_acct (owner_type, owner_id, purpose)"),
    # g_tx: one row per transaction: (tid, kind, at, ref, entries as arrays of account and amount)
    (
        "journal",
        """CREATE TABLE g_tx AS
           SELECT 'DEMO_CREDIT'::text AS kind, 'USER' AS ref_type, (u.id)::text AS ref_id,
                  u.created_at AS at, ARRAY[src.id, w.id] AS accounts,
                  ARRAY[-(coalesce(s.spent, 0) + 100000), coalesce(s.spent, 0) + 100000] AS amounts
           FROM account_user u
           JOIN g_acct w ON w.owner_type = 'USER' AND w.owner_id = u.id AND w.purpose = 'WALLET'
           JOIN g_acct src ON src.owner_type = 'PLATFORM' AND src.owner_id = 0 AND src.purpose = 'PROMOTION_EXPENSE'
           LEFT JOIN (SELECT buyer_id, sum(goods) AS spent FROM g_order WHERE by_wallet AND status <> 'CLOSED'
                      GROUP BY buyer_id) s ON s.buyer_id = u.id
           WHERE u.id > {u0} AND u.id <= {u0} + {users}
           UNION ALL
           SELECT 'ORDER_PAYMENT', 'PAYMENT', ({p0} + o.k + 1)::text, o.at + interval '1 minute',
                  ARRAY[w.id, c.id, c.id, m.id], ARRAY[-o.goods, o.goods, -o.goods, o.goods]
           FROM g_order o
           JOIN g_acct w ON w.owner_type = 'USER' AND w.owner_id = o.buyer_id AND w.purpose = 'WALLET'
           JOIN g_acct c ON c.owner_type = 'PLATFORM' AND c.owner_id = 0 AND c.purpose = 'ORDER_CLEARING'
           JOIN g_acct m ON m.owner_type = 'MERCHANT' AND m.owner_id = o.merchant_id AND m.purpose = 'MERCHANT_PENDING'
           WHERE o.by_wallet AND o.status <> 'CLOSED'
           UNION ALL
           SELECT 'COMMISSION_BOOKED', 'COMMISSION', cm.id::text, cm.created_at + interval '1 second',
                  ARRAY[m.id, b.id], ARRAY[-cm.amount, cm.amount]
           FROM commission cm
           JOIN g_acct m ON m.owner_type = 'MERCHANT' AND m.owner_id = cm.merchant_id AND m.purpose = 'MERCHANT_PENDING'
           JOIN g_acct b ON b.owner_type = 'USER' AND b.owner_id = cm.beneficiary_id AND b.purpose = 'COMMISSION_PENDING'
           WHERE cm.id > {c0}""",
    ),
    (
        "journal",
        """CREATE TABLE g_txn AS
           SELECT {t0} + row_number() OVER (ORDER BY at, kind, ref_id) AS tid, * FROM g_tx""",
    ),
    (
        "journal",
        """INSERT INTO ledger_transaction (id, kind, idempotency_key, request_hash, reference_type, reference_id, memo,
                                          created_at)
           SELECT tid, kind, 'grown:' || tid, '', ref_type, ref_id, '', at FROM g_txn""",
    ),
    (
        "journal",
        """INSERT INTO ledger_entry (id, amount, balance_after, created_at, account_id, transaction_id)
           SELECT {e0} + row_number() OVER (ORDER BY t.tid, e.n), e.amount,
                  coalesce(la.balance, 0) + sum(e.amount) OVER (PARTITION BY e.account ORDER BY t.tid, e.n),
                  t.at, e.account, t.tid
           FROM g_txn t
           CROSS JOIN LATERAL unnest(t.accounts, t.amounts) WITH ORDINALITY AS e(account, amount, n)
           JOIN ledger_account la ON la.id = e.account""",
    ),
    (
        "journal",
        """UPDATE ledger_account a SET balance = a.balance + s.total
           FROM (SELECT account_id, sum(amount) AS total FROM ledger_entry WHERE id > {e0} GROUP BY account_id) s
           WHERE a.id = s.account_id""",
    ),
    # -- sales counts of the products sold
    (
        "catalog",
        """UPDATE product p SET sales_count = p.sales_count + s.n
           FROM (SELECT product1 AS id, sum(qty1) AS n FROM g_order WHERE status <> 'CLOSED' GROUP BY product1) s
           WHERE p.id = s.id""",
    ),
]

SEQUENCES = [
    "account_user",
    "distributor_invite_signup",
    "payment",
    "orders",
    "order_line",
    "order_status_change",
    "commission",
    "ledger_account",
    "ledger_transaction",
    "ledger_entry",
]


async def seed_history(orders: int) -> dict[str, float]:
    """The bulk history by SQL; returns seconds per step."""
    s = shape(orders)
    conn = await _connect()
    timings: dict[str, float] = {}
    try:
        await conn.execute("SET synchronous_commit = off; SET work_mem = '256MB'; SET maintenance_work_mem = '512MB'")
        base = {}
        for key, table in (
            ("u0", "account_user"),
            ("p0", "payment"),
            ("o0", "orders"),
            ("l0", "order_line"),
            ("c0", "commission"),
            ("t0", "ledger_transaction"),
            ("e0", "ledger_entry"),
        ):
            base[key] = await conn.fetchval(f"SELECT coalesce(max(id), 0) FROM {table}")
        listed = await conn.fetchval("SELECT count(*) FROM product WHERE status = 'LISTED' AND title NOT LIKE '商品%'")
        values = {**base, **s, "products_listed": listed, "fanout": FANOUT}
        async with conn.transaction():
            for step, sql in BULK:
                started = time.perf_counter()
                await conn.execute(sql.format(**values))
                timings[step] = timings.get(step, 0.0) + time.perf_counter() - started
            for table in SEQUENCES:
                await conn.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT coalesce(max(id), 0) + 1 FROM {table}), false)"
                )
            await conn.execute("DROP TABLE g_sku, g_order, g_acct, g_tx, g_txn")
        started = time.perf_counter()
        await conn.execute("VACUUM ANALYZE")
        timings["vacuum analyze"] = time.perf_counter() - started
        return timings
    finally:
        await conn.close()


async def counts() -> dict[str, int]:
    conn = await _connect()
    try:
        out = {}
        for table in (
            "account_user",
            "product",
            "sku",
            "merchant",
            "orders",
            "order_line",
            "payment",
            "commission",
            "ledger_transaction",
            "ledger_entry",
        ):
            out[table] = await conn.fetchval(f"SELECT count(*) FROM {table}")
        return out
    finally:
        await conn.close()


# --------------------------------------------------------------------------- entry points


def grow(size: str, buyers: int = 32, *, force: bool = False) -> dict:
    """The shop of `size` in DATABASE_URL (seeded unless its marker says it is there); returns its
    description: hot_sku, buyers (user_id, address_id), viewers (user ids), admin_id, counts, seconds.
    The caller has run bench.graphql_vs_bare.configure_environment."""
    if size not in SIZES:
        raise SystemExit(f"--size: one of {', '.join(SIZES)}")
    data = None if force else asyncio.run(read_marker(size))
    if data is not None and len(data["buyers"]) >= buyers:
        print(
            f"grown shop {size}: reused ({data['counts']['orders']:,} orders when seeded, in {data['seconds']:.0f} s)"
        )
        return data
    from bench.graphql_vs_bare import prepare_database
    from bench.search_vs_bare import seed_catalog

    s = shape(SIZES[size])
    started = time.perf_counter()
    asyncio.run(prepare_database(0))
    asyncio.run(seed_catalog(s["products"], s["merchants"]))
    data = asyncio.run(seed_actors(buyers))
    services_seconds = time.perf_counter() - started
    timings = asyncio.run(seed_history(SIZES[size]))
    viewers = asyncio.run(_viewer_ids())
    data.update(
        viewers=viewers,
        counts=asyncio.run(counts()),
        seconds=time.perf_counter() - started,
        timings={"migrations, catalog, buyers": services_seconds, **timings},
    )
    asyncio.run(write_marker(size, data))
    print(
        f"grown shop {size}: seeded in {data['seconds']:.0f} s ("
        + ", ".join(f"{k} {v:.0f} s" for k, v in data["timings"].items())
        + ")\n           "
        + ", ".join(f"{k} {v:,}" for k, v in data["counts"].items())
    )
    return data


async def _viewer_ids() -> list[int]:
    conn = await _connect()
    try:  # users 1..VIEWERS of the history (the first history user, j = 0, is the chains' root)
        first = await conn.fetchval("SELECT min(id) FROM account_user WHERE invite_code = 'G0'")
        return [first + j for j in range(1, VIEWERS + 1)]
    finally:
        await conn.close()


async def tokens(user_ids: list[int]) -> list[str]:
    """A fresh session (access token) for each user."""
    from tortoise import Tortoise

    import settings
    import wiring
    from models.accounts import User
    from tests import helpers

    wiring.install()
    await Tortoise.init(config=settings.TORTOISE_ORM, _enable_global_fallback=True)
    try:
        users = {u.id: u for u in await User.filter(id__in=user_ids)}
        return [await helpers.token_for(users[i]) for i in user_ids]
    finally:
        await Tortoise.close_connections()


async def check() -> list:
    from tortoise import Tortoise

    import settings
    import wiring
    from services.ledger import ledger

    wiring.install()
    await Tortoise.init(config=settings.TORTOISE_ORM, _enable_global_fallback=True)
    try:
        return await ledger.check_invariants()
    finally:
        await Tortoise.close_connections()


def worker_main(spec_json: str) -> None:
    """For bench/growth.py (one process per database: settings are read once per process): grow
    the shop of spec["size"] in DATABASE_URL, sign in its buyers, viewers and admin, print it as JSON."""
    from contextlib import redirect_stdout

    from bench.graphql_vs_bare import configure_environment

    spec = json.loads(spec_json)
    configure_environment(Path(tempfile.mkdtemp(prefix="socialmall-grow-")))
    with redirect_stdout(sys.stderr):
        data = grow(spec["size"], spec["buyers"])
        data["buyer_tokens"] = asyncio.run(tokens([b["user_id"] for b in data["buyers"]]))
        data["viewer_tokens"] = asyncio.run(tokens(data["viewers"]))
        data["admin_token"] = asyncio.run(tokens([data["admin_id"]]))[0]
    print(json.dumps(data))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", default="full", help=f"{' | '.join(SIZES)} (default full)")
    parser.add_argument("--buyers", type=int, default=32, help="place-and-pay buyers with wallet money (default 32)")
    parser.add_argument("--force", action="store_true", help="seed anew even when the marker matches")
    parser.add_argument("--check", action="store_true", help="then check the ledger's invariants")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker_main(args.worker)
        return
    if not os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")):
        raise SystemExit("PostgreSQL only: set DATABASE_URL=postgres://user@host:5432/<throw-away database>")
    from bench.graphql_vs_bare import configure_environment

    configure_environment(Path(tempfile.mkdtemp(prefix="socialmall-grow-")))
    grow(args.size, args.buyers, force=args.force)
    if args.check:
        started = time.perf_counter()
        problems = asyncio.run(check())
        print(f"ledger invariants: {'hold' if not problems else problems[:5]} ({time.perf_counter() - started:.0f} s)")
        if problems:
            sys.exit(1)


if __name__ == "__main__":
    main()
