"""After-sales requests (ORD-7). Types resolve straight from rows; the order and line go
through the per-request loaders (info.context.loaders.orders)."""

from __future__ import annotations

from datetime import datetime
from enum import Enum

import strawberry
from strawberry.types import Info

from models import orders as m
from schema.errors import UserError
from schema.money import Money
from schema.node import Node, node_id
from schema.types.orders import Order, OrderLine


@strawberry.enum(description="What the buyer asks for.")
class AfterSaleKind(Enum):
    REFUND_ONLY = strawberry.enum_value(
        "REFUND_ONLY", description="Money back, the goods stay (not received, or not worth returning)."
    )
    RETURN_REFUND = strawberry.enum_value(
        "RETURN_REFUND", description="Send the goods back, then money back (only once the goods are with the buyer)."
    )


@strawberry.enum(
    description="Where a request is. REFUND_ONLY: PENDING_REVIEW → REFUNDED when approved. RETURN_REFUND: "
    "PENDING_REVIEW → APPROVED → RETURN_SHIPPED → REFUNDED when the merchant receives the goods. PENDING_REVIEW → "
    "REJECTED by the reviewer; PENDING_REVIEW or APPROVED → CANCELLED by the buyer."
)
class AfterSaleStatus(Enum):
    PENDING_REVIEW = strawberry.enum_value("REQUESTED", description="Waiting for the merchant's review.")
    APPROVED = strawberry.enum_value(
        "APPROVED", description="Return approved: waiting for the buyer to send the goods back."
    )
    RETURN_SHIPPED = strawberry.enum_value(
        "RETURN_SHIPPED", description="The goods are on their way back to the merchant."
    )
    REFUNDED = strawberry.enum_value("REFUNDED", description="The money went back by the payment's own method.")
    REJECTED = strawberry.enum_value("REJECTED", description="Refused by the reviewer (see `rejectReason`).")
    CANCELLED = strawberry.enum_value("CANCELLED", description="Withdrawn by the buyer.")


@strawberry.type(
    description="A buyer's refund-only or return-and-refund request for some units of one order line (ORD-7)."
)
class AfterSale(Node):
    id: strawberry.ID = node_id("AfterSale", description="Request id.")
    kind: AfterSaleKind = strawberry.field(description="Refund only, or return and refund.")
    status: AfterSaleStatus = strawberry.field(description="Where the request is.")
    quantity: int = strawberry.field(description="Units of the line asked for.")
    reason: str = strawberry.field(description="The buyer's reason.")
    reject_reason: str = strawberry.field(description="The reviewer's reason, when rejected; empty otherwise.")
    return_carrier: str = strawberry.field(
        description="Carrier of the returned goods (RETURN_REFUND, once shipped back); empty before."
    )
    return_tracking_no: str = strawberry.field(
        description="Tracking number of the returned goods; empty before they are shipped back."
    )
    created_at: datetime = strawberry.field(description="When it was requested.")
    updated_at: datetime = strawberry.field(description="When it last changed.")
    reviewed_at: datetime | None = strawberry.field(description="When the merchant or support approved or rejected it.")
    refunded_at: datetime | None = strawberry.field(description="When the money went back.")

    @strawberry.field(
        description="What was refunded for it (zero until REFUNDED); includes the order's shipping fee "
        "when this refund emptied an order that had not shipped yet."
    )
    def amount(self: m.AfterSale) -> Money:
        return Money.from_fen(self.amount)

    @strawberry.field(description="The order.")
    async def order(self: m.AfterSale, info: Info) -> Order:
        return await info.context.loaders.orders.order.load(self.order_id)

    @strawberry.field(description="The order line the units belong to.")
    async def line(self: m.AfterSale, info: Info) -> OrderLine:
        return await info.context.loaders.orders.line.load(self.line_id)


@strawberry.type(description="Outcome of an after-sales mutation.")
class AfterSalePayload:
    after_sale: AfterSale | None = strawberry.field(default=None, description="The request as it is now.")
    errors: list[UserError] = strawberry.field(default_factory=list, description="Why it failed; nothing changed.")
