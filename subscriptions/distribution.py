"""Live commissions (DIS-5 "live", RT-2 "my commissions"): the signed-in user hears the
moment one of their commissions is booked, becomes available, is reversed or rejected.

Events on `user:{id}` carry the commission id only; the commission is loaded fresh, by
beneficiary (someone else's id yields nothing), and the session is re-checked per event."""

from __future__ import annotations

from collections.abc import AsyncGenerator

import strawberry
from strawberry.types import Info

from models.distribution import Commission as CommissionRow
from resolvers.common import login_required, viewer
from schema.errors import ApiError
from schema.money import Money
from schema.types.distribution import CommissionEvent, CommissionEventKind
from services.accounts import auth
from services.core.errors import ErrorCode
from services.core.events import user_channel
from services.distribution.events import (
    CommissionAvailable,
    CommissionCreated,
    CommissionRejected,
    CommissionReversed,
)
from subscriptions.hub import RESYNC, SlowConsumer, listen, resync_message

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
        user_id, session_id = viewer(info).id, info.context.session_id
        try:
            async for event in listen(user_channel(user_id)):
                if event is RESYNC:  # events may have been missed: the client refetches
                    yield resync_message()
                    continue
                kind = _KINDS.get(type(event))
                if kind is None:
                    continue
                if not await auth.session_is_live(session_id):
                    raise ApiError(ErrorCode.TOKEN_REVOKED, "This session was signed out.")
                row = await CommissionRow.get_or_none(id=event.commission_id, beneficiary_id=user_id)
                if row is None:
                    continue
                amount = Money.from_fen(event.amount) if isinstance(event, CommissionReversed) else None
                yield CommissionEvent(kind=kind, commission=row, amount=amount)
        except SlowConsumer:
            raise ApiError(ErrorCode.SLOW_CONSUMER, "Too far behind; reconnect and refetch.") from None
