"""The request-size limit (MAX_REQUEST_BYTES): an HTTP body, a query string or a WebSocket
message larger than the limit is refused before anything parses it.

HTTP: 413 with a GraphQL-shaped body (`errors[0].extensions.code` REQUEST_TOO_LARGE), decided
by Content-Length when the client sends one, otherwise by reading a chunked body only until it
passes the limit. WebSocket: the connection is closed with 1009 (message too big); the app is
told the client went away. uvicorn's own `--ws-max-size` (16 MiB by default) still applies
first; this check holds whatever server runs the app.
"""

from __future__ import annotations

import json
from typing import Any

REQUEST_TOO_LARGE = "REQUEST_TOO_LARGE"
WS_MESSAGE_TOO_BIG = 1009  # RFC 6455 close code


def too_large_body(limit: int) -> bytes:
    message = f"The request is larger than {limit} bytes."
    return json.dumps(
        {"data": None, "errors": [{"message": message, "extensions": {"code": REQUEST_TOO_LARGE}}]}
    ).encode()


class RequestSizeLimit:
    """ASGI middleware; goes inside the request-id and CORS middleware so a refusal carries
    the request id and a page on an allowed origin can read it."""

    def __init__(self, app: Any, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            await self._http(scope, receive, send)
        elif scope["type"] == "websocket":
            await self.app(scope, self._ws_receive(receive, send), send)
        else:
            await self.app(scope, receive, send)

    async def _refuse(self, send: Any) -> None:
        body = too_large_body(self.max_bytes)
        headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
        await send({"type": "http.response.start", "status": 413, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    async def _http(self, scope: dict, receive: Any, send: Any) -> None:
        if len(scope.get("query_string", b"")) > self.max_bytes:
            await self._refuse(send)
            return
        length = next((v for k, v in scope["headers"] if k == b"content-length"), None)
        if length is not None:
            if not length.isdigit() or int(length) > self.max_bytes:
                await self._refuse(send)
                return
            # The server stops at Content-Length: nothing more than the limit reaches the app.
            await self.app(scope, receive, send)
            return
        # No Content-Length (chunked, or no body): read at most the limit, then replay it.
        chunks: list[bytes] = []
        size = 0
        more = True
        while more:
            message = await receive()
            if message["type"] != "http.request":  # the client went away
                await self.app(scope, _replay([], message, receive), send)
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                await self._refuse(send)
                return
            chunks.append(chunk)
            more = message.get("more_body", False)
        await self.app(scope, _replay(chunks, None, receive), send)

    def _ws_receive(self, receive: Any, send: Any) -> Any:
        limit = self.max_bytes

        async def checked() -> dict:
            message = await receive()
            if message["type"] == "websocket.receive":
                data = message.get("text")
                if data is not None:  # UTF-8: at most 4 bytes a character; encode only when it may matter
                    size = len(data) if len(data) * 4 <= limit else len(data.encode())
                else:
                    size = len(message.get("bytes") or b"")
                if size > limit:
                    await send({"type": "websocket.close", "code": WS_MESSAGE_TOO_BIG, "reason": "message too big"})
                    return {"type": "websocket.disconnect", "code": WS_MESSAGE_TOO_BIG}
            return message

        return checked


def _replay(chunks: list[bytes], pending: dict | None, receive: Any) -> Any:
    """A `receive` that first hands over the body read already (one message), then the
    message that ended reading early, then the server's own."""
    queue: list[dict] = []
    if chunks or pending is None:
        queue.append({"type": "http.request", "body": b"".join(chunks), "more_body": False})
    if pending is not None:
        queue.append(pending)

    async def replayed() -> dict:
        if queue:
            return queue.pop(0)
        return await receive()

    return replayed
