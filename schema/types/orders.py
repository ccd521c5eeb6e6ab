"""Orders, payments, shipping and refunds (ORD-2..7). Types resolve straight from rows;
relations go through the per-request loaders (info.context.loaders.orders)."""

from __future__ import annotations

import json
from datetime import datetime
from enum import Enum
from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry.types import Info

from models import orders as m
from schema.errors import UserError
from schema.money import Money
from schema.types.accounts import PublicUser
from schema.types.catalog import Product, Zone
from schema.types.merchants import Merchant, Store
from services.orders import payments
from services.orders import states as order_states

if TYPE_CHECKING:  # resolved lazily by Strawberry (after_sales imports this module)
    from schema.types.after_sales import AfterSale
from schema.node import Node, codec, encode, node_id
from services.core.phones import mask_phone


# Every status enum speaks one vocabulary: AWAITING_PAYMENT (waiting for the buyer's money),
# PENDING_REVIEW (waiting for a person to decide), RISK_REVIEW (held by risk control),
# PROCESSING (handed to a gateway or channel, not confirmed yet), COMPLETED (the successful
# end), CANCELLED (ended before any money moved), REFUNDED (the money went back), REJECTED
# (refused by a reviewer), FAILED. The names are the API's; the values are the stored ones,
# owned by the services.
@strawberry.enum(
    description="Where an order is (ORD-5). Express: AWAITING_PAYMENT → PAID → SHIPPED → DELIVERED → COMPLETED. "
    "Pickup: PAID → READY_FOR_PICKUP → PICKED_UP → COMPLETED. CANCELLED: never paid (by the buyer, or payment timed out). "
    "REFUNDED: every unit refunded before completion."
)
class OrderStatus(Enum):
    AWAITING_PAYMENT = strawberry.enum_value(
        order_states.PENDING_PAYMENT, description="Placed, waiting for the buyer's money (until the payment expires)."
    )
    PAID = strawberry.enum_value(order_states.PAID, description="Paid, waiting to be shipped or made ready for pickup.")
    SHIPPED = strawberry.enum_value(order_states.SHIPPED, description="Handed to the carrier.")
    DELIVERED = strawberry.enum_value(order_states.DELIVERED, description="Delivered, waiting for the buyer's receipt.")
    READY_FOR_PICKUP = strawberry.enum_value(
        order_states.READY_FOR_PICKUP, description="Waiting at the store for the buyer."
    )
    PICKED_UP = strawberry.enum_value(order_states.PICKED_UP, description="Collected at the store.")
    COMPLETED = strawberry.enum_value(order_states.COMPLETED, description="Received; the sale is final.")
    CANCELLED = strawberry.enum_value(
        order_states.CANCELLED, description="Never paid: cancelled by the buyer, or the payment timed out."
    )
    REFUNDED = strawberry.enum_value(order_states.CLOSED, description="Every unit refunded before completion.")


@strawberry.enum(description="How the goods reach the buyer.")
class DeliveryType(Enum):
    EXPRESS = strawberry.enum_value("EXPRESS", description="Shipped by a carrier to the order's address.")
    PICKUP = strawberry.enum_value("PICKUP", description="Picked up by the buyer at a store of the merchant.")
    VIRTUAL = strawberry.enum_value(
        order_states.VIRTUAL, description="Nothing to deliver: every line is a virtual good (STO-6)."
    )
    IN_STORE = strawberry.enum_value(
        order_states.IN_STORE, description="A payment taken at a store's counter by its payment QR code (STO-1)."
    )
    STORE_DELIVERY = strawberry.enum_value(
        order_states.STORE_DELIVERY, description="Delivered to the address by a store of the merchant (STO-5)."
    )


@strawberry.enum(
    description="A payment's state: AWAITING_PAYMENT (until `expiresAt`), PAID, CANCELLED (cancelled or timed out)."
)
class PaymentStatus(Enum):
    AWAITING_PAYMENT = strawberry.enum_value(
        payments.UNPAID, description="Waiting for the buyer's money, until `expiresAt`."
    )
    PAID = strawberry.enum_value(payments.PAID, description="The money arrived.")
    CANCELLED = strawberry.enum_value(
        payments.CLOSED, description="Never paid: its orders were cancelled, or it timed out."
    )


@strawberry.enum(description="A carrier's tracking event kind.")
class TrackingStatus(Enum):
    IN_TRANSIT = strawberry.enum_value("IN_TRANSIT", description="The carrier has the parcel on its way.")
    OUT_FOR_DELIVERY = strawberry.enum_value(
        "OUT_FOR_DELIVERY", description="The parcel is with the courier for delivery today."
    )
    DELIVERED = strawberry.enum_value("DELIVERED", description="The carrier reports the parcel delivered.")
    EXCEPTION = strawberry.enum_value(
        "EXCEPTION", description="A delivery problem (failed attempt, damage, returned); see the event's description."
    )


@strawberry.enum(description="A refund's state: PROCESSING (booked, the gateway has not confirmed yet) or COMPLETED.")
class RefundStatus(Enum):
    PROCESSING = strawberry.enum_value(
        payments.REFUND_PENDING, description="Booked; the gateway has not confirmed it yet."
    )
    COMPLETED = strawberry.enum_value(payments.REFUND_SUCCEEDED, description="The money is back with the buyer.")


def _money(fen: int) -> Money:
    return Money.from_fen(fen)


async def _sees_delivery_phone(info: Info, order: m.Order) -> bool:
    """RISK-3: the buyer, and the staff holding merchant.orders for the order's merchant (they
    ship it and the carrier calls the number); platform staff and everyone else see it masked."""
    viewer = info.context.viewer
    if viewer is None:
        return False
    if viewer.id == order.buyer_id:
        return True
    return (await info.context.grants()).has("merchant.orders", ("MERCHANT", order.merchant_id))


@strawberry.type(description="The address an express order ships to (a snapshot taken at checkout).")
class ShippingAddress:
    recipient: str = strawberry.field(description="Who receives the parcel.")
    phone: str = strawberry.field(
        description="Recipient's phone: in full (E.164) to the buyer and to the merchant's order staff (who deliver), masked (138****8000) to everyone else."
    )
    province_code: str = strawberry.field(description="Six-digit province code.")
    city_code: str = strawberry.field(description="Six-digit city code.")
    county_code: str = strawberry.field(description="Six-digit county/district code.")
    region_name: str = strawberry.field(description="Province, city and county as text.")
    detail: str = strawberry.field(description="Street and house number.")
    postal_code: str = strawberry.field(description="Postal code, may be empty.")


_sku_id = codec("Sku").encode


@strawberry.enum(description="Where a discount comes from.")
class DiscountSource(Enum):
    PROMOTION = strawberry.enum_value("PROMOTION", description="A promotion (满减, 满件折, 限时折扣, 满赠).")
    COUPON = strawberry.enum_value("COUPON", description="A coupon the buyer used.")
    COINS = strawberry.enum_value("COINS", description="Shopping coins the buyer spent.")


@strawberry.enum(description="Who pays for a discount.")
class DiscountFunder(Enum):
    PLATFORM = strawberry.enum_value("PLATFORM", description="The platform: it pays the merchant this part at payment.")
    MERCHANT = strawberry.enum_value("MERCHANT", description="The merchant: its income is that much lower.")


@strawberry.type(description="One discount's share of a line (or of an order's shipping).")
class LineDiscount:
    source: DiscountSource = strawberry.field(description="Where it comes from.")
    source_id: strawberry.ID | None = strawberry.field(
        description="The coupon used (a UserCoupon id) or the promotion; null for coins."
    )
    funded_by: DiscountFunder = strawberry.field(description="Who pays for it.")
    amount: Money = strawberry.field(description="Its share here.")

    @classmethod
    def from_json(cls, d: dict) -> LineDiscount:
        return cls.of(d["source"], d.get("id"), d.get("funder"), int(d["amount"]))

    @classmethod
    def of(cls, source: str, source_id: int | None, funder: int | None, amount: int) -> LineDiscount:
        kind = "UserCoupon" if source == "COUPON" else "Promotion"
        return cls(
            source=DiscountSource(source),
            source_id=encode(kind, source_id) if source_id is not None else None,
            funded_by=DiscountFunder.PLATFORM if funder is None else DiscountFunder.MERCHANT,
            amount=_money(amount),
        )


@strawberry.type(description="One product line of an order, as bought (title, spec and price are a snapshot).")
class OrderLine(Node):
    id: strawberry.ID = node_id("OrderLine", description="Line id (after-sales requests name it).")
    title: str = strawberry.field(description="Product title when bought.")
    spec_text: str = strawberry.field(description="The SKU's spec values when bought, e.g. 颜色:红 尺码:M.")
    image_url: str = strawberry.field(description="Image when bought, may be empty.")
    zone: Zone = strawberry.field(description="The product's zone when bought.")
    quantity: int = strawberry.field(description="Units bought.")
    requested_quantity: int = strawberry.field(description="Units under an open or finished after-sales request.")
    refunded_quantity: int = strawberry.field(description="Units refunded.")
    is_gift: bool = strawberry.field(
        description="A free line added by a gift promotion (MKT-2): paid 0, the promotion in its discounts."
    )

    @strawberry.field(description="Price of one unit.")
    def unit_price(self: m.OrderLine) -> Money:
        return _money(self.unit_price)

    @strawberry.field(
        description="What the buyer paid for the line's goods: `unitPrice` × `quantity` less `discountAmount` and `coinsAmount`. Refunds, commissions and the platform's commission are based on it."
    )
    def amount(self: m.OrderLine) -> Money:
        return _money(self.amount)

    @strawberry.field(description="The promotions and coupons allocated to this line (coins apart).")
    def discount_amount(self: m.OrderLine) -> Money:
        return _money(self.discount_amount)

    @strawberry.field(description="Shopping coins allocated to this line.")
    def coins(self: m.OrderLine) -> int:
        return self.coins

    @strawberry.field(description="What those coins paid of the line.")
    def coins_amount(self: m.OrderLine) -> Money:
        return _money(self.coins_amount)

    @strawberry.field(description="Points the line cost (points mall: points price × quantity); 0 otherwise.")
    def points(self: m.OrderLine) -> int:
        return self.points

    @strawberry.field(description="Every discount on this line: its source, its funder and its share.")
    def discounts(self: m.OrderLine) -> list[LineDiscount]:
        return [LineDiscount.from_json(d) for d in self.discounts or ()]

    @strawberry.field(description="Refunded so far for this line.")
    def refunded_amount(self: m.OrderLine) -> Money:
        return _money(self.refunded_amount)

    @strawberry.field(description="The SKU bought.")
    def sku_id(self: m.OrderLine) -> strawberry.ID:
        return _sku_id(self.sku_id)

    @strawberry.field(description="The product now (may have changed since).")
    async def product(self: m.OrderLine, info: Info) -> Product | None:
        return await info.context.loaders.product.load(self.product_id)


@strawberry.type(description="A carrier's tracking event (ORD-6).")
class TrackingEvent:
    status: TrackingStatus = strawberry.field(description="Kind of event.")
    description: str = strawberry.field(description="What happened, as the carrier says it.")
    location: str = strawberry.field(description="Where, may be empty.")
    occurred_at: datetime = strawberry.field(description="When it happened.")


@strawberry.type(description="How an express order was shipped, and its tracking (ORD-6).")
class Shipment:
    carrier: str = strawberry.field(description="Carrier name, e.g. 顺丰.")
    tracking_no: str = strawberry.field(description="The carrier's tracking number.")

    @strawberry.field(description="When it was shipped.")
    def shipped_at(self: m.Shipment) -> datetime:
        return self.created_at

    @strawberry.field(description="Tracking events, oldest first.")
    async def events(self: m.Shipment, info: Info) -> list[TrackingEvent]:
        return await info.context.loaders.orders.events_by_shipment.load(self.id)


@strawberry.type(description="One step of an order's history (audit trail).")
class OrderStatusChange:
    from_status: OrderStatus = strawberry.field(description="Status before.")
    to_status: OrderStatus = strawberry.field(description="Status after.")
    reason: str = strawberry.field(description="Why, may be empty.")

    @strawberry.field(description="When.")
    def at(self: m.OrderStatusChange) -> datetime:
        return self.created_at

    @strawberry.field(description="Who did it; null: the system (payment callback, worker).")
    def actor_id(self: m.OrderStatusChange) -> strawberry.ID | None:
        return None if self.actor_id is None else encode("User", self.actor_id)


@strawberry.type(description="Money given back to the buyer by the payment's own method.")
class Refund(Node):
    id: strawberry.ID = node_id("Refund", description="Refund id.")
    refund_no: str = strawberry.field(description="Refund number (also the gateway's idempotency key).")
    method: str = strawberry.field(description="WALLET, or the gateway's name (e.g. SANDBOX).")
    status: RefundStatus = strawberry.field(description="Booked and pending at the gateway, or done.")
    reason: str = strawberry.field(description="AFTER_SALE, LATE_PAYMENT (paid after cancel) or DUPLICATE_PAYMENT.")
    created_at: datetime = strawberry.field(description="When it was booked.")
    finished_at: datetime | None = strawberry.field(description="When the money was back.")

    @strawberry.field(description="Amount refunded.")
    def amount(self: m.Refund) -> Money:
        return _money(self.amount)


@strawberry.type(description="An order with one merchant (one checkout makes one per merchant, under one payment).")
class Order(Node):
    id: strawberry.ID = node_id("Order", description="Order id.")
    order_no: str = strawberry.field(description="Order number shown to people.")
    status: OrderStatus = strawberry.field(description="Where the order is.")
    delivery_type: DeliveryType = strawberry.field(
        description="Express, pickup at a store, virtual (nothing to deliver) or a payment at a store."
    )
    note: str = strawberry.field(description="The buyer's note to the merchant.")
    cancel_reason: str = strawberry.field(description="Why it was cancelled, if it was.")
    created_at: datetime = strawberry.field(description="When it was placed.")
    paid_at: datetime | None = strawberry.field(description="When it was paid.")
    shipped_at: datetime | None = strawberry.field(description="When it was shipped.")
    delivered_at: datetime | None = strawberry.field(description="When the carrier delivered it.")
    ready_at: datetime | None = strawberry.field(description="When it became ready for pickup.")
    picked_up_at: datetime | None = strawberry.field(description="When it was picked up.")
    completed_at: datetime | None = strawberry.field(description="When it completed.")
    closed_at: datetime | None = strawberry.field(description="When it was cancelled or closed.")
    auto_complete_at: datetime | None = strawberry.field(
        description="When it completes by itself unless the buyer confirms first."
    )

    @strawberry.field(description="Goods amount.")
    def goods_amount(self: m.Order) -> Money:
        return _money(self.goods_amount)

    @strawberry.field(description="Shipping fee (zero for pickup, or above the merchant's free-shipping threshold).")
    def shipping_fee(self: m.Order) -> Money:
        return _money(self.shipping_fee)

    @strawberry.field(description="Promotions and coupons taken off the goods.")
    def discount_amount(self: m.Order) -> Money:
        return _money(self.discount_amount)

    @strawberry.field(description="Taken off the shipping fee (free-shipping coupons).")
    def shipping_discount(self: m.Order) -> Money:
        return _money(self.shipping_discount)

    @strawberry.field(description="Shopping coins spent on this order.")
    def coins(self: m.Order) -> int:
        return self.coins

    @strawberry.field(description="What those coins paid.")
    def coins_amount(self: m.Order) -> Money:
        return _money(self.coins_amount)

    @strawberry.field(
        description="Points the order costs (points mall: its lines' and, when paid in points, its shipping's), taken at payment."
    )
    def points(self: m.Order) -> int:
        return self.points

    @strawberry.field(
        description="The part of `points` that paid the shipping (then `shippingDiscount` is the shipping)."
    )
    def shipping_points(self: m.Order) -> int:
        return self.shipping_points

    @strawberry.field(
        description="The part of the discounts the platform funds (paid to the merchant with the order's money)."
    )
    def platform_funded(self: m.Order) -> Money:
        return _money(self.platform_funded)

    @strawberry.field(
        description="What the buyer pays for this order: goods + shipping − discountAmount − shippingDiscount − coinsAmount."
    )
    def pay_amount(self: m.Order) -> Money:
        return _money(self.pay_amount)

    @strawberry.field(description="Refunded so far; never more than `payAmount`.")
    def refunded_amount(self: m.Order) -> Money:
        return _money(self.refunded_amount)

    @strawberry.field(description="The code the buyer shows at the store (pickup orders; only the buyer sees it).")
    def pickup_code(self: m.Order, info: Info) -> str | None:
        viewer = info.context.viewer
        return self.pickup_code if viewer is not None and viewer.id == self.buyer_id else None

    @strawberry.field(description="Where an express order ships to.")
    async def address(self: m.Order, info: Info) -> ShippingAddress | None:
        if not self.address:
            return None
        phone = self.address_phone or ""
        if not await _sees_delivery_phone(info, self):
            phone = mask_phone(phone)
        return ShippingAddress(phone=phone, **{k: v for k, v in self.address.items() if k != "phone"})

    @strawberry.field(description="The store a pickup order is collected at.")
    async def store(self: m.Order, info: Info) -> Store | None:
        return None if self.store_id is None else await info.context.loaders.orders.store.load(self.store_id)

    @strawberry.field(description="The merchant.")
    async def merchant(self: m.Order, info: Info) -> Merchant | None:
        return await info.context.loaders.merchant.load(self.merchant_id)

    @strawberry.field(description="The buyer (display name only).")
    async def buyer(self: m.Order, info: Info) -> PublicUser | None:
        user = await info.context.loaders.user.load(self.buyer_id)
        return PublicUser.from_model(user) if user else None

    @strawberry.field(description="What was bought.")
    async def lines(self: m.Order, info: Info) -> list[OrderLine]:
        return await info.context.loaders.orders.lines_by_order.load(self.id)

    @strawberry.field(description="Shipping and tracking (express orders, once shipped).")
    async def shipment(self: m.Order, info: Info) -> Shipment | None:
        return await info.context.loaders.orders.shipment_by_order.load(self.id)

    @strawberry.field(description="Every status change, oldest first.")
    async def history(self: m.Order, info: Info) -> list[OrderStatusChange]:
        return await info.context.loaders.orders.history_by_order.load(self.id)

    @strawberry.field(description="Refunds of this order.")
    async def refunds(self: m.Order, info: Info) -> list[Refund]:
        return await info.context.loaders.orders.refunds_by_order.load(self.id)

    @strawberry.field(description="The payment this order was (or is to be) paid under.")
    async def payment(self: m.Order, info: Info) -> Payment:
        return await info.context.loaders.orders.payment.load(self.payment_id)

    @strawberry.field(description="After-sales requests on this order's lines, oldest first.")
    async def after_sales(
        self: m.Order, info: Info
    ) -> list[Annotated[AfterSale, strawberry.lazy("schema.types.after_sales")]]:
        return await info.context.loaders.orders.after_sales_by_order.load(self.id)


@strawberry.type(description="One payment for one checkout, covering its orders (ORD-4).")
class Payment(Node):
    id: strawberry.ID = node_id("Payment", description="Payment id.")
    payment_no: str = strawberry.field(description="Payment number (the gateway's out_trade_no).")
    status: PaymentStatus = strawberry.field(description="Unpaid, paid or closed.")
    method: str = strawberry.field(description="WALLET or a gateway (e.g. SANDBOX) once chosen; empty before.")
    currency: str = strawberry.field(description="ISO 4217 currency.")
    expires_at: datetime = strawberry.field(description="Unpaid orders are cancelled after this.")
    paid_at: datetime | None = strawberry.field(description="When it was paid.")

    @strawberry.field(description="Total to pay: goods and shipping of every order.")
    def amount(self: m.Payment) -> Money:
        return _money(self.amount)

    @strawberry.field(description="Refunded so far over its orders.")
    def refunded_amount(self: m.Payment) -> Money:
        return _money(self.refunded_amount)

    @strawberry.field(description="The orders it pays for, one per merchant.")
    async def orders(self: m.Payment, info: Info) -> list[Order]:
        return await info.context.loaders.orders.orders_by_payment.load(self.id)


@strawberry.type(description="A charge opened at the payment gateway: the client pays it there.")
class GatewayCharge:
    trade_no: str = strawberry.field(description="The gateway's id of the charge.")
    pay_url: str = strawberry.field(description="Page where the buyer pays (H5), if the gateway has one.")
    client_params: str = strawberry.field(description="JSON object for the gateway's app / mini-program SDK.")

    @classmethod
    def from_charge(cls, charge) -> GatewayCharge:
        return cls(trade_no=charge.trade_no, pay_url=charge.pay_url, client_params=json.dumps(charge.client_params))


# --------------------------------------------------------------------------- inputs and payloads


@strawberry.input(description="A SKU and how many.")
class OrderItemInput:
    sku_id: strawberry.ID = strawberry.field(description="The SKU.")
    quantity: int = strawberry.field(description="Units, at least 1.")


@strawberry.input(description="Pick up this merchant's goods at one of its stores instead of express delivery.")
class PickupChoiceInput:
    merchant_id: strawberry.ID = strawberry.field(description="The merchant.")
    store_id: strawberry.ID = strawberry.field(description="An open store of that merchant.")


@strawberry.input(description="A checkout (ORD-2).")
class PlaceOrderInput:
    idempotency_key: str = strawberry.field(
        description="Client-made unique key (1-64 chars): a retry with the same key and input returns the same orders."
    )
    items: list[OrderItemInput] | None = strawberry.field(
        default=None, description="What to buy (buy-now); omit to buy the cart's selected items."
    )
    address_id: strawberry.ID | None = strawberry.field(
        default=None, description="Delivery address, needed unless every merchant is picked up."
    )
    pickup_stores: list[PickupChoiceInput] = strawberry.field(
        default_factory=list, description="Merchants whose goods are picked up at a store."
    )
    store_deliveries: list[PickupChoiceInput] = strawberry.field(
        default_factory=list,
        description="Merchants whose goods a store of theirs delivers to the address (STO-5): the address needs "
        "coordinates within the store's radius; the store's fee is the shipping fee.",
    )
    note: str = strawberry.field(default="", description="Note to the merchants, at most 256 characters.")
    consign_wholesale_units: bool = strawberry.field(
        default=False,
        description="Consign the wholesale units bought as soon as they are paid (挂售); otherwise decide later in my wholesale units.",
    )
    invite_code: str = strawberry.field(
        default="",
        description="Invite code of the link the buyer came through (binds the referrer on the first order when the binding mode is FIRST_ORDER).",
    )
    coupon_ids: list[strawberry.ID] | None = strawberry.field(
        default=None,
        description="The buyer's coupons to use (UserCoupon ids); null: the best choice among those usable (as `checkoutPreview` shows); an empty list: none.",
    )
    coins: int = strawberry.field(
        default=0,
        description="Shopping coins to spend: paid last, within the caps `checkoutPreview` shows as `coinsCap`.",
    )
    shipping_in_points: bool = strawberry.field(
        default=False,
        description="Points mall: pay the shipping in points at the set ratio instead of cash.",
    )


@strawberry.type(description="Outcome of placing an order.")
class PlaceOrderPayload:
    payment: Payment | None = strawberry.field(default=None, description="What to pay, when placed.")
    orders: list[Order] = strawberry.field(default_factory=list, description="One order per merchant.")
    errors: list[UserError] = strawberry.field(default_factory=list, description="Why nothing was placed.")


@strawberry.type(description="Outcome of a payment mutation.")
class PaymentPayload:
    payment: Payment | None = strawberry.field(default=None, description="The payment.")
    errors: list[UserError] = strawberry.field(default_factory=list, description="Why it failed; nothing changed.")


@strawberry.type(description="Outcome of starting a gateway payment.")
class StartPaymentPayload:
    payment: Payment | None = strawberry.field(default=None, description="The payment.")
    charge: GatewayCharge | None = strawberry.field(default=None, description="The charge to pay at the gateway.")
    errors: list[UserError] = strawberry.field(default_factory=list, description="Why it failed; nothing changed.")


@strawberry.type(description="Outcome of an order mutation.")
class OrderPayload:
    order: Order | None = strawberry.field(default=None, description="The order as it is now.")
    errors: list[UserError] = strawberry.field(default_factory=list, description="Why it failed; nothing changed.")


@strawberry.type(description="Outcome of cancelling: every order of the same checkout is cancelled together.")
class CancelOrderPayload:
    orders: list[Order] = strawberry.field(default_factory=list, description="The cancelled orders.")
    errors: list[UserError] = strawberry.field(default_factory=list, description="Why it failed; nothing changed.")
