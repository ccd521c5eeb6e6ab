"""Per-request loaders for orders, payments, shipping and after-sales."""

from __future__ import annotations

from strawberry.dataloader import DataLoader

from models.merchants import Store
from models.orders import AfterSale, Order, OrderLine, OrderStatusChange, Payment, Refund, Shipment, TrackingEvent


class OrderLoaders:
    def __init__(self) -> None:
        from loaders import by_id, grouped, one_per  # the generic factories live in the package root

        self.payment = DataLoader(load_fn=by_id(Payment))
        self.order = DataLoader(load_fn=by_id(Order))
        self.store = DataLoader(load_fn=by_id(Store))
        self.line = DataLoader(load_fn=by_id(OrderLine))
        self.orders_by_payment = DataLoader(load_fn=grouped(Order, "payment_id"))
        self.lines_by_order = DataLoader(load_fn=grouped(OrderLine, "order_id"))
        self.history_by_order = DataLoader(load_fn=grouped(OrderStatusChange, "order_id"))
        self.refunds_by_order = DataLoader(load_fn=grouped(Refund, "order_id"))
        self.after_sales_by_order = DataLoader(load_fn=grouped(AfterSale, "order_id"))
        self.shipment_by_order = DataLoader(load_fn=one_per(Shipment, "order_id"))
        self.events_by_shipment = DataLoader(load_fn=grouped(TrackingEvent, "shipment_id", ("occurred_at", "id")))
