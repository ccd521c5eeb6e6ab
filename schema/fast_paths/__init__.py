"""Speed-ups that reach into graphql-core's and Strawberry's internals, all in this package.

- executor.py: the executor's shortcuts for plain fields (lean resolvers, leaf and object
  plans, object completion), Tortoise rows never taken for awaitables, a fresh memo of
  sub-fields per subscription event.
- subscriptions.py: subscription fields served by a compiled projection instead of a
  GraphQL execution per event and subscriber.

They are written for exactly the library versions below (pinned in pyproject.toml). At
schema build, `schema()` checks the installed ones: on any other version it builds a plain
strawberry.Schema and logs one warning, and every request takes the libraries' normal
paths (same results, slower). `enabled=False` (settings.FAST_PATHS) does the same without
the warning. The modules above are imported only when the versions match, so a renamed
internal cannot even break the import. Tests fail when a speed-up is not in use
(tests/api/test_executor_fast_paths.py, tests/api/test_fast_subscriptions.py): after an
upgrade, make them pass, then change the versions here and in pyproject.toml.

Outside this package, code calls only the functions below.
"""

from __future__ import annotations

import logging
import weakref
from collections.abc import AsyncIterator, Callable, Mapping
from functools import cache
from importlib.metadata import PackageNotFoundError, version
from typing import Any

import strawberry

GRAPHQL_CORE_VERSION = "3.3.2"
STRAWBERRY_VERSION = "0.341.2"

# start(context, arguments) -> the event source of a fast subscription (values of the
# field's type), or None to leave this request to the normal path.
FastStart = Callable[[Any, dict[str, Any]], AsyncIterator[Any] | None]

logger = logging.getLogger(__name__)
_active: weakref.WeakSet[strawberry.Schema] = weakref.WeakSet()


@cache
def _installed(distribution: str) -> str:
    try:
        return version(distribution)
    except PackageNotFoundError:  # vendored or run from a source tree: not a version we know
        return "(unknown version)"


def version_mismatch() -> str | None:
    """None when the installed graphql-core and Strawberry are the versions the fast paths
    were written for; else what is installed against what is expected."""
    found = _installed("graphql-core"), _installed("strawberry-graphql")
    if found == (GRAPHQL_CORE_VERSION, STRAWBERRY_VERSION):
        return None
    return (
        f"installed graphql-core {found[0]} and strawberry-graphql {found[1]}, "
        f"written for graphql-core {GRAPHQL_CORE_VERSION} and strawberry-graphql {STRAWBERRY_VERSION}"
    )


def schema(
    *,
    enabled: bool = True,
    fast_subscriptions: Mapping[str, FastStart] | None = None,
    base: type[strawberry.Schema] = strawberry.Schema,
    **options: Any,
) -> strawberry.Schema:
    """strawberry.Schema(**options) with the fast paths, unless `enabled` is False or the
    installed libraries are not the versions they were written for (one warning then).
    `fast_subscriptions`: subscription field name -> its fast start."""
    if enabled and (mismatch := version_mismatch()):
        logger.warning(
            "Fast paths disabled (%s): the executor overrides (field plans, lean resolvers, object completion, "
            "rows never awaited, a memo per subscription event) and the fast subscriptions are off; every request "
            "takes graphql-core's and Strawberry's normal paths (same results, slower). Update schema/fast_paths "
            "for these versions, then pin them.",
            mismatch,
        )
        enabled = False
    if not enabled:
        return base(**options)
    from schema.fast_paths import executor, subscriptions

    # `base` (e.g. the telemetry's schema) wraps the fast one: its `stream` sees every subscription.
    cls = subscriptions.Schema if base is strawberry.Schema else type("FastSchema", (base, subscriptions.Schema), {})
    built = cls(
        fast_subscriptions=fast_subscriptions or {}, execution_context_class=executor.ExecutionContext, **options
    )
    executor.install(built)
    _active.add(built)
    return built


def active(built: strawberry.Schema) -> bool:
    """Whether `built` runs with the fast paths."""
    return built in _active


def serves(built: strawberry.Schema, query: str, operation_name: str | None = None) -> bool:
    """Whether the fast subscription path serves this document on `built`."""
    return active(built) and built.serves_fast(query, operation_name)
