"""Home content (CAT-5): banners with placement, schedule and target; recommendations."""

from datetime import timedelta

from models.catalog import Category, Product
from models.content import Banner, Recommendation
from models.merchants import Merchant
from services.core import clock
from tests.helpers import at, gid, make_user, token_for

CREATE = "mutation($b: BannerInput!) { createBanner(input: $b) { banner { id title } errors { code field } } }"
LIVE = '{ banners(placement: "HOME_TOP") { title targetType targetValue } }'


def banner(**change):
    return {
        "placement": "HOME_TOP",
        "title": "Double 11",
        "imageUrl": "https://img.example.com/a.png",
        "targetType": "URL",
        "targetValue": "https://m.example.com/sale",
        **change,
    }


async def admin_token():
    return await token_for(await make_user(roles=("admin",)))


async def test_live_banners_follow_schedule_and_order(api):
    token = await admin_token()
    now = clock.now()
    await api(CREATE, {"b": banner(title="later", sortOrder=1)}, token=token)
    await api(CREATE, {"b": banner(title="first", sortOrder=0)}, token=token)
    await api(CREATE, {"b": banner(title="future", startsAt=(now + timedelta(days=1)).isoformat())}, token=token)
    await api(
        CREATE,
        {
            "b": banner(
                title="over",
                endsAt=(now - timedelta(seconds=1)).isoformat(),
                startsAt=(now - timedelta(days=1)).isoformat(),
            )
        },
        token=token,
    )
    await api(CREATE, {"b": banner(title="off", isActive=False)}, token=token)
    await api(CREATE, {"b": banner(title="elsewhere", placement="HOME_MIDDLE")}, token=token)
    assert [b["title"] for b in (await api(LIVE))["banners"]] == ["first", "later"]
    assert len((await api("{ adminBanners { id } }", token=token))["adminBanners"]) == 6
    clock.advance(timedelta(days=2))
    assert [b["title"] for b in (await api(LIVE))["banners"]] == ["first", "future", "later"]


async def test_bad_banners_are_refused_and_nothing_is_written(api):
    token = await admin_token()
    now = clock.now()
    cases = [
        (banner(placement="home top"), "INVALID_INPUT", "placement"),
        (banner(title=""), "INVALID_INPUT", "title"),
        (banner(imageUrl="ftp://x/y.png"), "INVALID_INPUT", "imageUrl"),
        (banner(targetType="POPUP"), "INVALID_INPUT", "targetType"),
        (banner(targetType="PRODUCT", targetValue="abc"), "INVALID_INPUT", "targetValue"),
        (
            banner(startsAt=now.isoformat(), endsAt=(now - timedelta(hours=1)).isoformat()),
            "INVALID_DATE_RANGE",
            "endsAt",
        ),
    ]
    for data, code, field in cases:
        result = (await api(CREATE, {"b": data}, token=token))["createBanner"]
        assert result["errors"] == [{"code": code, "field": at(field)}], data
    assert await Banner.all().count() == 0


async def test_update_and_delete_banner(api):
    token = await admin_token()
    created = (await api(CREATE, {"b": banner()}, token=token))["createBanner"]["banner"]
    updated = await api(
        "mutation($id: ID!, $b: BannerInput!) { updateBanner(id: $id, input: $b) { banner { title } errors { code } } }",
        {"id": created["id"], "b": banner(title="Renamed")},
        token=token,
    )
    assert updated["updateBanner"] == {"banner": {"title": "Renamed"}, "errors": []}
    gone = await api(
        "mutation($id: ID!) { deleteBanner(id: $id) { errors { code } } }", {"id": created["id"]}, token=token
    )
    assert gone["deleteBanner"]["errors"] == []
    again = await api(
        "mutation($id: ID!) { deleteBanner(id: $id) { errors { code } } }", {"id": created["id"]}, token=token
    )
    assert again["deleteBanner"]["errors"] == [{"code": "NOT_FOUND"}]


async def _product(merchant, category, title, status="LISTED"):
    return await Product.create(merchant_id=merchant.id, category_id=category.id, title=title, status=status)


SET = "mutation($p: String!, $k: String!, $ids: [ID!]!) { setRecommendations(placement: $p, kind: $k, targetIds: $ids) { targetIds errors { code field } } }"


async def test_recommendations_keep_admin_order_and_replace(api):
    token = await admin_token()
    owner = await make_user()
    merchant = await Merchant.create(name="Shop", owner_id=owner.id, status="ACTIVE")
    category = await Category.create(name="Food")
    a, b, c = [await _product(merchant, category, t) for t in "abc"]
    ids = [gid(c), gid(a), gid(b)]
    result = (await api(SET, {"p": "HOME", "k": "PRODUCT", "ids": ids}, token=token))["setRecommendations"]
    assert result == {"targetIds": ids, "errors": []}
    result = (await api(SET, {"p": "HOME", "k": "PRODUCT", "ids": [gid(b)]}, token=token))["setRecommendations"]
    assert result["targetIds"] == [gid(b)]
    assert await Recommendation.all().count() == 1


async def test_bad_recommendations_change_nothing(api):
    token = await admin_token()
    owner = await make_user()
    merchant = await Merchant.create(name="Shop", owner_id=owner.id, status="ACTIVE")
    await api(SET, {"p": "HOME", "k": "MERCHANT", "ids": [gid(merchant)]}, token=token)
    cases = [
        ({"p": "HOME", "k": "MERCHANT", "ids": [gid("Merchant", 999999)]}, "NOT_FOUND", "targetIds"),
        ({"p": "HOME", "k": "MERCHANT", "ids": [gid(merchant), gid(merchant)]}, "INVALID_INPUT", "targetIds"),
        ({"p": "HOME", "k": "STORE", "ids": []}, "INVALID_INPUT", "kind"),
        ({"p": "home", "k": "MERCHANT", "ids": []}, "INVALID_INPUT", "placement"),
    ]
    for variables, code, field in cases:
        result = (await api(SET, variables, token=token))["setRecommendations"]
        assert result["errors"] == [{"code": code, "field": at(field)}]
    rows = await Recommendation.all().values_list("target_id", flat=True)
    assert rows == [merchant.id]


async def test_recommended_rows_hide_what_is_not_on_sale():
    from services.catalog import content

    owner = await make_user()
    active = await Merchant.create(name="Open", owner_id=owner.id, status="ACTIVE")
    suspended = await Merchant.create(name="Closed", owner_id=owner.id, status="SUSPENDED")
    category = await Category.create(name="Food")
    listed = await _product(active, category, "listed")
    draft = await _product(active, category, "draft", status="DRAFT")
    hidden = await _product(suspended, category, "of a suspended merchant")
    await content.set_recommendations("HOME", "PRODUCT", [hidden.id, draft.id, listed.id])
    await content.set_recommendations("HOME", "MERCHANT", [suspended.id, active.id])
    assert [p.id for p in await content.recommended_products("HOME")] == [listed.id]
    assert [m.id for m in await content.recommended_merchants("HOME")] == [active.id]


async def test_recommended_products_and_merchants_through_the_api(api):
    owner = await make_user()
    merchant = await Merchant.create(name="Open", owner_id=owner.id, status="ACTIVE")
    category = await Category.create(name="Food")
    first, second = await _product(merchant, category, "first"), await _product(merchant, category, "second")
    token = await admin_token()
    await api(SET, {"p": "HOME", "k": "PRODUCT", "ids": [gid(second), gid(first)]}, token=token)
    await api(SET, {"p": "HOME", "k": "MERCHANT", "ids": [gid(merchant)]}, token=token)
    data = await api("{ recommendedProducts { title } recommendedMerchants { name } }")
    assert data == {
        "recommendedProducts": [{"title": "second"}, {"title": "first"}],
        "recommendedMerchants": [{"name": "Open"}],
    }
