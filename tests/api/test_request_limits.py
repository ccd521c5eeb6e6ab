"""MAX_REQUEST_BYTES: a larger HTTP body (by Content-Length or chunked), query string or
WebSocket message is refused with a coded error before anything parses it."""

from __future__ import annotations

import json

import httpx
import pytest
from httpx_ws import WebSocketDisconnect, aconnect_ws
from httpx_ws.transport import ASGIWebSocketTransport

import settings
from app import create_app

LIMIT = 2000


@pytest.fixture
def small_app(monkeypatch):
    monkeypatch.setattr(settings, "MAX_REQUEST_BYTES", LIMIT)
    return create_app(debug=False, manage_database=False)


async def _post(app, content, headers=None) -> httpx.Response:
    transport = httpx.ASGITransport(app=app, client=("10.1.2.3", 5555))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        return await client.post(
            "/graphql", content=content, headers={"content-type": "application/json", **(headers or {})}
        )


def _document(size: int) -> bytes:
    """A valid request body of exactly `size` bytes."""
    body = json.dumps({"query": "{ __typename }"}).encode()
    return body[:-1] + b" " * (size - len(body)) + b"}"


def _assert_refused(response: httpx.Response) -> None:
    assert response.status_code == 413
    body = response.json()
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "REQUEST_TOO_LARGE"
    assert response.headers["x-request-id"]


async def test_a_body_over_the_limit_by_content_length_is_refused(small_app):
    _assert_refused(await _post(small_app, _document(LIMIT + 1)))


async def test_a_chunked_body_over_the_limit_is_refused(small_app):
    sent = []

    async def chunks():
        for _ in range(100):  # 100 kB if nobody stopped reading
            sent.append(1)
            yield b" " * 1000

    response = await _post(small_app, chunks())
    _assert_refused(response)
    assert "content-length" not in response.request.headers


async def test_a_chunked_body_under_the_limit_is_served(small_app):
    async def chunks():
        yield b'{"query": "{ __typ'
        yield b'ename }"}'

    response = await _post(small_app, chunks())
    assert response.status_code == 200 and response.json() == {"data": {"__typename": "Query"}}


async def test_a_body_at_the_limit_is_served(small_app):
    response = await _post(small_app, _document(LIMIT))
    assert response.status_code == 200 and response.json() == {"data": {"__typename": "Query"}}


async def test_a_long_query_string_is_refused(small_app):
    transport = httpx.ASGITransport(app=small_app, client=("10.1.2.3", 5555))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        response = await client.get("/graphql", params={"query": "{ __typename }" + " " * LIMIT})
    _assert_refused(response)


async def test_an_over_long_websocket_message_closes_the_connection(small_app):
    transport = ASGIWebSocketTransport(app=small_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        with pytest.raises(BaseException) as closed:
            async with aconnect_ws("http://testserver/graphql", client, subprotocols=["graphql-transport-ws"]) as ws:
                await ws.send_text(json.dumps({"type": "connection_init", "payload": {}}))
                assert json.loads(await ws.receive_text())["type"] == "connection_ack"
                await ws.send_text(
                    json.dumps({"type": "subscribe", "id": "1", "payload": {"query": "{ __typename }" + " " * LIMIT}})
                )
                await ws.receive_text()
    error = closed.value
    if isinstance(error, BaseExceptionGroup):
        error = error.exceptions[0]
    assert isinstance(error, WebSocketDisconnect) and error.code == 1009
