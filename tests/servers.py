"""Real server processes for multi-process tests: uvicorn servers of this app on the test
database (PostgreSQL) and Redis, and a minimal GraphQL-over-WebSocket client.

Used by tests/api/test_realtime_multiprocess.py and tests/api/test_consignment_multiprocess.py.
`running_servers()` starts two servers (optionally with extra environment, e.g. a setting
that must differ from the default) and stops them on exit; the `redis` fixture is a plain
client of REDIS_URL for waiting until a server listens on a channel.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio

import settings
from services.core import clock

PROJECT_DIR = Path(__file__).resolve().parents[1]


# --- servers -------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def server_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DATABASE_URL=settings.DATABASE_URL,
        REDIS_URL=settings.REDIS_URL,
        BROADCAST_URL=settings.BROADCAST_URL,
        SECRET_KEY=settings.SECRET_KEY,
        DEBUG="false",
        SMS_SENDER="memory",
        PYTHONUNBUFFERED="1",
    )
    # the server's clock reads exactly what the test's reads (start instant and advance())
    env["CLOCK_START"], env["CLOCK_START_AT"] = clock.anchored_now()
    env.update(extra or {})
    return env


@dataclass
class Server:
    name: str
    port: int
    log_path: Path
    process: subprocess.Popen
    log_file: Any = field(repr=False, default=None)

    @property
    def http_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def graphql_url(self) -> str:
        return f"{self.http_url}/graphql"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/graphql"

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError as exc:
            return f"<no log: {exc}>"


def start_server(name: str, log_dir: Path, extra_env: dict[str, str] | None = None) -> Server:
    port = free_port()
    log_path = log_dir / f"{name}.log"
    log_file = log_path.open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "app:app", "--host", "127.0.0.1", "--port", str(port)],
        cwd=PROJECT_DIR,
        env=server_env(extra_env),
        stdin=subprocess.DEVNULL,
        stdout=log_file,
        stderr=subprocess.STDOUT,
    )
    return Server(name, port, log_path, process, log_file)


async def wait_healthy(server: Server, timeout: float = 60.0) -> bool:
    """True once /healthz answers 200; False if the process exited (e.g. port taken)."""
    deadline = time.monotonic() + timeout
    last = "no answer"
    async with httpx.AsyncClient(timeout=2.0) as client:
        while time.monotonic() < deadline:
            if server.process.poll() is not None:
                return False
            try:
                response = await client.get(f"{server.http_url}/healthz")
                if response.status_code == 200:
                    return True
                last = f"{response.status_code} {response.text}"
            except httpx.HTTPError as exc:
                last = repr(exc)
            await asyncio.sleep(0.1)
    pytest.fail(f"{server.name} not healthy after {timeout}s ({last}):\n{server.log()}")


async def start_healthy_server(
    name: str, log_dir: Path, started: list[Server], extra_env: dict[str, str] | None = None
) -> Server:
    for attempt in range(3):  # another process may take the free port before uvicorn binds it
        server = start_server(f"{name}-{attempt}" if attempt else name, log_dir, extra_env)
        started.append(server)
        if await wait_healthy(server):
            return server
    pytest.fail(f"{name} exited with {server.process.returncode}:\n{server.log()}")


async def stop_server(server: Server) -> None:
    if server.process.poll() is None:
        server.process.terminate()
        try:
            await asyncio.to_thread(server.process.wait, 5)
        except subprocess.TimeoutExpired:
            server.process.kill()
            await asyncio.to_thread(server.process.wait, 5)
    server.log_file.close()


@dataclass
class Servers:
    one: Server
    two: Server
    http: httpx.AsyncClient

    def logs(self) -> str:
        return "\n".join(f"----- {s.name} (port {s.port}) -----\n{s.log()}" for s in (self.one, self.two))

    async def graphql(
        self,
        server: Server,
        query: str,
        variables: dict | None = None,
        token: str | None = None,
        timeout: float | None = None,
    ) -> dict:
        """The response body of one GraphQL request over HTTP to `server` (errors included)."""
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        extra = {} if timeout is None else {"timeout": timeout}
        response = await self.http.post(
            server.graphql_url, json={"query": query, "variables": variables or {}}, headers=headers, **extra
        )
        return response.json()


@contextlib.asynccontextmanager
async def running_servers(
    label: str = "server",
    *,
    extra_env: dict[str, str] | None = None,
    cls: type[Servers] = Servers,
    http_limits: httpx.Limits | None = None,
) -> AsyncIterator[Servers]:
    """Two uvicorn servers of the app, started in parallel, stopped on exit."""
    log_dir = Path(tempfile.mkdtemp(prefix="socialmall-servers-"))
    started: list[Server] = []
    try:
        async with asyncio.TaskGroup() as group:  # a failure cancels the other start-up
            one = group.create_task(start_healthy_server(f"{label}1", log_dir, started, extra_env))
            two = group.create_task(start_healthy_server(f"{label}2", log_dir, started, extra_env))
        async with httpx.AsyncClient(timeout=5.0, limits=http_limits or httpx.Limits()) as http:
            yield cls(one.result(), two.result(), http)
    finally:
        for server in started:
            await stop_server(server)


# --- Redis ---------------------------------------------------------------------------


@pytest_asyncio.fixture(loop_scope="session")
async def redis():
    from redis import asyncio as aioredis

    client = aioredis.Redis.from_url(settings.REDIS_URL)
    try:
        yield client
    finally:
        await client.aclose()


async def wait_numsub(redis, channel: str, count: int = 1, timeout: float = 10.0, prefix: str | None = None) -> None:
    """Until `count` connections listen on the app's `channel` in Redis, which names it with
    the servers' BROADCAST_CHANNEL_PREFIX (or `prefix`, for a backend built with its own)."""
    channel = (settings.BROADCAST_CHANNEL_PREFIX if prefix is None else prefix) + channel
    deadline = time.monotonic() + timeout
    while True:
        [(_, listening)] = await redis.pubsub_numsub(channel)
        if listening >= count:
            return
        if time.monotonic() > deadline:
            pytest.fail(f"{listening} subscribers to {channel} on Redis after {timeout}s, expected {count}")
        await asyncio.sleep(0.02)


# --- a minimal GraphQL-over-WebSocket client --------------------------------------------


class WsClient:
    """graphql-transport-ws or the legacy graphql-ws, on the `websockets` package.

    A reader task timestamps every message on arrival, so latencies don't include the
    time the test spends elsewhere.
    """

    def __init__(self, ws, protocol: str) -> None:
        self.ws = ws
        self.protocol = protocol
        self.messages: asyncio.Queue[tuple[float, dict]] = asyncio.Queue()
        self.reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        with contextlib.suppress(Exception):
            async for raw in self.ws:
                message = json.loads(raw)
                if message.get("type") == "ping":  # graphql-transport-ws keep-alive
                    await self.ws.send(json.dumps({"type": "pong"}))
                    continue
                if message.get("type") in ("pong", "ka"):
                    continue
                await self.messages.put((time.perf_counter(), message))
        await self.messages.put((time.perf_counter(), {"type": "__closed__"}))

    async def next(self, timeout: float) -> tuple[float, dict]:
        return await asyncio.wait_for(self.messages.get(), timeout)

    async def subscribe(self, query: str, op_id: str = "1", variables: dict | None = None) -> None:
        kind = "subscribe" if self.protocol == "graphql-transport-ws" else "start"
        payload: dict[str, Any] = {"query": query}
        if variables is not None:
            payload["variables"] = variables
        await self.ws.send(json.dumps({"id": op_id, "type": kind, "payload": payload}))

    async def next_data(self, field_name: str, timeout: float, op_id: str = "1") -> tuple[float, dict]:
        """(arrival time, the subscription field's object) of the next data message."""
        at, message = await self.next(timeout)
        data_type = "next" if self.protocol == "graphql-transport-ws" else "data"
        assert message.get("type") == data_type and message.get("id") == op_id, message
        assert not message["payload"].get("errors"), message
        return at, message["payload"]["data"][field_name]

    async def next_notification(self, timeout: float, op_id: str = "1") -> tuple[float, dict]:
        """(arrival time, the `myNotifications` object) of the next data message."""
        return await self.next_data("myNotifications", timeout, op_id)

    async def expect_silence(self, seconds: float) -> None:
        await asyncio.sleep(seconds)
        assert self.messages.empty(), f"unexpected message: {self.messages.get_nowait()[1]}"

    async def close(self) -> None:
        await self.ws.close()
        self.reader.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self.reader


@contextlib.asynccontextmanager
async def ws_client(server: Server, protocol: str, token: str | None):
    from websockets.asyncio.client import connect

    async with connect(server.ws_url, subprotocols=[protocol], open_timeout=5) as ws:
        assert ws.subprotocol == protocol
        payload = {"authorization": f"Bearer {token}"} if token else {}
        await ws.send(json.dumps({"type": "connection_init", "payload": payload}))
        client = WsClient(ws, protocol)
        try:
            _, ack = await client.next(5)
            assert ack["type"] == "connection_ack", ack
            yield client
        finally:
            await client.close()


# --- a private Redis, for tests that stop and restart it ----------------------------------


class PrivateRedis:
    """A `redis-server` of this test's own on a free port, stopped by its pid (never by name).
    It saves its data when stopped with SIGTERM (`stop()`) and loads it again on `start()`,
    as a production Redis with persistence does across a restart."""

    def __init__(self) -> None:
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="socialmall-redis-"))
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    async def start(self, timeout: float = 10.0) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.dir)]
            + ["--save", "3600 1", "--appendonly", "no", "--daemonize", "no"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + timeout
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                return
            except OSError:
                if time.monotonic() > deadline or self.process.poll() is not None:
                    pytest.fail(f"private redis-server on {self.port} did not start")
                await asyncio.sleep(0.02)

    async def stop(self) -> None:
        """SIGTERM to its pid (it saves, then exits), and wait for the exit."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            await asyncio.to_thread(self.process.wait, 10)
        self.process = None


@contextlib.asynccontextmanager
async def private_redis() -> AsyncIterator[PrivateRedis]:
    import shutil

    if not shutil.which("redis-server"):
        pytest.skip("redis-server not on PATH")
    server = PrivateRedis()
    await server.start()
    try:
        yield server
    finally:
        await server.stop()
