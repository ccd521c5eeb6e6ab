"""Subscription events without a GraphQL execution per event and subscriber.

Each event of a subscription is normally a GraphQL execution of its selection set, with
Strawberry's extension hooks around it, per subscriber: with 2,000 sellers watching one
queue while 10 units a second sell, that machinery, not the positions, was most of the
server's CPU and put p99 latency over a second (bench/queue_subscribers.py).

For the subscription fields registered in `Schema(fast_subscriptions=...)`, a document
whose selection is plain data is compiled once (per query text) into a projection that
reads the same attributes, calls the same plain resolvers and applies the types' own
output coercion: an event costs a dict, not an execution. Plain data: fields read from
an attribute or by a synchronous resolver without arguments, `info` or field extensions
(the readers executor.py records); scalars, enums, lists and object types; aliases,
`__typename`, fragments on the same type.

Anything else takes Strawberry's normal path, which then reports every error exactly as
before: a document that does not parse or validate (with the same limit rules), other
fields or directives, duplicate response keys, and a start the field's fast entry declines
(it returns None: e.g. nobody signed in, a malformed id). An error raised by the event
source after the start is reported as the normal path does: one `next` with the error
(masked as the schema's MaskErrors would), then `complete`; an error it yields (RESYNC)
is one `next` with that error located at the field, and the stream goes on.

The schema's extensions are applied, or the fast path refuses every document: it knows
what each of Strawberry's parser and validation caches, validation-rule extensions (depth,
aliases, introspection), `MaxTokensLimiter`, `MaskErrors` and our `CodedErrors` does to a subscription, and
does the same from the extension instances themselves (their rules, token limit, masking).
An extension may declare `fast_subscriptions_safe = True` when nothing it does to a
subscription needs its per-operation hooks (it says why). Any other extension (or a
subclass of these) could act at any step (`on_operation`,
`on_execute`, `on_stream_result`, `get_results`, `resolve`): with one on the schema, every
subscription takes Strawberry's normal path, and a warning says so at build.
(graphql-core 3.3's per-event hook, `Executor.build_per_event_executor`, would keep all of
Strawberry's pipeline and replace only each event's execution. Measured with one position:
~30 µs of CPU per event and subscriber instead of ~9: Strawberry's per-event extension
machinery costs more than twice the projection, which 2,000 subscribers at 10 events a
second cannot afford.)
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import strawberry
from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    GraphQLError,
    GraphQLField,
    GraphQLList,
    GraphQLObjectType,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    get_nullable_type,
    get_operation_ast,
    is_leaf_type,
    is_non_null_type,
    located_error,
    parse,
    specified_rules,
)
from graphql import (
    OperationType as CoreOperationType,
)
from graphql.execution.values import get_argument_values, get_variable_values
from strawberry.extensions import (
    AddValidationRules,
    DisableIntrospection,
    MaskErrors,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    ParserCache,
    QueryDepthLimiter,
    ValidationCache,
)
from strawberry.schema.schema import validate_document
from strawberry.types.execution import ExecutionResult
from strawberry.types.graphql import OperationType

from schema.coded_errors import CodedErrors
from schema.fast_paths.executor import plain_reader

if TYPE_CHECKING:
    from schema.fast_paths import FastStart

logger = logging.getLogger(__name__)

# Extensions whose whole effect on a subscription the fast path reproduces, by exact class.
_CACHES = (ParserCache, ValidationCache)  # same results, computed once
_RULES = (AddValidationRules, QueryDepthLimiter, MaxAliasesLimiter, DisableIntrospection)


@dataclass(frozen=True)
class _Applied:
    """What the schema's extensions do to a subscription, as the fast path applies it."""

    rules: tuple  # validation rules, Strawberry's default ones first
    max_tokens: int | None
    masks: tuple[MaskErrors, ...]  # or CodedErrors (a MaskErrors that also codes every error)


def _apply_extensions(schema: strawberry.Schema) -> _Applied | str:
    """The schema's extensions as the fast path applies them, or the name of one it cannot."""
    rules, max_tokens, masks = list(specified_rules), None, []
    for extension in schema.get_extensions():
        kind = type(extension)
        if kind in _CACHES:
            continue
        if kind in _RULES:
            rules += extension.validation_rules
        elif kind is MaxTokensLimiter:
            max_tokens = extension.max_token_count
        elif kind is MaskErrors or kind is CodedErrors:
            masks.append(extension)
        elif getattr(kind, "fast_subscriptions_safe", False):
            continue  # the extension says what it does to a subscription is done without its hooks
        else:
            return f"{kind.__module__}.{kind.__qualname__}"
    return _Applied(tuple(rules), max_tokens, tuple(masks))


class _Decline(Exception):
    """The document is not for the fast path."""


@dataclass(frozen=True)
class _Plan:
    operation: OperationDefinitionNode
    node: FieldNode
    field: GraphQLField
    response_key: str
    start: FastStart
    project: Callable[[Any], Any]


class Schema(strawberry.Schema):
    """strawberry.Schema whose `stream` (graphql-transport-ws, graphql-ws, SSE, multipart)
    serves the registered subscription fields through compiled projections."""

    def __init__(self, *args: Any, fast_subscriptions: Mapping[str, FastStart], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        applied = _apply_extensions(self)
        if isinstance(applied, str) and fast_subscriptions:
            logger.warning(
                "Fast subscriptions off (%s take GraphQL execution per event): the schema has the extension %s, "
                "which the fast path does not apply.",
                ", ".join(fast_subscriptions),
                applied,
            )
        self._fast_applied = applied if isinstance(applied, _Applied) else None
        self._fast_starts = dict(fast_subscriptions) if self._fast_applied else {}
        self._fast_plan = lru_cache(maxsize=256)(self._compile)

    def serves_fast(self, query: str, operation_name: str | None) -> bool:
        return bool(self._fast_starts) and self._fast_plan(query, operation_name) is not None

    async def stream(  # type: ignore[override]
        self,
        query: str | None,
        variable_values: dict[str, Any] | None = None,
        context_value: Any | None = None,
        root_value: Any | None = None,
        operation_name: str | None = None,
        operation_extensions: dict[str, Any] | None = None,
        allowed_operation_types: Iterable[OperationType] | None = None,
    ):
        if (
            self._fast_starts
            and query
            and (allowed_operation_types is None or OperationType.SUBSCRIPTION in allowed_operation_types)
        ):
            source = self._start_fast(query, operation_name, variable_values, context_value)
            if source is not None:
                return source
        return await super().stream(
            query,
            variable_values,
            context_value,
            root_value,
            operation_name,
            operation_extensions,
            allowed_operation_types,
        )

    def _start_fast(self, query: str, operation_name: str | None, variables: dict | None, context: Any):
        plan = self._fast_plan(query, operation_name)
        if plan is None:
            return None
        coerced = get_variable_values(self._schema, plan.operation.variable_definitions or (), variables or {})
        if isinstance(coerced, list):  # variable errors: the normal path reports them
            return None
        try:
            arguments = get_argument_values(plan.field, plan.node, coerced)
        except GraphQLError:
            return None
        source = plan.start(context, arguments)
        if source is None:
            return None
        return self._fast_results(plan, source)

    async def _fast_results(self, plan: _Plan, source: AsyncIterator[Any]):
        key, project = plan.response_key, plan.project
        try:
            async for value in source:
                if isinstance(value, Exception):  # yielded, not raised (RESYNC): the field's error, go on
                    error = located_error(value, [plan.node], [key])
                    yield ExecutionResult(data=None, errors=[self._shaped(error)])
                else:
                    yield ExecutionResult(data={key: project(value)}, errors=None)
        except Exception as exc:
            error = exc if isinstance(exc, GraphQLError) else GraphQLError(str(exc), original_error=exc)
            yield ExecutionResult(data=None, errors=[self._shaped(error)])
        finally:
            aclose = getattr(source, "aclose", None)
            if aclose is not None:
                await aclose()

    def _shaped(self, error: GraphQLError) -> GraphQLError:
        """The error as the schema's extensions report it (logged, coded, masked)."""
        self.process_errors([error])
        for mask in self._fast_applied.masks:
            if isinstance(mask, CodedErrors):
                error = mask.shape(error)
            elif mask.should_mask_error(error):
                error = mask.anonymise_error(error)
        return error

    def _compile(self, query: str, operation_name: str | None) -> _Plan | None:
        applied = self._fast_applied
        try:
            document = parse(query, max_tokens=applied.max_tokens)
        except GraphQLError:
            return None
        operation = get_operation_ast(document, operation_name)
        if operation is None or operation.operation is not CoreOperationType.SUBSCRIPTION:
            return None
        if validate_document(self._schema, document, applied.rules):
            return None
        roots = operation.selection_set.selections
        if operation.directives or len(roots) != 1 or not isinstance(roots[0], FieldNode) or roots[0].directives:
            return None
        node = roots[0]
        start = self._fast_starts.get(node.name.value)
        subscription_type = self._schema.subscription_type
        if start is None or subscription_type is None:
            return None
        field = subscription_type.fields[node.name.value]
        fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
        try:
            project = _Compiler(fragments).complete(field.type, node.selection_set)
        except _Decline:
            return None
        return _Plan(operation, node, field, node.alias.value if node.alias else node.name.value, start, project)


class _Compiler:
    def __init__(self, fragments: dict[str, FragmentDefinitionNode]) -> None:
        self.fragments = fragments

    def complete(self, type_: Any, selection_set: SelectionSetNode | None) -> Callable[[Any], Any]:
        """value -> its result, as graphql-core's completion would make it."""
        non_null, named = is_non_null_type(type_), get_nullable_type(type_)
        if isinstance(named, GraphQLList):
            item = self.complete(named.of_type, selection_set)
            inner: Callable[[Any], Any] = lambda value: [item(v) for v in value]  # noqa: E731
        elif is_leaf_type(named):
            if selection_set is not None:
                raise _Decline
            inner = named.coerce_output_value
        elif isinstance(named, GraphQLObjectType) and named.is_type_of is None and selection_set is not None:
            inner = self.project(named, selection_set)
        else:  # interfaces and unions: graphql-core resolves the type
            raise _Decline

        def complete(value: Any) -> Any:
            if value is None:
                if non_null:  # never from our own event values; a bug if it happens
                    raise TypeError(f"Cannot return null for non-nullable {type_}.")
                return None
            return inner(value)

        return complete

    def project(self, type_: GraphQLObjectType, selection_set: SelectionSetNode) -> Callable[[Any], dict]:
        readers: list[tuple[str, Callable[[Any], Any]]] = []
        keys: set[str] = set()

        def collect(selections) -> None:
            for selection in selections:
                if selection.directives:
                    raise _Decline
                if isinstance(selection, FieldNode):
                    key = selection.alias.value if selection.alias else selection.name.value
                    if key in keys:  # merging repeated fields is graphql-core's business
                        raise _Decline
                    keys.add(key)
                    readers.append((key, self.field(type_, selection)))
                    continue
                if isinstance(selection, InlineFragmentNode):
                    condition, inner = selection.type_condition, selection.selection_set
                else:
                    fragment = self.fragments[selection.name.value]
                    if fragment.directives:
                        raise _Decline
                    condition, inner = fragment.type_condition, fragment.selection_set
                if condition is not None and condition.name.value != type_.name:
                    raise _Decline
                collect(inner.selections)

        collect(selection_set.selections)

        def project(source: Any) -> dict:
            return {key: read(source) for key, read in readers}

        return project

    def field(self, type_: GraphQLObjectType, node: FieldNode) -> Callable[[Any], Any]:
        name = node.name.value
        if name == "__typename":
            return lambda source, typename=type_.name: typename
        read = plain_reader(type_, name)
        if node.arguments or read is None:
            raise _Decline
        complete = self.complete(type_.fields[name].type, node.selection_set)
        return lambda source: complete(read(source))
