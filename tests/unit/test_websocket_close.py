"""Stalled and departed WebSocket clients: the Procfile sets uvicorn's ping interval and
timeout, and a send on a socket that is already closed is dropped, not a crashed task."""

import re
from pathlib import Path

from starlette.websockets import WebSocketState

from app import ClosedSafeWebSocketAdapter

PROCFILE = Path(__file__).resolve().parents[2] / "Procfile"


def test_procfile_sets_websocket_ping_interval_and_timeout():
    web = next(line for line in PROCFILE.read_text().splitlines() if line.startswith("web:"))
    assert re.search(r"--ws-ping-interval \d+", web), web
    assert re.search(r"--ws-ping-timeout \d+", web), web


class _View:
    def encode_json(self, message):
        import json

        return json.dumps(message)


class _UvicornClosedSocket:
    """What uvicorn's websockets protocol does once the client is gone and it has told the app."""

    def __init__(self, client_state=WebSocketState.CONNECTED):
        self.client_state = client_state
        self.application_state = WebSocketState.CONNECTED
        self.sent = []

    async def send_text(self, text):
        raise RuntimeError(
            "Unexpected ASGI message 'websocket.send', after sending 'websocket.close' or response already completed."
        )


async def test_a_send_after_uvicorn_closed_the_socket_is_dropped():
    adapter = ClosedSafeWebSocketAdapter(_View(), None, _UvicornClosedSocket())
    await adapter.send_json({"type": "next", "id": "1", "payload": {}})  # no RuntimeError


async def test_nothing_is_sent_once_the_client_disconnected():
    ws = _UvicornClosedSocket(client_state=WebSocketState.DISCONNECTED)
    ws.send_text = None  # would fail if called
    await ClosedSafeWebSocketAdapter(_View(), None, ws).send_json({"type": "complete", "id": "1"})


async def test_other_runtime_errors_still_raise():
    class Broken(_UvicornClosedSocket):
        async def send_text(self, text):
            raise RuntimeError("something else")

    import pytest

    with pytest.raises(RuntimeError, match="something else"):
        await ClosedSafeWebSocketAdapter(_View(), None, Broken()).send_json({"type": "next"})
