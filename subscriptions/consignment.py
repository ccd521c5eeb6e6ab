"""Live consignment (CON-9): my queue positions as units sell, and my sales.

Positions cost no database query per sale: each queue event carries the sequence key it
concerns, and a subscriber moves its own units' positions by one when a unit ahead of
them sold, left or came back to the head (services.consignment.matching.position_after).
The database is read when the subscription starts, and only for the subscriber's own
units joining the queue later.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Annotated

import strawberry
from strawberry.types import Info

from models.consignment import WholesaleUnit as UnitRow
from resolvers.common import login_required, parse_id, viewer
from schema.errors import ApiError
from schema.node import encode
from schema.types.consignment import QueuePosition, QueuePositionsUpdate, WholesaleUnit
from services.consignment import queue as consignment
from services.consignment.events import ConsignmentSold, UnitLeft, UnitQueued, UnitReturned, UnitSold
from services.consignment.matching import position_after
from services.core.errors import DomainError, ErrorCode
from services.core.events import user_channel
from subscriptions.hub import RESYNC, SlowConsumer, event_data, get_broadcast, listen, resync_message
from subscriptions.sessions import SessionGuard
from subscriptions.shared_loads import shared_load


def _update(product_id: int, mine: dict[int, tuple[UnitRow, int]], sold: list[int]) -> QueuePositionsUpdate:
    ordered = sorted(mine.values(), key=lambda pair: pair[1])
    return QueuePositionsUpdate(
        product_id=strawberry.ID(encode("Product", product_id)),
        positions=[QueuePosition(unit=unit, position=position) for unit, position in ordered],
        sold_unit_ids=[strawberry.ID(encode("WholesaleUnit", i)) for i in sold],
    )


@strawberry.type
class ConsignmentSubscriptions:
    @strawberry.subscription(
        description="My units in one wholesale product's queue with their positions: first the current state, then an "
        "update each time a unit ahead of mine sells, leaves or returns, or one of mine is sold or joins.",
        extensions=login_required(),
    )
    async def my_queue_positions(
        self,
        info: Info,
        product_id: Annotated[strawberry.ID, strawberry.argument(description="The wholesale product.")],
    ) -> AsyncGenerator[QueuePositionsUpdate, None]:
        pid = parse_id(product_id, "productId", of="Product")
        async for update in _watch(pid, viewer(info).id, SessionGuard(info.context.session_id)):
            yield update

    @strawberry.subscription(
        description="Each of my consigned units the moment it is sold, with the sale details.",
        extensions=login_required(),
    )
    async def my_consignment_sales(self, info: Info) -> AsyncGenerator[WholesaleUnit, None]:
        user_id = viewer(info).id
        guard = SessionGuard(info.context.session_id)
        try:
            async for event in listen(user_channel(user_id)):
                if event is RESYNC:  # events may have been missed: the client refetches
                    yield resync_message()
                    continue
                await guard.check()
                if not isinstance(event, ConsignmentSold):
                    continue
                unit = await shared_load(event, "unit", lambda e=event: UnitRow.get_or_none(id=e.unit_id))
                if unit is not None and unit.owner_id == user_id:
                    yield unit
        except SlowConsumer:
            raise ApiError(ErrorCode.SLOW_CONSUMER, "Too far behind; reconnect and refetch.") from None


def fast_my_queue_positions(context, arguments: dict) -> AsyncGenerator[QueuePositionsUpdate, None] | None:
    """myQueuePositions for schema/fast_subscriptions.py (thousands watch one queue). None
    (nobody signed in, a malformed id) leaves the request to the resolver above, which
    reports the error."""
    if context.viewer is None:
        return None
    try:
        pid = parse_id(arguments["productId"], "productId", of="Product")
    except DomainError:
        return None
    return _watch(pid, context.viewer.id, SessionGuard(context.session_id))


async def _watch(pid: int, user_id: int, guard: SessionGuard) -> AsyncGenerator[QueuePositionsUpdate, None]:
    try:
        async for update in _positions(pid, user_id, guard):
            yield update
    except SlowConsumer:
        raise ApiError(ErrorCode.SLOW_CONSUMER, "Too far behind; reconnect and refetch.") from None


async def _positions(pid: int, user_id: int, guard: SessionGuard) -> AsyncGenerator[QueuePositionsUpdate, None]:
    # Subscribe first, then read the positions: an event in between is applied, not lost.
    async with get_broadcast().subscribe(consignment.queue_channel(pid)) as subscriber:
        mine = {unit.id: (unit, position) for unit, position in await consignment.positions(user_id, pid)}
        yield _update(pid, mine, [])
        sold: list[int] = []
        changed = False  # since the last update sent
        async for raw in subscriber:
            event = event_data(raw)
            await guard.check()
            if event is RESYNC:  # events may have been missed: positions from the database again
                mine = {unit.id: (unit, position) for unit, position in await consignment.positions(user_id, pid)}
                changed = True
            elif isinstance(event, UnitQueued):
                # Someone else's unit joined behind everyone: nobody's position changes.
                # By owner and product too: a stray event (another deployment on the same Redis)
                # must not put someone else's unit into my positions.
                unit = (
                    await UnitRow.get_or_none(id=event.unit_id, owner_id=user_id, product_id=pid)
                    if event.owner_id == user_id
                    else None
                )
                if unit is not None and unit.id not in mine:
                    mine[unit.id] = (unit, event.length)
                    changed = True
            elif isinstance(event, UnitSold | UnitLeft | UnitReturned):
                for unit_id, (unit, position) in list(mine.items()):
                    moved = position_after(position, unit.queue_key, event)
                    if moved is None:
                        del mine[unit_id]
                        if isinstance(event, UnitSold):
                            sold.append(unit_id)
                        changed = True
                    elif moved != position:
                        mine[unit_id] = (unit, moved)
                        changed = True
                if isinstance(event, UnitReturned) and event.owner_id == user_id:
                    unit = await UnitRow.get_or_none(id=event.unit_id, owner_id=user_id, product_id=pid)
                    if (
                        unit is not None
                    ):  # back at the head, behind units that came back before it and were consigned earlier
                        mine[unit.id] = (unit, event.position)
                        changed = True
            # More events already queued (this subscriber fell behind): apply them first and
            # send one update for all, rather than one GraphQL execution and message per event.
            if changed and not subscriber.backlog():
                yield _update(pid, mine, sold)
                sold, changed = [], False
