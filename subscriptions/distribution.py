"""Live commissions (DIS-5 "live", RT-2 "my commissions"): the signed-in user hears the
moment one of their commissions is booked, becomes available, is reversed or rejected.

Events on `user:{id}` carry the commission id only; the commission is loaded fresh, by
beneficiary (someone else's id yields nothing), once per event for all the process's
subscribers (shared_loads); a sign-out ends the stream (OwnSession), with no query per event."""

from __future__ import annotations

from collections.abc import AsyncGenerator

import strawberry
from strawberry.types import Info

from models.distribution import Commission as CommissionRow
from resolvers.common import login_required, viewer
from schema.errors import ApiError
from schema.money import Money
from schema.types.distribution import CommissionEvent, CommissionEventKind
from services.core.errors import ErrorCode
from services.core.events import user_channel
from services.distribution.events import (
    CommissionAvailable,
    CommissionCreated,
    CommissionRejected,
    CommissionReversed,
)
from subscriptions.hub import RESYNC, SlowConsumer, listen, resync_message
from subscriptions.sessions import OwnSession
from subscriptions.shared_loads import shared_load

_KINDS = {
    CommissionCreated: CommissionEventKind.CREATED,
    CommissionAvailable: CommissionEventKind.AVAILABLE,
    CommissionReversed: CommissionEventKind.REVERSED,
    CommissionRejected: CommissionEventKind.REJECTED,
}


@strawberry.type
class DistributionSubscriptions:
    @strawberry.subscription(
        description="My commissions as they change: booked (CREATED), released to my wallet (AVAILABLE), taken back by a "
        "refund (REVERSED, with the amount), refused by risk review (REJECTED).",
        extensions=login_required(),
    )
    async def my_commission_events(self, info: Info) -> AsyncGenerator[CommissionEvent, None]:
        user_id, session = viewer(info).id, OwnSession(info.context.session_id)
        try:
            async for event in listen(user_channel(user_id)):
                if event is RESYNC:  # events may have been missed: the client refetches
                    yield resync_message()
                    continue
                if not await session.passes(event):
                    continue
                kind = _KINDS.get(type(event))
                if kind is None:
                    continue
                row = await shared_load(
                    event, "commission", lambda e=event: CommissionRow.get_or_none(id=e.commission_id)
                )
                if row is None or row.beneficiary_id != user_id:
                    continue
                amount = Money.from_fen(event.amount) if isinstance(event, CommissionReversed) else None
                yield CommissionEvent(kind=kind, commission=row, amount=amount)
        except SlowConsumer:
            raise ApiError(ErrorCode.SLOW_CONSUMER, "Too far behind; reconnect and refetch.") from None
