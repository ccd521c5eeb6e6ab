"""In-store payment (STO-1) and virtual goods (STO-6) through GraphQL: a customer pays at a
franchise store by scanning its payment QR code; the merchant, the platform, the store's share,
the regional agent and the upline get exactly what the settings say, and a partial refund by
store staff reverses each exactly; bad input is refused with stable codes and changes nothing;
refunds never exceed what was paid (also concurrently, on PostgreSQL); the store's live feed."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta

import pytest

import settings
from jobs import settlement as settlement_jobs
from models.distribution import Commission
from models.merchants import StoreStaff
from models.orders import AfterSale, Order, OrderLine, Payment, Refund
from services.accounts.access import load_grants
from services.core import clock, events
from services.core.errors import DomainError, ErrorCode
from services.distribution import commissions
from services.ledger import ledger
from services.ledger.ledger import MERCHANT, PLATFORM, USER, Purpose
from services.stores import payments as store_payments
from tests.api.ops_settlement import APPROVE, STATEMENTS
from tests.api.test_agents import TERMS, appoint, store_in
from tests.api.test_distribution import configure, member
from tests.api.test_franchise_stores import BIND, FRANCHISEE
from tests.api.test_order_subscriptions import subscribe
from tests.api.test_subscriptions import WsClient, open_ws, wait_for_listener
from tests.catalog_factories import make_merchant, make_product, sku
from tests.conftest import requires_postgres
from tests.helpers import gid, make_user, pk_of, token_for

CODE = "query($s: ID!) { storePaymentCode(storeId: $s) { code url pngUrl svgUrl store { id } } }"
SCAN = "query($c: String!) { storeByPaymentCode(code: $c) { id name } }"
RECEIPT_FIELDS = """id receiptNo status paidAt amount { amount } refundedAmount { amount } refundableAmount { amount }
  store { id } payer { id } refunds { amount { amount } reason method } order { deliveryType lines { quantity } }"""
PAY = (
    """mutation($c: String!, $a: Amount!, $k: String!, $s: ID) { payAtStore(code: $c, amount: $a, idempotencyKey: $k, storeId: $s) {
  receipt { %s } errors { code field } } }"""
    % RECEIPT_FIELDS
)
RECEIPT = "query($id: ID!) { storePaymentReceipt(id: $id) { %s } }" % RECEIPT_FIELDS
LIST = "query($s: ID!) { storePayments(storeId: $s) { nodes { receiptNo amount { amount } } } }"
REFUND = """mutation($id: ID!, $a: Amount!) { refundStorePayment(id: $id, amount: $a, reason: "退一部分") {
  refund { amount { amount } reason status } receipt { refundedAmount { amount } refundableAmount { amount } } errors { code field } } }"""
GRANT = """mutation($s: ID!, $u: ID!, $p: [String!]!) { setStoreStaffPermissions(storeId: $s, userId: $u, permissions: $p) {
  staff { permissions } errors { code field } } }"""
ADD_STAFF = "mutation($s: ID!, $u: ID!) { addStoreStaff(storeId: $s, userId: $u) { staff { id } errors { code } } }"
FEED = "subscription($s: ID!) { storePaymentEvents(storeId: $s) { kind amount { amount } receipt { receiptNo refundedAmount { amount } } } }"

# The store is in 浙江省 330000 / 杭州市 330100 / 西湖区 330106, where the county agent works.
PROVINCE, CITY, COUNTY = "330000", "330100", "330106"


async def balance(owner_type: str, owner_id: int, purpose: str) -> int:
    return (await ledger.get_account(owner_type, owner_id, purpose)).balance


async def counter(api):
    """A franchise store of a third-party merchant at 6 % platform commission; a cashier with
    store.refund and one without; the franchisee; a county agent; the partner rates (county
    3 %, store share 5 %) and one distribution level of 10 %."""
    await configure(api, [("PERCENT", 1000)], freeze_days=0)
    admin = await token_for(await make_user("admin", roles=("admin",)))
    terms = {"provinceRateBp": 100, "cityRateBp": 200, "countyRateBp": 300, "storeShareBp": 500, "pickupReward": "0.00"}
    assert (await api(TERMS, {"i": terms}, token=admin))["updatePartnerSettings"]["errors"] == []
    merchant = await make_merchant(commission_rate_bp=600)
    store = await store_in(merchant, PROVINCE, CITY, COUNTY)
    owner = await token_for(await merchant.owner)
    franchisee = await make_user("加盟商")
    assert (await api(FRANCHISEE, {"s": gid(store), "u": gid(franchisee)}, token=owner))["setStoreFranchisee"][
        "errors"
    ] == []
    agent = await make_user("区代")
    assert (await appoint(api, agent, "COUNTY", COUNTY))["errors"] == []
    cashier, clerk = await make_user("收银员"), await make_user("店员")
    for user in (cashier, clerk):
        assert (await api(ADD_STAFF, {"s": gid(store), "u": gid(user)}, token=owner))["addStoreStaff"]["errors"] == []
    granted = (await api(GRANT, {"s": gid(store), "u": gid(cashier), "p": ["store.refund"]}, token=owner))[
        "setStoreStaffPermissions"
    ]
    assert granted == {"staff": {"permissions": ["store.cashier", "store.pickup", "store.refund"]}, "errors": []}
    upline, _ = await member("上线")
    buyer, _ = await member("顾客", upline=upline, wallet=100_000)
    assert (await api(BIND, {"c": store.invite_code}, token=await token_for(buyer)))["bindStore"]["errors"] == []
    return {
        "merchant": merchant,
        "store": store,
        "franchisee": franchisee,
        "agent": agent,
        "cashier": cashier,
        "clerk": clerk,
        "upline": upline,
        "buyer": buyer,
    }


def earned(rows, user) -> list[tuple[str, int, int]]:
    return sorted((c.kind, c.amount, c.reversed_amount) for c in rows if c.beneficiary_id == user.id)


async def test_paying_88_at_a_franchise_store_splits_exactly_and_a_partial_refund_reverses_each(api):
    s = await counter(api)
    store, merchant, buyer = s["store"], s["merchant"], s["buyer"]
    cashier_token, buyer_token = await token_for(s["cashier"]), await token_for(buyer)

    # the cashier prints the store's code; the customer scans the link and sees the store
    code = (await api(CODE, {"s": gid(store)}, token=cashier_token))["storePaymentCode"]
    assert code["store"] == {"id": gid(store)} and code["url"].endswith(code["code"])
    assert code["pngUrl"].endswith(f"/qr/store/{code['code']}.png")
    assert (await api(SCAN, {"c": code["url"]}, token=buyer_token))["storeByPaymentCode"] == {
        "id": gid(store),
        "name": store.name,
    }

    key = uuid.uuid4().hex
    variables = {"c": code["url"], "a": "88.00", "k": key, "s": gid(store)}
    paid = (await api(PAY, variables, token=buyer_token))["payAtStore"]
    assert paid["errors"] == [], paid
    receipt = paid["receipt"]
    assert receipt["status"] == "COMPLETED" and receipt["amount"] == {"amount": "88.00"}
    assert receipt["order"] == {"deliveryType": "IN_STORE", "lines": [{"quantity": 8800}]}
    assert receipt["store"] == {"id": gid(store)} and receipt["payer"] == {"id": gid(buyer)}
    # a retry with the same key pays once
    again = (await api(PAY, variables, token=buyer_token))["payAtStore"]
    assert again["errors"] == [] and again["receipt"]["id"] == receipt["id"]
    order_id = pk_of(receipt["id"])
    assert await Order.filter(buyer_id=buyer.id).count() == 1

    # exactly what the settings say, in fen
    assert await balance(USER, buyer.id, Purpose.WALLET) == 100_000 - 8800
    rows = list(await Commission.filter(order_id=order_id))
    assert earned(rows, s["upline"]) == [("DISTRIBUTION", 880, 0)]  # level 1: 10 %
    assert earned(rows, s["agent"]) == [("AGENT", 264, 0)]  # the store's county: 3 %
    assert earned(rows, s["franchisee"]) == [("STORE_SHARE", 440, 0)]  # the buyer's store: 5 %
    assert len(rows) == 3
    assert await balance(MERCHANT, merchant.id, Purpose.MERCHANT_PENDING) == 8800 - 880 - 264 - 440

    # both sides see the receipt; nobody else does
    for token in (buyer_token, cashier_token, await token_for(s["clerk"])):
        seen = (await api(RECEIPT, {"id": receipt["id"]}, token=token))["storePaymentReceipt"]
        assert seen["receiptNo"] == receipt["receiptNo"]
    assert await api.error_code(RECEIPT, {"id": receipt["id"]}, token=await token_for(s["upline"])) == "NOT_FOUND"
    listed = (await api(LIST, {"s": gid(store)}, token=cashier_token))["storePayments"]["nodes"]
    assert listed == [{"receiptNo": receipt["receiptNo"], "amount": {"amount": "88.00"}}]

    # a partial refund of 30.00 by the cashier: each share reversed by 3000 / 8800, rounded down
    done = (await api(REFUND, {"id": receipt["id"], "a": "30.00"}, token=cashier_token))["refundStorePayment"]
    assert done == {
        "refund": {"amount": {"amount": "30.00"}, "reason": "STORE_REFUND", "status": "COMPLETED"},
        "receipt": {"refundedAmount": {"amount": "30.00"}, "refundableAmount": {"amount": "58.00"}},
        "errors": [],
    }
    assert await balance(USER, buyer.id, Purpose.WALLET) == 100_000 - 8800 + 3000
    rows = list(await Commission.filter(order_id=order_id))
    assert earned(rows, s["upline"]) == [("DISTRIBUTION", 880, 300)]
    assert earned(rows, s["agent"]) == [("AGENT", 264, 90)]
    assert earned(rows, s["franchisee"]) == [("STORE_SHARE", 440, 150)]
    pending = 8800 - 880 - 264 - 440 - 3000 + 300 + 90 + 150
    assert await balance(MERCHANT, merchant.id, Purpose.MERCHANT_PENDING) == pending

    # settlement: the platform's 6 % on what is left (528 charged, 180 given back), the merchant the rest
    clock.advance(timedelta(days=settings.SETTLEMENT_PERIOD_DAYS + 1))
    assert await settlement_jobs.issue_statements() == "issued 1 statements"
    finance = await token_for(await make_user("财务", roles=("finance",)))
    statement = (await api(STATEMENTS, {"m": gid(merchant)}, token=finance))["settlementStatements"]["nodes"][0]
    assert statement["paidGoods"] == {"amount": "88.00"} and statement["refunds"] == {"amount": "30.00"}
    assert statement["commissionCharged"] == {"amount": "5.28"}
    assert statement["commissionReturned"] == {"amount": "1.80"}
    assert (await api(APPROVE, {"id": statement["id"]}, token=finance))["approveSettlementStatement"]["errors"] == []
    assert await balance(PLATFORM, 0, Purpose.COMMISSION_REVENUE) == 528 - 180
    assert await balance(MERCHANT, merchant.id, Purpose.MERCHANT_SETTLED) == pending - 348 == 4408
    # the commissions of a completed payment are released (freeze 0 days): what is left of each
    assert await commissions.release_due() == 3
    assert await balance(USER, s["upline"].id, Purpose.WALLET) == 580
    assert await balance(USER, s["franchisee"].id, Purpose.WALLET) == 290
    assert await balance(USER, s["agent"].id, Purpose.WALLET) == 174
    assert await ledger.check_invariants() == []


async def test_refunds_in_steps_give_back_exactly_what_was_paid_and_never_more(api):
    s = await counter(api)
    order = await store_payments.pay(s["buyer"].id, store_payments.payment_code(s["store"].id), 8800, "k1")
    cashier = await token_for(s["cashier"])
    for amount in ("30.00", "0.01", "57.99"):
        done = (await api(REFUND, {"id": gid(order), "a": amount}, token=cashier))["refundStorePayment"]
        assert done["errors"] == [], done
    assert done["receipt"]["refundableAmount"] == {"amount": "0.00"}
    over = (await api(REFUND, {"id": gid(order), "a": "0.01"}, token=cashier))["refundStorePayment"]
    assert over == {"refund": None, "receipt": None, "errors": [{"code": "REFUND_EXCEEDS_PAID", "field": ["amount"]}]}
    rows = list(await Commission.filter(order_id=order.id))
    assert sorted((c.kind, c.status, c.amount - c.reversed_amount) for c in rows) == [
        ("AGENT", "REVERSED", 0),
        ("DISTRIBUTION", "REVERSED", 0),
        ("STORE_SHARE", "REVERSED", 0),
    ]
    assert await balance(USER, s["buyer"].id, Purpose.WALLET) == 100_000
    assert await balance(MERCHANT, s["merchant"].id, Purpose.MERCHANT_PENDING) == 0
    assert (await Order.get(id=order.id)).refunded_amount == 8800
    assert await ledger.check_invariants() == []


async def _snapshot(s) -> tuple:
    return (
        await Order.all().count(),
        await Payment.all().count(),
        await Refund.all().count(),
        await AfterSale.all().count(),
        await Commission.all().count(),
        await balance(USER, s["buyer"].id, Purpose.WALLET),
        await balance(MERCHANT, s["merchant"].id, Purpose.MERCHANT_PENDING),
        tuple(await OrderLine.all().order_by("id").values_list("refunded_quantity", "requested_quantity")),
    )


async def test_bad_payments_are_refused_with_stable_codes_and_change_nothing(api, monkeypatch):
    s = await counter(api)
    store, buyer = s["store"], s["buyer"]
    token = await token_for(buyer)
    genuine = store_payments.payment_code(store.id)
    other = await store_in(s["merchant"], PROVINCE, CITY, COUNTY)
    closed = await store_in(s["merchant"], PROVINCE, CITY, COUNTY)
    closed.is_active = False
    await closed.save()
    before = await _snapshot(s)

    def pay(code, amount="10.00", store_id=None):
        return api(PAY, {"c": code, "a": amount, "k": uuid.uuid4().hex, "s": store_id}, token=token)

    forged = f"{store.id}.{'0' * 64}"
    cases = [
        (forged, "10.00", None, "STORE_PAYMENT_CODE_INVALID", "code"),
        (f"{other.id}{genuine[len(str(store.id)) :]}", "10.00", None, "STORE_PAYMENT_CODE_INVALID", "code"),
        ("garbage", "10.00", None, "STORE_PAYMENT_CODE_INVALID", "code"),
        (store_payments.payment_code(other.id), "10.00", gid(store), "STORE_PAYMENT_CODE_INVALID", "code"),
        (store_payments.payment_code(closed.id), "10.00", None, "STORE_CLOSED", "code"),
        (store_payments.payment_code(999_999), "10.00", None, "STORE_PAYMENT_CODE_INVALID", "code"),
        (genuine, "0.00", None, "INVALID_AMOUNT", "amount"),
        (genuine, "50000.01", None, "STORE_PAYMENT_LIMIT_EXCEEDED", "amount"),
        (genuine, "1000.01", None, "INSUFFICIENT_FUNDS", None),
    ]
    for code, amount, store_id, error, field in cases:
        result = (await pay(code, amount, store_id))["payAtStore"]
        assert result["receipt"] is None and [e["code"] for e in result["errors"]] == [error], (code, result)
        if field:
            assert result["errors"][0]["field"] == [field]
    assert await api.error_code(SCAN, {"c": forged}, token=token) == "STORE_PAYMENT_CODE_INVALID"
    assert await api.error_code(SCAN, {"c": store_payments.payment_code(closed.id)}, token=token) == "STORE_CLOSED"
    assert await _snapshot(s) == before
    # the same key with another amount
    variables = {"c": genuine, "a": "10.00", "k": "same-key", "s": None}
    assert (await api(PAY, variables, token=token))["payAtStore"]["errors"] == []
    reused = (await api(PAY, variables | {"a": "11.00"}, token=token))["payAtStore"]
    assert reused["errors"] == [{"code": "IDEMPOTENCY_KEY_REUSED", "field": ["idempotencyKey"]}]
    # the store payment product cannot be bought through checkout
    monkeypatch.setattr(settings, "STORE_PAYMENT_MAX_AMOUNT", 500)
    assert (await pay(genuine, "5.01"))["payAtStore"]["errors"][0]["code"] == "STORE_PAYMENT_LIMIT_EXCEEDED"
    assert await ledger.check_invariants() == []


async def test_bad_refunds_are_refused_with_stable_codes_and_change_nothing(api):
    s = await counter(api)
    order = await store_payments.pay(s["buyer"].id, store_payments.payment_code(s["store"].id), 8800, "k1")
    other_merchant = await make_merchant()
    other_store = await store_in(other_merchant, PROVINCE, CITY, COUNTY)
    outsider = await make_user("别店店员")
    await StoreStaff.create(store_id=other_store.id, user_id=outsider.id, permissions=["store.refund"])
    before = await _snapshot(s)
    cashier = await token_for(s["cashier"])

    async def refund(token, amount="10.00", order_id=None):
        return (await api(REFUND, {"id": order_id or gid(order), "a": amount}, token=token))["refundStorePayment"]

    for token in (await token_for(s["clerk"]), await token_for(outsider), await token_for(s["buyer"])):
        assert (await refund(token))["errors"] == [{"code": "FORBIDDEN", "field": None}]
    assert (await refund(cashier, "88.01"))["errors"] == [{"code": "REFUND_EXCEEDS_PAID", "field": ["amount"]}]
    assert (await refund(cashier, "0.00"))["errors"] == [{"code": "INVALID_AMOUNT", "field": ["amount"]}]
    assert (await refund(cashier, order_id=gid("Order", 999_999)))["errors"] == [
        {"code": "NOT_FOUND", "field": ["orderId"]}
    ]
    # an ordinary order is not a payment at a store
    assert await _snapshot(s) == before
    clock.advance(timedelta(days=settings.STORE_REFUND_DAYS, minutes=1))
    late = await refund(await token_for(s["cashier"]))
    assert late["errors"] == [{"code": "REFUND_WINDOW_CLOSED", "field": ["orderId"]}]
    assert await _snapshot(s) == before
    # granting an unknown permission is refused
    owner = await token_for(await s["merchant"].owner)
    bad = await api(GRANT, {"s": gid(s["store"]), "u": gid(s["clerk"]), "p": ["merchant.finance"]}, token=owner)
    assert bad["setStoreStaffPermissions"]["errors"] == [{"code": "INVALID_INPUT", "field": ["permissions"]}]
    assert await ledger.check_invariants() == []


async def test_the_store_payment_product_is_not_sold_through_checkout(api):
    s = await counter(api)
    order = await store_payments.pay(s["buyer"].id, store_payments.payment_code(s["store"].id), 100, "k1")
    line = await OrderLine.get(order_id=order.id)
    place = """mutation($i: PlaceOrderInput!) { placeOrder(input: $i) { orders { id } errors { code } } }"""
    data = {"idempotencyKey": "co-1", "items": [{"skuId": gid("Sku", line.sku_id), "quantity": 1}]}
    result = (await api(place, {"i": data}, token=await token_for(s["buyer"])))["placeOrder"]
    assert not result["orders"] and result["errors"] == [{"code": "PRODUCT_UNAVAILABLE"}]


async def test_the_store_feed_shows_payments_and_refunds_to_its_staff(app, api):
    s = await counter(api)
    code = store_payments.payment_code(s["store"].id)
    client, connect = await open_ws(app, "graphql-transport-ws")
    async with client, connect as ws:
        c = WsClient(ws, "graphql-transport-ws")
        await c.init(await token_for(s["clerk"]))
        await subscribe(ws, FEED, {"s": gid(s["store"])})
        await wait_for_listener(events.store_channel(s["store"].id))
        order = await store_payments.pay(s["buyer"].id, code, 1234, "feed-1")
        paid = (await c.recv())["payload"]["data"]["storePaymentEvents"]
        assert paid == {
            "kind": "PAID",
            "amount": {"amount": "12.34"},
            "receipt": {"receiptNo": order.order_no, "refundedAmount": {"amount": "0.00"}},
        }
        await store_payments.refund(await load_grants(s["cashier"].id), s["cashier"].id, order.id, 234)
        refunded = (await c.recv())["payload"]["data"]["storePaymentEvents"]
        assert refunded["kind"] == "REFUNDED" and refunded["amount"] == {"amount": "2.34"}
        assert refunded["receipt"]["refundedAmount"] == {"amount": "2.34"}


async def test_the_feed_refuses_users_without_store_permission(app, api):
    s = await counter(api)
    client, connect = await open_ws(app, "graphql-transport-ws")
    async with client, connect as ws:
        c = WsClient(ws, "graphql-transport-ws")
        await c.init(await token_for(s["buyer"]))
        await subscribe(ws, FEED, {"s": gid(s["store"])})
        message = await c.recv()
        errors = message["payload"] if message["type"] == "error" else message["payload"]["errors"]
        assert errors[0]["extensions"]["code"] == "FORBIDDEN"


# --------------------------------------------------------------------------- virtual goods (STO-6)


async def test_a_virtual_order_needs_no_address_and_completes_at_payment(api):
    await configure(api, [("PERCENT", 1000)], freeze_days=0)
    merchant = await make_merchant(shipping_fee=800)  # nothing shipped: no shipping fee on a virtual order
    voucher = await make_product(merchant, title="洗车券", delivery_kind="VIRTUAL", skus=[sku(price=5000, stock=10)])
    service = await make_product(
        merchant, title="维修服务", delivery_kind="REDEEMABLE", skus=[sku(price=3000, stock=10)]
    )
    goods = await make_product(merchant, title="茶叶", skus=[sku(price=1000, stock=10)])
    upline, _ = await member("上线")
    buyer, _ = await member("买家", upline=upline, wallet=100_000)
    token = await token_for(buyer)
    place = """mutation($i: PlaceOrderInput!) { placeOrder(input: $i) {
      payment { id } orders { id deliveryType address { detail } store { id } } errors { code field } } }"""
    pay = "mutation($id: ID!) { payWithWallet(paymentId: $id) { errors { code } } }"
    status = "query($id: ID!) { order(id: $id) { status completedAt } }"
    product = "query($id: ID!) { product(id: $id) { deliveryKind } }"
    assert (await api(product, {"id": gid(voucher)}, token=token))["product"] == {"deliveryKind": "VIRTUAL"}

    async def buy(*products):
        items = [{"skuId": gid((await p.skus.all())[0]), "quantity": 1} for p in products]
        return (await api(place, {"i": {"idempotencyKey": uuid.uuid4().hex, "items": items}}, token=token))[
            "placeOrder"
        ]

    mixed = await buy(voucher, goods)  # one physical line: an address is needed as before
    assert mixed["errors"] == [{"code": "ADDRESS_REQUIRED", "field": ["addressId"]}]
    placed = await buy(voucher)
    assert placed["errors"] == [] and placed["orders"][0] | {"id": None} == {
        "id": None,
        "deliveryType": "VIRTUAL",
        "address": None,
        "store": None,
    }
    assert (await Order.get(id=pk_of(placed["orders"][0]["id"]))).pay_amount == 5000
    assert (await api(pay, {"id": placed["payment"]["id"]}, token=token))["payWithWallet"]["errors"] == []
    done = (await api(status, {"id": placed["orders"][0]["id"]}, token=token))["order"]
    assert done["status"] == "COMPLETED" and done["completedAt"]
    assert await commissions.release_due() == 1  # completed at payment: released after the freeze (0 days)
    assert await balance(USER, upline.id, Purpose.WALLET) == 500

    redeemable = await buy(service)  # completes when redeemed, not at payment
    assert redeemable["errors"] == [] and redeemable["orders"][0]["deliveryType"] == "VIRTUAL"
    assert (await api(pay, {"id": redeemable["payment"]["id"]}, token=token))["payWithWallet"]["errors"] == []
    assert (await api(status, {"id": redeemable["orders"][0]["id"]}, token=token))["order"]["status"] == "PAID"
    assert await ledger.check_invariants() == []


async def test_a_membership_is_virtual_bought_without_an_address_and_completed_at_payment(api):
    from tests.api.test_membership import membership_shop

    _, membership_sku = await membership_shop()
    assert (await membership_sku.product).delivery_kind == "VIRTUAL"
    buyer, _ = await member("新会员", wallet=100_000)
    token = await token_for(buyer)
    place = """mutation($i: PlaceOrderInput!) { placeOrder(input: $i) { payment { id } orders { id deliveryType } errors { code } } }"""
    items = [{"skuId": gid(membership_sku), "quantity": 1}]
    placed = (await api(place, {"i": {"idempotencyKey": "m-1", "items": items}}, token=token))["placeOrder"]
    assert placed["errors"] == [] and placed["orders"][0]["deliveryType"] == "VIRTUAL"
    pay = "mutation($id: ID!) { payWithWallet(paymentId: $id) { errors { code } } }"
    assert (await api(pay, {"id": placed["payment"]["id"]}, token=token))["payWithWallet"]["errors"] == []
    assert (await Order.get(id=pk_of(placed["orders"][0]["id"]))).status == "COMPLETED"
    mine = (await api("{ myMembership { isMember } }", token=token))["myMembership"]
    assert mine == {"isMember": True}
    merchant = await make_merchant(kind="SELF_OPERATED")
    with pytest.raises(DomainError) as refused:
        await make_product(merchant, title="实物会员", zone="MEMBERSHIP", delivery_kind="PHYSICAL", skus=[sku()])
    assert refused.value.code == ErrorCode.INVALID_ZONE_SETTINGS


# --------------------------------------------------------------------------- PostgreSQL races


@requires_postgres
async def test_two_concurrent_refunds_never_exceed_what_was_paid(api):
    s = await counter(api)
    order = await store_payments.pay(s["buyer"].id, store_payments.payment_code(s["store"].id), 8800, "race")
    grants = await load_grants(s["cashier"].id)
    results = await asyncio.gather(
        store_payments.refund(grants, s["cashier"].id, order.id, 5000),
        store_payments.refund(grants, s["cashier"].id, order.id, 5000),
        return_exceptions=True,
    )
    refused = [r for r in results if isinstance(r, Exception)]
    assert len(refused) == 1 and isinstance(refused[0], DomainError)
    assert refused[0].code == ErrorCode.REFUND_EXCEEDS_PAID
    assert (await Order.get(id=order.id)).refunded_amount == 5000
    assert await Refund.filter(order_id=order.id).count() == 1
    assert await balance(USER, s["buyer"].id, Purpose.WALLET) == 100_000 - 8800 + 5000
    # and refunds that fit all go through, exactly
    results = await asyncio.gather(
        *(store_payments.refund(grants, s["cashier"].id, order.id, 1000) for _ in range(5)), return_exceptions=True
    )
    assert sum(1 for r in results if not isinstance(r, Exception)) == 3
    assert (await Order.get(id=order.id)).refunded_amount == 8000
    assert await ledger.check_invariants() == []


async def test_paying_at_a_store_through_the_gateway_counts_the_same_and_refunds_by_the_gateway(api):
    from services.orders import payments as order_payments

    s = await counter(api)
    token = await token_for(s["buyer"])
    pay = """mutation($c: String!, $k: String!) { payAtStore(code: $c, amount: "88.00", idempotencyKey: $k, method: GATEWAY) {
      receipt { id status paidAt order { payment { id } } } errors { code } } }"""
    code = store_payments.payment_code(s["store"].id)
    placed = (await api(pay, {"c": code, "k": "gw-1"}, token=token))["payAtStore"]
    assert placed["errors"] == [] and placed["receipt"]["status"] == "AWAITING_PAYMENT"
    assert placed["receipt"]["paidAt"] is None
    assert await Commission.all().count() == 0
    start = "mutation($p: ID!) { startGatewayPayment(paymentId: $p) { charge { tradeNo } errors { code } } }"
    started = (await api(start, {"p": placed["receipt"]["order"]["payment"]["id"]}, token=token))["startGatewayPayment"]
    assert started["errors"] == []
    await order_payments.sandbox_pay(s["buyer"].id, started["charge"]["tradeNo"])
    order = await Order.get(id=pk_of(placed["receipt"]["id"]))
    assert order.status == "COMPLETED" and order.paid_at is not None
    assert await balance(USER, s["buyer"].id, Purpose.WALLET) == 100_000  # the wallet was not used
    rows = list(await Commission.filter(order_id=order.id))
    assert sorted((c.kind, c.amount) for c in rows) == [("AGENT", 264), ("DISTRIBUTION", 880), ("STORE_SHARE", 440)]
    done = (await api(REFUND, {"id": gid(order), "a": "30.00"}, token=await token_for(s["cashier"])))[
        "refundStorePayment"
    ]
    assert done["errors"] == [] and done["refund"]["status"] == "COMPLETED"
    assert (await Refund.get(order_id=order.id)).method != "WALLET"
    assert sorted(c.reversed_amount for c in await Commission.filter(order_id=order.id)) == [90, 150, 300]
    assert await ledger.check_invariants() == []


async def test_an_unpaid_gateway_payment_at_a_store_times_out_without_touching_stock(api):
    from models.catalog import Sku, StockMovement
    from services.orders import payments as order_payments

    s = await counter(api)
    code = store_payments.payment_code(s["store"].id)
    order = await store_payments.pay(s["buyer"].id, code, 8800, "gw-late", method=store_payments.GATEWAY)
    assert order.status == "PENDING_PAYMENT"
    clock.advance(timedelta(minutes=settings.ORDER_PAY_TIMEOUT_MINUTES + 1))
    assert await order_payments.cancel_expired() == 1
    assert (await Order.get(id=order.id)).status == "CANCELLED"
    line = await OrderLine.get(order_id=order.id)
    assert (await Sku.get(id=line.sku_id)).stock == 0
    assert await StockMovement.filter(sku_id=line.sku_id).count() == 0
    assert await Commission.all().count() == 0
    assert await ledger.check_invariants() == []
