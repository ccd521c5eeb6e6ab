"""In-store payment types (STO-1): a store's payment code, the receipt both sides see, the
payloads and the store's live payment feed. A receipt resolves from the payment's order row."""

from __future__ import annotations

from datetime import datetime
from enum import Enum

import strawberry
from strawberry.types import Info

from models import orders as m
from schema.errors import UserError
from schema.money import Money
from schema.node import encode
from schema.types.accounts import PublicUser
from schema.types.merchants import Store
from schema.types.orders import Order, OrderStatus, Refund


@strawberry.enum(description="How a customer pays at a store.")
class StorePaymentMethod(Enum):
    WALLET = strawberry.enum_value("WALLET", description="From the wallet (零钱), at once.")
    GATEWAY = strawberry.enum_value(
        "GATEWAY",
        description="Through the payment gateway: startGatewayPayment on the order's payment, then its callback.",
    )
    MEMBER_CARD = strawberry.enum_value(
        "MEMBER_CARD", description="From my member card of the store's merchant (memberCardId), at once."
    )


@strawberry.type(description="A store's payment code: print its QR code at the counter (store staff).")
class StorePaymentCode:
    code: str = strawberry.field(description="The signed code (what `storeByPaymentCode` and `payAtStore` take).")
    url: str = strawberry.field(description="The link the QR code encodes (customers scan it; ends with the code).")
    png_url: str = strawberry.field(description="The QR code as a PNG image, for printing.")
    svg_url: str = strawberry.field(description="The QR code as an SVG image.")
    store: Store = strawberry.field(description="The store.")


@strawberry.type(description="A payment taken at a store: the receipt its payer and the store's staff see.")
class StorePaymentReceipt:
    @strawberry.field(description="The payment's order id (for `storePaymentReceipt`, `refundStorePayment`).")
    def id(self: m.Order) -> strawberry.ID:
        return encode("Order", self.id)

    @strawberry.field(description="The receipt number (the order number).")
    def receipt_no(self: m.Order) -> str:
        return self.order_no

    @strawberry.field(description="What was paid.")
    def amount(self: m.Order) -> Money:
        return Money.from_fen(self.pay_amount)

    @strawberry.field(description="Refunded so far by the store's staff.")
    def refunded_amount(self: m.Order) -> Money:
        return Money.from_fen(self.refunded_amount)

    @strawberry.field(description="What may still be refunded.")
    def refundable_amount(self: m.Order) -> Money:
        return Money.from_fen(self.pay_amount - self.refunded_amount)

    @strawberry.field(description="COMPLETED once paid (a payment at a store has nothing to deliver).")
    def status(self: m.Order) -> OrderStatus:
        return OrderStatus(self.status)

    @strawberry.field(description="When it was paid.")
    def paid_at(self: m.Order) -> datetime | None:
        return self.paid_at

    @strawberry.field(description="The store paid at.")
    async def store(self: m.Order, info: Info) -> Store | None:
        return await info.context.loaders.orders.store.load(self.store_id)

    @strawberry.field(description="Who paid (display name only).")
    async def payer(self: m.Order, info: Info) -> PublicUser | None:
        user = await info.context.loaders.user.load(self.buyer_id)
        return PublicUser.from_model(user) if user else None

    @strawberry.field(description="The refunds, oldest first.")
    async def refunds(self: m.Order, info: Info) -> list[Refund]:
        return await info.context.loaders.orders.refunds_by_order.load(self.id)

    @strawberry.field(description="The payment as an order (its line, payment and history).")
    def order(self: m.Order) -> Order:
        return self


@strawberry.type(description="Outcome of paying at a store.")
class StorePaymentPayload:
    receipt: StorePaymentReceipt | None = strawberry.field(default=None, description="The receipt.")
    errors: list[UserError] = strawberry.field(default_factory=list, description="Why it failed; nothing changed.")


@strawberry.type(description="Outcome of a refund by store staff.")
class StoreRefundPayload:
    refund: Refund | None = strawberry.field(default=None, description="The refund booked.")
    receipt: StorePaymentReceipt | None = strawberry.field(default=None, description="The payment as it is now.")
    errors: list[UserError] = strawberry.field(default_factory=list, description="Why it failed; nothing changed.")


@strawberry.enum(description="What happened at the store's counter.")
class StorePaymentEventKind(Enum):
    PAID = strawberry.enum_value("PAID", description="A customer paid.")
    REFUNDED = strawberry.enum_value("REFUNDED", description="Staff refunded part or all of a payment.")


@strawberry.type(description="One event of a store's live payment feed (the cashier's screen).")
class StorePaymentEvent:
    kind: StorePaymentEventKind = strawberry.field(description="Paid or refunded.")
    amount: Money = strawberry.field(description="The amount paid, or refunded by this refund.")
    receipt: StorePaymentReceipt = strawberry.field(description="The payment as it is now.")
