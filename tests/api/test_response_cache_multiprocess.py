"""The response cache across processes: two uvicorn servers (tests/servers.py) on one PostgreSQL
and one Redis, RESPONSE_CACHE on. An answer cached by one is a hit on the other; a price change,
a delisting and a stock-out made through one server are in the other's answers within 100 ms of
the mutation's response. Runs only with DATABASE_URL=postgres://... and REDIS_URL=redis://... set.
"""

from __future__ import annotations

import time

import pytest_asyncio

import settings
from models.accounts import User
from schema import response_cache
from services.catalog import products as catalog
from tests.catalog_factories import make_merchant, make_product, sku
from tests.conftest import requires_postgres, requires_redis
from tests.helpers import gid, token_for
from tests.servers import Server, Servers, redis, running_servers  # noqa: F401 (redis: fixture)

pytestmark = [requires_postgres, requires_redis]

SEARCH = """query($k: String!) { searchProducts(keyword: $k, first: 20) {
  nodes { id title minPrice { amount } skus { id code stock price { amount } } merchant { name } } } }"""
SET_SKUS = "mutation($id: ID!, $s: [SkuInput!]!) { setSkus(productId: $id, skus: $s) { errors { code field } } }"
DELIST = "mutation($id: ID!) { delistProduct(id: $id) { errors { code field } } }"
ADJUST = "mutation($id: ID!, $d: Int!) { adjustStock(skuId: $id, delta: $d, reason: DAMAGE) { errors { code field } } }"
WITHIN = 0.1  # seconds from a mutation's response to the other server's answer showing it
SEEN_AFTER: list[float] = []  # measured here, printed at the end (visible with -s or on failure)


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def servers(database):
    try:
        async with running_servers(
            "cache", extra_env={"RESPONSE_CACHE": "true", "RESPONSE_CACHE_TTL": "60"}
        ) as started:
            yield started
    finally:
        if SEEN_AFTER:
            print("\nseen on the other server after (ms):", [round(v * 1e3, 1) for v in SEEN_AFTER])


@pytest_asyncio.fixture(loop_scope="session", autouse=True)
async def fresh_generation(redis, servers, request):
    # the database was truncated since the last test: no server may serve what it cached then
    await redis.incr(settings.BROADCAST_CHANNEL_PREFIX + response_cache.GENERATION_KEY)
    failed_before = request.session.testsfailed
    yield
    if request.session.testsfailed > failed_before:
        print(servers.logs())


async def _ask(servers: Servers, server: Server, keyword: str) -> tuple[str, list[dict]]:
    response = await servers.http.post(server.graphql_url, json={"query": SEARCH, "variables": {"k": keyword}})
    body = response.json()
    assert response.status_code == 200 and not body.get("errors"), body
    return response.headers.get(response_cache.HEADER, ""), body["data"]["searchProducts"]["nodes"]


async def _mutate(servers: Servers, server: Server, query: str, variables: dict, token: str) -> None:
    body = await servers.graphql(server, query, variables, token)
    assert not body.get("errors"), body
    assert all(not payload["errors"] for payload in body["data"].values()), body


async def _until(servers: Servers, server: Server, keyword: str, shows) -> float:
    """Seconds until `server` answers with what `shows(nodes)` expects (at most WITHIN)."""
    started = time.perf_counter()
    while True:
        _header, nodes = await _ask(servers, server, keyword)
        elapsed = time.perf_counter() - started
        if shows(nodes):
            SEEN_AFTER.append(elapsed)
            return elapsed
        assert elapsed < WITHIN, f"{server.name} still answers {nodes} after {elapsed * 1e3:.0f} ms"


async def _catalog(keyword: str, code: str):
    merchant = await make_merchant()
    category = await catalog.create_category("服装")
    products = [
        await make_product(merchant, category.id, title=f"{keyword} {i}", skus=[sku(f"{code}-{i}", price=1000 + i)])
        for i in range(2)
    ]
    token = await token_for(await User.get(id=merchant.owner_id))
    return products, token


async def _warm(servers: Servers, keyword: str) -> list[dict]:
    """Cached by server one; server two reads the same entry from Redis."""
    assert (await _ask(servers, servers.one, keyword))[0] == "miss"
    header, nodes = await _ask(servers, servers.one, keyword)
    assert header == "hit"
    assert await _ask(servers, servers.two, keyword) == ("hit", nodes)
    return nodes


async def test_a_price_change_on_one_server_is_in_the_others_next_answer(servers):
    (first, _second), token = await _catalog("改价", "PRICE")
    await _warm(servers, "改价")
    await _mutate(
        servers, servers.two, SET_SKUS, {"id": gid(first), "s": [{"code": "PRICE-0", "price": "8.80"}]}, token
    )

    def price(nodes: list[dict]) -> str:
        return next(n for n in nodes if n["id"] == gid(first))["minPrice"]["amount"]

    assert await _until(servers, servers.one, "改价", lambda nodes: price(nodes) == "8.80") < WITHIN
    assert price((await _ask(servers, servers.two, "改价"))[1]) == "8.80"


async def test_a_delisting_on_one_server_is_in_the_others_next_answer(servers):
    (first, second), token = await _catalog("下架", "DELIST")
    await _warm(servers, "下架")
    await _mutate(servers, servers.one, DELIST, {"id": gid(first)}, token)
    await _until(servers, servers.two, "下架", lambda nodes: [n["id"] for n in nodes] == [gid(second)])


async def test_a_stock_out_on_one_server_is_in_the_others_next_answer(servers):
    (first, second), token = await _catalog("售罄", "SOLDOUT")
    nodes = await _warm(servers, "售罄")
    sku_id = next(n for n in nodes if n["id"] == gid(first))["skus"][0]["id"]
    await _mutate(servers, servers.two, ADJUST, {"id": sku_id, "d": -10}, token)  # all 10: delisted at zero
    await _until(servers, servers.one, "售罄", lambda nodes: [n["id"] for n in nodes] == [gid(second)])
