"""Live streams do no database work per subscriber per event (RT issue: item 7): a user's
tabs and devices share one read of each event's row, a sign-out reaches the streams as an
event of its own, and the session is not re-read per event."""

import asyncio
import contextlib

from services.accounts import auth, notifications
from services.accounts.events import NotificationSent
from services.core import events
from subscriptions.hub import get_broadcast, publish
from tests.api.test_subscriptions import WsClient, open_ws
from tests.helpers import gid, make_user
from tests.querycount import count_queries

TABS = 4


async def _listeners(channel: str, count: int) -> None:
    for _ in range(200):
        if get_broadcast().subscriber_count(channel) >= count:
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"{count} subscriptions never started")


@contextlib.asynccontextmanager
async def _tabs(app, tokens: list[str]):
    """One socket per token, each subscribed to myNotifications."""
    async with contextlib.AsyncExitStack() as stack:
        clients = []
        for token in tokens:
            client, connect = await open_ws(app, "graphql-transport-ws")
            await stack.enter_async_context(client)
            c = WsClient(await stack.enter_async_context(connect), "graphql-transport-ws")
            await c.init(token)
            await c.subscribe()
            clients.append(c)
        yield clients


def _selects(statements: list[str], table: str) -> list[str]:
    return [s for s in statements if s.lstrip().upper().startswith("SELECT") and f'"{table}"' in s]


async def test_a_notification_reaches_every_tab_with_no_read_and_an_id_only_one_with_one(app):
    alice = await make_user()
    sessions = [await auth.start_session(alice, "SMS", auth.ClientInfo(), False) for _ in range(TABS)]
    async with _tabs(app, [s.access_token for s in sessions]) as tabs:
        await _listeners(events.user_channel(alice.id), TABS)
        with count_queries() as queries:  # the event carries the notification
            note = await notifications.notify(alice.id, kind="ADMIN_MESSAGE", title="hello")
            received = [await tab.recv() for tab in tabs]
        with count_queries() as id_only:  # from a process of an older release: one read for all tabs
            await publish(events.user_channel(alice.id), NotificationSent(note.id).to_json())
            received += [await tab.recv() for tab in tabs]
    assert [m["payload"]["data"]["myNotifications"]["id"] for m in received] == [gid(note)] * TABS * 2
    assert _selects(queries.statements, "notification") == [], queries.statements
    assert len(_selects(id_only.statements, "notification")) == 1, id_only.statements
    assert _selects(queries.statements + id_only.statements, "account_session") == []


async def test_signing_out_ends_that_sessions_streams_at_once_and_no_other(app):
    alice = await make_user()
    mine, other = [await auth.start_session(alice, "SMS", auth.ClientInfo(), False) for _ in range(2)]
    async with _tabs(app, [mine.access_token, other.access_token]) as (tab, other_tab):
        await _listeners(events.user_channel(alice.id), 2)
        await auth.revoke_session(mine.session_id)
        ended = await tab.recv()  # no other event needed
        assert ended["payload"]["errors"][0]["extensions"]["code"] == "TOKEN_REVOKED"
        note = await notifications.notify(alice.id, kind="ADMIN_MESSAGE", title="still here")
        message = await other_tab.recv()
        assert message["payload"]["data"]["myNotifications"]["id"] == gid(note)


async def test_signing_out_everywhere_ends_every_stream(app):
    alice = await make_user()
    sessions = [await auth.start_session(alice, "SMS", auth.ClientInfo(), False) for _ in range(2)]
    async with _tabs(app, [s.access_token for s in sessions]) as tabs:
        await _listeners(events.user_channel(alice.id), 2)
        assert await auth.revoke_all_sessions(alice.id) == 2
        for tab in tabs:
            message = await tab.recv()
            assert message["payload"]["errors"][0]["extensions"]["code"] == "TOKEN_REVOKED"


async def test_revoking_an_already_revoked_session_announces_nothing(app):
    alice = await make_user()
    signed = await auth.start_session(alice, "SMS", auth.ClientInfo(), False)
    await auth.revoke_session(signed.session_id)
    published: list[tuple[str, str]] = []
    previous = events._publisher
    events.set_publisher(lambda channel, message: published.append((channel, message)) or asyncio.sleep(0))
    try:
        await auth.revoke_session(signed.session_id)
        assert await auth.revoke_all_sessions(alice.id) == 0
    finally:
        events.set_publisher(previous)
    assert published == []
