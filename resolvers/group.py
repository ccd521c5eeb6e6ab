"""Group buying (MKT-3): thin calls into services.marketing.group and the checkout."""

from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry.types import Info

from resolvers import activity_checkout
from resolvers.common import MERCHANT_IDS, api_errors, login_required, parse_id, payload_errors, viewer
from schema.types.group import (
    BuyGroupInput,
    GroupActivity,
    GroupActivityInput,
    GroupActivityPayload,
    GroupActivityStats,
    GroupActivityUpdateInput,
    GroupTeam,
)
from schema.types.orders import PlaceOrderPayload
from services.marketing import activities, group

ACTIVITY_ID = Annotated[strawberry.ID, strawberry.argument(description="The group activity.")]
PRODUCT_ID = Annotated[strawberry.ID, strawberry.argument(description="The product.")]
MAX_LISTED = 200


@strawberry.type
class GroupQueries:
    @strawberry.field(description="A product's group buys open now (anyone).")
    @api_errors
    async def group_activities(self, product_id: PRODUCT_ID) -> list[GroupActivity]:
        rows = await group.activities_of_product(parse_id(product_id, "productId", of="Product"))
        return [GroupActivity(row=r) for r in rows]

    @strawberry.field(description="A group-buy team by id (its share link): members (masked), seats and time left.")
    @api_errors
    async def group_team(
        self, id: Annotated[strawberry.ID, strawberry.argument(description="The team.")]
    ) -> GroupTeam | None:
        view = await group.team_view(parse_id(id, of="GroupTeam"))
        return None if view is None else GroupTeam(view=view)

    @strawberry.field(
        description="Open teams of a product's group buys that are nearly full (at most GROUP_SUGGEST_SEATS_LEFT seats left), fewest seats left first: suggest them to a new buyer."
    )
    @api_errors
    async def group_teams_to_join(
        self,
        product_id: PRODUCT_ID,
        first: Annotated[int, strawberry.argument(description="At most this many, 1 to 20.")] = 5,
    ) -> list[GroupTeam]:
        views = await group.suggested_teams(parse_id(product_id, "productId", of="Product"), first)
        return [GroupTeam(view=v) for v in views]

    @strawberry.field(
        description="Group activities managed by the viewer: the platform's marketing.manage sees every one (or a merchant's), a merchant's merchant.marketing staff their own; newest first, at most 200.",
        extensions=login_required(),
    )
    @api_errors
    async def managed_group_activities(
        self,
        info: Info,
        merchant_id: Annotated[
            strawberry.ID | None, strawberry.argument(description="Only this merchant's activities.")
        ] = None,
    ) -> list[GroupActivity]:
        mid = parse_id(merchant_id, "merchantId", of=MERCHANT_IDS) if merchant_id is not None else None
        rows = await group.managed_activities(await info.context.grants(), mid).order_by("-id").limit(MAX_LISTED)
        return [GroupActivity(row=r) for r in rows]

    @strawberry.field(
        description="A group activity's figures: teams opened, formed, failed and open, paid units, GMV and discount cost (its managers).",
        extensions=login_required(),
    )
    @api_errors
    async def group_activity_stats(self, info: Info, id: ACTIVITY_ID) -> GroupActivityStats:
        pk = parse_id(id, of="GroupActivity")
        return GroupActivityStats.of(await group.activity_stats(await info.context.grants(), pk))


@strawberry.type
class GroupMutations:
    @strawberry.mutation(
        description="Open a group-buy team (no teamId) or join one, checking out as placeOrder does at the group price; the seat counts once paid (pay within the payment time-out, or it is released). GROUP_TEAM_FULL / GROUP_TEAM_CLOSED / GROUP_NOT_OPEN / LIMIT_REACHED refuse.",
        extensions=login_required(),
    )
    @payload_errors
    async def buy_group(
        self, info: Info, input: Annotated[BuyGroupInput, strawberry.argument(description="The group checkout.")]
    ) -> PlaceOrderPayload:
        team_id = parse_id(input.team_id, "teamId", of="GroupTeam") if input.team_id is not None else 0
        ticket = activities.Ticket(
            group.KIND,
            parse_id(input.group_activity_id, "groupActivityId", of="GroupActivity"),
            0,
            input.quantity,
            target_id=team_id,
        )
        return await activity_checkout.buy(info, input, ticket)

    @strawberry.mutation(
        description="Create a group buy of a SKU (marketing.manage, or the merchant's merchant.marketing for its own SKUs).",
        extensions=login_required(),
    )
    @payload_errors
    async def create_group_activity(
        self, info: Info, input: Annotated[GroupActivityInput, strawberry.argument(description="The activity.")]
    ) -> GroupActivityPayload:
        row = await group.create_activity(
            await info.context.grants(),
            viewer(info).id,
            group.ActivityData(
                sku_id=parse_id(input.sku_id, "skuId", of="Sku"),
                name=input.name,
                group_price=input.group_price,
                team_size=input.team_size,
                time_limit_minutes=input.time_limit_minutes,
                starts_at=input.starts_at,
                ends_at=input.ends_at,
                per_user_limit=input.per_user_limit,
            ),
        )
        return GroupActivityPayload(activity=GroupActivity(row=row))

    @strawberry.mutation(
        description="Change a group buy's name, end or per-user limit (its managers).", extensions=login_required()
    )
    @payload_errors
    async def update_group_activity(
        self,
        info: Info,
        id: ACTIVITY_ID,
        input: Annotated[GroupActivityUpdateInput, strawberry.argument(description="The changes.")],
    ) -> GroupActivityPayload:
        row = await group.update_activity(
            await info.context.grants(),
            parse_id(id, of="GroupActivity"),
            name=input.name,
            ends_at=input.ends_at,
            per_user_limit=input.per_user_limit,
        )
        return GroupActivityPayload(activity=GroupActivity(row=row))

    @strawberry.mutation(
        description="End a group buy: no new team or seat; open teams run to their time limit (its managers).",
        extensions=login_required(),
    )
    @payload_errors
    async def end_group_activity(self, info: Info, id: ACTIVITY_ID) -> GroupActivityPayload:
        row = await group.end_activity(await info.context.grants(), parse_id(id, of="GroupActivity"))
        return GroupActivityPayload(activity=GroupActivity(row=row))
