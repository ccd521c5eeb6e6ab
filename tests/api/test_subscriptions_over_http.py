"""Subscriptions over HTTP: multipart/mixed (Apollo's HttpLink, subscriptionSpec 1.0) and
text/event-stream (graphql-sse) are served as streams, authenticated by the bearer token like
a WebSocket, and ended with TOKEN_EXPIRED when that token expires (which is also what lets
this test read the whole response: httpx's ASGI transport returns it once it is complete)."""

import asyncio

import httpx
import pytest

import settings
from services.accounts import notifications
from services.core import events
from tests.api.test_subscriptions import SUBSCRIBE, wait_for_listener
from tests.helpers import make_user, token_for

MULTIPART = 'multipart/mixed;subscriptionSpec="1.0",application/json'
SSE = "text/event-stream"


async def _stream(app, accept: str, token: str | None) -> httpx.Response:
    transport = httpx.ASGITransport(app=app)
    headers = {"accept": accept, **({"authorization": f"Bearer {token}"} if token else {})}
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver", timeout=10) as client:
        return await client.post("/graphql", json={"query": SUBSCRIBE}, headers=headers)


@pytest.mark.parametrize("accept", [MULTIPART, SSE])
async def test_a_subscription_streams_over_http_until_its_token_expires(app, accept, monkeypatch):
    monkeypatch.setattr(settings, "ACCESS_TOKEN_TTL_SECONDS", 2)
    alice = await make_user()
    token = await token_for(alice)
    request = asyncio.create_task(_stream(app, accept, token))
    await wait_for_listener(events.user_channel(alice.id))
    await notifications.notify(alice.id, kind="ADMIN_MESSAGE", title="over http")
    response = await asyncio.wait_for(request, 10)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("multipart/mixed" if accept == MULTIPART else SSE)
    body = response.text
    assert '"title":"over http"' in body, body
    assert "TOKEN_EXPIRED" in body, body
    assert "Unexpected error" not in body


@pytest.mark.parametrize("accept", [MULTIPART, SSE])
async def test_an_anonymous_subscription_over_http_is_refused_with_a_code(app, accept):
    response = await asyncio.wait_for(_stream(app, accept, None), 10)
    assert "UNAUTHENTICATED" in response.text, response.text
    assert "Unexpected error" not in response.text
