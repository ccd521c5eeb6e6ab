"""Live events of a store's counter, on the store's channel (`store:{id}`): the cashier's screen."""

from __future__ import annotations

from dataclasses import dataclass

from services.core.events import Id, LiveEvent


@dataclass(frozen=True)
class StorePaymentReceived(LiveEvent):
    """A customer paid at the store (the order of the payment, its amount in fen)."""

    type = "store_payment"
    order_id: Id
    amount: int


@dataclass(frozen=True)
class StorePaymentRefunded(LiveEvent):
    """Store staff refunded `amount` fen of a payment taken at the store."""

    type = "store_payment_refunded"
    order_id: Id
    refund_id: Id
    amount: int


@dataclass(frozen=True)
class BookingChanged(LiveEvent):
    """A booking at the store was made, paid, checked in, cancelled or marked a no-show (STO-4)."""

    type = "store_booking"
    booking_id: Id
    status: str


@dataclass(frozen=True)
class DeliveryChanged(LiveEvent):
    """A store delivery of an order changed status (STO-5), to its buyer and its store."""

    type = "store_delivery"
    order_id: Id
    delivery_id: Id
    status: str
