"""Live withdrawals (FIN-3, RT-2): the owner hears each status change of their withdrawals
(user:{id}), a merchant's finance staff those of the merchant's (merchant:{id}).

Events carry the withdrawal id only; the row is loaded fresh by owner (someone else's id
yields nothing), once per event for all the process's subscribers (shared_loads); a sign-out
ends the stream (OwnSession); a merchant's permission is re-read every 30 s (StaffGrants)."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Annotated

import strawberry
from strawberry.types import Info

from models.withdrawals import Withdrawal as WithdrawalRow
from resolvers.common import MERCHANT_IDS, login_required, parse_id, viewer
from schema.errors import ApiError, api_error
from schema.types.withdrawals import WithdrawalEvent, WithdrawalStatus
from services.accounts import access
from services.core.errors import DomainError, ErrorCode
from services.core.events import merchant_channel, user_channel
from services.finance.events import WithdrawalStatusChanged
from services.ledger.ledger import MERCHANT, USER
from subscriptions.hub import RESYNC, SlowConsumer, listen, resync_message
from subscriptions.sessions import OwnSession, StaffGrants
from subscriptions.shared_loads import shared_load


async def _events(channel: str, owner_type: str, owner_id: int, check) -> AsyncGenerator[WithdrawalEvent, None]:
    """`check(event)`: False to skip the event; raises to end the stream."""
    try:
        async for event in listen(channel):
            if event is RESYNC:  # events may have been missed: the client refetches
                yield resync_message()
                continue
            if not await check(event) or not isinstance(event, WithdrawalStatusChanged):
                continue
            row = await shared_load(event, "withdrawal", lambda e=event: WithdrawalRow.get_or_none(id=e.withdrawal_id))
            if row is None or (row.owner_type, row.owner_id) != (owner_type, owner_id):
                continue
            yield WithdrawalEvent(
                withdrawal=row,
                from_status=WithdrawalStatus(event.from_status) if event.from_status else None,
                status=WithdrawalStatus(event.status),
            )
    except SlowConsumer:
        raise ApiError(ErrorCode.SLOW_CONSUMER, "Too far behind; reconnect and refetch.") from None


@strawberry.type
class WithdrawalSubscriptions:
    @strawberry.subscription(
        description="My withdrawals as they change state (requested, held, approved, paid, rejected, failed).",
        extensions=login_required(),
    )
    async def my_withdrawal_events(self, info: Info) -> AsyncGenerator[WithdrawalEvent, None]:
        user_id, session = viewer(info).id, OwnSession(info.context.session_id)
        async for item in _events(user_channel(user_id), USER, user_id, session.passes):
            yield item

    @strawberry.subscription(
        description="A merchant's withdrawals as they change state (merchant.finance).", extensions=login_required()
    )
    async def merchant_withdrawal_events(
        self, info: Info, merchant_id: Annotated[strawberry.ID, strawberry.argument(description="The merchant.")]
    ) -> AsyncGenerator[WithdrawalEvent, None]:
        user_id = viewer(info).id
        try:
            mid = parse_id(merchant_id, "merchantId", of=MERCHANT_IDS)
            grants = await access.load_grants(user_id)
            access.require_merchant(grants, mid, "merchant.finance")
        except DomainError as exc:
            raise api_error(exc) from exc
        staff = StaffGrants(user_id, info.context.session_id, grants)

        async def check(event) -> bool:
            try:
                access.require_merchant(await staff.current(), mid, "merchant.finance")
            except DomainError as exc:
                raise api_error(exc) from exc
            return True

        async for item in _events(merchant_channel(mid), MERCHANT, mid, check):
            yield item
