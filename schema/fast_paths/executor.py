"""Executor fast paths: shortcuts through graphql-core's per-field machinery, set up once per
schema by `install` and used by `ExecutionContext` (graphql-core 3.3's `Executor`, as
Strawberry subclasses it). Invisible in the API: same data, same errors, same order.

A page of 50 products with their SKUs and merchant is about a thousand fields, and the
per-field machinery of graphql-core and Strawberry, not the data, was most of its cost
(bench/search_vs_bare.py). The shortcuts:

1. Lean resolvers. A field with a plain synchronous resolver (no GraphQL arguments, no
   field extensions such as permission checks) gets a resolver that calls the function
   straight away, with `self` (the row) and, if it asks for it, a Strawberry `Info`,
   instead of Strawberry's generic wrapper (Info object, argument conversion, extension
   chain, result handling).
2. Leaf plans. A scalar or enum field read straight from an attribute (Strawberry's
   "basic" fields: no resolver, no extensions, no arguments), or through a lean resolver
   without `info` (global ids, schema/node.py), skips graphql-core's
   `execute_field` (path, resolve info, resolver wrapper, awaitable checks, completion):
   the executor reads the attribute and coerces it with the type's own output coercion.
   Values the shortcut does not take as they are (null for a non-null field, awaitables,
   exceptions, other types, a coercion error) go through graphql-core's normal path,
   which reads the attribute again and reports errors as usual.
3. Object plans. A field typed as an object (not a list), read from an attribute or
   through a lean resolver, is resolved by the executor (resolve info built only for a
   resolver that asks for it) and completed by executing the object's subfields; values
   that are not a plain object (null, awaitables, exceptions) get graphql-core's
   completion, and errors graphql-core's handling.
4. Object completion (`complete_value`): an object value goes straight to its subfields.
5. Tortoise rows are never awaitables (`is_awaitable`), and each subscription event gets
   a fresh memo of sub-fields (`build_per_event_executor`).

Plans 2 and 3 are off when an extension resolves fields through middleware; nothing is
installed when the schema has exception handlers (Strawberry then wraps every resolver).
`install` also records, per object type, a plain reader (source -> value, no `info`) for
each field read from an attribute or through a lean resolver without `info`: the fast
subscriptions (subscriptions.py) project events with them.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from operator import attrgetter
from typing import Any

import strawberry
from graphql import (
    GraphQLBoolean,
    GraphQLID,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLString,
    Undefined,
    get_nullable_type,
    is_leaf_type,
    is_non_null_type,
)
from graphql.execution.executor import to_nodes
from graphql.pyutils import Path, gather_with_cancel
from strawberry.execution import optimized_is_awaitable
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.schema.schema_converter import GraphQLCoreConverter
from strawberry.types.field import StrawberryField
from tortoise.models import Model


def _is_awaitable(value: object) -> bool:
    # Tortoise rows define __await__ (awaiting one returns it). Types resolved straight from
    # rows would otherwise make graphql-core complete every list item as a pending result,
    # one asyncio task per row.
    if type(value) in _NEVER_AWAITABLE or isinstance(value, Model):  # most values: no general checks
        return False
    return optimized_is_awaitable(value)


_NEVER_AWAITABLE = frozenset({type(None), str, int, float, bool, list, dict, tuple})

# Keys in a GraphQLObjectType's `extensions`.
_FIELD_PLANS, _PLAIN_READERS = "socialmall-field-plans", "socialmall-plain-readers"
_LEAF, _OBJECT = 0, 1
_PLAIN_VALUES = frozenset({str, int, float, bool})
# Built-in scalars whose output coercion returns values of this Python type unchanged.
_UNCHANGED = {GraphQLString: str, GraphQLID: str, GraphQLBoolean: bool}


def _lean_resolver(schema: strawberry.Schema, field: StrawberryField) -> tuple | None:
    """(resolve, reader) for a plain synchronous resolver, else None. `reader` (source ->
    value) is None when the resolver asks for `info`."""
    resolver = field.base_resolver
    func = resolver.wrapped_func
    if (
        field.extensions
        or field.arguments
        or resolver.is_async
        or not callable(func)
        or resolver.parent_parameter
        or resolver.root_parameter
    ):
        return None
    info_class = schema.config.info_class
    info_name = resolver.info_parameter.name if resolver.info_parameter else None
    if resolver.self_parameter:
        if info_name is None:
            return (lambda source, info: func(source)), func
        return (lambda source, info: func(source, **{info_name: info_class(_raw_info=info, _field=field)})), None
    if info_name is None:
        return (lambda source, info: func()), (lambda source: func())
    return (lambda source, info: func(**{info_name: info_class(_raw_info=info, _field=field)})), None


def _attribute_getter(definition: StrawberryField):
    default_resolver, name = definition.default_resolver, definition.python_name
    return attrgetter(name) if default_resolver is getattr else partial(_resolve_with, default_resolver, name)


def _resolve_with(resolver, name: str, source: object) -> object:
    return resolver(source, name)


def install(schema: strawberry.Schema) -> None:
    """Lean resolvers, plans and plain readers for every object type of `schema`."""
    if schema.exception_handlers:
        return
    for type_ in schema._schema.type_map.values():
        if not isinstance(type_, GraphQLObjectType) or type_.name.startswith("__"):
            continue
        plans: dict[str, tuple] = {}
        readers: dict[str, Callable[[Any], Any]] = {}
        for name, field in type_.fields.items():
            definition = field.extensions.get(GraphQLCoreConverter.DEFINITION_BACKREF)
            if not isinstance(definition, StrawberryField) or definition.is_subscription or field.args:
                continue
            resolve_name = getattr(field.resolve, "__name__", "")
            named = get_nullable_type(field.type)
            if definition.base_resolver is None:
                if not definition.is_basic_field or resolve_name != "_get_basic_result":
                    continue
                readers[name] = getter = _attribute_getter(definition)
                if is_leaf_type(named):
                    nullable = not is_non_null_type(field.type)
                    plans[name] = (_LEAF, getter, _UNCHANGED.get(named), named.coerce_output_value, nullable)
                elif isinstance(named, GraphQLObjectType):
                    plans[name] = (_OBJECT, lambda source, info, getter=getter: getter(source), False, named, field)
            elif resolve_name == "_resolver":
                lean = _lean_resolver(schema, definition)
                if lean is None:
                    continue
                field.resolve, reader = lean
                if reader is not None:
                    readers[name] = reader
                    if is_leaf_type(named):  # e.g. global ids: read like attributes
                        nullable = not is_non_null_type(field.type)
                        plans[name] = (_LEAF, reader, _UNCHANGED.get(named), named.coerce_output_value, nullable)
                if isinstance(named, GraphQLObjectType):
                    plans[name] = (_OBJECT, field.resolve, reader is None, named, field)
        type_.extensions = {**type_.extensions, _FIELD_PLANS: plans, _PLAIN_READERS: readers}


def plain_reader(type_: GraphQLObjectType, field_name: str) -> Callable[[Any], Any] | None:
    """source -> value of a field that needs no GraphQL machinery (recorded by `install`)."""
    return type_.extensions.get(_PLAIN_READERS, {}).get(field_name)


class ExecutionContext(StrawberryGraphQLCoreExecutionContext):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.is_awaitable = _is_awaitable
        # Strawberry passes a manager even when no extension resolves fields.
        self._use_plans = self.middleware_manager is None or not self.middleware_manager.middlewares

    def build_per_event_executor(self, payload: Any):
        """graphql-core 3.3 copies the subscription's executor per event, sharing its memo of
        sub-fields, which is keyed by the identity of per-event lists: it grew by ~2.3 KiB per
        event per subscriber for the subscription's whole life (bench/queue_subscribers.py).
        A fresh memo per event keeps memory flat and the execution cheaper."""
        executor = super().build_per_event_executor(payload)
        executor._relevant_sub_fields = {}
        return executor

    def execute_fields(self, parent_type, source_value, path, grouped_field_set, position_context):
        """graphql-core's `Executor.execute_fields` (3.3), with the leaf and object plans."""
        plans = parent_type.extensions.get(_FIELD_PLANS) if self._use_plans else None
        if not plans:
            return super().execute_fields(parent_type, source_value, path, grouped_field_set, position_context)
        results: dict[str, Any] = {}
        is_awaitable = self.is_awaitable
        awaitable_fields: list[str] = []
        try:
            for response_name, field_details_list in grouped_field_set.items():
                plan = plans.get(field_details_list[0].node.name.value)
                if plan is None:
                    result = self.execute_field(
                        parent_type,
                        source_value,
                        field_details_list,
                        Path(path, response_name, parent_type.name),
                        position_context,
                    )
                elif plan[0] is _LEAF:
                    _, getter, unchanged, coerce, nullable = plan
                    try:
                        value = getter(source_value)
                        if type(value) is unchanged:
                            results[response_name] = value
                            continue
                        if type(value) in _PLAIN_VALUES:
                            coerced = coerce(value)
                            if coerced is not None and coerced is not Undefined:
                                results[response_name] = coerced
                                continue
                        elif value is None and nullable:
                            results[response_name] = None
                            continue
                    except Exception:
                        pass
                    result = self.execute_field(
                        parent_type,
                        source_value,
                        field_details_list,
                        Path(path, response_name, parent_type.name),
                        position_context,
                    )
                else:
                    result = self._execute_object_field(
                        plan,
                        parent_type,
                        source_value,
                        field_details_list,
                        Path(path, response_name, parent_type.name),
                        position_context,
                    )
                if result is not Undefined:
                    results[response_name] = result
                    if is_awaitable(result):
                        awaitable_fields.append(response_name)
        except Exception:
            if awaitable_fields:
                # Settle the awaitables of other fields: they may fail too.
                self.settle_in_background([results[field] for field in awaitable_fields])
            raise

        if not awaitable_fields:
            return results

        async def get_results() -> dict[str, Any]:
            if len(awaitable_fields) == 1:
                field = awaitable_fields[0]
                results[field] = await results[field]
            else:
                awaited = await gather_with_cancel(*(results[field] for field in awaitable_fields))
                results.update(zip(awaitable_fields, awaited, strict=True))
            return results

        return get_results()

    def _execute_object_field(self, plan, parent_type, source, field_details_list, path, position_context):
        """graphql-core's `execute_field` for an object plan (3)."""
        _, resolve, needs_info, object_type, field_def = plan
        return_type = field_def.type
        info = (
            self.build_resolve_info(field_def, to_nodes(field_details_list), parent_type, path) if needs_info else None
        )
        try:
            result = resolve(source, info)
            if (
                result is None
                or result is Undefined
                or object_type.is_type_of is not None
                or position_context is not None
                or isinstance(result, Exception)
                or self.is_awaitable(result)
            ):
                if info is None:
                    info = self.build_resolve_info(field_def, to_nodes(field_details_list), parent_type, path)
                if self.is_awaitable(result):
                    return self.complete_awaitable_value(
                        return_type, field_details_list, info, path, result, position_context
                    )
                completed = self.complete_value(return_type, field_details_list, info, path, result, position_context)
            else:
                grouped_field_set, new_defer_usages, _ = self.collect_subfields(object_type, field_details_list)
                if new_defer_usages:
                    if info is None:
                        info = self.build_resolve_info(field_def, to_nodes(field_details_list), parent_type, path)
                    completed = self.complete_value(
                        return_type, field_details_list, info, path, result, position_context
                    )
                else:
                    completed = self.execute_fields(object_type, result, path, grouped_field_set, None)
            if self.is_awaitable(completed):

                async def await_completed() -> Any:
                    try:
                        return await completed
                    except Exception as raw_error:
                        self.handle_field_error(raw_error, return_type, field_details_list, path)
                        return None

                return await_completed()
        except Exception as raw_error:
            self.handle_field_error(raw_error, return_type, field_details_list, path)
            return None
        return completed

    def complete_value(self, return_type, field_details_list, info, path, result, position_context):
        """graphql-core's `complete_value`, shortened for an object type (nullable or not)
        without an `is_type_of` check and a value that is neither null nor an exception: its
        type checks, `complete_object_value` and `execute_collected_subfields` come down to
        `execute_fields` on the collected subfields, unless `@defer` is in play."""
        object_type = return_type.of_type if type(return_type) is GraphQLNonNull else return_type
        if (
            type(object_type) is GraphQLObjectType
            and object_type.is_type_of is None
            and result is not None
            and result is not Undefined
            and position_context is None
            and not isinstance(result, Exception)
        ):
            grouped_field_set, new_defer_usages, _ = self.collect_subfields(object_type, field_details_list)
            if not new_defer_usages:
                return self.execute_fields(object_type, result, path, grouped_field_set, None)
        return super().complete_value(return_type, field_details_list, info, path, result, position_context)
