"""Becoming a distributor (DIS-3) through GraphQL: AUTO (the default), THRESHOLD (accepted at
once or refused saying what is missing), APPROVAL (review queue, approve / reject with a
reason, the admin channel told after each change of the queue), stable codes that change
nothing, and commissions of non-distributor uplines skipped (the platform keeps them, the
chain is not compressed)."""

from __future__ import annotations

import asyncio

from models.access import UserRole
from models.distribution import Commission
from models.distributors import DistributorApplication, DistributorSettingsChange
from services.core.money import fen_to_decimal_string as yuan
from services.distribution import distributors
from services.ledger import ledger
from tests.api import ops_distributor_centre as ops
from tests.api.test_distribution import buy, configure, member, merchant_pending
from tests.conftest import requires_postgres
from tests.helpers import gid, make_user, pk_of, token_for
from tests.order_factories import make_shop


async def admin_token() -> str:
    return await token_for(await make_user("管理员", roles=("admin",)))


async def set_mode(api, mode: str, *, spent: int = 0, orders: int = 0, match: str = "ALL", token=None) -> dict:
    result = (
        await api(
            ops.SETTINGS,
            {"i": {"mode": mode, "minSpent": yuan(spent), "minPaidOrders": orders, "match": match}},
            token=token or await admin_token(),
        )
    )["updateDistributorSettings"]
    assert result["errors"] == [], result
    return result["settings"]


async def status(api, user) -> dict:
    return (await api(ops.STATUS, token=await token_for(user)))["myDistributorStatus"]


async def apply(api, user) -> dict:
    return (await api(ops.APPLY, token=await token_for(user)))["applyForDistributor"]


async def is_role_holder(user) -> bool:
    return await UserRole.filter(user_id=user.id, role__code="distributor").exists()


# --------------------------------------------------------------------------- AUTO


async def test_auto_is_the_default_everyone_is_a_distributor_and_applying_changes_nothing(api):
    user = await make_user("阿强")
    assert (await api(ops.READ_SETTINGS, token=await admin_token()))["distributorSettings"] == {
        "mode": "AUTO",
        "minSpent": {"amount": "0.00"},
        "minPaidOrders": 0,
        "match": "ALL",
        "updatedAt": None,
    }
    got = await status(api, user)
    assert (got["mode"], got["isDistributor"], got["application"], got["missing"]) == ("AUTO", True, None, [])

    result = await apply(api, user)
    assert [e["code"] for e in result["errors"]] == ["ALREADY_DISTRIBUTOR"] and result["application"] is None
    assert await DistributorApplication.all().count() == 0 and not await is_role_holder(user)


async def test_settings_need_the_permission_and_bad_settings_change_nothing(api):
    user = await make_user("路人")
    body = await api.raw(ops.SETTINGS, {"i": {"mode": "APPROVAL"}}, token=await token_for(user))
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    token = await admin_token()
    bad = (await api(ops.SETTINGS, {"i": {"mode": "THRESHOLD"}}, token=token))["updateDistributorSettings"]
    assert [(e["code"], e["field"]) for e in bad["errors"]] == [("INVALID_INPUT", ["minSpent"])]
    negative = (await api(ops.SETTINGS, {"i": {"mode": "THRESHOLD", "minSpent": "-0.01"}}, token=token))[
        "updateDistributorSettings"
    ]
    assert [e["code"] for e in negative["errors"]] == ["INVALID_AMOUNT"]
    assert (await api(ops.READ_SETTINGS, token=token))["distributorSettings"]["mode"] == "AUTO"
    assert await DistributorSettingsChange.all().count() == 0

    saved = await set_mode(api, "THRESHOLD", spent=50_000, orders=2, match="ANY", token=token)
    assert (saved["mode"], saved["minSpent"], saved["minPaidOrders"], saved["match"]) == (
        "THRESHOLD",
        {"amount": "500.00"},
        2,
        "ANY",
    )
    change = await DistributorSettingsChange.get()
    assert change.before["mode"] == "AUTO" and change.after == {
        "mode": "THRESHOLD",
        "min_spent": 50_000,
        "min_paid_orders": 2,
        "match": "ANY",
    }


# --------------------------------------------------------------------------- THRESHOLD


async def test_threshold_refuses_saying_what_is_missing_then_accepts_once_met(api):
    merchant, _, [sku] = await make_shop(price=10_000, stock=50)
    await set_mode(api, "THRESHOLD", spent=15_000, orders=2)
    user, address = await member("小明", wallet=100_000)

    refused = await apply(api, user)
    assert [e["code"] for e in refused["errors"]] == ["DISTRIBUTOR_THRESHOLD_NOT_MET"]
    assert "150.00" in refused["errors"][0]["message"] and "2 more paid order" in refused["errors"][0]["message"]
    assert await DistributorApplication.all().count() == 0 and not await is_role_holder(user)

    await buy(api, user, address, sku.id, 2)  # 200.00 spent, but one paid order
    got = await status(api, user)
    assert (got["isDistributor"], got["spent"]["amount"], got["paidOrders"]) == (False, "200.00", 1)
    assert got["missing"] == ["1 more paid order(s)"]
    refused = await apply(api, user)
    assert [e["code"] for e in refused["errors"]] == ["DISTRIBUTOR_THRESHOLD_NOT_MET"]
    assert "spend" not in refused["errors"][0]["message"]

    await buy(api, user, address, sku.id, 1)
    accepted = await apply(api, user)
    assert accepted["errors"] == []
    assert (
        accepted["application"]["status"],
        accepted["application"]["mode"],
        accepted["application"]["paidOrders"],
    ) == ("APPROVED", "THRESHOLD", 2)
    assert await is_role_holder(user)
    got = await status(api, user)
    assert (got["isDistributor"], got["application"]["status"], got["missing"]) == (True, "APPROVED", [])

    again = await apply(api, user)
    assert [e["code"] for e in again["errors"]] == ["ALREADY_DISTRIBUTOR"]
    assert await DistributorApplication.all().count() == 1


async def test_threshold_any_accepts_on_one_condition(api):
    merchant, _, [sku] = await make_shop(price=10_000, stock=50)
    await set_mode(api, "THRESHOLD", spent=5_000, orders=3, match="ANY")
    user, address = await member("小红", wallet=100_000)
    await buy(api, user, address, sku.id, 1)  # 100.00 ≥ 50.00; one order of three
    assert (await apply(api, user))["application"]["status"] == "APPROVED"


# --------------------------------------------------------------------------- APPROVAL


async def test_approval_queue_review_and_events(api, published):
    admin = await admin_token()
    await set_mode(api, "APPROVAL", token=admin)
    first, second = await make_user("张三"), await make_user("李四")
    published.clear()

    applied = await apply(api, first)
    assert applied["errors"] == [] and applied["application"]["status"] == "PENDING_REVIEW"
    assert applied["application"]["applicantNickname"] == "张*"
    assert published == [("admin", {"type": "REVIEW_QUEUE_CHANGED", "queue": "DISTRIBUTOR_APPLICATIONS"})]
    assert await distributors.pending_review_count() == 1

    published.clear()
    for _ in range(2):  # applying again while pending changes nothing
        again = await apply(api, first)
        assert [e["code"] for e in again["errors"]] == ["DISTRIBUTOR_APPLICATION_PENDING"]
    assert published == [] and await DistributorApplication.all().count() == 1
    assert not (await status(api, first))["isDistributor"]
    assert (await status(api, first))["application"]["status"] == "PENDING_REVIEW"

    await apply(api, second)
    queue = await api(ops.QUEUE, {"s": "PENDING_REVIEW"}, token=admin)
    assert queue["pendingDistributorApplications"] == 2
    assert [n["applicantId"] for n in queue["distributorApplications"]["nodes"]] == [gid(second), gid(first)]
    page = (await api(ops.QUEUE, {"s": "PENDING_REVIEW", "first": 1}, token=admin))["distributorApplications"]
    assert page["pageInfo"]["hasNextPage"] and len(page["nodes"]) == 1

    # permissions: a user cannot review
    app_id = applied["application"]["id"]
    body = await api.raw(ops.REVIEW, {"id": app_id, "ok": True}, token=await token_for(second))
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    body = await api.raw(ops.QUEUE, {}, token=await token_for(second))
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"

    # rejecting needs a reason; nothing changes without it
    published.clear()
    no_reason = (await api(ops.REVIEW, {"id": app_id, "ok": False, "r": "  "}, token=admin))[
        "reviewDistributorApplication"
    ]
    assert [(e["code"], e["field"]) for e in no_reason["errors"]] == [("INVALID_INPUT", ["reason"])]
    unknown = (await api(ops.REVIEW, {"id": gid("DistributorApplication", 999999), "ok": True}, token=admin))[
        "reviewDistributorApplication"
    ]
    assert [e["code"] for e in unknown["errors"]] == ["NOT_FOUND"]
    assert published == [] and await distributors.pending_review_count() == 2

    rejected = (await api(ops.REVIEW, {"id": app_id, "ok": False, "r": "资料不全"}, token=admin))[
        "reviewDistributorApplication"
    ]
    assert rejected["errors"] == [] and (rejected["application"]["status"], rejected["application"]["reason"]) == (
        "REJECTED",
        "资料不全",
    )
    assert rejected["application"]["reviewedAt"] is not None
    assert published == [("admin", {"type": "REVIEW_QUEUE_CHANGED", "queue": "DISTRIBUTOR_APPLICATIONS"})]
    row = await DistributorApplication.get(id=pk_of(app_id))
    assert row.pending_user_id is None and row.reviewed_by_id is not None
    assert not await is_role_holder(first)

    # a decided application cannot be decided again
    published.clear()
    twice = (await api(ops.REVIEW, {"id": app_id, "ok": True}, token=admin))["reviewDistributorApplication"]
    assert [e["code"] for e in twice["errors"]] == ["INVALID_TRANSITION"]
    assert published == [] and not await is_role_holder(first)

    # after a rejection one may apply again; approval grants the role
    reapplied = await apply(api, first)
    assert reapplied["application"]["status"] == "PENDING_REVIEW"
    approved = (await api(ops.REVIEW, {"id": reapplied["application"]["id"], "ok": True}, token=admin))[
        "reviewDistributorApplication"
    ]
    assert approved["application"]["status"] == "APPROVED" and await is_role_holder(first)
    assert (await status(api, first))["isDistributor"] is True
    assert [e["code"] for e in (await apply(api, first))["errors"]] == ["ALREADY_DISTRIBUTOR"]
    rejected_list = (await api(ops.QUEUE, {"s": "REJECTED"}, token=admin))["distributorApplications"]["nodes"]
    assert [n["id"] for n in rejected_list] == [app_id]
    assert (await api(ops.QUEUE, {}, token=admin))["pendingDistributorApplications"] == 1


# --------------------------------------------------------------------------- who earns


async def test_non_distributor_levels_are_skipped_not_compressed(api):
    """A→B→C→D, D buys: level 1 is C, 2 is B, 3 is A. Under APPROVAL with only A and C
    distributors, B's share stays with the merchant (the platform does not pay it) and A
    is still paid at level 3, never moved up to level 2."""
    await configure(api, [("PERCENT", 1000), ("PERCENT", 500), ("PERCENT", 200)])
    merchant, _, [sku] = await make_shop(price=10_000, stock=50)
    a, _ = await member("阿A")
    b, _ = await member("阿B", upline=a)
    c, _ = await member("阿C", upline=b)
    d, d_address = await member("阿D", upline=c, wallet=100_000)
    admin = await admin_token()
    await set_mode(api, "APPROVAL", token=admin)
    for user in (a, c):
        app = (await apply(api, user))["application"]
        assert (await api(ops.REVIEW, {"id": app["id"], "ok": True}, token=admin))["reviewDistributorApplication"][
            "errors"
        ] == []

    await buy(api, d, d_address, sku.id, 1)
    booked = sorted((c_.beneficiary_id, c_.level, c_.amount) for c_ in await Commission.all())
    assert booked == sorted([(c.id, 1, 1_000), (a.id, 3, 200)])
    assert await merchant_pending(merchant) == 10_000 - 1_200  # B's 500 is not paid out
    assert await ledger.check_invariants() == []

    await set_mode(api, "AUTO", token=admin)  # back to AUTO: everyone earns again
    await buy(api, d, d_address, sku.id, 1)
    assert await Commission.filter(beneficiary_id=b.id, level=2, amount=500).count() == 1
    assert await ledger.check_invariants() == []


# --------------------------------------------------------------------------- races (PostgreSQL)


@requires_postgres
async def test_concurrent_applications_leave_one_pending(api):
    await set_mode(api, "APPROVAL")
    user = await make_user("并发")
    token = await token_for(user)
    results = await asyncio.gather(*(api(ops.APPLY, token=token) for _ in range(5)))
    codes = sorted(e["code"] for r in results for e in r["applyForDistributor"]["errors"])
    assert codes == ["DISTRIBUTOR_APPLICATION_PENDING"] * 4
    assert await DistributorApplication.filter(status="PENDING").count() == 1


@requires_postgres
async def test_concurrent_reviews_decide_once(api):
    await set_mode(api, "APPROVAL")
    user = await make_user("并发")
    app_id = (await apply(api, user))["application"]["id"]
    admin = await admin_token()
    results = await asyncio.gather(
        api(ops.REVIEW, {"id": app_id, "ok": True}, token=admin),
        api(ops.REVIEW, {"id": app_id, "ok": False, "r": "no"}, token=admin),
        api(ops.REVIEW, {"id": app_id, "ok": True}, token=admin),
    )
    ok = [r for r in results if not r["reviewDistributorApplication"]["errors"]]
    assert len(ok) == 1
    row = await DistributorApplication.get(id=pk_of(app_id))
    assert await is_role_holder(user) == (row.status == "APPROVED")


@requires_postgres
async def test_concurrent_threshold_applications_grant_once(api):
    merchant, _, [sku] = await make_shop(price=10_000, stock=50)
    await set_mode(api, "THRESHOLD", orders=1)
    user, address = await member("并发", wallet=100_000)
    await buy(api, user, address, sku.id, 1)
    token = await token_for(user)
    results = await asyncio.gather(*(api(ops.APPLY, token=token) for _ in range(4)))
    codes = sorted(e["code"] for r in results for e in r["applyForDistributor"]["errors"])
    assert codes == ["ALREADY_DISTRIBUTOR"] * 3
    assert await DistributorApplication.filter(status="APPROVED").count() == 1
    assert await UserRole.filter(user_id=user.id, role__code="distributor").count() == 1
