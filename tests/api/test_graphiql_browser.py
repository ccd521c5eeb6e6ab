"""GraphiQL in a real browser (headless Chromium), against a DEBUG server in a subprocess,
with every host name but 127.0.0.1 unresolvable: the page renders from the vendored files,
runs a query over HTTP and a subscription over graphql-ws, both authenticated by the headers
pane, and asks for nothing outside the server.

Skipped when no Chromium is installed (`apt-get install chromium`; .ci/run installs it)."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from urllib.parse import quote

import pytest

from schema.graphiql import assets
from tests.browser import find_chromium, headless_chromium
from tests.helpers import make_user, token_for
from tests.servers import Server, start_healthy_server, stop_server

CHROMIUM = find_chromium()
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="no Chromium binary (apt-get install chromium)")

RENDERED = "!!document.querySelector('.graphiql-container .graphiql-execute-button')"
RUN = "document.querySelector('.graphiql-execute-button').click()"
RESULT = "document.querySelector('.result-window .CodeMirror')?.CodeMirror?.getValue() || ''"


def ide_url(server: Server, query: str, headers: dict[str, str]) -> str:
    """The page's shared-link form: ?q= fills the editor, ?headers= the headers pane."""
    return f"{server.graphql_url}?q={quote(query)}&headers={quote(json.dumps(headers))}"


async def run(tab, url: str, expect: str) -> dict:
    """Open GraphiQL at `url`, press run, and return the result pane's JSON once it has `expect`."""
    await tab.navigate(url)
    await tab.wait_for(RENDERED)
    await tab.evaluate(RUN)
    await tab.wait_for(f"({RESULT}).includes({json.dumps(expect)})", timeout=30)
    return json.loads(await tab.evaluate(RESULT))


async def test_graphiql_runs_a_query_and_a_subscription_from_vendored_files_only():
    admin = await make_user("graphiql admin", roles=("admin",))
    headers = {"Authorization": f"Bearer {await token_for(admin)}"}
    started: list[Server] = []
    try:
        server = await start_healthy_server(
            "graphiql", Path(tempfile.mkdtemp(prefix="socialmall-graphiql-")), started, {"DEBUG": "true"}
        )
        async with headless_chromium(CHROMIUM) as tab:
            answer = await run(tab, ide_url(server, "{ me { nickname } }", headers), "nickname")
            assert answer == {"data": {"me": {"nickname": "graphiql admin"}}}, tab.problems()

            live = await run(tab, ide_url(server, "subscription { adminReviewCounts { total } }", headers), "total")
            assert live == {"data": {"adminReviewCounts": {"total": 0}}}, tab.problems()
            assert tab.urls("Network.webSocketCreated") == [server.ws_url]

            requested = [u for u in tab.urls() if not u.startswith("data:")]
            assert all(u.startswith(server.http_url + "/") for u in requested), requested
            for path in assets.load_manifest():
                assert f"{server.http_url}{assets.URL_PREFIX}{path}" in requested, path
            failed = [p for name, p in tab.events if name == "Network.loadingFailed"]
            assert failed == [], tab.problems()
    finally:
        for started_server in started:
            await stop_server(started_server)
