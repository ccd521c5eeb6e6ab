"""schema/fast_paths/subscriptions.py: myQueuePositions served by a compiled projection sends
exactly what GraphQL execution sends (data and errors), without executing per event; a
document the projection cannot serve, or a start it declines, goes the normal way.

Most tests run the same subscription on two apps side by side over the same database and
broadcast: the app as served (fast path) and one with the fast path off. The fast path must
be in use as served (no execution at all), and off, with the same messages, on library
versions it was not written for and on a schema with an extension it does not apply."""

from __future__ import annotations

import asyncio
import json
import logging
from collections import Counter
from contextlib import AsyncExitStack
from functools import partial

import pytest
from graphql.execution import Executor
from strawberry.extensions import SchemaExtension

import schema.schema as schema_module
import settings
import subscriptions.consignment as consignment_subscriptions
from app import create_app
from models.consignment import WholesaleUnit
from schema import fast_paths
from services.accounts import auth
from services.consignment import queue as consignment
from subscriptions import sessions
from tests.api.test_consignment_live import _retail_sale, _sellers_with_units
from tests.api.test_subscriptions import WsClient, open_ws
from tests.helpers import gid, make_user, token_for
from tests.order_factories import make_consignment_pair

# The apps as served have the fast paths, unless a run turns them off (FAST_PATHS=false).
pytestmark = pytest.mark.skipif(not settings.FAST_PATHS, reason="FAST_PATHS=false: a run of the normal paths")

RICH = """
subscription Watch($p: ID!) {
  watch: myQueuePositions(productId: $p) { __typename productId ...Places sold: soldUnitIds }
}
fragment Places on QueuePositionsUpdate {
  positions {
    position
    ... on QueuePosition {
      unit { id status consignedAt matchedAt settledAt createdAt cost { amount currency } line: orderLineId __typename }
    }
  }
}"""
# `product` is resolved through a DataLoader: not plain data, so GraphQL executes it.
WITH_PRODUCT = (
    "subscription($p: ID!) { myQueuePositions(productId: $p) { positions { position unit { id product { id } } } } }"
)


@pytest.fixture
def executions(monkeypatch):
    """Counts graphql-core executions in this process: executors built for an operation and
    the per-event copies of a subscription's (whatever the executor class)."""
    counter = {"n": 0}
    cls = Executor
    for name in ("__init__", "build_per_event_executor"):
        original = getattr(cls, name)

        def counting(self, *args, _original=original, **kwargs):
            counter["n"] += 1
            return _original(self, *args, **kwargs)

        monkeypatch.setattr(cls, name, counting)
    return counter


async def _seller_queue(count=2):
    """Sellers each with a queued unit; the last is `me`, behind the others."""
    _, retail, wholesale = await make_consignment_pair(retail_price=1000, wholesale_price=300, vouchers=1)
    *_, me = await _sellers_with_units(retail, wholesale, [f"s{i}" for i in range(count - 1)] + ["me"])
    return retail, wholesale, me


def _normal_app():
    return create_app(debug=False, manage_database=False, fast_subscriptions=False)


async def _pair(stack: AsyncExitStack, fast_app, token, query, variables, protocol="graphql-transport-ws", normal=None):
    """A subscription on the fast app and the same on the normal one (`normal`, or one with
    fast subscriptions off)."""
    clients = []
    kind = "subscribe" if protocol == "graphql-transport-ws" else "start"
    for app in (fast_app, normal or _normal_app()):
        client, connect = await open_ws(app, protocol)
        await stack.enter_async_context(client)
        ws = await stack.enter_async_context(connect)
        c = WsClient(ws, protocol)
        await c.init(token)
        await ws.send_text(json.dumps({"id": "1", "type": kind, "payload": {"query": query, "variables": variables}}))
        clients.append(c)
    return clients


async def _both(clients):
    return [await c.recv() for c in clients]


async def _side_by_side(fast_app, normal_app, sales=2):
    """RICH on both apps: the first message and one per retail sale, as (fast, normal) pairs."""
    retail, wholesale, me = await _seller_queue(sales + 1)
    async with AsyncExitStack() as stack:
        clients = await _pair(
            stack, fast_app, await token_for(me), RICH, {"p": gid("Product", wholesale.product_id)}, normal=normal_app
        )
        messages = [await _both(clients)]
        await _listeners(consignment.queue_channel(wholesale.product_id), 2)
        for _ in range(sales):
            await _retail_sale(retail)
            messages.append(await _both(clients))
    return messages


async def _listeners(channel, n):
    for _ in range(200):
        if consignment_subscribers(channel) >= n:
            return
        await asyncio.sleep(0.01)
    raise AssertionError("subscriptions never started")


def consignment_subscribers(channel):
    from subscriptions.hub import get_broadcast

    return get_broadcast().subscriber_count(channel)


@pytest.mark.parametrize("protocol", ["graphql-transport-ws", "graphql-ws"])
async def test_same_messages_as_graphql_execution_and_no_execution_per_event(app, executions, protocol):
    retail, wholesale, me = await _seller_queue(3)
    mine = await WholesaleUnit.get(owner_id=me.id)
    async with AsyncExitStack() as stack:
        fast, normal = await _pair(
            stack, app, await token_for(me), RICH, {"p": gid("Product", wholesale.product_id)}, protocol
        )
        first = await _both([fast, normal])
        await _listeners(consignment.queue_channel(wholesale.product_id), 2)
        messages = [first]
        for _ in range(3):
            await _retail_sale(retail)
            messages.append(await _both([fast, normal]))
    for _ in range(200):  # both connections closed: their hub subscriptions end too
        if not consignment_subscribers(consignment.queue_channel(wholesale.product_id)):
            break
        await asyncio.sleep(0.01)
    assert consignment_subscribers(consignment.queue_channel(wholesale.product_id)) == 0
    for fast_message, normal_message in messages:
        assert fast_message == normal_message
    data = [m[0]["payload"]["data"]["watch"] for m in messages]
    assert data[0]["__typename"] == "QueuePositionsUpdate"
    unit = data[0]["positions"][0]["unit"]
    assert unit == {
        "id": gid(mine),
        "status": "QUEUED",
        "consignedAt": unit["consignedAt"],
        "matchedAt": None,
        "settledAt": None,
        "createdAt": unit["createdAt"],
        "cost": {"amount": "3.00", "currency": "CNY"},
        "line": gid("OrderLine", mine.order_line_id),
        "__typename": "WholesaleUnit",
    }
    assert [[p["position"] for p in d["positions"]] for d in data] == [[3], [2], [1], []]
    assert data[-1]["sold"] == [gid(mine)]
    # Only the normal app executed GraphQL: its subscription once, then once per result.
    assert executions["n"] == 1 + len(messages)


async def test_a_selection_that_is_not_plain_data_is_executed(app, executions):
    retail, wholesale, me = await _seller_queue(2)
    async with AsyncExitStack() as stack:
        client, connect = await open_ws(app, "graphql-transport-ws")
        await stack.enter_async_context(client)
        c = WsClient(await stack.enter_async_context(connect), "graphql-transport-ws")
        await c.init(await token_for(me))
        await c.ws.send_text(
            json.dumps(
                {
                    "id": "1",
                    "type": "subscribe",
                    "payload": {"query": WITH_PRODUCT, "variables": {"p": gid("Product", wholesale.product_id)}},
                }
            )
        )
        first = (await c.recv())["payload"]["data"]["myQueuePositions"]
        await _listeners(consignment.queue_channel(wholesale.product_id), 1)
        await _retail_sale(retail)
        second = (await c.recv())["payload"]["data"]["myQueuePositions"]
    assert first["positions"][0]["unit"]["product"] == {"id": gid("Product", wholesale.product_id)}
    assert second["positions"][0]["position"] == 1
    assert executions["n"] == 1 + 2


@pytest.mark.parametrize(
    "case",
    ["signed out", "malformed id", "missing variable", "wrong variable type", "unknown field"],
)
async def test_refusals_are_the_normal_paths(app, case):
    _, wholesale, me = await _seller_queue(1)
    token = None if case == "signed out" else await token_for(me)
    query = {
        "unknown field": "subscription($p: ID!) { myQueuePositions(productId: $p) { nope } }",
    }.get(case, RICH)
    variables = {
        "malformed id": {"p": "abc"},
        "missing variable": {},
        "wrong variable type": {"p": {"x": 1}},
    }.get(case, {"p": gid("Product", wholesale.product_id)})
    async with AsyncExitStack() as stack:
        clients = await _pair(stack, app, token, query, variables)
        fast, normal = await _both(clients)
    assert fast == normal
    assert fast["type"] in ("error", "next")


def test_documents_the_projection_does_not_serve():
    def plan(query, name):
        return fast_paths.serves(schema_module.schema, query, name) or None

    assert plan(RICH, None) and plan(RICH, "Watch")
    for query, name in [
        ('subscription { myQueuePositions(productId: "1") { positions { ', None),  # syntax: closes the connection
        (RICH, "Other"),  # no such operation
        (WITH_PRODUCT, None),
        ("subscription($p: ID!) { myQueuePositions(productId: $p) @include(if: true) { soldUnitIds } }", None),
        ("subscription($p: ID!) { myQueuePositions(productId: $p) { soldUnitIds soldUnitIds } }", None),
        ("subscription { myConsignmentSales { id } }", None),  # not registered
        ("query { me { id } }", None),
    ]:
        assert plan(query, name) is None, query


@pytest.mark.parametrize("protocol", ["graphql-transport-ws", "graphql-ws"])
async def test_an_error_after_the_start_is_reported_as_graphql_does(app, monkeypatch, protocol):
    """The session is signed out while subscribed: both paths send the same error, then complete."""
    monkeypatch.setattr(sessions, "SESSION_CHECK_SECONDS", 0.0)
    retail, wholesale, me = await _seller_queue(4)
    token = await token_for(me)
    session_id = (await auth.authenticate(token))[1].id
    async with AsyncExitStack() as stack:
        clients = await _pair(stack, app, token, RICH, {"p": gid("Product", wholesale.product_id)}, protocol)
        await _both(clients)
        await _listeners(consignment.queue_channel(wholesale.product_id), 2)
        await auth.revoke_session(session_id)
        transcripts = [[], []]
        for _ in range(3):  # a check starts at one event; its answer is read at a later one
            await _retail_sale(retail)
            await asyncio.sleep(0.05)
        for transcript, c in zip(transcripts, clients, strict=True):
            while True:
                message = await c.recv()
                transcript.append(message)
                if message["type"] == "complete":
                    break
    assert transcripts[0] == transcripts[1]
    error = transcripts[0][-2]
    assert error["type"] in ("next", "data") and error["payload"]["errors"][0]["extensions"]["code"] == "TOKEN_REVOKED"


async def test_someone_elses_subscription_is_not_fast_tracked_into_my_data(app):
    """Two viewers on the fast path each see their own units only."""
    retail, wholesale, me = await _seller_queue(2)
    other = await make_user("nobody")
    async with AsyncExitStack() as stack:
        mine, theirs = [], []
        for user, sink in ((me, mine), (other, theirs)):
            client, connect = await open_ws(app, "graphql-transport-ws")
            await stack.enter_async_context(client)
            c = WsClient(await stack.enter_async_context(connect), "graphql-transport-ws")
            await c.init(await token_for(user))
            await c.ws.send_text(
                json.dumps(
                    {
                        "id": "1",
                        "type": "subscribe",
                        "payload": {"query": RICH, "variables": {"p": gid("Product", wholesale.product_id)}},
                    }
                )
            )
            sink.append((await c.recv())["payload"]["data"]["watch"])
    assert len(mine[0]["positions"]) == 1 and theirs[0]["positions"] == []


async def test_the_fast_path_is_in_use(app, executions):
    """As served, myQueuePositions is projected: no GraphQL execution at all, per event or at the start."""
    assert fast_paths.active(schema_module.schema) and fast_paths.serves(schema_module.schema, RICH)
    retail, wholesale, me = await _seller_queue(3)
    async with AsyncExitStack() as stack:
        client, connect = await open_ws(app, "graphql-transport-ws")
        await stack.enter_async_context(client)
        c = WsClient(await stack.enter_async_context(connect), "graphql-transport-ws")
        await c.init(await token_for(me))
        payload = {"query": RICH, "variables": {"p": gid("Product", wholesale.product_id)}}
        await c.ws.send_text(json.dumps({"id": "1", "type": "subscribe", "payload": payload}))
        positions = [(await c.recv())["payload"]["data"]["watch"]["positions"]]
        await _listeners(consignment.queue_channel(wholesale.product_id), 1)
        for _ in range(2):
            await _retail_sale(retail)
            positions.append((await c.recv())["payload"]["data"]["watch"]["positions"])
    assert [[p["position"] for p in ps] for ps in positions] == [[3], [2], [1]]
    assert executions["n"] == 0


async def test_other_library_versions_serve_subscriptions_the_normal_way(app, executions, monkeypatch, caplog):
    monkeypatch.setattr(fast_paths, "STRAWBERRY_VERSION", "0.0.1")
    with caplog.at_level(logging.WARNING):
        off = create_app(debug=False, manage_database=False)
    [warning] = [record for record in caplog.records if record.levelno >= logging.WARNING]
    assert "strawberry-graphql 0.0.1" in warning.getMessage() and "fast subscriptions" in warning.getMessage()
    messages = await _side_by_side(app, off)
    for fast_message, off_message in messages:
        assert fast_message == off_message
    assert executions["n"] == 1 + len(messages)  # the app with the fast paths off executes


async def test_an_unexpected_error_is_masked_as_on_the_normal_path(app, monkeypatch):
    """MaskErrors, configured on the schema, is applied by the fast path: same masked message."""
    retail, wholesale, me = await _seller_queue(2)

    def broken(*args, **kwargs):
        raise RuntimeError("internal detail")

    async with AsyncExitStack() as stack:
        clients = await _pair(stack, app, await token_for(me), RICH, {"p": gid("Product", wholesale.product_id)})
        await _both(clients)
        await _listeners(consignment.queue_channel(wholesale.product_id), 2)
        monkeypatch.setattr(consignment_subscriptions, "position_after", broken)
        await _retail_sale(retail)
        fast, normal = await _both(clients)
        assert fast == normal and (await _both(clients)) == [{"id": "1", "type": "complete"}] * 2
    assert fast["payload"]["errors"][0]["message"] == "Unexpected error."


class Seen(SchemaExtension):
    """An extension the fast path does not know: it acts at the start (`on_execute`), adds
    to every result (`get_results`) and changes every streamed result (`on_stream_result`)."""

    def __init__(self, counter: Counter) -> None:
        self.counter = counter

    def on_execute(self):
        self.counter["executed"] += 1
        yield

    def get_results(self):
        return {"seen": self.counter["executed"]}

    def on_stream_result(self, result):
        self.counter["streamed"] += 1
        result.extensions = {**(result.extensions or {}), "streamed": self.counter["streamed"]}
        yield


async def test_an_extension_the_fast_path_does_not_apply_makes_it_refuse(executions, monkeypatch, caplog):
    """A schema with an extension the fast path cannot apply serves myQueuePositions the
    normal way, with the extension: the same messages as with fast subscriptions off."""
    standard = schema_module.extensions
    counters = [Counter(), Counter()]
    apps = []
    for counter, fast in zip(counters, (True, False), strict=True):
        monkeypatch.setattr(schema_module, "extensions", lambda *a, c=counter: [*standard(*a), partial(Seen, c)])
        with caplog.at_level(logging.WARNING):
            apps.append(create_app(debug=False, manage_database=False, fast_subscriptions=fast))
    [warning] = [record for record in caplog.records if record.levelno >= logging.WARNING]
    assert "Fast subscriptions off" in warning.getMessage() and "Seen" in warning.getMessage()
    extended = schema_module.build_schema()
    assert fast_paths.active(extended) and not fast_paths.serves(extended, RICH)
    messages = await _side_by_side(*apps)
    for with_fast_paths, without in messages:
        assert with_fast_paths == without
    assert messages[-1][0]["payload"]["extensions"] == {"seen": 1, "streamed": len(messages)}
    assert counters[0] == counters[1] == {"executed": 1, "streamed": len(messages)}
    assert executions["n"] == 2 * (1 + len(messages))
