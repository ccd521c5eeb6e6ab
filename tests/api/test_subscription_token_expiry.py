"""An access token's expiry on an open WebSocket: the running subscription ends with
TOKEN_EXPIRED when the token expires (a timer: no event needed), and a subscription started
on that socket afterwards is refused with TOKEN_EXPIRED."""

import time

import pytest

import settings
from services.core import events
from tests.api.test_subscriptions import WsClient, open_ws, wait_for_listener
from tests.helpers import make_user, token_for


def _code(message: dict) -> str:
    payload = message["payload"]
    errors = payload if isinstance(payload, list) else payload.get("errors") or [payload]
    return errors[0]["extensions"]["code"]


@pytest.mark.parametrize("protocol", ["graphql-transport-ws", "graphql-ws"])
async def test_a_subscription_ends_when_its_token_expires_and_a_new_one_is_refused(app, protocol, monkeypatch):
    monkeypatch.setattr(settings, "ACCESS_TOKEN_TTL_SECONDS", 2)  # exp is whole seconds: 1-2 s from now
    alice = await make_user()
    token = await token_for(alice)
    client, connect = await open_ws(app, protocol)
    async with client, connect as ws:
        c = WsClient(ws, protocol)
        await c.init(token)
        started = time.monotonic()
        await c.subscribe()
        await wait_for_listener(events.user_channel(alice.id))
        ended = await c.recv(timeout=5.0)  # no event is published: the timer ends it
        took = time.monotonic() - started
        assert ended["type"] in ("next", "data"), ended
        assert _code(ended) == "TOKEN_EXPIRED"
        assert took < 3.5
        assert (await c.recv())["type"] == "complete"
        assert not get_listeners(alice.id)

        await c.subscribe(op_id="2")
        refused = await c.recv()
        assert refused["type"] == "error" and refused["id"] == "2", refused
        assert _code(refused) == "TOKEN_EXPIRED"


def get_listeners(user_id: int) -> int:
    from subscriptions.hub import get_broadcast

    return get_broadcast().subscriber_count(events.user_channel(user_id))
