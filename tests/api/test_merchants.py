"""Merchants (MER-1, MER-3): application, review state machine, self-operated merchant,
settings, commission rates, staff, and who may see and change what."""

import pytest

import settings
from models.accounts import User
from models.catalog import Category
from models.merchants import Merchant, MerchantCategoryRate, MerchantReview, MerchantStaff, Store
from models.notifications import Notification
from services.accounts.access import MERCHANT_PERMISSIONS
from services.core.errors import DomainError, ErrorCode
from services.merchants import merchants as merchant_service
from tests.conftest import requires_postgres
from tests.helpers import at, gid, make_user, next_phone, pk_of, token_for

APPLICATION = {
    "name": "山野茶铺",
    "legalName": "杭州山野茶业有限公司",
    "businessLicenseNo": "91330100MA2XXXXX1",
    "contactName": "李四",
    "contactPhone": "13800138000",
    "description": "高山茶",
    "logoUrl": "https://img.example.com/l.png",
}
APPLY = "mutation($a: MerchantApplicationInput!) { applyForMerchant(input: $a) { merchant { id name status kind contactPhone } errors { code field } } }"
REVIEW = {
    "APPROVE": "mutation($id: ID!) { approveMerchant(id: $id) { merchant { status } errors { code field } } }",
    "REJECT": 'mutation($id: ID!) { rejectMerchant(id: $id, reason: "licence unreadable") { merchant { status rejectReason } errors { code field } } }',
    "SUSPEND": 'mutation($id: ID!) { suspendMerchant(id: $id, reason: "complaints") { merchant { status } errors { code field } } }',
    "REINSTATE": "mutation($id: ID!) { reinstateMerchant(id: $id) { merchant { status } errors { code field } } }",
}
FIELD = {
    "APPROVE": "approveMerchant",
    "REJECT": "rejectMerchant",
    "SUSPEND": "suspendMerchant",
    "REINSTATE": "reinstateMerchant",
}
SETTINGS = "mutation($m: ID!, $s: MerchantSettingsInput!) { updateMerchantSettings(merchantId: $m, input: $s) { merchant { shippingFee { amount currency } freeShippingThreshold { amount } lowStockThreshold autoDelistAtZero description logoUrl contactPhone } errors { code field } } }"
ADD_STAFF = "mutation($m: ID!, $u: ID, $p: String, $perms: [String!]!) { addMerchantStaff(merchantId: $m, userId: $u, phone: $p, permissions: $perms) { staff { id permissions user { id } } errors { code field } } }"
UPDATE_STAFF = "mutation($m: ID!, $u: ID!, $perms: [String!]!) { updateMerchantStaff(merchantId: $m, userId: $u, permissions: $perms) { staff { permissions } errors { code field } } }"
REMOVE_STAFF = (
    "mutation($m: ID!, $u: ID!) { removeMerchantStaff(merchantId: $m, userId: $u) { ok errors { code field } } }"
)
RATE = "mutation($m: ID!, $r: Int!) { setMerchantCommissionRate(merchantId: $m, rateBp: $r) { merchant { commissionRateBp } errors { code field } } }"
CATEGORY_RATE = "mutation($m: ID!, $c: ID!, $r: Int) { setMerchantCategoryRate(merchantId: $m, categoryId: $c, rateBp: $r) { merchant { categoryRates { categoryId commissionRateBp } } errors { code field } } }"
MANAGED = "query($id: ID!) { managedMerchant(id: $id) { id name status contactPhone myPermissions } }"
STORE_INPUT = {
    "name": "西湖店",
    "provinceCode": "330000",
    "cityCode": "330100",
    "countyCode": "330106",
    "address": "文三路 90 号",
    "latitude": 30.27,
    "longitude": 120.13,
}
CREATE_STORE = "mutation($m: ID!, $s: StoreInput!) { createStore(merchantId: $m, input: $s) { store { id } errors { code field } } }"


async def make_merchant(owner: User | None = None, *, status: str = "ACTIVE", name: str | None = None) -> Merchant:
    owner = owner or await make_user("owner")
    return await Merchant.create(name=name or f"shop-{next_phone()}", owner_id=owner.id, status=status)


async def make_staff(merchant: Merchant, permissions: list[str]) -> User:
    user = await make_user("staff")
    await MerchantStaff.create(merchant_id=merchant.id, user_id=user.id, permissions=permissions)
    return user


async def admin_token() -> str:
    return await token_for(await make_user("admin", roles=("admin",)))


async def test_apply_creates_a_pending_merchant_owned_by_the_applicant(api):
    user = await make_user()
    token = await token_for(user)
    result = (await api(APPLY, {"a": APPLICATION}, token=token))["applyForMerchant"]
    assert result["errors"] == []
    assert result["merchant"] | {"id": None} == {
        "id": None,
        "name": "山野茶铺",
        "status": "PENDING_REVIEW",
        "kind": "THIRD_PARTY",
        "contactPhone": "+8613800138000",
    }
    merchant = await Merchant.get(id=pk_of(result["merchant"]["id"]))
    assert merchant.owner_id == user.id and merchant.business_license_no == APPLICATION["businessLicenseNo"]
    mine = (await api("{ myMerchants { role status permissions merchant { id name } } }", token=token))["myMerchants"]
    assert mine == [
        {
            "role": "OWNER",
            "status": "PENDING_REVIEW",
            "permissions": sorted([*MERCHANT_PERMISSIONS, "merchant.staff"]),
            "merchant": {"id": gid(merchant), "name": "山野茶铺"},
        }
    ]
    # not public while pending
    assert (await api("query($id: ID!) { merchant(id: $id) { id } }", {"id": gid(merchant)}))["merchant"] is None


async def test_bad_applications_are_refused_and_nothing_is_written(api):
    token = await token_for(await make_user())
    cases = [
        ({"name": "  "}, "INVALID_INPUT", "name"),
        ({"name": "x" * 65}, "INVALID_INPUT", "name"),
        ({"legalName": ""}, "INVALID_INPUT", "legalName"),
        ({"businessLicenseNo": ""}, "INVALID_INPUT", "businessLicenseNo"),
        ({"contactPhone": "12"}, "INVALID_PHONE", "contactPhone"),
        ({"logoUrl": "javascript:alert(1)"}, "INVALID_INPUT", "logoUrl"),
    ]
    for change, code, field in cases:
        result = (await api(APPLY, {"a": {**APPLICATION, **change}}, token=token))["applyForMerchant"]
        assert result == {"merchant": None, "errors": [{"code": code, "field": at(field)}]}, change
    assert await Merchant.all().count() == 0


async def test_one_open_application_per_user(api):
    token = await token_for(await make_user())
    assert (await api(APPLY, {"a": APPLICATION}, token=token))["applyForMerchant"]["errors"] == []
    again = (await api(APPLY, {"a": {**APPLICATION, "name": "另一家"}}, token=token))["applyForMerchant"]
    assert again == {"merchant": None, "errors": [{"code": "ALREADY_APPLIED", "field": None}]}
    assert await Merchant.all().count() == 1


async def test_merchant_names_are_unique(api):
    await api(APPLY, {"a": APPLICATION}, token=await token_for(await make_user()))
    token = await token_for(await make_user())
    for name in ("山野茶铺", " 山野茶铺 "):
        result = (await api(APPLY, {"a": {**APPLICATION, "name": name}}, token=token))["applyForMerchant"]
        assert result["errors"] == [{"code": "MERCHANT_NAME_TAKEN", "field": ["name"]}]
    await make_merchant(name="Tea House")
    result = (await api(APPLY, {"a": {**APPLICATION, "name": "tea house"}}, token=token))["applyForMerchant"]
    assert result["errors"] == [{"code": "MERCHANT_NAME_TAKEN", "field": ["name"]}]
    assert await Merchant.all().count() == 2


async def test_review_lifecycle_is_audited_and_notified(api):
    owner = await make_user()
    merchant_id = (await api(APPLY, {"a": APPLICATION}, token=await token_for(owner)))["applyForMerchant"]["merchant"][
        "id"
    ]
    admin_user = await make_user("admin", roles=("admin",))
    admin = await token_for(admin_user)
    for action, status in (("APPROVE", "ACTIVE"), ("SUSPEND", "SUSPENDED"), ("REINSTATE", "ACTIVE")):
        result = (await api(REVIEW[action], {"id": merchant_id}, token=admin))[FIELD[action]]
        assert result == {"merchant": {"status": status}, "errors": []}, action
    reviews = await MerchantReview.filter(merchant_id=pk_of(merchant_id)).order_by("id")
    assert [(r.action, r.from_status, r.to_status, r.actor_id) for r in reviews] == [
        ("APPROVE", "PENDING", "ACTIVE", admin_user.id),
        ("SUSPEND", "ACTIVE", "SUSPENDED", admin_user.id),
        ("REINSTATE", "SUSPENDED", "ACTIVE", admin_user.id),
    ]
    assert reviews[1].reason == "complaints"
    notes = await Notification.filter(user_id=owner.id).order_by("id").values_list("kind", flat=True)
    assert notes == ["MERCHANT_APPROVE", "MERCHANT_SUSPEND", "MERCHANT_REINSTATE"]
    public = await api(
        "query($id: ID!) { merchant(id: $id) { id name kind logoUrl description } }", {"id": merchant_id}
    )
    assert public["merchant"] == {
        "id": merchant_id,
        "name": "山野茶铺",
        "kind": "THIRD_PARTY",
        "logoUrl": APPLICATION["logoUrl"],
        "description": "高山茶",
    }
    history = await api(
        "query($id: ID!) { managedMerchant(id: $id) { reviews { action fromStatus toStatus reason } } }",
        {"id": merchant_id},
        token=admin,
    )
    assert [r["action"] for r in history["managedMerchant"]["reviews"]] == ["APPROVE", "SUSPEND", "REINSTATE"]


async def test_public_merchant_view_has_no_private_fields(api):
    from schema.schema import schema

    fields = {f.name for f in schema.get_type_by_name("Merchant").fields}
    assert fields == {"id", "name", "kind", "description", "logo_url"}
    suspended = await make_merchant(status="SUSPENDED")
    assert (await api("query($id: ID!) { merchant(id: $id) { id } }", {"id": gid(suspended)}))["merchant"] is None
    assert await api.error_code('{ merchant(id: "nope") { id } }') == "INVALID_ID"


@pytest.mark.parametrize("status", ["PENDING", "ACTIVE", "REJECTED", "SUSPENDED"])
async def test_invalid_transitions_change_nothing(api, status):
    merchant = await make_merchant(status=status)
    admin = await admin_token()
    allowed = {action for action in REVIEW if merchant_service.MERCHANT_STATES.allows(action, status)}
    for action in sorted(set(REVIEW) - allowed):
        result = (await api(REVIEW[action], {"id": gid(merchant)}, token=admin))[FIELD[action]]
        assert result == {"merchant": None, "errors": [{"code": "INVALID_TRANSITION", "field": ["id"]}]}, (
            status,
            action,
        )
    assert (await Merchant.get(id=merchant.id)).status == status
    assert await MerchantReview.all().count() == 0 and await Notification.all().count() == 0


def test_transition_table_is_exactly_the_specified_one():
    table = merchant_service.MERCHANT_STATES.transitions
    assert {(s, action): t.target for action, t in table.items() for s in t.sources} == {
        ("PENDING", "APPROVE"): "ACTIVE",
        ("PENDING", "REJECT"): "REJECTED",
        ("ACTIVE", "SUSPEND"): "SUSPENDED",
        ("SUSPENDED", "REINSTATE"): "ACTIVE",
    }
    with pytest.raises(DomainError) as caught:
        merchant_service.MERCHANT_STATES.target("APPROVE", "REJECTED")
    assert caught.value.code == ErrorCode.INVALID_TRANSITION


async def test_reject_needs_a_reason_and_unknown_merchants_are_not_found(api):
    merchant = await make_merchant(status="PENDING")
    admin = await admin_token()
    result = await api(
        'mutation($id: ID!) { rejectMerchant(id: $id, reason: " ") { errors { code field } } }',
        {"id": gid(merchant)},
        token=admin,
    )
    assert result["rejectMerchant"]["errors"] == [{"code": "INVALID_INPUT", "field": ["reason"]}]
    result = await api(REVIEW["APPROVE"], {"id": gid("Merchant", 999999)}, token=admin)
    assert result["approveMerchant"]["errors"] == [{"code": "NOT_FOUND", "field": ["id"]}]
    assert (await Merchant.get(id=merchant.id)).status == "PENDING" and await MerchantReview.all().count() == 0


async def test_a_rejected_applicant_may_apply_again_with_the_same_name(api):
    owner = await make_user()
    token = await token_for(owner)
    first_id = (await api(APPLY, {"a": APPLICATION}, token=token))["applyForMerchant"]["merchant"]["id"]
    rejected = (await api(REVIEW["REJECT"], {"id": first_id}, token=await admin_token()))["rejectMerchant"]
    assert rejected == {"merchant": {"status": "REJECTED", "rejectReason": "licence unreadable"}, "errors": []}
    second = (await api(APPLY, {"a": APPLICATION}, token=token))["applyForMerchant"]
    assert (
        second["errors"] == []
        and second["merchant"]["status"] == "PENDING_REVIEW"
        and second["merchant"]["id"] != first_id
    )
    old = await Merchant.get(id=pk_of(first_id))
    assert old.status == "REJECTED" and old.name == "山野茶铺"  # keeps its name and history, blocks nobody
    assert await MerchantReview.filter(merchant_id=old.id).count() == 1


async def test_after_a_rejection_anyone_may_take_the_name_and_the_rejected_merchant_keeps_it(api):
    owner = await make_user()
    owner_token = await token_for(owner)
    first_id = (await api(APPLY, {"a": APPLICATION}, token=owner_token))["applyForMerchant"]["merchant"]["id"]
    admin = await admin_token()
    await api(REVIEW["REJECT"], {"id": first_id}, token=admin)
    second = (await api(APPLY, {"a": {**APPLICATION, "name": " 山野茶铺 "}}, token=await token_for(await make_user())))[
        "applyForMerchant"
    ]
    assert second["errors"] == [] and second["merchant"]["name"] == "山野茶铺"
    # the rejected merchant still shows its real name, to its owner and to administrators
    managed = await api("query($id: ID!) { managedMerchant(id: $id) { name status } }", {"id": first_id}, token=admin)
    assert managed["managedMerchant"] == {"name": "山野茶铺", "status": "REJECTED"}
    mine = (await api("{ myMerchants { status merchant { id name } } }", token=owner_token))["myMerchants"]
    assert mine == [{"status": "REJECTED", "merchant": {"id": first_id, "name": "山野茶铺"}}]
    # the new application holds the name now: a third one is refused, nothing written
    third = (await api(APPLY, {"a": {**APPLICATION, "name": "山野茶铺"}}, token=await token_for(await make_user())))[
        "applyForMerchant"
    ]
    assert third == {"merchant": None, "errors": [{"code": "MERCHANT_NAME_TAKEN", "field": ["name"]}]}
    assert await Merchant.filter(name="山野茶铺").count() == 2


@pytest.mark.parametrize("status", ["PENDING", "ACTIVE", "SUSPENDED", "REJECTED"])
async def test_a_name_is_held_by_every_merchant_not_rejected(api, status):
    await make_merchant(status=status, name="Tea House")
    token = await token_for(await make_user())
    result = (await api(APPLY, {"a": {**APPLICATION, "name": "TEA house"}}, token=token))["applyForMerchant"]
    if status == "REJECTED":
        assert result["errors"] == [] and result["merchant"]["name"] == "TEA house"
    else:
        assert result == {"merchant": None, "errors": [{"code": "MERCHANT_NAME_TAKEN", "field": ["name"]}]}
        assert await Merchant.all().count() == 1


async def test_the_partial_name_index_exists():
    # Created by plain SQL in migration 0004: a later SQLite table rebuild would silently drop it.
    from tortoise import Tortoise

    conn = Tortoise.get_connection("default")
    if settings.IS_POSTGRES:
        _, rows = await conn.execute_query(
            "SELECT indexdef AS sql FROM pg_indexes WHERE indexname = $1", [merchant_service.NAME_INDEX]
        )
    else:
        _, rows = await conn.execute_query(
            "SELECT sql FROM sqlite_master WHERE type = 'index' AND name = ?", [merchant_service.NAME_INDEX]
        )
    assert len(rows) == 1
    sql = rows[0]["sql"].upper()
    assert "UNIQUE" in sql and "LOWER" in sql and "REJECTED" in sql


async def test_migration_0004_gives_renamed_rejected_merchants_their_names_back():
    import importlib

    from tortoise import Tortoise

    migration = importlib.import_module("migrations.0004_merchant_name_partial_unique")
    renamed = await make_merchant(status="REJECTED", name="老店")
    await Merchant.filter(id=renamed.id).update(name=f"老店#{renamed.id}")
    cut = await make_merchant(status="REJECTED", name="x")
    await Merchant.filter(id=cut.id).update(name=("y" * 64)[: 64 - len(f"#{cut.id}")] + f"#{cut.id}")  # cut short: kept
    live = await make_merchant(status="ACTIVE", name="新店#1")
    await Tortoise.get_connection("default").execute_script(migration.FORWARD[0])
    assert (await Merchant.get(id=renamed.id)).name == "老店"
    assert (await Merchant.get(id=cut.id)).name.endswith(f"#{cut.id}")
    assert (await Merchant.get(id=live.id)).name == "新店#1"


@requires_postgres
async def test_concurrent_applications_for_one_name_make_one_merchant(api):
    import asyncio

    tokens = [await token_for(await make_user()) for _ in range(8)]
    results = await asyncio.gather(
        *(
            api(APPLY, {"a": {**APPLICATION, "name": name}}, token=t)
            for t, name in zip(tokens, ["竹林小馆", "竹林小馆 ", "竹林小馆"] * 3)
        )
    )
    outcomes = [r["applyForMerchant"]["errors"] for r in results]
    assert outcomes.count([]) == 1
    assert all(e == [{"code": "MERCHANT_NAME_TAKEN", "field": ["name"]}] for e in outcomes if e)
    assert await Merchant.filter(name="竹林小馆").count() == 1


async def test_a_failed_notification_rolls_the_decision_back(api, monkeypatch):
    from services.accounts import notifications

    async def broken(*args, **kwargs):
        raise RuntimeError("inbox down")

    monkeypatch.setattr(notifications, "notify", broken)
    merchant = await make_merchant(status="PENDING")
    body = await api.raw(REVIEW["APPROVE"], {"id": gid(merchant)}, token=await admin_token())
    assert body["errors"]
    assert (await Merchant.get(id=merchant.id)).status == "PENDING" and await MerchantReview.all().count() == 0


async def test_self_operated_merchant_is_created_once():
    first = await merchant_service.ensure_self_operated_merchant()
    second = await merchant_service.ensure_self_operated_merchant()
    assert first.id == second.id and first.kind == "SELF_OPERATED" and first.status == "ACTIVE"
    assert await Merchant.filter(kind="SELF_OPERATED").count() == 1
    owner = await User.get(id=first.owner_id)
    assert owner.nickname == "平台自营" and owner.phone is None
    assert await User.filter(nickname="平台自营").count() == 1


async def test_merchant_settings(api):
    owner = await make_user()
    merchant = await make_merchant(owner)
    token = await token_for(owner)
    change = {
        "shippingFee": "8.00",
        "freeShippingThreshold": "99",
        "lowStockThreshold": 3,
        "autoDelistAtZero": False,
        "description": "新简介",
        "logoUrl": "",
        "contactPhone": "+86 138 0013 8001",
    }
    result = (await api(SETTINGS, {"m": gid(merchant), "s": change}, token=token))["updateMerchantSettings"]
    assert result["errors"] == []
    assert result["merchant"] == {
        "shippingFee": {"amount": "8.00", "currency": "CNY"},
        "freeShippingThreshold": {"amount": "99.00"},
        "lowStockThreshold": 3,
        "autoDelistAtZero": False,
        "description": "新简介",
        "logoUrl": "",
        "contactPhone": "+8613800138001",
    }
    row = await Merchant.get(id=merchant.id)
    assert (row.shipping_fee, row.free_shipping_threshold) == (800, 9900)
    # omitted fields stay
    await api(SETTINGS, {"m": gid(merchant), "s": {"lowStockThreshold": 7}}, token=token)
    assert (await Merchant.get(id=merchant.id)).shipping_fee == 800


async def test_bad_settings_change_nothing(api):
    owner = await make_user()
    merchant = await make_merchant(owner)
    token = await token_for(owner)
    before = await Merchant.get(id=merchant.id)
    cases = [
        ({"shippingFee": "-0.01"}, "INVALID_AMOUNT", "shippingFee"),
        ({"freeShippingThreshold": "10000.01"}, "INVALID_AMOUNT", "freeShippingThreshold"),
        ({"lowStockThreshold": -1}, "INVALID_INPUT", "lowStockThreshold"),
        ({"logoUrl": "ftp://x"}, "INVALID_INPUT", "logoUrl"),
        ({"contactPhone": "abc"}, "INVALID_PHONE", "contactPhone"),
        ({"shippingFee": "1.00", "contactName": ""}, "INVALID_INPUT", "contactName"),
    ]
    for change, code, field in cases:
        result = (await api(SETTINGS, {"m": gid(merchant), "s": change}, token=token))["updateMerchantSettings"]
        assert result == {"merchant": None, "errors": [{"code": code, "field": at(field)}]}, change
    after = await Merchant.get(id=merchant.id)
    assert (
        after.shipping_fee,
        after.free_shipping_threshold,
        after.low_stock_threshold,
        after.logo_url,
        after.contact_name,
    ) == (
        before.shipping_fee,
        before.free_shipping_threshold,
        before.low_stock_threshold,
        before.logo_url,
        before.contact_name,
    )


async def test_commission_rates_and_category_overrides(api):
    merchant = await make_merchant()
    admin = await admin_token()
    food = await Category.create(name="食品")
    tea = await Category.create(name="茶", parent_id=food.id)
    await Category.filter(id=food.id).update(path=f"/{food.id}/")
    await Category.filter(id=tea.id).update(path=f"/{food.id}/{tea.id}/")
    other = await Category.create(name="服装", path="/")
    m = gid(merchant)
    assert (await api(RATE, {"m": m, "r": 500}, token=admin))["setMerchantCommissionRate"] == {
        "merchant": {"commissionRateBp": 500},
        "errors": [],
    }
    result = (await api(CATEGORY_RATE, {"m": m, "c": gid(food), "r": 1200}, token=admin))["setMerchantCategoryRate"]
    assert result == {
        "merchant": {"categoryRates": [{"categoryId": gid(food), "commissionRateBp": 1200}]},
        "errors": [],
    }
    assert await merchant_service.commission_rate_bp(merchant.id, food.id) == 1200
    assert await merchant_service.commission_rate_bp(merchant.id, tea.id) == 1200  # inherited from the parent
    assert await merchant_service.commission_rate_bp(merchant.id, other.id) == 500
    assert await merchant_service.commission_rate_bp(merchant.id, None) == 500
    await api(CATEGORY_RATE, {"m": m, "c": gid(tea), "r": 300}, token=admin)
    assert await merchant_service.commission_rate_bp(merchant.id, tea.id) == 300  # the nearest override wins
    assert await merchant_service.commission_rate_bp(merchant.id, food.id) == 1200
    await api(CATEGORY_RATE, {"m": m, "c": gid(food), "r": 1500}, token=admin)  # change in place
    assert await MerchantCategoryRate.filter(merchant_id=merchant.id).count() == 2
    await api(CATEGORY_RATE, {"m": m, "c": gid(food), "r": None}, token=admin)  # remove
    assert await merchant_service.commission_rate_bp(merchant.id, food.id) == 500
    with pytest.raises(DomainError) as caught:
        await merchant_service.commission_rate_bp(987654, None)
    assert caught.value.code == ErrorCode.NOT_FOUND


async def test_bad_rates_change_nothing(api):
    merchant = await make_merchant()
    category = await Category.create(name="食品")
    admin = await admin_token()
    m = gid(merchant)
    for rate in (-1, 10_001):
        assert (await api(RATE, {"m": m, "r": rate}, token=admin))["setMerchantCommissionRate"]["errors"] == [
            {"code": "INVALID_RATE", "field": ["rateBp"]}
        ]
        assert (await api(CATEGORY_RATE, {"m": m, "c": gid(category), "r": rate}, token=admin))[
            "setMerchantCategoryRate"
        ]["errors"] == [{"code": "INVALID_RATE", "field": ["rateBp"]}]
    missing = (await api(CATEGORY_RATE, {"m": m, "c": gid("Category", 999999), "r": 100}, token=admin))[
        "setMerchantCategoryRate"
    ]
    assert missing["errors"] == [{"code": "NOT_FOUND", "field": ["categoryId"]}]
    no_merchant = (await api(RATE, {"m": gid("Merchant", 999999), "r": 100}, token=admin))["setMerchantCommissionRate"]
    assert no_merchant["errors"] == [{"code": "NOT_FOUND", "field": ["merchantId"]}]
    assert (
        await Merchant.get(id=merchant.id)
    ).commission_rate_bp == 0 and await MerchantCategoryRate.all().count() == 0
    # the merchant itself cannot set its rate
    owner_token = await token_for(await User.get(id=merchant.owner_id))
    assert await api.error_code(RATE, {"m": m, "r": 0}, token=owner_token) == "FORBIDDEN"


async def test_staff_management(api):
    owner = await make_user()
    merchant = await make_merchant(owner)
    token = await token_for(owner)
    m = gid(merchant)
    clerk = await make_user("clerk")
    added = (
        await api(
            ADD_STAFF,
            {"m": m, "p": clerk.phone, "perms": ["merchant.orders", "merchant.products", "merchant.orders"]},
            token=token,
        )
    )["addMerchantStaff"]
    assert added["errors"] == [] and added["staff"]["permissions"] == ["merchant.orders", "merchant.products"]
    assert added["staff"]["user"] == {"id": gid(clerk)}
    assert await Notification.filter(user_id=clerk.id, kind="MERCHANT_STAFF_ADDED").count() == 1
    clerk_token = await token_for(clerk)
    mine = (await api("{ myMerchants { role permissions merchant { id } } }", token=clerk_token))["myMerchants"]
    assert mine == [{"role": "STAFF", "permissions": ["merchant.orders", "merchant.products"], "merchant": {"id": m}}]
    # without merchant.settings the clerk cannot change settings ...
    refused = (await api(SETTINGS, {"m": m, "s": {"shippingFee": "0.01"}}, token=clerk_token))["updateMerchantSettings"]
    assert refused["errors"] == [{"code": "FORBIDDEN", "field": None}]
    # ... until the owner grants it
    changed = (await api(UPDATE_STAFF, {"m": m, "u": gid(clerk), "perms": ["merchant.settings"]}, token=token))[
        "updateMerchantStaff"
    ]
    assert changed == {"staff": {"permissions": ["merchant.settings"]}, "errors": []}
    allowed = (await api(SETTINGS, {"m": m, "s": {"shippingFee": "0.01"}}, token=await token_for(clerk)))[
        "updateMerchantSettings"
    ]
    assert allowed["errors"] == []
    staff = await api(
        "query($id: ID!) { managedMerchant(id: $id) { staff { user { id } permissions } } }", {"id": m}, token=token
    )
    assert staff["managedMerchant"]["staff"] == [{"user": {"id": gid(clerk)}, "permissions": ["merchant.settings"]}]
    removed = (await api(REMOVE_STAFF, {"m": m, "u": gid(clerk)}, token=token))["removeMerchantStaff"]
    assert removed == {"ok": True, "errors": []}
    assert await MerchantStaff.all().count() == 0
    again = (await api(SETTINGS, {"m": m, "s": {"shippingFee": "0.02"}}, token=await token_for(clerk)))[
        "updateMerchantSettings"
    ]
    assert again["errors"] == [{"code": "FORBIDDEN", "field": None}]
    assert (await Merchant.get(id=merchant.id)).shipping_fee == 1


async def test_bad_staff_changes_write_nothing(api):
    owner = await make_user()
    merchant = await make_merchant(owner)
    token = await token_for(owner)
    m = gid(merchant)
    user = await make_user()
    cases = [
        ({"u": gid(user), "perms": ["merchant.staff"]}, "INVALID_PERMISSION", "permissions"),
        ({"u": gid(user), "perms": ["merchant.orders", "user.manage"]}, "INVALID_PERMISSION", "permissions"),
        ({"u": gid("User", 999999), "perms": []}, "NOT_FOUND", "userId"),
        ({"p": "+8613900000000", "perms": []}, "NOT_FOUND", "phone"),
        ({"perms": []}, "INVALID_INPUT", "userId"),
        ({"u": gid(owner), "perms": []}, "INVALID_INPUT", "userId"),
    ]
    for variables, code, field in cases:
        result = (await api(ADD_STAFF, {"m": m, **variables}, token=token))["addMerchantStaff"]
        assert result == {"staff": None, "errors": [{"code": code, "field": at(field)}]}, variables
    assert await MerchantStaff.all().count() == 0
    staff = await make_staff(merchant, ["merchant.orders"])
    bad = (await api(UPDATE_STAFF, {"m": m, "u": gid(staff), "perms": ["merchant.finance", "root"]}, token=token))[
        "updateMerchantStaff"
    ]
    assert bad["errors"] == [{"code": "INVALID_PERMISSION", "field": ["permissions"]}]
    assert (await MerchantStaff.get(user_id=staff.id)).permissions == ["merchant.orders"]
    dup = (await api(ADD_STAFF, {"m": m, "u": gid(staff), "perms": []}, token=token))["addMerchantStaff"]
    assert dup["errors"] == [{"code": "INVALID_INPUT", "field": ["userId"]}]
    assert (await api(REMOVE_STAFF, {"m": m, "u": gid(user)}, token=token))["removeMerchantStaff"]["errors"] == [
        {"code": "NOT_FOUND", "field": ["userId"]}
    ]
    assert await MerchantStaff.all().count() == 1


async def test_staff_of_one_merchant_cannot_touch_another(api):
    a, b = await make_merchant(name="A"), await make_merchant(name="B")
    staff_a = await make_staff(a, list(MERCHANT_PERMISSIONS))
    token = await token_for(staff_a)
    b_staff = await make_staff(b, ["merchant.orders"])
    mb = gid(b)
    for query, variables, field in (
        (SETTINGS, {"m": mb, "s": {"description": "hijack"}}, "updateMerchantSettings"),
        (ADD_STAFF, {"m": mb, "u": gid(staff_a), "perms": ["merchant.orders"]}, "addMerchantStaff"),
        (UPDATE_STAFF, {"m": mb, "u": gid(b_staff), "perms": list(MERCHANT_PERMISSIONS)}, "updateMerchantStaff"),
        (REMOVE_STAFF, {"m": mb, "u": gid(b_staff)}, "removeMerchantStaff"),
        (CREATE_STORE, {"m": mb, "s": STORE_INPUT}, "createStore"),
    ):
        result = (await api(query, variables, token=token))[field]
        assert result["errors"] == [{"code": "FORBIDDEN", "field": None}], field
    assert await api.error_code(MANAGED, {"id": mb}, token=token) == "FORBIDDEN"
    # and an id that does not exist looks the same as someone else's
    assert await api.error_code(MANAGED, {"id": gid("Merchant", 999999)}, token=token) == "FORBIDDEN"
    row = await Merchant.get(id=b.id)
    assert row.description == "" and await Store.all().count() == 0
    assert (await MerchantStaff.get(user_id=b_staff.id)).permissions == ["merchant.orders"]
    assert await MerchantStaff.filter(merchant_id=b.id).count() == 1


ACTORS = ["anonymous", "customer", "other_merchant_staff", "own_staff_without", "own_staff_with", "owner", "admin"]
SCOPED_OPS = {
    # operation: the merchant permission it needs
    "update_settings": "merchant.settings",
    "add_staff": "merchant.staff",
    "create_store": "merchant.settings",
    "view_private": "merchant.settings",
}


@pytest.mark.parametrize("operation", sorted(SCOPED_OPS))
@pytest.mark.parametrize("actor", ACTORS)
async def test_scoped_permission_matrix(api, operation, actor):
    owner = await make_user("owner")
    merchant = await make_merchant(owner)
    other = await make_merchant(name="other")
    permission = SCOPED_OPS[operation]
    grantable = [p for p in MERCHANT_PERMISSIONS if p != permission]
    token = None
    if actor == "customer":
        token = await token_for(await make_user())
    elif actor == "other_merchant_staff":
        token = await token_for(await make_staff(other, list(MERCHANT_PERMISSIONS)))
    elif actor == "own_staff_without":
        token = await token_for(await make_staff(merchant, grantable))
    elif actor == "own_staff_with":
        # merchant.staff is the owner's alone: staff can never hold it
        perms = [permission] if permission in MERCHANT_PERMISSIONS else None
        if perms is None:
            pytest.skip("merchant.staff cannot be granted to staff")
        token = await token_for(await make_staff(merchant, perms))
    elif actor == "owner":
        token = await token_for(owner)
    elif actor == "admin":
        token = await admin_token()
    allowed = actor in ("own_staff_with", "owner", "admin")
    m = gid(merchant)
    staff_before = await MerchantStaff.all().count()
    if operation == "view_private":
        body = await api.raw(MANAGED, {"id": m}, token=token)
        if actor == "anonymous":
            assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
        elif allowed:
            assert not body.get("errors") and body["data"]["managedMerchant"]["id"] == m
        else:
            assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN" and body["data"]["managedMerchant"] is None
        return
    target = await make_user("new hire")
    query, variables, field = {
        "update_settings": (SETTINGS, {"m": m, "s": {"shippingFee": "12.34"}}, "updateMerchantSettings"),
        "add_staff": (ADD_STAFF, {"m": m, "u": gid(target), "perms": ["merchant.orders"]}, "addMerchantStaff"),
        "create_store": (CREATE_STORE, {"m": m, "s": STORE_INPUT}, "createStore"),
    }[operation]
    body = await api.raw(query, variables, token=token)
    if actor == "anonymous":
        assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    else:
        assert not body.get("errors"), body
        errors = body["data"][field]["errors"]
        assert errors == ([] if allowed else [{"code": "FORBIDDEN", "field": None}]), (actor, body)
    written = {
        "update_settings": (await Merchant.get(id=merchant.id)).shipping_fee == 1234,
        "add_staff": await MerchantStaff.all().count() == staff_before + 1,
        "create_store": await Store.filter(merchant_id=merchant.id).count() == 1,
    }[operation]
    assert written == allowed


async def test_private_view_fields_need_their_own_permission(api):
    merchant = await make_merchant()
    token = await token_for(await make_staff(merchant, ["merchant.settings"]))
    body = await api.raw(
        "query($id: ID!) { managedMerchant(id: $id) { name myPermissions staff { id } commissionRateBp } }",
        {"id": gid(merchant)},
        token=token,
    )
    data = body["data"]["managedMerchant"]
    assert data["name"] == merchant.name and data["myPermissions"] == ["merchant.settings"]
    assert data["staff"] is None and data["commissionRateBp"] is None
    assert sorted(e["path"][-1] for e in body["errors"]) == ["commissionRateBp", "staff"]
    assert {e["extensions"]["code"] for e in body["errors"]} == {"FORBIDDEN"}
    finance = await token_for(await make_staff(merchant, ["merchant.settings", "merchant.finance"]))
    data = await api(
        "query($id: ID!) { managedMerchant(id: $id) { commissionRateBp categoryRates { categoryId } } }",
        {"id": gid(merchant)},
        token=finance,
    )
    assert data["managedMerchant"] == {"commissionRateBp": 0, "categoryRates": []}


async def test_rejected_and_suspended_merchants(api):
    owner = await make_user()
    rejected = await make_merchant(owner, status="REJECTED")
    suspended = await make_merchant(owner, status="SUSPENDED")
    token = await token_for(owner)
    result = (await api(SETTINGS, {"m": gid(rejected), "s": {"description": "x"}}, token=token))[
        "updateMerchantSettings"
    ]
    assert result["errors"] == [{"code": "MERCHANT_NOT_ACTIVE", "field": ["merchantId"]}]
    result = (await api(CREATE_STORE, {"m": gid(suspended), "s": STORE_INPUT}, token=token))["createStore"]
    assert result["errors"] == [{"code": "MERCHANT_NOT_ACTIVE", "field": ["merchantId"]}]
    assert await Store.all().count() == 0 and (await Merchant.get(id=rejected.id)).description == ""


async def test_merchant_applications_for_admins(api):
    pending = [await make_merchant(status="PENDING") for _ in range(3)]
    await make_merchant(status="ACTIVE")
    admin = await admin_token()
    query = "query($s: MerchantStatus, $a: String) { merchantApplications(status: $s, first: 2, after: $a) { nodes { id status contactPhone } pageInfo { hasNextPage endCursor } } }"
    page = (await api(query, {"s": "PENDING_REVIEW"}, token=admin))["merchantApplications"]
    assert [n["id"] for n in page["nodes"]] == [gid(pending[2]), gid(pending[1])] and page["pageInfo"]["hasNextPage"]
    rest = (await api(query, {"s": "PENDING_REVIEW", "a": page["pageInfo"]["endCursor"]}, token=admin))[
        "merchantApplications"
    ]
    assert [n["id"] for n in rest["nodes"]] == [gid(pending[0])] and not rest["pageInfo"]["hasNextPage"]
    everything = (await api("{ merchantApplications(first: 10) { nodes { id } } }", token=admin))[
        "merchantApplications"
    ]
    assert len(everything["nodes"]) == 4
    customer = await token_for(await make_user())
    assert await api.error_code("{ merchantApplications { nodes { id } } }", token=customer) == "FORBIDDEN"
