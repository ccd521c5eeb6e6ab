"""Live events of orders and after-sales requests, on the buyer's (`user:{id}`) and the
merchant's (`merchant:{id}`) channels."""

from __future__ import annotations

from dataclasses import dataclass

from services.core.events import Id, LiveEvent, wire_key


@dataclass(frozen=True)
class OrderStatusChanged(LiveEvent):
    """An order moved from one status to another (buyer and merchant)."""

    type = "order_status"
    order_id: Id
    from_status: str = wire_key("from")
    status: str


@dataclass(frozen=True)
class NewOrder(LiveEvent):
    """An order of the merchant was paid."""

    type = "new_order"
    order_id: Id


@dataclass(frozen=True)
class AfterSaleRequested(LiveEvent):
    """A buyer asked for a refund or return on an order of the merchant."""

    type = "after_sale_requested"
    after_sale_id: Id
    order_id: Id


@dataclass(frozen=True)
class AfterSaleStatusChanged(LiveEvent):
    """The buyer's after-sales request is now in `status`."""

    type = "after_sale_status"
    after_sale_id: Id
    status: str
