"""Bargains over GraphQL (MKT-3) on the default database: an activity (start price, floor,
helps needed, time limit); a user starts a bargain, friends' helps cut it down to the floor
exactly at the last help (a new user's help takes more cuts); the starter buys through the
normal checkout at the current price from the SKU's stock; a cancelled unpaid order frees it;
bad input answers stable codes with money and the bargain unchanged; statistics per activity;
the `bargain` subscription shows the progress live."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta

import settings
from models.catalog import Sku
from models.marketing import Bargain, BargainHelp
from models.orders import OrderLine, Payment
from services.core import clock
from services.ledger import ledger
from services.marketing import bargain as bargain_service
from services.orders import payments
from tests.helpers import gid, make_user, pk_of, token_for
from tests.order_factories import make_buyer, make_shop

CREATE = """mutation($input: BargainActivityInput!) { createBargainActivity(input: $input) {
  activity { id name helpsNeeded startPrice { amount } floorPrice { amount } } errors { code field } } }"""
UPDATE = """mutation($id: ID!, $input: BargainActivityUpdateInput!) { updateBargainActivity(id: $id, input: $input) {
  activity { id name cancelled helpsNeeded } errors { code field } } }"""
MANAGED = "{ managedBargainActivities { id name } }"
LIVE = "{ bargainActivities { id name product { title } } }"
START = """mutation($id: ID!) { startBargain(activityId: $id) { bargain { id state helpsLeft
  currentPrice { amount } endsAt serverTime mine } errors { code field } } }"""
HELP = """mutation($id: ID!) { helpBargain(bargainId: $id) { cut { amount }
  bargain { state helpsLeft currentPrice { amount } } errors { code field } } }"""
SHOW = """query($id: ID!) { bargain(id: $id) { id state helpsLeft currentPrice { amount } floorPrice { amount }
  endsAt serverTime mine helps { helper amount { amount } newUser } activity { id } } }"""
BUY = """mutation($input: BuyBargainInput!) { buyBargain(input: $input) { payment { id amount { amount } }
  orders { id lines { unitPrice { amount } quantity } } errors { code field } } }"""
PAY = "mutation($id: ID!) { payWithWallet(paymentId: $id) { payment { status } errors { code } } }"
STATS = """query($id: ID!) { bargainActivityStats(id: $id) { attempts helps completed bought paid
  gmv { amount } discountCost { amount } } }"""


def _fen(amount: str) -> int:
    return round(float(amount) * 100)


async def _world(api, *, helps: int = 5, start: str = "100.00", floor: str = "10.00", minutes: int = 60):
    admin = await token_for(await make_user("admin", roles=("admin",)))
    merchant, product, (row,) = await make_shop(price=10_000, stock=50)
    owner_user = await merchant.owner
    owner = await token_for(owner_user)
    now = clock.now()
    body = {
        "skuId": gid("Sku", row.id),
        "name": "砍到 10 元",
        "startPrice": start,
        "floorPrice": floor,
        "helpsNeeded": helps,
        "timeLimitMinutes": minutes,
        "startsAt": (now - timedelta(minutes=1)).isoformat(),
        "endsAt": (now + timedelta(days=3)).isoformat(),
    }
    made = (await api(CREATE, {"input": body}, owner))["createBargainActivity"]
    assert made["errors"] == [], made
    return admin, owner, made["activity"], row


async def _help(api, user, bargain_id: str, device: str | None = None) -> dict:
    headers = {"Authorization": f"Bearer {await token_for(user)}"}
    if device is not None:
        headers["X-Device-Id"] = device
    body = await api.raw(HELP, {"id": bargain_id}, headers=headers)
    assert not body.get("errors"), body
    return body["data"]["helpBargain"]


async def _buy(api, user, address, bargain_id: str) -> dict:
    body = {"bargainId": bargain_id, "idempotencyKey": uuid.uuid4().hex, "addressId": gid(address)}
    return (await api(BUY, {"input": body}, await token_for(user)))["buyBargain"]


async def test_helps_cut_to_the_floor_exactly_and_the_starter_buys_at_the_price(api, monkeypatch):
    monkeypatch.setattr(settings, "BARGAIN_NEW_USER_CUTS", 2)
    _, owner, activity, row = await _world(api, helps=5)
    assert [a["id"] for a in (await api(LIVE))["bargainActivities"]] == [activity["id"]]
    assert [a["id"] for a in (await api(MANAGED, {}, owner))["managedBargainActivities"]] == [activity["id"]]
    alice, address = await make_buyer("alice", wallet=100_000)
    started = (await api(START, {"id": activity["id"]}, await token_for(alice)))["startBargain"]
    assert started["errors"] == []
    bargain = started["bargain"]
    assert bargain["state"] == "OPEN" and bargain["helpsLeft"] == 5 and bargain["mine"] is True
    assert bargain["currentPrice"] == {"amount": "100.00"} and bargain["endsAt"] > bargain["serverTime"]
    again = (await api(START, {"id": activity["id"]}, await token_for(alice)))["startBargain"]
    assert again["bargain"]["id"] == bargain["id"]  # the open one, not a second
    stored = await Bargain.get(id=pk_of(bargain["id"]))
    assert sum(stored.cuts) == 9_000 and len(stored.cuts) == 5 and stored.seed

    # new users (no paid order) take two cuts each: 2 + 2 + 1
    friends = [await make_user(f"friend{i}") for i in range(3)]
    cuts = []
    for i, friend in enumerate(friends):
        helped = await _help(api, friend, bargain["id"], device=f"dev-{i}")
        assert helped["errors"] == [], helped
        cuts.append(_fen(helped["cut"]["amount"]))
    assert cuts == [sum(stored.cuts[0:2]), sum(stored.cuts[2:4]), stored.cuts[4]]
    shown = (await api(SHOW, {"id": bargain["id"]}))["bargain"]
    assert shown["state"] == "FLOOR" and shown["helpsLeft"] == 0 and shown["currentPrice"] == {"amount": "10.00"}
    assert [h["helper"] for h in shown["helps"]] == ["f******"] * 3 and shown["mine"] is False
    assert all(h["newUser"] for h in shown["helps"])
    late = await _help(api, await make_user("late"), bargain["id"])
    assert [e["code"] for e in late["errors"]] == ["BARGAIN_CLOSED"]

    bought = await _buy(api, alice, address, bargain["id"])
    assert bought["errors"] == [] and bought["payment"]["amount"] == {"amount": "10.00"}
    assert bought["orders"][0]["lines"][0]["unitPrice"] == {"amount": "10.00"}
    line = await OrderLine.get(order_id=pk_of(bought["orders"][0]["id"]))
    assert (line.activity_kind, line.activity_id) == ("BARGAIN", stored.id)
    assert (await Sku.get(id=row.id)).stock == 49  # the SKU's own stock
    twice = await _buy(api, alice, address, bargain["id"])
    assert [e["code"] for e in twice["errors"]] == ["BARGAIN_BOUGHT"]
    assert await Payment.filter(buyer_id=alice.id).count() == 1

    # unpaid: the time-out cancels the order and frees the bargain; bought again and paid
    clock.advance(timedelta(minutes=settings.ORDER_PAY_TIMEOUT_MINUTES + 1))
    assert await payments.cancel_expired() == 1
    assert (await Bargain.get(id=stored.id)).payment_id is None
    assert (await Sku.get(id=row.id)).stock == 50
    again = await _buy(api, alice, address, bargain["id"])  # freed: bought again, at the floor
    assert again["errors"] == [] and again["payment"]["amount"] == {"amount": "10.00"}
    assert (await api(PAY, {"id": again["payment"]["id"]}, await token_for(alice)))["payWithWallet"]["errors"] == []
    assert (await api(SHOW, {"id": bargain["id"]}))["bargain"]["state"] == "BOUGHT"
    admin = await token_for(await make_user("admin2", roles=("admin",)))  # a fresh token after the clock moved
    stats = (await api(STATS, {"id": activity["id"]}, admin))["bargainActivityStats"]
    assert stats == {
        "attempts": 1,
        "helps": 3,
        "completed": 1,
        "bought": 1,
        "paid": 1,
        "gmv": {"amount": "10.00"},
        "discountCost": {"amount": "90.00"},
    }
    await ledger.check_invariants()


async def test_a_bought_bargain_is_paid_and_counted(api, monkeypatch):
    monkeypatch.setattr(settings, "BARGAIN_NEW_USER_CUTS", 1)
    admin, owner, activity, _ = await _world(api, helps=3)
    alice, address = await make_buyer("alice", wallet=100_000)
    bargain = (await api(START, {"id": activity["id"]}, await token_for(alice)))["startBargain"]["bargain"]
    helped = await _help(api, await make_user("bob"), bargain["id"])
    assert helped["bargain"]["helpsLeft"] == 2  # one cut: new users cut like anyone here
    price = helped["bargain"]["currentPrice"]["amount"]
    bought = await _buy(api, alice, address, bargain["id"])  # at the current price, before the floor
    assert bought["payment"]["amount"] == {"amount": price}
    assert (await api(PAY, {"id": bought["payment"]["id"]}, await token_for(alice)))["payWithWallet"]["errors"] == []
    closed = await _help(api, await make_user("carol"), bargain["id"])
    assert [e["code"] for e in closed["errors"]] == ["BARGAIN_CLOSED"]
    stats = (await api(STATS, {"id": activity["id"]}, owner))["bargainActivityStats"]
    assert stats["attempts"] == 1 and stats["paid"] == 1 and stats["bought"] == 1 and stats["completed"] == 0
    assert stats["gmv"] == {"amount": price}
    assert _fen(stats["discountCost"]["amount"]) == 10_000 - _fen(price)
    stranger = await api.raw(STATS, {"id": activity["id"]}, token=await token_for(alice))
    assert stranger["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    await ledger.check_invariants()


async def test_bad_helps_are_refused_with_stable_codes_and_change_nothing(api, monkeypatch):
    monkeypatch.setattr(settings, "BARGAIN_HELPER_MATCH", "DEVICE")
    _, _, activity, _ = await _world(api, helps=5)
    alice, address = await make_buyer("alice", wallet=100_000)
    headers = {"Authorization": f"Bearer {await token_for(alice)}", "X-Device-Id": "alice-phone"}
    bargain = (await api.raw(START, {"id": activity["id"]}, headers=headers))["data"]["startBargain"]["bargain"]
    bob = await make_user("bob")
    assert (await _help(api, bob, bargain["id"], device="bob-phone"))["errors"] == []
    before = await Bargain.get(id=pk_of(bargain["id"]))
    cases = [
        (alice, "x-phone", "BARGAIN_OWN"),  # one's own bargain
        (bob, "bob-other", "BARGAIN_HELPED_ALREADY"),  # a second help by the same friend
        (await make_user("carol"), "bob-phone", "BARGAIN_HELPED_ALREADY"),  # the same device as a helper
        (await make_user("dave"), "alice-phone", "BARGAIN_HELPED_ALREADY"),  # the starter's device
    ]
    for user, device, code in cases:
        got = await _help(api, user, bargain["id"], device=device)
        assert [e["code"] for e in got["errors"]] == [code], (device, got)
    after = await Bargain.get(id=before.id)
    assert (after.taken, after.price) == (before.taken, before.price)
    assert await BargainHelp.filter(bargain_id=before.id).count() == 1
    missing = await _help(api, bob, gid("Bargain", 999_999))
    assert [e["code"] for e in missing["errors"]] == ["NOT_FOUND"]
    # someone else's bargain cannot be bought by a helper
    b_addr = (await make_buyer("erin", wallet=100_000))[1]
    other = await _buy(api, bob, b_addr, bargain["id"])
    assert [e["code"] for e in other["errors"]] == ["NOT_FOUND"]
    # expired: no help, no buy
    clock.advance(timedelta(minutes=61))
    late = await _help(api, await make_user("frank"), bargain["id"])
    assert [e["code"] for e in late["errors"]] == ["BARGAIN_CLOSED"]
    assert [e["code"] for e in (await _buy(api, alice, address, bargain["id"]))["errors"]] == ["BARGAIN_CLOSED"]
    assert await Payment.filter(buyer_id=alice.id).count() == 0
    assert (await Bargain.get(id=before.id)).price == before.price


async def test_helpers_on_one_ip_count_as_one_when_ip_is_matched(api, monkeypatch):
    monkeypatch.setattr(settings, "BARGAIN_HELPER_MATCH", "DEVICE,IP")
    _, _, activity, _ = await _world(api, helps=5)
    alice = await make_user("alice")
    started = await bargain_service.start(alice.id, pk_of(activity["id"]), "a-dev", "1.1.1.1")
    bob, carol = await make_user("bob"), await make_user("carol")
    await bargain_service.help_bargain(bob.id, started.id, "b-dev", "2.2.2.2")
    refused = await api.raw(HELP, {"id": gid("Bargain", started.id)}, token=await token_for(carol))
    # the test client's address (10.1.2.3) is new: carol helps; a second account behind it does not
    assert refused["data"]["helpBargain"]["errors"] == []
    dave = await token_for(await make_user("dave"))
    same_ip = (await api.raw(HELP, {"id": gid("Bargain", started.id)}, token=dave))["data"]["helpBargain"]
    assert [e["code"] for e in same_ip["errors"]] == ["BARGAIN_HELPED_ALREADY"]


async def test_management_refuses_bad_input_and_strangers(api):
    admin, owner, activity, row = await _world(api, helps=5)
    customer = await token_for(await make_user("c"))
    now = clock.now()
    base = {
        "skuId": gid("Sku", row.id),
        "name": "x",
        "startPrice": "50.00",
        "floorPrice": "10.00",
        "helpsNeeded": 3,
        "startsAt": now.isoformat(),
        "endsAt": (now + timedelta(days=1)).isoformat(),
    }
    cases = [
        ({}, customer, "FORBIDDEN"),
        ({"startPrice": "100.01"}, owner, "INVALID_PRICE"),  # above the SKU's price
        ({"floorPrice": "50.00"}, owner, "INVALID_PRICE"),  # not below the start
        ({"floorPrice": "49.99", "helpsNeeded": 2}, owner, "INVALID_PRICE"),  # 0.01 for 2 helps
        ({"helpsNeeded": 0}, owner, "INVALID_INPUT"),
        ({"endsAt": (now - timedelta(minutes=1)).isoformat()}, owner, "INVALID_DATE_RANGE"),
        ({"skuId": gid("Sku", 999_999)}, admin, "NOT_FOUND"),
    ]
    for extra, token, code in cases:
        got = (await api(CREATE, {"input": base | extra}, token))["createBargainActivity"]
        assert [e["code"] for e in got["errors"]] == [code], (extra, got)
    alice = await make_user("alice")
    await bargain_service.start(alice.id, pk_of(activity["id"]))
    locked = (await api(UPDATE, {"id": activity["id"], "input": {"helpsNeeded": 3}}, owner))["updateBargainActivity"]
    assert [e["code"] for e in locked["errors"]] == ["INVALID_TRANSITION"]
    renamed = (await api(UPDATE, {"id": activity["id"], "input": {"name": "新名"}}, owner))["updateBargainActivity"]
    assert renamed["activity"]["name"] == "新名"
    off = (await api(UPDATE, {"id": activity["id"], "input": {"active": False}}, admin))["updateBargainActivity"]
    assert off["activity"]["cancelled"] is True
    refused = (await api(START, {"id": activity["id"]}, await token_for(await make_user("bob"))))["startBargain"]
    assert [e["code"] for e in refused["errors"]] == ["BARGAIN_CLOSED"]
    assert (await api(LIVE))["bargainActivities"] == []


FEED = "subscription($id: ID!) { bargain(bargainId: $id) { bargainId helpsLeft state currentPrice { amount } } }"


async def test_the_bargain_feed_shows_each_help_live(app, api, monkeypatch):
    from tests.api.test_subscriptions import WsClient, open_ws, wait_for_listener

    monkeypatch.setattr(settings, "BARGAIN_NEW_USER_CUTS", 1)
    _, _, activity, _ = await _world(api, helps=3)
    alice = await make_user("alice")
    started = await bargain_service.start(alice.id, pk_of(activity["id"]))
    bargain_id = gid("Bargain", started.id)
    client, connect = await open_ws(app, "graphql-transport-ws")
    async with client, connect as ws:
        c = WsClient(ws, "graphql-transport-ws")
        await c.init(None)
        payload = {"query": FEED, "variables": {"id": bargain_id}}
        await ws.send_text(json.dumps({"id": "1", "type": "subscribe", "payload": payload}))
        first = (await c.recv())["payload"]["data"]["bargain"]
        assert first == {"bargainId": bargain_id, "helpsLeft": 3, "state": "OPEN", "currentPrice": {"amount": "100.00"}}
        await wait_for_listener(bargain_service.channel(started.id))
        seen = []
        for i in range(3):
            helped = await _help(api, await make_user(f"f{i}"), bargain_id)
            message = (await c.recv(timeout=3.0))["payload"]["data"]["bargain"]
            assert message["currentPrice"] == helped["bargain"]["currentPrice"]
            seen.append(message["helpsLeft"])
        assert seen == [2, 1, 0] and message["state"] == "FLOOR" and message["currentPrice"] == {"amount": "10.00"}
