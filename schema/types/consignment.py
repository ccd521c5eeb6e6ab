"""Consignment resale types (CON-1..9): vouchers, wholesale units and their queue,
sales, policies, snap-up sessions."""

from __future__ import annotations

from datetime import datetime
from enum import Enum

import strawberry
from strawberry.types import Info

from models import consignment as m
from schema.errors import UserError
from schema.money import Money
from schema.node import Node, encode, node_id
from schema.types.catalog import Product
from services.core.masking import mask_name


@strawberry.enum(
    description="A voucher's state: UNUSED, RESERVED (held by an unpaid wholesale order), USED, EXPIRED, "
    "REVOKED (the retail purchase that granted it was refunded)."
)
class VoucherStatus(Enum):
    UNUSED = strawberry.enum_value("UNUSED", description="Can be used for a wholesale purchase until it expires.")
    RESERVED = strawberry.enum_value(
        "RESERVED", description="Held by an unpaid wholesale order; back to UNUSED if that order is cancelled."
    )
    USED = strawberry.enum_value("USED", description="Spent on a paid wholesale purchase.")
    EXPIRED = strawberry.enum_value("EXPIRED", description="Not used in time.")
    REVOKED = strawberry.enum_value(
        "REVOKED", description="Taken back: the retail purchase that granted it was refunded."
    )


@strawberry.enum(
    description="WHOLESALE (granted by the retail zone, model 1.0) or DISCOUNT (granted by the member zone, model 2.0)."
)
class VoucherKind(Enum):
    WHOLESALE = strawberry.enum_value("WHOLESALE", description="Granted by the retail zone (model 1.0).")
    DISCOUNT = strawberry.enum_value("DISCOUNT", description="Granted by the member zone (model 2.0).")


@strawberry.enum(
    description="What became of a wholesale unit: UNDECIDED (the owner has not chosen), PICKUP (kept, delivered with "
    "its order), QUEUED (consigned, waiting in the queue), MATCHED (sold; proceeds frozen until the sale is final), "
    "SETTLED (proceeds available in the wallet), REFUNDED (the wholesale purchase was refunded)."
)
class UnitStatus(Enum):
    UNDECIDED = strawberry.enum_value("HELD", description="Bought; the owner has not chosen pickup or consignment.")
    PICKUP = strawberry.enum_value("PICKUP", description="Kept: delivered with its order.")
    QUEUED = strawberry.enum_value("QUEUED", description="Consigned: waiting in its product's queue.")
    MATCHED = strawberry.enum_value("MATCHED", description="Sold; the proceeds are frozen until the sale is final.")
    SETTLED = strawberry.enum_value("SETTLED", description="The proceeds are available in the wallet.")
    REFUNDED = strawberry.enum_value("REFUNDED", description="The wholesale purchase was refunded.")


@strawberry.enum(
    description="How the consignment reward is set: FIXED, an amount per unit (rewardAmount), or PERCENT, basis points of the sale price (rewardRateBp)."
)
class RewardKind(Enum):
    FIXED = strawberry.enum_value("FIXED", description="A fixed amount per unit.")
    PERCENT = strawberry.enum_value("PERCENT", description="A share of the sale price in basis points.")


@strawberry.enum(
    description="Outcome of taking part in a snap-up session. FORFEIT: won, but the order was "
    "cancelled (unpaid in time): the unit went back to the session."
)
class SnapUpResult(Enum):
    WON = strawberry.enum_value("WON", description="Won a unit; an order was made to pay.")
    LOST = strawberry.enum_value("LOST", description="Won nothing (consolation coins, when set).")
    FORFEIT = strawberry.enum_value(
        "FORFEIT", description="Won, but the order was cancelled unpaid: the unit went back to the session."
    )


@strawberry.type(
    description="A wholesale voucher (批发券): the right to buy one wholesale unit at the wholesale price."
)
class Voucher(Node):
    id: strawberry.ID = node_id("Voucher", description="Voucher id.")
    kind: VoucherKind = strawberry.field(description="Which model granted it.")
    status: VoucherStatus = strawberry.field(description="Where it is in its life.")
    expires_at: datetime = strawberry.field(description="Unusable after this.")
    used_at: datetime | None = strawberry.field(description="When a paid wholesale order used it.")
    created_at: datetime = strawberry.field(description="When it was granted.")

    @strawberry.field(description="The wholesale product it is for; null: any wholesale product.")
    async def product(self: m.Voucher, info: Info) -> Product | None:
        return None if self.scope_product_id is None else await info.context.loaders.product.load(self.scope_product_id)


@strawberry.type(description="One unit bought in the wholesale zone, and what became of it (CON-2..6).")
class WholesaleUnit(Node):
    id: strawberry.ID = node_id("WholesaleUnit", description="Unit id.")
    status: UnitStatus = strawberry.field(description="Held, kept, queued, sold or settled.")
    consigned_at: datetime | None = strawberry.field(description="When it joined the queue.")
    matched_at: datetime | None = strawberry.field(description="When it was sold.")
    settled_at: datetime | None = strawberry.field(description="When its proceeds became available.")
    created_at: datetime = strawberry.field(description="When it was bought.")

    @strawberry.field(description="Wholesale price paid for it.")
    def cost(self: m.WholesaleUnit) -> Money:
        return Money.from_fen(self.cost)

    @strawberry.field(description="The order line it was bought on.")
    def order_line_id(self: m.WholesaleUnit) -> strawberry.ID:
        return encode("OrderLine", self.order_line_id)

    @strawberry.field(description="The wholesale product.")
    async def product(self: m.WholesaleUnit, info: Info) -> Product | None:
        return await info.context.loaders.product.load(self.product_id)

    @strawberry.field(description="Sale details once sold (MATCHED or SETTLED).")
    async def sale(self: m.WholesaleUnit, info: Info) -> ConsignmentSale | None:
        if self.status not in ("MATCHED", "SETTLED"):
            return None
        buyer = await info.context.loaders.user.load(self.buyer_id)
        return ConsignmentSale(
            buyer_nickname=mask_name(buyer.nickname if buyer else ""),
            quantity=1,
            sale_price=Money.from_fen(self.sale_price),
            fee=Money.from_fen(self.fee),
            proceeds=Money.from_fen(self.sale_price - self.fee),
            reward=Money.from_fen(self.reward),
            sold_at=self.matched_at,
            paid_out=self.status == "SETTLED",
        )


@strawberry.type(description="Who bought a consigned unit and what the seller gets (CON-6).")
class ConsignmentSale:
    buyer_nickname: str = strawberry.field(description="The retail buyer, masked.")
    quantity: int = strawberry.field(description="Units in this sale (one unit per record).")
    sale_price: Money = strawberry.field(description="Retail price the unit sold at.")
    fee: Money = strawberry.field(description="Platform consignment fee.")
    proceeds: Money = strawberry.field(description="Sale price minus fee, the seller's.")
    reward: Money = strawberry.field(description="Consignment reward (挂售奖励) on top.")
    sold_at: datetime = strawberry.field(description="When it sold.")
    paid_out: bool = strawberry.field(
        description="False: frozen until the retail order is final; true: available in the wallet."
    )


@strawberry.type(description="One of my queued units and its place in its product's queue.")
class QueuePosition:
    unit: WholesaleUnit = strawberry.field(description="The consigned unit.")
    position: int = strawberry.field(description="1: the next retail sale takes it (referrer priority aside).")


@strawberry.type(description="A live update of my place in one product's queue.")
class QueuePositionsUpdate:
    product_id: strawberry.ID = strawberry.field(description="The wholesale product whose queue this is.")
    positions: list[QueuePosition] = strawberry.field(description="My units still queued, with their positions.")
    sold_unit_ids: list[strawberry.ID] = strawberry.field(description="My units sold since the previous update.")


@strawberry.type(description="Consignment fee and reward for one wholesale product (a platform setting otherwise).")
class ConsignmentPolicy:
    product_id: strawberry.ID = strawberry.field(description="The wholesale product.")
    fee_bp: int = strawberry.field(description="Platform fee in basis points of the sale price (2000 = 20 %).")
    reward_kind: RewardKind = strawberry.field(description="Fixed or percentage reward.")
    reward_amount: Money | None = strawberry.field(description="FIXED: the reward per unit; null for PERCENT.")
    reward_rate_bp: int | None = strawberry.field(
        description="PERCENT: the reward, basis points of the sale price; null for FIXED."
    )


@strawberry.type(description="A wholesale snap-up session (抢购, CON-7).")
class SnapUpSession(Node):
    id: strawberry.ID = node_id("SnapUpSession", description="Session id.")
    starts_at: datetime = strawberry.field(description="Opens.")
    ends_at: datetime = strawberry.field(description="Closes.")
    units: int = strawberry.field(description="Units on offer.")
    remaining: int = strawberry.field(description="Units not yet taken.")
    consolation_coins: int = strawberry.field(description="Shopping coins for a voucher holder who misses out.")

    @strawberry.field(description="The SKU on offer.")
    def sku_id(self: m.SnapUpSession) -> strawberry.ID:
        return encode("Sku", self.sku_id)

    @strawberry.field(description="The wholesale product.")
    async def product(self: m.SnapUpSession, info: Info) -> Product | None:
        return await info.context.loaders.product.load(self.product_id)


@strawberry.type(description="My result in a snap-up session.")
class SnapUpEntry:
    result: SnapUpResult = strawberry.field(description="Won a unit, or missed out.")
    coins: int = strawberry.field(description="Coins received for missing out.")

    @strawberry.field(description="WON: the wholesale order to pay.")
    def order_id(self: m.SnapUpEntry) -> strawberry.ID | None:
        return None if self.order_id is None else encode("Order", self.order_id)


@strawberry.input(description="A snap-up session to run.")
class SnapUpSessionInput:
    sku_id: strawberry.ID = strawberry.field(description="A SKU of a wholesale-zone product.")
    starts_at: datetime = strawberry.field(description="Opens.")
    ends_at: datetime = strawberry.field(description="Closes (after it opens, in the future).")
    units: int = strawberry.field(description="Units on offer, at most the SKU's stock.")
    consolation_coins: int = strawberry.field(default=0, description="Coins for each voucher holder who misses out.")


@strawberry.type(description="Outcome of a wholesale-unit mutation.")
class UnitsPayload:
    units: list[WholesaleUnit] = strawberry.field(default_factory=list, description="The units as they are now.")
    errors: list[UserError] = strawberry.field(default_factory=list, description="Why it failed; nothing changed.")


@strawberry.type(description="Outcome of setting a consignment policy.")
class ConsignmentPolicyPayload:
    policy: ConsignmentPolicy | None = strawberry.field(default=None, description="The policy now in force.")
    errors: list[UserError] = strawberry.field(default_factory=list, description="Why it failed; nothing changed.")


@strawberry.type(description="Outcome of creating a snap-up session.")
class SnapUpSessionPayload:
    session: SnapUpSession | None = strawberry.field(default=None, description="The session.")
    errors: list[UserError] = strawberry.field(default_factory=list, description="Why it failed; nothing changed.")


@strawberry.type(description="Outcome of taking part in a snap-up session.")
class SnapUpEntryPayload:
    entry: SnapUpEntry | None = strawberry.field(default=None, description="My result.")
    errors: list[UserError] = strawberry.field(
        default_factory=list, description="Why I could not take part; nothing changed."
    )
