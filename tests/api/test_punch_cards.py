"""Punch cards (STO-3) through GraphQL: a card of 10 car washes bought like a virtual good, each
use redeemed by store staff (store.redeem) against a one-time code from the customer's phone,
the merchant's income recognised per use, the unused uses refunded pro rata; bad input refused
with stable codes and nothing changed; on PostgreSQL, 20 concurrent redemptions of one code:
exactly one succeeds."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta

import settings
from models.orders import Order
from models.stores import PunchCard, PunchCardCode
from services.accounts.access import load_grants
from services.core import clock
from services.core.errors import DomainError, ErrorCode
from services.ledger import ledger
from services.ledger.ledger import MERCHANT, USER, Purpose
from services.stores import punch_cards
from tests.api.test_distribution import member
from tests.catalog_factories import make_merchant, make_product, sku
from tests.conftest import requires_postgres
from tests.helpers import gid, make_user, pk_of, token_for
from tests.order_factories import make_store

TERMS = """mutation($p: ID!, $u: Int!, $d: Int!) { setPunchCardTerms(productId: $p, uses: $u, validDays: $d) {
  terms { uses validDays } errors { code field } } }"""
PLACE = """mutation($i: PlaceOrderInput!) { placeOrder(input: $i) { payment { id } orders { id } errors { code field } } }"""
PAY = "mutation($id: ID!) { payWithWallet(paymentId: $id) { errors { code } } }"
CARD_FIELDS = "id title status usesTotal usesUsed usesLeft price { amount } refundableAmount { amount } orderId"
MINE = "{ myPunchCards { %s } }" % CARD_FIELDS
NEW_CODE = "mutation($c: ID!) { punchCardCode(cardId: $c) { code { code expiresAt } errors { code field } } }"
REDEEM = """mutation($s: ID!, $c: String!) { redeemPunchCard(storeId: $s, code: $c) {
  card { usesUsed usesLeft status } errors { code field } } }"""
REFUND = """mutation($id: ID!) { refundPunchCard(id: $id) {
  card { status usesLeft } refund { amount { amount } status } errors { code field } } }"""
ORDER = "query($id: ID!) { order(id: $id) { status } }"
ADD_STAFF = "mutation($s: ID!, $u: ID!) { addStoreStaff(storeId: $s, userId: $u) { staff { id } errors { code } } }"
GRANT = """mutation($s: ID!, $u: ID!, $p: [String!]!) { setStoreStaffPermissions(storeId: $s, userId: $u, permissions: $p) {
  staff { permissions } errors { code field } } }"""


async def balance(owner_type: str, owner_id: int, purpose: str) -> int:
    return (await ledger.get_account(owner_type, owner_id, purpose)).balance


async def car_wash(api, *, uses: int = 10, price: int = 10_000):
    """A merchant with two stores selling a punch card of `uses` washes, a washer at store A
    holding store.redeem, a clerk without it, another merchant's store, and a customer who
    bought one card from the wallet."""
    merchant = await make_merchant(commission_rate_bp=600)
    store_a, store_b = await make_store(merchant), await make_store(merchant)
    other = await make_merchant()
    other_store = await make_store(other)
    owner = await token_for(await merchant.owner)
    product = await make_product(
        merchant, title=f"洗车 {uses} 次", delivery_kind="REDEEMABLE", skus=[sku(price=price, stock=100)]
    )
    set_ = (await api(TERMS, {"p": gid(product), "u": uses, "d": 30}, token=owner))["setPunchCardTerms"]
    assert set_ == {"terms": {"uses": uses, "validDays": 30}, "errors": []}
    washer, clerk = await make_user("洗车工"), await make_user("店员")
    for user in (washer, clerk):
        assert (await api(ADD_STAFF, {"s": gid(store_a), "u": gid(user)}, token=owner))["addStoreStaff"]["errors"] == []
    granted = (await api(GRANT, {"s": gid(store_a), "u": gid(washer), "p": ["store.redeem"]}, token=owner))[
        "setStoreStaffPermissions"
    ]
    assert granted["errors"] == [] and "store.redeem" in granted["staff"]["permissions"]
    buyer, _ = await member("车主", wallet=100_000)
    token = await token_for(buyer)
    item = {"skuId": gid((await product.skus.all())[0]), "quantity": 1}
    placed = (await api(PLACE, {"i": {"idempotencyKey": uuid.uuid4().hex, "items": [item]}}, token=token))["placeOrder"]
    assert placed["errors"] == [], placed
    assert (await api(PAY, {"id": placed["payment"]["id"]}, token=token))["payWithWallet"]["errors"] == []
    cards = (await api(MINE, token=token))["myPunchCards"]
    assert len(cards) == 1
    return {
        "merchant": merchant,
        "a": store_a,
        "b": store_b,
        "other_store": other_store,
        "other_owner": await token_for(await other.owner),
        "owner": owner,
        "washer": await token_for(washer),
        "washer_user": washer,
        "clerk": await token_for(clerk),
        "buyer": buyer,
        "token": token,
        "card": cards[0],
        "order": placed["orders"][0]["id"],
    }


async def code_for(api, s) -> str:
    made = (await api(NEW_CODE, {"c": s["card"]["id"]}, token=s["token"]))["punchCardCode"]
    assert made["errors"] == [], made
    return made["code"]["code"]


async def test_ten_washes_bought_redeemed_one_by_one_and_the_rest_refunded_pro_rata(api):
    s = await car_wash(api)
    merchant, buyer, card = s["merchant"], s["buyer"], s["card"]
    assert card | {"id": None, "orderId": None} == {
        "id": None,
        "orderId": None,
        "title": "洗车 10 次",
        "status": "ACTIVE",
        "usesTotal": 10,
        "usesUsed": 0,
        "usesLeft": 10,
        "price": {"amount": "100.00"},
        "refundableAmount": {"amount": "100.00"},
    }
    # paid, held until use: nothing earned yet, the order awaits its redemptions
    assert (await api(ORDER, {"id": s["order"]}, token=s["token"]))["order"]["status"] == "PAID"
    assert await balance(MERCHANT, merchant.id, Purpose.PUNCH_CARD_UNEARNED) == 10_000
    assert await balance(MERCHANT, merchant.id, Purpose.MERCHANT_PENDING) == 0

    # the washer scans the customer's one-time code: one use, 10.00 earned
    code = await code_for(api, s)
    done = (await api(REDEEM, {"s": gid(s["a"]), "c": code}, token=s["washer"]))["redeemPunchCard"]
    assert done == {"card": {"usesUsed": 1, "usesLeft": 9, "status": "ACTIVE"}, "errors": []}
    assert await balance(MERCHANT, merchant.id, Purpose.PUNCH_CARD_UNEARNED) == 9_000
    assert await balance(MERCHANT, merchant.id, Purpose.MERCHANT_PENDING) == 1_000
    # the same code again is refused; nothing changes
    twice = (await api(REDEEM, {"s": gid(s["a"]), "c": code}, token=s["washer"]))["redeemPunchCard"]
    assert twice == {"card": None, "errors": [{"code": "REDEMPTION_CODE_INVALID", "field": ["code"]}]}
    # the merchant's order staff redeem at its other store too
    done = (await api(REDEEM, {"s": gid(s["b"]), "c": await code_for(api, s)}, token=s["owner"]))["redeemPunchCard"]
    assert done["card"]["usesUsed"] == 2
    assert await balance(MERCHANT, merchant.id, Purpose.MERCHANT_PENDING) == 2_000

    # refund the 8 uses left: 80.00 back to the wallet, the card closes, the order completes
    wallet = await balance(USER, buyer.id, Purpose.WALLET)
    refunded = (await api(REFUND, {"id": s["card"]["id"]}, token=s["token"]))["refundPunchCard"]
    assert refunded == {
        "card": {"status": "REFUNDED", "usesLeft": 0},
        "refund": {"amount": {"amount": "80.00"}, "status": "COMPLETED"},
        "errors": [],
    }
    assert await balance(USER, buyer.id, Purpose.WALLET) == wallet + 8_000
    assert await balance(MERCHANT, merchant.id, Purpose.PUNCH_CARD_UNEARNED) == 0
    assert await balance(MERCHANT, merchant.id, Purpose.MERCHANT_PENDING) == 2_000
    assert (await api(ORDER, {"id": s["order"]}, token=s["token"]))["order"]["status"] == "COMPLETED"
    again = (await api(REFUND, {"id": s["card"]["id"]}, token=s["token"]))["refundPunchCard"]
    assert again["errors"] == [{"code": "INVALID_TRANSITION", "field": ["cardId"]}]
    assert await ledger.check_invariants() == []


async def test_every_use_earns_its_share_and_the_last_use_completes_the_order(api):
    s = await car_wash(api, uses=3, price=1_000)  # 3.33, 3.33, 3.34
    shares = []
    for _ in range(3):
        before = await balance(MERCHANT, s["merchant"].id, Purpose.MERCHANT_PENDING)
        done = (await api(REDEEM, {"s": gid(s["a"]), "c": await code_for(api, s)}, token=s["washer"]))[
            "redeemPunchCard"
        ]
        assert done["errors"] == []
        shares.append(await balance(MERCHANT, s["merchant"].id, Purpose.MERCHANT_PENDING) - before)
    assert shares == [333, 333, 334] and done["card"]["status"] == "USED_UP"
    assert await balance(MERCHANT, s["merchant"].id, Purpose.PUNCH_CARD_UNEARNED) == 0
    assert (await api(ORDER, {"id": s["order"]}, token=s["token"]))["order"]["status"] == "COMPLETED"
    used_up = (await api(NEW_CODE, {"c": s["card"]["id"]}, token=s["token"]))["punchCardCode"]
    assert used_up["errors"] == [{"code": "CARD_USED_UP", "field": ["cardId"]}]
    assert await ledger.check_invariants() == []


async def snapshot(s) -> tuple:
    card = await PunchCard.get(id=pk_of(s["card"]["id"]))
    return (
        card.uses_used,
        card.status,
        card.earned,
        await PunchCardCode.filter(used_at__not_isnull=True).count(),
        await balance(MERCHANT, s["merchant"].id, Purpose.PUNCH_CARD_UNEARNED),
        await balance(MERCHANT, s["merchant"].id, Purpose.MERCHANT_PENDING),
        await balance(USER, s["buyer"].id, Purpose.WALLET),
        (await Order.get(id=pk_of(s["order"]))).status,
    )


async def test_bad_redemptions_are_refused_with_stable_codes_and_change_nothing(api, monkeypatch):
    s = await car_wash(api)
    code = await code_for(api, s)
    before = await snapshot(s)

    def redeem(store, text, token):
        return api(REDEEM, {"s": gid(store), "c": text}, token=token)

    # at another merchant's store (by its owner); by a clerk without store.redeem; an unknown code
    other = (await redeem(s["other_store"], code, s["other_owner"]))["redeemPunchCard"]
    assert other["errors"] == [{"code": "CARD_NOT_ACCEPTED", "field": ["code"]}]
    clerk = (await redeem(s["a"], code, s["clerk"]))["redeemPunchCard"]
    assert clerk["errors"][0]["code"] == "FORBIDDEN"
    unknown = (await redeem(s["a"], "000000000000", s["washer"]))["redeemPunchCard"]
    assert unknown["errors"] == [{"code": "REDEMPTION_CODE_INVALID", "field": ["code"]}]
    # the code's few minutes are over
    clock.advance(timedelta(minutes=settings.PUNCH_CARD_CODE_MINUTES, seconds=1))
    late = (await redeem(s["a"], code, s["washer"]))["redeemPunchCard"]
    assert late["errors"] == [{"code": "REDEMPTION_CODE_INVALID", "field": ["code"]}]
    # after the card's expiry (a code alive that long, to reach the card's own check)
    monkeypatch.setattr(settings, "PUNCH_CARD_CODE_MINUTES", 60 * 24 * 60)
    long_lived = await code_for(api, s)
    clock.advance(timedelta(days=31))
    # fresh sign-ins after a month
    s["washer"], s["token"] = await token_for(s["washer_user"]), await token_for(s["buyer"])
    s["owner"] = await token_for(await s["merchant"].owner)
    expired = (await redeem(s["a"], long_lived, s["washer"]))["redeemPunchCard"]
    assert expired["errors"] == [{"code": "CARD_EXPIRED", "field": ["code"]}]
    new = (await api(NEW_CODE, {"c": s["card"]["id"]}, token=s["token"]))["punchCardCode"]
    assert new["errors"] == [{"code": "CARD_EXPIRED", "field": ["cardId"]}]
    # someone else's card; refunds switched off
    stranger = await token_for(await make_user("路人"))
    assert (await api(NEW_CODE, {"c": s["card"]["id"]}, token=stranger))["punchCardCode"]["errors"] == [
        {"code": "NOT_FOUND", "field": ["cardId"]}
    ]
    monkeypatch.setattr(settings, "PUNCH_CARD_REFUND_UNUSED", False)
    off = (await api(REFUND, {"id": s["card"]["id"]}, token=s["token"]))["refundPunchCard"]
    assert off["errors"] == [{"code": "CARD_NOT_REFUNDABLE", "field": ["cardId"]}]
    # terms: 0 uses, over the limit, a product that is not REDEEMABLE, someone not of the merchant
    goods = await make_product(s["merchant"], title="茶叶", skus=[sku()])
    product_id = (await PunchCard.get(id=pk_of(s["card"]["id"]))).product_id
    for variables, code_ in (
        ({"p": gid("Product", product_id), "u": 0, "d": 30}, "INVALID_INPUT"),
        ({"p": gid("Product", product_id), "u": 1001, "d": 30}, "INVALID_INPUT"),
        ({"p": gid(goods), "u": 10, "d": 30}, "INVALID_INPUT"),
    ):
        assert (await api(TERMS, variables, token=s["owner"]))["setPunchCardTerms"]["errors"][0]["code"] == code_
    forbidden = (await api(TERMS, {"p": gid(goods), "u": 10, "d": 30}, token=s["token"]))["setPunchCardTerms"]
    assert forbidden["errors"][0]["code"] == "FORBIDDEN"
    assert await snapshot(s) == before
    assert await ledger.check_invariants() == []


@requires_postgres
async def test_twenty_concurrent_redemptions_of_one_code_one_succeeds(api):
    s = await car_wash(api)
    code = await code_for(api, s)
    washer = s["washer_user"]
    grants = await load_grants(washer.id)
    results = await asyncio.gather(
        *(punch_cards.redeem(grants, washer.id, s["a"].id, code) for _ in range(20)), return_exceptions=True
    )
    won = [r for r in results if isinstance(r, PunchCard)]
    refused = [r for r in results if not isinstance(r, PunchCard)]
    assert len(won) == 1 and len(refused) == 19
    assert all(isinstance(r, DomainError) and r.code == ErrorCode.REDEMPTION_CODE_INVALID for r in refused)
    card = await PunchCard.get(id=pk_of(s["card"]["id"]))
    assert card.uses_used == 1 and card.earned == 1_000
    assert await balance(MERCHANT, s["merchant"].id, Purpose.MERCHANT_PENDING) == 1_000
    assert await ledger.check_invariants() == []
