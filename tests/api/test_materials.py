"""The material library (MKT-5) through GraphQL and the tracking link: publishing (the platform,
a merchant for its own goods), the distributors' library with its filters (product, category
with subcategories, activity, kind) and order, permissions, bad input refused with a stable
code and nothing changed, and per-material statistics: two materials shared by one
distributor count their clicks, sign-ups and orders apart (click over HTTP, sign-up through
signInWithSms with the code the link sent on, orders through placeOrder and payWithWallet)."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

from models.accounts import Address, User
from models.distributors import InviteClick, InviteSignup
from models.marketing import FlashItem, FlashSession, Material
from services.accounts import access
from services.catalog import products as catalog
from services.core import clock
from services.core.business_days import today
from tests.api import ops_distributor_centre as centre_ops
from tests.api import ops_materials as ops
from tests.api.test_distribution import buy, member
from tests.api.test_distributor_onboarding import set_mode
from tests.api.test_referral import BIND, sms_sign_in
from tests.catalog_factories import make_staff
from tests.helpers import gid, make_user, next_phone, pk_of, token_for
from tests.order_factories import fund_wallet, make_shop


async def admin() -> str:
    return await token_for(await make_user("管理员", roles=("admin",)))


def text_material(**fields) -> dict:
    return {"kind": "TEXT", "title": "今日好物", "body": "限时特价, 快来抢!", **fields}


async def publish(api, token, data) -> dict:
    result = (await api(ops.CREATE, {"i": data}, token=token))["createMaterial"]
    assert result["errors"] == [], result
    return result["material"]


async def refused(api, token, data, code, field=None) -> None:
    before = await Material.all().count()
    result = (await api(ops.CREATE, {"i": data}, token=token))["createMaterial"]
    assert result["material"] is None and [e["code"] for e in result["errors"]] == [code], result
    if field is not None:
        assert result["errors"][0]["field"] == [field], result
    assert await Material.all().count() == before  # nothing changed


def titles(connection) -> list[str]:
    return [n["title"] for n in connection["nodes"]]


# --------------------------------------------------------------------------- publishing and the library


async def test_platform_and_merchant_publish_and_distributors_filter_the_library(api):
    token = await admin()
    root = await catalog.create_category("服饰")
    child = await catalog.create_category("女装", parent_id=root.id)
    other = await catalog.create_category("家居")
    merchant, product, [sku] = await make_shop(price=10_000, category_id=child.id)
    _, elsewhere, _ = await make_shop(price=5_000, category_id=other.id)
    poster = await publish(
        api,
        token,
        {"kind": "IMAGE", "title": "海报", "imageUrls": ["https://cdn.example.com/p.png"], "productId": gid(product)},
    )
    assert poster["kind"] == "IMAGE" and poster["merchantId"] is None and poster["productId"] == gid(product)
    assert poster["status"] == "PUBLISHED" and poster["imageUrls"] == ["https://cdn.example.com/p.png"]
    await publish(api, token, text_material(title="类目文案", categoryId=gid("Category", root.id), sortOrder=5))
    await publish(
        api,
        token,
        {"kind": "VIDEO", "title": "短视频", "videoUrl": "https://v.example.com/1.mp4", "productId": gid(elsewhere)},
    )
    staff = await token_for(await make_staff(merchant, ["merchant.marketing"]))
    own = await publish(api, staff, text_material(title="商家文案", merchantId=gid(merchant), productId=gid(product)))
    assert own["merchantId"] == gid(merchant)

    d = await token_for(await make_user("分销员"))  # AUTO: everyone is a distributor
    library = (await api(ops.LIBRARY, {}, token=d))["materials"]
    assert titles(library) == ["类目文案", "商家文案", "短视频", "海报"]  # pinned first, then newest
    page = (await api(ops.LIBRARY, {"first": 2}, token=d))["materials"]
    rest = (await api(ops.LIBRARY, {"first": 2, "after": page["pageInfo"]["endCursor"]}, token=d))["materials"]
    assert titles(page) + titles(rest) == titles(library) and not rest["pageInfo"]["hasNextPage"]

    async def shown(f):
        return sorted(titles((await api(ops.LIBRARY, {"f": f}, token=d))["materials"]))

    assert await shown({"productId": gid(product)}) == ["商家文案", "海报"]
    # a category takes its subcategories and the products in them
    assert await shown({"categoryId": gid("Category", root.id)}) == ["商家文案", "海报", "类目文案"]
    assert await shown({"categoryId": gid("Category", child.id)}) == ["商家文案", "海报"]
    assert await shown({"categoryId": gid("Category", other.id)}) == ["短视频"]
    assert await shown({"kind": "VIDEO"}) == ["短视频"]
    assert await shown({"kind": "TEXT", "productId": gid(product)}) == ["商家文案"]

    # hidden: out of the library, still managed
    hidden = (await api(ops.HIDE, {"id": poster["id"]}, token=token))["hideMaterial"]
    assert hidden["material"]["status"] == "HIDDEN"
    again = (await api(ops.HIDE, {"id": poster["id"]}, token=token))["hideMaterial"]
    assert [e["code"] for e in again["errors"]] == ["INVALID_TRANSITION"]
    assert "海报" not in titles((await api(ops.LIBRARY, {}, token=d))["materials"])
    assert (await api(ops.NODE, {"id": poster["id"]}, token=d))["node"] is None
    assert (await api(ops.NODE, {"id": poster["id"]}, token=token))["node"]["status"] == "HIDDEN"
    managed = (await api(ops.MANAGED, {"s": "HIDDEN"}, token=token))["managedMaterials"]
    assert titles(managed) == ["海报"]
    assert titles((await api(ops.MANAGED, {}, token=staff))["managedMaterials"]) == ["商家文案"]
    shown_again = (await api(ops.PUBLISH, {"id": poster["id"]}, token=token))["publishMaterial"]
    assert shown_again["material"]["status"] == "PUBLISHED"

    # update: content replaced, owner kept
    updated = (
        await api(
            ops.UPDATE,
            {"id": own["id"], "i": text_material(title="新文案", merchantId=gid(merchant), productId=gid(product))},
            token=staff,
        )
    )["updateMaterial"]
    assert updated["errors"] == [] and updated["material"]["title"] == "新文案"
    moved = (await api(ops.UPDATE, {"id": own["id"], "i": text_material(productId=gid(product))}, token=staff))[
        "updateMaterial"
    ]
    assert [(e["code"], e["field"]) for e in moved["errors"]] == [("INVALID_INPUT", ["merchantId"])]  # owner kept
    assert (await Material.get(id=pk_of(own["id"]))).title == "新文案"


async def test_materials_about_an_activity(api):
    token = await admin()
    merchant, product, [sku] = await make_shop(price=10_000)
    session = await FlashSession.create(
        name="10点场", starts_at=clock.now() - timedelta(hours=1), ends_at=clock.now() + timedelta(hours=1)
    )
    item = await FlashItem.create(
        session_id=session.id,
        merchant_id=merchant.id,
        product_id=product.id,
        sku_id=sku.id,
        flash_price=5_000,
        stock=10,
    )
    platform = await publish(api, token, text_material(title="秒杀场", activityId=gid("FlashSession", session.id)))
    assert platform["activityKind"] == "FLASH_SESSION" and platform["activityId"] == gid("FlashSession", session.id)
    staff = await token_for(await make_staff(merchant, ["merchant.marketing"]))
    own = await publish(
        api, staff, text_material(title="秒杀品", merchantId=gid(merchant), activityId=gid("FlashItem", item.id))
    )
    assert own["activityKind"] == "FLASH_ITEM"
    # a merchant cannot tie its material to the platform's session
    await refused(
        api, staff, text_material(merchantId=gid(merchant), activityId=gid("FlashSession", session.id)), "FORBIDDEN"
    )
    d = await token_for(await make_user("分销员"))
    f = {"activityId": gid("FlashItem", item.id)}
    assert titles((await api(ops.LIBRARY, {"f": f}, token=d))["materials"]) == ["秒杀品"]
    by_kind = (await api(ops.LIBRARY, {"f": {"activityKind": "FLASH_SESSION"}}, token=d))["materials"]
    assert titles(by_kind) == ["秒杀场"]


# --------------------------------------------------------------------------- permissions and bad input


async def test_bad_input_is_refused_with_a_stable_code_and_nothing_changes(api):
    token = await admin()
    merchant, product, _ = await make_shop()
    other, foreign, _ = await make_shop()
    staff = await token_for(await make_staff(merchant, ["merchant.marketing"]))
    # a merchant publishing for another merchant's product
    await refused(api, staff, text_material(merchantId=gid(merchant), productId=gid(foreign)), "FORBIDDEN", "productId")
    # a merchant publishing as another merchant, or as the platform
    await refused(api, staff, text_material(merchantId=gid(other), productId=gid(foreign)), "FORBIDDEN")
    await refused(api, staff, text_material(productId=gid(product)), "FORBIDDEN")
    # a merchant's material about a category only
    category = await catalog.create_category("类目")
    await refused(
        api, staff, text_material(merchantId=gid(merchant), categoryId=gid("Category", category.id)), "FORBIDDEN"
    )
    # tied to nothing, to a missing product or category
    await refused(api, token, text_material(), "INVALID_INPUT", "productId")
    await refused(api, token, text_material(productId=gid("Product", 999_999)), "NOT_FOUND", "productId")
    await refused(api, token, text_material(categoryId=gid("Category", 999_999)), "NOT_FOUND", "categoryId")
    await refused(api, token, text_material(activityId=gid("FlashItem", 999_999)), "NOT_FOUND", "activity")
    await refused(api, token, text_material(productId=gid("Sku", 1)), "INVALID_ID", "productId")
    # a video link that is not http(s), an image material without an image, a text without text
    for url in ("ftp://v.example.com/1.mp4", "javascript:alert(1)", "v.example.com/1.mp4"):
        data = {"kind": "VIDEO", "title": "视频", "videoUrl": url, "productId": gid(product)}
        await refused(api, token, data, "INVALID_INPUT", "videoUrl")
    await refused(
        api, token, {"kind": "VIDEO", "title": "视频", "productId": gid(product)}, "INVALID_INPUT", "videoUrl"
    )
    await refused(api, token, {"kind": "IMAGE", "title": "图", "productId": gid(product)}, "INVALID_INPUT", "imageUrls")
    await refused(
        api,
        token,
        {"kind": "IMAGE", "title": "图", "imageUrls": ["data:x"], "productId": gid(product)},
        "INVALID_INPUT",
    )
    await refused(api, token, {"kind": "TEXT", "title": "空", "productId": gid(product)}, "INVALID_INPUT", "body")
    await refused(api, token, text_material(title="", productId=gid(product)), "INVALID_INPUT", "title")
    # a customer (no permission) publishes nothing and lists no managed materials
    customer = await token_for(await make_user())
    await refused(api, customer, text_material(productId=gid(product)), "FORBIDDEN")
    body = await api.raw(ops.MANAGED, token=customer)
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"

    # an update refused leaves the material as it was
    row = await publish(api, token, text_material(productId=gid(product)))
    bad = {"kind": "VIDEO", "title": "视频", "videoUrl": "ftp://x/1.mp4", "productId": gid(product)}
    result = (await api(ops.UPDATE, {"id": row["id"], "i": bad}, token=token))["updateMaterial"]
    assert [e["code"] for e in result["errors"]] == ["INVALID_INPUT"]
    result = (await api(ops.UPDATE, {"id": row["id"], "i": text_material(productId=gid(product))}, token=staff))[
        "updateMaterial"
    ]
    assert [e["code"] for e in result["errors"]] == ["FORBIDDEN"]  # the platform's material
    kept = await Material.get(id=pk_of(row["id"]))
    assert (kept.kind, kept.title, kept.video_url) == ("TEXT", "今日好物", "")


async def test_share_links_and_the_library_are_for_distributors(api):
    token = await admin()
    _, product, _ = await make_shop()
    row = await publish(api, token, text_material(productId=gid(product)))
    await set_mode(api, "APPROVAL")
    outsider = await make_user("路人")
    body = await api.raw(ops.LIBRARY, token=await token_for(outsider))
    assert body["errors"][0]["extensions"]["code"] == "NOT_A_DISTRIBUTOR"
    # even reached another way (the admin's own view), the share link refuses a non-distributor
    body = await api.raw(
        "query($id: ID!) { node(id: $id) { ... on Material { shareLink { url } } } }", {"id": row["id"]}, token=token
    )
    assert body["errors"][0]["extensions"]["code"] == "NOT_A_DISTRIBUTOR"
    assert await InviteClick.all().count() == 0
    d = await make_user("分销员")
    await access.grant_role(d.id, "distributor")
    shared = (await api(ops.SHARE, {}, token=await token_for(d)))["materials"]["nodes"][0]
    code = f"{d.invite_code}-M{pk_of(row['id'])}"
    assert shared["shareLink"]["code"] == code and shared["shareLink"]["url"].endswith(f"/r/{code}")
    assert code in shared["shareLink"]["signupUrl"] and shared["shareLink"]["qrPngUrl"].endswith(
        f"/qr/invite/{code}.png"
    )
    assert shared["copyText"] == f"限时特价, 快来抢!\n{shared['shareLink']['url']}"
    png = await api.client.get(urlsplit(shared["shareLink"]["qrPngUrl"]).path)
    assert png.status_code == 200 and png.content.startswith(b"\x89PNG")


# --------------------------------------------------------------------------- statistics per material


async def click(api, url: str, agent: str) -> str:
    """Visit a tracking link as a browser would: the invite code it sends on to sign-up."""
    response = await api.client.get(urlsplit(url).path, headers={"user-agent": agent}, follow_redirects=False)
    assert response.status_code == 302, response.text
    return parse_qs(urlsplit(response.headers["location"]).query)["inviteCode"][0]


async def signed_up(api, invite_code: str):
    """A new user signing up with the code the link sent on, with an address and wallet money."""
    result = await sms_sign_in(api, next_phone(), invite_code)
    assert result["errors"] == [], result
    user = await User.get(id=pk_of(result["user"]["id"]))
    address = await Address.create(
        user_id=user.id,
        recipient="张三",
        phone="+8613900000000",
        province_code="330000",
        city_code="330100",
        county_code="330106",
        region_name="浙江省杭州市西湖区",
        detail="文三路 1 号",
        is_default=True,
    )
    await fund_wallet(user, 100_000)
    return user, address


async def test_two_materials_shared_by_one_distributor_count_clicks_and_orders_apart(api):
    token = await admin()
    merchant, product, [sku] = await make_shop(price=10_000, stock=50)
    poster = await publish(
        api,
        token,
        {"kind": "IMAGE", "title": "海报", "imageUrls": ["https://cdn.example.com/p.png"], "productId": gid(product)},
    )
    copy = await publish(api, token, text_material(title="文案", productId=gid(product)))
    distributor, _ = await member("分销员")
    d_token = await token_for(distributor)
    links = {n["title"]: n["shareLink"]["url"] for n in (await api(ops.SHARE, {}, token=d_token))["materials"]["nodes"]}

    # the poster's link: three visits, one sign-up who orders once; the copy's: one visit, one
    # sign-up who orders twice; the plain invite link: one visit
    poster_code = await click(api, links["海报"], "one")
    await click(api, links["海报"], "two")
    await click(api, links["海报"], "three")
    copy_code = await click(api, links["文案"], "four")
    assert (await api.client.get(f"/r/{distributor.invite_code}", follow_redirects=False)).status_code == 302
    assert poster_code == f"{distributor.invite_code}-M{pk_of(poster['id'])}"
    a, a_address = await signed_up(api, poster_code)
    b, b_address = await signed_up(api, copy_code)
    assert (a.upline_id, b.upline_id) == (distributor.id, distributor.id)
    await buy(api, a, a_address, sku.id, 1)
    await buy(api, b, b_address, sku.id, 1)
    await buy(api, b, b_address, sku.id, 2)

    day = str(today())
    mine = (await api(ops.MY_STATS, {"f": day, "t": day}, token=d_token))["myMaterialStats"]
    by_material = {s["materialId"]: s for s in mine}
    assert by_material[poster["id"]] == {
        "materialId": poster["id"],
        "material": {"title": "海报"},
        "clicks": 3,
        "signUps": 1,
        "buyers": 1,
        "orders": 1,
        "orderGoods": {"amount": "100.00"},
        "signUpRateBp": 3333,
        "buyerRateBp": 10000,
    }
    assert (by_material[copy["id"]]["clicks"], by_material[copy["id"]]["orders"]) == (1, 2)
    assert by_material[copy["id"]]["orderGoods"] == {"amount": "300.00"}
    assert len(mine) == 2

    # the link's own statistics still count every click and sign-up (one attribution path)
    total = (await api(centre_ops.PROMOTION, {"p": "DAY", "f": day, "t": day}, token=d_token))["myPromotionStats"][
        "total"
    ]
    assert (total["clicks"], total["signUps"], total["orders"]) == (5, 2, 3)

    # across distributors (the admin): another distributor's share of the poster adds up
    other, _ = await member("另一个")
    other_links = (await api(ops.SHARE, {"f": {"kind": "IMAGE"}}, token=await token_for(other)))["materials"]["nodes"]
    await click(api, other_links[0]["shareLink"]["url"], "five")
    overall = {s["materialId"]: s for s in (await api(ops.STATS, {"f": day, "t": day}, token=token))["materialStats"]}
    assert (overall[poster["id"]]["clicks"], overall[poster["id"]]["orders"]) == (4, 1)
    assert (overall[copy["id"]]["clicks"], overall[copy["id"]]["orders"]) == (1, 2)
    mine_again = (await api(ops.MY_STATS, {"f": day, "t": day}, token=d_token))["myMaterialStats"]
    assert {s["materialId"]: s["clicks"] for s in mine_again}[poster["id"]] == 3

    # a merchant sees its own materials' figures only
    staff = await token_for(await make_staff(merchant, ["merchant.marketing"]))
    assert (await api(ops.STATS, {"f": day, "t": day}, token=staff))["materialStats"] == []
    body = await api.raw(ops.STATS, {"f": day, "t": day}, token=await token_for(await make_user()))
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_a_material_survives_a_link_binding_and_a_forged_material_counts_as_a_plain_share(api):
    token = await admin()
    _, product, _ = await make_shop()
    row = await publish(api, token, text_material(productId=gid(product)))
    distributor = await make_user("分销员")
    late = await make_user("后来者")
    code = f"{distributor.invite_code.lower()}-m{pk_of(row['id'])}"
    bound = (await api(BIND, {"c": code}, token=await token_for(late)))["bindUpline"]
    assert bound["errors"] == []
    assert (await InviteSignup.get(user_id=late.id)).material_id == pk_of(row["id"])
    # a material id that does not exist: the click and the sign-up count for the code alone
    forged = await click(api, f"http://x/r/{distributor.invite_code}-M999999", "six")
    assert forged == distributor.invite_code
    assert (await InviteClick.get()).material_id is None
    assert (await api.client.get("/r/NOSUCH99-M1", follow_redirects=False)).status_code == 404
    assert await InviteClick.all().count() == 1
