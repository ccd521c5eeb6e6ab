"""Bookable service items (STO-4): the items of a store, their slots, booking, cancelling,
and the store staff's day of bookings, check-in and no-shows. Thin calls into
services.stores.bookings."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

import strawberry
from strawberry.types import Info

from resolvers.common import api_errors, login_required, parse_id, payload_errors, viewer
from schema.pagination import Connection, to_connection
from schema.types.bookings import (
    Booking,
    BookingPayload,
    BookingPayMode,
    BookingSlot,
    BookingStatus,
    ServiceItem,
    ServiceItemInput,
    ServiceItemPayload,
)
from services.core.pagination import paginate
from services.merchants.stores import OpeningHours
from services.stores import bookings

STORE_ID = "The store."
ITEM_ID = "The service item."
BOOKING_ID = "The booking."


def _data(data: ServiceItemInput) -> bookings.ServiceItemData:
    return bookings.ServiceItemData(
        name=data.name,
        price=data.price,
        duration_minutes=data.duration_minutes,
        capacity=data.capacity,
        description=data.description,
        opening_hours=[OpeningHours(h.weekday, h.opens, h.closes) for h in data.opening_hours or []],
        is_active=data.is_active,
    )


@strawberry.type
class BookingQueries:
    @strawberry.field(description="A store's active service items, bookable by time slot (anyone).")
    @api_errors
    async def store_service_items(
        self, info: Info, store_id: Annotated[strawberry.ID, strawberry.argument(description=STORE_ID)]
    ) -> list[ServiceItem]:
        return await bookings.items_of_store(parse_id(store_id, "storeId", of="Store"))

    @strawberry.field(
        description="One business day's slots of a service item still to come, with the places left (anyone)."
    )
    @api_errors
    async def service_item_slots(
        self,
        info: Info,
        service_item_id: Annotated[strawberry.ID, strawberry.argument(description=ITEM_ID)],
        date: Annotated[date, strawberry.argument(description="The business day.")],
    ) -> list[BookingSlot]:
        views = await bookings.available_slots(parse_id(service_item_id, "serviceItemId", of="ServiceItem"), date)
        return [
            BookingSlot(starts_at=v.starts_at, ends_at=v.ends_at, capacity=v.capacity, remaining=v.remaining)
            for v in views
        ]

    @strawberry.field(description="My bookings, latest slot first.", extensions=login_required())
    @api_errors
    async def my_bookings(
        self,
        info: Info,
        first: Annotated[int, strawberry.argument(description="Page size.")] = 20,
        after: Annotated[str | None, strawberry.argument(description="Cursor from the previous page.")] = None,
    ) -> Connection[Booking]:
        return to_connection(await paginate(bookings.my_bookings(viewer(info).id), first, after))

    @strawberry.field(description="One of my bookings.", extensions=login_required())
    @api_errors
    async def my_booking(
        self, info: Info, id: Annotated[strawberry.ID, strawberry.argument(description=BOOKING_ID)]
    ) -> Booking:
        return await bookings.my_booking(viewer(info).id, parse_id(id, of="Booking"))

    @strawberry.field(
        description="A store's bookings of one business day, by slot: its staff with store.bookings, or the "
        "merchant's order staff.",
        extensions=login_required(),
    )
    @api_errors
    async def store_bookings(
        self,
        info: Info,
        store_id: Annotated[strawberry.ID, strawberry.argument(description=STORE_ID)],
        date: Annotated[date, strawberry.argument(description="The business day.")],
        status: Annotated[BookingStatus | None, strawberry.argument(description="Only bookings in this state.")] = None,
    ) -> list[Booking]:
        return await bookings.store_bookings(
            await info.context.grants(),
            parse_id(store_id, "storeId", of="Store"),
            date,
            status.value if status is not None else None,
        )


@strawberry.type
class BookingMutations:
    @strawberry.mutation(
        description="Add a bookable service item to a store (merchant.settings).", extensions=login_required()
    )
    @payload_errors
    async def create_service_item(
        self,
        info: Info,
        store_id: Annotated[strawberry.ID, strawberry.argument(description=STORE_ID)],
        input: Annotated[ServiceItemInput, strawberry.argument(description="The item.")],
    ) -> ServiceItemPayload:
        item = await bookings.create_item(
            await info.context.grants(), parse_id(store_id, "storeId", of="Store"), _data(input)
        )
        return ServiceItemPayload(service_item=item)

    @strawberry.mutation(
        description="Change a service item (merchant.settings); booked slots keep their capacity, bookings their price.",
        extensions=login_required(),
    )
    @payload_errors
    async def update_service_item(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description=ITEM_ID)],
        input: Annotated[ServiceItemInput, strawberry.argument(description="The item.")],
    ) -> ServiceItemPayload:
        item = await bookings.update_item(await info.context.grants(), parse_id(id, of="ServiceItem"), _data(input))
        return ServiceItemPayload(service_item=item)

    @strawberry.mutation(
        description="Book a slot of a service item. ONLINE: pay the booking's order payment like a checkout's "
        "(it is BOOKED once paid, released if unpaid in time); AT_STORE: BOOKED now, paid at the store. "
        "A full slot is SLOT_FULL; a time no slot starts at is OUTSIDE_OPENING_HOURS.",
        extensions=login_required(),
    )
    @payload_errors
    async def book_service(
        self,
        info: Info,
        service_item_id: Annotated[strawberry.ID, strawberry.argument(description=ITEM_ID)],
        starts_at: Annotated[datetime, strawberry.argument(description="The slot's start (serviceItemSlots).")],
        idempotency_key: Annotated[str, strawberry.argument(description="1 to 64 characters; a retry books once.")],
        pay_mode: Annotated[BookingPayMode, strawberry.argument(description="Pay now or at the store.")] = (
            BookingPayMode.ONLINE
        ),
        note: Annotated[str, strawberry.argument(description="For the store, at most 256 characters.")] = "",
    ) -> BookingPayload:
        booking = await bookings.book(
            viewer(info).id,
            parse_id(service_item_id, "serviceItemId", of="ServiceItem"),
            starts_at,
            pay_mode.value,
            idempotency_key,
            note,
        )
        return BookingPayload(booking=booking)

    @strawberry.mutation(
        description="Cancel my booking: free until BOOKING_FREE_CANCEL_HOURS before its slot (an online payment "
        "is refunded in full), later CANCELLATION_WINDOW_CLOSED.",
        extensions=login_required(),
    )
    @payload_errors
    async def cancel_booking(
        self, info: Info, id: Annotated[strawberry.ID, strawberry.argument(description=BOOKING_ID)]
    ) -> BookingPayload:
        return BookingPayload(booking=await bookings.cancel(viewer(info).id, parse_id(id, of="Booking")))

    @strawberry.mutation(
        description="Check a customer in on the day of the slot (store.bookings); a paid booking's order completes.",
        extensions=login_required(),
    )
    @payload_errors
    async def check_in_booking(
        self, info: Info, id: Annotated[strawberry.ID, strawberry.argument(description=BOOKING_ID)]
    ) -> BookingPayload:
        grants = await info.context.grants()
        return BookingPayload(booking=await bookings.check_in(grants, viewer(info).id, parse_id(id, of="Booking")))

    @strawberry.mutation(
        description="Mark a booking not checked in a no-show once its slot ended (store.bookings); the worker "
        "does it BOOKING_NO_SHOW_GRACE_MINUTES after the slot.",
        extensions=login_required(),
    )
    @payload_errors
    async def mark_booking_no_show(
        self, info: Info, id: Annotated[strawberry.ID, strawberry.argument(description=BOOKING_ID)]
    ) -> BookingPayload:
        grants = await info.context.grants()
        return BookingPayload(booking=await bookings.mark_no_show(grants, viewer(info).id, parse_id(id, of="Booking")))
