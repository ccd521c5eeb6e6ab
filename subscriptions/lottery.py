"""A lottery's live feed of wins (MKT-4): each prize won, the winner masked, as it happens.
Events on `lottery:{id}` carry the draw id; the win is loaded fresh, once per event for all
the process's subscribers (shared_loads)."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Annotated

import strawberry
from strawberry.types import Info

from resolvers.common import login_required, parse_id
from schema.errors import ApiError, api_error
from schema.types.points import LotteryWin
from services.core.errors import DomainError, ErrorCode
from services.marketing import lottery
from services.marketing.events import LotteryWon
from subscriptions.hub import RESYNC, SlowConsumer, listen, resync_message
from subscriptions.shared_loads import shared_load


@strawberry.type
class LotterySubscriptions:
    @strawberry.subscription(
        description="A lottery's wins as they happen (the winners' nicknames masked).",
        extensions=login_required(),
    )
    async def lottery_wins(
        self, info: Info, activity_id: Annotated[strawberry.ID, strawberry.argument(description="The lottery.")]
    ) -> AsyncGenerator[LotteryWin, None]:
        try:
            aid = parse_id(activity_id, "activityId", of="LotteryActivity")
            await lottery.get(aid)
        except DomainError as exc:
            raise api_error(exc) from exc
        try:
            async for event in listen(lottery.channel(aid)):
                if event is RESYNC:  # wins may have been missed: the client refetches recentLotteryWins
                    yield resync_message()
                    continue
                if not isinstance(event, LotteryWon):
                    continue
                found = await shared_load(event, "lottery-win", lambda e=event: lottery.win(e.draw_id))
                if found is not None and found.draw.activity_id == aid:
                    yield LotteryWin(win=found)
        except SlowConsumer:
            raise ApiError(ErrorCode.SLOW_CONSUMER, "Too far behind; reconnect and refetch.") from None
