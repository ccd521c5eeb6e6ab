"""Bookable service items (STO-4) through GraphQL: the owner lists a service item, a customer
books a slot and pays online (as a checkout's payment) or at the store, store staff see the
day's bookings and check customers in; cancellation is free until BOOKING_FREE_CANCEL_HOURS
before the slot (an online payment refunded in full); no-shows by the worker or staff; bad
input is refused with stable codes and changes nothing; on PostgreSQL 50 concurrent bookings
of a slot of capacity 5 give exactly 5."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, time, timedelta

import settings
from models.bookings import Booking, BookingSlot
from models.orders import Order, Payment
from services.core import business_days, clock
from services.core.errors import DomainError, ErrorCode
from services.ledger import ledger
from services.ledger.ledger import USER, Purpose
from services.orders import payments
from services.stores import bookings
from tests.api.test_distribution import member
from tests.catalog_factories import make_merchant
from tests.conftest import requires_postgres
from tests.helpers import gid, make_user, pk_of, token_for
from tests.order_factories import make_store

ALL_DAY = [{"weekday": d, "opens": "00:00", "closes": "24:00"} for d in range(1, 8)]
CREATE = """mutation($s: ID!, $i: ServiceItemInput!) { createServiceItem(storeId: $s, input: $i) {
  serviceItem { id name price { amount } durationMinutes capacity openingHours { weekday } store { id } }
  errors { code field } } }"""
UPDATE = """mutation($id: ID!, $i: ServiceItemInput!) { updateServiceItem(id: $id, input: $i) {
  serviceItem { id price { amount } capacity isActive } errors { code field } } }"""
ITEMS = "query($s: ID!) { storeServiceItems(storeId: $s) { id name } }"
SLOTS = (
    "query($i: ID!, $d: Date!) { serviceItemSlots(serviceItemId: $i, date: $d) { startsAt endsAt capacity remaining } }"
)
BOOKING = (
    "id status payMode startsAt price { amount } customer { id } serviceItem { id } order { id status payment { id } }"
)
BOOK = (
    """mutation($i: ID!, $t: DateTime!, $k: String!, $m: BookingPayMode!) {
  bookService(serviceItemId: $i, startsAt: $t, idempotencyKey: $k, payMode: $m) { booking { %s } errors { code field } } }"""
    % BOOKING
)
CANCEL = "mutation($id: ID!) { cancelBooking(id: $id) { booking { %s } errors { code field } } }" % BOOKING
CHECK_IN = "mutation($id: ID!) { checkInBooking(id: $id) { booking { %s } errors { code field } } }" % BOOKING
NO_SHOW = "mutation($id: ID!) { markBookingNoShow(id: $id) { booking { status } errors { code field } } }"
DAY = "query($s: ID!, $d: Date!) { storeBookings(storeId: $s, date: $d) { id status customer { id } } }"
MINE = "{ myBookings { nodes { id status } } }"
PAY = "mutation($p: ID!) { payWithWallet(paymentId: $p) { errors { code } } }"
ADD_STAFF = "mutation($s: ID!, $u: ID!) { addStoreStaff(storeId: $s, userId: $u) { staff { id } errors { code } } }"
GRANT = """mutation($s: ID!, $u: ID!, $p: [String!]!) { setStoreStaffPermissions(storeId: $s, userId: $u, permissions: $p) {
  staff { permissions } errors { code field } } }"""


def tomorrow_at(hour: int, minute: int = 0) -> datetime:
    """A slot start on the next business day, local time (whatever the test clock's start)."""
    day = business_days.today() + timedelta(days=1)
    return datetime.combine(day, time(hour, minute), business_days.BUSINESS_TZ).astimezone(UTC)


def iso(moment: datetime) -> str:
    return moment.isoformat()


async def wallet(user) -> int:
    return (await ledger.get_account(USER, user.id, Purpose.WALLET)).balance


async def shop(api, *, capacity: int = 2, hours=None, price: str = "88.00"):
    """A store with a service item, its owner, a staff member holding store.bookings, one without."""
    merchant = await make_merchant(commission_rate_bp=600)
    store = await make_store(merchant)
    owner = await token_for(await merchant.owner)
    item_input = {"name": "洗车", "price": price, "durationMinutes": 60, "capacity": capacity}
    if hours is not None:
        item_input["openingHours"] = hours
    created = (await api(CREATE, {"s": gid(store), "i": item_input}, token=owner))["createServiceItem"]
    assert created["errors"] == []
    staff, clerk = await make_user("前台"), await make_user("店员")
    for user in (staff, clerk):
        assert (await api(ADD_STAFF, {"s": gid(store), "u": gid(user)}, token=owner))["addStoreStaff"]["errors"] == []
    granted = await api(GRANT, {"s": gid(store), "u": gid(staff), "p": ["store.bookings"]}, token=owner)
    assert granted["setStoreStaffPermissions"]["errors"] == []
    return {
        "merchant": merchant,
        "store": store,
        "owner": owner,
        "item": created["serviceItem"],
        "staff": await token_for(staff),
        "staff_user": staff,
        "clerk": await token_for(clerk),
    }


async def book(api, token, item, starts_at, mode="ONLINE", key=None):
    variables = {"i": item["id"], "t": iso(starts_at), "k": key or uuid.uuid4().hex, "m": mode}
    return (await api(BOOK, variables, token=token))["bookService"]


async def test_a_customer_books_pays_online_and_is_checked_in(api):
    s = await shop(api)
    buyer, _ = await member("顾客", wallet=100_000)
    token = await token_for(buyer)
    assert s["item"]["openingHours"] == [] and s["item"]["price"] == {"amount": "88.00"}
    assert (await api(ITEMS, {"s": gid(s["store"])}))["storeServiceItems"] == [{"id": s["item"]["id"], "name": "洗车"}]

    # the store's hours are empty: the item has none of its own either, so no slots; give it hours
    day = (business_days.today() + timedelta(days=1)).isoformat()
    assert (await api(SLOTS, {"i": s["item"]["id"], "d": day}))["serviceItemSlots"] == []
    changed = await api(
        UPDATE,
        {
            "id": s["item"]["id"],
            "i": {"name": "洗车", "price": "88.00", "durationMinutes": 60, "capacity": 2, "openingHours": ALL_DAY},
        },
        token=s["owner"],
    )
    assert changed["updateServiceItem"]["errors"] == []
    slots = (await api(SLOTS, {"i": s["item"]["id"], "d": day}))["serviceItemSlots"]
    assert len(slots) == 24 and all(x["remaining"] == 2 and x["capacity"] == 2 for x in slots)

    starts = tomorrow_at(10)
    booked = await book(api, token, s["item"], starts)
    assert booked["errors"] == []
    booking = booked["booking"]
    assert booking["status"] == "PENDING_PAYMENT" and booking["payMode"] == "ONLINE"
    assert booking["order"]["status"] == "AWAITING_PAYMENT"
    assert (await api(PAY, {"p": booking["order"]["payment"]["id"]}, token=token))["payWithWallet"]["errors"] == []
    assert await wallet(buyer) == 100_000 - 8800
    slots = (await api(SLOTS, {"i": s["item"]["id"], "d": day}))["serviceItemSlots"]
    assert next(x for x in slots if datetime.fromisoformat(x["startsAt"]) == starts)["remaining"] == 1

    # staff see the day's bookings; a clerk without store.bookings does not
    today_list = (await api(DAY, {"s": gid(s["store"]), "d": day}, token=s["staff"]))["storeBookings"]
    assert today_list == [{"id": booking["id"], "status": "BOOKED", "customer": {"id": gid(buyer)}}]
    assert await api.error_code(DAY, {"s": gid(s["store"]), "d": day}, token=s["clerk"]) == "FORBIDDEN"
    assert (await api(CHECK_IN, {"id": booking["id"]}, token=s["clerk"]))["checkInBooking"]["errors"][0][
        "code"
    ] == "NOT_FOUND"

    # check-in is on the slot's day: refused today, then the order completes at check-in
    refused = (await api(CHECK_IN, {"id": booking["id"]}, token=s["staff"]))["checkInBooking"]
    assert refused["errors"] == [{"code": "INVALID_TRANSITION", "field": ["id"]}]
    clock.advance(starts - clock.now() - timedelta(minutes=5))
    s["staff"], token = await token_for(s["staff_user"]), await token_for(buyer)
    checked = (await api(CHECK_IN, {"id": booking["id"]}, token=s["staff"]))["checkInBooking"]
    assert checked["errors"] == [] and checked["booking"]["status"] == "CHECKED_IN"
    assert checked["booking"]["order"]["status"] == "COMPLETED"
    assert (await api(MINE, token=token))["myBookings"]["nodes"] == [{"id": booking["id"], "status": "CHECKED_IN"}]
    assert await ledger.check_invariants() == []


async def test_cancellation_is_free_until_the_window_and_refunds_an_online_payment(api, monkeypatch):
    monkeypatch.setattr(settings, "BOOKING_FREE_CANCEL_HOURS", 2)
    s = await shop(api, hours=ALL_DAY, capacity=1)
    buyer, _ = await member("顾客", wallet=100_000)
    token = await token_for(buyer)

    at_store = (await book(api, token, s["item"], tomorrow_at(9), mode="AT_STORE"))["booking"]
    assert at_store["status"] == "BOOKED" and at_store["order"] is None
    cancelled = (await api(CANCEL, {"id": at_store["id"]}, token=token))["cancelBooking"]
    assert cancelled["errors"] == [] and cancelled["booking"]["status"] == "CANCELLED"
    assert (await BookingSlot.get(item_id=pk_of(s["item"]["id"]), starts_at=tomorrow_at(9))).booked == 0

    paid = (await book(api, token, s["item"], tomorrow_at(11)))["booking"]
    await api(PAY, {"p": paid["order"]["payment"]["id"]}, token=token)
    assert await wallet(buyer) == 100_000 - 8800
    cancelled = (await api(CANCEL, {"id": paid["id"]}, token=token))["cancelBooking"]
    assert cancelled["errors"] == [] and cancelled["booking"]["status"] == "CANCELLED"
    assert cancelled["booking"]["order"]["status"] == "REFUNDED"  # the API name of CLOSED
    assert await wallet(buyer) == 100_000
    assert (await BookingSlot.get(item_id=pk_of(s["item"]["id"]), starts_at=tomorrow_at(11))).booked == 0
    # the place is free again: someone else books it
    other, _ = await member("别人", wallet=0)
    assert (await book(api, await token_for(other), s["item"], tomorrow_at(11), mode="AT_STORE"))["errors"] == []

    # too late: within 2 hours of the slot, refused and nothing changed
    late = (await book(api, token, s["item"], tomorrow_at(15)))["booking"]
    await api(PAY, {"p": late["order"]["payment"]["id"]}, token=token)
    clock.advance(tomorrow_at(15) - clock.now() - timedelta(hours=1))
    token = await token_for(buyer)
    refused = (await api(CANCEL, {"id": late["id"]}, token=token))["cancelBooking"]
    assert refused["errors"] == [{"code": "CANCELLATION_WINDOW_CLOSED", "field": ["id"]}]
    assert (await Booking.get(id=pk_of(late["id"]))).status == "BOOKED"
    assert await wallet(buyer) == 100_000 - 8800
    assert await ledger.check_invariants() == []


async def test_bad_bookings_are_refused_with_stable_codes_and_change_nothing(api):
    hours = [{"weekday": d, "opens": "09:00", "closes": "18:00"} for d in range(1, 8)]
    s = await shop(api, hours=hours, capacity=1)
    buyer, _ = await member("顾客", wallet=100_000)
    token = await token_for(buyer)
    assert (await book(api, token, s["item"], tomorrow_at(10)))["errors"] == []
    before = (await Booking.all().count(), await Payment.all().count(), await Order.all().count(), await wallet(buyer))

    cases = [
        (tomorrow_at(10), "SLOT_FULL"),  # the one place is taken
        (tomorrow_at(20), "OUTSIDE_OPENING_HOURS"),  # after closing
        (tomorrow_at(17, 30), "OUTSIDE_OPENING_HOURS"),  # would end after closing / not a slot start
        (tomorrow_at(8), "OUTSIDE_OPENING_HOURS"),  # before opening
        (clock.now() - timedelta(hours=1), "OUTSIDE_OPENING_HOURS"),  # past
        (tomorrow_at(10) + timedelta(days=settings.BOOKING_DAYS_AHEAD + 1), "OUTSIDE_OPENING_HOURS"),  # too far ahead
    ]
    for starts, code in cases:
        for mode in ("ONLINE", "AT_STORE"):
            refused = await book(api, token, s["item"], starts, mode=mode)
            assert refused == {"booking": None, "errors": [{"code": code, "field": ["startsAt"]}]}, (starts, mode)
    assert (await BookingSlot.get(item_id=pk_of(s["item"]["id"]), starts_at=tomorrow_at(10))).booked == 1

    # the same key with another slot; a closed store; bad item input
    key = "same-key"
    assert (await book(api, token, s["item"], tomorrow_at(12), key=key))["errors"] == []
    assert (await book(api, token, s["item"], tomorrow_at(12), key=key))["booking"] is not None  # a retry
    reused = await book(api, token, s["item"], tomorrow_at(13), key=key)
    assert reused["errors"] == [{"code": "IDEMPOTENCY_KEY_REUSED", "field": ["idempotencyKey"]}]
    before = (await Booking.all().count(), await Payment.all().count(), await Order.all().count(), await wallet(buyer))
    s["store"].is_active = False
    await s["store"].save()
    assert (await book(api, token, s["item"], tomorrow_at(14)))["errors"][0]["code"] == "STORE_CLOSED"
    bad = {"name": "洗车", "price": "0.00", "durationMinutes": 60, "capacity": 1}
    assert (await api(CREATE, {"s": gid(s["store"]), "i": bad}, token=s["owner"]))["createServiceItem"]["errors"][0][
        "code"
    ] == "INVALID_AMOUNT"
    bad = {"name": "洗车", "price": "1.00", "durationMinutes": 60, "capacity": 0}
    assert (await api(CREATE, {"s": gid(s["store"]), "i": bad}, token=s["owner"]))["createServiceItem"]["errors"][0][
        "code"
    ] == "INVALID_INPUT"
    customer_try = await api(CREATE, {"s": gid(s["store"]), "i": {**bad, "capacity": 1}}, token=token)
    assert customer_try["createServiceItem"]["errors"][0]["code"] == "FORBIDDEN"
    assert (
        await Booking.all().count(),
        await Payment.all().count(),
        await Order.all().count(),
        await wallet(buyer),
    ) == before


async def test_an_unpaid_online_booking_times_out_and_frees_its_place(api):
    s = await shop(api, hours=ALL_DAY, capacity=1)
    buyer, _ = await member("顾客", wallet=0)
    booking = (await book(api, await token_for(buyer), s["item"], tomorrow_at(10)))["booking"]
    other, _ = await member("别人")
    full = await book(api, await token_for(other), s["item"], tomorrow_at(10), mode="AT_STORE")
    assert full["errors"][0]["code"] == "SLOT_FULL"
    clock.advance(timedelta(minutes=settings.ORDER_PAY_TIMEOUT_MINUTES + 1))
    assert await payments.cancel_expired() == 1
    other_token = await token_for(other)
    assert (await Booking.get(id=pk_of(booking["id"]))).status == "CANCELLED"
    assert (await book(api, other_token, s["item"], tomorrow_at(10), mode="AT_STORE"))["errors"] == []


async def test_no_shows_are_marked_by_the_worker_or_staff_after_the_slot(api):
    s = await shop(api, hours=ALL_DAY, capacity=3)
    buyer, _ = await member("顾客", wallet=100_000)
    token = await token_for(buyer)
    at_store = (await book(api, token, s["item"], tomorrow_at(10), mode="AT_STORE"))["booking"]
    paid = (await book(api, token, s["item"], tomorrow_at(10)))["booking"]
    await api(PAY, {"p": paid["order"]["payment"]["id"]}, token=token)
    by_staff = (await book(api, token, s["item"], tomorrow_at(10), mode="AT_STORE"))["booking"]
    # before the slot ended: staff may not
    early = (await api(NO_SHOW, {"id": by_staff["id"]}, token=s["staff"]))["markBookingNoShow"]
    assert early["errors"] == [{"code": "INVALID_TRANSITION", "field": ["id"]}]
    clock.advance(tomorrow_at(11) - clock.now() + timedelta(minutes=1))
    s["staff"] = await token_for(s["staff_user"])
    marked = (await api(NO_SHOW, {"id": by_staff["id"]}, token=s["staff"]))["markBookingNoShow"]
    assert marked == {"booking": {"status": "NO_SHOW"}, "errors": []}
    assert await bookings.mark_no_shows() == 0  # within the grace period
    clock.advance(timedelta(minutes=settings.BOOKING_NO_SHOW_GRACE_MINUTES))
    assert await bookings.mark_no_shows() == 2
    assert (await Booking.get(id=pk_of(at_store["id"]))).status == "NO_SHOW"
    assert (await Order.get(id=pk_of(paid["order"]["id"]))).status == "COMPLETED"  # the money is kept
    assert await wallet(buyer) == 100_000 - 8800


async def test_a_service_is_not_bought_through_checkout(api):
    s = await shop(api, hours=ALL_DAY)
    buyer, address = await member("顾客", wallet=100_000)
    item = await bookings.active_item(pk_of(s["item"]["id"]))
    from services.orders import checkout

    try:
        await checkout.place_order(
            buyer.id,
            checkout.CheckoutRequest(
                idempotency_key="x", items=(checkout.LineRequest(item.sku_id, 1),), address_id=address.id
            ),
        )
    except DomainError as exc:
        assert exc.code == ErrorCode.PRODUCT_UNAVAILABLE
    else:
        raise AssertionError("a service was sold through checkout")


@requires_postgres
async def test_fifty_concurrent_bookings_of_a_slot_of_five_give_exactly_five(api):
    s = await shop(api, hours=ALL_DAY, capacity=5)
    buyers = [await make_user(f"顾客{i}") for i in range(50)]
    item_id, starts = pk_of(s["item"]["id"]), tomorrow_at(10)
    results = await asyncio.gather(
        *(bookings.book(b.id, item_id, starts, bookings.AT_STORE, f"race-{b.id}") for b in buyers),
        return_exceptions=True,
    )
    booked = [r for r in results if not isinstance(r, BaseException)]
    refused = [r for r in results if isinstance(r, BaseException)]
    assert len(booked) == 5
    assert all(isinstance(r, DomainError) and r.code == ErrorCode.SLOT_FULL for r in refused), refused[:3]
    assert await Booking.filter(item_id=item_id).count() == 5
    assert (await BookingSlot.get(item_id=item_id, starts_at=starts)).booked == 5
    # and online ones too (each a payment): the slot stays exact
    s2 = await shop(api, hours=ALL_DAY, capacity=5)
    item2 = pk_of(s2["item"]["id"])
    results = await asyncio.gather(
        *(bookings.book(b.id, item2, starts, bookings.ONLINE, f"race2-{b.id}") for b in buyers), return_exceptions=True
    )
    assert sum(1 for r in results if not isinstance(r, BaseException)) == 5
    assert await Payment.filter(idempotency_key__startswith="booking:race2-").count() == 5
