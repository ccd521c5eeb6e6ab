"""Live withdrawals (FIN-3, RT-2): the owner hears each status change of their withdrawals
(user:{id}), a merchant's finance staff those of the merchant's (merchant:{id}).

Events carry the withdrawal id only; the row is loaded fresh by owner (someone else's id
yields nothing), and the session (and, for merchants, the permission) is re-checked per event."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Annotated

import strawberry
from strawberry.types import Info

from models.withdrawals import Withdrawal as WithdrawalRow
from resolvers.common import MERCHANT_IDS, login_required, parse_id, viewer
from schema.errors import ApiError, api_error
from schema.types.withdrawals import WithdrawalEvent, WithdrawalStatus
from services.accounts import access, auth
from services.core.errors import DomainError, ErrorCode
from services.core.events import merchant_channel, user_channel
from services.finance.events import WithdrawalStatusChanged
from services.ledger.ledger import MERCHANT, USER
from subscriptions.hub import RESYNC, SlowConsumer, listen, resync_message


async def _events(channel: str, owner_type: str, owner_id: int, check) -> AsyncGenerator[WithdrawalEvent, None]:
    try:
        async for event in listen(channel):
            if event is RESYNC:  # events may have been missed: the client refetches
                yield resync_message()
                continue
            if not isinstance(event, WithdrawalStatusChanged):
                continue
            await check()
            row = await WithdrawalRow.get_or_none(id=event.withdrawal_id, owner_type=owner_type, owner_id=owner_id)
            if row is None:
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
        user_id, session_id = viewer(info).id, info.context.session_id

        async def check() -> None:
            if not await auth.session_is_live(session_id):
                raise ApiError(ErrorCode.TOKEN_REVOKED, "This session was signed out.")

        async for item in _events(user_channel(user_id), USER, user_id, check):
            yield item

    @strawberry.subscription(
        description="A merchant's withdrawals as they change state (merchant.finance).", extensions=login_required()
    )
    async def merchant_withdrawal_events(
        self, info: Info, merchant_id: Annotated[strawberry.ID, strawberry.argument(description="The merchant.")]
    ) -> AsyncGenerator[WithdrawalEvent, None]:
        user_id, session_id = viewer(info).id, info.context.session_id
        try:
            mid = parse_id(merchant_id, "merchantId", of=MERCHANT_IDS)
            access.require_merchant(await access.load_grants(user_id), mid, "merchant.finance")
        except DomainError as exc:
            raise api_error(exc) from exc

        async def check() -> None:
            if not await auth.session_is_live(session_id):
                raise ApiError(ErrorCode.TOKEN_REVOKED, "This session was signed out.")
            try:
                access.require_merchant(await access.load_grants(user_id), mid, "merchant.finance")
            except DomainError as exc:
                raise api_error(exc) from exc

        async for item in _events(merchant_channel(mid), MERCHANT, mid, check):
            yield item
