"""Cashier-entered amounts (STO-1) through GraphQL: the cashier enters 88.00, the customer scans
the request, sees the store and the amount, and pays it once (wallet, member card or gateway);
the payment is an ordinary store payment (receipt, commissions, refunds, the store's feed); a
paid, cancelled, expired or forged request is refused with stable codes and changes nothing;
two customers paying one request at once: one pays (PostgreSQL)."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import settings
from models.orders import Order
from models.stores import StorePaymentRequest
from services.core import clock, events
from services.ledger.ledger import USER, Purpose
from services.orders import payments as order_payments
from services.stores import payment_requests
from tests.api.test_distribution import member
from tests.api.test_order_subscriptions import subscribe
from tests.api.test_store_payments import _snapshot, balance, counter
from tests.api.test_subscriptions import WsClient, open_ws, wait_for_listener
from tests.conftest import requires_postgres
from tests.helpers import gid, make_user, pk_of, token_for

FIELDS = "id code url pngUrl amount { amount } note status expiresAt store { id } receipt { id amount { amount } }"
ASK = (
    """mutation($s: ID!, $a: Amount!, $n: String) { requestStorePayment(storeId: $s, amount: $a, note: $n) {
  request { %s } errors { code field } } }"""
    % FIELDS
)
SCAN = "query($c: String!) { storePaymentRequest(code: $c) { %s } }" % FIELDS
PAY = """mutation($c: String!, $k: String!, $m: StorePaymentMethod) {
  payStorePaymentRequest(code: $c, idempotencyKey: $k, method: $m) {
    receipt { id status amount { amount } store { id } paymentRequest { id status } } errors { code field } } }"""
CANCEL = "mutation($id: ID!) { cancelStorePaymentRequest(id: $id) { request { status } errors { code field } } }"
LIST = "query($s: ID!) { storePaymentRequests(storeId: $s) { nodes { id status amount { amount } } } }"
NODE = "query($id: ID!) { node(id: $id) { ... on StorePaymentRequest { id status } } }"
FEED = """subscription($s: ID!) { storePaymentEvents(storeId: $s) {
  kind amount { amount } receipt { paymentRequest { id status } } } }"""


async def ask(api, s, amount="88.00", note="两杯咖啡"):
    made = (await api(ASK, {"s": gid(s["store"]), "a": amount, "n": note}, token=await token_for(s["clerk"])))[
        "requestStorePayment"
    ]
    assert made["errors"] == [], made
    return made["request"]


async def test_the_cashier_enters_88_and_the_customer_confirms_and_pays_it_once(app, api):
    s = await counter(api)
    request = await ask(api, s)
    assert request["amount"] == {"amount": "88.00"} and request["status"] == "OPEN" and request["note"] == "两杯咖啡"
    assert request["url"].endswith(request["code"]) and request["pngUrl"].endswith(".png")
    assert request["receipt"] is None
    png = await api.client.get(f"/qr/store/{request['code']}.png")
    assert png.status_code == 200 and png.content.startswith(b"\x89PNG")
    token = await token_for(s["buyer"])
    # the customer scans the link: the store and the amount, before paying
    seen = (await api(SCAN, {"c": request["url"]}, token=token))["storePaymentRequest"]
    assert seen["store"] == {"id": gid(s["store"])} and seen["amount"] == {"amount": "88.00"}

    client, connect = await open_ws(app, "graphql-transport-ws")
    async with client, connect as ws:
        c = WsClient(ws, "graphql-transport-ws")
        await c.init(await token_for(s["clerk"]))
        await subscribe(ws, FEED, {"s": gid(s["store"])})
        await wait_for_listener(events.store_channel(s["store"].id))
        paid = (await api(PAY, {"c": request["code"], "k": "req-1"}, token=token))["payStorePaymentRequest"]
        assert paid["errors"] == [], paid
        receipt = paid["receipt"]
        assert receipt["status"] == "COMPLETED" and receipt["amount"] == {"amount": "88.00"}
        assert receipt["paymentRequest"] == {"id": request["id"], "status": "PAID"}
        # the cashier's screen sees the payment of its request
        event = (await c.recv())["payload"]["data"]["storePaymentEvents"]
        assert event == {
            "kind": "PAID",
            "amount": {"amount": "88.00"},
            "receipt": {"paymentRequest": {"id": request["id"], "status": "PAID"}},
        }
    assert await balance(USER, s["buyer"].id, Purpose.WALLET) == 100_000 - 8_800
    # a retry with the same key answers the same receipt; another payment of it is refused
    again = (await api(PAY, {"c": request["code"], "k": "req-1"}, token=token))["payStorePaymentRequest"]
    assert again["errors"] == [] and again["receipt"]["id"] == receipt["id"]
    before = await _snapshot(s)
    other, _ = await member("另一位顾客", wallet=100_000)
    twice = (await api(PAY, {"c": request["code"], "k": "req-2"}, token=await token_for(other)))[
        "payStorePaymentRequest"
    ]
    assert twice == {"receipt": None, "errors": [{"code": "STORE_PAYMENT_REQUEST_CLOSED", "field": ["code"]}]}
    assert await _snapshot(s) == before
    # the store's staff list their requests and see the receipt
    listed = (await api(LIST, {"s": gid(s["store"])}, token=await token_for(s["cashier"])))["storePaymentRequests"]
    assert listed["nodes"] == [{"id": request["id"], "status": "PAID", "amount": {"amount": "88.00"}}]
    seen = (await api(SCAN, {"c": request["code"]}, token=await token_for(s["clerk"])))["storePaymentRequest"]
    assert seen["receipt"] == {"id": receipt["id"], "amount": {"amount": "88.00"}}
    # a stranger scanning it sees no receipt, and no node
    stranger = await token_for(await make_user("路人"))
    assert (await api(SCAN, {"c": request["code"]}, token=stranger))["storePaymentRequest"]["receipt"] is None
    assert (await api(NODE, {"id": request["id"]}, token=stranger))["node"] is None
    assert (await api(NODE, {"id": request["id"]}, token=await token_for(s["clerk"])))["node"]["status"] == "PAID"


async def test_cancelled_expired_forged_and_bad_requests_are_refused_and_change_nothing(api):
    s = await counter(api)
    token = await token_for(s["buyer"])
    clerk = await token_for(s["clerk"])
    # the cashier's bad input
    for amount, code in (("0", "INVALID_AMOUNT"), ("50000.01", "STORE_PAYMENT_LIMIT_EXCEEDED")):
        got = (await api(ASK, {"s": gid(s["store"]), "a": amount}, token=clerk))["requestStorePayment"]
        assert got["errors"] == [{"code": code, "field": ["amount"]}]
    got = (await api(ASK, {"s": gid(s["store"]), "a": "1.00", "n": "长" * 65}, token=clerk))["requestStorePayment"]
    assert got["errors"] == [{"code": "INVALID_INPUT", "field": ["note"]}]
    got = (await api(ASK, {"s": gid(s["store"]), "a": "1.00"}, token=token))["requestStorePayment"]
    assert got["errors"][0]["code"] == "FORBIDDEN"
    assert await StorePaymentRequest.all().count() == 0

    cancelled = await ask(api, s)
    done = (await api(CANCEL, {"id": cancelled["id"]}, token=clerk))["cancelStorePaymentRequest"]
    assert done == {"request": {"status": "CANCELLED"}, "errors": []}
    again = (await api(CANCEL, {"id": cancelled["id"]}, token=clerk))["cancelStorePaymentRequest"]
    assert again["errors"] == [{"code": "INVALID_TRANSITION", "field": ["id"]}]
    expired = await ask(api, s, "12.00")
    clock.advance(timedelta(minutes=settings.STORE_PAYMENT_REQUEST_MINUTES, seconds=1))
    assert (await api(SCAN, {"c": expired["code"]}, token=token))["storePaymentRequest"]["status"] == "EXPIRED"
    before = await _snapshot(s)
    for code in (cancelled["code"], expired["code"]):
        got = (await api(PAY, {"c": code, "k": f"k-{code[:8]}"}, token=token))["payStorePaymentRequest"]
        assert got["errors"] == [{"code": "STORE_PAYMENT_REQUEST_CLOSED", "field": ["code"]}], code
    forged = expired["code"][:-2] + ("aa" if not expired["code"].endswith("aa") else "bb")
    for code in (forged, "R1", "garbage", payment_requests.request_code(10**9)):
        got = (await api(PAY, {"c": code, "k": "k-forged"}, token=token))["payStorePaymentRequest"]
        assert got["errors"] == [{"code": "STORE_PAYMENT_CODE_INVALID", "field": ["code"]}], code
    assert await _snapshot(s) == before


async def test_a_gateway_payment_holds_the_request_until_paid_or_timed_out(api):
    s = await counter(api)
    token = await token_for(s["buyer"])
    request = await ask(api, s)
    placed = (await api(PAY, {"c": request["code"], "k": "gw-1", "m": "GATEWAY"}, token=token))[
        "payStorePaymentRequest"
    ]
    assert placed["errors"] == [] and placed["receipt"]["status"] == "AWAITING_PAYMENT"
    assert placed["receipt"]["paymentRequest"]["status"] == "PAYING"
    other, _ = await member("另一位", wallet=100_000)
    held = (await api(PAY, {"c": request["code"], "k": "w-1"}, token=await token_for(other)))["payStorePaymentRequest"]
    assert held["errors"] == [{"code": "STORE_PAYMENT_REQUEST_CLOSED", "field": ["code"]}]
    cancel = (await api(CANCEL, {"id": request["id"]}, token=await token_for(s["clerk"])))["cancelStorePaymentRequest"]
    assert cancel["errors"] == [{"code": "INVALID_TRANSITION", "field": ["id"]}]
    # the gateway payment times out unpaid: the request is free again and another customer pays it
    clock.advance(timedelta(minutes=settings.ORDER_PAY_TIMEOUT_MINUTES + 1))
    assert await order_payments.cancel_expired() == 1
    # (its own time ran out too: a fresh request then)
    request = await ask(api, s, "20.00")
    first = await payment_requests.pay(s["buyer"].id, request["code"], "gw-2", method="GATEWAY")
    trade = await order_payments.start_gateway_payment(s["buyer"].id, first.payment_id)
    await order_payments.sandbox_pay(s["buyer"].id, trade[1].trade_no)
    assert (await Order.get(id=first.id)).status == "COMPLETED"
    row = await StorePaymentRequest.get(id=pk_of(request["id"]))
    assert (row.status, row.order_id) == ("PAID", first.id)


async def test_an_abandoned_gateway_payment_frees_its_request(api):
    s = await counter(api)
    request = await ask(api, s)
    held = await payment_requests.pay(s["buyer"].id, request["code"], "gw-1", method="GATEWAY")
    await order_payments.cancel_by_buyer(s["buyer"].id, held.id, "换个方式")
    token = await token_for(s["buyer"])
    seen = (await api(SCAN, {"c": request["code"]}, token=token))["storePaymentRequest"]
    assert seen["status"] == "PAYING"  # as read: freed when someone next pays or cancels it
    paid = (await api(PAY, {"c": request["code"], "k": "w-1"}, token=token))["payStorePaymentRequest"]
    assert paid["errors"] == [] and paid["receipt"]["paymentRequest"]["status"] == "PAID"


@requires_postgres
async def test_two_customers_paying_one_request_at_once_one_pays(api):
    s = await counter(api)
    request = await ask(api, s)
    buyers = [(await member(f"顾客{i}", wallet=100_000))[0] for i in range(8)]

    async def attempt(i, buyer):
        try:
            return await payment_requests.pay(buyer.id, request["code"], f"race-{i}")
        except Exception as exc:
            return exc

    results = await asyncio.gather(*(attempt(i, b) for i, b in enumerate(buyers)))
    paid = [r for r in results if isinstance(r, Order)]
    assert len(paid) == 1, results
    assert all(getattr(r, "code", None) == "STORE_PAYMENT_REQUEST_CLOSED" for r in results if r not in paid)
    assert await Order.filter(delivery_type="IN_STORE").count() == 1
    spent = [100_000 - await balance(USER, b.id, Purpose.WALLET) for b in buyers]
    assert sorted(spent) == [0] * 7 + [8_800]
