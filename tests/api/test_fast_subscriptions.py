"""schema/fast_subscriptions.py: myQueuePositions served by a compiled projection sends
exactly what GraphQL execution sends (data and errors), without executing per event; a
document the projection cannot serve, or a start it declines, goes the normal way.

Each test runs the same subscription on two apps side by side over the same database and
broadcast: the app as served (fast path) and one with the fast path off."""

from __future__ import annotations

import asyncio
import json
from contextlib import AsyncExitStack

import pytest

import schema.schema as schema_module
from app import create_app
from models.consignment import WholesaleUnit
from services.accounts import auth
from services.consignment import queue as consignment
from subscriptions import sessions
from tests.api.test_consignment_live import _retail_sale, _sellers_with_units
from tests.api.test_subscriptions import WsClient, open_ws
from tests.helpers import make_user, token_for
from tests.order_factories import make_consignment_pair

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
    the per-event copies of a subscription's."""
    counter = {"n": 0}
    cls = schema_module.ExecutionContext
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


async def _pair(stack: AsyncExitStack, fast_app, token, query, variables, protocol="graphql-transport-ws"):
    """A subscription on the fast app and the same on the normal one."""
    clients = []
    kind = "subscribe" if protocol == "graphql-transport-ws" else "start"
    for app in (fast_app, create_app(debug=False, manage_database=False, fast_subscriptions=False)):
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
        fast, normal = await _pair(stack, app, await token_for(me), RICH, {"p": str(wholesale.product_id)}, protocol)
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
        "id": str(mine.id),
        "status": "QUEUED",
        "consignedAt": unit["consignedAt"],
        "matchedAt": None,
        "settledAt": None,
        "createdAt": unit["createdAt"],
        "cost": {"amount": "3.00", "currency": "CNY"},
        "line": str(mine.order_line_id),
        "__typename": "WholesaleUnit",
    }
    assert [[p["position"] for p in d["positions"]] for d in data] == [[3], [2], [1], []]
    assert data[-1]["sold"] == [str(mine.id)]
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
                    "payload": {"query": WITH_PRODUCT, "variables": {"p": str(wholesale.product_id)}},
                }
            )
        )
        first = (await c.recv())["payload"]["data"]["myQueuePositions"]
        await _listeners(consignment.queue_channel(wholesale.product_id), 1)
        await _retail_sale(retail)
        second = (await c.recv())["payload"]["data"]["myQueuePositions"]
    assert first["positions"][0]["unit"]["product"] == {"id": str(wholesale.product_id)}
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
    }.get(case, {"p": str(wholesale.product_id)})
    async with AsyncExitStack() as stack:
        clients = await _pair(stack, app, token, query, variables)
        fast, normal = await _both(clients)
    assert fast == normal
    assert fast["type"] in ("error", "next")


def test_documents_the_projection_does_not_serve():
    plan = schema_module.schema._fast_plan
    assert plan(RICH, None) is not None and plan(RICH, "Watch") is not None
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
        clients = await _pair(stack, app, token, RICH, {"p": str(wholesale.product_id)}, protocol)
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
                        "payload": {"query": RICH, "variables": {"p": str(wholesale.product_id)}},
                    }
                )
            )
            sink.append((await c.recv())["payload"]["data"]["watch"])
    assert len(mine[0]["positions"]) == 1 and theirs[0]["positions"] == []
