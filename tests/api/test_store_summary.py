"""A store's daily summary for its owner (STO-1 to STO-5): the day's payments at the counter
and their refunds, member cards topped up and spent, punch-card uses, bookings of the day's
slots, deliveries; only the owner (or the merchant's finance staff) reads it."""

from __future__ import annotations

from datetime import timedelta

from services.accounts.access import load_grants
from services.core import business_days, clock
from services.merchants.stores import OpeningHours
from services.orders import payments as order_payments
from services.stores import bookings, delivery
from services.stores import payments as store_payments
from tests.api.test_bookings import tomorrow_at
from tests.api.test_member_cards import PAY as CARD_PAY
from tests.api.test_member_cards import TOP_UP as CARD_TOP_UP
from tests.api.test_member_cards import shop as cards_shop
from tests.api.test_punch_cards import REDEEM, car_wash, code_for
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


CARDS = """query($s: ID!, $d: Date!) { storeDailySummary(storeId: $s, date: $d) {
  cards { topUpCount toppedUp { amount } bonusGiven { amount } spendCount spent { amount } redemptions earned { amount } } } }"""


async def test_the_summary_counts_the_days_member_cards_and_punch_card_uses(api):
    s = await cards_shop(api)
    token = await token_for(s["buyer"])
    top_up = (await api(CARD_TOP_UP, {"p": s["plan_a"], "a": "300.00", "k": "a1"}, token=token))["topUpMemberCard"]
    assert top_up["errors"] == [], top_up  # store A's own plan (no bonus rules)
    wide = (await api(CARD_TOP_UP, {"p": s["plan"], "a": "500.00", "k": "w1"}, token=token))["topUpMemberCard"]
    assert wide["errors"] == [], wide
    paid = await api(
        CARD_PAY,
        {"c": store_payments.payment_code(s["a"].id), "a": "120.00", "k": "p1", "card": wide["card"]["id"]},
        token=token,
    )
    assert paid["payAtStore"]["errors"] == [], paid
    day = business_days.today().isoformat()
    found = (await api(CARDS, {"s": gid(s["a"]), "d": day}, token=s["owner"]))["storeDailySummary"]["cards"]
    assert found == {
        "topUpCount": 1,  # the every-store plan's top-up belongs to no store
        "toppedUp": {"amount": "300.00"},
        "bonusGiven": {"amount": "0.00"},
        "spendCount": 1,
        "spent": {"amount": "120.00"},
        "redemptions": 0,
        "earned": {"amount": "0.00"},
    }

    w = await car_wash(api)
    for _ in range(2):
        redeemed = await api(REDEEM, {"s": gid(w["a"]), "c": await code_for(api, w)}, token=w["washer"])
        assert redeemed["redeemPunchCard"]["errors"] == []
    uses = (await api(CARDS, {"s": gid(w["a"]), "d": day}, token=w["owner"]))["storeDailySummary"]["cards"]
    assert (uses["redemptions"], uses["earned"], uses["spendCount"]) == (2, {"amount": "20.00"}, 0)
