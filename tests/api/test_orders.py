"""Checkout, payment and the order lifecycle end to end through GraphQL (ORD-2..6, ORD-8)."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta

import pytest

import settings
from jobs import orders as order_jobs
from models.catalog import Product, Sku
from models.merchants import StoreStaff
from models.orders import GatewayNotification, Order, OutboundMessage, Payment, Refund, SandboxTrade
from services.catalog import products as catalog
from services.core import clock
from services.ledger import ledger
from services.ledger.ledger import MERCHANT, Purpose
from services.orders import messages
from services.orders.gateways import gateway
from services.orders.sandbox_gateway import sign
from tests.catalog_factories import make_staff
from tests.helpers import gid, make_user, pk_of, token_for
from tests.order_factories import make_buyer, make_shop, make_store
from tests.querycount import count_queries

PLACE = """mutation($input: PlaceOrderInput!) { placeOrder(input: $input) {
  payment { id status amount { amount } expiresAt }
  orders { id status deliveryType goodsAmount { amount } shippingFee { amount } payAmount { amount } pickupCode }
  errors { code field message } } }"""
PAY_WALLET = "mutation($id: ID!) { payWithWallet(paymentId: $id) { payment { id status method } errors { code } } }"
START = "mutation($id: ID!) { startGatewayPayment(paymentId: $id) { charge { tradeNo payUrl clientParams } errors { code } } }"
SANDBOX_PAY = "mutation($t: String!) { sandboxPay(tradeNo: $t) { payment { status method } errors { code } } }"
ORDER = """query($id: ID!) { order(id: $id) { id status pickupCode payAmount { amount } refundedAmount { amount }
  lines { title quantity unitPrice { amount } } shipment { carrier trackingNo events { status description } }
  history { fromStatus toStatus } merchant { id } address { recipient } store { id } } }"""
SHIP = 'mutation($id: ID!) { shipOrder(orderId: $id, carrier: "顺丰", trackingNo: "SF1234567") { order { status } errors { code } } }'
CONFIRM = "mutation($id: ID!) { confirmReceipt(orderId: $id) { order { status } errors { code } } }"


def order_input(lines, address=None, **extra):
    data = {
        "idempotencyKey": extra.pop("key", uuid.uuid4().hex),
        "items": [{"skuId": gid("Sku", s), "quantity": q} for s, q in lines],
    }
    if address is not None:
        data["addressId"] = gid(address)
    data.update(extra)
    return {"input": data}


async def wallet_balance(user) -> int:
    return (await ledger.user_account(user.id, Purpose.WALLET)).balance


async def merchant_pending(merchant) -> int:
    return (await ledger.get_account(MERCHANT, merchant.id, Purpose.MERCHANT_PENDING)).balance


async def place(api, token, lines, address=None, **extra) -> dict:
    data = await api(PLACE, order_input(lines, address, **extra), token=token)
    assert data["placeOrder"]["errors"] == [], data
    return data["placeOrder"]


async def place_error(api, token, lines, address=None, **extra) -> str:
    data = await api(PLACE, order_input(lines, address, **extra), token=token)
    assert data["placeOrder"]["payment"] is None
    return data["placeOrder"]["errors"][0]["code"]


# --------------------------------------------------------------------------- express + wallet


async def test_express_order_paid_from_wallet_shipped_delivered_completed(api):
    buyer, address = await make_buyer(wallet=100_000)
    merchant, _, (sku,) = await make_shop(price=2200, stock=5, shipping_fee=800, free_threshold=10_000)
    token = await token_for(buyer)
    placed = await place(api, token, [(sku.id, 2)], address)
    order = placed["orders"][0]
    assert (order["goodsAmount"]["amount"], order["shippingFee"]["amount"], order["payAmount"]["amount"]) == (
        "44.00",
        "8.00",
        "52.00",
    )
    assert order["status"] == "AWAITING_PAYMENT" and order["pickupCode"] is None
    assert (await Sku.get(id=sku.id)).stock == 3  # reserved at placement

    paid = await api(PAY_WALLET, {"id": placed["payment"]["id"]}, token=token)
    assert paid["payWithWallet"]["payment"] == {"id": placed["payment"]["id"], "status": "PAID", "method": "WALLET"}
    assert await wallet_balance(buyer) == 100_000 - 5200
    assert await merchant_pending(merchant) == 5200
    assert (await Product.get(id=sku.product_id)).sales_count == 2

    staff = await make_staff(merchant, ["merchant.orders"])
    staff_token = await token_for(staff)
    listed = await api(
        "query($m: ID!) { merchantOrders(merchantId: $m) { nodes { id status buyer { nickname } } } }",
        {"m": gid(merchant)},
        token=staff_token,
    )
    assert [n["id"] for n in listed["merchantOrders"]["nodes"]] == [order["id"]]
    shipped = await api(SHIP, {"id": order["id"]}, token=staff_token)
    assert shipped["shipOrder"] == {"order": {"status": "SHIPPED"}, "errors": []}
    tracked = await api(
        'mutation($id: ID!) { addTrackingEvent(orderId: $id, status: DELIVERED, description: "已签收") { order { status autoCompleteAt } errors { code } } }',
        {"id": order["id"]},
        token=staff_token,
    )
    assert tracked["addTrackingEvent"]["order"]["status"] == "DELIVERED"
    done = await api(CONFIRM, {"id": order["id"]}, token=token)
    assert done["confirmReceipt"]["order"]["status"] == "COMPLETED"

    seen = (await api(ORDER, {"id": order["id"]}, token=token))["order"]
    assert seen["shipment"] == {
        "carrier": "顺丰",
        "trackingNo": "SF1234567",
        "events": [{"status": "DELIVERED", "description": "已签收"}],
    }
    assert [h["toStatus"] for h in seen["history"]] == ["PAID", "SHIPPED", "DELIVERED", "COMPLETED"]
    assert seen["address"] == {"recipient": "张三"}
    assert await ledger.check_invariants() == []

    # the buyer was told by template message: paid and shipped; the merchant's owner of the new order
    templates = sorted(m.template for m in await OutboundMessage.all())
    assert templates == ["NEW_ORDER", "ORDER_PAID", "ORDER_SHIPPED"]
    assert await messages.deliver_pending() == 3
    assert sorted(m.template for m in messages.sender.get().sent) == templates


async def test_orders_are_private_to_buyer_merchant_staff_and_support(api):
    buyer, address = await make_buyer(wallet=10_000)
    merchant, _, (sku,) = await make_shop()
    placed = await place(api, await token_for(buyer), [(sku.id, 1)], address)
    order_id = placed["orders"][0]["id"]
    stranger = await token_for(await make_user())
    assert await api.error_code(ORDER, {"id": order_id}, token=stranger) == "NOT_FOUND"
    products_only = await token_for(await make_staff(merchant, ["merchant.products"]))
    assert await api.error_code(ORDER, {"id": order_id}, token=products_only) == "NOT_FOUND"
    assert (
        await api.error_code(
            "query($m: ID!) { merchantOrders(merchantId: $m) { nodes { id } } }",
            {"m": gid(merchant)},
            token=products_only,
        )
        == "FORBIDDEN"
    )
    support = await token_for(await make_user(roles=("support",)))
    assert (await api(ORDER, {"id": order_id}, token=support))["order"]["id"] == order_id
    # another merchant's order staff can neither see nor ship it
    other_merchant, _, _ = await make_shop()
    other = await token_for(await make_staff(other_merchant, ["merchant.orders"]))
    await api(PAY_WALLET, {"id": placed["payment"]["id"]}, token=await token_for(buyer))
    assert (await api(SHIP, {"id": order_id}, token=other))["shipOrder"]["errors"] == [{"code": "FORBIDDEN"}]
    assert (await Order.get(id=pk_of(order_id))).status == "PAID"


async def test_one_checkout_two_merchants_one_payment(api):
    buyer, address = await make_buyer(wallet=100_000)
    m1, _, (s1,) = await make_shop(price=1000, shipping_fee=500)
    m2, _, (s2,) = await make_shop(price=3000, shipping_fee=500, free_threshold=3000)
    token = await token_for(buyer)
    placed = await place(api, token, [(s1.id, 1), (s2.id, 1)], address)
    assert placed["payment"]["amount"]["amount"] == "45.00"
    assert sorted(o["payAmount"]["amount"] for o in placed["orders"]) == ["15.00", "30.00"]
    await api(PAY_WALLET, {"id": placed["payment"]["id"]}, token=token)
    assert (await merchant_pending(m1), await merchant_pending(m2)) == (1500, 3000)
    mine = await api("{ myOrders { nodes { status payment { status orders { id } } } } }", token=token)
    assert [n["status"] for n in mine["myOrders"]["nodes"]] == ["PAID", "PAID"]
    assert len(mine["myOrders"]["nodes"][0]["payment"]["orders"]) == 2


async def test_checkout_from_the_cart_buys_selected_items_and_removes_them():
    from models.orders import CartItem
    from services.orders import checkout

    buyer, address = await make_buyer()
    _, _, (s1,) = await make_shop()
    _, _, (s2,) = await make_shop()
    await CartItem.create(user_id=buyer.id, sku_id=s1.id, quantity=2, selected=True)
    await CartItem.create(user_id=buyer.id, sku_id=s2.id, quantity=1, selected=False)
    placed = await checkout.place_order(buyer.id, checkout.CheckoutRequest(idempotency_key="k1", address_id=address.id))
    assert [o.goods_amount for o in placed.orders] == [2000]
    assert await CartItem.filter(user_id=buyer.id).values_list("sku_id", flat=True) == [s2.id]


# --------------------------------------------------------------------------- pickup + sandbox gateway


async def test_pickup_order_paid_through_the_sandbox_gateway_and_verified_at_the_store(api):
    buyer, _ = await make_buyer()
    merchant, _, (sku,) = await make_shop(price=1500, shipping_fee=800)
    store = await make_store(merchant)
    clerk = await make_user("clerk")
    await StoreStaff.create(store_id=store.id, user_id=clerk.id)
    token = await token_for(buyer)
    placed = await place(api, token, [(sku.id, 1)], pickupStores=[{"merchantId": gid(merchant), "storeId": gid(store)}])
    order = placed["orders"][0]
    assert order["deliveryType"] == "PICKUP" and order["shippingFee"]["amount"] == "0.00"
    code = order["pickupCode"]
    assert code and len(code) == 8

    charge = (await api(START, {"id": placed["payment"]["id"]}, token=token))["startGatewayPayment"]["charge"]
    assert charge["payUrl"].endswith(f"/sandbox/pay/{charge['tradeNo']}")
    assert json.loads(charge["clientParams"])["amount"] == 1500
    paid = await api(SANDBOX_PAY, {"t": charge["tradeNo"]}, token=token)
    assert paid["sandboxPay"]["payment"] == {"status": "PAID", "method": "SANDBOX"}
    assert await merchant_pending(merchant) == 1500

    clerk_token = await token_for(clerk)
    verify = "mutation($s: ID!, $c: String!) { verifyPickup(storeId: $s, code: $c) { order { status pickupCode } errors { code } } }"
    wrong = await api(
        verify, {"s": gid(store), "c": "00000000" if code != "00000000" else "11111111"}, token=clerk_token
    )
    assert wrong["verifyPickup"]["errors"] == [{"code": "PICKUP_CODE_INVALID"}]
    outsider = await token_for(await make_user())
    assert (await api(verify, {"s": gid(store), "c": code}, token=outsider))["verifyPickup"]["errors"] == [
        {"code": "FORBIDDEN"}
    ]
    ok = await api(verify, {"s": gid(store), "c": code}, token=clerk_token)
    assert ok["verifyPickup"] == {
        "order": {"status": "PICKED_UP", "pickupCode": None},
        "errors": [],
    }  # only the buyer sees the code
    assert (await api(CONFIRM, {"id": order["id"]}, token=token))["confirmReceipt"]["order"]["status"] == "COMPLETED"
    assert await ledger.check_invariants() == []


async def test_pickup_at_another_merchants_store_is_refused(api):
    buyer, _ = await make_buyer()
    merchant, _, (sku,) = await make_shop()
    other, _, _ = await make_shop()
    store = await make_store(other)
    token = await token_for(buyer)
    code = await place_error(
        api, token, [(sku.id, 1)], pickupStores=[{"merchantId": gid(merchant), "storeId": gid(store)}]
    )
    assert code == "INVALID_STORE"
    assert (await Sku.get(id=sku.id)).stock == 10 and await Payment.all().count() == 0


# --------------------------------------------------------------------------- callbacks over HTTP


async def _gateway_checkout(api, amount=1000):
    buyer, address = await make_buyer()
    merchant, _, (sku,) = await make_shop(price=amount)
    token = await token_for(buyer)
    placed = await place(api, token, [(sku.id, 1)], address)
    charge = (await api(START, {"id": placed["payment"]["id"]}, token=token))["startGatewayPayment"]["charge"]
    return buyer, merchant, token, placed, charge


async def test_callbacks_are_verified_and_idempotent(api):
    _, merchant, _, placed, charge = await _gateway_checkout(api)
    await SandboxTrade.filter(trade_no=charge["tradeNo"]).update(status="SUCCESS")
    trade = await SandboxTrade.get(trade_no=charge["tradeNo"])
    genuine = gateway.get().notification_for(trade)

    async def post(headers, body):
        response = await api.client.post("/payments/notify", content=body, headers=headers)
        return response.status_code, response.json()

    forged = dict(genuine.headers, **{"X-Sandbox-Signature": "0" * 64})
    assert await post(forged, genuine.body) == (
        400,
        {"code": "FAIL", "error": "CALLBACK_INVALID", "message": "Bad signature."},
    )
    wrong_amount = gateway.get().notification_for(trade, amount=1)
    assert (await post(wrong_amount.headers, wrong_amount.body))[1]["error"] == "CALLBACK_AMOUNT_MISMATCH"
    stale = sign(genuine.body, timestamp=int(clock.now().timestamp()) - 3600)
    assert (await post(stale.headers, stale.body))[1]["error"] == "CALLBACK_INVALID"
    other_secret = sign(genuine.body, secret="not-the-gateway")
    assert (await post(other_secret.headers, other_secret.body))[1]["error"] == "CALLBACK_INVALID"
    assert (await Payment.get(id=pk_of(placed["payment"]["id"]))).status == "UNPAID"
    assert await merchant_pending(merchant) == 0 and await GatewayNotification.all().count() == 0

    assert await post(genuine.headers, genuine.body) == (200, {"code": "SUCCESS", "outcome": "PAID"})
    again = gateway.get().notification_for(trade)  # a repeat: same notify id, fresh signature
    assert await post(again.headers, again.body) == (200, {"code": "SUCCESS", "outcome": "PAID"})
    assert await merchant_pending(merchant) == 1000
    assert await GatewayNotification.all().count() == 1
    assert await ledger.check_invariants() == []


async def test_money_arriving_after_cancel_is_refunded_automatically(api):
    buyer, merchant, token, placed, charge = await _gateway_checkout(api)
    cancelled = await api(
        'mutation($id: ID!) { cancelOrder(orderId: $id, reason: "changed my mind") { orders { status } errors { code } } }',
        {"id": placed["orders"][0]["id"]},
        token=token,
    )
    assert cancelled["cancelOrder"] == {"orders": [{"status": "CANCELLED"}], "errors": []}
    # the buyer had the gateway page open and pays anyway: the gateway took the money
    await SandboxTrade.filter(trade_no=charge["tradeNo"]).update(status="SUCCESS")
    notice = gateway.get().notification_for(await SandboxTrade.get(trade_no=charge["tradeNo"]))
    response = await api.client.post("/payments/notify", content=notice.body, headers=notice.headers)
    assert response.json() == {"code": "SUCCESS", "outcome": "REFUNDED_LATE"}
    refund = await Refund.get(payment_id=pk_of(placed["payment"]["id"]))
    assert (refund.status, refund.amount, refund.reason) == ("SUCCEEDED", 1000, "LATE_PAYMENT")
    assert (await SandboxTrade.get(trade_no=charge["tradeNo"])).refunded == 1000
    assert (await Order.get(id=pk_of(placed["orders"][0]["id"]))).status == "CANCELLED"
    assert await merchant_pending(merchant) == 0
    assert await ledger.check_invariants() == []


async def test_sandbox_pay_is_unavailable_with_a_real_gateway(api, monkeypatch):
    _, _, token, _, charge = await _gateway_checkout(api)

    class RealGateway:
        method = "WECHAT_PAY"

    monkeypatch.setattr(gateway, "_instance", RealGateway())
    data = await api(SANDBOX_PAY, {"t": charge["tradeNo"]}, token=token)
    assert data["sandboxPay"]["errors"] == [{"code": "PAYMENT_METHOD_UNAVAILABLE"}]


async def test_sandbox_page_pays(api):
    _, merchant, _, placed, charge = await _gateway_checkout(api)
    page = await api.client.get(f"/sandbox/pay/{charge['tradeNo']}")
    assert page.status_code == 200 and "10.00" in page.text and "<form" in page.text
    paid = await api.client.post(f"/sandbox/pay/{charge['tradeNo']}")
    assert "SUCCESS" in paid.text and "<form" not in paid.text
    assert (await Payment.get(id=pk_of(placed["payment"]["id"]))).status == "PAID"
    assert await merchant_pending(merchant) == 1000


# --------------------------------------------------------------------------- cancel, time-out, auto-complete


async def test_cancel_releases_stock_and_a_cancelled_order_cannot_be_paid(api):
    buyer, address = await make_buyer(wallet=10_000)
    _, _, (sku,) = await make_shop(stock=2)
    token = await token_for(buyer)
    placed = await place(api, token, [(sku.id, 2)], address)
    assert (await Sku.get(id=sku.id)).stock == 0
    assert (await Product.get(id=sku.product_id)).status == "DELISTED"  # sold out: delisted automatically
    await api(
        "mutation($id: ID!) { cancelOrder(orderId: $id) { errors { code } } }",
        {"id": placed["orders"][0]["id"]},
        token=token,
    )
    assert (await Sku.get(id=sku.id)).stock == 2
    assert (await Product.get(id=sku.product_id)).status == "LISTED"  # restocked: relisted
    again = await api(PAY_WALLET, {"id": placed["payment"]["id"]}, token=token)
    assert again["payWithWallet"]["errors"] == [{"code": "PAYMENT_NOT_PAYABLE"}]
    assert await wallet_balance(buyer) == 10_000
    twice = await api(
        "mutation($id: ID!) { cancelOrder(orderId: $id) { errors { code } } }",
        {"id": placed["orders"][0]["id"]},
        token=token,
    )
    assert twice["cancelOrder"]["errors"] == [{"code": "INVALID_TRANSITION"}]


async def test_unpaid_orders_time_out(api):
    buyer, address = await make_buyer(wallet=10_000)
    _, _, (sku,) = await make_shop(stock=5)
    token = await token_for(buyer)
    placed = await place(api, token, [(sku.id, 3)], address)
    clock.advance(timedelta(minutes=settings.ORDER_PAY_TIMEOUT_MINUTES, seconds=1))
    late = await api(PAY_WALLET, {"id": placed["payment"]["id"]}, token=await token_for(buyer))
    assert late["payWithWallet"]["errors"] == [{"code": "PAYMENT_EXPIRED"}]
    assert await order_jobs.cancel_unpaid() == "cancelled 1 unpaid checkouts"
    assert await order_jobs.cancel_unpaid() == "cancelled 0 unpaid checkouts"  # a second run finds nothing
    order = await Order.get(id=pk_of(placed["orders"][0]["id"]))
    assert (order.status, order.cancel_reason) == ("CANCELLED", "Payment timed out")
    assert (await Sku.get(id=sku.id)).stock == 5
    assert await wallet_balance(buyer) == 10_000


async def test_delivered_orders_complete_automatically(api):
    buyer, address = await make_buyer(wallet=10_000)
    merchant, _, (sku,) = await make_shop()
    token = await token_for(buyer)
    placed = await place(api, token, [(sku.id, 1)], address)
    await api(PAY_WALLET, {"id": placed["payment"]["id"]}, token=token)
    staff = await token_for(await make_staff(merchant, ["merchant.orders"]))
    await api(SHIP, {"id": placed["orders"][0]["id"]}, token=staff)
    clock.advance(timedelta(days=settings.ORDER_SHIPPED_AUTO_COMPLETE_DAYS - 1))
    assert await order_jobs.complete_delivered() == "completed 0 orders"
    clock.advance(timedelta(days=1, seconds=1))
    assert await order_jobs.complete_delivered() == "completed 1 orders"
    assert (await Order.get(id=pk_of(placed["orders"][0]["id"]))).status == "COMPLETED"


# --------------------------------------------------------------------------- bad input


async def test_bad_checkouts_change_nothing(api):
    buyer, address = await make_buyer(wallet=10_000)
    merchant, product, (sku,) = await make_shop(stock=3, purchase_limit=2)
    token = await token_for(buyer)
    stranger_address = (await make_buyer())[1]

    async def refused(lines, address=address, **extra):
        code = await place_error(api, token, lines, address, **extra)
        assert (await Sku.get(id=sku.id)).stock == 3
        assert await Payment.all().count() == 0 and await Order.all().count() == 0
        return code

    assert await refused([(sku.id, 4)]) == "INSUFFICIENT_STOCK"
    assert await refused([(sku.id, 3)]) == "PURCHASE_LIMIT_EXCEEDED"
    assert await refused([(sku.id, 0)]) == "INVALID_QUANTITY"
    assert await refused([(sku.id, 1)], address=stranger_address) == "NOT_FOUND"
    assert await refused([(sku.id, 1)], address=None) == "ADDRESS_REQUIRED"
    assert await refused([(999_999, 1)]) == "NOT_FOUND"
    data = await api(PLACE, {"input": {"idempotencyKey": "k", "addressId": gid(address)}}, token=token)
    assert data["placeOrder"]["errors"][0]["code"] == "CART_EMPTY"
    # the consignment issue fills the wholesale zone rule in: one voucher per unit (CON-2)
    _, _, (wholesale,) = await make_shop(zone="WHOLESALE", sku_fields={"wholesale_price": 440})
    assert await refused([(wholesale.id, 1)]) == "VOUCHER_REQUIRED"
    await catalog.delist_product(await _owner_grants(merchant), product.id)
    assert await refused([(sku.id, 1)]) == "PRODUCT_UNAVAILABLE"


async def _owner_grants(merchant):
    from services.accounts.access import load_grants

    return await load_grants(merchant.owner_id)


async def test_purchase_limit_counts_earlier_orders_but_not_cancelled_ones(api):
    buyer, address = await make_buyer()
    _, _, (sku,) = await make_shop(purchase_limit=2)
    token = await token_for(buyer)
    first = await place(api, token, [(sku.id, 2)], address)
    assert await place_error(api, token, [(sku.id, 1)], address) == "PURCHASE_LIMIT_EXCEEDED"
    await api(
        "mutation($id: ID!) { cancelOrder(orderId: $id) { errors { code } } }",
        {"id": first["orders"][0]["id"]},
        token=token,
    )
    await place(api, token, [(sku.id, 2)], address)


async def test_place_order_is_idempotent(api):
    buyer, address = await make_buyer()
    _, _, (sku,) = await make_shop(stock=5)
    token = await token_for(buyer)
    first = await place(api, token, [(sku.id, 2)], address, key="same-key")
    again = await place(api, token, [(sku.id, 2)], address, key="same-key")
    assert again["payment"]["id"] == first["payment"]["id"]
    assert (await Sku.get(id=sku.id)).stock == 3
    assert await place_error(api, token, [(sku.id, 1)], address, key="same-key") == "IDEMPOTENCY_KEY_REUSED"
    # A replay answers the first checkout even when the same request would now be refused.
    await Product.filter(id=sku.product_id).update(status="DELISTED")
    replayed = await place(api, token, [(sku.id, 2)], address, key="same-key")
    assert replayed["payment"]["id"] == first["payment"]["id"]
    assert await place_error(api, token, [(sku.id, 1)], address, key="same-key") == "IDEMPOTENCY_KEY_REUSED"
    assert await place_error(api, token, [(sku.id, 1)], address) == "PRODUCT_UNAVAILABLE"


async def test_transitions_not_in_the_table_are_refused(api):
    buyer, address = await make_buyer(wallet=10_000)
    merchant, _, (sku,) = await make_shop()
    store = await make_store(merchant)
    token = await token_for(buyer)
    staff = await token_for(await make_staff(merchant, ["merchant.orders"]))
    express = await place(api, token, [(sku.id, 1)], address)
    order_id = express["orders"][0]["id"]
    assert (await api(SHIP, {"id": order_id}, token=staff))["shipOrder"]["errors"] == [
        {"code": "INVALID_TRANSITION"}
    ]  # unpaid
    await api(PAY_WALLET, {"id": express["payment"]["id"]}, token=token)
    assert (await api(CONFIRM, {"id": order_id}, token=token))["confirmReceipt"]["errors"] == [
        {"code": "INVALID_TRANSITION"}
    ]
    pickup = await place(api, token, [(sku.id, 1)], pickupStores=[{"merchantId": gid(merchant), "storeId": gid(store)}])
    await api(PAY_WALLET, {"id": pickup["payment"]["id"]}, token=token)
    assert (await api(SHIP, {"id": pickup["orders"][0]["id"]}, token=staff))["shipOrder"]["errors"] == [
        {"code": "INVALID_TRANSITION"}
    ]
    assert (await Order.get(id=pk_of(pickup["orders"][0]["id"]))).status == "PAID"


async def test_first_order_binds_the_referrer_in_first_order_mode(api, monkeypatch):
    monkeypatch.setattr(settings, "REFERRAL_BINDING_MODE", "FIRST_ORDER")
    referrer = await make_user("referrer")
    buyer, address = await make_buyer()
    _, _, (sku,) = await make_shop()
    token = await token_for(buyer)
    await place(api, token, [(sku.id, 1)], address, inviteCode="WRONG")  # a bad code never blocks buying
    from models.accounts import User

    assert (await User.get(id=buyer.id)).upline_id is None
    await place(api, token, [(sku.id, 1)], address, inviteCode=referrer.invite_code)  # not the first order any more
    assert (await User.get(id=buyer.id)).upline_id is None
    newcomer, address2 = await make_buyer()
    await place(api, await token_for(newcomer), [(sku.id, 1)], address2, inviteCode=referrer.invite_code)
    assert (await User.get(id=newcomer.id)).upline_id == referrer.id


# --------------------------------------------------------------------------- query cost


@pytest.mark.parametrize("size", [3, 12])
async def test_my_orders_cost_constant_queries(api, size):
    buyer, address = await make_buyer()
    token = await token_for(buyer)
    for _ in range(size):
        _, _, (sku,) = await make_shop()
        await place(api, token, [(sku.id, 1)], address)
    query = """{ myOrders(first: 50) { nodes { id status merchant { name } buyer { nickname }
      lines { title product { title } } shipment { carrier events { status } } payment { status orders { id } }
      history { toStatus } refunds { amount { amount } } } } }"""
    with count_queries() as counter:
        data = await api(query, token=token)
    assert len(data["myOrders"]["nodes"]) == size
    assert counter.count <= 14, counter.statements
