"""Share posters over GraphQL and HTTP (no network: images from a MemoryFetcher or a fake
transport): the PNG's QR code decodes back to the distributor's tracked link to the product,
whose visit counts a click and opens the product; the title is drawn with the configured
Chinese font; a second request is served from the cache; bad input answers stable codes with
nothing drawn, kept or fetched; templates are the platform's, versioned."""

from __future__ import annotations

import io
import os

import httpx
import pytest
import zxingcpp
from PIL import Image, ImageChops, ImageDraw, ImageFont

import settings
from models.distributors import InviteClick
from models.marketing import PosterTemplate
from services.distribution.posters import fetch, service
from services.distribution.posters import layout as lay
from tests.api.test_distributor_onboarding import admin_token, set_mode
from tests.helpers import gid, make_user, token_for
from tests.order_factories import make_shop

POSTER = """query($p: ID, $f: ID, $t: ID) { sharePoster(productId: $p, flashItemId: $f, templateId: $t) {
  url link width height expiresAt templateId } }"""
TEMPLATES = "{ posterTemplates { id name version isDefault layout { width title { size lines } qr { width } } } }"
CREATE = """mutation($i: PosterTemplateInput!) { createPosterTemplate(input: $i) {
  template { id version isDefault } errors { code field } } }"""
UPDATE = """mutation($id: ID!, $i: PosterTemplateInput!) { updatePosterTemplate(id: $id, input: $i) {
  template { id version } errors { code field } } }"""
FONT_ABSENT = not os.path.isfile(settings.POSTER_FONT_PATH)
needs_font = pytest.mark.skipif(FONT_ABSENT, reason=f"the poster font {settings.POSTER_FONT_PATH} is not installed")


def png(colour: str, size=(400, 400)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, format="PNG")
    return out.getvalue()


@pytest.fixture(autouse=True)
def images(tmp_path, monkeypatch):
    monkeypatch.setattr(settings, "POSTER_CACHE_DIR", str(tmp_path / "posters"))
    memory = fetch.MemoryFetcher(
        {"https://img.example.com/tea.png": png("#3A7D44"), "https://img.example.com/me.png": png("#2255AA")}
    )
    monkeypatch.setattr(service, "FETCHER", memory)
    return memory


async def _world(title="云南普洱茶礼盒"):
    _, product, _ = await make_shop(price=9_950, title=title)
    product.main_image_url = "https://img.example.com/tea.png"
    await product.save()
    me = await make_user("小明分享")
    me.avatar_url = "https://img.example.com/me.png"
    await me.save()
    return product, me, await token_for(me)


def _kept() -> list[str]:
    return [f for _, _, files in os.walk(settings.POSTER_CACHE_DIR) for f in files]


async def _png(api, url: str) -> Image.Image:
    response = await api.client.get(url.removeprefix(settings.PUBLIC_BASE_URL.rstrip("/")))
    assert response.status_code == 200 and response.headers["content-type"] == "image/png", response.text
    return Image.open(io.BytesIO(response.content)).convert("RGB")


@needs_font
async def test_the_poster_qr_decodes_to_my_tracked_link_which_counts_a_click_and_opens_the_product(api):
    product, me, token = await _world()
    poster = (await api(POSTER, {"p": gid(product)}, token))["sharePoster"]
    assert (poster["width"], poster["height"], poster["templateId"]) == (750, 1200, None)
    assert poster["link"].endswith(f"/r/{me.invite_code}?product={gid(product)}")
    image = await _png(api, poster["url"])
    assert image.size == (750, 1200)
    assert [r.text for r in zxingcpp.read_barcodes(image)] == [poster["link"]]
    assert image.getpixel((375, 375)) == (0x3A, 0x7D, 0x44)  # the product image fills its box

    visit = await api.client.get(
        poster["link"].removeprefix(settings.PUBLIC_BASE_URL.rstrip("/")), follow_redirects=False
    )
    assert visit.status_code == 302
    assert visit.headers["location"] == settings.STOREFRONT_PRODUCT_URL.replace("{id}", gid(product)).replace(
        "{code}", me.invite_code
    )
    assert (await InviteClick.get()).distributor_id == me.id


@needs_font
async def test_the_chinese_title_is_drawn_with_the_configured_font(api):
    product, me, token = await _world("普洱茶")
    image = await _png(api, (await api(POSTER, {"p": gid(product)}, token))["sharePoster"]["url"])
    style = lay.parse(lay.DEFAULT).title
    box = (style.x, style.y, style.x + style.w, style.y + style.line_height)
    drawn = image.crop(box)

    def reference(font) -> Image.Image:
        tile = Image.new("RGB", drawn.size, "#FFFFFF")
        ImageDraw.Draw(tile).text((0, 0), "普洱茶", fill=style.colour, font=font)
        return tile

    assert ImageChops.difference(drawn, Image.new("RGB", drawn.size, "#FFFFFF")).getbbox() is not None  # not blank
    assert (
        ImageChops.difference(drawn, reference(ImageFont.truetype(settings.POSTER_FONT_PATH, style.size))).getbbox()
        is None
    )
    assert ImageChops.difference(drawn, reference(ImageFont.load_default(style.size))).getbbox() is not None


@needs_font
async def test_a_second_request_is_served_from_the_cache_and_a_new_template_version_draws_again(api, images):
    product, me, token = await _world()
    before = service.RENDERS["count"]
    first = (await api(POSTER, {"p": gid(product)}, token))["sharePoster"]
    await _png(api, first["url"])
    await api(POSTER, {"p": gid(product)}, token)
    assert service.RENDERS["count"] == before + 1 and len(_kept()) == 1

    admin = await admin_token()
    created = (await api(CREATE, {"i": _template_input("海报A", isDefault=True)}, admin))["createPosterTemplate"]
    assert created["errors"] == [] and created["template"]["version"] == 1
    again = (await api(POSTER, {"p": gid(product)}, token))["sharePoster"]
    assert again["templateId"] == created["template"]["id"] and service.RENDERS["count"] == before + 2
    updated = await api(UPDATE, {"id": created["template"]["id"], "i": _template_input("海报A", isDefault=True)}, admin)
    assert updated["updatePosterTemplate"]["template"]["version"] == 2
    await api(POSTER, {"p": gid(product)}, token)
    assert service.RENDERS["count"] == before + 3 and len(_kept()) == 3


async def test_bad_input_answers_stable_codes_with_nothing_drawn_kept_or_fetched(api, images, monkeypatch):
    product, me, token = await _world()
    before = service.RENDERS["count"]
    _, unlisted, _ = await make_shop()
    unlisted.status = "DELISTED"
    await unlisted.save()
    assert await api.error_code(POSTER, {"p": gid(unlisted)}, token) == "PRODUCT_UNAVAILABLE"
    assert await api.error_code(POSTER, {}, token) == "INVALID_INPUT"
    assert await api.error_code(POSTER, {"p": gid(product), "f": gid("FlashItem", 1)}, token) == "INVALID_INPUT"
    assert await api.error_code(POSTER, {"p": gid(product), "t": gid("PosterTemplate", 999)}, token) == "NOT_FOUND"
    assert (await api.raw(POSTER, {"p": gid(product)}))["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"

    await set_mode(api, "APPROVAL")
    assert await api.error_code(POSTER, {"p": gid(product)}, token) == "NOT_A_DISTRIBUTOR"
    await set_mode(api, "AUTO")

    monkeypatch.setattr(settings, "POSTER_FONT_PATH", "/nonexistent/font.ttc")
    assert await api.error_code(POSTER, {"p": gid(product)}, token) == "POSTER_FONT_MISSING"
    assert images.fetched == [] and _kept() == [] and service.RENDERS["count"] == before


@needs_font
async def test_an_image_at_a_private_address_is_refused_without_a_request(api, monkeypatch):
    product, me, token = await _world()
    product.main_image_url = "http://metadata.internal/latest/meta-data.png"
    await product.save()
    seen = []

    async def record(request):
        seen.append(request)
        return httpx.Response(200, content=png("red"), headers={"content-type": "image/png"})

    async def resolver(host, port):
        return ["169.254.169.254"]

    monkeypatch.setattr(
        service, "FETCHER", fetch.HttpImageFetcher(resolver=resolver, transport=httpx.MockTransport(record))
    )
    assert await api.error_code(POSTER, {"p": gid(product)}, token) == "IMAGE_UNREACHABLE"
    assert seen == [] and _kept() == []


async def test_a_forged_or_unknown_poster_url_is_404(api):
    product, me, _ = await _world()
    path, _ = service.signed_path(service.Target(service.PRODUCT, product.id), me.id, None)
    forged = path.replace(f"-{me.id}-", f"-{me.id + 1}-")
    assert (await api.client.get(forged)).status_code == 404
    assert (await api.client.get("/posters/product-1-1-0-1.abc.png")).status_code == 404


def _template_input(name: str, **extra) -> dict:
    d = lay.DEFAULT

    def box(b):
        return {"x": b["x"], "y": b["y"], "width": b["w"], "height": b["h"]}

    def text(t):
        keys = {"x": "x", "y": "y", "w": "width", "size": "size", "colour": "colour", "lines": "lines"}
        return {v: t[k] for k, v in keys.items() if k in t} | {"lineHeight": t.get("line_height", 0)}

    return {
        "name": name, "width": d["width"], "height": d["height"], "background": "#FFF8E7",
        "image": box(d["image"]), "title": text(d["title"]), "price": text(d["price"]), "avatar": box(d["avatar"]),
        "nickname": text(d["nickname"]), "caption": text(d["caption"]), "captionText": "扫码购买", "qr": box(d["qr"]),
    } | extra  # fmt: skip


async def test_templates_are_managed_by_the_platform_only_and_checked(api):
    admin = await admin_token()
    someone = await token_for(await make_user("路人"))
    assert (await api(CREATE, {"i": _template_input("x")}, someone))["createPosterTemplate"]["errors"][0][
        "code"
    ] == "FORBIDDEN"
    bad = _template_input("x") | {"qr": {"x": 700, "y": 1100, "width": 200, "height": 200}}
    assert (await api(CREATE, {"i": bad}, admin))["createPosterTemplate"]["errors"] == [
        {"code": "INVALID_INPUT", "field": ["qr"]}
    ]
    assert await PosterTemplate.all().count() == 0
    made = (await api(CREATE, {"i": _template_input("海报B")}, admin))["createPosterTemplate"]["template"]
    listed = (await api(TEMPLATES, None, admin))["posterTemplates"]
    assert [(t["id"], t["name"], t["layout"]["title"]["lines"]) for t in listed] == [(made["id"], "海报B", 2)]
    assert await api.error_code(TEMPLATES, None, someone) == "FORBIDDEN"
    missing = await api(UPDATE, {"id": gid("PosterTemplate", 999), "i": _template_input("y")}, admin)
    assert missing["updatePosterTemplate"]["errors"][0]["code"] == "NOT_FOUND"


async def test_a_tracked_link_with_a_malformed_target_still_counts_and_opens_sign_up(api):
    me = await make_user("阿B")
    for query in ("?product=garbage", f"?product={gid('Sku', 1)}", "?flash=" + "x" * 100):
        visit = await api.client.get(f"/r/{me.invite_code}{query}", follow_redirects=False)
        assert visit.status_code == 302 and visit.headers["location"].endswith(f"inviteCode={me.invite_code}")
        assert "/signup" in visit.headers["location"]
    assert await InviteClick.filter(distributor_id=me.id).count() == 3
