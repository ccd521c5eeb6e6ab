"""In-store payment types (STO-1): a store's payment code, the receipt both sides see, the
payloads and the store's live payment feed. A receipt resolves from the payment's order row."""

from __future__ import annotations

from datetime import datetime
from enum import Enum

import strawberry
from strawberry.types import Info

from models import orders as m
from models import stores as ms
from schema.errors import UserError
from schema.money import Money
from schema.node import Node, encode, node_id
from schema.types.accounts import PublicUser
from schema.types.merchants import Store
from schema.types.orders import Order, OrderStatus, Refund
from services.stores import payment_requests


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

    @strawberry.field(description="The cashier's payment request this payment paid, if it paid one.")
    async def payment_request(self: m.Order) -> StorePaymentRequest | None:
        return await payment_requests.request_of_order(self.id)


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


@strawberry.enum(description="Where a cashier's payment request is.")
class StorePaymentRequestStatus(Enum):
    OPEN = strawberry.enum_value("OPEN", description="Waiting for the customer to scan and pay it.")
    PAYING = strawberry.enum_value(
        "PAYING", description="A customer's gateway payment holds it until the gateway pays it or it times out."
    )
    PAID = strawberry.enum_value("PAID", description="Paid: `receipt` is the payment.")
    CANCELLED = strawberry.enum_value("CANCELLED", description="The store's staff took it back.")
    EXPIRED = strawberry.enum_value(
        "EXPIRED", description="Not paid within STORE_PAYMENT_REQUEST_MINUTES; the cashier makes a new one."
    )


@strawberry.type(
    description="An amount a cashier entered at a store for a customer to confirm and pay: show its QR code on the "
    "cashier's screen; the customer scans it (storePaymentRequest) and pays it (payStorePaymentRequest)."
)
class StorePaymentRequest(Node):
    id: strawberry.ID = node_id("StorePaymentRequest")

    @strawberry.field(description="The signed code (what storePaymentRequest and payStorePaymentRequest take).")
    def code(self: ms.StorePaymentRequest) -> str:
        return payment_requests.request_code(self.id)

    @strawberry.field(description="The link the QR code encodes (STOREFRONT_STORE_REQUEST_URL; ends with the code).")
    def url(self: ms.StorePaymentRequest) -> str:
        return payment_requests.request_url(payment_requests.request_code(self.id))

    @strawberry.field(description="The QR code as a PNG image, for the cashier's screen.")
    def png_url(self: ms.StorePaymentRequest) -> str:
        return payment_requests.qr_url(self.id, "png")

    @strawberry.field(description="The QR code as an SVG image.")
    def svg_url(self: ms.StorePaymentRequest) -> str:
        return payment_requests.qr_url(self.id, "svg")

    @strawberry.field(description="What the customer is asked to pay.")
    def amount(self: ms.StorePaymentRequest) -> Money:
        return Money.from_fen(self.amount)

    @strawberry.field(description="The cashier's note (e.g. what was bought), maybe empty.")
    def note(self: ms.StorePaymentRequest) -> str:
        return self.note

    @strawberry.field(description="Where it is now.")
    def status(self: ms.StorePaymentRequest) -> StorePaymentRequestStatus:
        return StorePaymentRequestStatus(payment_requests.status_of(self))

    @strawberry.field(description="When it expires unless paid.")
    def expires_at(self: ms.StorePaymentRequest) -> datetime:
        return self.expires_at

    @strawberry.field(description="When the cashier made it.")
    def created_at(self: ms.StorePaymentRequest) -> datetime:
        return self.created_at

    @strawberry.field(description="The store asking.")
    async def store(self: ms.StorePaymentRequest, info: Info) -> Store | None:
        return await info.context.loaders.orders.store.load(self.store_id)

    @strawberry.field(
        description="The payment (PAID), or the gateway payment in progress (PAYING): for the store's staff and its payer."
    )
    async def receipt(self: ms.StorePaymentRequest, info: Info) -> StorePaymentReceipt | None:
        if self.order_id is None:
            return None
        order = await m.Order.get_or_none(id=self.order_id)
        viewer = info.context.viewer
        if order is None or viewer is None:
            return None
        if order.buyer_id != viewer.id and not await payment_requests.is_staff(await info.context.grants(), self):
            return None
        return order


@strawberry.type(description="Outcome of a cashier's payment request (made or cancelled).")
class StorePaymentRequestPayload:
    request: StorePaymentRequest | None = strawberry.field(default=None, description="The request.")
    errors: list[UserError] = strawberry.field(default_factory=list, description="Why it failed; nothing changed.")
