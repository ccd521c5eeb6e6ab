"""Storefront search through GraphQL against a bare Starlette endpoint doing the same SQL.

    .venv/bin/python bench/search_vs_bare.py            # SQLite in a temporary directory
    DATABASE_URL=postgres://user@127.0.0.1:5432/bench .venv/bin/python bench/search_vs_bare.py
                                    # PostgreSQL: the `public` schema of that database is DROPPED

Seeds 10,000 listed products (1-3 SKUs each, 20 merchants, a two-level category tree)
with bulk inserts, then measures, in the same run and server process (bench/search_app.py):

  a  bare  GET  /bare/search?keyword=连衣裙&first=50     keyword search, RELEVANCE
  b  gql   POST /graphql  searchProducts(keyword: "连衣裙", first: 50) { nodes { id title
           minPrice totalStock skus { id code price stock } merchant { id name logoUrl } } }
  c  bare  GET  /bare/search?categoryId=<root>&sort=SALES&first=50   category subtree, best sellers
  d  gql   the same through GraphQL

Both sides authenticate the bearer token and run the same search SQL, one query for the
SKUs and one for the merchants. Target: b/a and d/c >= 0.5. Not a test: it never fails on
timing. The harness (server, load generator, report) is bench/graphql_vs_bare.py's.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.graphql_vs_bare import (
    Case,
    add_common_arguments,
    configure_environment,
    free_port,
    prepare_database,
    print_header,
    print_ratio,
    print_results,
    print_warnings,
    run_rounds,
    setup_client,
    start_server,
    stop_server,
    wait_ready,
    worker_main,
)

KEYWORD = "连衣裙"
NODES = "nodes { id title minPrice { amount currency } totalStock skus { id code price { amount currency } stock } merchant { id name logoUrl } }"
COLOURS = ["红色", "蓝色", "黑色", "白色", "绿色", "米色", "灰色", "粉色"]
ITEMS = ["连衣裙", "T恤", "衬衫", "运动鞋", "普洱茶", "手机壳", "双肩包", "咖啡豆", "口红", "蓝牙耳机"]


def cases(root_category_id: int, first: int) -> list[Case]:
    from schema.node import encode

    category = encode("Category", root_category_id)
    keyword_query = f'{{ searchProducts(keyword: "{KEYWORD}", first: {first}) {{ {NODES} }} }}'
    category_query = f'{{ searchProducts(categoryId: "{category}", sort: SALES, first: {first}) {{ {NODES} }} }}'
    return [
        Case(
            "a", f"bare  /bare/search keyword ({first})", "GET", f"/bare/search?keyword={quote(KEYWORD)}&first={first}"
        ),
        Case("b", f"gql   searchProducts keyword ({first})", "POST", "/graphql", json.dumps({"query": keyword_query})),
        Case(
            "c",
            f"bare  /bare/search category ({first})",
            "GET",
            f"/bare/search?categoryId={quote(category)}&sort=SALES&first={first}",
        ),
        Case(
            "d", f"gql   searchProducts category ({first})", "POST", "/graphql", json.dumps({"query": category_query})
        ),
    ]


async def seed_catalog(products: int, merchants: int = 20) -> int:
    """Bulk-insert the catalog; returns the id of the first root category."""
    from tortoise import Tortoise

    import settings
    import wiring
    from models.catalog import Category, Product, Sku
    from models.merchants import Merchant
    from services.accounts import referral
    from services.catalog import products as catalog

    wiring.install()

    await Tortoise.init(config=settings.TORTOISE_ORM, _enable_global_fallback=True)
    try:
        rng = random.Random(42)
        owner = await referral.create_user(phone="+8613700000000", nickname="bench-merchant")
        await Merchant.bulk_create(
            [
                Merchant(
                    name=f"商户{i:02d}",
                    owner_id=owner.id,
                    status="ACTIVE",
                    logo_url=f"https://cdn.example.com/m/{i}.png",
                )
                for i in range(merchants)
            ]
        )
        merchant_ids = list(await Merchant.all().order_by("id").values_list("id", flat=True))
        roots = [await catalog.create_category(f"一级{i}") for i in range(5)]
        leaves = [await catalog.create_category(f"二级{r.id}-{j}", r.id) for r in roots for j in range(4)]
        rows, skus_per = [], []
        for i in range(products):
            title = f"{rng.choice(COLOURS)}{rng.choice(ITEMS)} {i:05d}"
            n = rng.randint(1, 3)
            prices = sorted(rng.randint(990, 99_900) for _ in range(n))
            stocks = [rng.randint(1, 200) for _ in range(n)]
            skus_per.append((prices, stocks))
            rows.append(
                Product(
                    merchant_id=rng.choice(merchant_ids),
                    category_id=rng.choice(leaves).id,
                    title=title,
                    subtitle="包邮",
                    search_text=f"{title} 包邮".lower(),
                    status="LISTED",
                    delist_reason="",
                    min_price=prices[0],
                    max_price=prices[-1],
                    total_stock=sum(stocks),
                    sales_count=rng.randint(0, 5000),
                )
            )
        await Product.bulk_create(rows, batch_size=1000)
        ids = list(await Product.all().order_by("id").values_list("id", flat=True))
        sku_rows = [
            Sku(
                product_id=pid,
                code=f"S{pid}-{j}",
                spec_values={"规格": str(j)},
                spec_key=f"规格={j}",
                price=price,
                stock=stock,
            )
            for pid, (prices, stocks) in zip(ids, skus_per)
            for j, (price, stock) in enumerate(zip(prices, stocks))
        ]
        await Sku.bulk_create(sku_rows, batch_size=1000)
        if settings.IS_POSTGRES:
            from tortoise import connections

            conn = connections.get("default")
            await conn.execute_query("SELECT gin_clean_pending_list('product_search_trgm')")
            await conn.execute_script("ANALYZE")
        count = await Product.all().count()
        print(
            f"seeded     {count} products, {len(sku_rows)} SKUs, {merchants} merchants, {await Category.all().count()} categories"
        )
        return roots[0].id
    finally:
        await Tortoise.close_connections()


def check_responses(base: str, token: str, pairs: list[tuple[Case, Case]], first: int) -> None:
    """Each GraphQL/bare pair answers 200 with identical JSON and a full page."""
    import httpx

    with httpx.Client(base_url=base, timeout=30.0) as client:
        for bare, gql in pairs:
            bodies = []
            for case in (bare, gql):
                response = client.request(**case.request_kwargs(token))
                body = response.json()
                if response.status_code != 200 or body.get("errors"):
                    raise SystemExit(f"case {case.key} ({case.label}) failed: {response.status_code} {body}")
                bodies.append(body)
            if bodies[0] != bodies[1]:
                raise SystemExit(f"({bare.key}) and ({gql.key}) return different data")
            nodes = bodies[1]["data"]["searchProducts"]["nodes"]
            if len(nodes) != first or not all(n["skus"] and n["merchant"]["name"] for n in nodes):
                raise SystemExit(f"({gql.key}) returned {len(nodes)} products, expected {first} with SKUs and merchant")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_common_arguments(parser, "abcd")
    parser.add_argument("--products", type=int, default=10_000, help="products seeded (default 10000)")
    parser.add_argument("--first", type=int, default=50, help="products per page (default 50)")
    args = parser.parse_args()
    if args.worker:
        worker_main(args.worker)
        return
    server_prefix = setup_client(args)

    tmp = Path(tempfile.mkdtemp(prefix="socialmall-bench-search-"))
    env = configure_environment(tmp)
    token = asyncio.run(prepare_database(0))
    started = time.perf_counter()
    root_id = asyncio.run(seed_catalog(args.products))
    print(f"seed time  {time.perf_counter() - started:.1f} s")
    all_cases = cases(root_id, args.first)
    selected = [c for c in all_cases if c.key in args.cases]
    pairs = [(all_cases[0], all_cases[1]), (all_cases[2], all_cases[3])]

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = tmp / "server.log"
    server = start_server(env, port, log, server_prefix, app="bench.search_app:app")
    try:
        wait_ready(server, base, log)
        check_responses(base, token, pairs, args.first)
        print_header(args, server, server_prefix)
        runs = run_rounds(args, base, token, server, tmp, selected)
        check_responses(base, token, pairs, args.first)
    finally:
        stop_server(server)

    totals = print_results(selected, runs)
    print_ratio(totals, runs, "b", "a", "GraphQL keyword / bare", 0.5)
    print_ratio(totals, runs, "d", "c", "GraphQL category / bare", 0.5)
    print_warnings(args, runs, totals)
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
