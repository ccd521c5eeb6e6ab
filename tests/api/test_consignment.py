"""Consignment resale end to end through GraphQL (CON-1..6), including the seed's worked
example to the fen, and bad input that changes nothing."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

import settings
from jobs import consignment as consignment_jobs
from models.consignment import Voucher, WholesaleUnit
from services.core import clock
from services.ledger import ledger
from services.ledger.ledger import Purpose
from tests.catalog_factories import make_staff
from tests.helpers import gid, make_user, token_for
from tests.order_factories import make_buyer, make_consignment_pair

PLACE = """mutation($input: PlaceOrderInput!) { placeOrder(input: $input) {
  payment { id amount { amount } } orders { id lines { id } } errors { code field } } }"""
PAY = "mutation($id: ID!) { payWithWallet(paymentId: $id) { payment { status } errors { code } } }"
WALLET = "{ myWallet { available { amount } consignmentPending { amount } } }"
UNITS = """{ myWholesaleUnits { nodes { id status cost { amount }
  sale { buyerNickname salePrice { amount } fee { amount } proceeds { amount } reward { amount } paidOut } } } }"""
POSITIONS = "{ myQueuePositions { position unit { id status } } }"


async def buy(api, token, address, sku_id, quantity, **extra) -> dict:
    data = {
        "idempotencyKey": uuid.uuid4().hex,
        "items": [{"skuId": gid("Sku", sku_id), "quantity": quantity}],
        "addressId": gid(address),
    }
    data.update(extra)
    placed = (await api(PLACE, {"input": data}, token=token))["placeOrder"]
    assert placed["errors"] == [], placed
    paid = await api(PAY, {"id": placed["payment"]["id"]}, token=token)
    assert paid["payWithWallet"]["errors"] == [], paid
    return placed


async def finish(api, merchant, placed, buyer_token):
    staff = await token_for(await make_staff(merchant, ["merchant.orders"]))
    for order in placed["orders"]:
        shipped = await api(
            'mutation($id: ID!) { shipOrder(orderId: $id, carrier: "SF", trackingNo: "SF0000001") { errors { code } } }',
            {"id": order["id"]},
            token=staff,
        )
        assert shipped["shipOrder"]["errors"] == []
        done = await api(
            "mutation($id: ID!) { confirmReceipt(orderId: $id) { errors { code } } }",
            {"id": order["id"]},
            token=buyer_token,
        )
        assert done["confirmReceipt"]["errors"] == []


async def scenario(api, *, retail_price, wholesale_price, vouchers, fee_bp, kept, consigned):
    """B buys one retail unit, then `kept + consigned` wholesale units with the vouchers it
    got, consigns `consigned`; as many later buyers buy one retail unit each."""
    merchant, retail, wholesale = await make_consignment_pair(retail_price, wholesale_price, vouchers)
    admin = await token_for(await make_user(roles=("admin",)))
    policy = await api(
        'mutation($p: ID!, $f: Int!) { setConsignmentPolicy(productId: $p, feeBp: $f, rewardKind: FIXED, rewardAmount: "0") { policy { feeBp } errors { code } } }',
        {"p": gid("Product", wholesale.product_id), "f": fee_bp},
        token=admin,
    )
    assert policy["setConsignmentPolicy"] == {"policy": {"feeBp": fee_bp}, "errors": []}
    spent = retail_price + (kept + consigned) * wholesale_price
    b, b_address = await make_buyer("小B", wallet=spent)
    b_token = await token_for(b)
    await buy(api, b_token, b_address, retail.id, 1)
    mine = await api("{ myVouchers(status: UNUSED) { nodes { id kind product { id } } } }", token=b_token)
    assert len(mine["myVouchers"]["nodes"]) == vouchers
    assert mine["myVouchers"]["nodes"][0]["product"] == {"id": gid("Product", wholesale.product_id)}
    bought = await buy(api, b_token, b_address, wholesale.id, kept + consigned)
    assert (await api(WALLET, token=b_token))["myWallet"]["available"]["amount"] == "0.00"
    units = (await api(UNITS, token=b_token))["myWholesaleUnits"]["nodes"]
    assert [u["status"] for u in units] == ["UNDECIDED"] * (kept + consigned)
    line_id = bought["orders"][0]["lines"][0]["id"]
    consign = await api(
        "mutation($l: ID!, $q: Int!) { consignFromOrderLine(lineId: $l, quantity: $q) { units { status } errors { code } } }",
        {"l": line_id, "q": consigned},
        token=b_token,
    )
    assert consign["consignFromOrderLine"]["units"] == [{"status": "QUEUED"}] * consigned
    positions = (await api(POSITIONS, token=b_token))["myQueuePositions"]
    assert [p["position"] for p in positions] == list(range(1, consigned + 1))

    later = []
    for i in range(consigned):
        buyer, address = await make_buyer(f"买家{i}", wallet=retail_price)
        token = await token_for(buyer)
        later.append((await buy(api, token, address, retail.id, 1), token))
    units = (await api(UNITS, token=b_token))["myWholesaleUnits"]["nodes"]
    sold = [u for u in units if u["status"] == "MATCHED"]
    assert len(sold) == consigned
    fee = retail_price * fee_bp // 10_000
    for unit in sold:
        assert unit["sale"]["buyerNickname"].startswith("买") and "*" in unit["sale"]["buyerNickname"]
        assert unit["sale"]["paidOut"] is False
        assert unit["sale"]["proceeds"]["amount"] == f"{(retail_price - fee) / 100:.2f}"
    wallet = (await api(WALLET, token=b_token))["myWallet"]
    assert wallet["consignmentPending"]["amount"] == f"{consigned * (retail_price - fee) / 100:.2f}"

    for placed, token in later:
        await finish(api, merchant, placed, token)
    clock.advance(timedelta(days=settings.AFTER_SALES_WINDOW_DAYS, seconds=1))
    await consignment_jobs.settle_consignments()
    b_token = await token_for(b)  # the clock moved past the old token's lifetime
    wallet = (await api(WALLET, token=b_token))["myWallet"]
    assert wallet["consignmentPending"]["amount"] == "0.00"
    units = (await api(UNITS, token=b_token))["myWholesaleUnits"]["nodes"]
    assert sum(1 for u in units if u["sale"] and u["sale"]["paidOut"]) == consigned
    assert await ledger.check_invariants() == []
    platform_fee = (await ledger.platform_account(Purpose.FEE_REVENUE)).balance
    return spent, int(round(float(wallet["available"]["amount"]) * 100)), platform_fee


async def test_the_seeds_worked_example(api):
    spent, received, platform_fee = await scenario(
        api, retail_price=220000, wholesale_price=44000, vouchers=2, fee_bp=2000, kept=0, consigned=2
    )
    assert spent == 308000  # 2200 retail + 2 × 440 wholesale
    assert received == 352000  # 4400 × (1 − 20 %)
    assert platform_fee == 88000
    assert received - spent == 44000  # net gain 440, plus the retail unit kept


async def test_other_numbers_keep_one_consign_two_of_three(api):
    spent, received, platform_fee = await scenario(
        api, retail_price=9990, wholesale_price=1999, vouchers=3, fee_bp=1500, kept=1, consigned=2
    )
    fee = 9990 * 1500 // 10_000  # 1498 (rounded down, in the seller's favour)
    assert spent == 9990 + 3 * 1999
    assert received == 2 * (9990 - fee)
    assert platform_fee == 2 * fee


# --------------------------------------------------------------------------- bad input


async def _holder(api, vouchers=2, bought=1):
    merchant, retail, wholesale = await make_consignment_pair(1000, 300, vouchers)
    user, address = await make_buyer(wallet=100_000)
    token = await token_for(user)
    await buy(api, token, address, retail.id, 1)
    if bought:
        await buy(api, token, address, wholesale.id, bought)
    return merchant, retail, wholesale, user, address, token


async def test_wholesale_without_enough_vouchers_changes_nothing(api):
    _, retail, wholesale, user, address, token = await _holder(api, vouchers=2, bought=0)
    data = {"idempotencyKey": "k", "items": [{"skuId": gid(wholesale), "quantity": 3}], "addressId": gid(address)}
    placed = (await api(PLACE, {"input": data}, token=token))["placeOrder"]
    assert placed["errors"][0]["code"] == "VOUCHER_REQUIRED" and placed["payment"] is None
    assert await Voucher.filter(owner_id=user.id, status="UNUSED").count() == 2
    stranger, s_address = await make_buyer(wallet=10_000)
    data = {
        "idempotencyKey": "k",
        "items": [{"skuId": gid(wholesale), "quantity": 1}],
        "addressId": gid(s_address),
    }
    assert (await api(PLACE, {"input": data}, token=await token_for(stranger)))["placeOrder"]["errors"][0][
        "code"
    ] == "VOUCHER_REQUIRED"


async def test_expired_vouchers_cannot_be_used_or_paid_with(api):
    _, retail, wholesale, user, address, token = await _holder(api, vouchers=2, bought=0)
    data = {
        "idempotencyKey": "k1",
        "items": [{"skuId": gid(wholesale), "quantity": 1}],
        "addressId": gid(address),
    }
    placed = (await api(PLACE, {"input": data}, token=token))["placeOrder"]
    await Voucher.filter(owner_id=user.id).update(expires_at=clock.now() + timedelta(minutes=5))
    clock.advance(timedelta(minutes=6))
    token = await token_for(user)
    paid = await api(PAY, {"id": placed["payment"]["id"]}, token=token)
    assert paid["payWithWallet"]["errors"] == [{"code": "VOUCHER_EXPIRED"}]
    assert await WholesaleUnit.filter(owner_id=user.id).count() == 0
    assert await consignment_jobs.expire_vouchers() == "expired 1 vouchers"
    data["idempotencyKey"] = "k2"
    assert (await api(PLACE, {"input": data}, token=token))["placeOrder"]["errors"][0]["code"] == "VOUCHER_REQUIRED"


async def test_consigning_twice_someone_elses_or_a_retail_unit_is_refused(api):
    _, retail, wholesale, user, address, token = await _holder(api)
    unit = await WholesaleUnit.get(owner_id=user.id)
    consign = "mutation($u: [ID!]!) { consignUnits(unitIds: $u) { units { status } errors { code } } }"
    assert (await api(consign, {"u": [gid(unit)]}, token=token))["consignUnits"]["errors"] == []
    assert (await api(consign, {"u": [gid(unit)]}, token=token))["consignUnits"]["errors"] == [
        {"code": "NOT_CONSIGNABLE"}
    ]
    other = await token_for(await make_user())
    assert (await api(consign, {"u": [gid(unit)]}, token=other))["consignUnits"]["errors"] == [{"code": "NOT_FOUND"}]
    cancel = "mutation($u: ID!) { cancelConsignment(unitId: $u) { units { status } errors { code } } }"
    assert (await api(cancel, {"u": gid(unit)}, token=other))["cancelConsignment"]["errors"] == [{"code": "NOT_FOUND"}]
    retail_line = (await api("{ myOrders { nodes { lines { id zone } } } }", token=token))["myOrders"]["nodes"]
    retail_line_id = next(ln["id"] for o in retail_line for ln in o["lines"] if ln["zone"] == "RETAIL")
    by_line = await api(
        "mutation($l: ID!) { consignFromOrderLine(lineId: $l, quantity: 1) { errors { code } } }",
        {"l": retail_line_id},
        token=token,
    )
    assert by_line["consignFromOrderLine"]["errors"] == [{"code": "NOT_CONSIGNABLE"}]
    assert (await WholesaleUnit.get(id=unit.id)).status == "QUEUED"


async def test_cancel_an_unsold_consignment_but_not_a_sold_one(api):
    _, retail, wholesale, user, address, token = await _holder(api, vouchers=2, bought=2)
    first, second = await WholesaleUnit.filter(owner_id=user.id).order_by("id")
    await api(
        "mutation($u: [ID!]!) { consignUnits(unitIds: $u) { errors { code } } }",
        {"u": [gid(first), gid(second)]},
        token=token,
    )
    buyer, b_address = await make_buyer(wallet=10_000)
    await buy(api, await token_for(buyer), b_address, retail.id, 1)  # sells `first`
    cancel = "mutation($u: ID!) { cancelConsignment(unitId: $u) { units { status } errors { code } } }"
    assert (await api(cancel, {"u": gid(first)}, token=token))["cancelConsignment"]["errors"] == [
        {"code": "INVALID_TRANSITION"}
    ]
    assert (await api(cancel, {"u": gid(second)}, token=token))["cancelConsignment"] == {
        "units": [{"status": "PICKUP"}],
        "errors": [],
    }
    assert (await WholesaleUnit.get(id=first.id)).status == "MATCHED"
    assert await ledger.check_invariants() == []


@pytest.mark.parametrize("fee_bp", [-1, 10_001])
async def test_policy_bounds(api, fee_bp):
    _, _, wholesale = await make_consignment_pair()
    admin = await token_for(await make_user(roles=("admin",)))
    data = await api(
        "mutation($p: ID!, $f: Int!) { setConsignmentPolicy(productId: $p, feeBp: $f, rewardKind: PERCENT, rewardRateBp: 100) { errors { code } } }",
        {"p": gid("Product", wholesale.product_id), "f": fee_bp},
        token=admin,
    )
    assert data["setConsignmentPolicy"]["errors"] == [{"code": "INVALID_RATE"}]
