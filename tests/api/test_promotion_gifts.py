"""Gift with purchase (满赠, MKT-2, MKT-6) over GraphQL: a merchant's tiers add a free gift
line to checkoutPreview, cart.checkout and placeOrder (price 0, paid 0, marked as a gift,
the promotion in its discounts); its stock is reserved and released like any line's (cancel,
payment time-out, the order refunded); an out-of-stock gift leaves the order going ahead
without it and the preview says so; gift lines carry no commission and earn no coins; a
merchant gives only its own SKUs; bad input answers stable codes and writes nothing."""

from __future__ import annotations

import uuid
from datetime import timedelta

import settings
from jobs import orders as order_jobs
from models.catalog import Product, Sku
from models.distribution import Commission
from models.marketing import Promotion
from models.orders import CartItem, Order, OrderLine
from services.core import clock
from services.core.business_days import business_day
from services.core.events import unit_of_work
from services.ledger import ledger
from services.marketing import coins, rewards
from tests.api.test_after_sales import APPROVE, REQUEST
from tests.api.test_distribution import buyer_under_three_levels
from tests.api.test_promotions import window
from tests.catalog_factories import make_product, sku
from tests.helpers import gid, pk_of, token_for
from tests.order_factories import make_shop

CREATE = """mutation($input: PromotionInput!) { createPromotion(input: $input) {
  promotion { id kind tiers { threshold { amount } giftSkuId giftQuantity } } errors { code field } } }"""
LINES = """lines { skuId isGift quantity goodsAmount { amount } paidAmount { amount }
  discounts { source sourceId fundedBy amount { amount } } }"""
PREVIEW = (
    "query($input: CheckoutPreviewInput!) { checkoutPreview(input: $input) { payAmount { amount } "
    f"orders {{ {LINES} }} missingGifts {{ promotionId skuId quantity reason }} }} }}"
)
CART = f"{{ cart {{ checkout {{ payAmount {{ amount }} orders {{ {LINES} }} missingGifts {{ reason }} }} }} }}"
PLACE = """mutation($input: PlaceOrderInput!) { placeOrder(input: $input) {
  payment { id amount { amount } }
  orders { id lines { id skuId isGift amount { amount } discounts { source sourceId fundedBy amount { amount } } } }
  errors { code field } } }"""
PAY = "mutation($id: ID!) { payWithWallet(paymentId: $id) { payment { status } errors { code } } }"
CANCEL = "mutation($id: ID!) { cancelOrder(orderId: $id) { errors { code } } }"


async def _stock(sku_id: int) -> int:
    return (await Sku.get(id=sku_id)).stock


async def _setup(api):
    admin, buyer, address = await buyer_under_three_levels()
    merchant, product, (row,) = await make_shop(price=6_000, stock=10)
    gift_product = await make_product(merchant, title="赠品杯子", skus=[sku(price=500, stock=3)])
    gift = await gift_product.skus.all().first()
    owner = await token_for(await merchant.owner)
    tiers = [
        {"threshold": "100.00", "giftSkuId": gid("Sku", gift.id), "giftQuantity": 1},
        {"threshold": "200.00", "giftSkuId": gid("Sku", gift.id), "giftQuantity": 2},
    ]
    made = (
        await api(
            CREATE, {"input": window(name="满100赠杯", kind="GIFT", merchantId=gid(merchant), tiers=tiers)}, owner
        )
    )["createPromotion"]
    assert made["errors"] == [], made
    assert made["promotion"]["tiers"][1] == {
        "threshold": {"amount": "200.00"},
        "giftSkuId": gid("Sku", gift.id),
        "giftQuantity": 2,
    }
    token = await token_for(buyer)
    items = [{"skuId": gid("Sku", row.id), "quantity": 2}]
    return buyer, address, token, owner, merchant, product, row, gift_product, gift, made["promotion"]["id"], items


async def test_a_gift_line_is_previewed_placed_and_its_stock_reserved_and_released(api):
    buyer, address, token, owner, merchant, product, row, gift_product, gift, promotion, items = await _setup(api)
    gift_part = [{"source": "PROMOTION", "sourceId": promotion, "fundedBy": "MERCHANT", "amount": {"amount": "5.00"}}]

    # 2 × 60.00 = 120.00 reaches 满100: one cup (5.00) free; the buyer pays 120.00
    preview = (await api(PREVIEW, {"input": {"items": items}}, token))["checkoutPreview"]
    assert preview["payAmount"] == {"amount": "120.00"} and preview["missingGifts"] == []
    (order,) = preview["orders"]
    assert [(ln["skuId"], ln["isGift"], ln["quantity"], ln["paidAmount"]["amount"]) for ln in order["lines"]] == [
        (gid("Sku", row.id), False, 2, "120.00"),
        (gid("Sku", gift.id), True, 1, "0.00"),
    ]
    assert order["lines"][1]["goodsAmount"] == {"amount": "5.00"} and order["lines"][1]["discounts"] == gift_part
    # the cart shows the same
    await CartItem.create(user_id=buyer.id, sku_id=row.id, quantity=4)
    cart = (await api(CART, {}, token))["cart"]["checkout"]
    assert [ln["quantity"] for ln in cart["orders"][0]["lines"] if ln["isGift"]] == [2]  # 240.00: 满200 -> 2 cups
    await CartItem.all().delete()

    # placed: the gift line is stored, paid 0, and its stock reserved; cancel releases it
    body = {"idempotencyKey": uuid.uuid4().hex, "addressId": gid(address), "items": items}
    placed = (await api(PLACE, {"input": body}, token))["placeOrder"]
    assert placed["errors"] == [] and placed["payment"]["amount"] == preview["payAmount"]
    gift_line = placed["orders"][0]["lines"][1]
    assert (gift_line["isGift"], gift_line["amount"], gift_line["discounts"]) == (True, {"amount": "0.00"}, gift_part)
    assert (await _stock(gift.id), await _stock(row.id)) == (2, 8)
    assert (await api(CANCEL, {"id": placed["orders"][0]["id"]}, token))["cancelOrder"]["errors"] == []
    assert (await _stock(gift.id), await _stock(row.id)) == (3, 10)

    # the payment times out: released as well
    body = {"idempotencyKey": uuid.uuid4().hex, "addressId": gid(address), "items": items}
    assert (await api(PLACE, {"input": body}, token))["placeOrder"]["errors"] == []
    assert await _stock(gift.id) == 2
    clock.advance(timedelta(minutes=settings.ORDER_PAY_TIMEOUT_MINUTES + 1))
    await order_jobs.cancel_unpaid()
    assert (await _stock(gift.id), await _stock(row.id)) == (3, 10)
    token, owner = await token_for(buyer), await token_for(await merchant.owner)  # after the clock moved

    # paid: no commission on the gift line (the bought line has its three levels), no coins for it
    await Product.filter(id=gift_product.id).update(coins_granted=100)
    await Product.filter(id=product.id).update(coins_granted=1)
    body = {"idempotencyKey": uuid.uuid4().hex, "addressId": gid(address), "items": items}
    placed = (await api(PLACE, {"input": body}, token))["placeOrder"]
    assert (await api(PAY, {"id": placed["payment"]["id"]}, token))["payWithWallet"]["errors"] == []
    bought_id, gift_id = (pk_of(ln["id"]) for ln in placed["orders"][0]["lines"])
    assert await Commission.filter(line_id=bought_id).count() == 3
    assert await Commission.filter(line_id=gift_id).count() == 0
    order_row = await Order.get(id=pk_of(placed["orders"][0]["id"]))
    async with unit_of_work() as conn:
        await rewards.on_completed(order_row, conn)
    assert await coins.balance(buyer.id) == 2  # 2 units × 1 coin; the gift's 100 not granted

    # the gift itself is not refunded on its own; refunding every bought unit takes it along
    asked = await api(REQUEST, {"line": gid("OrderLine", gift_id), "kind": "REFUND_ONLY", "q": 1, "reason": "x"}, token)
    assert [e["code"] for e in asked["requestAfterSale"]["errors"]] == ["INVALID_INPUT"]
    asked = await api(
        REQUEST, {"line": gid("OrderLine", bought_id), "kind": "REFUND_ONLY", "q": 2, "reason": "x"}, token
    )
    approved = (await api(APPROVE, {"id": asked["requestAfterSale"]["afterSale"]["id"]}, owner))["approveAfterSale"]
    assert approved["errors"] == [] and approved["afterSale"]["amount"] == {"amount": "120.00"}
    assert (await OrderLine.get(id=gift_id)).refunded_quantity == 1
    assert (await _stock(gift.id), await _stock(row.id)) == (3, 10)
    assert (await Order.get(id=order_row.id)).status == "CLOSED"
    assert await ledger.check_invariants() == []


async def test_an_out_of_stock_gift_is_left_out_and_the_order_goes_ahead(api):
    buyer, address, token, owner, merchant, product, row, gift_product, gift, promotion, items = await _setup(api)
    await Sku.filter(id=gift.id).update(stock=0)  # sold out
    preview = (await api(PREVIEW, {"input": {"items": items}}, token))["checkoutPreview"]
    assert preview["payAmount"] == {"amount": "120.00"}
    assert [ln["isGift"] for ln in preview["orders"][0]["lines"]] == [False]
    assert preview["missingGifts"] == [
        {"promotionId": promotion, "skuId": gid("Sku", gift.id), "quantity": 1, "reason": "OUT_OF_STOCK"}
    ]
    body = {"idempotencyKey": uuid.uuid4().hex, "addressId": gid(address), "items": items}
    placed = (await api(PLACE, {"input": body}, token))["placeOrder"]
    assert placed["errors"] == [] and placed["payment"]["amount"] == {"amount": "120.00"}
    assert [ln["isGift"] for ln in placed["orders"][0]["lines"]] == [False]
    assert (await _stock(gift.id), await _stock(row.id)) == (0, 8)


async def test_a_gift_whose_stock_runs_out_while_placing_is_left_out(api, monkeypatch):
    from services.orders import checkout

    buyer, address, token, owner, merchant, product, row, gift_product, gift, promotion, items = await _setup(api)
    real = checkout._reserve_gifts

    async def sold_out_first(conn, *args):  # another checkout took the last cups after pricing
        monkeypatch.setattr(checkout, "_reserve_gifts", real)
        await Sku.filter(id=gift.id).using_db(conn).update(stock=0)
        await real(conn, *args)

    monkeypatch.setattr(checkout, "_reserve_gifts", sold_out_first)
    body = {"idempotencyKey": uuid.uuid4().hex, "addressId": gid(address), "items": items}
    placed = (await api(PLACE, {"input": body}, token))["placeOrder"]
    assert placed["errors"] == [] and [ln["isGift"] for ln in placed["orders"][0]["lines"]] == [False]
    assert await _stock(row.id) == 8 and await Order.all().count() == 1


async def test_gift_promotions_refuse_bad_input_and_write_nothing(api):
    buyer, address, token, owner, merchant, product, row, gift_product, gift, promotion, items = await _setup(api)
    other, _, (theirs,) = await make_shop(price=100, stock=5)
    before = await Promotion.all().count()
    mine = gid(merchant)
    cases = [
        ([{"threshold": "10.00", "giftSkuId": gid("Sku", theirs.id), "giftQuantity": 1}], "FORBIDDEN"),
        ([{"threshold": "10.00", "giftSkuId": gid("Sku", gift.id)}], "INVALID_INPUT"),  # no quantity
        ([{"threshold": "10.00", "giftSkuId": gid("Sku", gift.id), "giftQuantity": 0}], "INVALID_INPUT"),
        ([{"threshold": "10.00", "amount": "1.00"}], "INVALID_INPUT"),  # a reduction tier
        ([{"threshold": "10.00", "giftSkuId": gid("Sku", 999_999), "giftQuantity": 1}], "NOT_FOUND"),
        (
            [
                {"threshold": "20.00", "giftSkuId": gid("Sku", gift.id), "giftQuantity": 1},
                {"threshold": "10.00", "giftSkuId": gid("Sku", gift.id), "giftQuantity": 1},
            ],
            "INVALID_INPUT",  # tiers go up
        ),
    ]
    for tiers, code in cases:
        data = window(name="x", kind="GIFT", merchantId=mine, tiers=tiers)
        errors = (await api(CREATE, {"input": data}, owner))["createPromotion"]["errors"]
        assert [e["code"] for e in errors] == [code], (tiers, errors)
    # a reduction with a gift named
    data = window(
        name="x",
        kind="FULL_REDUCTION",
        merchantId=mine,
        tiers=[{"threshold": "10.00", "amount": "1.00", "giftSkuId": gid("Sku", gift.id), "giftQuantity": 1}],
    )
    assert [e["code"] for e in (await api(CREATE, {"input": data}, owner))["createPromotion"]["errors"]] == [
        "INVALID_INPUT"
    ]
    assert await Promotion.all().count() == before


STATS = """query($p: ID!, $from: Date!, $to: Date!) { promotionStats(promotionId: $p, period: DAY, from: $from, to: $to) {
  buckets { start orders units } totals { orders gmv { amount } discount { amount } units } } }"""


async def test_promotion_statistics_count_orders_gmv_cost_and_units_for_its_managers(api):
    buyer, address, token, owner, merchant, product, row, gift_product, gift, promotion, items = await _setup(api)
    for n in range(2):
        body = {"idempotencyKey": uuid.uuid4().hex, "addressId": gid(address), "items": items}
        placed = (await api(PLACE, {"input": body}, token))["placeOrder"]
        if n == 0:
            assert (await api(PAY, {"id": placed["payment"]["id"]}, token))["payWithWallet"]["errors"] == []
    assert (await api(CANCEL, {"id": placed["orders"][0]["id"]}, token))["cancelOrder"]["errors"] == []  # not counted
    today = business_day(clock.now()).isoformat()
    stats = (await api(STATS, {"p": promotion, "from": today, "to": today}, owner))["promotionStats"]
    # one order of 2 × 60.00 with one 5.00 cup: GMV 120.00, cost 5.00, 1 unit given
    assert stats["totals"] == {"orders": 1, "gmv": {"amount": "120.00"}, "discount": {"amount": "5.00"}, "units": 1}
    assert stats["buckets"] == [{"start": today, "orders": 1, "units": 1}]
    refused = await api.raw(STATS, {"p": promotion, "from": today, "to": today}, token)
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    late = await api.raw(STATS, {"p": promotion, "from": today, "to": "2099-01-01"}, owner)
    assert late["errors"][0]["extensions"]["code"] == "INVALID_DATE_RANGE"
