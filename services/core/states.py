"""State machines as explicit transition tables, and the one way a row moves through one.

A process with states (an order, an after-sales request, a merchant or distributor
application, a withdrawal, a settlement statement, a wholesale unit) declares its table once:
for each action, the states it may start from and the state it leads to, optionally a guard
(a value a fixed column of the row must hold: an order's delivery type, a request's kind)
and the timestamp column the action sets.

`target()` checks the table without a database. `apply()` moves one row by ONE conditional
UPDATE (`… SET status = <target> WHERE id = ? AND status IN (<sources>)`), never a
read-check-write: of two concurrent transitions exactly one wins, and the loser re-reads the
row and is refused as a fresh read would have been; nothing changed. Every refusal is the
same coded error, "A <thing> that is <status> cannot <action>.". What a domain does around a
transition (audit rows, events, money) stays in its own module, in the caller's unit of work.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from services.core import clock
from services.core.errors import DomainError, ErrorCode
from services.core.sql import sql


@dataclass(frozen=True)
class Transition:
    sources: frozenset[str]  # given as one state or any iterable of states
    target: str
    requires: str | None = None  # the value the machine's guard column must hold (None: any)
    stamp: str | None = None  # the timestamp column the action sets
    code: ErrorCode = ErrorCode.INVALID_TRANSITION  # the refusal's code

    def __post_init__(self) -> None:
        sources = self.sources
        object.__setattr__(self, "sources", frozenset({sources} if isinstance(sources, str) else sources))


class StateMachine:
    """A transition table over the `status` column of one model.

    `thing` names a row in refusals ("order", or a function of the guard value);
    `guard` is the row's attribute that `Transition.requires` is compared with; `touch` is a
    column set to the time of every transition (e.g. `updated_at`); `field` is the input
    field refusals point at unless a call names another.
    """

    def __init__(
        self,
        thing: str | Callable[[Any], str],
        transitions: Mapping[str, Transition],
        *,
        guard: str | None = None,
        touch: str | None = None,
        field: str | None = "status",
    ) -> None:
        self.thing = thing
        self.transitions = dict(transitions)
        self.guard = guard
        self.touch = touch
        self.field = field

    @property
    def states(self) -> frozenset[str]:
        """Every state the table names."""
        return frozenset().union(*(t.sources | {t.target} for t in self.transitions.values()))

    def sources(self, action: str) -> frozenset[str]:
        return self.transitions[action].sources

    def allows(self, action: str, status: str, guard: Any = None) -> bool:
        t = self.transitions[action]
        return status in t.sources and (t.requires is None or t.requires == guard)

    def target(self, action: str, status: str, guard: Any = None, *, field: str | None = None) -> str:
        """Pure check of the table: the state `action` leads to from `status`, or raise."""
        if not self.allows(action, status, guard):
            raise self.refusal(action, status, guard, field=field)
        return self.transitions[action].target

    def name(self, guard: Any = None) -> str:
        return self.thing(guard) if callable(self.thing) else self.thing

    def refusal(self, action: str, status: str, guard: Any = None, *, field: str | None = None) -> DomainError:
        thing = self.name(guard)
        article = "An" if thing[:1].lower() in ("a", "e", "i", "o", "u") else "A"
        return DomainError(
            self.transitions[action].code,
            f"{article} {thing} that is {status} cannot {action.lower().replace('_', ' ')}.",
            field or self.field,
        )

    def values(self, action: str, now: datetime | None = None, **changes: Any) -> dict[str, Any]:
        """The columns a transition writes: the target state, its stamp, the touched column,
        then the caller's extra columns (which win)."""
        t = self.transitions[action]
        now = now or clock.now()
        values: dict[str, Any] = {"status": t.target}
        if t.stamp:
            values[t.stamp] = now
        if self.touch:
            values[self.touch] = now
        values.update(changes)
        return values

    async def update(self, query, action: str, **changes: Any) -> int:
        """The conditional UPDATE alone, for the rows of `query` (a Tortoise queryset) that are
        in a source state of `action`: how many moved. For set-based moves (a worker settling
        many rows) and callers that answer a lost race themselves; one row's transition is
        `apply`."""
        return await self._move(query, action, self.values(action, **changes))

    async def _move(self, query, action: str, values: dict[str, Any]) -> int:
        return await query.filter(status__in=sorted(self.sources(action))).update(**values)

    async def apply_returning(
        self, model: type, action: str, *, conn, where: Mapping[str, Any], extra: str = ""
    ) -> list[dict]:
        """Set-based `apply` that returns the rows moved: ONE `UPDATE … WHERE <where> AND status
        = <the source> RETURNING *` (and the `extra` SQL columns, e.g. scalar subqueries of the
        rows' relations), so moving a group of rows also reads them. For actions with one source
        state (the rows' previous state is then known). Rows in another state are neither moved
        nor returned: the caller checks it got the rows it expected."""
        transition = self.transitions[action]
        if len(transition.sources) != 1:
            raise ValueError(f"{action}: apply_returning needs one source state")
        values = self.values(action)
        conditions = dict(where)
        conditions["status"] = next(iter(transition.sources))
        if transition.requires is not None:
            conditions[self.guard] = transition.requires
        text = (
            f"UPDATE {model._meta.db_table} SET "
            + ", ".join(f"{column} = ?" for column in values)
            + " WHERE "
            + " AND ".join(f"{column} = ?" for column in conditions)
            + " RETURNING *"
            + (f", {extra}" if extra else "")
        )
        return await conn.execute_query_dict(sql(conn, text), [*values.values(), *conditions.values()])

    async def apply(self, row, action: str, *, conn=None, field: str | None = None, **changes: Any) -> str:
        """Move `row` (a Tortoise model instance) by `action` inside the caller's unit of work
        (`conn`), writing `changes` in the same conditional UPDATE; raise the refusal when
        the table does not allow it from the state read, or from the state a concurrent
        change left (nothing changed). The row object gets the values written. Returns the
        state the row left."""
        from_status = row.status
        guard = getattr(row, self.guard) if self.guard else None
        self.target(action, from_status, guard, field=field)
        values = self.values(action, **changes)
        query = type(row).filter(id=row.id).using_db(conn)
        if await self._move(query, action, values) != 1:  # someone else moved it first
            columns = ("status", self.guard) if self.guard else ("status",)
            found = await query.values_list(*columns)
            if found:
                self.target(action, *found[0], field=field)  # raises with the state it is in now
            thing = self.name(guard)
            raise DomainError(
                self.transitions[action].code, f"This {thing} changed meanwhile; try again.", field or self.field
            )
        for key, value in values.items():
            setattr(row, key, value)
        return from_status
