"""What a WebSocket connection costs the server before any of our code runs: the floor under
`queue_subscribers.py`'s KiB per connection (RT-3).

    .venv/bin/python bench/ws_memory_floor.py                  # 1,000 connections per case
    .venv/bin/python bench/ws_memory_floor.py --connections 2000 --ws wsproto

For each uvicorn WebSocket implementation asked (`--ws`, default websockets-sansio, uvicorn's
choice, and wsproto) it starts uvicorn on one of three apps defined here and reads the
server's VmRSS before and after `--connections` clients connect (permessage-deflate offered,
as browsers do; declined by the server, as the Procfile serves):

- `bare`: a plain ASGI app that accepts the socket and answers one message: uvicorn and
  its WebSocket implementation alone;
- `strawberry-init`: a minimal Strawberry app (no middleware, no authentication); the
  client sends graphql-transport-ws `connection_init` and gets its ack;
- `strawberry-subscribed`: the same, plus one trivial subscription per connection, left
  waiting for its next event.

Prints KiB per connection for each. Compare with `queue_subscribers.py` (the whole app, a
session per connection, `myQueuePositions` served by the fast path). Not a test.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

APPS = """
import asyncio
from collections.abc import AsyncGenerator

import strawberry
from starlette.applications import Starlette
from starlette.routing import WebSocketRoute
from strawberry.asgi import GraphQL


async def bare(scope, receive, send):
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            else:
                await send({"type": "lifespan.shutdown.complete"})
                return
    if scope["type"] == "websocket":
        await receive()
        await send({"type": "websocket.accept", "subprotocol": "graphql-transport-ws"})
        while (await receive())["type"] != "websocket.disconnect":
            await send({"type": "websocket.send", "text": '{"type":"connection_ack"}'})


@strawberry.type
class Query:
    hello: str = "hello"


@strawberry.type
class Subscription:
    @strawberry.subscription
    async def tick(self) -> AsyncGenerator[int, None]:
        yield 1
        await asyncio.Event().wait()
        yield 2


_graphql = GraphQL(strawberry.Schema(query=Query, subscription=Subscription))
strawberry_app = Starlette(routes=[WebSocketRoute("/", _graphql)])
"""

CASES = {"bare": "bare", "strawberry-init": "strawberry_app", "strawberry-subscribed": "strawberry_app"}


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def _connect(url: str, subscribe: bool):
    from websockets.asyncio.client import connect

    ws = await connect(url, subprotocols=["graphql-transport-ws"], compression="deflate", ping_interval=None)
    await ws.send(json.dumps({"type": "connection_init"}))
    await ws.recv()
    if subscribe:
        await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": "subscription { tick }"}}))
        await ws.recv()
    return ws


async def measure(case: str, ws_impl: str, connections: int, app_dir: Path) -> float:
    port = free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            f"floor_apps:{CASES[case]}",
            "--app-dir",
            str(app_dir),
            "--port",
            str(port),
            "--ws",
            ws_impl,
            "--ws-per-message-deflate",
            "false",
            "--log-level",
            "warning",
        ]
    )
    try:
        url = f"ws://127.0.0.1:{port}/"
        for _ in range(100):
            try:
                first = await _connect(url, case == "strawberry-subscribed")  # imports and caches warm
                break
            except OSError:
                await asyncio.sleep(0.1)
        else:
            raise SystemExit(f"uvicorn did not start for {case}")
        before = rss_kib(server.pid)
        gate, held = asyncio.Semaphore(50), [first]

        async def one() -> None:
            async with gate:
                held.append(await _connect(url, case == "strawberry-subscribed"))

        await asyncio.gather(*(one() for _ in range(connections)))
        time.sleep(1.0)
        return (rss_kib(server.pid) - before) / connections
    finally:
        server.terminate()
        server.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--connections", type=int, default=1000)
    parser.add_argument(
        "--ws", action="append", help="uvicorn --ws implementations (default websockets-sansio, wsproto)"
    )
    args = parser.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    with tempfile.TemporaryDirectory() as tmp:
        app_dir = Path(tmp)
        (app_dir / "floor_apps.py").write_text(APPS)
        for ws_impl in args.ws or ["websockets-sansio", "wsproto"]:
            for case in CASES:
                kib = asyncio.run(measure(case, ws_impl, args.connections, app_dir))
                print(f"{ws_impl:18} {case:22} {kib:5.1f} KiB per connection", flush=True)


if __name__ == "__main__":
    main()
