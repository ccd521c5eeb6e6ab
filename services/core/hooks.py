"""Named, ordered reactions that run inside the transaction of the change they react to.

A feature that must act when something happens elsewhere (an order is paid, a line is
refunded, a referral is bound …) does not call into, or get called by, the code that
makes it happen: it is a named step of that event's `Reactions`, added by the wiring
module (`wiring.py`) in the order the steps must run. Each step gets the event's context
(a small frozen dataclass) and the connection of the caller's unit of work: if a step
raises, the whole change rolls back, so money and reactions never disagree.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

C = TypeVar("C")
Reaction = Callable[[C, Any], Awaitable[None]]


@dataclass(frozen=True)
class Step(Generic[C]):
    name: str  # stable, e.g. "distribution.commissions": shown in errors and docs/architecture.md
    run: Reaction[C]


class NotWired(RuntimeError):
    """A change ran before `wiring.install()`: its reactions would silently not happen."""


class Reactions(Generic[C]):
    """The steps that react to one event, run one after another in the order added."""

    def __init__(self, event: str) -> None:
        self.event = event
        self.steps: list[Step[C]] = []
        self.wired = False

    def add(self, name: str, run: Reaction[C]) -> None:
        if any(step.name == name for step in self.steps):
            raise ValueError(f"{self.event}: a step named {name!r} is already registered")
        self.steps.append(Step(name, run))

    def remove(self, name: str) -> None:
        self.steps = [step for step in self.steps if step.name != name]

    def names(self) -> list[str]:
        return [step.name for step in self.steps]

    def reset(self) -> None:
        self.steps.clear()
        self.wired = False

    async def run(self, context: C, conn: Any) -> None:
        if not self.wired:
            raise NotWired(f"{self.event}: services are not wired (call wiring.install() at start-up)")
        for step in self.steps:
            await step.run(context, conn)


T = TypeVar("T")


class Provider(Generic[T]):
    """One function that a lower layer needs from a higher one (dependency inversion): the
    lower layer calls it, wiring.py plugs the implementation in."""

    def __init__(self, what: str) -> None:
        self.what = what
        self.implementation: T | None = None

    def set(self, implementation: T | None) -> None:
        self.implementation = implementation

    def get(self) -> T:
        if self.implementation is None:
            raise NotWired(f"{self.what}: not provided (call wiring.install() at start-up)")
        return self.implementation


class Registry(Generic[C]):
    """Named providers of one kind (zone rules, review queues, risk decisions …), by key."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.entries: dict[str, C] = {}

    def add(self, key: str, entry: C) -> None:
        if key in self.entries:
            raise ValueError(f"{self.kind}: {key!r} is already registered")
        self.entries[key] = entry

    def get(self, key: str) -> C | None:
        return self.entries.get(key)

    def reset(self) -> None:
        self.entries.clear()
