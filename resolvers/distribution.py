"""Three-level distribution (DIS-1, DIS-2, DIS-4): settings, my commissions, risk review."""

from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry.types import Info

from resolvers.common import api_errors, login_required, parse_id, payload_errors, requires, viewer
from schema.money import Money
from schema.pagination import Connection, to_connection
from schema.types.distribution import (
    Commission,
    CommissionPayload,
    CommissionStatus,
    CommissionSummary,
    DistributionSettings,
    DistributionSettingsInput,
    DistributionSettingsPayload,
)
from services.core.pagination import paginate
from services.distribution import commissions


@strawberry.type
class DistributionQueries:
    @strawberry.field(
        description="The distribution settings in force (distribution.manage).",
        extensions=requires("distribution.manage"),
    )
    async def distribution_settings(self) -> DistributionSettings:
        return DistributionSettings.from_view(await commissions.current_settings())

    @strawberry.field(
        description="My commissions, newest first: order, masked buyer, level, base, amount, reversals, status.",
        extensions=login_required(),
    )
    @api_errors
    async def my_commissions(
        self,
        info: Info,
        status: Annotated[
            CommissionStatus | None, strawberry.argument(description="Only commissions in this state.")
        ] = None,
        first: Annotated[int, strawberry.argument(description="Page size.")] = 20,
        after: Annotated[str | None, strawberry.argument(description="Cursor from the previous page.")] = None,
    ) -> Connection[Commission]:
        qs = commissions.my_commissions(viewer(info).id, status.value if status else None)
        return to_connection(await paginate(qs, first, after))

    @strawberry.field(
        description="My commission totals: pending, available, reversed, rejected, and any debt.",
        extensions=login_required(),
    )
    async def my_commission_summary(self, info: Info) -> CommissionSummary:
        s = await commissions.summary(viewer(info).id)
        return CommissionSummary(
            pending=Money.from_fen(s.pending),
            available=Money.from_fen(s.available),
            reversed=Money.from_fen(s.reversed),
            rejected=Money.from_fen(s.rejected),
            debt=Money.from_fen(s.debt),
        )


@strawberry.type
class DistributionMutations:
    @strawberry.mutation(
        description="Replace the distribution settings: levels (at most 3), per-level rules, grade rules, "
        "self-purchase, freeze period (distribution.manage; audited).",
        extensions=requires("distribution.manage"),
    )
    @payload_errors
    async def update_distribution_settings(
        self,
        info: Info,
        input: Annotated[DistributionSettingsInput, strawberry.argument(description="The new settings.")],
    ) -> DistributionSettingsPayload:
        view = await commissions.update_settings(
            await info.context.grants(),
            viewer(info).id,
            levels=input.levels,
            rules=[(r.level, r.kind.value, r.value()) for r in input.rules],
            grade_rules=[(r.grade.strip().upper(), r.level, r.kind.value, r.value()) for r in input.grade_rules],
            self_purchase=input.self_purchase,
            freeze_days=input.freeze_days,
        )
        return DistributionSettingsPayload(settings=DistributionSettings.from_view(view))

    @strawberry.mutation(
        description="Risk review: reject a pending commission with a reason; its money goes back to who paid it "
        "(distribution.manage).",
        extensions=requires("distribution.manage"),
    )
    @payload_errors
    async def reject_commission(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="The commission.")],
        reason: Annotated[str, strawberry.argument(description="Why (1-256 characters), shown to the beneficiary.")],
    ) -> CommissionPayload:
        return CommissionPayload(
            commission=await commissions.reject(
                await info.context.grants(), viewer(info).id, parse_id(id, "id", of="Commission"), reason
            )
        )
