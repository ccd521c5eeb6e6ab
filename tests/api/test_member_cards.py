"""Member cards (STO-2) through GraphQL: a card topped up 500 + 50 bonus, spent 520 at a store
(principal and bonus taken in proportion), refunded (the principal left back, the bonus
forfeited); after every step the merchant's liability accounts equal the sum of its cards'
balances. Bad input is refused with stable codes and changes nothing."""

from __future__ import annotations

import settings
from models.orders import Order
from models.stores import MemberCard, MemberCardEntry
from services.ledger import ledger
from services.ledger.ledger import MERCHANT, USER, Purpose
from services.stores import payments as store_payments
from tests.api.test_distribution import member
from tests.catalog_factories import make_merchant
from tests.helpers import gid, pk_of, token_for
from tests.order_factories import make_store

PLAN = """mutation($m: ID!, $n: String!, $r: [TopUpRuleInput!]!, $s: ID) {
  createMemberCardPlan(merchantId: $m, name: $n, topUpRules: $r, storeId: $s) {
    plan { id name store { id } topUpRules { topUpFrom { amount } bonus { amount } } } errors { code field } } }"""
PLANS = "query($m: ID!) { memberCardPlans(merchantId: $m) { id name } }"
CARD_FIELDS = "id cardNo status balance { amount } principal { amount } bonus { amount }"
ENTRY_FIELDS = "kind principal { amount } bonus { amount } principalAfter { amount } bonusAfter { amount }"
TOP_UP = """mutation($p: ID!, $a: Amount!, $k: String!) { topUpMemberCard(planId: $p, amount: $a, idempotencyKey: $k) {
  card { %s } entry { %s } errors { code field } } }""" % (CARD_FIELDS, ENTRY_FIELDS)
PAY = """mutation($c: String!, $a: Amount!, $k: String!, $card: ID) {
  payAtStore(code: $c, amount: $a, idempotencyKey: $k, method: MEMBER_CARD, memberCardId: $card) {
    receipt { id status amount { amount } } errors { code field } } }"""
CARD = "query($id: ID!) { memberCard(id: $id) { %s statement { %s receiptId } } }" % (CARD_FIELDS, ENTRY_FIELDS)
MINE = "{ myMemberCards { id balance { amount } } }"
REFUND = "mutation($id: ID!) { refundMemberCard(id: $id) { card { %s } entry { %s } errors { code field } } }" % (
    CARD_FIELDS,
    ENTRY_FIELDS,
)
STORE_REFUND = """mutation($id: ID!, $a: Amount!) { refundStorePayment(id: $id, amount: $a) {
  refund { amount { amount } method status } errors { code field } } }"""
RULES = [{"topUpFrom": "500.00", "bonus": "50.00"}, {"topUpFrom": "1000.00", "bonus": "120.00"}]


async def balance(owner_type: str, owner_id: int, purpose: str) -> int:
    return (await ledger.get_account(owner_type, owner_id, purpose)).balance


async def liabilities_match_cards(merchant) -> tuple[int, int]:
    """The merchant's liability accounts equal the sums of its cards' principal and bonus."""
    cards = await MemberCard.filter(merchant_id=merchant.id)
    principal = await balance(MERCHANT, merchant.id, Purpose.MEMBER_CARD_PRINCIPAL)
    bonus = await balance(MERCHANT, merchant.id, Purpose.MEMBER_CARD_BONUS)
    assert principal == sum(c.principal for c in cards)
    assert bonus == sum(c.bonus for c in cards)
    # the bonus's contra is minus the bonus outstanding; the transit account is empty
    assert await balance(MERCHANT, merchant.id, Purpose.MEMBER_CARD_BONUS_FUNDING) == -bonus
    assert await balance(MERCHANT, merchant.id, Purpose.MEMBER_CARD_CLEARING) == 0
    return principal, bonus


async def shop(api):
    merchant = await make_merchant(commission_rate_bp=600)
    store_a, store_b = await make_store(merchant), await make_store(merchant)
    other_store = await make_store(await make_merchant())
    owner = await token_for(await merchant.owner)
    made = (await api(PLAN, {"m": gid(merchant), "n": "储值卡", "r": RULES}, token=owner))["createMemberCardPlan"]
    assert made["errors"] == [], made
    assert made["plan"]["store"] is None
    assert made["plan"]["topUpRules"] == [
        {"topUpFrom": {"amount": "500.00"}, "bonus": {"amount": "50.00"}},
        {"topUpFrom": {"amount": "1000.00"}, "bonus": {"amount": "120.00"}},
    ]
    only_a = (await api(PLAN, {"m": gid(merchant), "n": "A 店卡", "r": [], "s": gid(store_a)}, token=owner))[
        "createMemberCardPlan"
    ]
    assert only_a["errors"] == [] and only_a["plan"]["store"] == {"id": gid(store_a)}
    buyer, _ = await member("持卡人", wallet=100_000)
    return {
        "merchant": merchant,
        "a": store_a,
        "b": store_b,
        "other": other_store,
        "plan": made["plan"]["id"],
        "plan_a": only_a["plan"]["id"],
        "buyer": buyer,
        "owner": owner,
    }


def code(store) -> str:
    return store_payments.payment_code(store.id)


async def test_top_up_500_get_50_spend_520_refund_the_principal_left(api):
    s = await shop(api)
    merchant, buyer = s["merchant"], s["buyer"]
    token = await token_for(buyer)
    listed = (await api(PLANS, {"m": gid(merchant)}, token=token))["memberCardPlans"]
    assert [p["name"] for p in listed] == ["储值卡", "A 店卡"]

    # top up 500.00: the 500 tier's bonus of 50.00, apart from the principal
    done = (await api(TOP_UP, {"p": s["plan"], "a": "500.00", "k": "t1"}, token=token))["topUpMemberCard"]
    assert done["errors"] == [], done
    card = done["card"]
    assert card["status"] == "ACTIVE" and card["balance"] == {"amount": "550.00"}
    assert (card["principal"], card["bonus"]) == ({"amount": "500.00"}, {"amount": "50.00"})
    # the same key again tops up once
    again = (await api(TOP_UP, {"p": s["plan"], "a": "500.00", "k": "t1"}, token=token))["topUpMemberCard"]
    assert again["errors"] == [] and again["card"]["balance"] == {"amount": "550.00"}
    reused = (await api(TOP_UP, {"p": s["plan"], "a": "600.00", "k": "t1"}, token=token))["topUpMemberCard"]
    assert reused["errors"] == [{"code": "IDEMPOTENCY_KEY_REUSED", "field": ["idempotencyKey"]}]
    assert await balance(USER, buyer.id, Purpose.WALLET) == 100_000 - 50_000
    assert await liabilities_match_cards(merchant) == (50_000, 5_000)

    # another customer's card: the liability is the sum over cards
    other, _ = await member("另一位", wallet=20_000)
    small = (await api(TOP_UP, {"p": s["plan"], "a": "100.00", "k": "o1"}, token=await token_for(other)))[
        "topUpMemberCard"
    ]
    assert small["card"]["bonus"] == {"amount": "0.00"}  # below the first tier
    assert await liabilities_match_cards(merchant) == (60_000, 5_000)

    # spend 520.00 at store B (the plan is accepted in every store): principal and bonus in proportion
    paid = (await api(PAY, {"c": code(s["b"]), "a": "520.00", "k": "p1", "card": card["id"]}, token=token))[
        "payAtStore"
    ]
    assert paid["errors"] == [], paid
    assert paid["receipt"]["status"] == "COMPLETED" and paid["receipt"]["amount"] == {"amount": "520.00"}
    # 52000 × 50000 / 55000 = 47272.7 → 47272 of principal, 4728 of bonus
    seen = (await api(CARD, {"id": card["id"]}, token=token))["memberCard"]
    assert (seen["principal"], seen["bonus"]) == ({"amount": "27.28"}, {"amount": "2.72"})
    assert [(e["kind"], e["principal"]["amount"], e["bonus"]["amount"]) for e in seen["statement"]] == [
        ("TOP_UP", "500.00", "50.00"),
        ("SPEND", "-472.72", "-47.28"),
    ]
    assert seen["statement"][1]["receiptId"] == paid["receipt"]["id"]
    assert await liabilities_match_cards(merchant) == (10_000 + 2728, 272)
    # the merchant gains the principal part; the bonus was its own gift
    assert await balance(MERCHANT, merchant.id, Purpose.MERCHANT_PENDING) == 47_272
    order = await Order.get(id=pk_of(paid["receipt"]["id"]))
    assert order.pay_amount == 52_000 and order.store_id == s["b"].id

    # refund: the principal left (27.28) to the wallet, the bonus left (2.72) forfeited
    refunded = (await api(REFUND, {"id": card["id"]}, token=token))["refundMemberCard"]
    assert refunded["errors"] == [], refunded
    assert refunded["card"]["status"] == "REFUNDED" and refunded["card"]["balance"] == {"amount": "0.00"}
    assert (refunded["entry"]["principal"], refunded["entry"]["bonus"]) == ({"amount": "-27.28"}, {"amount": "-2.72"})
    assert await balance(USER, buyer.id, Purpose.WALLET) == 100_000 - 50_000 + 2728
    assert await liabilities_match_cards(merchant) == (10_000, 0)
    twice = (await api(REFUND, {"id": card["id"]}, token=token))["refundMemberCard"]
    assert twice["errors"] == [{"code": "INVALID_TRANSITION", "field": ["cardId"]}]
    assert (await api(MINE, token=token))["myMemberCards"] == [{"id": card["id"], "balance": {"amount": "0.00"}}]
    assert await ledger.check_invariants() == []


async def snapshot(merchant, buyer) -> tuple:
    cards = sorted((c.id, c.principal, c.bonus, c.status) for c in await MemberCard.filter(merchant_id=merchant.id))
    return (
        cards,
        await MemberCardEntry.all().count(),
        await Order.filter(buyer_id=buyer.id).count(),
        await balance(USER, buyer.id, Purpose.WALLET),
        await balance(MERCHANT, merchant.id, Purpose.MERCHANT_PENDING),
        await balance(MERCHANT, merchant.id, Purpose.MEMBER_CARD_PRINCIPAL),
    )


async def test_bad_input_is_refused_with_stable_codes_and_changes_nothing(api, monkeypatch):
    s = await shop(api)
    merchant, buyer = s["merchant"], s["buyer"]
    token = await token_for(buyer)
    card = (await api(TOP_UP, {"p": s["plan"], "a": "100.00", "k": "t1"}, token=token))["topUpMemberCard"]["card"]
    card_a = (await api(TOP_UP, {"p": s["plan_a"], "a": "100.00", "k": "t2"}, token=token))["topUpMemberCard"]["card"]
    before = await snapshot(merchant, buyer)

    def pay(store, amount, card_id, key):
        return api(PAY, {"c": code(store), "a": amount, "k": key, "card": card_id}, token=token)

    cases = [
        # a store of another merchant; a store the one-store card is not for
        (await pay(s["other"], "10.00", card["id"], "x1"), "CARD_NOT_ACCEPTED", "memberCardId"),
        (await pay(s["b"], "10.00", card_a["id"], "x2"), "CARD_NOT_ACCEPTED", "memberCardId"),
        # 0, over the store limit, over the card's balance
        (await pay(s["a"], "0.00", card["id"], "x3"), "INVALID_AMOUNT", "amount"),
        (await pay(s["a"], "50000.01", card["id"], "x4"), "STORE_PAYMENT_LIMIT_EXCEEDED", "amount"),
        (await pay(s["a"], "100.01", card["id"], "x5"), "INSUFFICIENT_FUNDS", "amount"),
    ]
    for body, code_, field in cases:
        assert body["payAtStore"] == {"receipt": None, "errors": [{"code": code_, "field": [field]}]}, code_
    # someone else's card
    stranger, _ = await member("路人", wallet=10_000)
    body = await api(
        PAY, {"c": code(s["a"]), "a": "1.00", "k": "x6", "card": card["id"]}, token=await token_for(stranger)
    )
    assert body["payAtStore"]["errors"] == [{"code": "NOT_FOUND", "field": ["cardId"]}]
    # top-ups: 0, over the limit, more than the wallet holds
    for amount, code_ in (
        ("0.00", "INVALID_AMOUNT"),
        (f"{settings.MEMBER_CARD_MAX_TOP_UP / 100 + 0.01:.2f}", "TOP_UP_LIMIT_EXCEEDED"),
        ("900.01", "INSUFFICIENT_FUNDS"),
    ):
        body = (await api(TOP_UP, {"p": s["plan"], "a": amount, "k": f"u{amount}"}, token=token))["topUpMemberCard"]
        assert body["errors"][0]["code"] == code_, (amount, body)
    # a plan's rules: a bonus above its threshold; someone not of the merchant
    bad = (
        await api(PLAN, {"m": gid(merchant), "n": "x", "r": [{"topUpFrom": "1.00", "bonus": "2.00"}]}, token=s["owner"])
    )["createMemberCardPlan"]
    assert bad["errors"] == [{"code": "INVALID_AMOUNT", "field": ["topUpRules"]}]
    forbidden = (await api(PLAN, {"m": gid(merchant), "n": "x", "r": []}, token=token))["createMemberCardPlan"]
    assert forbidden["errors"][0]["code"] == "FORBIDDEN"
    # refunds switched off
    monkeypatch.setattr(settings, "MEMBER_CARD_REFUND_PRINCIPAL", False)
    off = (await api(REFUND, {"id": card["id"]}, token=token))["refundMemberCard"]
    assert off["errors"] == [{"code": "CARD_NOT_REFUNDABLE", "field": ["cardId"]}]
    assert await snapshot(merchant, buyer) == before
    assert await ledger.check_invariants() == []


async def test_a_card_payment_refunded_at_the_counter_goes_back_onto_the_card_exactly(api):
    s = await shop(api)
    merchant, buyer = s["merchant"], s["buyer"]
    token = await token_for(buyer)
    card = (await api(TOP_UP, {"p": s["plan"], "a": "500.00", "k": "t1"}, token=token))["topUpMemberCard"]["card"]
    paid = (await api(PAY, {"c": code(s["a"]), "a": "520.00", "k": "p1", "card": card["id"]}, token=token))[
        "payAtStore"
    ]
    receipt = paid["receipt"]["id"]
    # 100.00 back: 10000 × 47272 / 52000 = 9090.8 → 90.90 principal, 9.10 bonus
    done = (await api(STORE_REFUND, {"id": receipt, "a": "100.00"}, token=s["owner"]))["refundStorePayment"]
    assert done == {
        "refund": {"amount": {"amount": "100.00"}, "method": "MEMBER_CARD", "status": "COMPLETED"},
        "errors": [],
    }
    seen = (await api(CARD, {"id": card["id"]}, token=token))["memberCard"]
    assert (seen["principal"], seen["bonus"]) == ({"amount": "118.18"}, {"amount": "11.82"})
    assert seen["statement"][-1]["kind"] == "PAYMENT_REFUND"
    assert await liabilities_match_cards(merchant) == (11_818, 1_182)
    assert await balance(MERCHANT, merchant.id, Purpose.MERCHANT_PENDING) == 47_272 - 9_090
    # the rest: the card holds exactly what it held before the payment; the merchant keeps nothing
    done = (await api(STORE_REFUND, {"id": receipt, "a": "420.00"}, token=s["owner"]))["refundStorePayment"]
    assert done["errors"] == []
    assert await liabilities_match_cards(merchant) == (50_000, 5_000)
    assert await balance(MERCHANT, merchant.id, Purpose.MERCHANT_PENDING) == 0
    over = (await api(STORE_REFUND, {"id": receipt, "a": "0.01"}, token=s["owner"]))["refundStorePayment"]
    assert over["errors"] == [{"code": "REFUND_EXCEEDS_PAID", "field": ["amount"]}]
    assert await balance(USER, buyer.id, Purpose.WALLET) == 50_000  # the wallet is not where it goes
    assert await ledger.check_invariants() == []


PAY_ONLINE = """mutation($p: ID!, $card: ID!) { payWithMemberCard(paymentId: $p, memberCardId: $card) {
  payment { id status } errors { code field } } }"""


async def test_a_checkout_of_the_merchants_goods_paid_online_with_the_card_and_refunded_onto_it(api):
    from models.orders import Payment
    from tests.api.test_after_sales import APPROVE, request
    from tests.catalog_factories import make_product, make_staff, sku
    from tests.order_factories import make_buyer, make_shop, place

    s = await shop(api)
    merchant = s["merchant"]
    buyer, address = await make_buyer("网购持卡人", wallet=100_000)
    token = await token_for(buyer)
    goods = await make_product(merchant, title="会员商品", skus=[sku(price=15_000, stock=10)])
    (goods_sku,) = await goods.skus.all()
    _, _, (foreign_sku,) = await make_shop(price=1_000)
    card = (await api(TOP_UP, {"p": s["plan"], "a": "500.00", "k": "t1"}, token=token))["topUpMemberCard"]["card"]
    only_a = (await api(TOP_UP, {"p": s["plan_a"], "a": "100.00", "k": "t2"}, token=token))["topUpMemberCard"]["card"]

    async def unchanged(payment_id: int):
        return (
            await snapshot(merchant, buyer),
            (await Payment.get(id=payment_id)).status,
            await ledger.check_invariants(),
        )

    # refused: another merchant's goods in the payment, a card of one store for a delivered order,
    # a balance short of the payment, someone else's payment; each changes nothing
    mixed = await place(buyer, address, [(goods_sku.id, 1), (foreign_sku.id, 1)])
    before = await unchanged(mixed.payment.id)
    refused = (await api(PAY_ONLINE, {"p": gid(mixed.payment), "card": card["id"]}, token=token))["payWithMemberCard"]
    assert refused == {"payment": None, "errors": [{"code": "CARD_NOT_ACCEPTED", "field": ["memberCardId"]}]}
    assert await unchanged(mixed.payment.id) == before
    placed = await place(buyer, address, [(goods_sku.id, 2)])  # 300.00, delivered (no store)
    payment = gid(placed.payment)
    big = await place(buyer, address, [(goods_sku.id, 4)])  # 600.00 > 550.00 on the card
    before = await unchanged(placed.payment.id)
    got = (await api(PAY_ONLINE, {"p": payment, "card": only_a["id"]}, token=token))["payWithMemberCard"]
    assert got["errors"] == [{"code": "CARD_NOT_ACCEPTED", "field": ["memberCardId"]}]
    stranger = await token_for((await make_buyer("旁人"))[0])
    got = (await api(PAY_ONLINE, {"p": payment, "card": card["id"]}, token=stranger))["payWithMemberCard"]
    assert got["errors"] == [{"code": "NOT_FOUND", "field": ["paymentId"]}]
    got = (await api(PAY_ONLINE, {"p": gid(big.payment), "card": card["id"]}, token=token))["payWithMemberCard"]
    assert got["errors"] == [{"code": "INSUFFICIENT_FUNDS", "field": ["amount"]}]
    assert await unchanged(placed.payment.id) == before

    # paid: 30000 × 50000 / 55000 = 27272.7 → 272.72 of principal, 27.28 of bonus
    paid = (await api(PAY_ONLINE, {"p": payment, "card": card["id"]}, token=token))["payWithMemberCard"]
    assert paid == {"payment": {"id": payment, "status": "PAID"}, "errors": []}
    order = await Order.get(id=placed.orders[0].id)
    assert order.status == "PAID"
    seen = (await api(CARD, {"id": card["id"]}, token=token))["memberCard"]
    assert (seen["principal"], seen["bonus"]) == ({"amount": "227.28"}, {"amount": "22.72"})
    assert seen["statement"][-1]["kind"] == "SPEND" and seen["statement"][-1]["receiptId"] == gid(order)
    assert await liabilities_match_cards(merchant) == (50_000 - 27_272 + 10_000, 5_000 - 2_728)
    assert await balance(MERCHANT, merchant.id, Purpose.MERCHANT_PENDING) == 27_272
    twice = (await api(PAY_ONLINE, {"p": payment, "card": card["id"]}, token=token))["payWithMemberCard"]
    assert twice["errors"] == [{"code": "PAYMENT_NOT_PAYABLE", "field": ["paymentId"]}]

    # an after-sale refund of one unit (150.00) goes back onto the card, by the payment's shares
    staff = await token_for(await make_staff(merchant, ["merchant.orders"]))
    (line,) = await order.lines.all()
    asked = await request(api, token, line, quantity=1)
    approved = (await api(APPROVE, {"id": asked["afterSale"]["id"]}, token=staff))["approveAfterSale"]
    assert approved["errors"] == [] and approved["afterSale"]["status"] == "REFUNDED"
    # 15000 × 27272 / 30000 = 13636 of principal, 1364 of bonus
    seen = (await api(CARD, {"id": card["id"]}, token=token))["memberCard"]
    assert (seen["principal"], seen["bonus"]) == ({"amount": "363.64"}, {"amount": "36.36"})
    assert seen["statement"][-1]["kind"] == "PAYMENT_REFUND"
    assert await liabilities_match_cards(merchant) == (36_364 + 10_000, 3_636)
    assert await balance(MERCHANT, merchant.id, Purpose.MERCHANT_PENDING) == 27_272 - 13_636
    assert await balance(USER, buyer.id, Purpose.WALLET) == 100_000 - 60_000  # not to the wallet
    assert await ledger.check_invariants() == []
