"""Coupons over GraphQL (MKT-1, MKT-6): templates by admins and by merchants (decimal money
inputs, global ids), the storefront's list, claims and their limits, issues, my coupons,
node refetches. Refusals answer stable codes and change nothing."""

from __future__ import annotations

from models.marketing import CouponTemplate, UserCoupon
from tests.api.ops_marketing import AVAILABLE, CLAIM, CREATE, ISSUE, MINE, STATUS_CHANGE, TEMPLATES
from tests.catalog_factories import make_merchant, make_product
from tests.helpers import gid, make_user, pk_of, token_for


def template_input(**fields) -> dict:
    return (
        {"name": "满100减10", "kind": "THRESHOLD", "amount": "10.00", "threshold": "100.00", "totalQuantity": 2}
        | {"validDays": 7}
        | fields
    )


async def counts() -> tuple[int, int]:
    return await CouponTemplate.all().count(), await UserCoupon.all().count()


async def create(api, token, **fields) -> dict:
    return (await api(CREATE, {"input": template_input(**fields)}, token))["createCouponTemplate"]


async def test_admin_and_merchant_templates_the_storefront_claims_and_my_coupons(api):
    admin = await token_for(await make_user("admin", roles=("admin",)))
    merchant = await make_merchant()
    product = await make_product(merchant)
    owner = await token_for(await merchant.owner)

    made = await create(api, admin, scope={"categoryIds": [gid("Category", product.category_id)]})
    assert made["errors"] == []
    platform = made["template"]
    assert (platform["merchantId"], platform["status"], platform["amount"], platform["threshold"]) == (
        None,
        "ACTIVE",
        {"amount": "10.00"},
        {"amount": "100.00"},
    )
    assert platform["scope"]["categoryIds"] == [gid("Category", product.category_id)]
    assert platform["scope"]["excludedZones"] == ["WHOLESALE"]
    own = (
        await create(
            api,
            owner,
            merchantId=gid(merchant),
            kind="PERCENT",
            amount=None,
            threshold=None,
            rateBp=1500,
            cap="30.00",
            scope={"productIds": [gid(product)]},
        )
    )["template"]
    assert (own["merchantId"], own["rateBp"], own["cap"]) == (gid(merchant), 1500, {"amount": "30.00"})

    anonymous = (await api(AVAILABLE, {}))["availableCoupons"]["nodes"]
    assert [n["id"] for n in anonymous] == [own["id"], platform["id"]] and anonymous[0]["claimedByMe"] == 0
    buyer = await token_for(await make_user("buyer"))
    claimed = (await api(CLAIM, {"t": platform["id"]}, buyer))["claimCoupon"]
    assert claimed["errors"] == [] and claimed["coupon"]["status"] == "CLAIMED"
    assert claimed["coupon"]["template"]["id"] == platform["id"] and claimed["coupon"]["discount"] is None
    again = (await api(CLAIM, {"t": platform["id"]}, buyer))["claimCoupon"]
    assert again == {"coupon": None, "errors": [{"code": "COUPON_LIMIT_REACHED", "field": ["templateId"]}]}
    mine = (await api(AVAILABLE, {"m": None}, buyer))["availableCoupons"]["nodes"]
    assert [n["claimedByMe"] for n in mine] == [0, 1]
    assert [n["id"] for n in (await api(AVAILABLE, {"m": gid(merchant)}))["availableCoupons"]["nodes"]] == [own["id"]]

    second = await token_for(await make_user("second"))
    assert (await api(CLAIM, {"t": platform["id"]}, second))["claimCoupon"]["errors"] == []
    third = await token_for(await make_user("third"))
    before = await counts()
    exhausted = (await api(CLAIM, {"t": platform["id"]}, third))["claimCoupon"]
    assert exhausted["errors"] == [{"code": "COUPONS_EXHAUSTED", "field": ["templateId"]}]
    assert await counts() == before
    assert platform["id"] not in [n["id"] for n in (await api(AVAILABLE, {}))["availableCoupons"]["nodes"]]

    listed = (await api(TEMPLATES, {}, admin))["couponTemplates"]["nodes"]
    assert [(n["id"], n["claimedCount"], n["remaining"], n["usedCount"]) for n in listed] == [(platform["id"], 2, 0, 0)]
    theirs = (await api(TEMPLATES, {"m": gid(merchant)}, owner))["couponTemplates"]["nodes"]
    assert [n["id"] for n in theirs] == [own["id"]]
    assert [n["id"] for n in (await api(TEMPLATES, {}, owner))["couponTemplates"]["nodes"]] == [own["id"]]
    my = (await api(MINE, {}, buyer))["myCoupons"]["nodes"]
    assert [(c["template"]["id"], c["status"], c["source"]) for c in my] == [(platform["id"], "CLAIMED", "CLAIM")]
    node = await api(
        "query($id: ID!) { node(id: $id) { ... on UserCoupon { id status } } }", {"id": my[0]["id"]}, buyer
    )
    assert node["node"] == {"id": my[0]["id"], "status": "CLAIMED"}
    other = await api("query($id: ID!) { node(id: $id) { id } }", {"id": my[0]["id"]}, second)
    assert other["node"] is None  # another user's coupon
    refetched = await api(
        "query($id: ID!) { node(id: $id) { ... on CouponTemplate { id usedCount } } }", {"id": platform["id"]}, admin
    )
    assert refetched["node"] == {"id": platform["id"], "usedCount": 0}


async def test_refusals_have_codes_and_change_nothing(api):
    admin = await token_for(await make_user("admin", roles=("admin",)))
    merchant, other = await make_merchant(), await make_merchant()
    theirs = await make_product(other)
    owner = await token_for(await merchant.owner)
    customer = await token_for(await make_user("c"))
    cases = [
        (admin, dict(kind="PERCENT", amount=None, threshold=None, rateBp=10001), "INVALID_RATE", ["rateBp"]),
        (admin, dict(amount="-1.00"), "INVALID_AMOUNT", ["amount"]),
        (admin, dict(amount="200.00"), "INVALID_AMOUNT", ["threshold"]),
        (admin, dict(validDays=None), "INVALID_INPUT", ["validDays"]),
        (customer, {}, "FORBIDDEN", None),
        (owner, {}, "FORBIDDEN", None),
        (owner, dict(merchantId=gid(other)), "FORBIDDEN", None),
        (
            owner,
            dict(merchantId=gid(merchant), scope={"productIds": [gid(theirs)]}),
            "FORBIDDEN",
            ["scope", "productIds"],
        ),
        (admin, dict(merchantId=gid(theirs)), "INVALID_ID", ["merchantId"]),
    ]
    for token, fields, code, field in cases:
        before = await counts()
        result = await create(api, token, **fields)
        assert result["template"] is None and [e["code"] for e in result["errors"]] == [code], (fields, result)
        assert result["errors"][0]["field"] == field, (fields, result)
        assert await counts() == before
    assert (await api("{ couponTemplates { nodes { id } } }", {}, customer))["couponTemplates"]["nodes"] == []
    body = await api.raw(TEMPLATES, {"m": gid(other)}, owner)
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_pause_end_and_issue(api):
    admin_user = await make_user("admin", roles=("admin",))
    admin = await token_for(admin_user)
    t = (await create(api, admin, totalQuantity=3, claimable=False))["template"]
    users = [await make_user(f"u{i}") for i in range(4)]
    buyer = await token_for(users[0])
    assert (await api(CLAIM, {"t": t["id"]}, buyer))["claimCoupon"]["errors"][0]["code"] == "NOT_FOUND"  # issue only
    before = await counts()
    too_many = (await api(ISSUE, {"t": t["id"], "users": [gid(u) for u in users]}, admin))["issueCoupons"]
    assert too_many == {"coupons": [], "errors": [{"code": "COUPONS_EXHAUSTED", "field": ["templateId"]}]}
    assert await counts() == before
    issued = (await api(ISSUE, {"t": t["id"], "users": [gid(u) for u in users[:2]]}, admin))["issueCoupons"]
    assert [c["source"] for c in issued["coupons"]] == ["ISSUE", "ISSUE"]
    assert await UserCoupon.filter(user_id__in=[u.id for u in users[:2]]).count() == 2
    assert (await api(MINE, {}, buyer))["myCoupons"]["nodes"][0]["source"] == "ISSUE"

    paused = (await api(STATUS_CHANGE % "pauseCouponTemplate", {"id": t["id"]}, admin))["pauseCouponTemplate"]
    assert paused["template"]["status"] == "PAUSED"
    refused = (await api(ISSUE, {"t": t["id"], "users": [gid(users[3])]}, admin))["issueCoupons"]
    assert refused["errors"][0]["code"] == "COUPON_UNAVAILABLE"
    again = (await api(STATUS_CHANGE % "pauseCouponTemplate", {"id": t["id"]}, admin))["pauseCouponTemplate"]
    assert again["errors"] == [{"code": "INVALID_TRANSITION", "field": ["id"]}]
    active = (await api(STATUS_CHANGE % "activateCouponTemplate", {"id": t["id"]}, admin))["activateCouponTemplate"]
    assert active["template"]["status"] == "ACTIVE"
    ended = (await api(STATUS_CHANGE % "endCouponTemplate", {"id": t["id"]}, admin))["endCouponTemplate"]
    assert ended["template"]["status"] == "ENDED"
    assert pk_of(ended["template"]["id"]) == pk_of(t["id"])
    customer = await token_for(users[3])
    forbidden = (await api(STATUS_CHANGE % "endCouponTemplate", {"id": t["id"]}, customer))["endCouponTemplate"]
    assert forbidden["errors"][0]["code"] == "FORBIDDEN"
