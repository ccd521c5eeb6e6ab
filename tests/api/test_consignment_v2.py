"""Model 2.0 (CON-7): member zone grants discount vouchers, gift packs set the grade,
wholesale snap-up sessions with coins for those who miss out."""

from __future__ import annotations

from datetime import timedelta

from models.consignment import SnapUpEntry, SnapUpSession, Voucher
from models.orders import Order
from services.core import clock
from services.ledger import ledger
from services.ledger.ledger import Purpose
from services.orders import payments
from tests.api.test_consignment import buy
from tests.catalog_factories import make_merchant, make_product, sku
from tests.helpers import gid, make_user, pk_of, token_for
from tests.order_factories import make_buyer, make_consignment_pair

SESSION = """mutation($input: SnapUpSessionInput!) { createSnapUpSession(input: $input) { session { id remaining } errors { code field } } }"""
JOIN = "mutation($s: ID!) { joinSnapUp(sessionId: $s) { entry { result coins orderId } errors { code } } }"


async def test_member_zone_grants_discount_vouchers_and_gift_pack_sets_grade(api):
    merchant = await make_merchant(kind="SELF_OPERATED")
    _, _, wholesale = await make_consignment_pair()
    member = await make_product(
        merchant,
        title="会员专区",
        zone="MEMBER",
        vouchers_per_unit=2,
        voucher_product_id=wholesale.product_id,
        skus=[sku(price=9900, member_price=8900)],
    )
    pack = await make_product(merchant, title="V2 礼包", zone="GIFT_PACK", gift_grade="V2", skus=[sku(price=39900)])
    user, address = await make_buyer(wallet=100_000)
    token = await token_for(user)
    await buy(api, token, address, (await member.skus.all())[0].id, 1)
    kinds = await api("{ myVouchers { nodes { kind status } } }", token=token)
    assert kinds["myVouchers"]["nodes"] == [{"kind": "DISCOUNT", "status": "UNUSED"}] * 2
    assert (await api("{ myGrade { grade history { toGrade } } }", token=token))["myGrade"] == {
        "grade": None,
        "history": [],
    }
    await buy(api, token, address, (await pack.skus.all())[0].id, 1)
    graded = await api("{ myGrade { grade history { fromGrade toGrade source } } }", token=token)
    assert graded["myGrade"] == {"grade": "V2", "history": [{"fromGrade": "", "toGrade": "V2", "source": "GIFT_PACK"}]}


async def test_snap_up_session_winners_losers_and_refusals(api):
    _, retail, wholesale = await make_consignment_pair(vouchers=1)
    admin = await token_for(await make_user(roles=("admin",)))
    now = clock.now()
    created = await api(
        SESSION,
        {
            "input": {
                "skuId": gid(wholesale),
                "startsAt": now.isoformat(),
                "endsAt": (now + timedelta(hours=1)).isoformat(),
                "units": 1,
                "consolationCoins": 50,
            }
        },
        token=admin,
    )
    session_id = created["createSnapUpSession"]["session"]["id"]
    assert created["createSnapUpSession"]["session"]["remaining"] == 1

    first, a1 = await make_buyer("first", wallet=100_000)
    second, a2 = await make_buyer("second", wallet=100_000)
    nobody = await token_for(await make_user("no voucher"))
    for user, address in ((first, a1), (second, a2)):
        await buy(api, await token_for(user), address, retail.id, 1)  # one voucher each
    assert (await api(JOIN, {"s": session_id}, token=nobody))["joinSnapUp"]["errors"] == [{"code": "VOUCHER_REQUIRED"}]

    won = await api(JOIN, {"s": session_id}, token=await token_for(first))
    assert won["joinSnapUp"]["entry"]["result"] == "WON" and won["joinSnapUp"]["entry"]["coins"] == 0
    order = await Order.get(id=pk_of(won["joinSnapUp"]["entry"]["orderId"]))
    assert order.status == "PENDING_PAYMENT" and order.pay_amount == 440
    assert await Voucher.filter(owner_id=first.id, status="RESERVED").count() == 1
    again = await api(JOIN, {"s": session_id}, token=await token_for(first))
    assert again["joinSnapUp"]["errors"] == [{"code": "SNAPUP_ALREADY_JOINED"}]

    lost = await api(JOIN, {"s": session_id}, token=await token_for(second))
    assert lost["joinSnapUp"]["entry"] == {"result": "LOST", "coins": 50, "orderId": None}
    assert (await ledger.user_account(second.id, Purpose.COINS, "COIN")).balance == 50
    assert await Voucher.filter(owner_id=second.id, status="UNUSED").count() == 1  # kept for another try
    wallet = await api("{ myWallet { coins } }", token=await token_for(second))
    assert wallet["myWallet"]["coins"] == 50

    third, a3 = await make_buyer("third", wallet=100_000)
    await buy(api, await token_for(third), a3, retail.id, 1)
    clock.advance(timedelta(hours=2))
    closed = await api(JOIN, {"s": session_id}, token=await token_for(third))
    assert closed["joinSnapUp"]["errors"] == [{"code": "SNAPUP_CLOSED"}]
    assert (await SnapUpSession.get(id=pk_of(session_id))).remaining == 0
    assert await ledger.check_invariants() == []


async def test_a_cancelled_win_gives_the_unit_back_to_the_open_session(api):
    _, retail, wholesale = await make_consignment_pair()
    admin = await token_for(await make_user(roles=("admin",)))
    now = clock.now()
    created = await api(
        SESSION,
        {
            "input": {
                "skuId": gid(wholesale),
                "startsAt": now.isoformat(),
                "endsAt": (now + timedelta(hours=1)).isoformat(),
                "units": 1,
            }
        },
        token=admin,
    )
    session_id = created["createSnapUpSession"]["session"]["id"]
    (first, a1), (second, a2) = await make_buyer("first", wallet=100_000), await make_buyer("second", wallet=100_000)
    for user, address in ((first, a1), (second, a2)):
        await buy(api, await token_for(user), address, retail.id, 1)
    won = await api(JOIN, {"s": session_id}, token=await token_for(first))
    order = await Order.get(id=pk_of(won["joinSnapUp"]["entry"]["orderId"]))
    await payments.cancel_by_buyer(first.id, order.id, "changed my mind")
    assert (await SnapUpSession.get(id=pk_of(session_id))).remaining == 1
    assert (
        await Voucher.filter(owner_id=first.id, status="UNUSED").count() == 2
    )  # both of its vouchers (2 per retail unit) free again
    assert (await SnapUpEntry.get(user_id=first.id)).result == "FORFEIT"
    again = await api(JOIN, {"s": session_id}, token=await token_for(first))
    assert again["joinSnapUp"]["errors"] == [{"code": "SNAPUP_ALREADY_JOINED"}]  # one try per holder
    second_try = await api(JOIN, {"s": session_id}, token=await token_for(second))
    assert second_try["joinSnapUp"]["entry"]["result"] == "WON"
    assert (await SnapUpSession.get(id=pk_of(session_id))).remaining == 0


async def test_snap_up_session_validation(api):
    _, retail, wholesale = await make_consignment_pair()
    admin = await token_for(await make_user(roles=("admin",)))
    now = clock.now()
    bad_window = {
        "skuId": gid(wholesale),
        "startsAt": now.isoformat(),
        "endsAt": (now - timedelta(hours=1)).isoformat(),
        "units": 1,
    }
    assert (await api(SESSION, {"input": bad_window}, token=admin))["createSnapUpSession"]["errors"][0][
        "code"
    ] == "INVALID_DATE_RANGE"
    retail_sku = {
        "skuId": gid(retail),
        "startsAt": now.isoformat(),
        "endsAt": (now + timedelta(hours=1)).isoformat(),
        "units": 1,
    }
    assert (await api(SESSION, {"input": retail_sku}, token=admin))["createSnapUpSession"]["errors"][0][
        "code"
    ] == "INVALID_INPUT"
    too_many = {
        "skuId": gid(wholesale),
        "startsAt": now.isoformat(),
        "endsAt": (now + timedelta(hours=1)).isoformat(),
        "units": 101,
    }
    assert (await api(SESSION, {"input": too_many}, token=admin))["createSnapUpSession"]["errors"][0][
        "code"
    ] == "INVALID_STOCK"
    assert await SnapUpSession.all().count() == 0
