"""Live events: collected inside a unit of work and published only after it commits.

Services call `emit(channel, event)` inside `unit_of_work()` with a `LiveEvent`, a small
frozen dataclass that each domain declares in its own `events` module. If the transaction
rolls back, the events are dropped: subscribers never hear about what did not happen. The
publisher itself (broadcaster) is plugged in by the app at start-up with `set_publisher`;
`wiring.py` registers the event classes that `decode` turns channel messages back into.

A service that changes what the storefront shows anyone (prices, listings, content) also
calls `public_data_changed()` in the unit: once it commits, the listener the app plugs in
with `set_change_listener` (the response cache: schema/response_cache.py) runs first, before
the unit's live events go out, so a client refetching on an event never gets the old answer.
"""

from __future__ import annotations

import contextvars
import dataclasses
import json
import logging
import types
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from typing import Any, ClassVar, NewType, Self, Union, get_args, get_origin, get_type_hints

from tortoise.transactions import in_transaction

log = logging.getLogger(__name__)

# --------------------------------------------------------------------------- the events

Id = NewType("Id", int)  # a row id: a decimal string on the wire, as clients have always received it

_WIRE_KEY = "wire_key"


def wire_key(key: str) -> Any:
    """A field whose wire key is not its name in camelCase (e.g. `from_status` is "from")."""
    return dataclasses.field(metadata={_WIRE_KEY: key})


def _same(value: Any) -> Any:
    return value


# field type -> (to the wire, from the wire)
_CODECS: dict[Any, tuple[Callable[[Any], Any], Callable[[Any], Any]]] = {
    Id: (str, int),
    int: (_same, int),
    str: (_same, _same),
    dict: (_same, _same),  # a JSON object, as the row's JSONField holds it
    date: (date.isoformat, date.fromisoformat),
    datetime: (datetime.isoformat, datetime.fromisoformat),
}


@dataclass(frozen=True)
class _WireField:
    name: str
    key: str
    encode: Callable[[Any], Any]
    decode: Callable[[Any], Any]
    default: Any  # dataclasses.MISSING: always on the wire


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


@dataclass(frozen=True)
class LiveEvent:
    """A live event. Its class names its wire `type`; its fields are what the message carries.

    The wire form (the JSON on the channel, read by other processes and by the clients'
    expectations) is `{"type": <type>, <key>: <value>, ...}` in field order. A field's key is
    its name in camelCase unless `wire_key` says otherwise; `Id` fields are decimal strings,
    dates and datetimes ISO 8601; a field with a default is left out while it holds its
    default, and takes it when the key is absent."""

    type: ClassVar[str]

    def to_wire(self) -> dict[str, Any]:
        wire: dict[str, Any] = {"type": self.type}
        for f in _wire_fields(type(self)):
            value = getattr(self, f.name)
            if f.default is dataclasses.MISSING or value != f.default:
                wire[f.key] = f.encode(value)
        return wire

    def to_json(self) -> str:
        return json.dumps(self.to_wire(), separators=(",", ":"))

    @classmethod
    def from_wire(cls, wire: dict[str, Any]) -> Self:
        values = {}
        for f in _wire_fields(cls):
            if f.key in wire:
                values[f.name] = f.decode(wire[f.key])
            elif f.default is dataclasses.MISSING:
                raise KeyError(f"{cls.type} event without {f.key!r}")
        return cls(**values)


@cache
def _wire_fields(cls: type[LiveEvent]) -> tuple[_WireField, ...]:
    hints = get_type_hints(cls)
    found = []
    for f in dataclasses.fields(cls):
        kind, optional = hints[f.name], False
        if get_origin(kind) in (Union, types.UnionType) and type(None) in get_args(kind):
            (kind,), optional = [a for a in get_args(kind) if a is not type(None)], True
        encode, decode = _CODECS[kind]
        if optional:
            encode, decode = _or_none(encode), _or_none(decode)
        default = f.default if f.default_factory is dataclasses.MISSING else dataclasses.MISSING
        found.append(_WireField(f.name, f.metadata.get(_WIRE_KEY, _camel(f.name)), encode, decode, default))
    return tuple(found)


def _or_none(convert: Callable[[Any], Any]) -> Callable[[Any], Any]:
    return lambda value: None if value is None else convert(value)


_REGISTERED: dict[str, type[LiveEvent]] = {}


def register_events(classes: Iterable[type[LiveEvent]]) -> None:
    """The event classes `decode` knows, by wire type (from scratch: wiring.install())."""
    by_type: dict[str, type[LiveEvent]] = {}
    for cls in classes:
        if cls.type in by_type:
            raise ValueError(f"two live events have the type {cls.type!r}")
        _wire_fields(cls)  # a field of a type with no wire form fails here, at start-up
        by_type[cls.type] = cls
    _REGISTERED.clear()
    _REGISTERED.update(by_type)


def registered_events() -> list[type[LiveEvent]]:
    return list(_REGISTERED.values())


def decode(message: str) -> LiveEvent | None:
    """The event a channel message carries. None for a type not registered (ignored: e.g.
    from a newer process) and for a malformed message (logged), which nobody can act on."""
    try:
        wire = json.loads(message)
        cls = _REGISTERED.get(wire.get("type")) if isinstance(wire, dict) else None
        return None if cls is None else cls.from_wire(wire)
    except (ValueError, TypeError, KeyError):
        log.warning("ignoring a malformed live event: %.200s", message)
        return None


# --------------------------------------------------------------------------- channels and publishing

Publisher = Callable[[str, str], Awaitable[None]]
ChangeListener = Callable[[], Awaitable[None]]


@dataclasses.dataclass
class _Pending:
    """What a unit of work announces once it commits."""

    events: list[tuple[str, str]] = dataclasses.field(default_factory=list)
    public_changed: bool = False
    after: list[Callable[[], Awaitable[None]]] = dataclasses.field(default_factory=list)


_publisher: Publisher | None = None
_change_listener: ChangeListener | None = None
_pending: contextvars.ContextVar[_Pending | None] = contextvars.ContextVar("pending_events", default=None)


def set_publisher(publisher: Publisher | None) -> None:
    global _publisher
    _publisher = publisher


def set_change_listener(listener: ChangeListener | None) -> None:
    """What runs after a unit of work that changed public data commits (the response cache)."""
    global _change_listener
    _change_listener = listener


def user_channel(user_id: int) -> str:
    return f"user:{user_id}"


def merchant_channel(merchant_id: int) -> str:
    """Live events for a merchant's back-office (low stock, new orders)."""
    return f"merchant:{merchant_id}"


def store_channel(store_id: int) -> str:
    """Live events of a store's counter (payments taken and refunded there, STO-1)."""
    return f"store:{store_id}"


def admin_channel() -> str:
    return "admin"


def emit(channel: str, event: LiveEvent) -> None:
    """Queue an event for after the surrounding unit of work commits."""
    pending = _pending.get()
    if pending is None:
        raise RuntimeError("emit() outside unit_of_work(): events must follow a commit")
    pending.events.append((channel, event.to_json()))


def public_data_changed() -> None:
    """Data anyone may read (the storefront: products, prices, stock at zero, listings,
    categories, content, merchants' public pages, stores) changes in the surrounding unit of
    work: answers cached before it are stale once it commits."""
    pending = _pending.get()
    if pending is None:
        raise RuntimeError("public_data_changed() outside unit_of_work(): it is announced after the commit")
    pending.public_changed = True


def after_commit(callback: Callable[[], Awaitable[None]]) -> None:
    """Run `callback` once the surrounding unit of work commits (never if it rolls back), after
    its events are queued; a failure is logged, never raised (the commit stands). For state
    kept beside the database, such as Redis's flash-sale counters (MKT-3)."""
    pending = _pending.get()
    if pending is None:
        raise RuntimeError("after_commit() outside unit_of_work()")
    pending.after.append(callback)


async def _announce_change() -> None:
    if _change_listener is None:
        return
    try:
        await _change_listener()
    except Exception:  # the change is committed: a failed announcement must not fail the request
        log.exception("announcing a public data change failed")


async def publish_now(channel: str, message: str) -> None:
    if _publisher is None:
        return
    try:
        await _publisher(channel, message)
    except Exception:  # a lost live event must never fail the request that caused it
        log.exception("publishing to %s failed", channel)


@asynccontextmanager
async def unit_of_work() -> AsyncIterator[Any]:
    """One database transaction whose events are published after it commits.

    A nested unit is a savepoint: its events join the enclosing unit only if it succeeds,
    and go out when the outermost unit commits.
    """
    outer = _pending.get()
    pending = _Pending()
    token = _pending.set(pending)
    try:
        async with in_transaction() as conn:
            yield conn
    finally:
        _pending.reset(token)
    if outer is not None:
        outer.events.extend(pending.events)
        outer.public_changed |= pending.public_changed
        outer.after.extend(pending.after)
        return
    if pending.public_changed:  # first: caches forget before anyone hears of the change
        await _announce_change()
    for channel, message in pending.events:
        await publish_now(channel, message)
    for callback in pending.after:
        try:
            await callback()
        except Exception:  # committed: a failed follow-up must not fail the request
            log.exception("an after-commit step failed")
