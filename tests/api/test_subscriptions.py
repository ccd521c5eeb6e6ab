"""Live notifications over WebSocket (both protocols), owner-only, after-commit events,
bounded subscriber buffers."""

import asyncio
import json

import httpx
import pytest
from httpx_ws import aconnect_ws
from httpx_ws.transport import ASGIWebSocketTransport

from services.accounts import notifications
from services.core import events
from services.core.errors import DomainError, ErrorCode
from subscriptions.hub import BoundedBroadcast, SlowConsumer, get_broadcast
from tests.helpers import gid, make_user, token_for

SUBSCRIBE = "subscription { myNotifications { id kind title } }"


class WsClient:
    def __init__(self, ws, protocol):
        self.ws, self.protocol = ws, protocol

    async def init(self, token=None):
        payload = {"authorization": f"Bearer {token}"} if token else {}
        await self.ws.send_text(json.dumps({"type": "connection_init", "payload": payload}))
        assert (await self.recv())["type"] == "connection_ack"

    async def subscribe(self, op_id="1"):
        kind = "subscribe" if self.protocol == "graphql-transport-ws" else "start"
        await self.ws.send_text(json.dumps({"id": op_id, "type": kind, "payload": {"query": SUBSCRIBE}}))

    async def recv(self, timeout=2.0):
        while True:
            message = json.loads(await asyncio.wait_for(self.ws.receive_text(), timeout))
            if message["type"] not in ("ka", "ping", "pong"):
                return message


async def open_ws(app, protocol):
    transport = ASGIWebSocketTransport(app=app)
    client = httpx.AsyncClient(transport=transport, base_url="http://testserver")
    return client, aconnect_ws("http://testserver/graphql", client, subprotocols=[protocol])


async def wait_for_listener(channel):
    for _ in range(100):
        if get_broadcast().subscriber_count(channel):
            return
        await asyncio.sleep(0.01)
    raise AssertionError("subscription never started")


@pytest.mark.parametrize("protocol", ["graphql-transport-ws", "graphql-ws"])
async def test_owner_receives_own_notifications_only(app, protocol):
    alice, bob = await make_user("alice"), await make_user("bob")
    client, connect = await open_ws(app, protocol)
    async with client, connect as ws:
        c = WsClient(ws, protocol)
        await c.init(await token_for(alice))
        await c.subscribe()
        await wait_for_listener(events.user_channel(alice.id))
        await notifications.notify(bob.id, kind="ADMIN_MESSAGE", title="for bob")
        await notifications.notify(alice.id, kind="ADMIN_MESSAGE", title="for alice")
        message = await c.recv()
        assert message["type"] in ("next", "data")
        assert message["payload"]["data"]["myNotifications"]["title"] == "for alice"


@pytest.mark.parametrize("protocol", ["graphql-transport-ws", "graphql-ws"])
async def test_anonymous_subscription_is_refused(app, protocol):
    client, connect = await open_ws(app, protocol)
    async with client, connect as ws:
        c = WsClient(ws, protocol)
        await c.init()
        await c.subscribe()
        message = await c.recv()
        assert message["type"] == "error"
        payload = message["payload"]
        first = payload[0] if isinstance(payload, list) else payload  # legacy sends one error
        assert first["extensions"]["code"] == "UNAUTHENTICATED"


async def test_signing_out_ends_the_stream(app):
    from services.accounts import auth

    alice = await make_user()
    signed = await auth.start_session(alice, "SMS", auth.ClientInfo(), False)
    client, connect = await open_ws(app, "graphql-transport-ws")
    async with client, connect as ws:
        c = WsClient(ws, "graphql-transport-ws")
        await c.init(signed.access_token)
        await c.subscribe()
        await wait_for_listener(events.user_channel(alice.id))
        await auth.revoke_session(signed.session_id)
        await notifications.notify(alice.id, kind="ADMIN_MESSAGE", title="after sign-out")
        message = await c.recv()
        assert message["type"] == "next"
        assert message["payload"]["errors"][0]["extensions"]["code"] == "TOKEN_REVOKED"


async def test_admin_message_arrives_live_through_the_api(app, api):
    admin, alice = await make_user(roles=("admin",)), await make_user()
    client, connect = await open_ws(app, "graphql-transport-ws")
    async with client, connect as ws:
        c = WsClient(ws, "graphql-transport-ws")
        await c.init(await token_for(alice))
        await c.subscribe()
        await wait_for_listener(events.user_channel(alice.id))
        sent = await api(
            'mutation($u: ID!) { sendNotification(userId: $u, title: "Hello") { notification { id } errors { code } } }',
            {"u": gid(alice)},
            token=await token_for(admin),
        )
        message = await c.recv()
        assert message["payload"]["data"]["myNotifications"]["id"] == sent["sendNotification"]["notification"]["id"]


async def test_events_of_a_rolled_back_unit_of_work_are_never_published():
    published = []

    async def capture(channel, message):
        published.append((channel, message))

    user = await make_user()
    events.set_publisher(capture)
    try:
        with pytest.raises(DomainError):
            async with events.unit_of_work():
                await notifications.notify(user.id, kind="X", title="rolled back")
                raise DomainError(ErrorCode.INVALID_INPUT, "no")
        assert published == []
        async with events.unit_of_work():
            await notifications.notify(user.id, kind="X", title="kept")
            assert published == []  # not before the commit
        assert len(published) == 1
    finally:
        events.set_publisher(get_broadcast().publish)


async def test_emit_outside_a_unit_of_work_is_a_bug():
    with pytest.raises(RuntimeError):
        events.emit("user:1", {"type": "x"})


async def test_slow_subscriber_is_dropped_not_buffered_forever():
    broadcast = BoundedBroadcast("memory://", queue_size=5)
    await broadcast.connect()
    try:
        async with broadcast.subscribe("c") as slow, broadcast.subscribe("c") as fast:
            received = []

            async def read_fast():
                async for event in fast:
                    received.append(event.message)
                    if len(received) == 50:
                        return

            reader = asyncio.create_task(read_fast())
            for i in range(50):
                await broadcast.publish("c", str(i))
                await asyncio.sleep(0)
            await asyncio.wait_for(reader, 2)
            assert received == [str(i) for i in range(50)]
            assert slow._queue.qsize() <= 5
            with pytest.raises(SlowConsumer):
                async for _ in slow:
                    pass
    finally:
        await broadcast.disconnect()
