"""Ours against a peer, Vendure 3 (bench/peers/vendure/), in the same run, rounds interleaved.

    (cd bench/peers/vendure && npm ci)                # once
    psql -h 127.0.0.1 -U postgres -d test -c "create database bench_peer"      # ours: `public` DROPPED
    psql -h 127.0.0.1 -U postgres -d test -c "create database vendure_peer"    # Vendure's: likewise
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_peer \\
        .venv/bin/python bench/peer_vendure.py --vendure-db vendure_peer

PostgreSQL only, both sides on the same server. Not a test: it never fails on timing (exit
status 1 when our side oversells or a check fails). Both catalogs hold the same products:
ours is seeded as in bench/search_vs_bare.py (--products, 1-3 SKUs each, 20 merchants), then
exported as a Vendure import CSV (merchant -> a `merchant` facet value) and seeded into
Vendure by bench/peers/vendure/seed.js, which also makes a free shipping method, the settling
dummy payment method, a customer per client, and rebuilds Vendure's search index. Cases,
each with the same load generator (this script's --worker: httpx, one async client per
concurrent buyer):

  a  ours     searchProducts(first: 50) with SKUs, price range, stock and merchant
  b  Vendure  search(input: {take: 50, groupByProduct: true}) with the equivalent fields
              (price range, stock status, SKU, facet values: its index table holds them)
  c  ours     place-and-pay: placeOrder (one unit of a hot product, saved address) + payWithWallet
  d  Vendure  checkout in the Shop API: addItemToOrder, setOrderShippingAddress,
              setOrderShippingMethod, transitionOrderToState(ArrangingPayment), addPaymentToOrder
              (the dummy handler settles at once)

Each buyer is its own customer session (a bearer token per client on both sides). Figures:
requests/s (a, b) or paid orders/s (c, d), server CPU ms per operation from /proc/<pid>/stat
of uvicorn and of node, and the ratios ours/Vendure. Vendure queues a search index update
for every settled order (its stock changed): after each (d) window the script waits for that
queue to drain and counts the CPU spent draining in (d)'s CPU per order.

Verification (the stock allocation race, vendurehq/vendure#4152): --limited products with
--limited-stock units each, on both sides; for each, every client buys one unit at a time
until refused. Units sold beyond the stock are oversold: counted for Vendure, ours must be 0.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.graphql_vs_bare import (
    POSTGRES_SCHEMES,
    Result,
    configure_environment,
    cpu_seconds,
    free_port,
    pin_prefixes,
    prepare_database,
    run_json_worker,
    start_server,
    stop_server,
    total,
    wait_ready,
)

PEER_DIR = ROOT / "bench" / "peers" / "vendure"
PLAIN_PRICE = 1000  # fen: the hot product on both sides (10.00, no tax, free delivery)
WALLET = 10**11
VENDURE_ADMIN_PASSWORD = "bench-peer-admin"  # loopback only

OUR_LIST = (
    "{ searchProducts(first: %d) { nodes { id title minPrice { amount currency } maxPrice { amount currency } "
    "totalStock skus { id code price { amount currency } stock } merchant { id name logoUrl } } } }"
)
PRICE = "{ ... on PriceRange { min max } ... on SinglePrice { value } }"
VENDURE_LIST = (
    "{ search(input: { take: %d, groupByProduct: true }) { items { productId productName slug sku "
    f"productVariantId price {PRICE} priceWithTax {PRICE} currencyCode inStock facetValueIds }} }} }}"
)
OUR_PLACE = """mutation($input: PlaceOrderInput!) { placeOrder(input: $input) {
  payment { id } orders { id } errors { code message } } }"""
OUR_PAY = "mutation($id: ID!) { payWithWallet(paymentId: $id) { payment { id status } errors { code message } } }"
V_ADD = """mutation($v: ID!) { addItemToOrder(productVariantId: $v, quantity: 1) {
  __typename ... on Order { code } ... on ErrorResult { errorCode message } } }"""
V_ADDRESS = """mutation($a: CreateAddressInput!) { setOrderShippingAddress(input: $a) {
  __typename ... on ErrorResult { errorCode message } } }"""
V_SHIP = """mutation($s: [ID!]!) { setOrderShippingMethod(shippingMethodId: $s) {
  __typename ... on ErrorResult { errorCode message } } }"""
V_ARRANGE = """mutation { transitionOrderToState(state: "ArrangingPayment") {
  __typename ... on Order { state } ... on OrderStateTransitionError { errorCode message transitionError } } }"""
V_PAY = """mutation($m: String!) { addPaymentToOrder(input: { method: $m, metadata: {} }) {
  __typename ... on Order { code state } ... on ErrorResult { errorCode message } } }"""
V_RESET = """mutation { transitionOrderToState(state: "AddingItems") { __typename } }"""
V_CLEAR = "mutation { removeAllOrderLines { __typename } }"
V_ADDRESS_INPUT = {
    "fullName": "张三",
    "streetLine1": "文三路 1 号",
    "city": "杭州市",
    "province": "浙江省",
    "postalCode": "310000",
    "countryCode": "CN",
    "phoneNumber": "+8613900000000",
}


@dataclass(frozen=True)
class Side:
    key: str
    label: str
    unit: str  # what one operation is


CASES = {
    "a": Side("a", "ours    searchProducts(first: N)", "request"),
    "b": Side("b", "Vendure search(take: N, grouped)", "request"),
    "c": Side("c", "ours    placeOrder + payWithWallet", "paid order"),
    "d": Side("d", "Vendure 5-step Shop API checkout", "paid order"),
}


# --------------------------------------------------------------------------- seeding: ours


async def seed_ours(products: int, buyers: int, limited: int, limited_stock: int, grown: dict | None = None) -> dict:
    """The listing catalog (search_vs_bare's), a hot product, `limited` products with
    `limited_stock` units, and buyers with an address, wallet money and a token. With `grown`
    (bench/grow_shop.py's description of the shop already in the database): its hot product and
    buyers, and the first `products` of its catalog exported for Vendure."""
    from tortoise import Tortoise

    import settings
    import wiring
    from bench.search_vs_bare import seed_catalog
    from models.accounts import User
    from models.catalog import Product, Sku
    from models.merchants import Merchant
    from services.catalog.limits import MAX_STOCK
    from tests import helpers
    from tests.order_factories import make_buyer, make_shop

    if grown is None:
        await seed_catalog(products)
    wiring.install()
    await Tortoise.init(config=settings.TORTOISE_ORM, _enable_global_fallback=True)
    try:
        # The catalog export for Vendure: listed products with their SKUs and merchant.
        listed = await (
            Product.filter(status="LISTED")
            .order_by("id")
            .limit(products)
            .values("id", "title", "subtitle", "merchant_id")
        )
        merchants = dict(await Merchant.filter(id__in={p["merchant_id"] for p in listed}).values_list("id", "name"))
        skus: dict[int, list] = {}
        for sku in (
            await Sku.filter(product_id__in=[p["id"] for p in listed])
            .order_by("id")
            .values("product_id", "code", "price", "stock")
        ):
            skus.setdefault(sku["product_id"], []).append(sku)
        catalog = [{**p, "merchant": merchants[p["merchant_id"]], "skus": skus[p["id"]]} for p in listed]

        if grown is None:
            helpers.PHONE_SEQ = iter(range(1, 10_000_000))  # the bench admin has +8613900000000
            _, _, hot = await make_shop(price=PLAIN_PRICE, stock=MAX_STOCK)
            hot_sku = hot[0].id
        else:  # the grown shop keeps each run's limited shops: phones, merchant names and SKU codes of their own
            import itertools

            from tests import catalog_factories, order_factories

            start = 10_000_000 + (int(time.time()) % 100_000) * 100
            helpers.PHONE_SEQ = iter(range(start, start + 100))
            catalog_factories._SEQ = itertools.count(start)
            order_factories._SEQ = itertools.count(start)
            hot_sku = grown["hot_sku"]
        limited_skus = [(await make_shop(price=PLAIN_PRICE, stock=limited_stock))[2][0].id for _ in range(limited)]
        rows = []
        if grown is None:
            for i in range(buyers):
                user, address = await make_buyer(f"买家{i:03d}", wallet=WALLET)
                rows.append({"user_id": user.id, "address_id": address.id, "token": await helpers.token_for(user)})
        else:
            users = {u.id: u for u in await User.filter(id__in=[b["user_id"] for b in grown["buyers"][:buyers]])}
            for b in grown["buyers"][:buyers]:
                rows.append({**b, "token": await helpers.token_for(users[b["user_id"]])})
        return {"catalog": catalog, "hot_sku": hot_sku, "limited_skus": limited_skus, "buyers": rows}
    finally:
        await Tortoise.close_connections()


async def our_stock(sku_ids: list[int]) -> dict[int, int]:
    from tortoise import Tortoise

    import settings
    import wiring
    from models.catalog import Sku

    wiring.install()
    await Tortoise.init(config=settings.TORTOISE_ORM, _enable_global_fallback=True)
    try:
        return dict(await Sku.filter(id__in=sku_ids).values_list("id", "stock"))
    finally:
        await Tortoise.close_connections()


# --------------------------------------------------------------------------- seeding: Vendure


def write_vendure_csv(path: Path, catalog: list[dict], hot_stock: int, limited: int, limited_stock: int) -> None:
    """Vendure's product import format: the first row of a product carries its fields, the
    next rows (name empty) its further variants; prices in yuan, tax category `standard` (0%)."""
    header = (
        "name,slug,description,assets,facets,optionGroups,optionValues,sku,price,"
        "taxCategory,stockOnHand,trackInventory,variantAssets,variantFacets"
    ).split(",")

    def row(**fields) -> list[str]:
        return [str(fields.get(h, "")) for h in header]

    with open(path, "w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(header)
        for p in catalog:
            several = len(p["skus"]) > 1
            for j, sku in enumerate(p["skus"]):
                head = (
                    {
                        "name": p["title"],
                        "slug": f"p-{p['id']}",
                        "description": p["subtitle"],
                        "facets": f"merchant:{p['merchant']}",
                        "optionGroups": "规格" if several else "",
                    }
                    if j == 0
                    else {}
                )
                writer.writerow(
                    row(
                        **head,
                        optionValues=str(j) if several else "",
                        sku=sku["code"],
                        price=f"{sku['price'] / 100:.2f}",
                        taxCategory="standard",
                        stockOnHand=sku["stock"],
                        trackInventory="true",
                    )
                )
        for name, stock in [("HOT", hot_stock)] + [(f"LIMITED-{k}", limited_stock) for k in range(limited)]:
            writer.writerow(
                row(
                    name=name,
                    slug=name.lower(),
                    description="bench",
                    sku=name,
                    price=f"{PLAIN_PRICE / 100:.2f}",
                    taxCategory="standard",
                    stockOnHand=stock,
                    trackInventory="true",
                )
            )


def vendure_env(db_url: str, db_name: str, port: int) -> dict[str, str]:
    parts = urlsplit(db_url)
    return {
        **os.environ,
        "VENDURE_PORT": str(port),
        "VENDURE_DB_HOST": parts.hostname or "127.0.0.1",
        "VENDURE_DB_PORT": str(parts.port or 5432),
        "VENDURE_DB_USER": parts.username or "postgres",
        "VENDURE_DB_PASSWORD": parts.password or "",
        "VENDURE_DB_NAME": db_name,
        "NODE_ENV": "production",  # Vendure then refuses its default superadmin password
        "VENDURE_SUPERADMIN": "superadmin",
        "VENDURE_SUPERADMIN_PASSWORD": VENDURE_ADMIN_PASSWORD,
    }


def seed_vendure(env: dict[str, str], csv_path: Path, customers: int, out: Path) -> dict:
    proc = subprocess.run(
        ["node", "seed.js", "--catalog", str(csv_path), "--customers", str(customers), "--out", str(out)],
        cwd=PEER_DIR,
        env=env,
        capture_output=True,
        text=True,
    )
    if proc.returncode != 0:
        raise SystemExit(f"Vendure seed failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    return json.loads(out.read_text())


def start_vendure(env: dict[str, str], log: Path, prefix: list[str]) -> subprocess.Popen:
    with open(log, "wb") as out:  # taskset execs node: the pid is node's
        return subprocess.Popen(
            [*prefix, "node", "index.js"], cwd=PEER_DIR, env=env, stdout=out, stderr=subprocess.STDOUT
        )


def vendure_gql(client, path: str, query: str, variables: dict | None = None, token: str | None = None):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = client.post(path, json={"query": query, "variables": variables or {}}, headers=headers)
    body = response.json()
    if response.status_code != 200 or body.get("errors"):
        raise SystemExit(f"Vendure {path}: {response.status_code} {body}")
    return body["data"], response.headers.get("vendure-auth-token")


def vendure_login(base: str, customers: list[dict]) -> list[str]:
    import httpx

    login = """mutation($u: String!, $p: String!) { login(username: $u, password: $p) {
      __typename ... on ErrorResult { message } } }"""
    tokens = []
    with httpx.Client(base_url=base, timeout=30.0) as client:
        for c in customers:
            data, token = vendure_gql(client, "/shop-api", login, {"u": c["email"], "p": c["password"]})
            if data["login"]["__typename"] != "CurrentUser" or not token:
                raise SystemExit(f"Vendure login failed: {data}")
            tokens.append(token)
    return tokens


def vendure_admin_token(base: str) -> str:
    import httpx

    login = """mutation($p: String!) { login(username: "superadmin", password: $p) {
      __typename ... on ErrorResult { message } } }"""
    with httpx.Client(base_url=base, timeout=30.0) as client:
        data, token = vendure_gql(client, "/admin-api", login, {"p": VENDURE_ADMIN_PASSWORD})
    if data["login"]["__typename"] != "CurrentUser" or not token:
        raise SystemExit(f"Vendure admin login failed: {data}")
    return token


def vendure_wait_jobs(base: str, admin_token: str, timeout: float = 300.0) -> float:
    """Seconds until Vendure's job queue holds no unsettled job."""
    import httpx

    query = "{ jobs(options: { take: 1, filter: { isSettled: { eq: false } } }) { totalItems } }"
    started = time.perf_counter()
    with httpx.Client(base_url=base, timeout=30.0) as client:
        while time.perf_counter() - started < timeout:
            data, _ = vendure_gql(client, "/admin-api", query, token=admin_token)
            if not data["jobs"]["totalItems"]:
                break
            time.sleep(0.05)
    return time.perf_counter() - started


# --------------------------------------------------------------------------- load generator


def run_worker(spec: dict, prefix: list[str]) -> dict:
    out = run_json_worker(__file__, spec, prefix)
    if out["samples"]:
        print(f"    {spec['flow']} errors: {out['samples']}", flush=True)
    return out


def worker_main(spec_json: str) -> None:
    """One async client per token. Flows: `list` (one GraphQL query, repeated), `ours` and
    `vendure` (a checkout of one unit, repeated). Timed: until `seconds` are up (an
    iteration under way is finished). `until_refused`: each client stops at its first refusal.
    `list` with `page` null (bench/growth.py): any query, with `variables`, checked for errors only."""
    import httpx

    spec = json.loads(spec_json)
    try:
        from uvloop import run as run_loop
    except ImportError:
        run_loop = asyncio.run
    from schema.node import encode

    class Refused(Exception):
        pass

    async def main() -> dict:
        n = len(spec["tokens"])
        counts = {"done": 0, "errors": 0, "refused": 0, "latency": 0.0}
        samples: list[str] = []
        limits = httpx.Limits(max_connections=n, max_keepalive_connections=n)
        async with httpx.AsyncClient(base_url=spec["base"], limits=limits, timeout=60.0) as client:

            async def gql(token: str, query: str, variables: dict | None = None) -> dict:
                response = await client.post(
                    spec["path"],
                    json={"query": query, "variables": variables or {}},
                    headers={"Authorization": f"Bearer {token}"},
                )
                body = response.json()
                if response.status_code != 200 or body.get("errors"):
                    raise RuntimeError(f"{response.status_code} {str(body.get('errors'))[:300]}")
                return body["data"]

            def expect(data: dict, field: str, typename: str) -> dict:
                value = data[field]
                if value["__typename"] != typename:
                    raise Refused(f"{field}: {value}")
                return value

            async def list_once(token: str, index: int, seq: int) -> None:
                data = await gql(token, spec["query"], spec.get("variables"))
                if spec.get("page") is None:  # another query (bench/growth.py): any answer without errors
                    return
                page = (
                    data.get("searchProducts", {}).get("nodes") if "searchProducts" in data else data["search"]["items"]
                )
                if len(page) != spec["page"]:
                    raise RuntimeError(f"{len(page)} items")

            async def ours_once(token: str, index: int, seq: int) -> None:
                order = {
                    "idempotencyKey": f"{spec['tag']}-{index}-{seq}",
                    "addressId": encode("Address", spec["addresses"][index]),
                    "items": [{"skuId": encode("Sku", spec["sku"]), "quantity": 1}],
                }
                placed = (await gql(token, OUR_PLACE, {"input": order}))["placeOrder"]
                if placed["errors"]:
                    raise Refused(f"placeOrder: {placed['errors']}")
                paid = (await gql(token, OUR_PAY, {"id": placed["payment"]["id"]}))["payWithWallet"]
                if paid["errors"] or paid["payment"]["status"] != "PAID":
                    raise RuntimeError(f"payWithWallet: {paid}")

            async def vendure_once(token: str, index: int, seq: int) -> None:
                expect(await gql(token, V_ADD, {"v": spec["variant"]}), "addItemToOrder", "Order")
                expect(await gql(token, V_ADDRESS, {"a": V_ADDRESS_INPUT}), "setOrderShippingAddress", "Order")
                expect(await gql(token, V_SHIP, {"s": [spec["shipping"]]}), "setOrderShippingMethod", "Order")
                expect(await gql(token, V_ARRANGE), "transitionOrderToState", "Order")
                paid = expect(await gql(token, V_PAY, {"m": spec["method"]}), "addPaymentToOrder", "Order")
                if paid["state"] != "PaymentSettled":
                    raise RuntimeError(f"addPaymentToOrder: {paid}")

            async def vendure_clear(token: str) -> None:
                """Empty the active order a refused checkout left (for the next limited product)."""
                try:
                    await gql(token, V_RESET)
                    await gql(token, V_CLEAR)
                except (httpx.HTTPError, RuntimeError, ValueError):
                    pass

            once = {"list": list_once, "ours": ours_once, "vendure": vendure_once}[spec["flow"]]
            until_refused = spec.get("until_refused", False)
            deadline = time.perf_counter() + spec["seconds"]

            async def one_client(index: int, token: str) -> None:
                seq = 0
                while time.perf_counter() < deadline:
                    seq += 1
                    t0 = time.perf_counter()
                    try:
                        await once(token, index, seq)
                    except Refused as exc:
                        counts["refused"] += 1
                        if until_refused:
                            if spec["flow"] == "vendure":
                                await vendure_clear(token)
                            return
                        counts["errors"] += 1
                        if len(samples) < 5:
                            samples.append(str(exc)[:300])
                        continue
                    except (httpx.HTTPError, RuntimeError, ValueError, KeyError) as exc:
                        counts["errors"] += 1
                        if len(samples) < 5:
                            samples.append(repr(exc)[:300])
                        continue
                    counts["done"] += 1
                    counts["latency"] += time.perf_counter() - t0

            start, cpu0 = time.perf_counter(), time.process_time()
            await asyncio.gather(*(one_client(i, t) for i, t in enumerate(spec["tokens"])))
            elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu0
        return {
            "done": counts["done"],
            "errors": counts["errors"],
            "refused": counts["refused"],
            "samples": samples,
            "seconds": elapsed,
            "cpu": cpu,
            "latency_ms": 1e3 * counts["latency"] / counts["done"] if counts["done"] else None,
        }

    print(json.dumps(run_loop(main())))


# --------------------------------------------------------------------------- report


def fmt(value: float | None, spec: str) -> str:
    return "-" if value is None else format(value, spec)


def print_table(runs: dict[str, list[Result]], keys: str) -> dict[str, Result]:
    totals = {k: total(runs[k]) for k in keys}
    print(f"\n{'case (all rounds)':<40} {'per s':>8} {'spread':>7} {'lat ms':>7} {'srv CPU':>8} {'srv ms/op':>10}")
    for key in keys:
        r = totals[key]
        rates = [x.rps for x in runs[key]]
        spread = (max(rates) - min(rates)) / max(rates) * 100 if len(rates) > 1 and max(rates) else 0.0
        util = r.server_cpu / r.seconds * 100 if r.server_cpu is not None and r.seconds else None
        per_op = r.server_cpu / r.requests * 1e3 if r.server_cpu is not None and r.requests else None
        print(
            f"({key}) {CASES[key].label:<36} {r.rps:8.1f} {spread:6.0f}% {fmt(r.latency_ms, '7.1f')} "
            f"{fmt(util, '7.0f')}% {fmt(per_op, '10.2f')}"
        )
    return totals


def print_ratio(totals: dict[str, Result], runs: dict[str, list[Result]], ours: str, peer: str, what: str) -> None:
    if ours not in totals or peer not in totals or not totals[peer].rps:
        return
    o, p = totals[ours], totals[peer]
    per_round = [a.rps / b.rps for a, b in zip(runs[ours], runs[peer]) if b.rps]
    text = f"ratio ours/Vendure {what:<14} throughput {o.rps / p.rps:6.2f}"
    if len(per_round) > 1:
        text += f" (per round {min(per_round):.2f}..{max(per_round):.2f}, median {statistics.median(per_round):.2f})"
    if o.server_cpu and p.server_cpu and o.requests and p.requests:
        text += f"   server CPU per op Vendure/ours {(p.server_cpu / p.requests) / (o.server_cpu / o.requests):6.2f}"
    print(text)


# --------------------------------------------------------------------------- main


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", default="abcd", help="cases to run (default abcd)")
    parser.add_argument("--products", type=int, default=2000, help="catalog products on each side (default 2000)")
    parser.add_argument("--first", type=int, default=50, help="products per listing page (default 50)")
    parser.add_argument("--clients", type=int, default=16, help="concurrent clients, one customer each (default 16)")
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per case and round (default 10)")
    parser.add_argument("--warmup", type=float, default=3.0, help="seconds of warm-up per case, once (default 3)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds over the cases, interleaved (default 3)")
    parser.add_argument(
        "--limited", type=int, default=3, help="limited-stock products for the oversell check (default 3)"
    )
    parser.add_argument("--limited-stock", type=int, default=20, help="units of each limited product (default 20)")
    parser.add_argument(
        "--response-cache",
        action=argparse.BooleanOptionalAction,
        default=False,
        help="our storefront response cache (RESPONSE_CACHE, on when deployed); off by default, as "
        "Vendure has none here: (a) then executes the search like (b)",
    )
    parser.add_argument(
        "--vendure-db", default="vendure_peer", help="Vendure's database, `public` DROPPED (default vendure_peer)"
    )
    parser.add_argument(
        "--pin",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="pin both servers to the last CPU, the load generator to the others (default on)",
    )
    parser.add_argument(
        "--grown",
        metavar="SIZE",
        help="ours on a grown shop (bench/grow_shop.py --size SIZE, made or reused in DATABASE_URL): its "
        "hot product and buyers; Vendure gets the first --products of its catalog (default cases cd)",
    )
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker_main(args.worker)
        return
    if args.grown and args.cases == "abcd":
        args.cases = "cd"  # the listings would compare catalogs of different sizes
    if not os.environ.get("DATABASE_URL", "").startswith(POSTGRES_SCHEMES):
        raise SystemExit("PostgreSQL only: set DATABASE_URL=postgres://user@host:5432/<throw-away database>")
    if urlsplit(os.environ["DATABASE_URL"]).path.lstrip("/") == args.vendure_db:
        raise SystemExit("--vendure-db must not be our database")
    if not (PEER_DIR / "node_modules" / "@vendure" / "core").is_dir():
        raise SystemExit(f"Vendure is not installed: (cd {PEER_DIR.relative_to(ROOT)} && npm ci)")
    keys = "".join(k for k in "abcd" if k in args.cases)
    server_prefix, client_prefix = pin_prefixes(args.pin)

    tmp = Path(tempfile.mkdtemp(prefix="socialmall-bench-peer-"))
    os.environ["RESPONSE_CACHE"] = "true" if args.response_cache else "false"
    env = configure_environment(tmp)
    started = time.perf_counter()
    grown = None
    if args.grown:
        from bench.grow_shop import grow

        grown = grow(args.grown, args.clients)
    else:
        asyncio.run(prepare_database(0))
    ours = asyncio.run(seed_ours(args.products, args.clients, args.limited, args.limited_stock, grown))
    print(
        f"ours       {'grown shop ' + args.grown if grown else 'seeded'}: {len(ours['catalog'])} products exported "
        f"+ hot + {args.limited} limited ({time.perf_counter() - started:.0f} s)"
    )

    from services.catalog.limits import MAX_STOCK

    v_port = free_port()
    v_env = vendure_env(os.environ["DATABASE_URL"], args.vendure_db, v_port)
    write_vendure_csv(tmp / "catalog.csv", ours["catalog"], MAX_STOCK, args.limited, args.limited_stock)
    started = time.perf_counter()
    seeded = seed_vendure(v_env, tmp / "catalog.csv", args.clients, tmp / "seeded.json")
    print(
        f"Vendure    seeded {seeded['products']} products, {seeded['productVariants']} variants, "
        f"{len(seeded['customers'])} customers, search index rebuilt ({time.perf_counter() - started:.0f} s)"
    )

    port = free_port()
    base, v_base = f"http://127.0.0.1:{port}", f"http://127.0.0.1:{v_port}"
    log, v_log = tmp / "server.log", tmp / "vendure.log"
    server = start_server(env, port, log, server_prefix)
    vendure = start_vendure(v_env, v_log, server_prefix)
    runs: dict[str, list[Result]] = {k: [] for k in keys}
    drains: list[float] = []
    try:
        wait_ready(server, base, log)
        wait_ready(vendure, v_base, v_log, 90.0, path="/health", name="Vendure")
        v_tokens = vendure_login(v_base, seeded["customers"])
        admin_token = vendure_admin_token(v_base)
        our_tokens = [b["token"] for b in ours["buyers"]]
        addresses = [b["address_id"] for b in ours["buyers"]]
        tag = uuid.uuid4().hex[:12]
        specs = {
            "a": {
                "flow": "list",
                "base": base,
                "path": "/graphql",
                "tokens": our_tokens,
                "query": OUR_LIST % args.first,
            },
            "b": {
                "flow": "list",
                "base": v_base,
                "path": "/shop-api",
                "tokens": v_tokens,
                "query": VENDURE_LIST % args.first,
            },
            "c": {
                "flow": "ours",
                "base": base,
                "path": "/graphql",
                "tokens": our_tokens,
                "addresses": addresses,
                "sku": ours["hot_sku"],
            },
            "d": {
                "flow": "vendure",
                "base": v_base,
                "path": "/shop-api",
                "tokens": v_tokens,
                "variant": seeded["variants"]["HOT"],
                "shipping": seeded["shippingMethodId"],
                "method": seeded["paymentMethod"],
            },
        }
        for spec in specs.values():
            spec["page"] = args.first

        def measure(key: str, seconds: float, n: int = 0) -> Result:
            proc = server if key in "ac" else vendure
            spec = {**specs[key], "seconds": seconds, "tag": f"{tag}-{key}-{n}"}
            cpu0 = cpu_seconds(proc.pid)
            out = run_worker(spec, client_prefix)
            drain = vendure_wait_jobs(v_base, admin_token) if key == "d" else 0.0
            cpu1 = cpu_seconds(proc.pid)
            if key == "d":
                drains.append(drain)
            return Result(
                requests=out["done"],
                seconds=out["seconds"],
                errors=out["errors"],
                latency_ms=out["latency_ms"],
                server_cpu=cpu1 - cpu0 if cpu0 is not None and cpu1 is not None else None,
                client_cpu=out["cpu"],
            )

        print(
            f"\nload       httpx, {args.clients} clients, {args.rounds} x {args.duration:.0f} s per case, "
            f"pinned: {' '.join(server_prefix) or 'no'} (servers) / {' '.join(client_prefix) or 'no'} (clients)"
        )
        print(
            f"machine    load average {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} {os.getloadavg()[2]:.2f}, {os.cpu_count()} CPUs"
        )
        idle = {}
        for name, proc in (("ours", server), ("Vendure", vendure)):
            cpu0 = cpu_seconds(proc.pid)
            time.sleep(3.0)
            idle[name] = (cpu_seconds(proc.pid) - cpu0) / 3.0 * 1e3
        print(f"idle       server CPU ms/s: ours {idle['ours']:.1f}, Vendure {idle['Vendure']:.1f}")
        if args.warmup > 0:
            for key in keys:
                measure(key, args.warmup)
        for round_no in range(1, args.rounds + 1):
            line = []
            for key in keys:
                result = measure(key, args.duration, round_no)
                runs[key].append(result)
                line.append(f"({key}) {result.rps:7.1f}")
            print(f"  round {round_no}   per s  " + "  ".join(line), flush=True)

        totals = print_table(runs, keys)
        print()
        print_ratio(totals, runs, "a", "b", "listing")
        print_ratio(totals, runs, "c", "d", "place+pay")
        if drains:
            print(
                f"Vendure's search index queue drained {max(drains):.1f} s at most after a (d) window (CPU counted in (d))"
            )
        errors = {k: sum(r.errors for r in runs[k]) for k in keys}
        if any(errors.values()):
            print(f"warning: failures during the measurements: {errors}")

        # ------------------------------------------------------------ oversell check
        print(
            f"\noversell check: {args.limited} products x {args.limited_stock} units, {args.clients} clients buying until refused"
        )
        our_sold = v_sold = 0
        for k in range(args.limited):
            ours_out = run_worker(
                {
                    **specs["c"],
                    "sku": ours["limited_skus"][k],
                    "seconds": 60.0,
                    "until_refused": True,
                    "tag": f"{tag}-lim-{k}",
                },
                client_prefix,
            )
            v_out = run_worker(
                {**specs["d"], "variant": seeded["variants"][f"LIMITED-{k}"], "seconds": 60.0, "until_refused": True},
                client_prefix,
            )
            our_sold += ours_out["done"]
            v_sold += v_out["done"]
            print(
                f"  product {k}: ours sold {ours_out['done']} of {args.limited_stock}, "
                f"Vendure settled {v_out['done']} of {args.limited_stock}"
            )
        vendure_wait_jobs(v_base, admin_token)
    finally:
        stop_server(server)
        stop_server(vendure)

    stock = asyncio.run(our_stock(ours["limited_skus"]))
    v_levels = asyncio.run(vendure_stock_levels(os.environ["DATABASE_URL"], args.vendure_db, args.limited))
    supply = args.limited * args.limited_stock
    our_over = max(0, our_sold - supply) + sum(-s for s in stock.values() if s < 0)
    v_settled = sum(r["settled"] for r in v_levels)
    v_over = sum(max(0, r["settled"] - r["on_hand"]) for r in v_levels)
    print(f"  ours:    {our_sold} units sold of {supply}; stock left {sorted(stock.values())}; oversold {our_over}")
    print(
        f"  Vendure: {v_sold} checkouts settled (clients), {v_settled} units in settled orders (database) of {supply}; "
        f"oversold {v_over} (vendurehq/vendure#4152)"
    )
    for r in v_levels:
        print(
            f"    {r['sku']}: stockOnHand {r['on_hand']}, stockAllocated {r['allocated']}, "
            f"ALLOCATION movements {r['movements']} units, settled {r['settled']} units"
        )
    problems = []
    if our_over:
        problems.append(f"ours oversold {our_over} units")
    if our_sold != supply:
        problems.append(f"ours sold {our_sold} of {supply} limited units (every unit should sell)")
    for problem in problems:
        print(f"  PROBLEM: {problem}")
    if any(r.errors for rs in runs.values() for r in rs):
        print(f"\nVendure log tail:\n{v_log.read_text(errors='replace')[-2000:]}")
    shutil.rmtree(tmp, ignore_errors=True)
    if problems:
        sys.exit(1)


async def vendure_stock_levels(db_url: str, db_name: str, limited: int) -> list[dict]:
    """Per limited variant: stock on hand and allocated (stock_level), units in ALLOCATION
    stock movements, units in settled orders (what was sold)."""
    import asyncpg

    parts = urlsplit(db_url)
    conn = await asyncpg.connect(
        host=parts.hostname or "127.0.0.1",
        port=parts.port or 5432,
        user=parts.username or "postgres",
        password=parts.password or None,
        database=db_name,
    )
    try:
        rows = await conn.fetch(
            """SELECT v.sku,
                 (SELECT sum(s."stockOnHand") FROM stock_level s WHERE s."productVariantId" = v.id) AS on_hand,
                 (SELECT sum(s."stockAllocated") FROM stock_level s WHERE s."productVariantId" = v.id) AS allocated,
                 (SELECT coalesce(sum(m.quantity), 0) FROM stock_movement m
                   WHERE m."productVariantId" = v.id AND m.type = 'ALLOCATION') AS movements,
                 (SELECT coalesce(sum(l.quantity), 0) FROM order_line l JOIN "order" o ON o.id = l."orderId"
                   WHERE l."productVariantId" = v.id AND o.state = 'PaymentSettled') AS settled
               FROM product_variant v WHERE v.sku = ANY($1::text[]) ORDER BY v.sku""",
            [f"LIMITED-{k}" for k in range(limited)],
        )
        return [dict(r) for r in rows]
    finally:
        await conn.close()


if __name__ == "__main__":
    main()
