"""Bookable service items (STO-4): a store's service items, their time slots, bookings and
their inputs and payloads. Types resolve from the models' rows."""

from __future__ import annotations

from datetime import datetime
from enum import Enum

import strawberry
from strawberry.types import Info

from models import bookings as m
from models.orders import Order as OrderRow
from schema.errors import UserError
from schema.money import Amount, Money
from schema.node import Node, node_id
from schema.types.accounts import PublicUser
from schema.types.merchants import OpeningHours, OpeningHoursInput, Store
from schema.types.orders import Order


@strawberry.enum(description="How a booking is paid.")
class BookingPayMode(Enum):
    ONLINE = strawberry.enum_value(
        "ONLINE", description="Now, as a checkout: pay the booking's order payment (payWithWallet / the gateway)."
    )
    AT_STORE = strawberry.enum_value("AT_STORE", description="At the store, when served (e.g. by its payment code).")


@strawberry.enum(description="Where a booking is.")
class BookingStatus(Enum):
    PENDING_PAYMENT = strawberry.enum_value(
        "PENDING_PAYMENT", description="Paid online, awaiting the payment (released if it times out)."
    )
    BOOKED = strawberry.enum_value("BOOKED", description="The place is the customer's.")
    CHECKED_IN = strawberry.enum_value("CHECKED_IN", description="Store staff checked the customer in.")
    CANCELLED = strawberry.enum_value("CANCELLED", description="Cancelled (an online payment refunded in full).")
    NO_SHOW = strawberry.enum_value("NO_SHOW", description="Not checked in by the end of the slot (money kept).")


@strawberry.type(description="A service a store sells by time slot (repair, cleaning...).")
class ServiceItem(Node):
    id: strawberry.ID = node_id("ServiceItem", description="Service item id.")
    name: str = strawberry.field(description="What the service is.")
    description: str = strawberry.field(description="More about it; may be empty.")
    duration_minutes: int = strawberry.field(description="How long one slot lasts, minutes.")
    capacity: int = strawberry.field(description="How many customers one slot takes.")
    is_active: bool = strawberry.field(description="Inactive items take no bookings and are hidden from customers.")

    @strawberry.field(description="The price of one booking.")
    def price(self: m.ServiceItem) -> Money:
        return Money.from_fen(self.price)

    @strawberry.field(description="The item's own opening hours; empty: the store's opening hours apply.")
    def opening_hours(self: m.ServiceItem) -> list[OpeningHours]:
        return [OpeningHours(weekday=h["weekday"], opens=h["opens"], closes=h["closes"]) for h in self.opening_hours]

    @strawberry.field(description="The store giving the service.")
    async def store(self: m.ServiceItem, info: Info) -> Store | None:
        return await info.context.loaders.orders.store.load(self.store_id)


@strawberry.type(description="One time slot of a service item and the places left in it.")
class BookingSlot:
    starts_at: datetime = strawberry.field(description="When it starts.")
    ends_at: datetime = strawberry.field(description="When it ends.")
    capacity: int = strawberry.field(description="Customers it takes.")
    remaining: int = strawberry.field(description="Places left (0: full).")


@strawberry.type(description="A customer's booking of a service item's time slot.")
class Booking(Node):
    id: strawberry.ID = node_id("Booking", description="Booking id.")
    starts_at: datetime = strawberry.field(description="The slot's start.")
    ends_at: datetime = strawberry.field(description="The slot's end.")
    note: str = strawberry.field(description="The customer's note; may be empty.")
    checked_in_at: datetime | None = strawberry.field(description="When store staff checked the customer in.")
    cancelled_at: datetime | None = strawberry.field(description="When it was cancelled.")
    created_at: datetime = strawberry.field(description="When it was made.")

    @strawberry.field(description="Where it is.")
    def status(self: m.Booking) -> BookingStatus:
        return BookingStatus(self.status)

    @strawberry.field(description="How it is paid.")
    def pay_mode(self: m.Booking) -> BookingPayMode:
        return BookingPayMode(self.pay_mode)

    @strawberry.field(description="The price it was booked at.")
    def price(self: m.Booking) -> Money:
        return Money.from_fen(self.price)

    @strawberry.field(description="The service booked.")
    async def service_item(self: m.Booking) -> ServiceItem:
        return await m.ServiceItem.get(id=self.item_id)

    @strawberry.field(description="The store.")
    async def store(self: m.Booking, info: Info) -> Store | None:
        return await info.context.loaders.orders.store.load(self.store_id)

    @strawberry.field(description="The customer (display name only).")
    async def customer(self: m.Booking, info: Info) -> PublicUser | None:
        user = await info.context.loaders.user.load(self.buyer_id)
        return PublicUser.from_model(user) if user else None

    @strawberry.field(description="The order of an online payment (pay its `payment`); null when paid at the store.")
    async def order(self: m.Booking) -> Order | None:
        return None if self.order_id is None else await OrderRow.get_or_none(id=self.order_id)


@strawberry.input(description="A bookable service item of a store.")
class ServiceItemInput:
    name: str = strawberry.field(description="1-64 characters.")
    price: Amount = strawberry.field(description="The price of one booking, 0.01 to 100000.00.")
    duration_minutes: int = strawberry.field(description="How long one slot lasts, 5 to 720 minutes.")
    capacity: int = strawberry.field(description="Customers per slot, 1 to 1000.")
    description: str = strawberry.field(default="", description="At most 512 characters.")
    opening_hours: list[OpeningHoursInput] | None = strawberry.field(
        default=None, description="The item's own hours; omitted or empty: the store's opening hours."
    )
    is_active: bool = strawberry.field(default=True, description="False: takes no bookings.")


@strawberry.type(description="Outcome of creating or changing a service item.")
class ServiceItemPayload:
    service_item: ServiceItem | None = strawberry.field(default=None, description="The item.")
    errors: list[UserError] = strawberry.field(default_factory=list, description="Why it failed; nothing changed.")


@strawberry.type(description="Outcome of booking, cancelling, checking in or marking a no-show.")
class BookingPayload:
    booking: Booking | None = strawberry.field(default=None, description="The booking as it is now.")
    errors: list[UserError] = strawberry.field(default_factory=list, description="Why it failed; nothing changed.")
