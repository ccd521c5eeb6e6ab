"""The points mall's statistics and the points lottery (MKT-4): thin calls into services."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import strawberry
from strawberry.types import Info

from resolvers.common import api_errors, requires
from schema.types.points import PointsExchangeRow
from services.marketing import points_mall


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
