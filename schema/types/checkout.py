"""The checkout preview (MKT-1, ORD-2): what `placeOrder` would charge, priced by the same
pipeline call (services.orders.checkout.price_checkout), per merchant order and per line."""

from __future__ import annotations

from enum import Enum

import strawberry

from schema.money import Money
from schema.node import codec
from schema.types.marketing import UserCoupon
from schema.types.orders import LineDiscount, OrderItemInput, PickupChoiceInput
from services.marketing import pipeline
from services.orders import checkout

_sku_id = codec("Sku").encode
_merchant_id = codec("Merchant").encode
_promotion_id = codec("Promotion").encode


def _money(fen: int) -> Money:
    return Money.from_fen(fen)


def _discounts(parts) -> list[LineDiscount]:
    return [LineDiscount.of(p.source, p.source_id, p.funder, p.amount) for p in parts]


@strawberry.input(description="What to preview: the same choices as `placeOrder` (no address or key needed).")
class CheckoutPreviewInput:
    items: list[OrderItemInput] | None = strawberry.field(
        default=None, description="What to buy (buy-now); omit for the cart's selected items."
    )
    pickup_stores: list[PickupChoiceInput] = strawberry.field(
        default_factory=list, description="Merchants whose goods are picked up at a store (no shipping)."
    )
    address_id: strawberry.ID | None = strawberry.field(
        default=None, description="The delivery address, to price store deliveries (STO-5); optional otherwise."
    )
    store_deliveries: list[PickupChoiceInput] = strawberry.field(
        default_factory=list,
        description="Merchants whose goods a store of theirs delivers to the address (STO-5): within the store's "
        "radius of the address's coordinates, at the store's fee, from its minimum order.",
    )
    coupon_ids: list[strawberry.ID] | None = strawberry.field(
        default=None,
        description="The coupons to use (UserCoupon ids); null: the best choice among those usable; an empty list: none.",
    )
    coins: int = strawberry.field(default=0, description="Shopping coins to spend (at most `coinsCap`).")
    shipping_in_points: bool = strawberry.field(
        default=False, description="Points mall: pay the shipping in points at the set ratio instead of cash."
    )


@strawberry.type(description="One line of the preview.")
class PreviewLine:
    row: strawberry.Private[pipeline.PricedLine]

    @strawberry.field(description="The SKU.")
    def sku_id(self) -> strawberry.ID:
        return _sku_id(self.row.sku_id)

    @strawberry.field(description="Units.")
    def quantity(self) -> int:
        return self.row.quantity

    @strawberry.field(description="A free line added by a gift promotion (paid 0; the promotion in its discounts).")
    def is_gift(self) -> bool:
        return self.row.gift

    @strawberry.field(description="At list price.")
    def list_amount(self) -> Money:
        return _money(self.row.list_amount)

    @strawberry.field(description="At its price (member price, wholesale price), before discounts.")
    def goods_amount(self) -> Money:
        return _money(self.row.goods_amount)

    @strawberry.field(description="Promotions and coupons allocated to this line.")
    def discount_amount(self) -> Money:
        return _money(self.row.discount() - self.row.discount(pipeline.COINS))

    @strawberry.field(description="Shopping coins allocated to this line.")
    def coins(self) -> int:
        return self.row.coins

    @strawberry.field(description="What those coins pay of the line.")
    def coins_amount(self) -> Money:
        return _money(self.row.discount(pipeline.COINS))

    @strawberry.field(description="What the buyer pays for it.")
    def paid_amount(self) -> Money:
        return _money(self.row.paid)

    @strawberry.field(description="Each discount's share, with its source and funder.")
    def discounts(self) -> list[LineDiscount]:
        return _discounts(self.row.discounts)


@strawberry.type(description="One merchant's order of the preview.")
class PreviewOrder:
    row: strawberry.Private[pipeline.PricedOrder]
    line_rows: strawberry.Private[list[pipeline.PricedLine]]

    @strawberry.field(description="The merchant.")
    def merchant_id(self) -> strawberry.ID:
        return _merchant_id(self.row.merchant_id)

    @strawberry.field(description="The lines.")
    def lines(self) -> list[PreviewLine]:
        return [PreviewLine(row=line) for line in self.line_rows]

    @strawberry.field(description="Goods at their price, before discounts.")
    def goods_amount(self) -> Money:
        return _money(self.row.goods_amount)

    @strawberry.field(description="Promotions and coupons taken off the goods.")
    def discount_amount(self) -> Money:
        coins = sum(ln.discount(pipeline.COINS) for ln in self.line_rows)
        return _money(self.row.goods_amount - self.row.goods_paid - coins)

    @strawberry.field(description="Shopping coins spent on it.")
    def coins(self) -> int:
        return sum(ln.coins for ln in self.line_rows)

    @strawberry.field(description="Shipping fee before discounts.")
    def shipping_fee(self) -> Money:
        return _money(self.row.shipping_fee)

    @strawberry.field(description="Taken off the shipping.")
    def shipping_discount(self) -> Money:
        return _money(self.row.shipping_fee - self.row.shipping_paid)

    @strawberry.field(description="What the buyer pays for this order.")
    def pay_amount(self) -> Money:
        return _money(self.row.paid)


@strawberry.enum(description="Why a gift the checkout reached is not given (the checkout goes ahead without it).")
class MissingGiftReason(Enum):
    OUT_OF_STOCK = strawberry.enum_value(checkout.GIFT_OUT_OF_STOCK, description="Not enough of it in stock.")
    NOT_ON_SALE = strawberry.enum_value(checkout.GIFT_NOT_ON_SALE, description="It is not on sale now.")
    MERCHANT_NOT_IN_CHECKOUT = strawberry.enum_value(
        checkout.GIFT_MERCHANT_NOT_IN_CHECKOUT,
        description="Its merchant sells nothing in this checkout (a gift never makes an order of its own).",
    )


@strawberry.type(
    description="A gift promotion the checkout reached whose gift is not given; the promotion is not applied."
)
class MissingGift:
    row: strawberry.Private[checkout.MissingGift]

    @strawberry.field(description="The gift promotion.")
    def promotion_id(self) -> strawberry.ID:
        return _promotion_id(self.row.promotion_id)

    @strawberry.field(description="The gift's SKU.")
    def sku_id(self) -> strawberry.ID:
        return _sku_id(self.row.sku_id)

    @strawberry.field(description="Units it would have given.")
    def quantity(self) -> int:
        return self.row.quantity

    @strawberry.field(description="Why it is not given.")
    def reason(self) -> MissingGiftReason:
        return MissingGiftReason(self.row.reason)


@strawberry.type(description="A coupon the preview applies, and what it takes off.")
class AppliedCoupon:
    coupon: UserCoupon = strawberry.field(description="The coupon.")
    discount: Money = strawberry.field(description="Goods and shipping it takes off.")


@strawberry.type(description="What `placeOrder` with the same choices would charge: the same pricing call.")
class CheckoutPreview:
    orders: list[PreviewOrder] = strawberry.field(description="One per merchant.")
    applied_coupons: list[AppliedCoupon] = strawberry.field(description="The coupons used (chosen, or the best).")
    usable_coupons: list[UserCoupon] = strawberry.field(description="Every coupon of the buyer usable now.")
    goods_amount: Money = strawberry.field(description="Goods at their price, before discounts.")
    discount_amount: Money = strawberry.field(description="Promotions and coupons taken off goods and shipping.")
    coins: int = strawberry.field(description="Shopping coins spent.")
    coins_amount: Money = strawberry.field(description="What they pay.")
    coins_cap: int = strawberry.field(description="The most coins this checkout can take (within the buyer's balance).")
    coin_balance: int = strawberry.field(description="The buyer's coins.")
    points: int = strawberry.field(description="Points the checkout costs (points mall), taken at payment.")
    shipping_points: int = strawberry.field(description="The part of `points` paying the shipping.")
    point_balance: int = strawberry.field(description="The buyer's points (points mall checkouts; else 0).")
    missing_gifts: list[MissingGift] = strawberry.field(
        description="Gifts reached but not given (out of stock …): the checkout goes ahead without them."
    )

    @classmethod
    def of(cls, found: checkout.Preview) -> CheckoutPreview:
        quote = found.priced.quote
        coins_amount = sum(line.discount(pipeline.COINS) for line in quote.lines)
        return cls(
            orders=[PreviewOrder(row=o, line_rows=[quote.line(k) for k in o.line_keys]) for o in quote.orders],
            applied_coupons=[
                AppliedCoupon(
                    coupon=UserCoupon(row=found.coupons[c.id]), discount=_money(c.goods_amount + c.shipping_amount)
                )
                for c in quote.coupons
            ],
            usable_coupons=[UserCoupon(row=found.coupons[c.id]) for c in found.priced.usable if c.id in found.coupons],
            goods_amount=_money(sum(o.goods_amount for o in quote.orders)),
            discount_amount=_money(
                sum(o.goods_amount - o.goods_paid + o.shipping_fee - o.shipping_paid for o in quote.orders)
                - coins_amount
            ),
            coins=quote.coins,
            coins_amount=_money(coins_amount),
            coins_cap=quote.coins_cap,
            coin_balance=found.priced.coin_balance,
            points=found.priced.points.total if found.priced.points else 0,
            shipping_points=sum(found.priced.points.shipping.values()) if found.priced.points else 0,
            point_balance=found.priced.point_balance,
            missing_gifts=[MissingGift(row=g) for g in found.priced.missing_gifts],
            shipping_fee=_money(sum(o.shipping_fee for o in quote.orders)),
            pay_amount=_money(quote.paid),
        )

    shipping_fee: Money = strawberry.field(description="Shipping before discounts.")
    pay_amount: Money = strawberry.field(description="What the buyer pays: the payment's amount.")
