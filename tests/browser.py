"""A headless Chromium driven over the Chrome DevTools Protocol, for tests of pages in a real
browser (tests/api/test_graphiql_browser.py).

`headless_chromium()` starts the browser with every host name unresolvable except 127.0.0.1
(nothing can leave the machine), attaches to its tab and records the tab's network events,
so a test can also check which URLs the page asked for.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import shutil
import subprocess
import tempfile
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx

CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


def find_chromium() -> str | None:
    return next((path for name in CHROMIUM_NAMES if (path := shutil.which(name))), None)


class Tab:
    """One page target: `send` a CDP command, `evaluate` JavaScript, read recorded `events`."""

    def __init__(self, ws) -> None:
        self.ws = ws
        self.ids = itertools.count(1)
        self.pending: dict[int, asyncio.Future] = {}
        self.events: list[tuple[str, dict]] = []
        self.reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        async for raw in self.ws:
            message = json.loads(raw)
            if "id" in message:
                future = self.pending.pop(message["id"], None)
                if future is not None and not future.done():
                    future.set_result(message)
            else:
                self.events.append((message["method"], message.get("params", {})))

    async def send(self, method: str, params: dict | None = None, timeout: float = 30.0) -> dict:
        call_id = next(self.ids)
        future = asyncio.get_running_loop().create_future()
        self.pending[call_id] = future
        await self.ws.send(json.dumps({"id": call_id, "method": method, "params": params or {}}))
        reply = await asyncio.wait_for(future, timeout)
        if "error" in reply:
            raise RuntimeError(f"{method}: {reply['error']}")
        return reply["result"]

    async def evaluate(self, expression: str) -> Any:
        result = await self.send("Runtime.evaluate", {"expression": expression, "returnByValue": True})
        if "exceptionDetails" in result:
            raise RuntimeError(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    async def navigate(self, url: str) -> None:
        await self.send("Page.navigate", {"url": url})

    async def wait_for(self, expression: str, timeout: float = 60.0) -> Any:
        """The first truthy value of `expression` (JSON-able: `!!` a DOM node), evaluated every 0.2 s;
        an error (e.g. while the page navigates) counts as not yet."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                value = await self.evaluate(expression)
            except RuntimeError as exc:
                value = None
                last_error = str(exc)
            else:
                last_error = ""
            if value:
                return value
            if time.monotonic() > deadline:
                raise TimeoutError(f"after {timeout}s: {expression} {last_error}\n{self.problems()}")
            await asyncio.sleep(0.2)

    def urls(self, event: str = "Network.requestWillBeSent") -> list[str]:
        return [p["request"]["url"] if "request" in p else p["url"] for name, p in self.events if name == event]

    def problems(self) -> str:
        """Failed loads, uncaught exceptions and console errors, for a failure message."""
        lines = []
        for name, params in self.events:
            if name == "Network.loadingFailed":
                lines.append(f"load failed: {params.get('errorText')} {params.get('blockedReason', '')}")
            elif name == "Runtime.exceptionThrown":
                lines.append(f"exception: {params['exceptionDetails'].get('exception', {}).get('description')}")
            elif name == "Runtime.consoleAPICalled" and params.get("type") == "error":
                lines.append(f"console.error: {[a.get('value', a.get('description')) for a in params['args']]}")
            elif name == "Log.entryAdded" and params["entry"].get("level") == "error":
                lines.append(f"log: {params['entry'].get('text')} {params['entry'].get('url', '')}")
        return "\n".join(lines) or "(no errors recorded)"

    async def close(self) -> None:
        await self.ws.close()
        self.reader.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await self.reader


async def _devtools_port(profile: Path, process: subprocess.Popen, log: Path, timeout: float = 30.0) -> int:
    """Chromium writes the port it chose (--remote-debugging-port=0) into DevToolsActivePort."""
    deadline = time.monotonic() + timeout
    port_file = profile / "DevToolsActivePort"
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"chromium exited with {process.returncode}:\n{log.read_text(errors='replace')}")
        with contextlib.suppress(OSError, ValueError, IndexError):
            return int(port_file.read_text().split()[0])
        await asyncio.sleep(0.1)
    raise TimeoutError(f"chromium opened no DevTools port in {timeout}s:\n{log.read_text(errors='replace')}")


@contextlib.asynccontextmanager
async def headless_chromium(binary: str) -> AsyncIterator[Tab]:
    from websockets.asyncio.client import connect

    profile = Path(tempfile.mkdtemp(prefix="socialmall-chromium-"))
    log = profile.parent / f"{profile.name}.log"
    with log.open("wb") as log_file:
        process = subprocess.Popen(
            [
                binary,
                "--headless",
                "--no-sandbox",  # CI runs as root, where Chromium's sandbox cannot start
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--no-first-run",
                "--no-default-browser-check",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
                "--remote-debugging-address=127.0.0.1",
                "--remote-debugging-port=0",
                f"--user-data-dir={profile}",
                "about:blank",
            ],
            stdin=subprocess.DEVNULL,
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
    tab = None
    try:
        port = await _devtools_port(profile, process, log)
        async with httpx.AsyncClient(timeout=5.0) as http:
            targets = (await http.get(f"http://127.0.0.1:{port}/json/list")).json()
        page = next(t for t in targets if t["type"] == "page")
        ws = await connect(page["webSocketDebuggerUrl"], max_size=None, open_timeout=10)
        tab = Tab(ws)
        for domain in ("Page", "Runtime", "Network", "Log"):
            await tab.send(f"{domain}.enable")
        yield tab
    finally:
        if tab is not None:
            await tab.close()
        process.terminate()
        try:
            await asyncio.to_thread(process.wait, 10)
        except subprocess.TimeoutExpired:
            process.kill()
            await asyncio.to_thread(process.wait, 10)
        shutil.rmtree(profile, ignore_errors=True)
        log.unlink(missing_ok=True)
