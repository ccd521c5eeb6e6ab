"""Storefront search (CAT-4): filters, sorts, keyset cursors stable for every sort, and
the trigram index on PostgreSQL."""

from __future__ import annotations

import pytest
from tortoise.transactions import in_transaction

from models.catalog import Product
from models.merchants import Merchant
from services.catalog import products as catalog
from services.catalog import search
from services.core.sql import sql
from tests.catalog_factories import make_merchant, make_product, sku
from tests.conftest import requires_postgres
from tests.helpers import gid, pk_of

SEARCH = """query($k: String, $c: ID, $z: Zone, $m: ID, $lo: Amount, $hi: Amount, $s: ProductSort!, $n: Int!, $a: String) {
  searchProducts(keyword: $k, categoryId: $c, zone: $z, merchantId: $m, minPrice: $lo, maxPrice: $hi, sort: $s, first: $n, after: $a) {
    nodes { id title } edges { cursor } pageInfo { hasNextPage endCursor } } }"""


async def _titles(api, **variables) -> list[str]:
    data = await api(SEARCH, {"s": "RELEVANCE", "n": 100, **variables})
    return [n["title"] for n in data["searchProducts"]["nodes"]]


async def test_filters(api):
    clothes = await catalog.create_category("服装")
    dresses = await catalog.create_category("连衣裙", clothes.id)
    food = await catalog.create_category("食品")
    shop, other = await make_merchant(), await make_merchant()
    await make_product(shop, dresses.id, title="红色连衣裙", skus=[sku(price=15900)])
    await make_product(shop, clothes.id, title="蓝色衬衫", subtitle="纯棉", skus=[sku(price=8900)])
    await make_product(
        other,
        food.id,
        title="云南普洱茶",
        attributes=[("产地", "云南")],
        zone="POINTS",
        skus=[sku(price=0, points_price=100)],
    )
    await make_product(shop, food.id, title="红茶草稿", listed=False)
    suspended = await make_merchant(status="ACTIVE")
    await make_product(suspended, food.id, title="红茶停业")
    await Merchant.filter(id=suspended.id).update(status="SUSPENDED")

    assert sorted(await _titles(api)) == sorted(["红色连衣裙", "蓝色衬衫", "云南普洱茶"])
    assert await _titles(api, k="红色") == ["红色连衣裙"]
    assert await _titles(api, k="纯棉") == ["蓝色衬衫"]  # subtitle
    assert await _titles(api, k="云南") == ["云南普洱茶"]  # title and attribute
    assert await _titles(api, k="红 连衣") == ["红色连衣裙"]  # every term must match
    assert await _titles(api, k="100%") == []  # LIKE wildcards are literal
    assert sorted(await _titles(api, c=gid(clothes))) == sorted(["红色连衣裙", "蓝色衬衫"])  # subtree
    assert await _titles(api, c=gid(dresses)) == ["红色连衣裙"]
    assert await _titles(api, z="POINTS") == ["云南普洱茶"]
    assert await _titles(api, m=gid(other)) == ["云南普洱茶"]
    assert sorted(await _titles(api, lo="80.00", hi="100")) == ["蓝色衬衫"]
    assert await _titles(api, lo="160.00") == []


async def test_relevance_puts_title_matches_first(api):
    shop = await make_merchant()
    await make_product(shop, title="休闲裤", attributes=[("款式", "茶色")])  # attribute only
    await make_product(shop, title="绿茶礼盒")  # title contains
    await make_product(shop, title="茶具套装")  # title starts with
    assert await _titles(api, k="茶") == ["茶具套装", "绿茶礼盒", "休闲裤"]


@pytest.mark.parametrize("sort", ["RELEVANCE", "SALES", "PRICE_ASC", "PRICE_DESC", "NEWEST"])
async def test_cursor_pages_are_stable_for_every_sort(api, sort):
    shop = await make_merchant()
    cat = await catalog.create_category("c")
    for i in range(13):
        # Many ties in price and sales (and in relevance: 茶 leads or not): the id breaks them.
        title = ("茶" if i % 3 else "好茶") + f"{i:02d}"
        await make_product(shop, cat.id, title=title, skus=[sku(price=1000 + (i % 3) * 100)])
    for i, product in enumerate(await Product.all().order_by("id")):
        await Product.filter(id=product.id).update(sales_count=i % 4)
    variables = {"k": "茶", "s": sort}
    everything = [n["id"] for n in (await api(SEARCH, {**variables, "n": 100}))["searchProducts"]["nodes"]]
    assert len(everything) == 13
    paged, after = [], None
    while True:
        page = (await api(SEARCH, {**variables, "n": 4, "a": after}))["searchProducts"]
        paged += [n["id"] for n in page["nodes"]]
        assert page["edges"][-1]["cursor"] == page["pageInfo"]["endCursor"]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert paged == everything
    rows = {gid(p): p for p in await Product.all()}
    keys = {
        "SALES": lambda i: (-rows[i].sales_count, -pk_of(i)),
        "PRICE_ASC": lambda i: (rows[i].min_price, pk_of(i)),
        "PRICE_DESC": lambda i: (-rows[i].min_price, -pk_of(i)),
        "NEWEST": lambda i: -pk_of(i),
        "RELEVANCE": lambda i: (-(3 if rows[i].title.startswith("茶") else 1), -rows[i].sales_count, -pk_of(i)),
    }
    assert everything == sorted(everything, key=keys[sort])


async def test_bad_cursor_and_page_size(api):
    shop = await make_merchant()
    await make_product(shop)
    await make_product(shop)
    first = (await api(SEARCH, {"s": "PRICE_ASC", "n": 1}))["searchProducts"]["pageInfo"]["endCursor"]
    body = await api.raw(SEARCH, {"s": "SALES", "n": 1, "a": first})  # a cursor of another sort
    assert body["errors"][0]["extensions"]["code"] == "INVALID_CURSOR"
    body = await api.raw(SEARCH, {"s": "SALES", "n": 1, "a": "garbage"})
    assert body["errors"][0]["extensions"]["code"] == "INVALID_CURSOR"
    body = await api.raw(SEARCH, {"s": "SALES", "n": 101})
    assert body["errors"][0]["extensions"]["code"] == "PAGE_SIZE_EXCEEDED"


@requires_postgres
async def test_keyword_query_uses_the_trigram_index():
    shop = await make_merchant()
    cat = await catalog.create_category("c")
    await make_product(shop, cat.id, title="红色连衣裙")
    await Product.bulk_create(
        [
            Product(
                merchant_id=shop.id,
                category_id=cat.id,
                title=f"商品{i}",
                search_text=f"商品{i} 产地 云南",
                status="LISTED",
            )
            for i in range(2000)  # enough rows that a status-index scan costs more than the trigram one
        ],
        batch_size=1000,
    )
    async with in_transaction() as conn:
        # What autovacuum does in production: merge GIN's pending list, refresh statistics.
        await conn.execute_query("SELECT gin_clean_pending_list('product_search_trgm')")
        await conn.execute_script("ANALYZE product")
    text, params = search.build_query("postgres", search.SearchFilters(keyword="连衣裙"), "RELEVANCE", None, 21)
    async with in_transaction() as conn:
        await conn.execute_script("SET LOCAL enable_seqscan = off")
        rows = await conn.execute_query_dict(sql(conn, "EXPLAIN " + text), params)
    plan = "\n".join(r["QUERY PLAN"] for r in rows)
    assert "product_search_trgm" in plan, plan
