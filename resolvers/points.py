"""The points mall's statistics and the points lottery (MKT-4): thin calls into services."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import strawberry
from strawberry.types import Info

from models.marketing import LotteryPrize as LotteryPrizeRow
from resolvers.common import api_errors, login_required, parse_id, payload_errors, requires, viewer
from schema.pagination import Connection, to_connection
from schema.types.points import (
    DrawLotteryPayload,
    LotteryActivity,
    LotteryActivityInput,
    LotteryActivityPayload,
    LotteryDraw,
    LotteryWin,
    PointsExchangeRow,
)
from services.core.errors import DomainError, ErrorCode
from services.core.pagination import paginate
from services.marketing import lottery, points_mall


@strawberry.type
class PointsQueries:
    @strawberry.field(
        description="Points-mall exchanges paid in a range of business days, per product, the most points first "
        "(admins with marketing.manage).",
        extensions=requires("marketing.manage"),
    )
    @api_errors
    async def points_exchange_stats(
        self,
        info: Info,
        from_: Annotated[date, strawberry.argument(name="from", description="First day, inclusive.")],
        to: Annotated[date, strawberry.argument(description="Last day, inclusive (today at the latest).")],
    ) -> list[PointsExchangeRow]:
        rows = await points_mall.exchange_stats(await info.context.grants(), from_, to)
        return [PointsExchangeRow(row=r) for r in rows]


async def _with_prizes(rows) -> list[LotteryActivity]:
    prizes = await LotteryPrizeRow.filter(activity_id__in=[r.id for r in rows]).order_by("position")
    return [LotteryActivity(row=r, prize_rows=[p for p in prizes if p.activity_id == r.id]) for r in rows]


async def activity_node(pk: int) -> LotteryActivity:
    (found,) = await _with_prizes([await lottery.get(pk)])
    return found


@strawberry.type
class LotteryQueries:
    @strawberry.field(
        description="Points lotteries, newest first (public): their prizes, seed hash and, once closed, seed."
    )
    @api_errors
    async def lottery_activities(
        self,
        first: Annotated[int, strawberry.argument(description="Page size.")] = 20,
        after: Annotated[str | None, strawberry.argument(description="Cursor from the previous page.")] = None,
    ) -> Connection[LotteryActivity]:
        page = await paginate(lottery.activities(), first, after)
        nodes = await _with_prizes(page.items)
        return to_connection(page, lambda row: next(n for n in nodes if n.row.id == row.id))

    @strawberry.field(description="One points lottery (public).")
    @api_errors
    async def lottery_activity(
        self, id: Annotated[strawberry.ID, strawberry.argument(description="The lottery.")]
    ) -> LotteryActivity:
        return await activity_node(parse_id(id, of="LotteryActivity"))

    @strawberry.field(description="A lottery's most recent wins, newest first, the winners masked (public).")
    @api_errors
    async def recent_lottery_wins(
        self,
        activity_id: Annotated[strawberry.ID, strawberry.argument(description="The lottery.")],
        first: Annotated[int, strawberry.argument(description="How many, 1 to 50.")] = 20,
    ) -> list[LotteryWin]:
        if not 1 <= first <= 50:
            raise DomainError(ErrorCode.PAGE_SIZE_EXCEEDED, "1 to 50 wins.", "first")
        wins = await lottery.recent_wins(parse_id(activity_id, "activityId", of="LotteryActivity"), first)
        return [LotteryWin(win=w) for w in wins]

    @strawberry.field(
        description="My lottery draws, newest first (of one lottery, or all).", extensions=login_required()
    )
    @api_errors
    async def my_lottery_draws(
        self,
        info: Info,
        activity_id: Annotated[strawberry.ID | None, strawberry.argument(description="Only this lottery.")] = None,
        first: Annotated[int, strawberry.argument(description="Page size.")] = 20,
        after: Annotated[str | None, strawberry.argument(description="Cursor from the previous page.")] = None,
    ) -> Connection[LotteryDraw]:
        aid = None if activity_id is None else parse_id(activity_id, "activityId", of="LotteryActivity")
        page = await paginate(lottery.my_draws(viewer(info).id, aid), first, after)
        return to_connection(page, lambda row: LotteryDraw(row=row))


def _activity_data(data: LotteryActivityInput) -> lottery.ActivityData:
    return lottery.ActivityData(
        name=data.name,
        cost_points=data.cost_points,
        starts_at=data.starts_at,
        ends_at=data.ends_at,
        daily_limit=data.daily_limit,
        prizes=tuple(
            lottery.PrizeData(
                name=p.name,
                kind=p.kind.value,
                probability_ppm=p.probability_ppm,
                amount=p.amount,
                coupon_template_id=None
                if p.coupon_template_id is None
                else parse_id(p.coupon_template_id, f"prizes[{i}].couponTemplateId", of="CouponTemplate"),
                stock=p.stock,
            )
            for i, p in enumerate(data.prizes)
        ),
    )


@strawberry.type
class LotteryMutations:
    @strawberry.mutation(
        description="Create a points lottery (marketing.manage): its prizes and its secret seed are fixed now, the "
        "seed's sha256 published at once.",
        extensions=login_required(),
    )
    @payload_errors
    async def create_lottery_activity(
        self, info: Info, input: Annotated[LotteryActivityInput, strawberry.argument(description="The lottery.")]
    ) -> LotteryActivityPayload:
        made = await lottery.create_activity(await info.context.grants(), viewer(info).id, _activity_data(input))
        return LotteryActivityPayload(activity=await activity_node(made.id))

    @strawberry.mutation(
        description="Close a points lottery now (marketing.manage): no more draws, its seed is revealed.",
        extensions=login_required(),
    )
    @payload_errors
    async def end_lottery_activity(
        self, info: Info, id: Annotated[strawberry.ID, strawberry.argument(description="The lottery.")]
    ) -> LotteryActivityPayload:
        ended = await lottery.end_activity(await info.context.grants(), parse_id(id, of="LotteryActivity"))
        return LotteryActivityPayload(activity=await activity_node(ended.id))

    @strawberry.mutation(
        description="Draw once: the cost in points, the draw and its prize in one transaction.",
        extensions=login_required(),
    )
    @payload_errors
    async def draw_lottery(
        self,
        info: Info,
        activity_id: Annotated[strawberry.ID, strawberry.argument(description="The lottery.")],
    ) -> DrawLotteryPayload:
        made = await lottery.draw(viewer(info).id, parse_id(activity_id, "activityId", of="LotteryActivity"))
        return DrawLotteryPayload(draw=LotteryDraw(row=made))
