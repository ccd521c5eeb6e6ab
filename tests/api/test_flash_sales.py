"""Flash sales over GraphQL (MKT-3) on the default database (no Redis: the database path):
sessions in daily slots, items with a flash price, stock and per-user limit; buyFlash goes
through the normal checkout at the flash price from the flash stock (the SKU's stock untouched);
an unpaid winner's unit comes back after the payment time-out and is sold again; bad input
answers stable codes with stock and money unchanged; statistics per session."""

from __future__ import annotations

import uuid
from datetime import timedelta

import settings
from models.catalog import Sku
from models.marketing import FlashClaim, FlashItem
from models.orders import OrderLine, Payment
from services.core import clock
from services.ledger import ledger
from services.marketing import flash as flash_service
from services.marketing import flash_rules as rules
from services.orders import payments
from tests.helpers import gid, make_user, pk_of, token_for
from tests.order_factories import make_buyer, make_shop

CREATE = """mutation($input: FlashSessionInput!) { createFlashSession(input: $input) {
  session { id name state startsAt endsAt } errors { code field } } }"""
ADD = """mutation($input: FlashItemInput!) { addFlashItem(input: $input) {
  item { id left stock perUserLimit state flashPrice { amount } product { title } } errors { code field } } }"""
REMOVE = "mutation($id: ID!) { removeFlashItem(id: $id) { session { items { id } } errors { code } } }"
CANCEL = "mutation($id: ID!) { cancelFlashSession(id: $id) { session { state cancelled } errors { code } } }"
SESSIONS = """query($day: Date) { flashSessions(day: $day) { serverTime day sessions { id name state
  items { id left state flashPrice { amount } } } } }"""
BUY = """mutation($input: BuyFlashInput!) { buyFlash(input: $input) { payment { id amount { amount } }
  orders { id lines { unitPrice { amount } quantity } } errors { code field } } }"""
PAY = "mutation($id: ID!) { payWithWallet(paymentId: $id) { payment { status } errors { code } } }"
STATS = """query($id: ID!) { flashSessionStats(id: $id) { attempts winners paidUnits gmv { amount }
  discountCost { amount } items { attempts winners held paidUnits } } }"""


def _slot(minutes_from_now: int) -> tuple[str, str]:
    """(business day, "HH:MM") of now + minutes, in the business time zone."""
    at = clock.now() + timedelta(minutes=minutes_from_now, hours=settings.BUSINESS_UTC_OFFSET_HOURS)
    return at.date().isoformat(), f"{at:%H:%M}"


async def _session(api, admin, *, starts_in: int = -10, minutes: int = 120) -> dict:
    day, slot = _slot(starts_in)
    body = {"input": {"name": "10点场", "day": day, "slot": slot, "durationMinutes": minutes}}
    found = (await api(CREATE, body, admin))["createFlashSession"]
    assert found["errors"] == [], found
    return found["session"]


async def _world(api, *, stock: int = 2, limit: int = 1, starts_in: int = -10):
    admin_user = await make_user("admin", roles=("admin",))
    admin = await token_for(admin_user)
    merchant, product, (row,) = await make_shop(price=10_000, stock=50)
    owner_user = await merchant.owner
    owner = await token_for(owner_user)
    session = await _session(api, admin, starts_in=starts_in)
    body = {"sessionId": session["id"], "skuId": gid("Sku", row.id), "flashPrice": "50.00", "stock": stock}
    added = (await api(ADD, {"input": body | {"perUserLimit": limit}}, owner))["addFlashItem"]
    assert added["errors"] == [], added
    return admin_user, owner_user, session, added["item"], row


async def _buy(api, user, address, item_id: str, quantity: int = 1) -> dict:
    token = await token_for(user)
    body = {"flashItemId": item_id, "idempotencyKey": uuid.uuid4().hex, "addressId": gid(address), "quantity": quantity}
    return (await api(BUY, {"input": body}, token))["buyFlash"]


async def test_a_flash_sale_sells_its_own_stock_at_its_price_and_takes_back_unpaid_units(api):
    admin, owner, session, item, row = await _world(api, stock=2)
    assert item["left"] == 2 and item["state"] == "ON" and item["flashPrice"] == {"amount": "50.00"}
    listed = (await api(SESSIONS, {}))["flashSessions"]
    assert [s["id"] for s in listed["sessions"]] == [session["id"]]
    assert listed["sessions"][0]["state"] == "ON" and listed["serverTime"]

    alice, a_addr = await make_buyer("alice", wallet=100_000)
    bob, b_addr = await make_buyer("bob", wallet=100_000)
    carol, c_addr = await make_buyer("carol", wallet=100_000)
    won = await _buy(api, alice, a_addr, item["id"])
    assert won["errors"] == [] and won["payment"]["amount"] == {"amount": "50.00"}
    assert won["orders"][0]["lines"][0]["unitPrice"] == {"amount": "50.00"}
    line = await OrderLine.get(order_id=pk_of(won["orders"][0]["id"]))
    assert (line.activity_kind, line.activity_id) == ("FLASH", pk_of(item["id"]))
    assert (await Sku.get(id=row.id)).stock == 50  # the flash stock is apart from the SKU's

    again = await _buy(api, alice, a_addr, item["id"])
    assert [e["code"] for e in again["errors"]] == ["LIMIT_REACHED"]
    assert (await _buy(api, bob, b_addr, item["id"]))["errors"] == []
    lost = await _buy(api, carol, c_addr, item["id"])
    assert [e["code"] for e in lost["errors"]] == ["SOLD_OUT"]
    listed = (await api(SESSIONS, {}))["flashSessions"]["sessions"][0]
    assert listed["state"] == "SOLD_OUT" and listed["items"][0]["left"] == 0
    assert await Payment.filter(buyer_id=carol.id).count() == 0

    # alice pays; bob does not: after the payment time-out his unit goes back and carol gets it
    assert (await api(PAY, {"id": won["payment"]["id"]}, await token_for(alice)))["payWithWallet"]["errors"] == []
    clock.advance(timedelta(minutes=settings.ORDER_PAY_TIMEOUT_MINUTES + 1))
    assert await payments.cancel_expired() == 1
    item_row = await FlashItem.get(id=line.activity_id)
    assert item_row.sold == 1
    assert await FlashClaim.filter(user_id=bob.id, status="RELEASED").count() == 1
    assert (await Sku.get(id=row.id)).stock == 50  # nothing released to the SKU
    assert (await _buy(api, carol, c_addr, item["id"]))["errors"] == []
    assert (await FlashItem.get(id=line.activity_id)).sold == 2

    stats = (await api(STATS, {"id": session["id"]}, await token_for(admin)))["flashSessionStats"]
    assert stats["winners"] == 2 and stats["paidUnits"] == 1
    assert stats["gmv"] == {"amount": "50.00"} and stats["discountCost"] == {"amount": "50.00"}
    assert stats["attempts"] == 5  # alice twice, bob, carol twice
    mine = (await api(STATS, {"id": session["id"]}, await token_for(owner)))["flashSessionStats"]
    assert mine["paidUnits"] == 1
    stranger = await api.raw(STATS, {"id": session["id"]}, token=await token_for(alice))
    assert stranger["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    await ledger.check_invariants()


async def test_buying_outside_the_window_is_refused_and_changes_nothing(api):
    _, _, _, item, row = await _world(api, starts_in=30)
    alice, address = await make_buyer("alice", wallet=100_000)
    early = await _buy(api, alice, address, item["id"])
    assert [e["code"] for e in early["errors"]] == ["FLASH_NOT_STARTED"]
    assert (await api(SESSIONS, {}))["flashSessions"]["sessions"][0]["state"] == "UPCOMING"
    clock.advance(timedelta(minutes=30 + 121))
    late = await _buy(api, alice, address, item["id"])
    assert [e["code"] for e in late["errors"]] == ["FLASH_ENDED"]
    assert await Payment.filter(buyer_id=alice.id).count() == 0
    assert (await FlashItem.get(id=pk_of(item["id"]))).sold == 0
    assert (await Sku.get(id=row.id)).stock == 50


async def test_over_the_limit_in_one_attempt_is_refused(api):
    _, _, _, item, _ = await _world(api, stock=5, limit=2)
    alice, address = await make_buyer("alice", wallet=100_000)
    assert [e["code"] for e in (await _buy(api, alice, address, item["id"], quantity=3))["errors"]] == ["LIMIT_REACHED"]
    assert (await _buy(api, alice, address, item["id"], quantity=2))["errors"] == []
    assert [e["code"] for e in (await _buy(api, alice, address, item["id"]))["errors"]] == ["LIMIT_REACHED"]
    assert (await FlashItem.get(id=pk_of(item["id"]))).sold == 2


async def test_management_refuses_bad_input_and_strangers(api):
    admin_user, owner_user, session, item, row = await _world(api)
    admin, owner = await token_for(admin_user), await token_for(owner_user)
    customer = await token_for(await make_user("c"))
    day, slot = _slot(0)
    refused = (await api(CREATE, {"input": {"name": "x", "day": day, "slot": slot}}, customer))["createFlashSession"]
    assert [e["code"] for e in refused["errors"]] == ["FORBIDDEN"]
    for bad in ("25:00", "1000"):
        body = {"input": {"name": "x", "day": day, "slot": bad}}
        assert [e["code"] for e in (await api(CREATE, body, admin))["createFlashSession"]["errors"]] == [
            "INVALID_INPUT"
        ]
    _, _, (other,) = await make_shop(price=1_000)
    base = {"sessionId": session["id"], "flashPrice": "5.00", "stock": 3}
    cases = [
        ({"skuId": gid("Sku", other.id)}, owner, "FORBIDDEN"),  # someone else's SKU
        ({"skuId": gid("Sku", row.id)}, owner, "INVALID_INPUT"),  # twice in one session
        ({"skuId": gid("Sku", other.id), "flashPrice": "10.00"}, admin, "INVALID_PRICE"),  # not below the price
        ({"skuId": gid("Sku", other.id), "stock": 0}, admin, "INVALID_STOCK"),
        ({"skuId": gid("Sku", other.id), "perUserLimit": 0}, admin, "INVALID_INPUT"),
    ]
    for extra, token, code in cases:
        got = (await api(ADD, {"input": base | extra}, token))["addFlashItem"]
        assert [e["code"] for e in got["errors"]] == [code], (extra, got)
    assert await FlashItem.all().count() == 1

    alice, address = await make_buyer("alice", wallet=100_000)
    assert (await _buy(api, alice, address, item["id"]))["errors"] == []
    assert (await api(REMOVE, {"id": item["id"]}, owner))["removeFlashItem"]["errors"][0][
        "code"
    ] == "INVALID_TRANSITION"
    cancelled = (await api(CANCEL, {"id": session["id"]}, admin))["cancelFlashSession"]
    assert cancelled["session"] == {"state": "ENDED", "cancelled": True}
    bob, b_addr = await make_buyer("bob", wallet=100_000)
    assert [e["code"] for e in (await _buy(api, bob, b_addr, item["id"]))["errors"]] == ["FLASH_ENDED"]


async def test_the_session_states_follow_the_clock(api):
    await _world(api, starts_in=5)
    assert (await api(SESSIONS, {}))["flashSessions"]["sessions"][0]["state"] == "UPCOMING"
    clock.advance(timedelta(minutes=6))
    assert (await api(SESSIONS, {}))["flashSessions"]["sessions"][0]["state"] == "ON"
    clock.advance(timedelta(minutes=121))
    assert (await api(SESSIONS, {}))["flashSessions"]["sessions"][0]["state"] == "ENDED"
    assert await flash_service.reconcile_ended() == 1
    assert rules.ENDED == "ENDED"


STOCK_FEED = "subscription($id: ID!) { flashStock(flashItemId: $id) { itemId left state } }"


async def test_the_flash_stock_feed_is_live_and_throttled(app, api, monkeypatch):
    """The first message is the item as it is; a burst of sales arrives as at most a few
    messages a second, the last one exact."""
    import asyncio
    import json
    import time

    from tests.api.test_subscriptions import WsClient, open_ws, wait_for_listener

    monkeypatch.setattr(settings, "FLASH_STOCK_UPDATES_PER_SECOND", 4.0)
    *_, item, _ = await _world(api, stock=12, limit=1)
    buyers = [await make_buyer(f"b{i}") for i in range(10)]
    client, connect = await open_ws(app, "graphql-transport-ws")
    async with client, connect as ws:
        c = WsClient(ws, "graphql-transport-ws")
        await c.init(None)
        payload = {"query": STOCK_FEED, "variables": {"id": item["id"]}}
        await ws.send_text(json.dumps({"id": "1", "type": "subscribe", "payload": payload}))
        first = (await c.recv())["payload"]["data"]["flashStock"]
        assert first == {"itemId": item["id"], "left": 12, "state": "ON"}
        await wait_for_listener(flash_service.channel(pk_of(item["id"])))
        started = time.monotonic()
        for user, address in buyers:
            assert (await _buy(api, user, address, item["id"]))["errors"] == []
        seen = []
        while not seen or seen[-1] != 2:
            seen.append((await c.recv(timeout=3.0))["payload"]["data"]["flashStock"]["left"])
        elapsed = time.monotonic() - started
        assert seen[-1] == 2 and seen == sorted(seen, reverse=True)
        assert len(seen) <= elapsed * 4 + 2, (seen, elapsed)
        await asyncio.sleep(0)
