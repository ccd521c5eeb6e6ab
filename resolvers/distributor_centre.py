"""Becoming a distributor (DIS-3) and the distributor centre (DIS-5). Commission records are
`myCommissions` / `myCommissionSummary` (resolvers/distribution.py)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import strawberry
from strawberry.types import Info

from resolvers.common import api_errors, login_required, parse_id, payload_errors, requires, viewer
from schema.money import Money
from schema.pagination import Connection, to_connection
from schema.types.consignment_stats import StatsPeriod
from schema.types.distributor_centre import (
    DistributorApplication,
    DistributorApplicationPayload,
    DistributorApplicationStatus,
    DistributorMode,
    DistributorPerformance,
    DistributorSettings,
    DistributorSettingsInput,
    DistributorSettingsPayload,
    DistributorStatus,
    InviteLink,
    Leaderboard,
    LeaderboardBy,
    LeaderboardEntry,
    PerformanceBucket,
    PromotionBucket,
    PromotionStats,
    TeamCounts,
    TeamMember,
)
from services.core.pagination import paginate
from services.distribution import centre, distributors, leaderboard

PERIOD = Annotated[StatsPeriod, strawberry.argument(description="How to cut the range: DAY, WEEK or MONTH.")]
FROM = Annotated[date, strawberry.argument(name="from", description="First day, inclusive (business days, UTC+8).")]
TO = Annotated[date, strawberry.argument(description="Last day, inclusive (today at the latest).")]


async def _with_names(rows) -> list[DistributorApplication]:
    names = {u.id: u.nickname for u in (await distributors.users(r.user_id for r in rows)).values()} if rows else {}
    return [DistributorApplication.from_row(r, names.get(r.user_id, "")) for r in rows]


@strawberry.type
class DistributorCentreQueries:
    @strawberry.field(
        description="How users become distributors (distribution.manage).", extensions=requires("distribution.manage")
    )
    async def distributor_settings(self) -> DistributorSettings:
        return DistributorSettings.from_rules(await distributors.current_rules())

    @strawberry.field(
        description="Whether I am a distributor, my latest application, and what I still lack (THRESHOLD).",
        extensions=login_required(),
    )
    async def my_distributor_status(self, info: Info) -> DistributorStatus:
        s = await distributors.my_status(viewer(info).id)
        application = DistributorApplication.from_row(s.application, viewer(info).nickname) if s.application else None
        return DistributorStatus(
            mode=DistributorMode(s.mode),
            is_distributor=s.is_distributor,
            application=application,
            spent=Money.from_fen(s.spending.spent),
            paid_orders=s.spending.paid_orders,
            missing=s.missing,
        )

    @strawberry.field(
        description="The distributor review queue, newest first (distribution.manage).",
        extensions=requires("distribution.manage"),
    )
    @api_errors
    async def distributor_applications(
        self,
        status: Annotated[
            DistributorApplicationStatus | None, strawberry.argument(description="Only applications in this state.")
        ] = None,
        first: Annotated[int, strawberry.argument(description="Page size.")] = 20,
        after: Annotated[str | None, strawberry.argument(description="Cursor from the previous page.")] = None,
    ) -> Connection[DistributorApplication]:
        page = await paginate(distributors.applications(status.value if status else None), first, after)
        converted = {a.pk: a for a in await _with_names(page.items)}
        return to_connection(page, lambda row: converted[row.id])

    @strawberry.field(
        description="Number of distributor applications waiting for review (distribution.manage).",
        extensions=requires("distribution.manage"),
    )
    async def pending_distributor_applications(self) -> int:
        return await distributors.pending_review_count()

    @strawberry.field(
        description="My team's size per level (distributors; NOT_A_DISTRIBUTOR otherwise).", extensions=login_required()
    )
    @api_errors
    async def my_team_counts(self, info: Info) -> TeamCounts:
        await centre.require_distributor(viewer(info).id)
        counts = await centre.team_counts(viewer(info).id)
        return TeamCounts(level1=counts[1], level2=counts[2], level3=counts[3], total=sum(counts.values()))

    @strawberry.field(
        description="My team members at one level, newest first: masked name, when they joined, their paid orders.",
        extensions=login_required(),
    )
    @api_errors
    async def my_team(
        self,
        info: Info,
        level: Annotated[int, strawberry.argument(description="1, 2 or 3.")] = 1,
        first: Annotated[int, strawberry.argument(description="Page size.")] = 20,
        after: Annotated[str | None, strawberry.argument(description="Cursor from the previous page.")] = None,
    ) -> Connection[TeamMember]:
        await centre.require_distributor(viewer(info).id)
        page = await centre.team_page(viewer(info).id, level, first, after)
        return to_connection(page, TeamMember.from_member)

    @strawberry.field(
        description="My team's orders and my commissions by day, week or month (INVALID_DATE_RANGE for a bad range).",
        extensions=login_required(),
    )
    @api_errors
    async def my_distributor_performance(
        self, info: Info, period: PERIOD, from_: FROM, to: TO
    ) -> DistributorPerformance:
        await centre.require_distributor(viewer(info).id)
        rows = await centre.performance(viewer(info).id, period.value, from_, to)
        return DistributorPerformance(
            period=period,
            buckets=[PerformanceBucket.from_row(r) for r in rows],
            total=PerformanceBucket.from_row(centre.total(rows, centre.Performance)),
        )

    @strawberry.field(
        description="My tracking link's clicks, sign-ups, buyers and conversion rates by day, week or month.",
        extensions=login_required(),
    )
    @api_errors
    async def my_promotion_stats(self, info: Info, period: PERIOD, from_: FROM, to: TO) -> PromotionStats:
        await centre.require_distributor(viewer(info).id)
        rows = await centre.promotion(viewer(info).id, period.value, from_, to)
        return PromotionStats(
            period=period,
            buckets=[PromotionBucket.from_row(r) for r in rows],
            total=PromotionBucket.from_row(centre.total(rows, centre.Promotion)),
        )

    @strawberry.field(description="My invite link (a tracking link) and its QR code.", extensions=login_required())
    @api_errors
    async def my_invite_link(self, info: Info) -> InviteLink:
        await centre.require_distributor(viewer(info).id)
        return InviteLink.from_invite(centre.invite_for(viewer(info)))

    @strawberry.field(
        description="Top distributors of the day, week or month containing `on` (default today), names masked.",
        extensions=login_required(),
    )
    @api_errors
    async def distributor_leaderboard(
        self,
        info: Info,
        by: Annotated[LeaderboardBy, strawberry.argument(description="COMMISSION or NEW_MEMBERS.")],
        period: PERIOD,
        on: Annotated[date | None, strawberry.argument(description="A day of the period; default today.")] = None,
        limit: Annotated[int, strawberry.argument(description="How many places (1 to the cap, default 10).")] = 10,
    ) -> Leaderboard:
        first, last, entries = await leaderboard.leaderboard(by.value, period.value, on, limit)
        me = viewer(info).id
        return Leaderboard(
            by=by,
            period=period,
            start=first,
            end=last,
            entries=[
                LeaderboardEntry(
                    rank=e.rank,
                    masked_name=e.masked_name,
                    new_members=e.value if by == LeaderboardBy.NEW_MEMBERS else None,
                    is_me=e.user_id == me,
                    amount=Money.from_fen(e.value) if by == LeaderboardBy.COMMISSION else None,
                )
                for e in entries
            ],
        )


@strawberry.type
class DistributorCentreMutations:
    @strawberry.mutation(
        description="Apply to become a distributor. THRESHOLD: accepted at once or refused with "
        "DISTRIBUTOR_THRESHOLD_NOT_MET; APPROVAL: waits for review. ALREADY_DISTRIBUTOR (also in AUTO mode), "
        "DISTRIBUTOR_APPLICATION_PENDING.",
        extensions=login_required(),
    )
    @payload_errors
    async def apply_for_distributor(self, info: Info) -> DistributorApplicationPayload:
        row = await distributors.apply(viewer(info).id)
        return DistributorApplicationPayload(application=DistributorApplication.from_row(row, viewer(info).nickname))

    @strawberry.mutation(
        description="Approve (grants the distributor role) or reject (reason required) a pending application "
        "(distribution.manage; recorded on the application).",
        extensions=requires("distribution.manage"),
    )
    @payload_errors
    async def review_distributor_application(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="The application.")],
        approve: Annotated[bool, strawberry.argument(description="True to approve, false to reject.")],
        reason: Annotated[str, strawberry.argument(description="Why (1-256 characters; required to reject).")] = "",
    ) -> DistributorApplicationPayload:
        row = await distributors.review(
            await info.context.grants(),
            viewer(info).id,
            parse_id(id, "id", of="DistributorApplication"),
            approve=approve,
            reason=reason,
        )
        return DistributorApplicationPayload(application=(await _with_names([row]))[0])

    @strawberry.mutation(
        description="Set how users become distributors (distribution.manage; audited).",
        extensions=requires("distribution.manage"),
    )
    @payload_errors
    async def update_distributor_settings(
        self,
        info: Info,
        input: Annotated[DistributorSettingsInput, strawberry.argument(description="The new settings.")],
    ) -> DistributorSettingsPayload:
        rules = await distributors.update_settings(
            await info.context.grants(),
            viewer(info).id,
            mode=input.mode.value,
            min_spent=input.min_spent,
            min_paid_orders=input.min_paid_orders,
            match=input.match.value,
        )
        return DistributorSettingsPayload(settings=DistributorSettings.from_rules(rules))
