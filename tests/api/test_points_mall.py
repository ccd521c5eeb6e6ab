"""The points mall (MKT-4, CAT-2 POINTS zone) over GraphQL: a points + cash order with its
shipping paid in points; the points leave the buyer in the payment's transaction with the
cash; refunds give both back exactly (the shipping's points with the last unit, before
shipping); not enough points and a cash part paid short are refused with a code and change
nothing; the admins' exchange statistics; the ledger's invariants hold throughout."""

from __future__ import annotations

import uuid

import settings
from models.distribution import Commission
from models.orders import Order, Payment, SandboxTrade
from services.core import clock
from services.ledger import ledger
from services.ledger.ledger import MERCHANT, Posting, Purpose
from services.marketing import points_mall
from services.orders.gateways import gateway
from tests.api.test_after_sales import APPROVE, REQUEST
from tests.api.test_distribution import buyer_under_three_levels
from tests.helpers import gid, make_user, pk_of, token_for
from tests.order_factories import fund_wallet, make_buyer, make_shop

PREVIEW = """query($input: CheckoutPreviewInput!) { checkoutPreview(input: $input) {
  payAmount { amount } points shippingPoints pointBalance shippingFee { amount } } }"""
PLACE = """mutation($input: PlaceOrderInput!) { placeOrder(input: $input) {
  payment { id amount { amount } } orders { id points shippingPoints shippingFee { amount }
  shippingDiscount { amount } platformFunded { amount } payAmount { amount }
  lines { id points amount { amount } } } errors { code field } } }"""
PAY = "mutation($id: ID!) { payWithWallet(paymentId: $id) { errors { code field } } }"
START = "mutation($id: ID!) { startGatewayPayment(paymentId: $id) { charge { tradeNo } errors { code } } }"
STATS = """query($f: Date!, $t: Date!) { pointsExchangeStats(from: $f, to: $t) {
  productId title orders units points cashAmount { amount } shippingPoints } }"""


async def grant_points(user, amount: int) -> None:
    account = (await ledger.user_account(user.id, Purpose.POINTS, points_mall.POINT)).id
    budget = (await ledger.platform_account(Purpose.PROMOTION_EXPENSE, points_mall.POINT)).id
    await ledger.post("POINTS_EARNED", [Posting(budget, -amount), Posting(account, amount)])


async def _wallet(user) -> int:
    return (await ledger.user_account(user.id, Purpose.WALLET)).balance


async def test_points_and_cash_with_shipping_in_points_refunded_in_two_steps(api):
    buyer, address = await make_buyer(wallet=100_000)
    await grant_points(buyer, 2_200)
    # 20.00 cash + 500 points a unit; the merchant's shipping 10.00 = 1,000 points at 100 a yuan
    merchant, product, (row,) = await make_shop(
        price=2_000, stock=10, shipping_fee=1_000, zone="POINTS", purchase_limit=3, sku_fields={"points_price": 500}
    )
    _, _, (plain,) = await make_shop(price=1_000)
    token = await token_for(buyer)
    items = [{"skuId": gid("Sku", row.id), "quantity": 2}]

    preview = (await api(PREVIEW, {"input": {"items": items, "shippingInPoints": True}}, token))["checkoutPreview"]
    assert preview == {
        "payAmount": {"amount": "40.00"},
        "points": 2_000,
        "shippingPoints": 1_000,
        "pointBalance": 2_200,
        "shippingFee": {"amount": "10.00"},
    }
    cash = (await api(PREVIEW, {"input": {"items": items}}, token))["checkoutPreview"]
    assert (cash["payAmount"], cash["points"]) == ({"amount": "50.00"}, 1_000)

    def order(**extra) -> dict:
        base = {"idempotencyKey": uuid.uuid4().hex, "addressId": gid(address), "items": items}
        return {"input": base | {"shippingInPoints": True} | extra}

    refusals = [
        (order(items=[{"skuId": gid("Sku", row.id), "quantity": 3}]), "INSUFFICIENT_POINTS", ["items"]),  # 2,500
        (order(items=[*items, {"skuId": gid("Sku", plain.id), "quantity": 1}]), "INVALID_INPUT", ["items"]),
        (order(coins=100), "INVALID_INPUT", ["coins"]),
        (order(items=[{"skuId": gid("Sku", plain.id), "quantity": 1}]), "INVALID_INPUT", ["shippingInPoints"]),
    ]
    for variables, code, field in refusals:
        refused = (await api(PLACE, variables, token))["placeOrder"]
        assert refused["errors"] == [{"code": code, "field": field}], (variables, refused)
    assert await Order.all().count() == 0 and await points_mall.balance(buyer.id) == 2_200

    placed = (await api(PLACE, order(), token))["placeOrder"]
    assert placed["errors"] == [] and placed["payment"]["amount"] == {"amount": "40.00"}
    (made,) = placed["orders"]
    assert made | {"id": None, "lines": None} == {
        "id": None,
        "points": 2_000,
        "shippingPoints": 1_000,
        "shippingFee": {"amount": "10.00"},
        "shippingDiscount": {"amount": "10.00"},
        "platformFunded": {"amount": "10.00"},
        "payAmount": {"amount": "40.00"},
        "lines": None,
    }
    assert [(ln["points"], ln["amount"]) for ln in made["lines"]] == [(1_000, {"amount": "40.00"})]
    assert await points_mall.balance(buyer.id) == 2_200  # taken at payment, with the cash

    assert (await api(PAY, {"id": placed["payment"]["id"]}, token))["payWithWallet"]["errors"] == []
    assert await points_mall.balance(buyer.id) == 200 and await _wallet(buyer) == 96_000
    pending = await ledger.get_account(MERCHANT, merchant.id, Purpose.MERCHANT_PENDING)
    assert pending.balance == 5_000  # the buyer's 40.00 and the platform's 10.00 for the shipping

    admin = await token_for(await make_user("admin", roles=("admin",)))
    today = clock.now().date().isoformat()
    (stats,) = (await api(STATS, {"f": today, "t": today}, admin))["pointsExchangeStats"]
    assert stats == {
        "productId": gid(product),
        "title": product.title,
        "orders": 1,
        "units": 2,
        "points": 1_000,
        "cashAmount": {"amount": "40.00"},
        "shippingPoints": 1_000,
    }
    denied = await api.raw(STATS, {"f": today, "t": today}, token)
    assert denied["errors"][0]["extensions"]["code"] == "FORBIDDEN"

    owner = await token_for(await merchant.owner)
    line = made["lines"][0]["id"]
    for expected_cash, expected_points in (("20.00", 700), ("20.00", 2_200)):
        asked = await api(REQUEST, {"line": line, "kind": "REFUND_ONLY", "q": 1, "reason": "不要了"}, token)
        approved = await api(APPROVE, {"id": asked["requestAfterSale"]["afterSale"]["id"]}, owner)
        assert approved["approveAfterSale"]["errors"] == []
        assert approved["approveAfterSale"]["afterSale"]["amount"] == {"amount": expected_cash}
        assert await points_mall.balance(buyer.id) == expected_points
    assert await _wallet(buyer) == 100_000
    pending = await ledger.get_account(MERCHANT, merchant.id, Purpose.MERCHANT_PENDING)
    assert pending.balance == 0  # the platform's shipping went back with the whole refund
    assert (await api(STATS, {"f": today, "t": today}, admin))["pointsExchangeStats"][0]["units"] == 0
    assert await ledger.check_invariants() == []


async def test_short_points_or_cash_at_payment_change_nothing(api):
    buyer, address = await make_buyer(wallet=1_000)
    await grant_points(buyer, 600)
    _, _, (row,) = await make_shop(price=2_000, stock=5, zone="POINTS", sku_fields={"points_price": 500})
    token = await token_for(buyer)
    items = [{"skuId": gid("Sku", row.id), "quantity": 1}]
    placed = (await api(PLACE, {"input": {"idempotencyKey": "k1", "addressId": gid(address), "items": items}}, token))[
        "placeOrder"
    ]
    assert placed["errors"] == []

    # the cash part paid short: the wallet holds 10.00 of 20.00
    short = (await api(PAY, {"id": placed["payment"]["id"]}, token))["payWithWallet"]["errors"]
    assert short == [{"code": "INSUFFICIENT_FUNDS", "field": ["amount"]}]
    assert (await points_mall.balance(buyer.id), await _wallet(buyer)) == (600, 1_000)
    # ... and at the gateway: a notice for less than the payment is refused, nothing recorded
    charge = (await api(START, {"id": placed["payment"]["id"]}, token))["startGatewayPayment"]["charge"]
    await SandboxTrade.filter(trade_no=charge["tradeNo"]).update(status="SUCCESS")
    trade = await SandboxTrade.get(trade_no=charge["tradeNo"])
    wrong = gateway.get().notification_for(trade, amount=1_000)
    response = await api.client.post("/payments/notify", content=wrong.body, headers=wrong.headers)
    assert response.json()["error"] == "CALLBACK_AMOUNT_MISMATCH"
    assert (await Payment.get(payment_no=trade.payment_no)).status == "UNPAID"

    # the points spent elsewhere before paying: the payment is refused whole
    await ledger.post(
        "POINTS_TAKEN_BACK",
        [
            Posting((await ledger.platform_account(Purpose.PROMOTION_EXPENSE, points_mall.POINT)).id, 200),
            Posting((await ledger.user_account(buyer.id, Purpose.POINTS, points_mall.POINT)).id, -200),
        ],
    )
    await fund_wallet(buyer, 5_000)
    refused = (await api(PAY, {"id": placed["payment"]["id"]}, token))["payWithWallet"]["errors"]
    assert refused == [{"code": "INSUFFICIENT_POINTS", "field": ["paymentId"]}]
    assert (await points_mall.balance(buyer.id), await _wallet(buyer)) == (400, 6_000)
    assert (await Payment.get(payment_no=trade.payment_no)).status == "UNPAID"
    assert await ledger.check_invariants() == []


async def test_points_orders_earn_commissions_only_when_the_setting_says_so(api, monkeypatch):
    _, buyer, address = await buyer_under_three_levels()
    await grant_points(buyer, 10_000)
    _, _, (row,) = await make_shop(price=10_000, stock=5, zone="POINTS", sku_fields={"points_price": 100})
    token = await token_for(buyer)

    async def buy() -> str:
        items = [{"skuId": gid("Sku", row.id), "quantity": 1}]
        body = {"idempotencyKey": uuid.uuid4().hex, "addressId": gid(address), "items": items}
        placed = (await api(PLACE, {"input": body}, token))["placeOrder"]
        assert (await api(PAY, {"id": placed["payment"]["id"]}, token))["payWithWallet"]["errors"] == []
        return placed["orders"][0]["id"]

    first = await buy()
    assert await Commission.filter(order_id=pk_of(first)).count() == 0
    monkeypatch.setattr(settings, "POINTS_ORDERS_EARN_COMMISSIONS", True)
    second = await buy()
    amounts = await Commission.filter(order_id=pk_of(second)).order_by("level").values_list("amount", flat=True)
    assert amounts == [1_000, 500, 200]  # 10 %, 5 %, 2 % of the 100.00 cash part
    assert await ledger.check_invariants() == []
