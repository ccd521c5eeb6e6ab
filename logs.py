"""Logging for every process (web, worker, manage): one configuration, two formats, and the
request's context on every line.

LOG_FORMAT=text (default) is for people: `time level logger: message [request_id=… …]`.
LOG_FORMAT=json is for log pipelines: one JSON object per line with `time`, `level`,
`logger`, `message` and, when known, `request_id`, `operation`, `user_id`, `duration_ms`,
`error_code` and `exception` (the traceback).

The request id, the GraphQL operation and the signed-in user live in context variables:
`RequestIdMiddleware` sets the request id for an HTTP request or a WebSocket connection (an
`X-Request-Id` header of safe characters is kept, otherwise one is made, and the response
says which), schema/telemetry.py sets the operation and the user. Tasks started inside a
request (a subscription on a WebSocket) inherit them.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import uuid
from collections.abc import Sequence
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any, TextIO
from urllib.parse import urlsplit, urlunsplit

import settings

request_id: ContextVar[str | None] = ContextVar("request_id", default=None)
operation: ContextVar[str | None] = ContextVar("operation", default=None)
user_id: ContextVar[int | None] = ContextVar("user_id", default=None)

# Fields a line carries when they are known, in this order: from the context variables
# above, or given per call (`log.info(..., extra={"duration_ms": 12.5})`).
FIELDS = ("request_id", "operation", "user_id", "duration_ms", "error_code")
_CONTEXT = {"request_id": request_id, "operation": operation, "user_id": user_id}

REQUEST_ID_HEADER = "x-request-id"
_SAFE_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")


class ContextFilter(logging.Filter):
    """Puts the context variables on each record (a value given in `extra` wins)."""

    def filter(self, record: logging.LogRecord) -> bool:
        for name, var in _CONTEXT.items():
            if getattr(record, name, None) is None:
                setattr(record, name, var.get())
        return True


def _fields(record: logging.LogRecord) -> dict[str, Any]:
    return {name: value for name in FIELDS if (value := getattr(record, name, None)) is not None}


class TextFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def formatMessage(self, record: logging.LogRecord) -> str:
        line = super().formatMessage(record)
        fields = _fields(record)
        return f"{line} [{' '.join(f'{k}={v}' for k, v in fields.items())}]" if fields else line


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            **_fields(record),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            entry["exception"] = record.exc_text
        return json.dumps(entry, ensure_ascii=False, default=str)


FORMATTERS = {"text": TextFormatter, "json": JsonFormatter}
# uvicorn configures these with handlers of its own (and no propagation); they go through ours.
SERVER_LOGGERS = ("uvicorn", "uvicorn.error", "uvicorn.access")


class _Handler(logging.StreamHandler):
    """The handler `configure` installs (so that it replaces its own, not pytest's or others')."""


def configure(fmt: str | None = None, level: str | None = None, stream: TextIO | None = None) -> logging.Handler:
    """Send every logger's records to one handler on stderr (or `stream`) in LOG_FORMAT at
    LOG_LEVEL. Called again, it replaces the handler it installed before (and only that)."""
    fmt = (fmt or settings.LOG_FORMAT).lower()
    if fmt not in FORMATTERS:
        raise ValueError(f"LOG_FORMAT must be one of {', '.join(FORMATTERS)}, not {fmt!r}")
    handler = _Handler(stream or sys.stderr)
    handler.setFormatter(FORMATTERS[fmt]())
    handler.addFilter(ContextFilter())
    root = logging.getLogger()
    for old in [h for h in root.handlers if isinstance(h, _Handler)]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel((level or settings.LOG_LEVEL).upper())
    for name in SERVER_LOGGERS:
        server_logger = logging.getLogger(name)
        # uvicorn's own handlers make way for ours; a logger it left without any stays off
        # (`--no-access-log`: uvicorn logs access only while the logger has handlers).
        if server_logger.handlers:
            server_logger.handlers.clear()
            server_logger.propagate = True
    return handler


# --------------------------------------------------------------------------- request id


def accepted_request_id(value: str | None) -> str:
    """The client's (or proxy's) request id when it is short and of safe characters, else a new one."""
    if value and _SAFE_REQUEST_ID.fullmatch(value):
        return value
    return uuid.uuid4().hex


_SERVER_ERROR_START = {
    "type": "http.response.start",
    "status": 500,
    "headers": [(b"content-type", b"text/plain; charset=utf-8")],
}


class RequestIdMiddleware:
    """Sets the request id of an HTTP request or WebSocket connection and returns it in the
    `X-Request-Id` response header (on a WebSocket: in the handshake's response)."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        header = next((v for k, v in scope["headers"] if k == REQUEST_ID_HEADER.encode()), b"")
        rid = accepted_request_id(header.decode("latin-1"))
        raw = (REQUEST_ID_HEADER.encode(), rid.encode())

        started = False

        async def send_with_id(message: dict) -> None:
            nonlocal started
            if message["type"] in ("http.response.start", "websocket.accept"):
                started = True
                message = {**message, "headers": [*message.get("headers", ()), raw]}
            await send(message)

        token = request_id.set(rid)
        try:
            await self.app(scope, receive, send_with_id)
        except Exception:
            # Starlette's error middleware answers a crash outside this one, without the id:
            # answer here, so the client can quote the id the traceback is logged under.
            if scope["type"] == "http" and not started:
                await send_with_id(_SERVER_ERROR_START)
                await send_with_id({"type": "http.response.body", "body": b"Internal Server Error"})
            raise
        # Reset only on success: the server's own log line of a failure (same task) names the request.
        request_id.reset(token)


# --------------------------------------------------------------------------- start-up summary

_SECRET_NAMES = frozenset({"SECRET_KEY", "DATA_KEYS", "DATA_HASH_KEY"})
_SECRET_SUFFIXES = ("_SECRET", "_TOKEN", "_PASSWORD")
MASK = "***"


def is_secret(name: str) -> bool:
    return name in _SECRET_NAMES or name.endswith(_SECRET_SUFFIXES)


def masked(name: str, value: Any) -> str:
    """A setting's value fit for a log: secrets as *** (empty when unset), URLs without their password."""
    if isinstance(value, Sequence) and not isinstance(value, str):
        value = ",".join(map(str, value))
    text = str(value)
    if is_secret(name):
        return MASK if text else ""
    if "://" in text:
        parts = urlsplit(text)
        if parts.password:
            host = parts.netloc.rpartition("@")[2]
            return urlunsplit(parts._replace(netloc=f"{parts.username or ''}:{MASK}@{host}"))
    return text


def configuration_summary() -> str:
    return " ".join(f"{name}={masked(name, value)}" for name, value in sorted(settings.READ.items()))


def log_start(process: str) -> None:
    """The line an operator looks for first: which settings this process runs with."""
    logging.getLogger(process).info("%s process starting with %s", process, configuration_summary())
