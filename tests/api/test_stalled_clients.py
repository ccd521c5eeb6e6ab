"""Slow consumers by what a socket really has not read (slow_clients.StallWatch), against a
real uvicorn server and real TCP buffers: a client that reads promptly keeps its socket
however many events it gets; one that stops reading is closed with 1013 ("try again later",
which graphql-ws retries on) within 10 s, with no ASGI error in the server's log."""

from __future__ import annotations

import asyncio
import json
import tempfile
import time
from pathlib import Path

import httpx
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from tests.helpers import gid, make_user, token_for
from tests.servers import Server, start_healthy_server, stop_server, ws_client

SUBSCRIBE = "subscription { myNotifications { id title } }"
SEND = 'mutation($u: ID!, $t: String!) { sendNotification(userId: $u, title: $t, body: "") { errors { code } } }'
CLOSED_AS_SLOW = "closing a WebSocket whose client stopped reading"


async def _wait_logged(server: Server, text: str, until: float) -> float | None:
    """perf_counter when `text` is first seen in the server log (polled), None past `until`."""
    while time.perf_counter() < until:
        if text in server.log():
            return time.perf_counter()
        await asyncio.sleep(0.1)
    return None


async def test_a_stalled_client_is_closed_within_ten_seconds_and_a_prompt_one_never():
    admin, alice = await make_user("stall admin", roles=("admin",)), await make_user("stall alice")
    admin_token, alice_token = await token_for(admin), await token_for(alice)
    started: list[Server] = []
    try:
        server = await start_healthy_server("stall", Path(tempfile.mkdtemp(prefix="socialmall-stall-")), started)
        async with (
            ws_client(server, "graphql-transport-ws", alice_token) as prompt,
            # max_queue=1: once one message waits unread, the library stops reading the socket,
            # as a frozen tab does; its kernel buffer then holds whatever the server sends.
            connect(server.ws_url, subprotocols=["graphql-transport-ws"], max_queue=1) as stalled,
            httpx.AsyncClient(timeout=10) as http,
        ):
            await stalled.send(json.dumps({"type": "connection_init", "payload": {"authorization": alice_token}}))
            assert json.loads(await stalled.recv())["type"] == "connection_ack"
            await stalled.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": SUBSCRIBE}}))
            await prompt.subscribe(SUBSCRIBE)

            async def send(title: str) -> None:
                response = await http.post(
                    server.graphql_url,
                    json={"query": SEND, "variables": {"u": gid(alice), "t": title}},
                    headers={"Authorization": f"Bearer {admin_token}"},
                )
                assert response.json()["data"]["sendNotification"]["errors"] == [], response.text

            # Both subscriptions live: the prompt client hears a first event.
            for attempt in range(50):
                await send(f"warm {attempt}")
                try:
                    await prompt.next_notification(0.2)
                    break
                except TimeoutError:
                    continue
            stalled_since = time.perf_counter()
            sent = 0
            closed_at = None
            while time.perf_counter() < stalled_since + 13:  # past the 10 s the stalled one may take
                await send(f"event {sent}")
                sent += 1
                if closed_at is None and CLOSED_AS_SLOW in server.log():
                    closed_at = time.perf_counter()
                await asyncio.sleep(0.05)
            closed_at = closed_at or await _wait_logged(server, CLOSED_AS_SLOW, time.perf_counter() + 1)
            assert closed_at is not None, server.log()
            assert closed_at - stalled_since <= 10.5, (closed_at - stalled_since, server.log())

            # The prompt client got every event and its socket is open.
            titles = []
            while len(titles) < sent:
                _, note = await prompt.next_notification(5)
                if note["title"].startswith("event "):
                    titles.append(note["title"])
            assert titles == [f"event {i}" for i in range(sent)]

            # The stalled client, reading again, finds the close code graphql-ws retries on.
            try:
                while True:
                    await asyncio.wait_for(stalled.recv(), 10)
            except ConnectionClosed as closed:
                assert closed.rcvd is not None and closed.rcvd.code == 1013, closed
        log = server.log()
        assert "Unexpected ASGI message" not in log and "Traceback" not in log, log
    finally:
        for started_server in started:
            await stop_server(started_server)
