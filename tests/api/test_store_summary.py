"""A store's daily summary for its owner (STO-1, STO-4, STO-5): the day's payments at the
counter and their refunds, bookings of the day's slots, deliveries; only the owner (or the
merchant's finance staff) reads it."""

from __future__ import annotations

from datetime import timedelta

from services.accounts.access import load_grants
from services.core import business_days, clock
from services.merchants.stores import OpeningHours
from services.orders import payments as order_payments
from services.stores import bookings, delivery
from services.stores import payments as store_payments
from tests.api.test_bookings import tomorrow_at
from tests.api.test_store_delivery import DISPATCH, MOVE, PAY, PLACE, address, deliverer, north_of, place_input
from tests.helpers import gid, token_for

SUMMARY = """query($s: ID!, $d: Date!) { storeDailySummary(storeId: $s, date: $d) { date store { id }
  payments { count amount { amount } refundCount refunded { amount } }
  bookings { total booked checkedIn noShow cancelled pendingPayment paidOnline { amount } }
  deliveries { opened delivered fees { amount } inProgress } } }"""


async def test_the_owner_sees_the_days_payments_bookings_and_deliveries(api):
    s = await deliverer(api)
    store, buyer = s["store"], s["buyer"]
    owner_grants = await load_grants(s["merchant"].owner_id)
    item = await bookings.create_item(
        owner_grants,
        store.id,
        bookings.ServiceItemData(
            "修车", 3000, 60, 3, opening_hours=[OpeningHours(d, "00:00", "24:00") for d in range(1, 8)]
        ),
    )
    slot = tomorrow_at(10)
    online = await bookings.book(buyer.id, item.id, slot, bookings.ONLINE, "b1")
    await order_payments.pay_with_wallet(buyer.id, (await online.order).payment_id)
    await bookings.book(buyer.id, item.id, slot, bookings.AT_STORE, "b2")
    cancelled = await bookings.book(buyer.id, item.id, slot, bookings.AT_STORE, "b3")
    await bookings.cancel(buyer.id, cancelled.id)
    clock.advance(slot - clock.now())  # the slot's day is today now
    day = business_days.today().isoformat()
    owner, token, rider = (
        await token_for(await s["merchant"].owner),
        await token_for(buyer),
        await token_for(s["rider"]),
    )
    await bookings.check_in(owner_grants, s["merchant"].owner_id, online.id)

    paid = await store_payments.pay(buyer.id, store_payments.payment_code(store.id), 8800, "counter-1")
    await store_payments.pay(buyer.id, store_payments.payment_code(store.id), 1200, "counter-2")
    await store_payments.refund(owner_grants, s["merchant"].owner_id, paid.id, 800)

    home = await address(api, token, north_of(store.latitude, store.longitude, 1500))
    for quantity in (1, 2):
        placed = (await api(PLACE, {"input": place_input(s, home, quantity=quantity)}, token=token))["placeOrder"]
        await api(PAY, {"id": placed["payment"]["id"]}, token=token)
        last = placed["orders"][0]["id"]
    await api(DISPATCH, {"o": last}, token=rider)
    await api(MOVE, {"o": last, "s": "PICKED_UP"}, token=rider)
    await api(MOVE, {"o": last, "s": "DELIVERED"}, token=rider)

    found = (await api(SUMMARY, {"s": gid(store), "d": day}, token=owner))["storeDailySummary"]
    assert found == {
        "date": day,
        "store": {"id": gid(store)},
        "payments": {"count": 2, "amount": {"amount": "100.00"}, "refundCount": 1, "refunded": {"amount": "8.00"}},
        "bookings": {
            "total": 3,
            "booked": 1,
            "checkedIn": 1,
            "noShow": 0,
            "cancelled": 1,
            "pendingPayment": 0,
            "paidOnline": {"amount": "30.00"},
        },  # fmt: skip
        "deliveries": {"opened": 2, "delivered": 1, "fees": {"amount": "7.00"}, "inProgress": 1},  # 5.00 + 2 x 1.00
    }
    # the rider (store staff) and the customer may not read it; a future day is refused
    assert await api.error_code(SUMMARY, {"s": gid(store), "d": day}, token=rider) == "FORBIDDEN"
    assert await api.error_code(SUMMARY, {"s": gid(store), "d": day}, token=token) == "FORBIDDEN"
    later = (business_days.today() + timedelta(days=1)).isoformat()
    assert await api.error_code(SUMMARY, {"s": gid(store), "d": later}, token=owner) == "INVALID_DATE_RANGE"
    assert delivery.STATUSES  # the summary counts by the delivery states
