"""myNotifications on the fast path: each notification is built from its live event (no
database read) and projected without a GraphQL execution; the messages equal what the
normal path sends, RESYNC and the id-only events of an older release included."""

from __future__ import annotations

import asyncio
from contextlib import AsyncExitStack

import pytest

import settings
from schema.schema import build_schema
from services.accounts import notifications
from services.accounts.events import NotificationSent
from services.core.events import user_channel
from subscriptions.hub import get_broadcast, publish
from subscriptions.redis_backend import ResyncEvent
from tests.api.test_fast_subscriptions import _both, _pair, executions  # noqa: F401 (fixture)
from tests.helpers import gid, make_user, token_for
from tests.querycount import count_queries

pytestmark = pytest.mark.skipif(not settings.FAST_PATHS, reason="FAST_PATHS=false: a run of the normal paths")

ALL = """
subscription { note: myNotifications { __typename id kind title body data read ...When } }
fragment When on Notification { createdAt }"""
INBOX = "{ myNotifications(first: 5) { edges { node { id title createdAt } } } }"


async def _subscribers(channel: str, n: int) -> None:
    for _ in range(200):
        if get_broadcast().subscriber_count(channel) >= n:
            return
        await asyncio.sleep(0.01)
    raise AssertionError("subscriptions never started")


def test_the_document_is_served_fast():
    assert build_schema(debug=False).serves_fast(ALL, None)


@pytest.mark.parametrize("protocol", ["graphql-transport-ws", "graphql-ws"])
async def test_same_messages_as_graphql_execution_without_a_query_or_execution_per_event(app, executions, protocol):
    me = await make_user("13800000901")
    channel = user_channel(me.id)
    async with AsyncExitStack() as stack:
        fast, normal = await _pair(stack, app, await token_for(me), ALL, {}, protocol)
        await _subscribers(channel, 2)
        started = executions["n"]  # the normal app's subscription
        sent = [
            await notifications.notify(
                me.id, kind="ADMIN_MESSAGE", title="Hello", body="Welcome", data={"userId": "7"}
            ),
            await notifications.notify(me.id, kind="NEW_TEAM_MEMBER", title="A new member"),
        ]
        messages = [await _both([fast, normal]) for _ in sent]
        # An event from a process of an older release carries the id alone: read from the database.
        await publish(channel, NotificationSent(sent[0].id).to_json())
        messages.append(await _both([fast, normal]))
        # Events may have been lost: one RESYNC error, and the stream goes on.
        for queue in get_broadcast()._subscribers[channel]:
            queue.put_nowait(ResyncEvent(channel))
        messages.append(await _both([fast, normal]))
        # The fast stream reads nothing per event (the normal one, fed the same, is not counted).
        with count_queries() as counted:
            await publish(channel, notifications.sent_event(sent[1]).to_json())
            messages.append(await _both([fast, normal]))
        assert counted.count == 0
    for fast_message, normal_message in messages:
        assert fast_message == normal_message
    first = messages[0][0]["payload"]["data"]["note"]
    assert first == {
        "__typename": "Notification",
        "id": gid(sent[0]),
        "kind": "ADMIN_MESSAGE",
        "title": "Hello",
        "body": "Welcome",
        "data": {"userId": "7"},
        "read": False,
        "createdAt": first["createdAt"],
    }
    assert messages[2][0]["payload"]["data"]["note"] == first  # the id-only event, from the row
    resync = messages[3][0]["payload"]
    assert [e["extensions"]["code"] for e in resync["errors"]] == ["RESYNC"]
    # Only the normal app executed GraphQL: once per message after its start.
    assert executions["n"] - started == len(messages)


async def test_the_live_notification_shows_what_the_inbox_shows(app, api):
    me = await make_user("13800000902")
    token = await token_for(me)
    async with AsyncExitStack() as stack:
        fast, _ = await _pair(stack, app, token, ALL, {})
        await _subscribers(user_channel(me.id), 2)
        await notifications.notify(me.id, kind="ADMIN_MESSAGE", title="Same")
        live = (await fast.recv())["payload"]["data"]["note"]
    inbox = (await api(INBOX, token=token))["myNotifications"]["edges"][0]["node"]
    assert inbox == {"id": live["id"], "title": "Same", "createdAt": live["createdAt"]}


async def test_someone_elses_notification_on_my_channel_is_not_sent(app):
    me, other = await make_user("13800000903"), await make_user("13800000904")
    channel = user_channel(me.id)
    async with AsyncExitStack() as stack:
        fast, normal = await _pair(stack, app, await token_for(me), ALL, {})
        await _subscribers(channel, 2)
        theirs = await notifications.notify(other.id, kind="ADMIN_MESSAGE", title="not yours")
        await publish(channel, notifications.sent_event(theirs).to_json())  # a stray event
        mine = await notifications.notify(me.id, kind="ADMIN_MESSAGE", title="yours")
        fast_message, normal_message = await _both([fast, normal])
    assert fast_message == normal_message
    assert fast_message["payload"]["data"]["note"]["id"] == gid(mine)
