"""The response cache for public queries (schema/response_cache.py), through the app in-process:
a hit is the first answer's bytes, with no SQL; a price change, a delisting, a stock-out and a
content change are in the very next answer; a signed-in viewer's own data never comes from the
cache; errors are not cached; mutations are not; RESPONSE_CACHE off caches nothing. On Redis
when REDIS_URL is set, else the in-process store (the same tests run on both).
Across processes: tests/api/test_response_cache_multiprocess.py."""

from __future__ import annotations

import statistics
import time

import httpx
import pytest
import pytest_asyncio

from app import create_app
from models.accounts import User
from schema import response_cache
from services.catalog import content, stock
from services.catalog import products as catalog
from services.core.errors import DomainError
from services.merchants import merchants, stores
from tests.catalog_factories import make_merchant, make_product, make_staff, owner_grants, sku
from tests.helpers import gid, make_user, token_for
from tests.order_factories import make_buyer, place
from tests.querycount import count_queries

SEARCH = """query($k: String, $n: Int!) { searchProducts(keyword: $k, first: $n) {
  nodes { id title status minPrice { amount currency } skus { id code stock price { amount } memberPrice { amount } }
          merchant { id name logoUrl } }
  pageInfo { hasNextPage endCursor } } }"""
PRODUCT = "query($id: ID!) { product(id: $id) { id title status skus { stock } } }"


class Client:
    def __init__(self, http: httpx.AsyncClient) -> None:
        self.http = http

    async def post(
        self, query: str, variables: dict | None = None, token: str | None = None, **extra
    ) -> httpx.Response:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return await self.http.post("/graphql", json={"query": query, "variables": variables, **extra}, headers=headers)

    async def data(self, query: str, variables: dict | None = None, token: str | None = None) -> tuple[str, dict]:
        """(x-response-cache header or "", data), failing on errors."""
        response = await self.post(query, variables, token)
        body = response.json()
        assert response.status_code == 200 and not body.get("errors"), body
        return response.headers.get(response_cache.HEADER, ""), body["data"]


async def _client(cache: bool):
    app = create_app(debug=False, manage_database=False, cache_responses=cache)
    await response_cache.invalidate()  # rows were truncated since the last test: forget its answers
    transport = httpx.ASGITransport(app=app, client=("10.1.2.3", 5555))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield Client(http)


@pytest_asyncio.fixture(loop_scope="session")
async def cached():
    async for client in _client(True):
        yield client


@pytest_asyncio.fixture(loop_scope="session")
async def uncached():
    async for client in _client(False):
        yield client


async def _shop(products: int = 1, **merchant_fields):
    merchant = await make_merchant(**merchant_fields)
    category = await catalog.create_category("服装")
    rows = [
        await make_product(merchant, category.id, title=f"红色连衣裙 {i:02d}", skus=[sku(price=15900 + i, stock=5)])
        for i in range(products)
    ]
    return merchant, rows


def _search(n: int = 10) -> dict:
    return {"k": "连衣裙", "n": n}


def _prices(data: dict) -> list[str]:
    return [node["minPrice"]["amount"] for node in data["searchProducts"]["nodes"]]


# --------------------------------------------------------------------------- hits


async def test_a_hit_is_the_same_answer_byte_for_byte_without_sql(cached):
    await _shop(3)
    first = await cached.post(SEARCH, _search())
    assert first.headers[response_cache.HEADER] == "miss" and not first.json().get("errors")
    with count_queries() as queries:
        again = await cached.post(SEARCH, _search())
    assert again.headers[response_cache.HEADER] == "hit"
    assert again.content == first.content and again.headers["content-type"] == "application/json"
    assert queries.count == 0
    # the same document spelt otherwise (spacing, a comment) and the variables in another order
    respelt = "# storefront\n" + " ".join(SEARCH.split())
    response = await cached.http.post("/graphql", json={"variables": {"n": 10, "k": "连衣裙"}, "query": respelt})
    assert response.headers[response_cache.HEADER] == "hit" and response.content == first.content
    # other variables are another answer
    other = await cached.post(SEARCH, _search(2))
    assert other.headers[response_cache.HEADER] == "miss" and len(other.json()["data"]["searchProducts"]["nodes"]) == 2


async def test_every_public_root_field_is_cached(cached):
    merchant, (product,) = await _shop()
    await content.create_banner(
        content.BannerData("HOME_TOP", "夏季", "https://cdn.example.com/b.png", "URL", "https://shop.example.com/s")
    )
    await content.set_recommendations("HOME", "PRODUCT", [product.id])
    await content.set_recommendations("HOME", "MERCHANT", [merchant.id])
    queries = [
        ("{ categories { id name children { id } } }", None),
        (PRODUCT, {"id": gid(product)}),
        ("{ banners { id title } }", None),
        ("{ recommendedProducts { id title } recommendedMerchants { id name } __typename }", None),
        ("query($id: ID!) { merchant(id: $id) { id name description } }", {"id": gid(merchant)}),
        ("{ nearestStores(latitude: 25.04, longitude: 102.71) { distanceMeters store { name } } }", None),
        (
            "fragment P on Query { searchProducts(first: 5) { nodes { id } } } { ...P ... on Query { categories { id } } }",
            None,
        ),
    ]
    for query, variables in queries:
        first, data = await cached.data(query, variables)
        again, same = await cached.data(query, variables)
        assert (first, again) == ("miss", "hit") and same == data, query


async def test_a_signed_in_viewer_shares_answers_that_never_looked_at_them(cached):
    await _shop(2)
    one, two = await make_user("one"), await make_user("two")
    header, data = await cached.data(SEARCH, _search(), token=await token_for(one))
    assert header == "miss"
    assert await cached.data(SEARCH, _search(), token=await token_for(two)) == ("hit", data)
    # signed in and anonymous are different entries (the kind of viewer is in the key)
    assert (await cached.data(SEARCH, _search()))[0] == "miss"


async def test_a_hit_is_at_least_five_times_faster_than_a_miss(cached, uncached):
    """50 products with SKUs and merchants; medians of 15 requests each, in the same process."""
    await _shop(50)
    variables = _search(50)
    assert len((await uncached.data(SEARCH, variables))[1]["searchProducts"]["nodes"]) == 50

    async def timed(client: Client) -> float:
        started = time.perf_counter()
        response = await client.post(SEARCH, variables)
        elapsed = time.perf_counter() - started
        assert response.status_code == 200
        return elapsed

    assert (await cached.post(SEARCH, variables)).headers[response_cache.HEADER] == "miss"
    misses, hits = [], []
    for _ in range(15):  # interleaved, so a slow spell of the machine hits both alike
        misses.append(await timed(uncached))
        hits.append(await timed(cached))
    ratio = statistics.median(misses) / statistics.median(hits)
    assert ratio >= 5, f"miss {statistics.median(misses) * 1e3:.2f} ms, hit {statistics.median(hits) * 1e3:.2f} ms"


# --------------------------------------------------------------------------- invalidation


async def test_a_price_change_is_in_the_next_answer(cached):
    merchant, (product,) = await _shop()
    assert _prices((await cached.data(SEARCH, _search()))[1]) == ["159.00"]
    assert (await cached.data(SEARCH, _search()))[0] == "hit"
    row = await product.skus.all().first()
    await catalog.set_skus(await owner_grants(merchant), None, product.id, [sku(row.code, price=9900, stock=5)])
    header, data = await cached.data(SEARCH, _search())
    assert (header, _prices(data)) == ("miss", ["99.00"])


async def test_a_delisting_is_in_the_next_answer(cached):
    merchant, (product,) = await _shop()
    for _ in range(2):
        await cached.data(SEARCH, _search())
        await cached.data(PRODUCT, {"id": gid(product)})
    await catalog.delist_product(await owner_grants(merchant), product.id)
    assert (await cached.data(SEARCH, _search()))[1]["searchProducts"]["nodes"] == []
    assert (await cached.data(PRODUCT, {"id": gid(product)}))[1]["product"] is None
    await catalog.list_product(await owner_grants(merchant), product.id)
    assert [n["id"] for n in (await cached.data(SEARCH, _search()))[1]["searchProducts"]["nodes"]] == [gid(product)]


async def test_a_stock_out_is_in_the_next_answer_other_stock_counts_within_the_ttl(cached):
    _merchant, (kept, sold_out) = await _shop(2)
    kept_sku, sold_sku = await kept.skus.all().first(), await sold_out.skus.all().first()
    await cached.data(SEARCH, _search())
    # 5 -> 4: not a public change; the cached answer stays (at most RESPONSE_CACHE_TTL seconds)
    await stock.adjust_stock(kept_sku.id, -1, stock.ADJUST)
    header, data = await cached.data(SEARCH, _search())
    assert header == "hit" and [n["skus"][0]["stock"] for n in data["searchProducts"]["nodes"]] == [5, 5]
    # 5 -> 0: sold out, delisted automatically: gone from the next answer
    await stock.adjust_stock(sold_sku.id, -5, stock.ADJUST)
    header, data = await cached.data(SEARCH, _search())
    assert header == "miss" and [(n["id"], n["skus"][0]["stock"]) for n in data["searchProducts"]["nodes"]] == [
        (gid(kept), 4)
    ]
    await stock.adjust_stock(sold_sku.id, 3, stock.RESTOCK)  # back: relisted
    assert len((await cached.data(SEARCH, _search()))[1]["searchProducts"]["nodes"]) == 2


async def test_a_checkout_that_takes_the_last_units_is_in_the_next_answer(cached):
    _merchant, (kept, sold_out) = await _shop(2)
    sold_sku = await sold_out.skus.all().first()
    buyer, address = await make_buyer("cache-buyer")
    await cached.data(SEARCH, _search())
    await place(buyer, address, [(sold_sku.id, 5)])  # the order reserves all 5: sold out
    header, data = await cached.data(SEARCH, _search())
    assert header == "miss" and [n["id"] for n in data["searchProducts"]["nodes"]] == [gid(kept)]


async def test_content_categories_and_merchant_changes_are_in_the_next_answer(cached):
    merchant, _products = await _shop()
    banners = "{ banners { title } }"
    assert (await cached.data(banners))[1] == {"banners": []}
    await content.create_banner(
        content.BannerData("HOME_TOP", "夏季", "https://cdn.example.com/b.png", "URL", "https://shop.example.com/s")
    )
    assert (await cached.data(banners))[1] == {"banners": [{"title": "夏季"}]}
    tree = "{ categories { name } }"
    await cached.data(tree)
    category = await catalog.create_category("食品")
    assert (await cached.data(tree))[1]["categories"][-1] == {"name": "食品"}
    await catalog.rename_category(category.id, "零食")
    assert (await cached.data(tree))[1]["categories"][-1] == {"name": "零食"}
    await cached.data(SEARCH, _search())
    admin = await make_user("admin", roles=("admin",))
    await merchants.review(admin.id, merchant.id, "SUSPEND", "资质过期")
    assert (await cached.data(SEARCH, _search()))[1]["searchProducts"]["nodes"] == []


async def test_a_change_rolled_back_keeps_the_answers(cached):
    merchant, (product,) = await _shop()
    await cached.data(SEARCH, _search())
    row = await product.skus.all().first()
    bad = catalog.SkuData(code=row.code, spec_values={}, price=-1, initial_stock=5)
    with pytest.raises(DomainError):
        await catalog.set_skus(await owner_grants(merchant), None, product.id, [bad])
    assert (await cached.data(SEARCH, _search()))[0] == "hit"


# --------------------------------------------------------------------------- privacy


async def test_a_document_with_me_is_never_cached_and_each_viewer_gets_their_own(cached):
    await _shop()
    one, two = await make_user("one"), await make_user("two")
    query = "{ me { id nickname } searchProducts(first: 5) { nodes { id } } }"
    for _ in range(2):
        for user in (one, two):
            header, data = await cached.data(query, token=await token_for(user))
            assert header == "" and data["me"] == {"id": gid(user), "nickname": user.nickname}
    for private in (
        "{ cart { totalQuantity } }",
        "{ myOrders { nodes { id } } }",
        "{ myWallet { available { amount } } }",
    ):
        for _ in range(2):
            response = await cached.post(private, token=await token_for(one))
            assert response.headers.get(response_cache.HEADER) is None, private


async def test_what_a_signed_in_viewer_may_see_is_never_shared(cached):
    """Staff see their merchant's drafts through `product`: their answer read the viewer's grants,
    so it is not stored, and neither another signed-in user nor an anonymous one gets it."""
    merchant = await make_merchant()
    draft = await make_product(merchant, listed=False)
    staff, customer = await token_for(await make_staff(merchant)), await token_for(await make_user("c"))
    for _ in range(2):
        response = await cached.post(PRODUCT, {"id": gid(draft)}, token=staff)
        assert response.headers[response_cache.HEADER] == "pass"
        assert response.json()["data"]["product"]["status"] == "DRAFT"
    assert (await cached.data(PRODUCT, {"id": gid(draft)}, token=customer)) == ("pass", {"product": None})
    assert (await cached.data(PRODUCT, {"id": gid(draft)})) == ("miss", {"product": None})
    assert (await cached.data(PRODUCT, {"id": gid(draft)})) == ("hit", {"product": None})
    assert (await cached.data(PRODUCT, {"id": gid(draft)}, token=staff))[1]["product"]["status"] == "DRAFT"


async def test_a_field_guarded_by_the_viewers_grants_is_never_shared(cached):
    merchant = await make_merchant()
    store = await stores.create_store(
        await owner_grants(merchant),
        merchant.id,
        stores.StoreData(
            name="昆明店",
            province_code="530000",
            city_code="530100",
            county_code="530102",
            address="人民路 1 号",
            latitude=25.04,
            longitude=102.71,
        ),
    )
    query = "{ nearestStores(latitude: 25.04, longitude: 102.71) { store { id name inviteCode } } }"
    owner = await token_for(await User.get(id=merchant.owner_id))
    for _ in range(2):
        header, data = await cached.data(query, token=owner)
        assert header == "pass" and data["nearestStores"][0]["store"]["inviteCode"] == store.invite_code
    other = await cached.post(query, token=await token_for(await make_user("x")))
    assert other.json()["data"] is None or other.json()["errors"]
    assert other.headers[response_cache.HEADER] == "pass"


# --------------------------------------------------------------------------- not cached


async def test_errors_are_not_cached(cached):
    await _shop()
    for _ in range(2):
        response = await cached.post(PRODUCT, {"id": "not-an-id"})
        assert response.json()["errors"][0]["extensions"]["code"] == "INVALID_ID"
        assert response.headers[response_cache.HEADER] == "pass"
    for _ in range(2):  # an unknown field: a validation error
        response = await cached.post("{ searchProducts(first: 1) { nodes { nope } } }")
        assert response.json()["errors"] and response.headers[response_cache.HEADER] == "pass"


async def test_mutations_and_batches_are_not_cached(cached):
    merchant, (product,) = await _shop()
    token = await token_for(await User.get(id=merchant.owner_id))
    mutation = "mutation($id: ID!) { delistProduct(id: $id) { product { status } errors { code } } }"
    response = await cached.post(mutation, {"id": gid(product)}, token=token)
    assert response.headers.get(response_cache.HEADER) is None
    assert response.json()["data"]["delistProduct"]["product"]["status"] == "DELISTED"
    batch = await cached.http.post("/graphql", json=[{"query": "{ categories { id } }"}] * 2)
    assert batch.headers.get(response_cache.HEADER) is None


async def test_the_setting_turns_it_off(api, app):
    """The suite runs with RESPONSE_CACHE=false (tests/conftest.py): the default app has no cache."""
    import settings

    assert settings.RESPONSE_CACHE is False and app.routes[0].endpoint.cache is None
    await _shop()
    for _ in range(2):
        response = await api.client.post("/graphql", json={"query": SEARCH, "variables": _search()})
        assert response.headers.get(response_cache.HEADER) is None and response.json()["data"]["searchProducts"]


async def test_off_caches_nothing(uncached):
    await _shop()
    for _ in range(2):
        with count_queries() as queries:
            response = await uncached.post(SEARCH, _search())
        assert response.headers.get(response_cache.HEADER) is None and queries.count > 0
