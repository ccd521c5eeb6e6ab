"""Group buying (MKT-3, 拼团): activities, teams with their masked members, seats and time left,
the buy mutation's input, management inputs and per-activity statistics."""

from __future__ import annotations

from datetime import datetime
from enum import Enum

import strawberry
from strawberry.types import Info

from models.marketing import GroupActivity as GroupActivityRow
from schema.errors import UserError
from schema.money import Amount, Money
from schema.node import Node, node_id, ref
from schema.types.catalog import Product
from schema.types.orders import PickupChoiceInput
from services.marketing import group as svc
from services.marketing import group_rules as rules

_sku_ref = ref("Sku")
_merchant_ref = ref("Merchant")
_activity_ref = ref("GroupActivity")


@strawberry.enum(description="Where a group-buy team is.")
class GroupTeamStatus(Enum):
    PENDING = strawberry.enum_value("PENDING", description="Its leader has not paid yet: nobody can join.")
    OPEN = strawberry.enum_value("OPEN", description="Open to join until endsAt.")
    FORMED = strawberry.enum_value(
        "FORMED", description="Full (or formed at its time limit): its orders are fulfilled."
    )
    FAILED = strawberry.enum_value("FAILED", description="Its time ran out unfilled: every member was refunded.")
    CANCELLED = strawberry.enum_value("CANCELLED", description="Its leader's order was cancelled unpaid.")


@strawberry.type(description="A group buy (拼团): one SKU at a group price for teams of teamSize buyers.")
class GroupActivity(Node):
    row: strawberry.Private[GroupActivityRow]

    id: strawberry.ID = node_id("GroupActivity", "row.id", description="The group activity's id.")

    @strawberry.field(description="Its name.")
    def name(self) -> str:
        return self.row.name

    @strawberry.field(description="The SKU sold.")
    def sku_id(self) -> strawberry.ID:
        return _sku_ref(self.row.sku_id)

    @strawberry.field(description="The SKU's product.")
    async def product(self, info: Info) -> Product:
        return await info.context.loaders.product.load(self.row.product_id)

    @strawberry.field(description="The merchant selling it.")
    def merchant_id(self) -> strawberry.ID:
        return _merchant_ref(self.row.merchant_id)

    @strawberry.field(description="The price of one unit in a team.")
    def group_price(self) -> Money:
        return Money.from_fen(self.row.group_price)

    @strawberry.field(description="Members a team needs to be formed.")
    def team_size(self) -> int:
        return self.row.team_size

    @strawberry.field(description="Minutes a team has to fill up, from its leader's payment.")
    def time_limit_minutes(self) -> int:
        return self.row.time_limit_minutes

    @strawberry.field(description="Units one buyer may hold in the activity.")
    def per_user_limit(self) -> int:
        return self.row.per_user_limit

    @strawberry.field(description="When teams may be opened from.")
    def starts_at(self) -> datetime:
        return self.row.starts_at

    @strawberry.field(description="When teams may be opened until (exclusive); open teams run to their own end.")
    def ends_at(self) -> datetime:
        return self.row.ends_at

    @strawberry.field(description="Withdrawn by its manager.")
    def ended(self) -> bool:
        return self.row.status == svc.ENDED


@strawberry.type(description="A seat of a team, as anyone sees it.")
class GroupMember:
    name: str = strawberry.field(description="The member's nickname, masked (张**).")
    leader: bool = strawberry.field(description="Opened the team.")
    paid: bool = strawberry.field(description="The seat is paid (an unpaid seat is released at the payment time-out).")


@strawberry.type(
    description="A group-buy team: its members, seats left and time left (live: the groupTeam subscription)."
)
class GroupTeam(Node):
    view: strawberry.Private[svc.TeamView]

    id: strawberry.ID = node_id("GroupTeam", "view.team.id", description="The team's id: its share link carries it.")

    @strawberry.field(description="Its activity.")
    def activity(self) -> GroupActivity:
        return GroupActivity(row=self.view.activity)

    @strawberry.field(description="Where the team is.")
    def status(self) -> GroupTeamStatus:
        return GroupTeamStatus(self.view.team.status)

    @strawberry.field(description="Members it needs.")
    def size(self) -> int:
        return self.view.team.size

    @strawberry.field(description="Its members holding seats (paid or not yet), in order of joining.")
    def members(self) -> list[GroupMember]:
        return [GroupMember(name=s.name, leader=s.leader, paid=s.paid) for s in self.view.members]

    @strawberry.field(description="Seats nobody holds.")
    def seats_left(self) -> int:
        return self.view.seats_left

    @strawberry.field(description="Seats paid.")
    def paid_seats(self) -> int:
        return self.view.team.paid

    @strawberry.field(description="When its time runs out (null until its leader pays).")
    def ends_at(self) -> datetime | None:
        return self.view.team.ends_at

    @strawberry.field(description="Seconds until endsAt (0 when over or not started).")
    def seconds_left(self) -> int:
        return rules.seconds_left(self.view.team.ends_at, self.view.now)

    @strawberry.field(description="The server's time now: count down from it, not the device's.")
    def server_time(self) -> datetime:
        return self.view.now


@strawberry.input(description="Open a team (no teamId) or join one (its id from the share link) by checking out.")
class BuyGroupInput:
    group_activity_id: strawberry.ID = strawberry.field(description="The group activity.")
    team_id: strawberry.ID | None = strawberry.field(default=None, description="The team to join; omit to open one.")
    idempotency_key: str = strawberry.field(description="Client-made unique key (1-64 chars), as for placeOrder.")
    quantity: int = strawberry.field(default=1, description="Units (within the activity's per-user limit).")
    address_id: strawberry.ID | None = strawberry.field(
        default=None, description="Delivery address, needed unless picked up at a store."
    )
    pickup_stores: list[PickupChoiceInput] = strawberry.field(
        default_factory=list, description="Pick the goods up at a store of the merchant."
    )
    note: str = strawberry.field(default="", description="Note to the merchant, at most 256 characters.")
    coupon_ids: list[strawberry.ID] | None = strawberry.field(
        default=None, description="As placeOrder: the coupons to use; null: the best; empty: none."
    )
    coins: int = strawberry.field(default=0, description="Shopping coins to spend, as placeOrder.")


@strawberry.input(description="A new group buy of one SKU.")
class GroupActivityInput:
    sku_id: strawberry.ID = strawberry.field(description="The SKU (listed physical retail goods; a merchant's own).")
    name: str = strawberry.field(description="1 to 64 characters.")
    group_price: Amount = strawberry.field(description="The unit price in a team, above 0 and below the SKU's price.")
    team_size: int = strawberry.field(description="Members a team needs, 2 to 100.")
    time_limit_minutes: int = strawberry.field(description="Minutes a team has to fill up, 5 to 10080.")
    starts_at: datetime = strawberry.field(description="When teams may be opened from.")
    ends_at: datetime = strawberry.field(description="When teams may be opened until (after startsAt, in the future).")
    per_user_limit: int = strawberry.field(default=1, description="Units one buyer may hold in it, 1 to 100.")


@strawberry.input(description="Changes to a group buy (omitted fields stay).")
class GroupActivityUpdateInput:
    name: str | None = strawberry.field(default=None, description="1 to 64 characters.")
    ends_at: datetime | None = strawberry.field(default=None, description="A new end (after the start, in the future).")
    per_user_limit: int | None = strawberry.field(default=None, description="1 to 100.")


@strawberry.type(description="Outcome of a group activity change.")
class GroupActivityPayload:
    activity: GroupActivity | None = strawberry.field(default=None, description="The activity after the change.")
    errors: list[UserError] = strawberry.field(default_factory=list, description="Why it failed; empty on success.")


@strawberry.type(description="A group activity's figures.")
class GroupActivityStats:
    activity_id: strawberry.ID = strawberry.field(description="The activity.")
    teams_opened: int = strawberry.field(description="Teams whose leader paid.")
    teams_formed: int = strawberry.field(description="Teams formed.")
    teams_failed: int = strawberry.field(description="Teams failed (refunded).")
    teams_open: int = strawberry.field(description="Teams still filling up.")
    paid_units: int = strawberry.field(description="Units of paid group orders, less refunded ones.")
    gmv: Money = strawberry.field(description="What the paid group lines paid, less refunds.")
    discount_cost: Money = strawberry.field(description="Below the list price on those units.")

    @classmethod
    def of(cls, s: svc.ActivityStats) -> GroupActivityStats:
        return cls(
            activity_id=_activity_ref(s.activity.id),
            teams_opened=s.teams_opened,
            teams_formed=s.teams_formed,
            teams_failed=s.teams_failed,
            teams_open=s.teams_open,
            paid_units=s.paid_units,
            gmv=Money.from_fen(s.gmv),
            discount_cost=Money.from_fen(s.discount_cost),
        )
