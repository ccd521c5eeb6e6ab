"""Promotions (MKT-2, MKT-6): 满减 and 满件折 tiers, limited-time prices and 满赠 gifts, by the platform or
a merchant, applied by the pricing pipeline at every checkout while ACTIVE and scheduled."""

from __future__ import annotations

from datetime import date, datetime
from enum import Enum

import strawberry

from models import marketing as m
from schema.errors import UserError
from schema.money import Amount, Money
from schema.node import Node, encode, node_id, ref
from schema.types.marketing import CouponScope, CouponScopeInput

_merchant_ref = ref("Merchant")


@strawberry.enum(description="What a promotion does.")
class PromotionKind(Enum):
    FULL_REDUCTION = strawberry.enum_value(
        "FULL_REDUCTION", description="满减: the covered goods reach a tier's threshold (money) -> its amount off."
    )
    QUANTITY_DISCOUNT = strawberry.enum_value(
        "QUANTITY_DISCOUNT", description="满件折: the covered units reach a tier's threshold -> its rate off."
    )
    LIMITED_PRICE = strawberry.enum_value(
        "LIMITED_PRICE", description="限时折扣: named SKUs or products sell at a lower unit price."
    )
    GIFT = strawberry.enum_value(
        "GIFT",
        description="满赠: the covered goods reach a tier's threshold (money) -> its gift is added as a free line.",
    )


@strawberry.enum(description="Where a promotion is in its life.")
class PromotionStatus(Enum):
    DRAFT = strawberry.enum_value("DRAFT", description="Created, not applied yet.")
    ACTIVE = strawberry.enum_value("ACTIVE", description="Applied to every checkout within its schedule.")
    PAUSED = strawberry.enum_value("PAUSED", description="Not applied for now.")
    ENDED = strawberry.enum_value("ENDED", description="Over for good.")


@strawberry.type(description="One tier of a promotion.")
class PromotionTier:
    threshold: Money | None = strawberry.field(description="FULL_REDUCTION: the covered goods reach this.")
    amount: Money | None = strawberry.field(description="FULL_REDUCTION: this much off.")
    units: int | None = strawberry.field(description="QUANTITY_DISCOUNT: the covered units reach this.")
    rate_bp: int | None = strawberry.field(description="QUANTITY_DISCOUNT: basis points off (1000 = 10 % off).")
    gift_sku_id: strawberry.ID | None = strawberry.field(default=None, description="GIFT: the SKU given free.")
    gift_quantity: int | None = strawberry.field(default=None, description="GIFT: units of it given.")

    @classmethod
    def of(cls, kind: str, tier: dict) -> PromotionTier:
        threshold, value = int(tier["threshold"]), int(tier["value"])
        if kind == "QUANTITY_DISCOUNT":
            return cls(threshold=None, amount=None, units=threshold, rate_bp=value)
        if kind == "GIFT":
            gift = tier["gift"]
            return cls(
                threshold=Money.from_fen(threshold),
                amount=None,
                units=None,
                rate_bp=None,
                gift_sku_id=encode("Sku", int(gift["sku"])),
                gift_quantity=int(gift["quantity"]),
            )
        return cls(threshold=Money.from_fen(threshold), amount=Money.from_fen(value), units=None, rate_bp=None)


@strawberry.type(description="A limited-time unit price of a SKU or a product.")
class PromotionPrice:
    sku_id: strawberry.ID | None = strawberry.field(description="The SKU (null: a product's price).")
    product_id: strawberry.ID | None = strawberry.field(description="The product (null: a SKU's price).")
    price: Money = strawberry.field(description="Its unit price during the promotion.")


@strawberry.type(description="A promotion of the platform (platform-funded) or of a merchant (merchant-funded).")
class Promotion(Node):
    row: strawberry.Private[m.Promotion]

    id: strawberry.ID = node_id("Promotion", "row.id", description="The promotion's id.")

    @strawberry.field(description="The merchant running (and funding) it; null: the platform.")
    def merchant_id(self) -> strawberry.ID | None:
        return _merchant_ref(self.row.merchant_id)

    @strawberry.field(description="Its name.")
    def name(self) -> str:
        return self.row.name

    @strawberry.field(description="What it does.")
    def kind(self) -> PromotionKind:
        return PromotionKind(self.row.kind)

    @strawberry.field(description="Its tiers, rising (FULL_REDUCTION, QUANTITY_DISCOUNT, GIFT).")
    def tiers(self) -> list[PromotionTier]:
        return [PromotionTier.of(self.row.kind, t) for t in self.row.tiers or ()]

    @strawberry.field(description="LIMITED_PRICE: the unit prices.")
    def prices(self) -> list[PromotionPrice]:
        prices = self.row.prices or {}
        return [
            PromotionPrice(sku_id=encode("Sku", int(k)), product_id=None, price=Money.from_fen(int(v)))
            for k, v in prices.get("skus", {}).items()
        ] + [
            PromotionPrice(sku_id=None, product_id=encode("Product", int(k)), price=Money.from_fen(int(v)))
            for k, v in prices.get("products", {}).items()
        ]

    @strawberry.field(description="Which goods it covers.")
    def scope(self) -> CouponScope:
        return CouponScope(stored=self.row.scope or {})

    @strawberry.field(description="Higher runs first.")
    def priority(self) -> int:
        return self.row.priority

    @strawberry.field(description="Takes only lines no other promotion touched, and keeps others off its lines.")
    def exclusive(self) -> bool:
        return self.row.exclusive

    @strawberry.field(description="When it starts applying.")
    def starts_at(self) -> datetime:
        return self.row.starts_at

    @strawberry.field(description="When it stops applying (exclusive).")
    def ends_at(self) -> datetime:
        return self.row.ends_at

    @strawberry.field(description="Where it is in its life.")
    def status(self) -> PromotionStatus:
        return PromotionStatus(self.row.status)


@strawberry.input(
    description="A promotion tier: threshold and amount (FULL_REDUCTION), units and rateBp (QUANTITY_DISCOUNT), "
    "or threshold, giftSkuId and giftQuantity (GIFT)."
)
class PromotionTierInput:
    threshold: Amount | None = strawberry.field(default=None, description="FULL_REDUCTION: the goods reach this.")
    amount: Amount | None = strawberry.field(default=None, description="FULL_REDUCTION: this much off.")
    units: int | None = strawberry.field(default=None, description="QUANTITY_DISCOUNT: the units reach this.")
    rate_bp: int | None = strawberry.field(
        default=None, description="QUANTITY_DISCOUNT: basis points off, 1 to 10000 (1000 = 10 % off)."
    )
    gift_sku_id: strawberry.ID | None = strawberry.field(
        default=None, description="GIFT: the SKU given free (a NORMAL-zone product; a merchant's own)."
    )
    gift_quantity: int | None = strawberry.field(default=None, description="GIFT: units of it given (1 or more).")


@strawberry.input(description="A limited-time unit price: of a SKU or of a product (one of them).")
class PromotionPriceInput:
    price: Amount = strawberry.field(description="The unit price.")
    sku_id: strawberry.ID | None = strawberry.field(default=None, description="The SKU.")
    product_id: strawberry.ID | None = strawberry.field(default=None, description="Or the product (all its SKUs).")


@strawberry.input(description="A new promotion.")
class PromotionInput:
    name: str = strawberry.field(description="1 to 64 characters, e.g. 满100减10 满200减30.")
    kind: PromotionKind = strawberry.field(description="What it does.")
    starts_at: datetime = strawberry.field(description="When it starts applying.")
    ends_at: datetime = strawberry.field(description="When it stops (after it starts, in the future).")
    merchant_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="The merchant running it (its merchant.marketing staff; funded by it); omitted: the platform's (marketing.manage).",
    )
    tiers: list[PromotionTierInput] = strawberry.field(
        default_factory=list, description="FULL_REDUCTION, QUANTITY_DISCOUNT, GIFT: 1 to 10 tiers, rising."
    )
    prices: list[PromotionPriceInput] = strawberry.field(
        default_factory=list, description="LIMITED_PRICE: the unit prices."
    )
    scope: CouponScopeInput | None = strawberry.field(default=None, description="Which goods (omitted: all).")
    priority: int = strawberry.field(default=0, description="Higher runs first.")
    exclusive: bool = strawberry.field(default=False, description="See Promotion.exclusive.")
    activate: bool = strawberry.field(default=True, description="ACTIVE at once (else DRAFT).")


@strawberry.type(description="Outcome of a promotion change.")
class PromotionPayload:
    promotion: Promotion | None = strawberry.field(default=None, description="The promotion after the change.")
    errors: list[UserError] = strawberry.field(default_factory=list, description="Why it failed; empty on success.")


@strawberry.type(description="A promotion's figures over one day, week or month (or the whole range).")
class PromotionOfferStatsBucket:
    start: date = strawberry.field(description="First day.")
    end: date = strawberry.field(description="Last day.")
    orders: int = strawberry.field(description="Paid orders it discounted or gave a gift on.")
    gmv: Money = strawberry.field(description="What the buyers paid for those orders.")
    discount: Money = strawberry.field(description="What it took off (gifts' value included): its cost to the funder.")
    units: int = strawberry.field(
        description="Units of the lines it discounted (a gift promotion: the gift units given)."
    )

    @classmethod
    def of(cls, start: date, end: date, figures: dict) -> PromotionOfferStatsBucket:
        return cls(
            start=start,
            end=end,
            orders=figures["orders"],
            gmv=Money.from_fen(figures["gmv"]),
            discount=Money.from_fen(figures["discount"]),
            units=figures["units"],
        )


@strawberry.type(description="A promotion's statistics.")
class PromotionOfferStats:
    buckets: list[PromotionOfferStatsBucket] = strawberry.field(description="One per day, week or month.")
    totals: PromotionOfferStatsBucket = strawberry.field(description="The whole range.")
