"""What operators read: JSON log lines with the request id, expected errors in one line,
unexpected ones with their traceback, a quiet idle worker, the start-up summary with secrets
masked, and /metrics (behind METRICS_TOKEN)."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families

import logs
import settings
from app import create_app
from jobs import runner
from services.accounts import notifications
from services.catalog import content
from services.core import events
from subscriptions.hub import BoundedBroadcast
from tests.api.test_subscriptions import WsClient, open_ws, wait_for_listener
from tests.helpers import make_user, token_for

ROOT = Path(__file__).resolve().parents[2]
PROBE = "query Probe { banners { id } }"
ADMIN_BANNERS = "query AdminBanners { adminBanners { id } }"
BAD_PHONE = 'mutation AskCode { requestSmsCode(phone: "12") { phone errors { code } } }'


@pytest.fixture
def log_lines():
    """The JSON lines logged during the test (LOG_FORMAT=json), parsed."""
    stream, root = io.StringIO(), logging.getLogger()
    level = root.level
    handler = logs.configure("json", "INFO", stream)
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    root.removeHandler(handler)
    root.setLevel(level)


def graphql_lines(lines):
    return [line for line in lines if line["logger"] == "graphql"]


async def test_a_json_log_line_carries_the_request_id_the_response_returned(api, log_lines):
    given = await api.client.post("/graphql", json={"query": PROBE}, headers={"X-Request-Id": "edge-7f3a.1"})
    made = await api.client.post("/graphql", json={"query": PROBE})
    unsafe = await api.client.post("/graphql", json={"query": PROBE}, headers={"X-Request-Id": "a b<script>"})
    long = await api.client.post("/graphql", json={"query": PROBE}, headers={"X-Request-Id": "x" * 65})
    assert given.headers["x-request-id"] == "edge-7f3a.1"
    assert all(len(r.headers["x-request-id"]) == 32 for r in (made, unsafe, long))  # made here instead
    lines = graphql_lines(log_lines())
    assert [line["request_id"] for line in lines] == [r.headers["x-request-id"] for r in (given, made, unsafe, long)]
    first = lines[0]
    assert first["message"] == "query Probe" and first["operation"] == "Probe" and first["level"] == "INFO"
    assert isinstance(first["duration_ms"], float) and first["time"].endswith("+00:00")
    assert "error_code" not in first and "user_id" not in first and "exception" not in first


async def test_the_line_names_the_signed_in_user(api, log_lines):
    user = await make_user("logged")
    await api("query Me { me { id } }", token=await token_for(user))
    [line] = graphql_lines(log_lines())
    assert line["user_id"] == user.id and line["operation"] == "Me"


async def test_an_expected_error_logs_one_line_without_a_traceback(api, log_lines):
    assert await api.error_code(ADMIN_BANNERS) == "UNAUTHENTICATED"  # a GraphQL error with a code
    payload = (await api.raw(BAD_PHONE))["data"]["requestSmsCode"]  # a domain error in the payload
    assert payload["errors"] == [{"code": "INVALID_PHONE"}]
    lines = log_lines()
    assert [(line["message"], line.get("error_code")) for line in graphql_lines(lines)] == [
        ("query AdminBanners", "UNAUTHENTICATED"),
        ("mutation AskCode", "INVALID_PHONE"),
    ]
    assert not any("exception" in line for line in lines) and not any(line["level"] == "ERROR" for line in lines)


async def test_an_unexpected_error_logs_its_traceback_with_the_request_id(api, log_lines, monkeypatch):
    async def broken(placement):
        raise RuntimeError("boom in live_banners")

    monkeypatch.setattr(content, "live_banners", broken)
    response = await api.client.post("/graphql", json={"query": PROBE}, headers={"X-Request-Id": "req-500"})
    assert response.json()["errors"][0]["message"] == "Unexpected error."  # masked for the client
    error, done = graphql_lines(log_lines())
    assert error["level"] == "ERROR" and error["request_id"] == "req-500" and error["operation"] == "Probe"
    assert "banners" in error["message"] and "RuntimeError: boom in live_banners" in error["exception"]
    assert "Traceback" in error["exception"]
    assert done["error_code"] == "INTERNAL_ERROR" and done["request_id"] == "req-500"


def test_the_text_format_is_readable():
    record = logging.LogRecord("graphql", logging.INFO, __file__, 1, "query %s", ("Probe",), None)
    record.request_id, record.duration_ms = "r1", 2.5
    line = logs.TextFormatter().format(record)
    assert line.endswith("INFO graphql: query Probe [request_id=r1 duration_ms=2.5]")


def test_server_loggers_go_through_ours_and_a_disabled_access_log_stays_off(monkeypatch):
    error, access, root = (logging.getLogger(name) for name in ("uvicorn.error", "uvicorn.access", ""))
    for logger in (error, access):
        monkeypatch.setattr(logger, "handlers", [])
        monkeypatch.setattr(logger, "propagate", False)
    error.handlers.append(logging.StreamHandler(io.StringIO()))  # as uvicorn configures it
    level = root.level
    handler = logs.configure("json", "INFO", io.StringIO())
    root.removeHandler(handler)
    root.setLevel(level)  # (setLevel, not an assignment: it also clears the loggers' level caches)
    assert error.propagate and not error.handlers
    assert not access.hasHandlers()  # --no-access-log: uvicorn logs access only to a logger with handlers


def test_the_start_up_summary_masks_secrets(monkeypatch):
    for name, value in {
        "SECRET_KEY": "s3cret-key-value",
        "DATA_KEYS": "fernet-1,fernet-2",
        "DATA_HASH_KEY": "hash-key",
        "WECHAT_APP_SECRET": "wx-secret",
        "METRICS_TOKEN": "",
        "DATABASE_URL": "postgres://app:db-pass@db.internal:5432/mall",
        "REDIS_URL": "redis://:redis-pass@cache:6379/0",
        "CURRENCY": "CNY",
    }.items():
        monkeypatch.setitem(settings.READ, name, value)
    summary = logs.configuration_summary()
    for secret in ("s3cret-key-value", "fernet-1", "hash-key", "wx-secret", "db-pass", "redis-pass"):
        assert secret not in summary
    assert "SECRET_KEY=*** " in summary and "METRICS_TOKEN= " in summary and "CURRENCY=CNY" in summary
    assert "DATABASE_URL=postgres://app:***@db.internal:5432/mall" in summary
    assert "REDIS_URL=redis://:***@cache:6379/0" in summary
    assert set(settings.READ) >= {"DEBUG", "LOG_FORMAT", "CORS_ALLOWED_ORIGINS", "FORWARDED_ALLOW_IPS"}


async def test_an_idle_worker_is_quiet_and_failures_always_log(caplog):
    with caplog.at_level(logging.DEBUG, logger="worker"):
        await runner.run_due_jobs("test-worker")  # an empty database: nothing to do
    assert caplog.records and not [r for r in caplog.records if r.levelno >= logging.INFO]

    async def busy() -> str:
        return "cancelled 3 unpaid checkouts"

    async def broken() -> str:
        raise RuntimeError("job exploded")

    caplog.clear()
    with caplog.at_level(logging.INFO, logger="worker"):
        await runner.run_now(runner.Job("test_busy", timedelta(minutes=1), busy))
        await runner.run_now(runner.Job("test_broken", timedelta(minutes=1), broken))
    busy_line, failure = caplog.records
    assert busy_line.getMessage() == "job test_busy: cancelled 3 unpaid checkouts" and busy_line.exc_info is None
    assert failure.levelno == logging.ERROR and failure.exc_info[1].args == ("job exploded",)
    assert runner.did_work("purged 0 sms codes, 10 refresh tokens") and not runner.did_work("evaluated 0 users, 0 up")


def samples(text: str) -> dict[tuple, float]:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


async def test_metrics_count_requests_and_errors_and_ask_for_the_token(api, monkeypatch):
    monkeypatch.setattr(settings, "METRICS_TOKEN", "metrics-t0ken")
    await runner.run_due_jobs("test-worker")  # job_run rows
    for _ in range(3):
        await api("query Probe { banners { id } }")
    await api.error_code(ADMIN_BANNERS)
    await api.raw(BAD_PHONE)

    assert (await api.client.get("/metrics")).status_code == 401
    assert (await api.client.get("/metrics", headers={"Authorization": "Bearer wrong"})).status_code == 401
    response = await api.client.get("/metrics", headers={"Authorization": "Bearer metrics-t0ken"})
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/plain")
    got = samples(response.text)
    assert got[("socialmall_graphql_requests_total", (("operation", "Probe"), ("type", "query")))] >= 3
    assert got[("socialmall_graphql_request_duration_seconds_count", (("operation", "Probe"), ("type", "query")))] >= 3
    assert got[("socialmall_graphql_errors_total", (("code", "UNAUTHENTICATED"),))] >= 1
    assert got[("socialmall_graphql_errors_total", (("code", "INVALID_PHONE"),))] >= 1
    assert got[("socialmall_job_runs_total", (("job", "purge_stale_auth_rows"),))] == 1
    assert got[("socialmall_job_failures_total", (("job", "purge_stale_auth_rows"),))] == 0
    assert got[("socialmall_job_last_run_failed", (("job", "purge_stale_auth_rows"),))] == 0
    assert ("socialmall_job_last_finished_timestamp_seconds", (("job", "purge_stale_auth_rows"),)) in got


async def test_metrics_without_a_token_are_hidden_in_production_and_open_in_debug(api, monkeypatch):
    import httpx

    monkeypatch.setattr(settings, "METRICS_TOKEN", "")
    assert (await api.client.get("/metrics")).status_code == 404
    debug_app = create_app(debug=True, manage_database=False)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=debug_app), base_url="http://testserver") as c:
        assert (await c.get("/metrics")).status_code == 200


def value(name: str, **labels) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


async def test_websockets_subscriptions_and_events_are_counted(app):
    alice = await make_user("alice")
    opened, active = (
        value("socialmall_websockets_open"),
        value("socialmall_subscriptions_active", topic="myNotifications"),
    )
    published, delivered = (
        value("socialmall_events_published_total", channel="user"),
        value("socialmall_events_delivered_total", channel="user"),
    )
    client, connect = await open_ws(app, "graphql-transport-ws")
    async with client, connect as ws:
        c = WsClient(ws, "graphql-transport-ws")
        await c.init(await token_for(alice))
        await c.subscribe()
        await wait_for_listener(events.user_channel(alice.id))
        assert value("socialmall_websockets_open") == opened + 1
        assert value("socialmall_subscriptions_active", topic="myNotifications") == active + 1
        await notifications.notify(alice.id, kind="ADMIN_MESSAGE", title="hello")
        assert (await c.recv())["type"] == "next"
    for _ in range(100):
        if value("socialmall_websockets_open") == opened:
            break
        await asyncio.sleep(0.01)
    assert value("socialmall_websockets_open") == opened
    assert value("socialmall_subscriptions_active", topic="myNotifications") == active
    assert value("socialmall_events_published_total", channel="user") == published + 1
    assert value("socialmall_events_delivered_total", channel="user") == delivered + 1


async def test_events_a_full_buffer_cannot_take_are_counted_as_dropped():
    dropped = value("socialmall_events_dropped_total", channel="queue")
    broadcast = BoundedBroadcast("memory://", queue_size=1)
    await broadcast.connect()
    try:
        async with broadcast.subscribe("queue:7"):
            for n in range(3):
                await broadcast.publish("queue:7", json.dumps({"n": n}))
            for _ in range(100):
                if value("socialmall_events_dropped_total", channel="queue") >= dropped + 2:
                    break
                await asyncio.sleep(0.01)
    finally:
        await broadcast.disconnect()
    assert value("socialmall_events_dropped_total", channel="queue") == dropped + 2  # one fits the buffer


def test_several_processes_add_up_in_multiprocess_mode(tmp_path):
    """PROMETHEUS_MULTIPROC_DIR: each process writes its figures there, /metrics adds them up,
    and the gauges of a process that is gone are forgotten when the next one starts."""
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}

    def child(code: str) -> str:
        done = subprocess.run(
            [sys.executable, "-c", f"import metrics\n{code}"], cwd=ROOT, env=env, capture_output=True, text=True
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    for _ in range(2):  # two web processes; each leaves a WebSocket "open" as a crash would
        child("metrics.event_published('user:1'); metrics.WEBSOCKETS_OPEN.inc()")
    text = child(
        "from prometheus_client import generate_latest\n"
        "metrics.process_started()\n"
        "print(generate_latest(metrics._registry()).decode())"
    )
    got = samples(text)
    assert got[("socialmall_events_published_total", (("channel", "user"),))] == 2
    assert got.get(("socialmall_websockets_open", ()), 0) == 0


def test_tracing_needs_the_opentelemetry_packages(monkeypatch):
    from schema import telemetry

    monkeypatch.setattr(settings, "OTEL_ENABLED", False)
    assert telemetry.tracing() == []
    monkeypatch.setattr(settings, "OTEL_ENABLED", True)
    try:
        import opentelemetry.trace  # noqa: F401
    except ImportError:
        with pytest.raises(RuntimeError, match="opentelemetry"):
            telemetry.tracing()
        return
    from strawberry.extensions.tracing import OpenTelemetryExtension

    assert telemetry.tracing() == [OpenTelemetryExtension]


async def test_traces_when_opentelemetry_is_installed(monkeypatch):
    pytest.importorskip("opentelemetry.sdk")
    import httpx
    from opentelemetry import trace
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    # No global provider left behind: the extension asks trace.get_tracer (with tracer_provider=None).
    monkeypatch.setattr(trace, "get_tracer", lambda name, *args, **kwargs: provider.get_tracer(name))
    monkeypatch.setattr(settings, "OTEL_ENABLED", True)
    traced = create_app(debug=False, manage_database=False)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=traced), base_url="http://testserver") as c:
        assert (await c.post("/graphql", json={"query": PROBE})).json() == {"data": {"banners": []}}
    names = {span.name for span in exporter.get_finished_spans()}
    assert "GraphQL Query: Probe" in names, names


async def test_a_crash_outside_graphql_answers_500_with_the_request_id(monkeypatch, log_lines):
    import httpx

    import app as app_module

    async def broken(request):
        raise RuntimeError("boom in healthz")

    monkeypatch.setattr(app_module, "healthz", broken)
    crashing = create_app(debug=False, manage_database=False)
    transport = httpx.ASGITransport(app=crashing, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        response = await client.get("/healthz", headers={"X-Request-Id": "req-crash"})
    assert response.status_code == 500 and response.headers["x-request-id"] == "req-crash"
    assert response.text == "Internal Server Error"  # nothing of the exception reaches the client
