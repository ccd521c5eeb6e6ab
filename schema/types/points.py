"""The points mall's statistics and the points lottery (MKT-4)."""

from __future__ import annotations

from datetime import datetime
from enum import Enum

import strawberry

from models import marketing as m
from schema.errors import UserError
from schema.money import Money
from schema.node import Node, codec, node_id, ref
from services.core import clock
from services.marketing import lottery, points_mall

_product_id = codec("Product").encode
_activity_id = codec("LotteryActivity").encode
_draw_id = codec("LotteryDraw").encode
_template_ref = ref("CouponTemplate")
_coupon_ref = ref("UserCoupon")


@strawberry.type(description="One points-mall product's exchanges over the range (paid, less what was refunded).")
class PointsExchangeRow:
    row: strawberry.Private[points_mall.ExchangeRow]

    @strawberry.field(description="The product.")
    def product_id(self) -> strawberry.ID:
        return _product_id(self.row.product_id)

    @strawberry.field(description="Its title when exchanged.")
    def title(self) -> str:
        return self.row.title

    @strawberry.field(description="Orders with units of it kept.")
    def orders(self) -> int:
        return self.row.orders

    @strawberry.field(description="Units exchanged and not refunded.")
    def units(self) -> int:
        return self.row.units

    @strawberry.field(description="Points those units cost (refunded units' points excluded).")
    def points(self) -> int:
        return self.row.points

    @strawberry.field(description="The cash part those units paid.")
    def cash_amount(self) -> Money:
        return Money.from_fen(self.row.cash)

    @strawberry.field(description="Points paid for the shipping of those orders.")
    def shipping_points(self) -> int:
        return self.row.shipping_points


@strawberry.enum(description="What a lottery prize gives.")
class LotteryPrizeKind(Enum):
    POINTS = strawberry.enum_value("POINTS", description="Points, credited at once.")
    COINS = strawberry.enum_value("COINS", description="Shopping coins, credited at once.")
    COUPON = strawberry.enum_value("COUPON", description="One coupon of a platform coupon template.")
    NOTHING = strawberry.enum_value("NOTHING", description="No prize (谢谢参与).")


@strawberry.type(description="One prize of a lottery, fixed when the lottery was created.")
class LotteryPrize:
    row: strawberry.Private[m.LotteryPrize]

    @strawberry.field(description="Its place in the cumulative probability table (0 first).")
    def position(self) -> int:
        return self.row.position

    @strawberry.field(description="Its name.")
    def name(self) -> str:
        return self.row.name

    @strawberry.field(description="What it gives.")
    def kind(self) -> LotteryPrizeKind:
        return LotteryPrizeKind(self.row.kind)

    @strawberry.field(description="POINTS / COINS: how many.")
    def amount(self) -> int:
        return self.row.amount

    @strawberry.field(description="COUPON: the coupon template.")
    def coupon_template_id(self) -> strawberry.ID | None:
        return _template_ref(self.row.coupon_template_id)

    @strawberry.field(description="Its probability in parts per million (1000000 = certain).")
    def probability_ppm(self) -> int:
        return self.row.probability_ppm

    @strawberry.field(description="How many there are in all.")
    def stock(self) -> int:
        return self.row.stock

    @strawberry.field(description="How many are left: once none are, drawing it gives nothing.")
    def remaining(self) -> int:
        return max(self.row.stock - self.row.awarded, 0)


@strawberry.type(
    description="A points lottery (积分抽奖): a cost in points per draw, a schedule, a daily limit, prizes."
)
class LotteryActivity(Node):
    row: strawberry.Private[m.LotteryActivity]
    prize_rows: strawberry.Private[list[m.LotteryPrize]]

    id: strawberry.ID = node_id("LotteryActivity", "row.id", description="The lottery's id.")

    @strawberry.field(description="Its name.")
    def name(self) -> str:
        return self.row.name

    @strawberry.field(description="Points one draw costs.")
    def cost_points(self) -> int:
        return self.row.cost_points

    @strawberry.field(description="When drawing opens.")
    def starts_at(self) -> datetime:
        return self.row.starts_at

    @strawberry.field(description="When drawing closes (then the seed is revealed).")
    def ends_at(self) -> datetime:
        return self.row.ends_at

    @strawberry.field(description="Draws per user per business day.")
    def daily_limit(self) -> int:
        return self.row.daily_limit

    @strawberry.field(description="Whether one may draw now.")
    def is_open(self) -> bool:
        return self.row.starts_at <= clock.now() < self.row.ends_at

    @strawberry.field(
        description="sha256 (hex) of the secret seed, published before the lottery opens: the seed, once "
        "revealed, must hash to it."
    )
    def seed_hash(self) -> str:
        return self.row.seed_hash

    @strawberry.field(
        description="The seed (hex), once the lottery has closed; null before. Every draw is "
        "HMAC-SHA256(seed, 'activityId:userId:sequence') -> roll -> prize (docs/marketing.md); "
        "tools/verify_lottery.py recomputes them all."
    )
    def seed(self) -> str | None:
        return lottery.revealed_seed(self.row)

    @strawberry.field(description="Its prizes, in table order.")
    def prizes(self) -> list[LotteryPrize]:
        return [LotteryPrize(row=p) for p in self.prize_rows]


@strawberry.type(description="One draw of mine.")
class LotteryDraw(Node):
    row: strawberry.Private[m.LotteryDraw]

    id: strawberry.ID = node_id("LotteryDraw", "row.id", description="The draw's id.")

    @strawberry.field(description="The lottery.")
    def activity_id(self) -> strawberry.ID:
        return _activity_id(self.row.activity_id)

    @strawberry.field(description="My how-manieth draw in this lottery (1 first): an input of the draw function.")
    def sequence(self) -> int:
        return self.row.sequence

    @strawberry.field(description="The number drawn, 0 to 999999.")
    def roll(self) -> int:
        return self.row.roll

    @strawberry.field(description="The prize won; null: nothing.")
    def prize(self) -> LotteryPrize | None:
        return None if self.row.prize_id is None else LotteryPrize(row=self.row.prize)

    @strawberry.field(description="The roll fell on a prize that was out of stock: nothing instead.")
    def fell_back(self) -> bool:
        return self.row.fell_back

    @strawberry.field(description="Points the draw cost.")
    def cost_points(self) -> int:
        return self.row.cost_points

    @strawberry.field(description="COUPON prizes: the coupon I received.")
    def coupon_id(self) -> strawberry.ID | None:
        return _coupon_ref(self.row.user_coupon_id)

    @strawberry.field(description="When.")
    def created_at(self) -> datetime:
        return self.row.created_at


@strawberry.type(description="A recent win in a lottery (the winner masked).")
class LotteryWin:
    win: strawberry.Private[lottery.Win]

    @strawberry.field(description="The draw.")
    def draw_id(self) -> strawberry.ID:
        return _draw_id(self.win.draw.id)

    @strawberry.field(description="The winner's nickname, masked (阿*).")
    def winner(self) -> str:
        return self.win.winner

    @strawberry.field(description="The prize.")
    def prize(self) -> LotteryPrize:
        return LotteryPrize(row=self.win.draw.prize)

    @strawberry.field(description="When.")
    def won_at(self) -> datetime:
        return self.win.draw.created_at


@strawberry.input(description="One prize of a new lottery.")
class LotteryPrizeInput:
    name: str = strawberry.field(description="Its name, 1 to 64 characters.")
    kind: LotteryPrizeKind = strawberry.field(description="What it gives (products are not prizes yet).")
    probability_ppm: int = strawberry.field(
        description="Parts per million; all the prizes' together at most 1000000 (the rest: nothing)."
    )
    amount: int = strawberry.field(default=0, name="units", description="POINTS / COINS: how many points or coins.")
    coupon_template_id: strawberry.ID | None = strawberry.field(
        default=None, description="COUPON: a platform coupon template."
    )
    stock: int = strawberry.field(default=0, description="How many there are (NOTHING: ignored).")


@strawberry.input(description="A new points lottery; its prizes and seed are fixed from then on.")
class LotteryActivityInput:
    name: str = strawberry.field(description="1 to 64 characters.")
    cost_points: int = strawberry.field(description="Points one draw costs (0 or more).")
    starts_at: datetime = strawberry.field(description="When drawing opens.")
    ends_at: datetime = strawberry.field(description="When drawing closes (in the future).")
    daily_limit: int = strawberry.field(description="Draws per user per business day, 1 to 1000.")
    prizes: list[LotteryPrizeInput] = strawberry.field(description="1 to 20 prizes, in table order.")


@strawberry.type(description="Outcome of creating or ending a lottery.")
class LotteryActivityPayload:
    activity: LotteryActivity | None = strawberry.field(default=None, description="The lottery.")
    errors: list[UserError] = strawberry.field(default_factory=list, description="Why it failed; empty on success.")


@strawberry.type(description="Outcome of a draw.")
class DrawLotteryPayload:
    draw: LotteryDraw | None = strawberry.field(default=None, description="The draw, with what it won.")
    errors: list[UserError] = strawberry.field(default_factory=list, description="Why it failed; empty on success.")
