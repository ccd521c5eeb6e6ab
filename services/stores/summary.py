"""A store's daily summary for its owner (STO-1 to STO-5): one business day's payments at the
counter, member cards topped up and spent, punch-card uses redeemed, bookings of its service
items and deliveries. Top-ups count for a store when the card's plan is that store's own (a
plan of every store of the merchant is topped up online, at no store).

Read-only, a constant number of queries whatever the day's volume."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from models.bookings import Booking
from models.deliveries import StoreDelivery
from models.merchants import Store
from models.orders import Order, Refund
from models.stores import MemberCardEntry, PunchCardCode
from services.accounts.access import Grants, require_merchant
from services.core import business_days
from services.core.errors import DomainError, ErrorCode
from services.orders.states import IN_STORE, PENDING_PAYMENT
from services.stores import bookings, delivery, member_cards


@dataclass(frozen=True)
class PaymentsDay:
    count: int  # payments taken at the counter
    amount: int  # fen paid
    refund_count: int  # refunds made that day (of any day's payments)
    refunded: int  # fen refunded that day


@dataclass(frozen=True)
class BookingsDay:
    total: int  # bookings of the day's slots (every state)
    booked: int  # still awaiting the customer
    checked_in: int
    no_show: int
    cancelled: int
    pending_payment: int
    paid_online: int  # fen of the day's slots paid online and not cancelled


@dataclass(frozen=True)
class DeliveriesDay:
    opened: int  # store-delivery orders paid that day
    delivered: int  # deliveries completed that day
    fees: int  # fen of delivery fees of the deliveries completed that day
    in_progress: int  # of those opened that day: not delivered nor cancelled yet


@dataclass(frozen=True)
class CardsDay:
    top_up_count: int  # top-ups of cards of this store's own plans
    topped_up: int  # fen paid in by them (principal)
    bonus_given: int  # fen of bonus they gave
    spend_count: int  # card payments at this store
    spent: int  # fen paid by card here (principal and bonus)
    redemptions: int  # punch-card uses redeemed here
    earned: int  # fen of income those uses recognised


@dataclass(frozen=True)
class StoreDay:
    store: Store
    day: date
    payments: PaymentsDay
    cards: CardsDay
    bookings: BookingsDay
    deliveries: DeliveriesDay


async def daily_summary(grants: Grants, store_id: int, day: date) -> StoreDay:
    """One business day at a store, for the merchant's owner (merchant.finance)."""
    store = await Store.get_or_none(id=store_id)
    if store is None:
        raise DomainError(ErrorCode.NOT_FOUND, "No such store.", "storeId")
    require_merchant(grants, store.merchant_id, "merchant.finance")
    business_days.check_day(day, "date")
    start = business_days.day_start(day)
    end = start + timedelta(days=1)

    paid = (
        await Order.filter(store_id=store.id, delivery_type=IN_STORE, paid_at__gte=start, paid_at__lt=end)
        .exclude(status=PENDING_PAYMENT)
        .values_list("pay_amount", flat=True)
    )
    refunds = await Refund.filter(
        order__store_id=store.id, order__delivery_type=IN_STORE, created_at__gte=start, created_at__lt=end
    ).values_list("amount", flat=True)
    payments = PaymentsDay(len(paid), sum(paid), len(refunds), sum(refunds))

    rows = await Booking.filter(store_id=store.id, starts_at__gte=start, starts_at__lt=end).values_list(
        "status", "pay_mode", "price"
    )
    count = {status: 0 for status in bookings.STATUSES}
    online = 0
    for status, mode, price in rows:
        count[status] += 1
        if mode == bookings.ONLINE and status not in (bookings.CANCELLED, bookings.PENDING_PAYMENT):
            online += price
    booking_day = BookingsDay(
        len(rows),
        count[bookings.BOOKED],
        count[bookings.CHECKED_IN],
        count[bookings.NO_SHOW],
        count[bookings.CANCELLED],
        count[bookings.PENDING_PAYMENT],
        online,
    )

    opened = await StoreDelivery.filter(store_id=store.id, created_at__gte=start, created_at__lt=end).values_list(
        "status", flat=True
    )
    done = await StoreDelivery.filter(store_id=store.id, delivered_at__gte=start, delivered_at__lt=end).values_list(
        "fee", flat=True
    )
    deliveries = DeliveriesDay(
        len(opened),
        len(done),
        sum(done),
        sum(1 for s in opened if s not in (delivery.DELIVERED, delivery.CANCELLED)),
    )
    return StoreDay(store, day, payments, await _cards_day(store.id, start, end), booking_day, deliveries)


async def _cards_day(store_id: int, start, end) -> CardsDay:
    topped = await MemberCardEntry.filter(
        card__plan__store_id=store_id, kind=member_cards.TOP_UP, created_at__gte=start, created_at__lt=end
    ).values_list("principal", "bonus")
    spent = await MemberCardEntry.filter(
        store_id=store_id, kind=member_cards.SPEND, created_at__gte=start, created_at__lt=end
    ).values_list("principal", "bonus")
    uses = await PunchCardCode.filter(store_id=store_id, used_at__gte=start, used_at__lt=end).values_list(
        "earned", flat=True
    )
    return CardsDay(
        len(topped),
        sum(p for p, _ in topped),
        sum(b for _, b in topped),
        len(spent),
        -sum(p + b for p, b in spent),
        len(uses),
        sum(uses),
    )
