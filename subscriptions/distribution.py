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
from resolvers.common import login_required
from schema.money import Money
from schema.types.distribution import CommissionEvent, CommissionEventKind
from services.distribution.events import (
    CommissionAvailable,
    CommissionCreated,
    CommissionRejected,
    CommissionReversed,
)
from subscriptions.own_rows import own_rows

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
        def load(event):
            return CommissionRow.get_or_none(id=event.commission_id)

        async for item in own_rows(info, _KINDS, "commission", load, lambda row: row.beneficiary_id):
            if isinstance(item, tuple):
                kind, event, row = item
                amount = Money.from_fen(event.amount) if isinstance(event, CommissionReversed) else None
                yield CommissionEvent(kind=kind, commission=row, amount=amount)
            else:
                yield item
