"""What each GraphQL operation tells operators: a log line, metrics, and its errors logged
the way they deserve.

- `OperationTelemetry` (a schema extension): one line per operation (type and name,
  duration, user, error codes) on the `graphql` logger; requests and latency by operation
  name; the operation's name and the user on every line logged while it runs (logs.py).
- `TelemetrySchema.process_errors` (Strawberry's hook, called before errors are masked):
  an expected error (it has a code: authentication, permission, a domain rule; or the
  document did not validate) is counted by code and named on the operation's line, without a
  traceback; an unexpected exception is logged with its traceback (and the request id, like
  every line). Mutation payload errors are counted by code too (`note_error`, from
  schema/errors.py).
- `TelemetrySchema.stream`: active subscriptions by topic (the subscription field), for the
  compiled subscriptions (schema/fast_subscriptions.py) as for the others.
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Iterable, Iterator
from contextlib import aclosing
from contextvars import ContextVar, Token
from functools import lru_cache
from typing import Any

from graphql import FieldNode, GraphQLError, GraphQLSyntaxError, OperationType, get_operation_ast, parse
from strawberry import Schema
from strawberry.extensions import SchemaExtension
from strawberry.types import ExecutionContext

import logs
import metrics
import settings
from services.core.errors import ErrorCode

log = logging.getLogger("graphql")

INTERNAL_ERROR = "INTERNAL_ERROR"  # an unexpected exception (masked for clients outside DEBUG)
VALIDATION_FAILED = "GRAPHQL_VALIDATION_FAILED"  # a document that does not validate
PARSE_FAILED = "GRAPHQL_PARSE_FAILED"  # a document that does not parse

# The error codes of the running operation, for its log line (None outside an operation).
_codes: ContextVar[list[str] | None] = ContextVar("graphql_error_codes", default=None)


def is_unexpected(error: GraphQLError) -> bool:
    """An exception our code did not mean to raise (not a coded or validation error)."""
    return error.original_error is not None and not isinstance(error.original_error, GraphQLError)


def note_error(code: ErrorCode | str) -> None:
    """An error a client gets: counted by code and named on the operation's log line."""
    code = code.value if isinstance(code, ErrorCode) else code
    metrics.GRAPHQL_ERRORS.labels(code).inc()
    codes = _codes.get()
    if codes is not None:
        codes.append(code)


def _describe(context: ExecutionContext) -> tuple[str, str]:
    """(type, name) of the operation: ("unknown", "unknown") before its document parsed."""
    document = context.graphql_document
    definition = get_operation_ast(document, context.operation_name) if document is not None else None
    if definition is None:
        return "unknown", "unknown"
    return definition.operation.value, definition.name.value if definition.name else "anonymous"


def _viewer_id(context: Any) -> int | None:
    if hasattr(context, "viewer_id"):  # ours: read without making the answer personal (response cache)
        return context.viewer_id
    viewer = getattr(context, "viewer", None)
    return viewer.id if viewer is not None else None


def _reset(var: ContextVar, token: Token) -> None:
    try:
        var.reset(token)
    except ValueError:  # a stream closed from another context (a garbage-collected generator): it ends there
        pass


class OperationTelemetry(SchemaExtension):
    # A fast subscription (schema/fast_paths) skips Strawberry's hooks: TelemetrySchema.stream,
    # which wraps it, still counts it by topic; it has no operation to time or log per event.
    fast_subscriptions_safe = True

    def on_operation(self) -> Iterator[None]:
        started = time.perf_counter()
        codes_token = _codes.set([])
        user_token = logs.user_id.set(_viewer_id(self.execution_context.context))
        try:
            yield
        finally:
            elapsed = time.perf_counter() - started
            kind, name = _describe(self.execution_context)
            label = metrics.operation_label(name)
            metrics.GRAPHQL_REQUESTS.labels(label, kind).inc()
            if kind != OperationType.SUBSCRIPTION.value:  # a subscription's duration is its lifetime
                metrics.GRAPHQL_LATENCY.labels(label, kind).observe(elapsed)
            if log.isEnabledFor(logging.INFO):
                codes = _codes.get() or []
                log.info(
                    "%s %s",
                    kind,
                    name,
                    extra={
                        "operation": name,
                        "user_id": _viewer_id(self.execution_context.context),  # a sign-in sets it on the way
                        "duration_ms": round(elapsed * 1000, 1),
                        "error_code": ",".join(dict.fromkeys(codes)) or None,
                    },
                )
            _reset(_codes, codes_token)
            _reset(logs.user_id, user_token)

    def on_execute(self) -> Iterator[None]:
        token = logs.operation.set(_describe(self.execution_context)[1])
        try:
            yield
        finally:
            _reset(logs.operation, token)


def tracing() -> list:
    """OTEL_ENABLED: Strawberry's OpenTelemetry extension (a span per operation, its phases and
    each resolver). The packages are not a dependency of this project: docs/deployment.md, Tracing."""
    if not settings.OTEL_ENABLED:
        return []
    try:
        from strawberry.extensions.tracing import OpenTelemetryExtension
    except ImportError as exc:
        raise RuntimeError(
            "OTEL_ENABLED=true needs the OpenTelemetry packages: pip install opentelemetry-api opentelemetry-sdk"
        ) from exc
    return [OpenTelemetryExtension]


def log_error(error: GraphQLError) -> None:
    if is_unexpected(error):
        note_error(INTERNAL_ERROR)
        where = ".".join(map(str, error.path)) if error.path else "the operation"
        log.error("unexpected error in %s: %s", where, error.message, exc_info=error.original_error)
        return
    code = (error.extensions or {}).get("code") or VALIDATION_FAILED
    note_error(code)
    if _codes.get() is None:  # no operation line will name it (a compiled subscription's events)
        log.info("%s: %s", code, error.message, extra={"error_code": code})


@lru_cache(maxsize=256)
def _subscription_field(query: str, operation_name: str | None) -> str | None:
    try:
        definition = get_operation_ast(parse(query), operation_name)
    except GraphQLSyntaxError:
        return None
    if definition is None or definition.operation is not OperationType.SUBSCRIPTION:
        return None
    first = definition.selection_set.selections[0] if definition.selection_set.selections else None
    return first.name.value if isinstance(first, FieldNode) else None


async def _counted(topic: str, source: AsyncIterator[Any]) -> AsyncIterator[Any]:
    gauge = metrics.SUBSCRIPTIONS_ACTIVE.labels(topic)
    gauge.inc()
    try:
        async with aclosing(source):
            async for result in source:
                yield result
    finally:
        gauge.dec()


class TelemetrySchema(Schema):
    def process_errors(self, errors: Iterable[GraphQLError], execution_context: ExecutionContext | None = None) -> None:
        for error in errors:
            if isinstance(error, GraphQLSyntaxError) and not (error.extensions or {}).get("code"):
                # Raised by the parser cache, outside the operation's extensions: coded here.
                error.extensions = {**(error.extensions or {}), "code": PARSE_FAILED}
            log_error(error)

    async def stream(  # type: ignore[override]
        self,
        query: str | None,
        variable_values: dict[str, Any] | None = None,
        context_value: Any | None = None,
        root_value: Any | None = None,
        operation_name: str | None = None,
        operation_extensions: dict[str, Any] | None = None,
        allowed_operation_types: Iterable[Any] | None = None,
    ):
        source = await super().stream(
            query,
            variable_values,
            context_value,
            root_value,
            operation_name,
            operation_extensions,
            allowed_operation_types,
        )
        from subscriptions.sessions import until_token_expires  # (imports schema.errors, which imports this)

        source = until_token_expires(context_value, source)
        topic = _subscription_field(query, operation_name) if query else None
        # Only fields of the schema: a label value per made-up name would be a series forever.
        if topic is None or topic not in self._schema.subscription_type.fields:
            return source
        return _counted(topic, source)
