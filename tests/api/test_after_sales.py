"""After-sales (ORD-7) end to end through GraphQL: requests, review, returns, refunds by
the original method, visibility, and refused input that changes nothing."""

from __future__ import annotations

from datetime import timedelta

import settings
from models.catalog import Sku, StockMovement
from models.orders import AfterSale, Order, OrderLine, Refund, SandboxTrade
from services.accounts.access import Grants
from services.core import clock
from services.ledger import ledger
from services.ledger.ledger import MERCHANT, Purpose
from services.orders import fulfilment as orders
from services.orders import payments
from tests.catalog_factories import make_staff
from tests.helpers import gid, make_user, pk_of, token_for
from tests.order_factories import make_buyer, make_shop, place

SUPPORT = Grants(platform={"order.manage"})

REQUEST = """mutation($line: ID!, $kind: AfterSaleKind!, $q: Int!, $reason: String!) {
  requestAfterSale(lineId: $line, kind: $kind, quantity: $q, reason: $reason) {
    afterSale { id kind status quantity reason amount { amount currency } }
    errors { code field } } }"""
APPROVE = "mutation($id: ID!) { approveAfterSale(id: $id) { afterSale { id status amount { amount } reviewedAt refundedAt } errors { code field } } }"
REJECT = "mutation($id: ID!, $r: String!) { rejectAfterSale(id: $id, reason: $r) { afterSale { status rejectReason } errors { code field } } }"
CANCEL = "mutation($id: ID!) { cancelAfterSale(id: $id) { afterSale { status } errors { code } } }"
SUBMIT = """mutation($id: ID!, $c: String!, $t: String!) { submitReturnShipment(id: $id, carrier: $c, trackingNo: $t) {
  afterSale { status returnCarrier returnTrackingNo } errors { code field } } }"""
RECEIVE = "mutation($id: ID!) { receiveReturn(id: $id) { afterSale { status amount { amount } } errors { code } } }"
AFTER_SALE = """query($id: ID!) { afterSale(id: $id) { id kind status quantity reason rejectReason amount { amount }
  createdAt updatedAt refundedAt
  order { id status refundedAmount { amount } payAmount { amount } afterSales { id status } refunds { amount { amount } method status } }
  line { id quantity requestedQuantity refundedQuantity refundedAmount { amount } } } }"""


async def wallet(user) -> int:
    return (await ledger.user_account(user.id, Purpose.WALLET)).balance


async def pending(merchant) -> int:
    return (await ledger.get_account(MERCHANT, merchant.id, Purpose.MERCHANT_PENDING)).balance


async def paid_order(*, quantity=3, price=1000, shipping_fee=500, skus=1, wallet_money=100_000):
    buyer, address = await make_buyer(wallet=wallet_money)
    merchant, _, rows = await make_shop(price=price, stock=10, shipping_fee=shipping_fee, skus=skus)
    placed = await place(buyer, address, [(s.id, quantity) for s in rows])
    await payments.pay_with_wallet(buyer.id, placed.payment.id)
    order = await Order.get(id=placed.orders[0].id)
    lines = await OrderLine.filter(order_id=order.id).order_by("sku_id")
    return buyer, merchant, order, lines, rows


async def request(api, token, line, kind="REFUND_ONLY", quantity=1, reason="不想要了") -> dict:
    data = await api(REQUEST, {"line": gid(line), "kind": kind, "q": quantity, "reason": reason}, token=token)
    return data["requestAfterSale"]


async def state(buyer, merchant, order, rows) -> tuple:
    """What a refused after-sales call must leave as it was."""
    o = await Order.get(id=order.id)
    lines = [
        (l.requested_quantity, l.refunded_quantity, l.refunded_amount)
        for l in await OrderLine.filter(order_id=order.id).order_by("id")
    ]
    return (
        await wallet(buyer),
        await pending(merchant),
        o.status,
        o.refunded_amount,
        lines,
        [(await Sku.get(id=s.id)).stock for s in rows],
        [(a.status, a.amount) for a in await AfterSale.all().order_by("id")],
        await Refund.all().count(),
    )


async def test_partial_refund_only_through_graphql(api):
    buyer, merchant, order, (line,), (sku,) = await paid_order(quantity=3, price=1000, shipping_fee=500)
    token = await token_for(buyer)
    staff_token = await token_for(await make_staff(merchant, ["merchant.orders"]))

    asked = await request(api, token, line, quantity=1)
    assert asked["errors"] == []
    created = asked["afterSale"]
    assert {k: created[k] for k in ("kind", "status", "quantity", "reason")} == {
        "kind": "REFUND_ONLY",
        "status": "PENDING_REVIEW",
        "quantity": 1,
        "reason": "不想要了",
    }
    assert created["amount"] == {"amount": "0.00", "currency": "CNY"}

    listed = await api(
        "query($m: ID!) { merchantAfterSales(merchantId: $m, status: PENDING_REVIEW) { nodes { id order { id } line { title } } } }",
        {"m": gid(merchant)},
        token=staff_token,
    )
    assert [n["id"] for n in listed["merchantAfterSales"]["nodes"]] == [created["id"]]
    assert listed["merchantAfterSales"]["nodes"][0]["order"]["id"] == gid(order)

    approved = (await api(APPROVE, {"id": created["id"]}, token=staff_token))["approveAfterSale"]
    assert approved["errors"] == []
    assert (approved["afterSale"]["status"], approved["afterSale"]["amount"]["amount"]) == ("REFUNDED", "10.00")
    assert approved["afterSale"]["reviewedAt"] and approved["afterSale"]["refundedAt"]

    seen = (await api(AFTER_SALE, {"id": created["id"]}, token=token))["afterSale"]
    assert seen["order"]["status"] == "PAID"
    assert seen["order"]["refundedAmount"]["amount"] == "10.00"
    assert seen["order"]["afterSales"] == [{"id": created["id"], "status": "REFUNDED"}]
    assert seen["order"]["refunds"] == [{"amount": {"amount": "10.00"}, "method": "WALLET", "status": "COMPLETED"}]
    assert seen["line"] == {
        "id": gid(line),
        "quantity": 3,
        "requestedQuantity": 1,
        "refundedQuantity": 1,
        "refundedAmount": {"amount": "10.00"},
    }
    assert await wallet(buyer) == 100_000 - 3500 + 1000
    assert await pending(merchant) == 2500
    assert (await Sku.get(id=sku.id)).stock == 8  # not shipped yet: the unit is on sale again
    mine = await api("{ myAfterSales { nodes { id status } } }", token=token)
    assert mine["myAfterSales"]["nodes"] == [{"id": created["id"], "status": "REFUNDED"}]
    assert await ledger.check_invariants() == []


async def test_return_and_refund_through_graphql_restores_stock(api):
    buyer, merchant, order, (line,), (sku,) = await paid_order(quantity=3, price=1000, shipping_fee=500)
    await orders.ship(SUPPORT, 1, order.id, "顺丰", "SF1234567")
    token = await token_for(buyer)
    owner_token = await token_for(await merchant.owner)

    created = (await request(api, token, line, kind="RETURN_REFUND", quantity=2, reason="尺码不合适"))["afterSale"]
    approved = (await api(APPROVE, {"id": created["id"]}, token=owner_token))["approveAfterSale"]
    assert approved["afterSale"]["status"] == "APPROVED" and approved["afterSale"]["refundedAt"] is None
    early = (await api(RECEIVE, {"id": created["id"]}, token=owner_token))["receiveReturn"]
    assert early["errors"] == [{"code": "INVALID_TRANSITION"}]

    bad = (await api(SUBMIT, {"id": created["id"], "c": "顺丰", "t": "no"}, token=token))["submitReturnShipment"]
    assert bad["errors"] == [{"code": "INVALID_INPUT", "field": ["trackingNo"]}]
    shipped = (await api(SUBMIT, {"id": created["id"], "c": "顺丰", "t": "SF7654321"}, token=token))[
        "submitReturnShipment"
    ]
    assert shipped == {
        "afterSale": {"status": "RETURN_SHIPPED", "returnCarrier": "顺丰", "returnTrackingNo": "SF7654321"},
        "errors": [],
    }
    assert (await Sku.get(id=sku.id)).stock == 7

    received = (await api(RECEIVE, {"id": created["id"]}, token=owner_token))["receiveReturn"]
    assert received == {"afterSale": {"status": "REFUNDED", "amount": {"amount": "20.00"}}, "errors": []}
    assert (await Sku.get(id=sku.id)).stock == 9
    movement = await StockMovement.get(reference_type="AFTER_SALE", reference_id=str(pk_of(created["id"])))
    assert (movement.reason, movement.delta) == ("RETURN", 2)
    assert await wallet(buyer) == 100_000 - 3500 + 2000
    assert (await Order.get(id=order.id)).status == "SHIPPED"  # one unit is still the buyer's
    assert await ledger.check_invariants() == []


async def test_full_refund_before_shipping_closes_the_order_and_returns_shipping(api):
    buyer, merchant, order, (line,), (sku,) = await paid_order(quantity=2, price=1000, shipping_fee=500)
    token = await token_for(buyer)
    support_token = await token_for(await make_user(roles=("support",)))
    created = (await request(api, token, line, quantity=2))["afterSale"]
    approved = (await api(APPROVE, {"id": created["id"]}, token=support_token))["approveAfterSale"]
    assert approved["afterSale"]["amount"]["amount"] == "25.00"
    seen = (await api(AFTER_SALE, {"id": created["id"]}, token=token))["afterSale"]
    assert seen["order"]["status"] == "REFUNDED"
    assert seen["order"]["refundedAmount"] == seen["order"]["payAmount"] == {"amount": "25.00"}
    assert await wallet(buyer) == 100_000
    assert await pending(merchant) == 0
    assert (await Sku.get(id=sku.id)).stock == 10
    # nothing is left to ask for
    again = await request(api, token, line)
    assert again["errors"] == [{"code": "AFTER_SALE_NOT_ALLOWED", "field": ["lineId"]}]
    assert await ledger.check_invariants() == []


async def test_gateway_refund_through_graphql(api):
    buyer, address = await make_buyer()
    merchant, _, (sku,) = await make_shop(price=1500, shipping_fee=0)
    token = await token_for(buyer)
    placed = await place(buyer, address, [(sku.id, 2)])
    started = await api(
        "mutation($id: ID!) { startGatewayPayment(paymentId: $id) { charge { tradeNo } errors { code } } }",
        {"id": gid(placed.payment)},
        token=token,
    )
    trade_no = started["startGatewayPayment"]["charge"]["tradeNo"]
    paid = await api(
        "mutation($t: String!) { sandboxPay(tradeNo: $t) { payment { status } errors { code } } }",
        {"t": trade_no},
        token=token,
    )
    assert paid["sandboxPay"]["payment"]["status"] == "PAID"
    line = await OrderLine.get(order_id=placed.orders[0].id)

    created = (await request(api, token, line, quantity=1))["afterSale"]
    staff_token = await token_for(await make_staff(merchant, ["merchant.orders"]))
    approved = (await api(APPROVE, {"id": created["id"]}, token=staff_token))["approveAfterSale"]
    assert approved["afterSale"]["status"] == "REFUNDED"
    refund = await Refund.get(after_sale_id=pk_of(created["id"]))
    assert (refund.method, refund.status, refund.amount) == ("SANDBOX", "SUCCEEDED", 1500)
    assert (await SandboxTrade.get(trade_no=trade_no)).refunded == 1500
    seen = (await api(AFTER_SALE, {"id": created["id"]}, token=token))["afterSale"]
    assert seen["order"]["refunds"] == [{"amount": {"amount": "15.00"}, "method": "SANDBOX", "status": "COMPLETED"}]
    assert await wallet(buyer) == 0
    assert await ledger.check_invariants() == []


async def test_reject_releases_the_units(api):
    buyer, merchant, order, (line,), rows = await paid_order(quantity=3)
    token = await token_for(buyer)
    staff_token = await token_for(await make_staff(merchant, ["merchant.orders"]))
    created = (await request(api, token, line, quantity=3))["afterSale"]
    assert (await request(api, token, line, quantity=1))["errors"] == [
        {"code": "AFTER_SALE_QUANTITY_EXCEEDED", "field": ["quantity"]}
    ]

    before = await state(buyer, merchant, order, rows)
    empty = (await api(REJECT, {"id": created["id"], "r": " "}, token=staff_token))["rejectAfterSale"]
    assert empty == {"afterSale": None, "errors": [{"code": "INVALID_INPUT", "field": ["reason"]}]}
    assert await state(buyer, merchant, order, rows) == before

    rejected = (await api(REJECT, {"id": created["id"], "r": "已超出退货条件"}, token=staff_token))["rejectAfterSale"]
    assert rejected == {"afterSale": {"status": "REJECTED", "rejectReason": "已超出退货条件"}, "errors": []}
    assert (await OrderLine.get(id=line.id)).requested_quantity == 0
    assert (await api(APPROVE, {"id": created["id"]}, token=staff_token))["approveAfterSale"]["errors"] == [
        {"code": "INVALID_TRANSITION", "field": ["status"]}
    ]
    assert (await request(api, token, line, quantity=3))["errors"] == []
    assert await wallet(buyer) == 100_000 - 3500


async def test_buyer_cancels_a_request(api):
    buyer, merchant, order, (line,), rows = await paid_order(quantity=2)
    token = await token_for(buyer)
    created = (await request(api, token, line, quantity=2))["afterSale"]
    stranger = await token_for(await make_user())
    assert (await api(CANCEL, {"id": created["id"]}, token=stranger))["cancelAfterSale"]["errors"] == [
        {"code": "NOT_FOUND"}
    ]
    assert (await api(CANCEL, {"id": created["id"]}, token=token))["cancelAfterSale"] == {
        "afterSale": {"status": "CANCELLED"},
        "errors": [],
    }
    assert (await OrderLine.get(id=line.id)).requested_quantity == 0
    assert (await api(CANCEL, {"id": created["id"]}, token=token))["cancelAfterSale"]["errors"] == [
        {"code": "INVALID_TRANSITION"}
    ]


async def test_bad_requests_are_refused_with_exact_codes_and_change_nothing(api):
    buyer, merchant, order, (line,), rows = await paid_order(quantity=2)
    token = await token_for(buyer)
    stranger_token = await token_for(await make_user())
    before = await state(buyer, merchant, order, rows)

    assert (await request(api, token, line, quantity=0))["errors"] == [
        {"code": "INVALID_QUANTITY", "field": ["quantity"]}
    ]
    assert (await request(api, token, line, quantity=3))["errors"] == [
        {"code": "AFTER_SALE_QUANTITY_EXCEEDED", "field": ["quantity"]}
    ]
    assert (await request(api, stranger_token, line))["errors"] == [{"code": "NOT_FOUND", "field": ["lineId"]}]
    assert (await request(api, token, line, reason=""))["errors"] == [{"code": "INVALID_INPUT", "field": ["reason"]}]
    assert (await request(api, token, line, reason="长" * 257))["errors"] == [
        {"code": "INVALID_INPUT", "field": ["reason"]}
    ]
    wrong_state = await request(api, token, line, kind="RETURN_REFUND")  # the goods have not left the merchant
    assert wrong_state == {"afterSale": None, "errors": [{"code": "AFTER_SALE_NOT_ALLOWED", "field": ["kind"]}]}
    garbage = await api(REQUEST, {"line": "abc", "kind": "REFUND_ONLY", "q": 1, "reason": "r"}, token=token)
    assert garbage["requestAfterSale"]["errors"] == [{"code": "INVALID_ID", "field": ["lineId"]}]
    assert await state(buyer, merchant, order, rows) == before

    # past the window after completion
    shipped = await orders.ship(SUPPORT, 1, order.id, "顺丰", "SF1234567")
    await orders.complete(shipped, actor_id=None, reason="test")
    clock.advance(timedelta(days=settings.AFTER_SALES_WINDOW_DAYS, hours=1))
    token = await token_for(buyer)  # the earlier one expired as time moved
    before = await state(buyer, merchant, order, rows)
    for kind in ("REFUND_ONLY", "RETURN_REFUND"):
        late = await request(api, token, line, kind=kind)
        assert late == {"afterSale": None, "errors": [{"code": "AFTER_SALE_NOT_ALLOWED", "field": ["lineId"]}]}
    assert await state(buyer, merchant, order, rows) == before
    assert await AfterSale.all().count() == 0


async def test_after_sales_are_private_to_buyer_merchant_staff_and_support(api):
    buyer, merchant, order, (line,), rows = await paid_order(quantity=2)
    token = await token_for(buyer)
    created = (await request(api, token, line))["afterSale"]
    query = "query($id: ID!) { afterSale(id: $id) { id status } }"

    other_merchant, _, _ = await make_shop()
    outsiders = (await make_user(), await make_staff(merchant, ["merchant.products"]), await other_merchant.owner)
    for outsider in outsiders:
        assert await api.error_code(query, {"id": created["id"]}, token=await token_for(outsider)) == "NOT_FOUND"
    for insider in (await make_staff(merchant, ["merchant.orders"]), await make_user(roles=("support",)), buyer):
        seen = await api(query, {"id": created["id"]}, token=await token_for(insider))
        assert seen["afterSale"] == {"id": created["id"], "status": "PENDING_REVIEW"}

    list_query = "query($m: ID!) { merchantAfterSales(merchantId: $m) { nodes { id } } }"
    assert await api.error_code(list_query, {"m": gid(merchant)}, token=token) == "FORBIDDEN"
    assert await api.error_code(list_query, {"m": gid("Merchant", 999999)}, token=token) == "NOT_FOUND"

    # review needs the merchant's order staff or support: the buyer and other merchants are refused
    before = await state(buyer, merchant, order, rows)
    for reviewer in (buyer, await other_merchant.owner):
        reviewer_token = await token_for(reviewer)
        assert (await api(APPROVE, {"id": created["id"]}, token=reviewer_token))["approveAfterSale"]["errors"] == [
            {"code": "FORBIDDEN", "field": None}
        ]
        assert (await api(RECEIVE, {"id": created["id"]}, token=reviewer_token))["receiveReturn"]["errors"] == [
            {"code": "FORBIDDEN"}
        ]
    assert await state(buyer, merchant, order, rows) == before


async def test_my_after_sales_pages_newest_first(api):
    buyer, merchant, order, (line,), rows = await paid_order(quantity=3)
    token = await token_for(buyer)
    ids = [(await request(api, token, line))["afterSale"]["id"] for _ in range(3)]
    await api(CANCEL, {"id": ids[0]}, token=token)
    page_query = "query($after: String) { myAfterSales(first: 2, after: $after) { nodes { id } pageInfo { hasNextPage endCursor } } }"
    first = (await api(page_query, {"after": None}, token=token))["myAfterSales"]
    assert [n["id"] for n in first["nodes"]] == [ids[2], ids[1]] and first["pageInfo"]["hasNextPage"]
    second = (await api(page_query, {"after": first["pageInfo"]["endCursor"]}, token=token))["myAfterSales"]
    assert [n["id"] for n in second["nodes"]] == [ids[0]] and not second["pageInfo"]["hasNextPage"]
    cancelled = await api("{ myAfterSales(status: CANCELLED) { nodes { id } } }", token=token)
    assert cancelled["myAfterSales"]["nodes"] == [{"id": ids[0]}]
    other = await api("{ myAfterSales { nodes { id } } }", token=await token_for(await make_user()))
    assert other["myAfterSales"]["nodes"] == []
