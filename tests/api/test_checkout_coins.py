"""Shopping coins at checkout (MKT-4, ORD-2, CON-7) over GraphQL: the preview shows the cap
and what the coins pay; they are spent in the checkout's unit, paid to the merchant by the
platform with the order's money, returned on cancel and by share on a partial refund; too
many coins are refused with a code and nothing changes. On PostgreSQL, 200 concurrent
checkouts spending one buyer's coins never take them below zero."""

from __future__ import annotations

import asyncio
import uuid

import pytest

import settings
from models.orders import Order, Payment
from services.core.errors import DomainError, ErrorCode
from services.ledger import ledger
from services.ledger.ledger import MERCHANT, Posting, Purpose
from services.marketing import coins
from tests.api.test_after_sales import APPROVE, REQUEST
from tests.helpers import gid, token_for
from tests.order_factories import make_buyer, make_shop, place

PREVIEW = """query($input: CheckoutPreviewInput!) { checkoutPreview(input: $input) {
  payAmount { amount } coins coinsAmount { amount } coinsCap coinBalance
  orders { lines { coins coinsAmount { amount } paidAmount { amount } } } } }"""
PLACE = """mutation($input: PlaceOrderInput!) { placeOrder(input: $input) {
  payment { id amount { amount } } orders { id coins coinsAmount { amount } platformFunded { amount }
  lines { id amount { amount } coins } } errors { code field } } }"""
PAY = "mutation($id: ID!) { payWithWallet(paymentId: $id) { errors { code } } }"
CANCEL = "mutation($id: ID!) { cancelOrder(orderId: $id) { errors { code } } }"


async def grant(user, amount: int) -> None:
    """Coins from the platform's budget, as snap-up consolation coins are given."""
    account = (await ledger.user_account(user.id, Purpose.COINS, coins.COIN)).id
    budget = (await ledger.platform_account(Purpose.PROMOTION_EXPENSE, coins.COIN)).id
    await ledger.post("SNAPUP_CONSOLATION", [Posting(budget, -amount), Posting(account, amount)])


async def test_coins_preview_spend_pay_refund_and_cancel(api):
    buyer, address = await make_buyer(wallet=100_000)
    await grant(buyer, 8_000)
    merchant, _, (row,) = await make_shop(price=6_000, stock=10, shipping_fee=1_000, free_threshold=50_000)
    token = await token_for(buyer)
    items = [{"skuId": gid("Sku", row.id), "quantity": 2}]
    base = {"items": items, "couponIds": []}

    # the order's goods are 120.00; coins pay at most half (COINS_ORDER_CAP_BP 5000): 6,000
    preview = (await api(PREVIEW, {"input": base | {"coins": 3_000}}, token))["checkoutPreview"]
    assert (preview["payAmount"], preview["coins"], preview["coinsAmount"]) == (
        {"amount": "100.00"},
        3_000,
        {"amount": "30.00"},
    )
    assert (preview["coinsCap"], preview["coinBalance"]) == (6_000, 8_000)

    def order(**extra) -> dict:
        return {"input": {"idempotencyKey": uuid.uuid4().hex, "addressId": gid(address)} | base | extra}

    for asked, code in ((6_001, "COINS_OVER_CAP"), (8_001, "INSUFFICIENT_FUNDS"), (-1, "INVALID_AMOUNT")):
        refused = (await api(PLACE, order(coins=asked), token))["placeOrder"]
        assert refused["errors"] == [{"code": code, "field": ["coins"]}], (asked, refused)
    assert await Order.all().count() == 0 and await coins.balance(buyer.id) == 8_000

    placed = (await api(PLACE, order(coins=3_000), token))["placeOrder"]
    assert placed["errors"] == [] and placed["payment"]["amount"] == preview["payAmount"]
    (made,) = placed["orders"]
    assert (made["coins"], made["coinsAmount"], made["platformFunded"]) == (
        3_000,
        {"amount": "30.00"},
        {"amount": "30.00"},
    )
    assert made["lines"][0]["amount"] == {"amount": "90.00"}
    assert await coins.balance(buyer.id) == 5_000
    assert (await api(PAY, {"id": placed["payment"]["id"]}, token))["payWithWallet"]["errors"] == []
    pending = await ledger.get_account(MERCHANT, merchant.id, Purpose.MERCHANT_PENDING)
    assert pending.balance == 13_000  # the buyer's 100.00 and the platform's 30.00

    owner = await token_for(await merchant.owner)
    line = made["lines"][0]["id"]
    asked = await api(REQUEST, {"line": line, "kind": "REFUND_ONLY", "q": 1, "reason": "不要了"}, token)
    approved = (await api(APPROVE, {"id": asked["requestAfterSale"]["afterSale"]["id"]}, owner))["approveAfterSale"]
    assert approved["errors"] == [] and approved["afterSale"]["amount"] == {"amount": "45.00"}
    assert await coins.balance(buyer.id) == 6_500  # half the 3,000 coins back
    pending = await ledger.get_account(MERCHANT, merchant.id, Purpose.MERCHANT_PENDING)
    assert pending.balance == 13_000 - 4_500 - 1_500  # the refund and half the platform's 30.00

    again = (await api(PLACE, order(coins=2_000), token))["placeOrder"]
    assert again["errors"] == [] and await coins.balance(buyer.id) == 4_500
    assert (await api(CANCEL, {"id": again["orders"][0]["id"]}, token))["cancelOrder"]["errors"] == []
    assert await coins.balance(buyer.id) == 6_500
    assert await ledger.check_invariants() == []


@pytest.mark.skipif(not settings.IS_POSTGRES, reason="concurrency is proven on PostgreSQL")
async def test_concurrent_checkouts_never_spend_coins_that_are_not_there():
    buyer, address = await make_buyer()
    await grant(buyer, 37_000)
    _, _, (row,) = await make_shop(price=10_000, stock=500)

    async def attempt() -> bool:
        try:
            await place(buyer, address, [(row.id, 1)], coins=1_000, coupon_ids=())
            return True
        except DomainError as exc:
            assert exc.code == ErrorCode.INSUFFICIENT_FUNDS
            return False

    results = await asyncio.gather(*(attempt() for _ in range(200)))
    assert sum(results) == 37 and await coins.balance(buyer.id) == 0
    assert await Payment.all().count() == 37
    assert await ledger.check_invariants() == []
