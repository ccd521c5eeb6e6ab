"""The response cache's parts without the app: which documents may be cached, the key's
canonical variables, the in-process LRU (size bound, TTL, generations), the Redis store
when Redis is away, and that the allow-list holds only public root fields."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from schema import response_cache as rc
from tests.api import ops
from tests.conftest import requires_redis

ROOT = Path(__file__).resolve().parents[2]
SEARCH = "query Search($n: Int!) { searchProducts(first: $n) { nodes { id title } } }"


# --------------------------------------------------------------------------- documents


def test_spacing_and_comments_do_not_change_the_digest_the_document_does():
    digest = rc.document_digest(SEARCH, None)
    assert digest is not None
    assert rc.document_digest("# list\n" + SEARCH.replace(" ", "\n  "), None) == digest
    assert rc.document_digest(SEARCH.replace("title", "title id"), None) != digest
    assert rc.document_digest(SEARCH, "Search") != digest  # the operation name is in it


@pytest.mark.parametrize(
    "document",
    [
        "{ categories { id } }",
        "{ __typename banners { id } }",
        "{ product(id: 1) { id } recommendedProducts { id } }",
        "query { ...Home } fragment Home on Query { banners { id } recommendedMerchants { id } }",
        "{ ... on Query { merchant(id: 1) { name } } }",
        "query($x: Boolean!) { categories @include(if: $x) { id } nearestStores(latitude: 1, longitude: 1) @skip(if: $x) { distanceMeters } }",
        "{ searchProducts { nodes { skus { price { amount } } } } }",
    ],
)
def test_public_queries_may_be_cached(document):
    assert rc.document_digest(document, None) is not None


@pytest.mark.parametrize(
    "document",
    [
        "{ me { id } }",
        "{ searchProducts { nodes { id } } me { id } }",
        "{ cart { totalQuantity } }",
        "{ myOrders { nodes { id } } }",
        "{ node(id: 1) { id } }",  # any type, private ones too
        "{ snapUpSessions { id } }",  # public, but its changes are not catalog changes
        "query { ...Mine } fragment Mine on Query { me { id } }",
        "{ ... on Query { myWallet { available { amount } } } }",
        "{ __schema { types { name } } }",
        "mutation { delistProduct(id: 1) { errors { code } } }",
        "subscription { myNotifications { id } }",
        "{ categories { id } ...Missing }",
        "{ searchProducts { ... @defer { nodes { id } } } }",
        "{ categories { id ",  # does not parse
    ],
)
def test_anything_else_is_not(document):
    assert rc.document_digest(document, None) is None


def test_the_operation_named_is_the_one_judged():
    document = "query Shop { categories { id } } mutation Change { delistProduct(id: 1) { errors { code } } }"
    assert rc.document_digest(document, "Shop") is not None
    assert rc.document_digest(document, "Change") is None
    assert rc.document_digest(document, None) is None  # two operations and no name: an error


def test_the_allow_list_holds_public_root_fields_of_the_schema_only():
    """Every field exists on Query, needs no sign-in (the permission matrix's public ones), and
    none reads the viewer's own data by name."""
    sdl = (ROOT / "schema.graphql").read_text()
    query_type = re.search(r"^type Query \{(.*?)^\}", sdl, flags=re.M | re.S).group(1)
    fields = set(re.findall(r"^  (\w+)[(:]", query_type, flags=re.M))
    assert rc.PUBLIC_ROOT_FIELDS <= fields
    assert rc.PUBLIC_ROOT_FIELDS <= ops.collect_public()
    assert not {f for f in rc.PUBLIC_ROOT_FIELDS if f in {"me", "node", "nodes", "cart"} or f.startswith("my")}


@given(st.dictionaries(st.text(max_size=5), st.one_of(st.integers(), st.text(max_size=5), st.none()), max_size=6))
def test_variables_are_canonical_whatever_their_order(variables):
    reordered = dict(reversed(list(variables.items())))
    assert rc.canonical_variables(variables) == rc.canonical_variables(reordered)
    assert rc.canonical_variables(None) == rc.canonical_variables({})


# --------------------------------------------------------------------------- the in-process store


def _run(coroutine):
    """The memory store's methods never wait: run one to its end here, without an event loop."""
    try:
        coroutine.send(None)
    except StopIteration as done:
        return done.value
    raise AssertionError("the memory store waited for something")


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.sampled_from("abcdefgh"), st.integers(0, 40)), max_size=40))
def test_the_lru_stays_within_its_size_and_keeps_the_latest_answer(puts):
    async def scenario():
        store = rc.MemoryStore(max_bytes=100)
        latest: dict[str, bytes] = {}
        for key, size in puts:
            body = key.encode() * size
            await store.put(key, rc._local_generation, body, ttl=60)
            latest[key] = body
            assert store.size == sum(len(e.body) for e in store._entries.values()) <= 100
        for key, body in latest.items():
            _generation, found = await store.get(key)
            assert found in (None, body)  # evicted, or the latest
        if puts and len(puts[-1][0] * puts[-1][1]) <= 100:
            assert (await store.get(puts[-1][0]))[1] == latest[puts[-1][0]]  # the newest stays

    _run(scenario())


def test_the_lru_forgets_after_the_ttl_and_after_a_change(monkeypatch):
    async def scenario():
        store = rc.MemoryStore()
        now = [1000.0]
        monkeypatch.setattr(rc.time, "monotonic", lambda: now[0])
        generation, found = await store.get("k")
        assert found is None
        await store.put("k", generation, b"answer", ttl=30)
        assert await store.get("k") == (generation, b"answer")
        now[0] += 30
        assert (await store.get("k"))[1] is None and len(store) == 0
        await store.put("k", generation, b"answer", ttl=30)
        monkeypatch.setattr(rc, "_local_generation", generation + 1)  # what invalidate() does here
        assert await store.get("k") == (generation + 1, None)
        # an answer computed under the old generation, stored after the change: never served
        await store.put("k", generation, b"old", ttl=30)
        assert (await store.get("k"))[1] is None

    _run(scenario())


# --------------------------------------------------------------------------- the Redis store


async def test_without_redis_nothing_is_cached_and_a_change_is_counted_once_it_is_back():
    import settings as app_settings

    store = rc.RedisStore("redis://127.0.0.1:1/0", prefix="cache-test-away:")  # nothing listens there
    try:
        assert await store.get("k") is None
        await store.bump()  # refused: owed, retried in the background
        assert store._owed == 1 and await store.get("k") is None
        if not app_settings.REDIS_URL:
            return
        from redis import asyncio as aioredis

        real = aioredis.Redis.from_url(app_settings.REDIS_URL)
        before = int(await real.get(store.generation_key) or 0)
        store._client = real  # Redis is back
        for _ in range(100):
            if not store._owed:
                break
            await asyncio.sleep(0.02)
        assert store._owed == 0 and int(await real.get(store.generation_key)) == before + 1
        store._paused_until = 0.0
        assert await store.get("k") == (before + 1, None)
    finally:
        await store.close()


@requires_redis
async def test_on_redis_an_entry_of_another_generation_is_not_served():
    import settings as app_settings

    store = rc.RedisStore(app_settings.REDIS_URL, prefix=app_settings.BROADCAST_CHANNEL_PREFIX + "unit:")
    try:
        generation, found = await store.get("k")
        await store.put("k", generation, b'{"data":{}}', ttl=5)
        assert await store.get("k") == (generation, b'{"data":{}}')
        assert 0 < await store.client.pttl(store.entry_prefix + "k") <= 5000  # kept for the TTL only
        await store.bump()
        assert await store.get("k") == (generation + 1, None)
    finally:
        await store.close()
