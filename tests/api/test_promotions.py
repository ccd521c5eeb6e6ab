"""Promotions over GraphQL (MKT-2, MKT-6): the platform's 满减 tiers and a merchant's 满件折 on
its own goods, applied by every checkout while ACTIVE and within their schedule (the preview
and the charge agree; each line keeps the promotion's part and funder); pausing stops them;
bad input answers stable codes and writes nothing."""

from __future__ import annotations

import uuid
from datetime import timedelta

from models.marketing import Promotion
from services.core import clock
from tests.helpers import gid, make_user, token_for
from tests.order_factories import make_buyer, make_shop

CREATE = """mutation($input: PromotionInput!) { createPromotion(input: $input) {
  promotion { id status kind merchantId tiers { threshold { amount } amount { amount } units rateBp } }
  errors { code field } } }"""
PAUSE = "mutation($id: ID!) { pausePromotion(id: $id) { promotion { status } errors { code } } }"
LIST = "query($m: ID) { promotions(merchantId: $m) { nodes { id name } } }"
PREVIEW = """query($input: CheckoutPreviewInput!) { checkoutPreview(input: $input) { payAmount { amount }
  orders { lines { discounts { source sourceId fundedBy amount { amount } } } } } }"""
PLACE = """mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { payment { amount { amount } }
  orders { lines { discounts { source sourceId fundedBy amount { amount } } } } errors { code } } }"""


def window(**extra) -> dict:
    now = clock.now()
    return {"startsAt": (now - timedelta(hours=1)).isoformat(), "endsAt": (now + timedelta(days=1)).isoformat()} | extra


async def test_platform_tiers_and_a_merchant_quantity_discount_price_every_checkout(api):
    admin = await token_for(await make_user("admin", roles=("admin",)))
    merchant, _, (row,) = await make_shop(price=6_000, stock=10)
    other, _, (theirs,) = await make_shop(price=1_000, stock=10)
    owner = await token_for(await merchant.owner)
    tiers = [{"threshold": "100.00", "amount": "10.00"}, {"threshold": "200.00", "amount": "30.00"}]
    platform = (
        await api(CREATE, {"input": window(name="满100减10 满200减30", kind="FULL_REDUCTION", tiers=tiers)}, admin)
    )["createPromotion"]
    assert platform["errors"] == [] and platform["promotion"]["status"] == "ACTIVE"
    assert platform["promotion"]["tiers"][1] == {
        "threshold": {"amount": "200.00"},
        "amount": {"amount": "30.00"},
        "units": None,
        "rateBp": None,
    }
    own = (
        await api(
            CREATE,
            {
                "input": window(
                    name="2件9折",
                    kind="QUANTITY_DISCOUNT",
                    merchantId=gid(merchant),
                    tiers=[{"units": 2, "rateBp": 1000}],
                    priority=1,
                )
            },
            owner,
        )
    )["createPromotion"]
    assert own["errors"] == [], own
    assert [n["id"] for n in (await api(LIST, {"m": gid(merchant)}, owner))["promotions"]["nodes"]] == [
        own["promotion"]["id"]
    ]

    buyer, address = await make_buyer(wallet=100_000)
    token = await token_for(buyer)
    items = [{"skuId": gid("Sku", row.id), "quantity": 2}]
    # 2 × 60.00 = 120.00; the merchant's 9折 first (priority 1): 12.00 off -> 108.00; the
    # platform's 满100减10 on what is left: 10.00 -> 98.00
    preview = (await api(PREVIEW, {"input": {"items": items}}, token))["checkoutPreview"]
    assert preview["payAmount"] == {"amount": "98.00"}
    parts = preview["orders"][0]["lines"][0]["discounts"]
    assert [(p["sourceId"], p["fundedBy"], p["amount"]["amount"]) for p in parts] == [
        (own["promotion"]["id"], "MERCHANT", "12.00"),
        (platform["promotion"]["id"], "PLATFORM", "10.00"),
    ]
    body = {"idempotencyKey": uuid.uuid4().hex, "addressId": gid(address), "items": items}
    placed = (await api(PLACE, {"input": body}, token))["placeOrder"]
    assert placed["errors"] == [] and placed["payment"]["amount"] == preview["payAmount"]
    assert placed["orders"][0]["lines"][0]["discounts"] == parts

    assert (await api(PAUSE, {"id": own["promotion"]["id"]}, owner))["pausePromotion"]["errors"] == []
    assert (await api(PREVIEW, {"input": {"items": items}}, token))["checkoutPreview"]["payAmount"] == {
        "amount": "110.00"
    }

    # bad input: stable codes, nothing written
    before = await Promotion.all().count()
    refusals = [
        (admin, window(name="x", kind="FULL_REDUCTION", tiers=tiers[::-1]), "INVALID_INPUT"),
        (admin, window(name="x", kind="QUANTITY_DISCOUNT", tiers=[{"units": 2, "rateBp": 10_001}]), "INVALID_RATE"),
        (
            admin,
            window(name="x", kind="FULL_REDUCTION", tiers=[{"threshold": "10.00", "amount": "20.00"}]),
            "INVALID_AMOUNT",
        ),
        (
            admin,
            window(name="x", kind="FULL_REDUCTION", tiers=tiers, endsAt=clock.now().isoformat()),
            "INVALID_DATE_RANGE",
        ),
        (
            owner,
            window(
                name="x",
                kind="LIMITED_PRICE",
                merchantId=gid(merchant),
                prices=[{"skuId": gid("Sku", theirs.id), "price": "1.00"}],
            ),
            "FORBIDDEN",
        ),
        (owner, window(name="x", kind="FULL_REDUCTION", tiers=tiers), "FORBIDDEN"),  # the platform's
        (
            await token_for(await other.owner),
            window(name="x", kind="FULL_REDUCTION", merchantId=gid(merchant), tiers=tiers),
            "FORBIDDEN",
        ),
    ]
    for who, data, code in refusals:
        errors = (await api(CREATE, {"input": data}, who))["createPromotion"]["errors"]
        assert [e["code"] for e in errors] == [code], (data, errors)
    assert await Promotion.all().count() == before
