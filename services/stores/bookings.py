"""Bookable service items of a store (STO-4): the items a store sells by time slot, the
slots a customer may book, bookings paid online or at the store, check-in by store staff,
cancellation and no-show.

An item (price, duration, capacity per slot, its own opening hours or else the store's) is
sold through a hidden product of the merchant (zone SERVICE, REDEEMABLE, never listed and
refused at checkout) so an online-paid booking is an ordinary order: a Payment with one
Order of delivery type VIRTUAL at the store and one line of the item's SKU, paid by
`payWithWallet` / `startGatewayPayment` as any checkout, with every PAID reaction
(commissions, agents of the store's region, store share, risk). The order completes when
the customer is checked in (or marked a no-show); a booking paid AT_STORE has no order (the
customer pays at the counter, e.g. by the store's payment code, STO-1).

Capacity: a slot's row (created on its first booking) counts the bookings holding it;
`booked` only moves by `UPDATE ... SET booked = booked + 1 WHERE booked < capacity`, one
atomic statement, so concurrent bookings never exceed the capacity (PostgreSQL test:
50 at once for 5 places -> exactly 5). Cancelling (or an unpaid booking timing out with its
payment) gives the place back by `booked - 1`.

Cancellation: free until BOOKING_FREE_CANCEL_HOURS before the slot (an online payment is
refunded in full, the order closed); later, CANCELLATION_WINDOW_CLOSED. No-show: a booking
not checked in BOOKING_NO_SHOW_GRACE_MINUTES after its slot ends is marked by the worker
(`mark_no_shows`), or by staff once the slot has ended; the money of an online payment is
kept (the order completes).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from tortoise.exceptions import IntegrityError
from tortoise.expressions import F

import settings
from models.bookings import Booking, BookingSlot, ServiceItem
from models.catalog import Product, Sku
from models.merchants import Merchant, Store
from models.orders import AfterSale, Order, OrderLine, Payment
from services.accounts.access import Grants, require_merchant, require_store_permission
from services.catalog import product_states
from services.core import business_days, clock
from services.core.errors import DomainError, ErrorCode
from services.core.events import emit, store_channel, unit_of_work
from services.core.sql import sql
from services.core.states import StateMachine, Transition
from services.merchants import merchants
from services.merchants import stores as store_rules
from services.orders import after_sale_states
from services.orders import hooks as order_hooks
from services.orders import payments as order_payments
from services.orders import states as order_states
from services.orders.checkout import MAX_KEY_LENGTH, new_number
from services.stores import payments as store_payments
from services.stores import slots
from services.stores.events import BookingChanged

ZONE = "SERVICE"  # the zone of a booked service's order line
CATEGORY_NAME = "门店服务"
ONLINE, AT_STORE = "ONLINE", "AT_STORE"
PAY_MODES = (ONLINE, AT_STORE)
PENDING_PAYMENT, BOOKED, CHECKED_IN, CANCELLED, NO_SHOW = (
    "PENDING_PAYMENT",
    "BOOKED",
    "CHECKED_IN",
    "CANCELLED",
    "NO_SHOW",
)
STATUSES = (PENDING_PAYMENT, BOOKED, CHECKED_IN, CANCELLED, NO_SHOW)
MAX_PRICE = 10_000_000  # 100,000.00
MAX_CAPACITY = 1000
MIN_DURATION, MAX_DURATION = 5, 12 * 60

BOOKING_STATES = StateMachine(
    "booking",
    {
        "confirm": Transition(PENDING_PAYMENT, BOOKED),  # its online payment landed
        "check_in": Transition(BOOKED, CHECKED_IN, stamp="checked_in_at"),
        "cancel": Transition({PENDING_PAYMENT, BOOKED}, CANCELLED, stamp="cancelled_at"),
        "no_show": Transition(BOOKED, NO_SHOW, stamp="no_show_at"),
    },
    touch="updated_at",
    field="id",
)


@dataclass
class ServiceItemData:
    name: str
    price: int
    duration_minutes: int
    capacity: int
    description: str = ""
    opening_hours: list[store_rules.OpeningHours] | None = None  # None / []: the store's hours
    is_active: bool = True


def _not_found(what: str = "booking", field: str = "id") -> DomainError:
    return DomainError(ErrorCode.NOT_FOUND, f"No such {what}.", field)


def _clean(data: ServiceItemData) -> dict:
    name = (data.name or "").strip()
    if not 1 <= len(name) <= 64:
        raise DomainError(ErrorCode.INVALID_INPUT, "A service item's name has 1 to 64 characters.", "name")
    description = (data.description or "").strip()
    if len(description) > 512:
        raise DomainError(ErrorCode.INVALID_INPUT, "The description is at most 512 characters.", "description")
    if not isinstance(data.price, int) or isinstance(data.price, bool) or not 0 < data.price <= MAX_PRICE:
        raise DomainError(ErrorCode.INVALID_AMOUNT, "A price is 0.01 to 100000.00.", "price")
    if not MIN_DURATION <= data.duration_minutes <= MAX_DURATION:
        raise DomainError(
            ErrorCode.INVALID_INPUT, f"A slot lasts {MIN_DURATION} to {MAX_DURATION} minutes.", "durationMinutes"
        )
    if not 1 <= data.capacity <= MAX_CAPACITY:
        raise DomainError(ErrorCode.INVALID_INPUT, f"A slot takes 1 to {MAX_CAPACITY} customers.", "capacity")
    return {
        "name": name,
        "description": description,
        "price": data.price,
        "duration_minutes": data.duration_minutes,
        "capacity": data.capacity,
        "opening_hours": store_rules.clean_opening_hours(data.opening_hours or []),
        "is_active": bool(data.is_active),
    }


async def _store(store_id: int) -> Store:
    store = await Store.get_or_none(id=store_id)
    if store is None:
        raise _not_found("store", "storeId")
    return store


async def create_item(grants: Grants, store_id: int, data: ServiceItemData) -> ServiceItem:
    """A new bookable service item of a store (merchant.settings)."""
    store = await _store(store_id)
    require_merchant(grants, store.merchant_id, "merchant.settings")
    fields = _clean(data)
    category_id = await store_payments.hidden_category(CATEGORY_NAME)
    async with unit_of_work() as conn:
        product = await Product.create(
            merchant_id=store.merchant_id,
            category_id=category_id,
            title=fields["name"],
            zone=ZONE,
            delivery_kind=product_states.REDEEMABLE,
            status=product_states.DRAFT,  # never listed: sold only by booking a slot
            min_price=fields["price"],
            max_price=fields["price"],
            using_db=conn,
        )
        sku = await Sku.create(
            product_id=product.id, code=f"SERVICE-{product.id}", price=fields["price"], using_db=conn
        )
        return await ServiceItem.create(
            store_id=store.id,
            merchant_id=store.merchant_id,
            product_id=product.id,
            sku_id=sku.id,
            **fields,
            using_db=conn,
        )


async def update_item(grants: Grants, item_id: int, data: ServiceItemData) -> ServiceItem:
    """Change an item (merchant.settings). Slots already booked keep their capacity; bookings
    keep the price they were made at."""
    item = await ServiceItem.get_or_none(id=item_id)
    if item is None:
        raise _not_found("service item")
    require_merchant(grants, item.merchant_id, "merchant.settings")
    fields = _clean(data)
    async with unit_of_work() as conn:
        await ServiceItem.filter(id=item.id).using_db(conn).update(**fields)
        await (
            Product.filter(id=item.product_id)
            .using_db(conn)
            .update(title=fields["name"], min_price=fields["price"], max_price=fields["price"])
        )
        await Sku.filter(id=item.sku_id).using_db(conn).update(price=fields["price"])
    return await ServiceItem.get(id=item.id)


async def items_of_store(store_id: int, *, include_inactive: bool = False) -> list[ServiceItem]:
    query = ServiceItem.filter(store_id=store_id)
    if not include_inactive:
        query = query.filter(is_active=True)
    return await query.order_by("id")


def _hours(item: ServiceItem, store: Store) -> list[slots.Interval]:
    return slots.intervals(item.opening_hours or store.opening_hours or [])


def check_day(day: date, field: str = "date") -> None:
    """A day bookings can be about: from EARLIEST_DAY to BOOKING_DAYS_AHEAD after today."""
    last = business_days.today() + timedelta(days=settings.BOOKING_DAYS_AHEAD + 1)
    if not business_days.EARLIEST_DAY <= day <= last:
        raise DomainError(ErrorCode.INVALID_INPUT, f"Choose a day from {business_days.EARLIEST_DAY} to {last}.", field)


@dataclass(frozen=True)
class SlotView:
    item_id: int
    starts_at: datetime
    ends_at: datetime
    capacity: int
    booked: int

    @property
    def remaining(self) -> int:
        return max(0, self.capacity - self.booked)


async def available_slots(item_id: int, day: date) -> list[SlotView]:
    """One business day's slots of an active item with their places left (past slots left out)."""
    check_day(day)
    item = await ServiceItem.get_or_none(id=item_id, is_active=True)
    if item is None:
        raise _not_found("service item", "serviceItemId")
    store = await Store.get(id=item.store_id)
    now = clock.now()
    day_slots = slots.day_slots(_hours(item, store), day, item.duration_minutes, business_days.BUSINESS_TZ)
    taken = {
        row.starts_at: row
        for row in await BookingSlot.filter(item_id=item.id, starts_at__in=[s.starts_at for s in day_slots])
    }
    views = []
    for s in day_slots:
        if s.starts_at <= now:
            continue
        row = taken.get(s.starts_at)
        views.append(
            SlotView(item.id, s.starts_at, s.ends_at, row.capacity if row else item.capacity, row.booked if row else 0)
        )
    return views


# --------------------------------------------------------------------------- booking


def _outside(message: str) -> DomainError:
    return DomainError(ErrorCode.OUTSIDE_OPENING_HOURS, message, "startsAt")


async def _slot_row(item: ServiceItem, slot: slots.Slot) -> BookingSlot:
    row = await BookingSlot.get_or_none(item_id=item.id, starts_at=slot.starts_at)
    if row is not None:
        return row
    try:
        async with unit_of_work():
            return await BookingSlot.create(
                item_id=item.id, starts_at=slot.starts_at, ends_at=slot.ends_at, capacity=item.capacity
            )
    except IntegrityError:  # a concurrent first booking created it
        return await BookingSlot.get(item_id=item.id, starts_at=slot.starts_at)


async def book(
    buyer_id: int, item_id: int, starts_at: datetime, pay_mode: str, idempotency_key: str, note: str = ""
) -> Booking:
    """Book the slot of `item_id` starting at `starts_at`. ONLINE: the booking holds its place
    PENDING_PAYMENT under a new payment (pay it as a checkout's); it is BOOKED once paid and
    released if the payment times out. AT_STORE: BOOKED at once, paid at the counter. Refusals
    (a full slot: SLOT_FULL; not a slot of the opening hours, past or too far ahead:
    OUTSIDE_OPENING_HOURS; a closed store: STORE_CLOSED) change nothing. The same key and input
    answer the same booking."""
    key = (idempotency_key or "").strip()
    if not key or len(key) > MAX_KEY_LENGTH:
        raise DomainError(
            ErrorCode.INVALID_INPUT,
            f"An idempotency key of 1 to {MAX_KEY_LENGTH} characters is required.",
            "idempotencyKey",
        )
    if pay_mode not in PAY_MODES:
        raise DomainError(ErrorCode.INVALID_INPUT, "Pay online or at the store.", "payMode")
    note = (note or "").strip()
    if len(note) > 256:
        raise DomainError(ErrorCode.INVALID_INPUT, "The note is at most 256 characters.", "note")
    starts_at = starts_at if starts_at.tzinfo else starts_at.replace(tzinfo=UTC)
    earlier = await Booking.get_or_none(buyer_id=buyer_id, idempotency_key=key)
    if earlier is not None:
        if (earlier.item_id, earlier.starts_at, earlier.pay_mode) != (item_id, starts_at, pay_mode):
            raise DomainError(
                ErrorCode.IDEMPOTENCY_KEY_REUSED, "This idempotency key was used for another booking.", "idempotencyKey"
            )
        return earlier
    item = await ServiceItem.get_or_none(id=item_id, is_active=True)
    if item is None:
        raise _not_found("service item", "serviceItemId")
    store = await Store.get(id=item.store_id)
    merchant_status = await Merchant.filter(id=store.merchant_id).values_list("status", flat=True)
    if not store.is_active or not merchant_status or merchant_status[0] != merchants.ACTIVE:
        raise DomainError(ErrorCode.STORE_CLOSED, "This store is closed and takes no bookings now.", "serviceItemId")
    now = clock.now()
    if starts_at <= now:
        raise _outside("This slot has already begun.")
    if starts_at > now + timedelta(days=settings.BOOKING_DAYS_AHEAD):
        raise _outside(f"Slots are booked at most {settings.BOOKING_DAYS_AHEAD} days ahead.")
    slot = slots.slot_at(_hours(item, store), starts_at, item.duration_minutes, business_days.BUSINESS_TZ)
    if slot is None:
        raise _outside("No slot of this service starts then (see its opening hours and slots).")
    row = await _slot_row(item, slot)
    try:
        async with unit_of_work() as conn:
            taken = (
                await BookingSlot.filter(id=row.id, booked__lt=F("capacity"))
                .using_db(conn)
                .update(booked=F("booked") + 1)
            )
            if taken != 1:
                raise DomainError(ErrorCode.SLOT_FULL, "This slot is fully booked; choose another.", "startsAt")
            order_id = None
            if pay_mode == ONLINE:
                order_id = await _create_order(conn, buyer_id, item, store, slot, key)
            booking = await Booking.create(
                slot_id=row.id,
                item_id=item.id,
                store_id=store.id,
                buyer_id=buyer_id,
                pay_mode=pay_mode,
                order_id=order_id,
                price=item.price,
                status=PENDING_PAYMENT if pay_mode == ONLINE else BOOKED,
                starts_at=slot.starts_at,
                ends_at=slot.ends_at,
                idempotency_key=key,
                note=note,
                using_db=conn,
            )
            emit(store_channel(store.id), BookingChanged(booking.id, booking.status))
    except IntegrityError:  # the same key raced itself: answer the first
        earlier = await Booking.get_or_none(buyer_id=buyer_id, idempotency_key=key)
        if earlier is None:
            raise
        return earlier
    return booking


async def _create_order(conn, buyer_id: int, item: ServiceItem, store: Store, slot: slots.Slot, key: str) -> int:
    now = clock.now()
    payment = await Payment.create(
        payment_no=new_number("P"),
        buyer_id=buyer_id,
        amount=item.price,
        currency=settings.CURRENCY,
        expires_at=now + timedelta(minutes=settings.ORDER_PAY_TIMEOUT_MINUTES),
        idempotency_key=f"booking:{key}"[:MAX_KEY_LENGTH],
        request_hash=f"booking:{item.id}:{slot.starts_at.isoformat()}",
        using_db=conn,
    )
    order = await Order.create(
        order_no=new_number(),
        payment_id=payment.id,
        buyer_id=buyer_id,
        merchant_id=store.merchant_id,
        delivery_type=order_states.VIRTUAL,
        store_id=store.id,
        goods_amount=item.price,
        shipping_fee=0,
        pay_amount=item.price,
        currency=payment.currency,
        using_db=conn,
    )
    local = slot.starts_at.astimezone(business_days.BUSINESS_TZ)
    await OrderLine.create(
        order_id=order.id,
        product_id=item.product_id,
        sku_id=item.sku_id,
        title=f"{item.name} · {store.name}"[:128],
        spec_text=f"{local:%Y-%m-%d %H:%M}",
        zone=ZONE,
        unit_price=item.price,
        quantity=1,
        amount=item.price,
        using_db=conn,
    )
    return order.id


async def refuse_at_checkout(buyer_id: int, lines: list, conn) -> None:
    """ZONE_RULES[SERVICE]: a service is bought by booking one of its slots, not through checkout."""
    raise DomainError(ErrorCode.PRODUCT_UNAVAILABLE, "Book a slot of this service instead.", "items")


async def _release(booking: Booking, conn) -> None:
    await BookingSlot.filter(id=booking.slot_id, booked__gt=0).using_db(conn).update(booked=F("booked") - 1)


async def on_paid(paid: order_hooks.PaidOrder, conn) -> None:
    """PAID step: the booking waiting for this order's payment is BOOKED."""
    order = paid.order
    if order.delivery_type != order_states.VIRTUAL or order.store_id is None:
        return
    if not any(ln.zone == ZONE for ln in paid.lines):
        return
    for booking in await Booking.filter(order_id=order.id, status=PENDING_PAYMENT).using_db(conn):
        await BOOKING_STATES.apply(booking, "confirm", conn=conn)
        emit(store_channel(booking.store_id), BookingChanged(booking.id, BOOKED))


async def on_order_cancelled(order: Order, conn) -> None:
    """CANCELLED step: an unpaid booking's payment was cancelled or timed out: its place is free again."""
    if order.delivery_type != order_states.VIRTUAL or order.store_id is None:
        return
    for booking in await Booking.filter(order_id=order.id, status=PENDING_PAYMENT).using_db(conn):
        await BOOKING_STATES.apply(booking, "cancel", conn=conn)
        await _release(booking, conn)
        emit(store_channel(booking.store_id), BookingChanged(booking.id, CANCELLED))


# --------------------------------------------------------------------------- the customer


async def my_booking(buyer_id: int, booking_id: int) -> Booking:
    booking = await Booking.get_or_none(id=booking_id, buyer_id=buyer_id)
    if booking is None:
        raise _not_found()
    return booking


async def active_item(item_id: int) -> ServiceItem | None:
    return await ServiceItem.get_or_none(id=item_id, is_active=True)


async def visible_booking(viewer_id: int, grants: Grants, booking_id: int) -> Booking | None:
    """The booking for its customer or the store's staff (store.bookings); None for anyone else."""
    booking = await Booking.get_or_none(id=booking_id)
    if booking is None or booking.buyer_id == viewer_id:
        return booking
    store = await Store.get(id=booking.store_id)
    try:
        require_store_permission(grants, store.id, store.merchant_id, "store.bookings")
    except DomainError:
        return None
    return booking


def my_bookings(buyer_id: int):
    return Booking.filter(buyer_id=buyer_id).order_by("-starts_at", "-id")


async def cancel(buyer_id: int, booking_id: int) -> Booking:
    """The customer cancels: free until BOOKING_FREE_CANCEL_HOURS before the slot (an online
    payment refunded in full); an unpaid online booking any time (its payment is cancelled)."""
    booking = await my_booking(buyer_id, booking_id)
    BOOKING_STATES.target("cancel", booking.status, field="id")
    if booking.status == PENDING_PAYMENT:
        order = await Order.get(id=booking.order_id)
        payment = await Payment.get(id=order.payment_id)
        await order_payments.cancel_payment(payment, actor_id=buyer_id, reason="Booking cancelled")
        return await Booking.get(id=booking.id)  # the CANCELLED step released it
    if not slots.free_cancellation(clock.now(), booking.starts_at, settings.BOOKING_FREE_CANCEL_HOURS):
        raise DomainError(
            ErrorCode.CANCELLATION_WINDOW_CLOSED,
            f"A booking is cancelled at most {settings.BOOKING_FREE_CANCEL_HOURS} hours before its slot.",
            "id",
        )
    refund = None
    async with unit_of_work() as conn:
        await BOOKING_STATES.apply(booking, "cancel", conn=conn)
        await _release(booking, conn)
        if booking.order_id is not None:
            refund = await _refund_order(booking, conn)
        emit(store_channel(booking.store_id), BookingChanged(booking.id, CANCELLED))
    if refund is not None and refund.method != order_payments.WALLET:
        await order_payments.execute_refund(refund.id)
    return booking


async def _refund_order(booking: Booking, conn):
    """The whole online payment back, recorded as a REFUND_ONLY after-sale already REFUNDED
    (what settlement reads), the LINE_REFUNDED reactions, then the order CLOSED."""
    if conn.capabilities.dialect == "postgres":
        await conn.execute_query(sql(conn, "SELECT id FROM orders WHERE id = ? FOR NO KEY UPDATE"), [booking.order_id])
    order = await Order.get(id=booking.order_id).using_db(conn)
    line = await OrderLine.filter(order_id=order.id).using_db(conn).order_by("id").first()
    if order.status != order_states.PAID or line is None or line.refunded_quantity:
        raise DomainError(ErrorCode.INVALID_TRANSITION, "This booking's payment cannot be refunded now.", "id")
    moved = (
        await OrderLine.filter(id=line.id, refunded_quantity=0, requested_quantity=line.requested_quantity)
        .using_db(conn)
        .update(
            requested_quantity=F("requested_quantity") + line.quantity,
            refunded_quantity=line.quantity,
            refunded_amount=line.amount,
        )
    )
    if moved != 1:
        raise DomainError(ErrorCode.INVALID_TRANSITION, "This booking changed meanwhile; try again.", "id")
    line.requested_quantity += line.quantity
    line.refunded_quantity, line.refunded_amount = line.quantity, line.amount
    now = clock.now()
    after_sale = await AfterSale.create(
        order_id=order.id,
        line_id=line.id,
        buyer_id=order.buyer_id,
        merchant_id=order.merchant_id,
        kind=after_sale_states.REFUND_ONLY,
        status=after_sale_states.REFUNDED,
        quantity=line.quantity,
        amount=line.amount,
        reason="预约取消",
        reviewed_at=now,
        refunded_at=now,
        using_db=conn,
    )
    await order_hooks.LINE_REFUNDED.run(
        order_hooks.LineRefund(order=order, line=line, quantity=line.quantity, amount=line.amount), conn
    )
    refund = await order_payments.book_refund(order, line.amount, conn, after_sale_id=after_sale.id)
    await order_states.transition(order, "close", conn=conn, actor_id=booking.buyer_id, reason="Booking cancelled")
    return refund


# --------------------------------------------------------------------------- store staff


async def _staff_booking(grants: Grants, booking_id: int) -> tuple[Booking, Store]:
    booking = await Booking.get_or_none(id=booking_id)
    if booking is None:
        raise _not_found()
    store = await Store.get(id=booking.store_id)
    try:
        require_store_permission(grants, store.id, store.merchant_id, "store.bookings")
    except DomainError:
        raise _not_found() from None
    return booking, store


async def store_bookings(grants: Grants, store_id: int, day: date, status: str | None = None) -> list[Booking]:
    """A store's bookings of one business day, by slot (store.bookings)."""
    check_day(day)
    store = await _store(store_id)
    require_store_permission(grants, store.id, store.merchant_id, "store.bookings")
    start = business_days.day_start(day)
    query = Booking.filter(store_id=store.id, starts_at__gte=start, starts_at__lt=start + timedelta(days=1))
    if status:
        query = query.filter(status=status)
    return await query.order_by("starts_at", "id")


async def _complete_order(booking: Booking, conn, actor_id: int | None, reason: str) -> None:
    """A paid booking's order completes when the service is given (or forfeited)."""
    if booking.order_id is None:
        return
    order = await Order.get(id=booking.order_id).using_db(conn)
    if order_states.ORDER_STATES.allows("complete_virtual", order.status, order.delivery_type):
        await order_states.transition(
            order, "complete_virtual", conn=conn, actor_id=actor_id, reason=reason, auto_complete_at=None
        )
        await order_hooks.COMPLETED.run(order, conn)


async def check_in(grants: Grants, actor_id: int, booking_id: int) -> Booking:
    """Store staff (store.bookings) check the customer in, on the slot's business day."""
    booking, _store_row = await _staff_booking(grants, booking_id)
    BOOKING_STATES.target("check_in", booking.status, field="id")
    if business_days.business_day(clock.now()) != business_days.business_day(booking.starts_at):
        raise DomainError(ErrorCode.INVALID_TRANSITION, "Customers are checked in on the day of their slot.", "id")
    async with unit_of_work() as conn:
        await BOOKING_STATES.apply(booking, "check_in", conn=conn, checked_in_by_id=actor_id)
        await _complete_order(booking, conn, actor_id, "Checked in")
        emit(store_channel(booking.store_id), BookingChanged(booking.id, CHECKED_IN))
    return booking


async def mark_no_show(grants: Grants, actor_id: int, booking_id: int) -> Booking:
    """Store staff mark a booking not checked in as a no-show, once its slot has ended."""
    booking, _store_row = await _staff_booking(grants, booking_id)
    BOOKING_STATES.target("no_show", booking.status, field="id")
    if clock.now() < booking.ends_at:
        raise DomainError(ErrorCode.INVALID_TRANSITION, "A booking is a no-show only after its slot.", "id")
    async with unit_of_work() as conn:
        await BOOKING_STATES.apply(booking, "no_show", conn=conn)
        await _complete_order(booking, conn, actor_id, "No-show")
        emit(store_channel(booking.store_id), BookingChanged(booking.id, NO_SHOW))
    return booking


async def mark_no_shows(limit: int = 200) -> int:
    """Worker job: bookings still BOOKED BOOKING_NO_SHOW_GRACE_MINUTES after their slot ended."""
    due = clock.now() - timedelta(minutes=settings.BOOKING_NO_SHOW_GRACE_MINUTES)
    marked = 0
    for booking in await Booking.filter(status=BOOKED, ends_at__lte=due).order_by("ends_at", "id").limit(limit):
        try:
            async with unit_of_work() as conn:
                await BOOKING_STATES.apply(booking, "no_show", conn=conn)
                await _complete_order(booking, conn, None, "No-show")
                emit(store_channel(booking.store_id), BookingChanged(booking.id, NO_SHOW))
            marked += 1
        except DomainError:  # checked in or cancelled meanwhile
            continue
    return marked
