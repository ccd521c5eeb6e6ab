"""Bargains (MKT-3, 砍价): activities, a user's bargain with its helps (helpers masked), the
current price and helps left with a server time to count down against, the buy input,
management inputs and per-activity statistics."""

from __future__ import annotations

from datetime import datetime
from enum import Enum

import strawberry
from strawberry.types import Info

from schema.errors import UserError
from schema.money import Amount, Money
from schema.node import Node, node_id, ref
from schema.types.catalog import Product
from schema.types.orders import PickupChoiceInput
from services.marketing import bargain as svc

_sku_ref = ref("Sku")
_merchant_ref = ref("Merchant")
_activity_ref = ref("BargainActivity")
_bargain_ref = ref("Bargain")


@strawberry.enum(description="Where a bargain is, now.")
class BargainState(Enum):
    OPEN = strawberry.enum_value("OPEN", description="Taking helps; the starter may buy at the current price.")
    FLOOR = strawberry.enum_value("FLOOR", description="At its floor price: no more helps; buy it before endsAt.")
    BOUGHT = strawberry.enum_value(
        "BOUGHT", description="Held by the starter's order (freed if it is cancelled unpaid)."
    )
    EXPIRED = strawberry.enum_value("EXPIRED", description="Its time limit passed (or the activity ended) unbought.")


@strawberry.type(
    description="A bargain activity (砍价): a SKU bargained from a start price down to a floor price by friends' helps."
)
class BargainActivity(Node):
    row: strawberry.Private[object]

    id: strawberry.ID = node_id("BargainActivity", "row.id", description="The activity's id.")

    @strawberry.field(description="Its name.")
    def name(self) -> str:
        return self.row.name

    @strawberry.field(description="The SKU bargained for.")
    def sku_id(self) -> strawberry.ID:
        return _sku_ref(self.row.sku_id)

    @strawberry.field(description="The SKU's product.")
    async def product(self, info: Info) -> Product:
        return await info.context.loaders.product.load(self.row.product_id)

    @strawberry.field(description="The merchant selling it.")
    def merchant_id(self) -> strawberry.ID:
        return _merchant_ref(self.row.merchant_id)

    @strawberry.field(description="The price a bargain starts from.")
    def start_price(self) -> Money:
        return Money.from_fen(self.row.start_price)

    @strawberry.field(description="The price after the last help.")
    def floor_price(self) -> Money:
        return Money.from_fen(self.row.floor_price)

    @strawberry.field(description="Helps that bring a bargain to its floor (a new user's help may count as more).")
    def helps_needed(self) -> int:
        return self.row.helps_needed

    @strawberry.field(description="A bargain's life from its start, in minutes.")
    def time_limit_minutes(self) -> int:
        return self.row.time_limit_minutes

    @strawberry.field(description="When bargains may start.")
    def starts_at(self) -> datetime:
        return self.row.starts_at

    @strawberry.field(description="When the activity ends: bargains end then at the latest.")
    def ends_at(self) -> datetime:
        return self.row.ends_at

    @strawberry.field(description="Withdrawn (no bargain starts, helps or buys).")
    def cancelled(self) -> bool:
        return self.row.status == svc.CANCELLED


@strawberry.type(description="A friend's help on a bargain (the helper's name masked).")
class BargainHelp:
    view: strawberry.Private[svc.HelpView]

    @strawberry.field(description="The helper's nickname, masked (e.g. 阿*).")
    def helper(self) -> str:
        return self.view.helper

    @strawberry.field(description="What this help cut.")
    def amount(self) -> Money:
        return Money.from_fen(self.view.help.amount)

    @strawberry.field(description="A new user's help (it may cut more).")
    def new_user(self) -> bool:
        return self.view.help.new_user

    @strawberry.field(description="When it came.")
    def created_at(self) -> datetime:
        return self.view.help.created_at


@strawberry.type(description="A user's bargain: share its id; friends' helps cut its price down to the floor.")
class Bargain(Node):
    view: strawberry.Private[svc.BargainView]

    id: strawberry.ID = node_id("Bargain", "view.bargain.id", description="The bargain's id (the share link's).")

    @strawberry.field(description="Its activity.")
    def activity(self) -> BargainActivity:
        return BargainActivity(row=self.view.activity)

    @strawberry.field(description="The price the starter buys at now.")
    def current_price(self) -> Money:
        return Money.from_fen(self.view.bargain.price)

    @strawberry.field(description="The floor price.")
    def floor_price(self) -> Money:
        return Money.from_fen(self.view.activity.floor_price)

    @strawberry.field(description="Helps still needed to reach the floor (as many ordinary helps).")
    def helps_left(self) -> int:
        return self.view.left

    @strawberry.field(description="Where it is now.")
    def state(self) -> BargainState:
        return BargainState(self.view.state)

    @strawberry.field(description="When it expires.")
    def ends_at(self) -> datetime:
        return self.view.bargain.expires_at

    @strawberry.field(description="The server's time now: count down from it, not the device's.")
    def server_time(self) -> datetime:
        return self.view.now

    @strawberry.field(description="The viewer started it (and may buy it).")
    def mine(self, info: Info) -> bool:
        user = info.context.viewer
        return user is not None and user.id == self.view.bargain.user_id

    @strawberry.field(description="Its helps, in order.")
    def helps(self) -> list[BargainHelp]:
        return [BargainHelp(view=h) for h in self.view.helps]


@strawberry.type(description="A bargain's progress, pushed as it changes.")
class BargainProgress:
    bargain_id: strawberry.ID = strawberry.field(description="The bargain.")
    current_price: Money = strawberry.field(description="Its price now.")
    helps_left: int = strawberry.field(description="Helps still needed.")
    state: BargainState = strawberry.field(description="Where it is now.")


@strawberry.input(description="Buy one's bargain at its current price: the normal checkout.")
class BuyBargainInput:
    bargain_id: strawberry.ID = strawberry.field(description="The bargain (the buyer's own).")
    idempotency_key: str = strawberry.field(description="Client-made unique key (1-64 chars), as for placeOrder.")
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


@strawberry.input(description="A new bargain activity.")
class BargainActivityInput:
    sku_id: strawberry.ID = strawberry.field(description="The SKU (listed retail goods; a merchant's own).")
    name: str = strawberry.field(description="1 to 64 characters.")
    start_price: Amount = strawberry.field(description="The price a bargain starts from, at most the SKU's price.")
    floor_price: Amount = strawberry.field(description="The price after the last help, above 0 and below the start.")
    helps_needed: int = strawberry.field(description="Helps to the floor, 1 to 100 (each cuts at least 0.01).")
    time_limit_minutes: int = strawberry.field(default=1440, description="A bargain's life, 1 to 10080 minutes.")
    starts_at: datetime = strawberry.field(description="When bargains may start.")
    ends_at: datetime = strawberry.field(description="When the activity ends (at most 366 days after its start).")


@strawberry.input(
    description="Changes to a bargain activity (absent: unchanged). Prices, helps and the limit only while no bargain exists."
)
class BargainActivityUpdateInput:
    name: str | None = strawberry.field(default=None, description="1 to 64 characters.")
    start_price: Amount | None = strawberry.field(default=None, description="The start price.")
    floor_price: Amount | None = strawberry.field(default=None, description="The floor price.")
    helps_needed: int | None = strawberry.field(default=None, description="Helps to the floor.")
    time_limit_minutes: int | None = strawberry.field(default=None, description="A bargain's life in minutes.")
    starts_at: datetime | None = strawberry.field(default=None, description="When bargains may start.")
    ends_at: datetime | None = strawberry.field(default=None, description="When the activity ends.")
    active: bool | None = strawberry.field(default=None, description="False withdraws it; true puts it back.")


@strawberry.type(description="Outcome of a bargain activity change.")
class BargainActivityPayload:
    activity: BargainActivity | None = strawberry.field(default=None, description="The activity after the change.")
    errors: list[UserError] = strawberry.field(default_factory=list, description="Why it failed; empty on success.")


@strawberry.type(description="Outcome of starting or helping a bargain.")
class BargainPayload:
    bargain: Bargain | None = strawberry.field(default=None, description="The bargain after it.")
    cut: Money | None = strawberry.field(default=None, description="What this help cut (helpBargain).")
    errors: list[UserError] = strawberry.field(default_factory=list, description="Why it failed; empty on success.")


@strawberry.type(description="A bargain activity's figures.")
class BargainActivityStats:
    activity_id: strawberry.ID = strawberry.field(description="The activity.")
    attempts: int = strawberry.field(description="Bargains started.")
    helps: int = strawberry.field(description="Friends' helps.")
    completed: int = strawberry.field(description="Bargains that reached the floor price.")
    bought: int = strawberry.field(description="Bargains held by an order (unpaid or paid).")
    paid: int = strawberry.field(description="Bargains whose order is paid.")
    gmv: Money = strawberry.field(description="What the paid bargain lines paid.")
    discount_cost: Money = strawberry.field(description="Below the SKU's price on the paid bargains (the cuts).")

    @classmethod
    def of(cls, s: svc.ActivityStats) -> BargainActivityStats:
        return cls(
            activity_id=_activity_ref(s.activity.id),
            attempts=s.attempts,
            helps=s.helps,
            completed=s.completed,
            bought=s.bought,
            paid=s.paid,
            gmv=Money.from_fen(s.gmv),
            discount_cost=Money.from_fen(s.discount_cost),
        )
