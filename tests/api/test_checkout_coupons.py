"""Checkout through the pricing pipeline, end to end over GraphQL (MKT-1, ORD-2, DIS-2,
ORD-7, FIN-1): a cart over two merchants with a platform threshold coupon and a merchant
coupon. The preview equals the charge; each line keeps its discount parts; commissions are
based on what was paid; the platform pays the merchants the discounts it funds; a partial
refund returns the units' paid share and the platform's share of their subsidy, and (by the
default policy) no coupon; a cancelled checkout gives its coupons back."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta

from jobs import marketing as marketing_jobs
from models.distribution import Commission
from models.ledger import JournalEntry
from models.marketing import UserCoupon
from models.orders import CartItem, Order, OrderLine
from services.core import clock
from services.core.business_days import business_day
from services.core.events import user_channel
from services.ledger import ledger
from services.ledger.ledger import MERCHANT, Purpose
from services.marketing import coins
from tests.api.ops_marketing import CLAIM, CREATE
from tests.api.ops_settlement import REPORT
from tests.api.test_after_sales import APPROVE, REQUEST
from tests.api.test_distribution import buyer_under_three_levels
from tests.api.test_promotions import CREATE as PROMOTE
from tests.api.test_promotions import window as promotion_window
from tests.api.test_subscriptions import WsClient, open_ws, wait_for_listener
from tests.helpers import gid, make_user, pk_of, token_for
from tests.order_factories import make_shop

PREVIEW = """query($input: CheckoutPreviewInput!) { checkoutPreview(input: $input) {
  payAmount { amount } goodsAmount { amount } discountAmount { amount } shippingFee { amount }
  appliedCoupons { coupon { id } discount { amount } } usableCoupons { id }
  orders { merchantId payAmount { amount } goodsAmount { amount } discountAmount { amount } shippingFee { amount }
    lines { skuId paidAmount { amount } discounts { source sourceId fundedBy amount { amount } } } } } }"""
PLACE = """mutation($input: PlaceOrderInput!) { placeOrder(input: $input) {
  payment { id amount { amount } }
  orders { id payAmount { amount } discountAmount { amount } platformFunded { amount }
    lines { id amount { amount } discountAmount { amount } discounts { source sourceId fundedBy amount { amount } } } }
  errors { code field } } }"""
CART = "{ cart { checkout { payAmount { amount } appliedCoupons { coupon { id } } } } }"
PAY = "mutation($id: ID!) { payWithWallet(paymentId: $id) { payment { status } errors { code } } }"
CANCEL = "mutation($id: ID!) { cancelOrder(orderId: $id) { errors { code } } }"


async def _pending_credit(merchant_id: int, kind: str) -> int:
    account = await ledger.get_account(MERCHANT, merchant_id, Purpose.MERCHANT_PENDING)
    entries = await JournalEntry.filter(account_id=account.id, transaction__kind=kind).values_list("amount", flat=True)
    return sum(entries)


async def _shop(api):
    admin, buyer, address = await buyer_under_three_levels()
    a, _, (a_sku,) = await make_shop(price=6_000, stock=10, shipping_fee=1_000, free_threshold=20_000)
    b, _, (b_sku,) = await make_shop(price=5_000, stock=10)
    admin_token, owner_token = await token_for(admin), await token_for(await a.owner)
    made = await api(
        CREATE,
        {
            "input": {"name": "满150减20", "kind": "THRESHOLD", "amount": "20.00", "threshold": "150.00"}
            | {"totalQuantity": 10, "validDays": 7}
        },
        admin_token,
    )
    platform = made["createCouponTemplate"]["template"]["id"]
    made = await api(
        CREATE,
        {
            "input": {"name": "店铺满100减15", "kind": "THRESHOLD", "amount": "15.00", "threshold": "100.00"}
            | {"totalQuantity": 10, "validDays": 7, "merchantId": gid(a)}
        },
        owner_token,
    )
    own = made["createCouponTemplate"]["template"]["id"]
    token = await token_for(buyer)
    coupons = [(await api(CLAIM, {"t": t}, token))["claimCoupon"]["coupon"]["id"] for t in (platform, own)]
    items = [{"skuId": gid("Sku", a_sku.id), "quantity": 2}, {"skuId": gid("Sku", b_sku.id), "quantity": 1}]
    return buyer, address, token, a, b, items, coupons


async def test_two_merchants_two_coupons_preview_charge_commissions_and_a_partial_refund(api):
    buyer, address, token, a, b, items, (platform_coupon, merchant_coupon) = await _shop(api)

    # A: 2 × 60.00 = 120.00 (shipping 10.00), B: 50.00. The merchant coupon takes 15.00 off A's
    # goods (105.00 left); the platform's 满150减20 counts 155.00 and takes 20.00, split by what
    # each line still costs: A 20 × 105/155 = 13.548… -> 13.55, B 6.45 (largest remainder).
    preview = (await api(PREVIEW, {"input": {"items": items}}, token))["checkoutPreview"]
    assert preview["payAmount"] == {"amount": "145.00"}  # 91.45 + 10.00 + 43.55
    assert (preview["goodsAmount"], preview["discountAmount"], preview["shippingFee"]) == (
        {"amount": "170.00"},
        {"amount": "35.00"},
        {"amount": "10.00"},
    )
    assert sorted(c["coupon"]["id"] for c in preview["appliedCoupons"]) == sorted([platform_coupon, merchant_coupon])
    a_order, b_order = preview["orders"]
    assert (a_order["merchantId"], a_order["payAmount"], a_order["discountAmount"]) == (
        gid(a),
        {"amount": "101.45"},
        {"amount": "28.55"},
    )
    assert b_order["payAmount"] == {"amount": "43.55"}
    assert sorted((d["fundedBy"], d["amount"]["amount"]) for d in a_order["lines"][0]["discounts"]) == [
        ("MERCHANT", "15.00"),
        ("PLATFORM", "13.55"),
    ]

    # the cart shows the same pricing for its selection
    for item in items:
        await CartItem.create(user_id=buyer.id, sku_id=pk_of(item["skuId"]), quantity=item["quantity"], selected=True)
    cart = (await api(CART, {}, token))["cart"]["checkout"]
    assert cart["payAmount"] == preview["payAmount"] and len(cart["appliedCoupons"]) == 2

    placed = (
        await api(
            PLACE, {"input": {"idempotencyKey": uuid.uuid4().hex, "addressId": gid(address), "items": items}}, token
        )
    )["placeOrder"]
    assert placed["errors"] == [], placed
    assert placed["payment"]["amount"] == preview["payAmount"]  # the preview is the charge
    assert [o["payAmount"] for o in placed["orders"]] == [a_order["payAmount"], b_order["payAmount"]]
    assert [o["platformFunded"] for o in placed["orders"]] == [{"amount": "13.55"}, {"amount": "6.45"}]
    assert await UserCoupon.filter(status="USED", user_id=buyer.id).count() == 2

    before = await ledger.platform_account(Purpose.PROMOTION_EXPENSE)
    paid = (await api(PAY, {"id": placed["payment"]["id"]}, token))["payWithWallet"]
    assert paid["errors"] == []
    # The merchant is paid what the buyer paid plus what the platform funds: A 120 + 10 - 15.
    assert await _pending_credit(a.id, "ORDER_PAYMENT") == 11_500
    assert await _pending_credit(b.id, "ORDER_PAYMENT") == 5_000
    after = await ledger.platform_account(Purpose.PROMOTION_EXPENSE)
    assert before.balance - after.balance == 2_000

    # DIS-2: commissions on what was paid for the line (91.45), not its price (120.00)
    a_line = await OrderLine.get(order_id=pk_of(placed["orders"][0]["id"]))
    assert a_line.amount == 9_145
    bases = await Commission.filter(line_id=a_line.id).order_by("level").values_list("base", "amount")
    assert bases == [(9_145, 914), (9_145, 457), (9_145, 182)]

    # A partial refund: one of A's two units -> half the line's paid 91.45 (floor: 45.72), and
    # half the platform's 13.55 (6.77) back from A to the platform; no coupon comes back.
    owner = await token_for(await a.owner)
    asked = await api(REQUEST, {"line": gid(a_line), "kind": "REFUND_ONLY", "q": 1, "reason": "不要了"}, token)
    approved = (await api(APPROVE, {"id": asked["requestAfterSale"]["afterSale"]["id"]}, owner))["approveAfterSale"]
    assert approved["errors"] == [] and approved["afterSale"]["amount"] == {"amount": "45.72"}
    assert await _pending_credit(a.id, "PLATFORM_DISCOUNT_RETURNED") == -677
    assert await UserCoupon.filter(status="USED", user_id=buyer.id).count() == 2
    reversed_ = await Commission.filter(line_id=a_line.id).order_by("level").values_list("reversed_amount", flat=True)
    assert list(reversed_) == [457, 228, 91]  # each level's share of the refunded half
    assert await ledger.check_invariants() == []


async def test_a_chosen_coupon_a_refused_one_and_a_cancel_that_gives_them_back(api):
    buyer, address, token, a, b, items, (platform_coupon, merchant_coupon) = await _shop(api)
    only = {"items": items, "couponIds": [merchant_coupon]}
    preview = (await api(PREVIEW, {"input": only}, token))["checkoutPreview"]
    assert [c["coupon"]["id"] for c in preview["appliedCoupons"]] == [merchant_coupon]
    assert preview["payAmount"] == {"amount": "165.00"}
    none = (await api(PREVIEW, {"input": {"items": items, "couponIds": []}}, token))["checkoutPreview"]
    assert none["payAmount"] == {"amount": "180.00"} and none["appliedCoupons"] == []

    # B's goods alone (50.00) do not reach the platform coupon's 150.00: refused, nothing placed
    b_only = [items[1]]
    key = uuid.uuid4().hex
    refused = (
        await api(
            PLACE,
            {
                "input": {
                    "idempotencyKey": key,
                    "addressId": gid(address),
                    "items": b_only,
                    "couponIds": [platform_coupon],
                }
            },
            token,
        )
    )["placeOrder"]
    assert refused["errors"] == [{"code": "THRESHOLD_NOT_MET", "field": ["couponIds"]}]
    assert await Order.all().count() == 0 and await UserCoupon.filter(status="USED").count() == 0
    other = await token_for(await make_user("别人"))
    theirs = await api.raw(PREVIEW, {"input": {"items": items, "couponIds": [platform_coupon]}}, other)
    assert theirs["errors"][0]["extensions"]["code"] == "NOT_FOUND"  # not their coupon

    placed = (
        await api(
            PLACE, {"input": {"idempotencyKey": uuid.uuid4().hex, "addressId": gid(address), "items": items}}, token
        )
    )["placeOrder"]
    assert placed["errors"] == []
    assert await UserCoupon.filter(status="USED", user_id=buyer.id).count() == 2
    cancelled = (await api(CANCEL, {"id": placed["orders"][0]["id"]}, token))["cancelOrder"]
    assert cancelled["errors"] == []
    assert await UserCoupon.filter(user_id=buyer.id).values_list("status", flat=True) == ["RETURNED", "RETURNED"]
    again = (await api(PREVIEW, {"input": {"items": items}}, token))["checkoutPreview"]
    assert again["payAmount"] == {"amount": "145.00"}  # usable again


async def test_the_holder_hears_of_its_coupons_live(app, api):
    buyer, address, token, a, b, items, (platform_coupon, merchant_coupon) = await _shop(api)
    query = "subscription { myCouponEvents { kind coupon { id status } } }"
    client, connect = await open_ws(app, "graphql-transport-ws")
    async with client, connect as ws:
        ws_client = WsClient(ws, "graphql-transport-ws")
        await ws_client.init(token)
        await ws.send_text(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": query}}))
        await wait_for_listener(user_channel(buyer.id))
        body = {"idempotencyKey": uuid.uuid4().hex, "addressId": gid(address), "items": items}
        placed = (await api(PLACE, {"input": body}, token))["placeOrder"]
        used = [(await ws_client.recv())["payload"]["data"]["myCouponEvents"] for _ in range(2)]
        assert sorted((e["kind"], e["coupon"]["id"]) for e in used) == sorted(
            [("USED", platform_coupon), ("USED", merchant_coupon)]
        )
        assert (await api(CANCEL, {"id": placed["orders"][0]["id"]}, token))["cancelOrder"]["errors"] == []
        back = [(await ws_client.recv())["payload"]["data"]["myCouponEvents"] for _ in range(2)]
        assert {(e["kind"], e["coupon"]["status"]) for e in back} == {("RETURNED", "RETURNED")}
        # MKT-1: less than 24 h left -> EXPIRING, once per coupon (the job runs again: nothing)
        clock.advance(timedelta(days=6, hours=1))
        assert await marketing_jobs.warn_expiring_coupons() == "told 2 holders of coupons expiring soon"
        assert await marketing_jobs.warn_expiring_coupons() == "told 0 holders of coupons expiring soon"
        soon = [(await ws_client.recv())["payload"]["data"]["myCouponEvents"] for _ in range(2)]
        assert sorted((e["kind"], e["coupon"]["id"]) for e in soon) == sorted(
            [("EXPIRING", platform_coupon), ("EXPIRING", merchant_coupon)]
        )


STATS = """query($t: ID!, $from: Date!, $to: Date!) { couponTemplateStats(templateId: $t, period: DAY, from: $from, to: $to) {
  buckets { start claimed used orders gmv { amount } discount { amount } }
  totals { claimed used orders gmv { amount } discount { amount } } } }"""


async def test_coupon_statistics_count_claims_uses_orders_gmv_and_cost_and_are_the_managers(api):
    buyer, address, token, a, b, items, _ = await _shop(api)
    admin = await token_for(await make_user("运营", roles=("admin",)))
    templates = (await api("{ couponTemplates { nodes { id name } } }", {}, admin))["couponTemplates"]["nodes"]
    (platform,) = [t["id"] for t in templates]
    body = {"idempotencyKey": uuid.uuid4().hex, "addressId": gid(address), "items": items}
    assert (await api(PLACE, {"input": body}, token))["placeOrder"]["errors"] == []
    today = business_day(clock.now()).isoformat()
    stats = (await api(STATS, {"t": platform, "from": today, "to": today}, admin))["couponTemplateStats"]
    # the platform's 满150减20 was used on the checkout's two orders (101.45 + 43.55)
    assert stats["totals"] == {
        "claimed": 1,
        "used": 1,
        "orders": 2,
        "gmv": {"amount": "145.00"},
        "discount": {"amount": "20.00"},
    }
    assert [bucket["start"] for bucket in stats["buckets"]] == [today]
    refused = await api.raw(STATS, {"t": platform, "from": today, "to": today}, token)
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_the_finance_report_shows_who_funded_the_discounts(api):
    buyer, address, token, *_, items, _ = await _shop(api)
    key = uuid.uuid4().hex
    placed = (await api(PLACE, {"input": {"idempotencyKey": key, "addressId": gid(address), "items": items}}, token))[
        "placeOrder"
    ]
    finance = await token_for(await make_user("finance", roles=("finance",)))
    day = business_day(clock.now()).isoformat()
    variables = {"k": "DISCOUNTS", "p": "DAY", "from": day, "to": day}
    unpaid = (await api(REPORT, variables, finance))["financeReport"]["totals"]
    assert {f["name"]: f["amount"]["amount"] for f in unpaid}["total"] == "0.00"  # counted when paid
    assert (await api(PAY, {"id": placed["payment"]["id"]}, token))["payWithWallet"]["errors"] == []
    totals = (await api(REPORT, variables, finance))["financeReport"]["totals"]
    assert {f["name"]: f["amount"]["amount"] for f in totals} == {
        "coupons_by_platform": "20.00",  # 满150减20 over both merchants
        "coupons_by_merchants": "15.00",  # A's own 满100减15
        "promotions_by_platform": "0.00",
        "promotions_by_merchants": "0.00",
        "shipping_by_platform": "0.00",
        "shipping_by_merchants": "0.00",
        "coins": "0.00",
        "by_platform": "20.00",
        "by_merchants": "15.00",
        "total": "35.00",
    }


async def test_two_coupons_a_tiered_promotion_and_coins_end_to_end(api):
    """The acceptance case of MKT-1/2/4 in one checkout: two merchants, the platform's 满150减20, A's
    满100减15, a platform promotion 满100减5 / 满300减30 and 500 coins. The preview is the charge;
    each line keeps every part with its funder; commissions are on what was paid; a partial
    refund returns the unit's share of money and coins and no coupon; the merchant is paid what
    the platform funds; the finance report names each source."""
    buyer, address, token, a, b, items, coupons = await _shop(api)
    admin = await token_for(await make_user("admin", roles=("admin",)))
    tiers = [{"threshold": "100.00", "amount": "5.00"}, {"threshold": "300.00", "amount": "30.00"}]
    made = await api(PROMOTE, {"input": promotion_window(name="满100减5", kind="FULL_REDUCTION", tiers=tiers)}, admin)
    assert made["createPromotion"]["errors"] == [], made
    await coins.from_budget("COINS_EARNED", buyer.id, 500, "e2e-coins", ("TEST", "e2e"))

    body = {"items": items, "coins": 500}
    preview = (await api(PREVIEW, {"input": body}, token))["checkoutPreview"]
    assert sorted(c["coupon"]["id"] for c in preview["appliedCoupons"]) == sorted(coupons)
    # 170.00 of goods, 10.00 of shipping: 5.00 promotion, 15.00 + 20.00 coupons, 5.00 of coins
    assert preview["payAmount"] == {"amount": "135.00"}
    placed = (
        await api(PLACE, {"input": {"idempotencyKey": uuid.uuid4().hex, "addressId": gid(address)} | body}, token)
    )["placeOrder"]
    assert placed["errors"] == [] and placed["payment"]["amount"] == preview["payAmount"]
    assert [o["payAmount"] for o in placed["orders"]] == [o["payAmount"] for o in preview["orders"]]
    a_order = placed["orders"][0]
    sources = sorted(
        (d["source"], d["fundedBy"]) for o in placed["orders"] for ln in o["lines"] for d in ln["discounts"]
    )
    assert set(sources) == {
        ("PROMOTION", "PLATFORM"),
        ("COUPON", "MERCHANT"),
        ("COUPON", "PLATFORM"),
        ("COINS", "PLATFORM"),
    }
    assert (await api(PAY, {"id": placed["payment"]["id"]}, token))["payWithWallet"]["errors"] == []

    # every line: the commission base is what was paid for it; A is credited its buyer's money
    # plus what the platform funds on its order
    for line in await OrderLine.filter(order__payment_id=pk_of(placed["payment"]["id"])):
        bases = await Commission.filter(line_id=line.id).values_list("base", flat=True)
        assert bases and set(bases) == {line.amount}
    a_row = await Order.get(id=pk_of(a_order["id"]))
    assert await _pending_credit(a.id, "ORDER_PAYMENT") == a_row.pay_amount + a_row.platform_funded

    # one of A's two units back: half the line's paid amount and coins (cumulative floor), the
    # coupons stay used (the whole order is not refunded)
    a_line = await OrderLine.get(order_id=a_row.id)
    coins_before = await coins.balance(buyer.id)
    owner = await token_for(await a.owner)
    asked = await api(REQUEST, {"line": gid(a_line), "kind": "REFUND_ONLY", "q": 1, "reason": "不要了"}, token)
    approved = (await api(APPROVE, {"id": asked["requestAfterSale"]["afterSale"]["id"]}, owner))["approveAfterSale"]
    assert approved["errors"] == []
    assert approved["afterSale"]["amount"] == {"amount": f"{a_line.amount // 2 / 100:.2f}"}
    assert await coins.balance(buyer.id) - coins_before == a_line.coins // 2
    assert await UserCoupon.filter(status="USED", user_id=buyer.id).count() == 2

    finance = await token_for(await make_user("finance", roles=("finance",)))
    day = business_day(clock.now()).isoformat()
    report = await api(REPORT, {"k": "DISCOUNTS", "p": "DAY", "from": day, "to": day}, finance)
    totals = {f["name"]: f["amount"]["amount"] for f in report["financeReport"]["totals"]}
    assert (totals["promotions_by_platform"], totals["coupons_by_platform"], totals["coupons_by_merchants"]) == (
        "5.00",
        "20.00",
        "15.00",
    )
    assert (totals["coins"], totals["total"]) == ("5.00", "45.00")
    assert await ledger.check_invariants() == []
