"""Prometheus metrics (prometheus-client) and `GET /metrics`.

What is counted where: GraphQL operations, latency and errors by code in
schema/telemetry.py; open WebSockets here (`WebSocketGauge`); active subscriptions by topic
(the subscription field) in schema/telemetry.py; live events published, delivered to
subscribers and dropped (a subscriber's buffer was full) in subscriptions/hub.py. The
scheduled jobs run in the worker process, so their figures come from the `job_run` table
at each scrape: runs of every worker, whether the last run failed, when it finished.

`/metrics` asks for `Authorization: Bearer <METRICS_TOKEN>`; without a token configured it
is 404, except in DEBUG where it is open.

Several processes: each process counts in its own memory, so with several uvicorn workers a
scrape would see one of them. Set the environment variable PROMETHEUS_MULTIPROC_DIR (read by
prometheus-client itself, so not from `.env`) to a directory the processes of one host share
and that starts empty (a tmpfs or the container's /tmp): every process writes its figures
there and `/metrics` adds them up (prometheus-client's multiprocess mode). Events published by
the worker process are included when it shares the directory too.
"""

from __future__ import annotations

import hmac
import logging
import os
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

import settings
from jobs.runner import failed
from models.jobs import JobRun

log = logging.getLogger("metrics")

MULTIPROCESS_DIR = os.environ.get("PROMETHEUS_MULTIPROC_DIR", "")

GRAPHQL_REQUESTS = Counter(
    "socialmall_graphql_requests", "GraphQL operations handled, by operation name and type", ["operation", "type"]
)
GRAPHQL_LATENCY = Histogram(
    "socialmall_graphql_request_duration_seconds",
    "Time to answer a GraphQL query or mutation, by operation name and type",
    ["operation", "type"],
)
GRAPHQL_ERRORS = Counter(
    "socialmall_graphql_errors",
    "Errors returned to clients (GraphQL errors and mutation payload errors), by code",
    ["code"],
)
WEBSOCKETS_OPEN = Gauge("socialmall_websockets_open", "WebSocket connections open", multiprocess_mode="livesum")
SUBSCRIPTIONS_ACTIVE = Gauge(
    "socialmall_subscriptions_active", "Subscriptions running, by topic (subscription field)", ["topic"],
    multiprocess_mode="livesum",
)  # fmt: skip
EVENTS_PUBLISHED = Counter("socialmall_events_published", "Live events published, by channel kind", ["channel"])
EVENTS_DELIVERED = Counter(
    "socialmall_events_delivered", "Live events handed to a subscriber's buffer, by channel kind", ["channel"]
)
EVENTS_DROPPED = Counter(
    "socialmall_events_dropped",
    "Live events a subscriber did not get because its buffer was full (it is then disconnected), by channel kind",
    ["channel"],
)
EVENTS_PUBLISH_DROPPED = Counter(
    "socialmall_events_publish_dropped",
    "Live events never published: the process's outgoing buffer was full while the broadcaster was away "
    "(the oldest go first; subscribers are then told to resync), by channel kind",
    ["channel"],
)
RESPONSE_CACHE = Counter(
    "socialmall_response_cache",
    "Public queries and the response cache (schema/response_cache.py): hit (answered from it), miss (answered "
    "and stored), pass (cacheable query, answer not stored: errors, or it read the signed-in viewer)",
    ["result"],
)

# Operation names come from clients: past this many distinct ones, new names count as "other"
# (a label value is a time series kept forever).
MAX_OPERATION_NAMES = 300
_operation_names: set[str] = set()


def operation_label(name: str) -> str:
    if name in _operation_names:
        return name
    if len(_operation_names) < MAX_OPERATION_NAMES:
        _operation_names.add(name)
        return name
    return "other"


def channel_kind(channel: str) -> str:
    """`user:12` -> `user`: the label of a channel (ids would make a series per user)."""
    return channel.partition(":")[0]


def event_published(channel: str) -> None:
    EVENTS_PUBLISHED.labels(channel_kind(channel)).inc()


def event_publish_dropped(channel: str) -> None:
    EVENTS_PUBLISH_DROPPED.labels(channel_kind(channel)).inc()


def event_fanned_out(channel: str, delivered: int, dropped: int) -> None:
    kind = channel_kind(channel)
    if delivered:
        EVENTS_DELIVERED.labels(kind).inc(delivered)
    if dropped:
        EVENTS_DROPPED.labels(kind).inc(dropped)


class WebSocketGauge:
    """ASGI middleware: counts WebSocket connections from their accept to their end."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "websocket":
            await self.app(scope, receive, send)
            return
        accepted = False

        async def counting_send(message: dict) -> None:
            nonlocal accepted
            if message["type"] == "websocket.accept" and not accepted:
                accepted = True
                WEBSOCKETS_OPEN.inc()
            await send(message)

        try:
            await self.app(scope, receive, counting_send)
        finally:
            if accepted:
                WEBSOCKETS_OPEN.dec()


# --------------------------------------------------------------------------- several processes

_LIVE_GAUGE_FILE = re.compile(r"gauge_live\w*_(\d+)\.db")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def process_started() -> None:
    """Multiprocess mode: forget the gauges (open WebSockets, subscriptions) of processes that
    are gone, e.g. a web worker that crashed; their counters stay, as counters must."""
    if not MULTIPROCESS_DIR:
        return
    for path in Path(MULTIPROCESS_DIR).glob("gauge_live*.db"):
        match = _LIVE_GAUGE_FILE.fullmatch(path.name)
        if match and not _alive(int(match.group(1))):
            multiprocess.mark_process_dead(int(match.group(1)))


def process_exiting() -> None:
    if MULTIPROCESS_DIR:
        multiprocess.mark_process_dead(os.getpid())


def _registry() -> CollectorRegistry:
    if not MULTIPROCESS_DIR:
        return REGISTRY
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)
    return registry


# --------------------------------------------------------------------------- jobs


class _JobCollector:
    """The `job_run` rows of one scrape as metrics."""

    def __init__(self, rows: Iterable[Any]) -> None:
        self.rows = list(rows)

    def collect(self) -> Iterable[Metric]:
        runs = CounterMetricFamily("socialmall_job_runs", "Runs of each scheduled job by every worker", labels=["job"])
        failures = CounterMetricFamily(
            "socialmall_job_failures", "Runs of each scheduled job that raised, by every worker", labels=["job"]
        )
        last_failed = GaugeMetricFamily(
            "socialmall_job_last_run_failed", "1 when the job's last finished run failed", labels=["job"]
        )
        finished = GaugeMetricFamily(
            "socialmall_job_last_finished_timestamp_seconds", "When the job's last run finished", labels=["job"]
        )
        for row in self.rows:
            runs.add_metric([row.name], row.runs)
            failures.add_metric([row.name], row.failures)
            last_failed.add_metric([row.name], 1.0 if failed(row.last_result) else 0.0)
            if row.last_finished_at is not None:
                finished.add_metric([row.name], row.last_finished_at.timestamp())
        yield from (runs, failures, last_failed, finished)


async def _job_metrics() -> bytes:
    try:
        rows = await JobRun.all()
    except Exception as exc:  # the other metrics still answer while the database does not
        log.warning("job metrics unavailable: %s", exc.__class__.__name__)
        return b""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_JobCollector(rows))
    return generate_latest(registry)


def _authorized(request: Request) -> bool:
    presented = request.headers.get("authorization", "").encode()
    return hmac.compare_digest(presented, f"Bearer {settings.METRICS_TOKEN}".encode())


async def endpoint(request: Request) -> Response:
    """GET /metrics (Prometheus text format)."""
    if not settings.METRICS_TOKEN:
        if not request.app.debug:
            return PlainTextResponse("Not Found", status_code=404)
    elif not _authorized(request):
        return PlainTextResponse("Unauthorized", status_code=401, headers={"WWW-Authenticate": "Bearer"})
    body = generate_latest(_registry()) + await _job_metrics()
    return Response(body, media_type=CONTENT_TYPE_LATEST)
