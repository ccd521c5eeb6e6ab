"""Paid partner membership end to end through GraphQL (MEM-1, RISK-1): bought as a
MEMBERSHIP product, member prices at checkout and in the cart for a member only (not for
a non-member, not after expiry), renewal extends from the current end, a refund takes the
days back, the settings reprice the membership and are audited, bad input changes nothing;
recruitment fees earn no commission unless enabled, and the sign-up reward when enabled."""

from __future__ import annotations

from datetime import timedelta

from jobs import grades as grade_jobs
from models.catalog import Product, Sku
from models.distribution import Commission
from models.membership import Membership, MembershipConfigChange
from models.orders import Payment
from services.catalog import products as catalog
from services.core import clock
from services.core.money import fen_to_decimal_string as yuan
from services.ledger import ledger
from tests.api.test_distribution import (
    PLACE,
    admin_token,
    buy,
    configure,
    member,
    merchant_pending,
    mine,
    promotion_budget,
    refund,
)
from tests.catalog_factories import make_merchant, make_product, make_staff, sku
from tests.helpers import at, gid, make_user, pk_of, token_for
from tests.order_factories import make_shop

MY = "{ myMembership { isMember status validUntil renewPrice { amount } periodDays skuId } }"
SETTINGS = """mutation($i: MembershipSettingsInput!) { updateMembershipSettings(input: $i) {
  settings { price { amount } days referralReward { amount } giftPackCommission updatedAt } errors { code field } } }"""
READ = "{ membershipSettings { price { amount } days referralReward { amount } giftPackCommission updatedAt } }"
CART_ADD = "mutation($s: ID!) { addToCart(skuId: $s, quantity: 1) { errors { code } } }"
CART = "{ cart { total { amount } } }"
CREATE_PRODUCT = """mutation($m: ID!, $i: ProductInput!, $s: [SkuInput!]) { createProduct(merchantId: $m, input: $i, skus: $s) {
  product { id } errors { code field } } }"""


async def membership_shop(price: int = 9_900):
    """The platform's membership product (self-operated, MEMBERSHIP zone)."""
    platform = await make_merchant(kind="SELF_OPERATED")
    product = await make_product(
        platform, title="合伙人会员", zone="MEMBERSHIP", skus=[sku(price=price, stock=100_000)]
    )
    return platform, (await product.skus.all())[0]


async def mine_membership(api, user) -> dict:
    return (await api(MY, token=await token_for(user)))["myMembership"]


async def paid_amount(api, user, address, sku_id) -> int:
    """Places and pays one unit; returns the amount paid in fen."""
    placed = await buy(api, user, address, sku_id)
    return (await Payment.get(id=pk_of(placed["payment"]["id"]))).amount


async def settle(api, **values) -> dict:
    data = {"price": "99.00", "days": 365, "referralReward": "0", "giftPackCommission": False, **values}
    result = (await api(SETTINGS, {"i": data}, token=await admin_token()))["updateMembershipSettings"]
    assert result["errors"] == [], result
    return result["settings"]


# --------------------------------------------------------------------------- member prices


async def test_member_price_for_a_member_only_and_not_after_expiry(api):
    _, membership_sku = await membership_shop()
    _, _, [goods] = await make_shop(price=10_000, stock=50, sku_fields={"member_price": 8_000})
    buyer, address = await member("买家", wallet=1_000_000)
    other, other_address = await member("路人", wallet=1_000_000)

    assert await mine_membership(api, buyer) == {
        "isMember": False,
        "status": None,
        "validUntil": None,
        "renewPrice": {"amount": "99.00"},
        "periodDays": 365,
        "skuId": gid(membership_sku),
    }
    assert await paid_amount(api, buyer, address, goods.id) == 10_000  # not a member yet

    assert await paid_amount(api, buyer, address, membership_sku.id) == 9_900
    mine_now = await mine_membership(api, buyer)
    assert mine_now["isMember"] is True and mine_now["status"] == "ACTIVE"
    row = await Membership.get(user_id=buyer.id)
    assert abs((row.expires_at - clock.now()) - timedelta(days=365)) < timedelta(minutes=1)

    assert await paid_amount(api, buyer, address, goods.id) == 8_000  # member price
    assert await paid_amount(api, other, other_address, goods.id) == 10_000  # a non-member pays the price
    token = await token_for(buyer)
    assert (await api(CART_ADD, {"s": gid(goods)}, token=token))["addToCart"]["errors"] == []
    assert (await api(CART, token=token))["cart"]["total"] == {"amount": "80.00"}

    clock.advance(timedelta(days=366))  # expired: valid on every use even before the job runs
    assert (await mine_membership(api, buyer))["isMember"] is False
    token = await token_for(buyer)  # a fresh token at the new time
    assert (await api(CART, token=token))["cart"]["total"] == {"amount": "100.00"}
    assert await paid_amount(api, buyer, address, goods.id) == 10_000
    assert await grade_jobs.expire_memberships() == "expired 1 memberships"
    assert (await mine_membership(api, buyer))["status"] == "EXPIRED"
    assert await grade_jobs.expire_memberships() == "expired 0 memberships"
    assert await ledger.check_invariants() == []


async def test_renewal_extends_from_the_current_end_and_after_expiry_from_now(api):
    _, membership_sku = await membership_shop()
    buyer, address = await member("续费", wallet=1_000_000)
    await buy(api, buyer, address, membership_sku.id)
    first_end = (await Membership.get(user_id=buyer.id)).expires_at
    clock.advance(timedelta(days=100))
    await buy(api, buyer, address, membership_sku.id)  # still valid: adds to the end
    assert (await Membership.get(user_id=buyer.id)).expires_at == first_end + timedelta(days=365)

    clock.advance(timedelta(days=1000))  # long expired: starts again from now
    await buy(api, buyer, address, membership_sku.id)
    row = await Membership.get(user_id=buyer.id)
    assert abs((row.expires_at - clock.now()) - timedelta(days=365)) < timedelta(minutes=1) and row.status == "ACTIVE"


async def test_refund_of_the_membership_takes_its_days_back(api):
    platform, membership_sku = await membership_shop()
    buyer, address = await member("退款", wallet=1_000_000)
    first = await buy(api, buyer, address, membership_sku.id)
    end_after_first = (await Membership.get(user_id=buyer.id)).expires_at
    second = await buy(api, buyer, address, membership_sku.id)  # renewal: two periods
    await refund(api, platform, second, buyer, 1)  # the renewal refunded: back to one period
    row = await Membership.get(user_id=buyer.id)
    assert row.expires_at == end_after_first and row.status == "ACTIVE"
    await refund(api, platform, first, buyer, 1)  # the first refunded before use: cancelled
    assert await mine_membership(api, buyer) | {"validUntil": None} == {
        "isMember": False,
        "status": "REFUNDED",
        "validUntil": None,
        "renewPrice": {"amount": "99.00"},
        "periodDays": 365,
        "skuId": gid(membership_sku),
    }
    assert await ledger.check_invariants() == []


# --------------------------------------------------------------------------- settings and bad input


async def test_settings_reprice_the_membership_are_audited_and_bad_input_changes_nothing(api):
    _, membership_sku = await membership_shop()
    admin = await admin_token()
    defaults = (await api(READ, token=admin))["membershipSettings"]
    assert defaults == {
        "price": {"amount": "99.00"},
        "days": 365,
        "referralReward": {"amount": "0.00"},
        "giftPackCommission": False,
        "updatedAt": None,
    }
    saved = await settle(api, price="199.00", days=30)
    assert saved["price"] == {"amount": "199.00"} and saved["days"] == 30 and saved["updatedAt"]
    assert (await Sku.get(id=membership_sku.id)).price == 19_900
    change = await MembershipConfigChange.get()
    assert change.before["price"] == 9_900 and change.after["price"] == 19_900

    before = (await api(READ, token=admin))["membershipSettings"]
    cases = [
        ({"price": "0"}, "INVALID_INPUT", "price"),
        ({"days": 0}, "INVALID_INPUT", "days"),
        ({"referralReward": "-0.01"}, "INVALID_INPUT", "referralReward"),
        ({"price": "1.00", "referralReward": "1.01"}, "INVALID_INPUT", "referralReward"),
    ]
    for values, code, field in cases:
        data = {"price": "199.00", "days": 30, **values}
        result = (await api(SETTINGS, {"i": data}, token=admin))["updateMembershipSettings"]
        assert result == {"settings": None, "errors": [{"code": code, "field": at(field)}]}, values
    assert (await api(READ, token=admin))["membershipSettings"] == before
    assert await MembershipConfigChange.all().count() == 1 and (await Sku.get(id=membership_sku.id)).price == 19_900
    customer = await token_for(await make_user())
    assert await api.error_code(SETTINGS, {"i": {"price": "0.01", "days": 1}}, token=customer) == "FORBIDDEN"

    # a membership sold by anyone but the platform, or at another price, is refused at checkout
    third_party, _, _ = await make_shop()
    fake = await make_product(third_party, title="假会员", zone="MEMBERSHIP", skus=[sku(price=19_900)])
    buyer, address = await member("买家", wallet=1_000_000)
    token = await token_for(buyer)
    for sku_id, code in (((await fake.skus.all())[0].id, "ZONE_REQUIREMENT_NOT_MET"),):
        placed = (
            await api(
                PLACE,
                {
                    "input": {
                        "idempotencyKey": f"k{sku_id}",
                        "items": [{"skuId": gid("Sku", sku_id), "quantity": 1}],
                        "addressId": gid(address),
                    }
                },
                token=token,
            )
        )["placeOrder"]
        assert placed["errors"] == [{"code": code, "field": ["items"]}]
    assert await Membership.filter(user_id=buyer.id).count() == 0


async def test_member_price_out_of_the_5_to_9_5_fold_range_is_refused_and_nothing_is_created(api):
    merchant = await make_merchant()
    token = await token_for(await make_staff(merchant))
    cat = await catalog.create_category("会员价")
    products = await Product.all().count()
    for member_price in (10_001, 10_000, 9_501, 4_999, 0):
        variables = {
            "m": gid(merchant),
            "i": {"categoryId": gid(cat), "title": "会员价商品"},
            "s": [
                {"code": f"MP-{member_price}", "price": "100.00", "memberPrice": yuan(member_price), "initialStock": 1}
            ],
        }
        result = (await api(CREATE_PRODUCT, variables, token=token))["createProduct"]
        assert result == {
            "product": None,
            "errors": [{"code": "INVALID_PRICE", "field": ["skus", "0", "memberPrice"]}],
        }, member_price
    assert await Product.all().count() == products
    for member_price in (5_000, 9_500):
        variables = {
            "m": gid(merchant),
            "i": {"categoryId": gid(cat), "title": "会员价商品"},
            "s": [
                {"code": f"OK-{member_price}", "price": "100.00", "memberPrice": yuan(member_price), "initialStock": 1}
            ],
        }
        assert (await api(CREATE_PRODUCT, variables, token=token))["createProduct"]["errors"] == []


# --------------------------------------------------------------------------- RISK-1


async def test_recruitment_fees_earn_no_commission_by_default(api):
    await configure(api, [("PERCENT", 1000), ("PERCENT", 500)])
    platform, membership_sku = await membership_shop()
    pack = await make_product(platform, title="V2 礼包", zone="GIFT_PACK", gift_grade="V2", skus=[sku(price=39_900)])
    a, _ = await member("阿A")
    b, b_address = await member("阿B", upline=a, wallet=1_000_000)
    budget, pending = await promotion_budget(), await merchant_pending(platform)
    await buy(api, b, b_address, membership_sku.id)
    await buy(api, b, b_address, (await pack.skus.all())[0].id)
    assert await mine(api, a) == [] and await Commission.all().count() == 0
    assert await promotion_budget() == budget
    assert await merchant_pending(platform) == pending + 9_900 + 39_900
    assert (await mine_membership(api, b))["isMember"] is True
    assert await ledger.check_invariants() == []


async def test_when_enabled_the_sign_up_reward_and_gift_pack_commissions_are_paid_and_reversed_by_a_refund(api):
    await configure(api, [("PERCENT", 1000), ("PERCENT", 500)])
    await settle(api, referralReward="20.00", giftPackCommission=True)
    platform, membership_sku = await membership_shop()
    pack = await make_product(platform, title="V2 礼包", zone="GIFT_PACK", gift_grade="V2", skus=[sku(price=39_900)])
    top, _ = await member("阿T")
    a, _ = await member("阿A", upline=top)
    b, b_address = await member("阿B", upline=a, wallet=1_000_000)
    budget = await promotion_budget()

    joined = await buy(api, b, b_address, membership_sku.id)
    assert [(n["level"], n["amount"]["amount"], n["status"]) for n in await mine(api, a)] == [(1, "20.00", "FROZEN")]
    assert await mine(api, top) == []  # the reward goes to the direct upline only, no level 2 on a membership
    assert await promotion_budget() == budget - 2_000

    await buy(api, b, b_address, membership_sku.id)  # a renewal is no sign-up
    assert len(await mine(api, a)) == 1

    await buy(api, b, b_address, (await pack.skus.all())[0].id)  # gift packs in the base when enabled
    assert [n["amount"]["amount"] for n in await mine(api, a)][0] == "39.90"
    assert [n["amount"]["amount"] for n in await mine(api, top)] == ["19.95"]

    await refund(api, platform, joined, b, 1)  # the sign-up refunded: its reward goes back
    reward = await Commission.get(beneficiary_id=a.id, level=1, line_id=pk_of(joined["orders"][0]["lines"][0]["id"]))
    assert reward.status == "REVERSED" and reward.reversed_amount == 2_000
    assert await promotion_budget() == budget - 3_990 - 1_995
    assert await ledger.check_invariants() == []
