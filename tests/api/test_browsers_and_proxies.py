"""Browsers and proxies: CORS_ALLOWED_ORIGINS for HTTP (preflight) and WebSocket handshakes,
FORWARDED_ALLOW_IPS for the client address the SMS limit, tracking clicks and risk rules read."""

from __future__ import annotations

import json
from contextlib import asynccontextmanager

import httpx
import pytest
from httpx_ws import WebSocketDisconnect, aconnect_ws
from httpx_ws.transport import ASGIWebSocketTransport

import settings
from app import create_app
from models.accounts import SmsCode
from models.distributors import InviteClick
from services.core.sensitive import blind_index
from tests.helpers import make_user, next_phone

SHOP = "https://shop.example.com"
OTHER = "https://evil.example.net"
PREFLIGHT = {"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "authorization, content-type"}
REQUEST_CODE = "mutation($p: String!) { requestSmsCode(phone: $p) { phone errors { code } } }"


@pytest.fixture
def shop_app(monkeypatch):
    monkeypatch.setattr(settings, "CORS_ALLOWED_ORIGINS", [SHOP])
    return create_app(debug=False, manage_database=False)


@asynccontextmanager
async def http(app, client=("10.1.2.3", 5555)):
    transport = httpx.ASGITransport(app=app, client=client)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        yield c


async def test_preflight_is_allowed_for_a_listed_origin_and_refused_for_another(shop_app):
    async with http(shop_app) as c:
        allowed = await c.options("/graphql", headers={"Origin": SHOP, **PREFLIGHT})
        refused = await c.options("/graphql", headers={"Origin": OTHER, **PREFLIGHT})
        posted = await c.post("/graphql", json={"query": "{ __typename }"}, headers={"Origin": SHOP})
    assert allowed.status_code == 200 and allowed.headers["access-control-allow-origin"] == SHOP
    assert "authorization" in allowed.headers["access-control-allow-headers"].lower()
    assert refused.status_code == 400 and "access-control-allow-origin" not in refused.headers
    assert posted.json() == {"data": {"__typename": "Query"}}
    assert posted.headers["access-control-allow-origin"] == SHOP
    assert "x-request-id" in posted.headers["access-control-expose-headers"].lower()  # a page may read it


async def test_without_listed_origins_there_is_no_cors(app):
    async with http(app) as c:
        preflight = await c.options("/graphql", headers={"Origin": SHOP, **PREFLIGHT})
        posted = await c.post("/graphql", json={"query": "{ __typename }"}, headers={"Origin": SHOP})
    assert preflight.status_code == 405  # same-origin only: no CORS answer at all
    assert "access-control-allow-origin" not in posted.headers


async def _handshake(app, headers: dict) -> bool:
    """Whether a graphql-transport-ws handshake with these headers is accepted (and acked)."""
    transport = ASGIWebSocketTransport(app=app)
    refused = None
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        try:
            async with aconnect_ws(
                "http://testserver/graphql", client, subprotocols=["graphql-transport-ws"], headers=headers
            ) as ws:
                await ws.send_text(json.dumps({"type": "connection_init", "payload": {}}))
                assert json.loads(await ws.receive_text())["type"] == "connection_ack"
        except* WebSocketDisconnect as closed:
            refused = closed.exceptions[0]
    if refused is None:
        return True
    assert refused.code == 1008  # closed before the accept: the server answers the handshake with 403
    return False


async def test_websocket_is_accepted_for_a_listed_origin_and_refused_for_another(shop_app):
    assert await _handshake(shop_app, {"Origin": SHOP})
    assert not await _handshake(shop_app, {"Origin": OTHER})
    assert await _handshake(shop_app, {})  # no Origin: not a browser page (a native app), let in
    assert await _handshake(shop_app, {"Origin": "http://testserver"})  # same origin


async def test_cors_star_is_for_debug_only(monkeypatch):
    import safety

    monkeypatch.setattr(settings, "CORS_ALLOWED_ORIGINS", ["*"])
    assert "CORS_ALLOWED_ORIGINS" in [p.setting for p in safety.check()]
    monkeypatch.setattr(settings, "DEBUG", True)
    assert safety.check() == []


def test_a_malformed_origin_stops_the_start(monkeypatch):
    monkeypatch.setattr(settings, "CORS_ALLOWED_ORIGINS", ["https://shop.example.com/path"])
    with pytest.raises(ValueError, match="Invalid origin"):
        create_app(debug=False, manage_database=False)


async def _sms_ip(app, peer: str, forwarded: str | None) -> str:
    phone = next_phone()
    headers = {"X-Forwarded-For": forwarded} if forwarded else {}
    async with http(app, client=(peer, 4000)) as c:
        body = (
            await c.post("/graphql", json={"query": REQUEST_CODE, "variables": {"p": phone}}, headers=headers)
        ).json()
    assert body["data"]["requestSmsCode"]["errors"] == []
    return (await SmsCode.all().order_by("-id").first()).ip


async def test_x_forwarded_for_is_believed_only_from_a_trusted_proxy(monkeypatch):
    monkeypatch.setattr(settings, "FORWARDED_ALLOW_IPS", "127.0.0.1, 10.0.0.0/8")
    app = create_app(debug=False, manage_database=False)
    # A trusted proxy's header names the client; the rightmost address that is no proxy of ours.
    assert await _sms_ip(app, "10.0.0.2", "203.0.113.7") == "203.0.113.7"
    assert await _sms_ip(app, "127.0.0.1", "198.51.100.1, 203.0.113.7, 10.0.0.9") == "203.0.113.7"
    # Anyone else's header is ignored: they are the client.
    assert await _sms_ip(app, "198.51.100.20", "203.0.113.7") == "198.51.100.20"
    assert await _sms_ip(app, "10.0.0.2", None) == "10.0.0.2"

    # The tracking link counts the same visitor (GET /r/{code} trusted X-Forwarded-For from anyone).
    owner = await make_user("分销A")
    async with http(app, client=("198.51.100.20", 4000)) as c:
        spoofed = await c.get(f"/r/{owner.invite_code}", headers={"X-Forwarded-For": "1.2.3.4", "user-agent": "ua"})
    async with http(app, client=("10.0.0.2", 4000)) as c:
        proxied = await c.get(f"/r/{owner.invite_code}", headers={"X-Forwarded-For": "1.2.3.4", "user-agent": "ua"})
    assert spoofed.status_code == proxied.status_code == 302
    hashes = [c.visitor_hash for c in await InviteClick.all().order_by("id")]
    assert hashes == [blind_index("198.51.100.20|ua"), blind_index("1.2.3.4|ua")]
