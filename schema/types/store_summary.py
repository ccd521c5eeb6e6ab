"""A store's daily summary for its owner (STO-1 to STO-5)."""

from __future__ import annotations

from datetime import date

import strawberry

from schema.money import Money
from schema.types.merchants import Store


@strawberry.type(description="Payments taken at the store's counter on the day (STO-1).")
class StorePaymentsDay:
    count: int = strawberry.field(description="Payments made.")
    amount: Money = strawberry.field(description="What they paid.")
    refund_count: int = strawberry.field(description="Refunds made that day (of any day's payments).")
    refunded: Money = strawberry.field(description="What those refunds gave back.")


@strawberry.type(description="Member cards and punch cards at the store on the day (STO-2, STO-3).")
class StoreCardsDay:
    top_up_count: int = strawberry.field(description="Top-ups of cards of the store's own plans.")
    topped_up: Money = strawberry.field(description="What those top-ups paid in (principal).")
    bonus_given: Money = strawberry.field(description="The bonus those top-ups gave.")
    spend_count: int = strawberry.field(description="Payments by member card at the store.")
    spent: Money = strawberry.field(description="What they paid (principal and bonus).")
    redemptions: int = strawberry.field(description="Punch-card uses redeemed at the store.")
    earned: Money = strawberry.field(description="The income those uses recognised.")


@strawberry.type(description="Bookings of the store's service items for the day's slots (STO-4).")
class StoreBookingsDay:
    total: int = strawberry.field(description="Every booking of the day's slots.")
    booked: int = strawberry.field(description="Still awaiting the customer.")
    checked_in: int = strawberry.field(description="Customers checked in.")
    no_show: int = strawberry.field(description="No-shows.")
    cancelled: int = strawberry.field(description="Cancelled.")
    pending_payment: int = strawberry.field(description="Awaiting their online payment.")
    paid_online: Money = strawberry.field(description="Paid online for the day's slots (not cancelled).")


@strawberry.type(description="The store's deliveries on the day (STO-5).")
class StoreDeliveriesDay:
    opened: int = strawberry.field(description="Store-delivery orders paid that day.")
    delivered: int = strawberry.field(description="Deliveries completed that day.")
    fees: Money = strawberry.field(description="Delivery fees of the deliveries completed that day.")
    in_progress: int = strawberry.field(description="Of those opened that day, not delivered nor cancelled yet.")


@strawberry.type(description="One business day at a store, for the merchant's owner.")
class StoreDailySummary:
    store: Store = strawberry.field(description="The store.")
    date: date = strawberry.field(description="The business day.")
    payments: StorePaymentsDay = strawberry.field(description="Payments at the counter.")
    cards: StoreCardsDay = strawberry.field(description="Member cards and punch cards.")
    bookings: StoreBookingsDay = strawberry.field(description="Bookings of service items.")
    deliveries: StoreDeliveriesDay = strawberry.field(description="Store deliveries.")

    @classmethod
    def of(cls, found) -> StoreDailySummary:
        p, c, b, d = found.payments, found.cards, found.bookings, found.deliveries
        return cls(
            store=found.store,
            date=found.day,
            payments=StorePaymentsDay(
                count=p.count,
                amount=Money.from_fen(p.amount),
                refund_count=p.refund_count,
                refunded=Money.from_fen(p.refunded),
            ),
            cards=StoreCardsDay(
                top_up_count=c.top_up_count,
                topped_up=Money.from_fen(c.topped_up),
                bonus_given=Money.from_fen(c.bonus_given),
                spend_count=c.spend_count,
                spent=Money.from_fen(c.spent),
                redemptions=c.redemptions,
                earned=Money.from_fen(c.earned),
            ),
            bookings=StoreBookingsDay(
                total=b.total,
                booked=b.booked,
                checked_in=b.checked_in,
                no_show=b.no_show,
                cancelled=b.cancelled,
                pending_payment=b.pending_payment,
                paid_online=Money.from_fen(b.paid_online),
            ),
            deliveries=StoreDeliveriesDay(
                opened=d.opened, delivered=d.delivered, fees=Money.from_fen(d.fees), in_progress=d.in_progress
            ),
        )
