"""The ASGI application: GraphQL (HTTP + WebSocket) at /graphql, /healthz, /metrics, the
middleware (trusted proxies, request id, open WebSockets, CORS), lifespan; in debug, GraphiQL
at GET /graphql with its files served from /graphiql-assets/ (no CDN). Public queries asked
again are answered from the response cache (schema/response_cache.py) before Strawberry
parses them."""

from __future__ import annotations

import contextlib
import functools
import gc
import logging
from collections.abc import AsyncGenerator, AsyncIterator, Mapping
from contextlib import AsyncExitStack, asynccontextmanager

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketState
from strawberry.asgi import ASGIWebSocketAdapter, GraphQL
from strawberry.http.websocket_origin import normalize_allowed_origins
from strawberry.subscriptions import (
    GRAPHQL_SSE_PROTOCOL,
    GRAPHQL_TRANSPORT_WS_PROTOCOL,
    GRAPHQL_WS_PROTOCOL,
    MULTIPART_SUBSCRIPTION_PROTOCOL,
)
from strawberry.types.unset import UNSET
from tortoise import Tortoise
from tortoise.connection import get_connection

import limits
import logs
import metrics
import proxies
import safety
import settings
import slow_clients
import wiring
from resolvers import distributor_routes, export_routes, payment_routes, payout_routes, posters
from schema import graphiql, response_cache
from schema.context import Context, request_defers_session
from schema.schema import build_schema
from services.accounts import access
from services.core import events
from subscriptions.hub import create_broadcast, create_outbox, set_broadcast
from subscriptions.redis_backend import redis_client

log = logging.getLogger("app")


# GraphiQL sends its headers pane on HTTP only. Browsers cannot set headers on a
# WebSocket, so hand the same (persisted) headers to graphql-ws as connection params:
# subscriptions in GraphiQL then authenticate like queries do.
_GRAPHIQL_FETCHER = "        subscriptionUrl,\n      });"
_GRAPHIQL_FETCHER_WITH_PARAMS = (
    "        subscriptionUrl,\n"
    "        wsConnectionParams: () => {\n"
    "          try { return JSON.parse(localStorage.getItem('graphiql:headers') || '{}'); }\n"
    "          catch (e) { return {}; }\n"
    "        },\n      });"
)


SUBSCRIPTION_PROTOCOLS = (
    GRAPHQL_TRANSPORT_WS_PROTOCOL,
    GRAPHQL_WS_PROTOCOL,
    MULTIPART_SUBSCRIPTION_PROTOCOL,
    GRAPHQL_SSE_PROTOCOL,
)


class ClosedSafeWebSocketAdapter(ASGIWebSocketAdapter):
    """Sending on a socket that is already closed does nothing. Once the client has gone (or
    missed uvicorn's pings: --ws-ping-timeout), an operation task still running may send one
    more event or its "complete"; uvicorn refuses it with RuntimeError("Unexpected ASGI
    message 'websocket.send', after sending 'websocket.close'"), which Strawberry does not
    expect and logs as a crash of the task. The operations end anyway: the handler cancels
    them when it sees the disconnect.

    The same adapter watches graphql-transport-ws sockets for clients that stopped reading
    (slow_clients.StallWatch: closed with 1013 when a ping goes unanswered)."""

    stall_watch: slow_clients.StallWatch | None = None

    async def iter_json(self, *, ignore_parsing_errors: bool = False) -> AsyncGenerator[object, None]:
        try:
            async for message in super().iter_json(ignore_parsing_errors=ignore_parsing_errors):
                kind = message.get("type") if isinstance(message, dict) else None
                if kind == "pong" and self.stall_watch is not None:
                    self.stall_watch.ponged()
                elif kind == "subscribe" and self.stall_watch is None:  # graphql-transport-ws: it answers pings
                    self.stall_watch = slow_clients.StallWatch(self._ping, self._close_slow)
                yield message
        finally:
            if self.stall_watch is not None:
                await self.stall_watch.stop()

    async def send_json(self, message: Mapping[str, object]) -> None:
        if WebSocketState.DISCONNECTED in (self.ws.client_state, self.ws.application_state):
            return
        try:
            await super().send_json(message)
        except RuntimeError as exc:
            if "close" not in str(exc):  # uvicorn's and Starlette's refusals after a close
                raise
        if self.stall_watch is not None and message.get("type") == "next":
            self.stall_watch.sent()

    async def _ping(self) -> None:
        await self.send_json({"type": "ping"})

    async def _close_slow(self, code: int, reason: str) -> None:
        if WebSocketState.DISCONNECTED in (self.ws.client_state, self.ws.application_state):
            return
        with contextlib.suppress(RuntimeError):  # closed meanwhile
            await self.ws.close(code=code, reason=reason)


class GraphQLApp(GraphQL):
    """Strawberry's ASGI view with our context and bearer-token authentication, and the
    response cache in front of it."""

    websocket_adapter_class = ClosedSafeWebSocketAdapter
    cache: response_cache.ResponseCache | None = None

    async def run(self, request, context=UNSET, root_value=UNSET):
        cache = self.cache
        probe = await cache.probe(request) if cache is not None and isinstance(request, Request) else None
        if probe is None:
            return await super().run(request, context, root_value)
        if probe.body is not None:  # no authentication, parsing, validation or execution
            return Response(probe.body, media_type="application/json", headers={response_cache.HEADER: "hit"})
        response = await super().run(request, context, root_value)
        state = request.state
        used: Context | None = getattr(state, "graphql_context", None)
        if response.status_code == 200 and used is not None and hasattr(state, "graphql_errors"):
            outcome = await cache.answered(probe, response.body, errors=state.graphql_errors, personal=used.personal)
            response.headers[response_cache.HEADER] = outcome
        return response

    async def process_result(self, request, result):
        if isinstance(request, Request):
            request.state.graphql_errors = bool(result.errors)
        return await super().process_result(request, result)

    @functools.cached_property
    def graphql_ide_html(self) -> str:
        html = graphiql.local_page(super().graphql_ide_html)  # our copies of the CDN files
        if _GRAPHIQL_FETCHER not in html:  # pinned Strawberry: a test notices if this moves
            return html
        return html.replace(_GRAPHIQL_FETCHER, _GRAPHIQL_FETCHER_WITH_PARAMS)

    async def get_context(self, request: Request | WebSocket, response=None) -> Context:
        context = Context(request=request, response=response)
        if isinstance(request, Request):
            await context.authenticate(
                request.headers.get("authorization"), defer_session=await request_defers_session(request)
            )
            request.state.graphql_context = context  # the response cache asks whether it was read
        return context

    async def on_ws_connect(self, context: Context):
        params = context.connection_params if isinstance(context.connection_params, dict) else {}
        token = params.get("authorization") or params.get("Authorization")
        if not token and context.request is not None:
            token = context.request.headers.get("authorization")
        await context.authenticate(token)
        return None


async def healthz(request: Request) -> JSONResponse:
    checks: dict[str, str] = {}
    healthy = True
    try:
        await get_connection("default").execute_query("SELECT 1")
        checks["database"] = "ok"
    except Exception as exc:  # report, don't raise: this is what a load balancer polls
        checks["database"], healthy = f"error: {exc.__class__.__name__}", False
    client = getattr(request.app.state, "redis", None)
    if client is None:
        checks["redis"] = "not configured"
    else:
        try:
            await client.ping()
            checks["redis"] = "ok"
        except Exception as exc:
            checks["redis"], healthy = f"error: {exc.__class__.__name__}", False
    checks["status"] = "ok" if healthy else "unavailable"
    body: dict[str, object] = dict(checks)
    unsafe = safety.warnings()
    if unsafe:  # ALLOW_DEV_ADAPTERS: say so to whoever polls
        body["warnings"] = ["ALLOW_DEV_ADAPTERS=true: development settings in use", *unsafe]
    return JSONResponse(body, status_code=200 if healthy else 503)


def _tune_gc() -> None:
    """For a server process, once started: the objects built so far (modules, schema, ORM
    metadata) are permanent, so move them out of the collector's sight (gc.freeze), and
    collect the young generation less often. A request allocates thousands of short-lived
    objects; the default threshold (700) ran a collection several times per request.
    bench/place_and_pay.py, in an earlier experiment: about 12 % less server CPU per order."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(7000, 20, 100)


# Request headers a page on an allowed origin may send (beyond CORS's always-allowed ones).
CORS_REQUEST_HEADERS = ["authorization", "content-type", "x-device-id", logs.REQUEST_ID_HEADER]


def middleware(origins: list[str]) -> list[Middleware]:
    """Outermost first: the client address from trusted proxies, so that everything inside
    sees it; the request id, so that every log line and response (a refused preflight too)
    carries it; CORS for pages on the allowed origins (none: same-origin only); the request-size
    limit, inside both so that a refusal carries the request id and CORS headers."""
    stack = [proxies.trusted_proxies(), Middleware(logs.RequestIdMiddleware), Middleware(metrics.WebSocketGauge)]
    if origins:
        stack.append(
            Middleware(
                CORSMiddleware,
                allow_origins=origins,
                allow_methods=["GET", "POST"],
                allow_headers=CORS_REQUEST_HEADERS,
                expose_headers=[logs.REQUEST_ID_HEADER, response_cache.HEADER],
                max_age=600,
            )
        )
    stack.append(Middleware(limits.RequestSizeLimit, max_bytes=settings.MAX_REQUEST_BYTES))
    return stack


def create_app(
    *,
    debug: bool = settings.DEBUG,
    manage_database: bool = True,
    fast_subscriptions: bool = True,
    cache_responses: bool = settings.RESPONSE_CACHE,
) -> Starlette:
    """`manage_database=False` when the caller (tests, benchmarks) already set up Tortoise and logging;
    `fast_subscriptions=False` (tests) serves every subscription through GraphQL execution;
    `cache_responses` (settings.RESPONSE_CACHE) answers public queries from the response cache."""

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        if manage_database:
            logs.configure()
            logs.log_start("web")
        safety.enforce("web")
        metrics.process_started()
        async with AsyncExitStack() as stack:
            stack.callback(metrics.process_exiting)
            if manage_database:
                wiring.install()
                await Tortoise.init(config=settings.TORTOISE_ORM, _enable_global_fallback=True)
                stack.push_async_callback(Tortoise.close_connections)
                await access.sync_catalog()
                _tune_gc()
            broadcast = create_broadcast(settings.BROADCAST_URL, settings.SUBSCRIBER_QUEUE_SIZE)
            await broadcast.connect()
            stack.push_async_callback(broadcast.disconnect)
            set_broadcast(broadcast)
            outbox = create_outbox(broadcast)  # requests never wait for Redis
            outbox.start()
            stack.push_async_callback(outbox.stop)
            events.set_publisher(outbox.put)
            stack.callback(events.set_publisher, None)
            stack.callback(set_broadcast, None)
            app.state.broadcast = broadcast
            app.state.redis = None
            if settings.REDIS_URL:
                app.state.redis = redis_client(settings.REDIS_URL)
                stack.push_async_callback(app.state.redis.aclose)
            if graphql.cache is not None:
                stack.push_async_callback(graphql.cache.close)
            yield

    # As browsers write an origin (lower case, no default port), checked: a bad one stops the start.
    origins = sorted(normalize_allowed_origins(settings.CORS_ALLOWED_ORIGINS))
    sandbox_payments, sandbox_payouts = settings.sandbox_payments(), settings.sandbox_payouts()
    schema = build_schema(
        debug, fast_subscriptions=fast_subscriptions, sandbox_payments=sandbox_payments, sandbox_payouts=sandbox_payouts
    )
    response_cache.install()  # this process's catalog changes invalidate every process's cache, cached here or not
    graphql = GraphQLApp(
        schema,
        graphql_ide="graphiql" if debug else None,
        keep_alive=True,
        keep_alive_interval=settings.WS_KEEP_ALIVE_SECONDS,
        allow_queries_via_get=False,
        # Subscriptions over WebSocket (both protocols) and over HTTP: multipart/mixed (Apollo's
        # HttpLink) and text/event-stream (graphql-sse). HTTP streams run through the same
        # schema.stream as sockets: same bearer token (Authorization header), same expiry
        # (TOKEN_EXPIRED), same bounded subscriber buffers (SLOW_CONSUMER), same query limits.
        subscription_protocols=SUBSCRIPTION_PROTOCOLS,
        # WebSocket handshakes from pages on other origins (browsers send Origin; a client
        # that sends none is no page and carries no cookies: Strawberry lets it in).
        allowed_origins=origins,
    )
    if cache_responses:
        store = response_cache.shared_store() or response_cache.MemoryStore()
        graphql.cache = response_cache.ResponseCache(store, settings.RESPONSE_CACHE_TTL, str(schema))
    return Starlette(
        debug=debug,
        routes=[
            Route("/graphql", graphql, methods=["GET", "POST"]),
            WebSocketRoute("/graphql", graphql),
            Route("/healthz", healthz),
            Route("/metrics", metrics.endpoint),
            *payment_routes.routes,
            *(payment_routes.sandbox_routes if sandbox_payments else []),
            *distributor_routes.routes,
            *posters.routes,
            *payout_routes.routes(sandbox_payouts),
            *export_routes.routes,
            *([graphiql.asset_route] if debug else []),
        ],
        middleware=middleware(origins),
        lifespan=lifespan,
    )


app = create_app()
