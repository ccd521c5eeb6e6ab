"""Catalog services (CAT-1..CAT-4): category tree, product and SKU validation, listing.

Every refused input asserts its exact code and that nothing was written."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from models.catalog import Category, Product, Sku, StockMovement
from services.accounts.access import Grants, load_grants
from services.catalog import products as catalog
from services.catalog.products import ProductData, SpecDimensionData
from services.core.errors import DomainError, ErrorCode
from tests.catalog_factories import make_merchant, make_product, make_staff, owner_grants, sku


async def _code(awaitable) -> str:
    with pytest.raises(DomainError) as caught:
        await awaitable
    return caught.value.code.value


async def _snapshot() -> tuple:
    products = [
        (p.id, p.title, p.zone, p.min_price, p.max_price, p.total_stock, p.status, p.search_text)
        for p in await Product.all().order_by("id")
    ]
    skus = [(s.id, s.code, s.spec_key, s.price, s.stock, s.is_active) for s in await Sku.all().order_by("id")]
    return products, skus, await StockMovement.all().count()


# --------------------------------------------------------------------------- categories


async def test_category_paths_and_tree_in_order():
    root = await catalog.create_category("服装")
    women = await catalog.create_category("女装", root.id, sort_order=2)
    men = await catalog.create_category("男装", root.id, sort_order=1)
    dress = await catalog.create_category("连衣裙", women.id)
    assert (root.path, women.path, dress.path) == (
        f"/{root.id}/",
        f"/{root.id}/{women.id}/",
        f"/{root.id}/{women.id}/{dress.id}/",
    )
    tree = await catalog.category_tree()
    assert [c.id for c in tree] == [root.id]
    assert [c.id for c in tree[0].child_list] == [men.id, women.id]
    assert [c.id for c in tree[0].child_list[1].child_list] == [dress.id]
    sub = await catalog.category_tree(women.id)
    assert [c.id for c in sub] == [dress.id]


async def test_move_rewrites_the_whole_subtree_and_refuses_cycles():
    a = await catalog.create_category("A")
    b = await catalog.create_category("B", a.id)
    c = await catalog.create_category("C", b.id)
    d = await catalog.create_category("D", c.id)
    other = await catalog.create_category("X")
    before = {row.id: row.path for row in await Category.all()}
    for target in (b.id, c.id, d.id):
        assert await _code(catalog.move_category(b.id, target)) == "CATEGORY_CYCLE"
    assert {row.id: row.path for row in await Category.all()} == before
    moved = await catalog.move_category(b.id, other.id)
    assert moved.parent_id == other.id
    paths = {row.id: row.path for row in await Category.all()}
    assert paths[b.id] == f"/{other.id}/{b.id}/"
    assert paths[c.id] == f"/{other.id}/{b.id}/{c.id}/"
    assert paths[d.id] == f"/{other.id}/{b.id}/{c.id}/{d.id}/"
    assert paths[a.id] == f"/{a.id}/"
    to_root = await catalog.move_category(c.id, None)
    assert to_root.parent_id is None and to_root.path == f"/{c.id}/"
    assert (await Category.get(id=d.id)).path == f"/{c.id}/{d.id}/"


async def test_delete_only_empty_categories():
    parent = await catalog.create_category("P")
    child = await catalog.create_category("C", parent.id)
    assert await _code(catalog.delete_category(parent.id)) == "CATEGORY_NOT_EMPTY"
    merchant = await make_merchant()
    await make_product(merchant, child.id, listed=False)
    assert await _code(catalog.delete_category(child.id)) == "CATEGORY_NOT_EMPTY"
    assert await Category.all().count() == 2
    empty = await catalog.create_category("E")
    await catalog.delete_category(empty.id)
    assert not await Category.exists(id=empty.id)


async def test_category_input_checks():
    assert await _code(catalog.create_category("  ")) == "INVALID_INPUT"
    assert await _code(catalog.create_category("x", 999)) == "NOT_FOUND"
    assert await _code(catalog.rename_category(999, "x")) == "NOT_FOUND"
    assert await Category.all().count() == 0


# --------------------------------------------------------------------------- products and SKUs


def _data(category_id: int, **fields) -> ProductData:
    return ProductData(category_id=category_id, title=fields.pop("title", "T恤"), **fields)


SPEC = [SpecDimensionData("颜色", ["红", "蓝"]), SpecDimensionData("尺码", ["M", "L"])]


async def test_create_product_with_specs_denormalises():
    merchant = await make_merchant()
    grants = await owner_grants(merchant)
    cat = await catalog.create_category("T恤")
    product = await catalog.create_product(
        grants,
        merchant.owner_id,
        merchant.id,
        _data(
            cat.id,
            subtitle="纯棉",
            attributes=[("产地", "云南")],
            spec_dimensions=SPEC,
            images=["https://img.example.com/1.png"],
        ),
        [
            sku("TS-RM", 5900, 3, spec_values={"尺码": "M", "颜色": "红"}),
            sku("TS-BL", 6900, 4, spec_values={"颜色": "蓝", "尺码": "L"}, member_price=5000),
        ],
    )
    assert (product.min_price, product.max_price, product.total_stock, product.status) == (5900, 6900, 7, "DRAFT")
    assert product.search_text == "t恤 纯棉 产地 云南"
    assert product.main_image_url == "https://img.example.com/1.png"
    skus = await Sku.filter(product_id=product.id).order_by("id")
    assert [s.spec_key for s in skus] == ["尺码=M;颜色=红", "尺码=L;颜色=蓝"]
    assert skus[0].spec_values == {"颜色": "红", "尺码": "M"}
    movements = await StockMovement.all().order_by("id")
    assert [(m.sku_id, m.delta, m.stock_after, m.reason) for m in movements] == [
        (skus[0].id, 3, 3, "INITIAL"),
        (skus[1].id, 4, 4, "INITIAL"),
    ]


BAD_SKUS = [
    ([sku("A", spec_values={"颜色": "红"})], "SPEC_MISMATCH", "skus[0].specValues"),  # a dimension missing
    (
        [sku("A", spec_values={"颜色": "红", "尺码": "M", "款式": "x"})],
        "SPEC_MISMATCH",
        "skus[0].specValues",
    ),  # extra key
    ([sku("A", spec_values={"颜色": "绿", "尺码": "M"})], "SPEC_MISMATCH", "skus[0].specValues"),  # unknown value
    ([sku("A", spec_values=[("颜色", "红"), ("颜色", "蓝"), ("尺码", "M")])], "SPEC_MISMATCH", "skus[0].specValues"),
    (
        [sku("A", spec_values={"颜色": "红", "尺码": "M"}), sku("B", spec_values={"尺码": "M", "颜色": "红"})],
        "SPEC_MISMATCH",
        "skus[1].specValues",
    ),
    (
        [sku("A", spec_values={"颜色": "红", "尺码": "M"}), sku("A", spec_values={"颜色": "蓝", "尺码": "M"})],
        "DUPLICATE_SKU_CODE",
        "skus[1].code",
    ),
    ([sku("A", price=0, spec_values={"颜色": "红", "尺码": "M"})], "INVALID_PRICE", "skus[0].price"),
    ([sku("A", price=10**9 + 1, spec_values={"颜色": "红", "尺码": "M"})], "INVALID_PRICE", "skus[0].price"),
    (
        [sku("A", price=100, member_price=101, spec_values={"颜色": "红", "尺码": "M"})],
        "INVALID_PRICE",
        "skus[0].memberPrice",
    ),
    (
        [sku("A", price=100, wholesale_price=0, spec_values={"颜色": "红", "尺码": "M"})],
        "INVALID_PRICE",
        "skus[0].wholesalePrice",
    ),
    ([sku("A", stock=-1, spec_values={"颜色": "红", "尺码": "M"})], "INVALID_STOCK", "skus[0].initialStock"),
    ([sku("A", stock=10**7 + 1, spec_values={"颜色": "红", "尺码": "M"})], "INVALID_STOCK", "skus[0].initialStock"),
    ([sku("bad code", spec_values={"颜色": "红", "尺码": "M"})], "INVALID_INPUT", "skus[0].code"),
]


@pytest.mark.parametrize("skus,code,field", BAD_SKUS)
async def test_bad_skus_are_refused_and_nothing_is_written(skus, code, field):
    merchant = await make_merchant()
    grants = await owner_grants(merchant)
    cat = await catalog.create_category("T恤")
    before = await _snapshot()
    with pytest.raises(DomainError) as caught:
        await catalog.create_product(grants, merchant.owner_id, merchant.id, _data(cat.id, spec_dimensions=SPEC), skus)
    assert (caught.value.code.value, caught.value.field) == (code, field)
    assert await _snapshot() == before


async def test_sku_code_is_unique_across_the_platform():
    merchant, other = await make_merchant(), await make_merchant()
    await make_product(other, skus=[sku("TAKEN")], listed=False)
    cat = await catalog.create_category("c")
    before = await _snapshot()
    with pytest.raises(DomainError) as caught:
        await catalog.create_product(await owner_grants(merchant), None, merchant.id, _data(cat.id), [sku("TAKEN")])
    assert (caught.value.code, caught.value.field) == (ErrorCode.DUPLICATE_SKU_CODE, "skus[0].code")
    assert await _snapshot() == before


BAD_ZONES = [
    (dict(zone="RETAIL", vouchers_per_unit=-1), None, "vouchersPerUnit"),
    (
        dict(
            zone="RETAIL",
            zone_starts_at=datetime(2030, 1, 2, tzinfo=UTC),
            zone_ends_at=datetime(2030, 1, 1, tzinfo=UTC),
        ),
        None,
        "zoneEndsAt",
    ),
    (dict(zone="RETAIL", voucher_product_id=999_999), None, "voucherProductId"),
    (dict(zone="NORMAL", vouchers_per_unit=2), None, "vouchersPerUnit"),
    (dict(zone="WHOLESALE"), [sku("W1", price=2200)], "skus[0].wholesalePrice"),
    (dict(zone="GIFT_PACK"), None, "giftGrade"),
    (dict(zone="GIFT_PACK", gift_grade="V9"), None, "giftGrade"),
    (dict(zone="NORMAL", gift_grade="V1"), None, "giftGrade"),
    (dict(zone="POINTS"), [sku("P1", price=100, points_price=0)], "skus[0].pointsPrice"),
]


@pytest.mark.parametrize("fields,skus,field", BAD_ZONES)
async def test_zone_settings_are_validated(fields, skus, field):
    merchant = await make_merchant()
    cat = await catalog.create_category("c")
    before = await _snapshot()
    with pytest.raises(DomainError) as caught:
        await catalog.create_product(
            await owner_grants(merchant), None, merchant.id, _data(cat.id, **fields), skus or [sku()]
        )
    assert (caught.value.code, caught.value.field) == (ErrorCode.INVALID_ZONE_SETTINGS, field)
    assert await _snapshot() == before


async def test_valid_zones():
    merchant = await make_merchant()
    wholesale = await make_product(merchant, zone="WHOLESALE", skus=[sku(price=2200, wholesale_price=440)])
    start = datetime(2030, 1, 1, tzinfo=UTC)
    retail = await make_product(
        merchant,
        zone="RETAIL",
        vouchers_per_unit=2,
        voucher_product_id=wholesale.id,
        zone_starts_at=start,
        zone_ends_at=start + timedelta(days=7),
    )
    assert (retail.vouchers_per_unit, retail.voucher_product_id) == (2, wholesale.id)
    gift = await make_product(merchant, zone="GIFT_PACK", gift_grade="v2")
    assert gift.gift_grade == "V2"
    points = await make_product(merchant, zone="POINTS", skus=[sku(price=0, points_price=500)])
    assert points.min_price == 0
    # Vouchers must name a WHOLESALE product.
    cat = await catalog.create_category("c")
    with pytest.raises(DomainError) as caught:
        await catalog.create_product(
            await owner_grants(merchant),
            None,
            merchant.id,
            _data(cat.id, zone="RETAIL", voucher_product_id=retail.id),
            [sku()],
        )
    assert caught.value.code == ErrorCode.INVALID_ZONE_SETTINGS


@pytest.mark.parametrize(
    "fields,code,field",
    [
        (dict(coins_granted=-1), "INVALID_INPUT", "coinsGranted"),
        (dict(points_granted=-5), "INVALID_INPUT", "pointsGranted"),
        (dict(purchase_limit=-1), "INVALID_INPUT", "purchaseLimit"),
        (dict(distribution_rates={4: 100}), "INVALID_RATE", "distributionRates"),
        (dict(distribution_rates={1: 10_001}), "INVALID_RATE", "distributionRates"),
        (dict(distribution_rates=[(1, 100), (1, 200)]), "INVALID_RATE", "distributionRates"),
        (dict(title=""), "INVALID_INPUT", "title"),
        (dict(images=["ftp://x"]), "INVALID_INPUT", "images[0]"),
        (dict(category_id=999_999), "NOT_FOUND", "categoryId"),
        (dict(spec_dimensions=[SpecDimensionData("颜色", [])]), "SPEC_MISMATCH", "specDimensions[0].values"),
    ],
)
async def test_product_settings_are_validated(fields, code, field):
    merchant = await make_merchant()
    cat = await catalog.create_category("c")
    data = _data(fields.pop("category_id", cat.id), **fields)
    before = await _snapshot()
    with pytest.raises(DomainError) as caught:
        await catalog.create_product(await owner_grants(merchant), None, merchant.id, data, [])
    assert (caught.value.code.value, caught.value.field) == (code, field)
    assert await _snapshot() == before


async def test_settings_are_stored():
    merchant = await make_merchant()
    product = await make_product(
        merchant,
        coins_granted=10,
        points_granted=20,
        distribution_enabled=False,
        distribution_rates={1: 1000, 3: 0},
        purchase_limit=2,
    )
    assert (product.coins_granted, product.points_granted, product.distribution_enabled, product.purchase_limit) == (
        10,
        20,
        False,
        2,
    )
    assert product.distribution_rates == {"1": 1000, "3": 0}


async def test_set_skus_updates_by_code_retires_missing_and_keeps_stock():
    merchant = await make_merchant()
    grants = await owner_grants(merchant)
    cat = await catalog.create_category("c")
    product = await catalog.create_product(
        grants,
        None,
        merchant.id,
        _data(cat.id, spec_dimensions=[SpecDimensionData("颜色", ["红", "蓝"])]),
        [sku("R", 1000, 5, spec_values={"颜色": "红"}), sku("B", 2000, 6, spec_values={"颜色": "蓝"})],
    )
    # Swap the colours of R and B (unique index on the combination), drop nothing.
    product = await catalog.set_skus(
        grants,
        None,
        product.id,
        [
            sku("R", 1500, 99, spec_values={"颜色": "蓝"}),
            sku("B", 2500, 99, spec_values={"颜色": "红"}),
        ],
    )
    rows = {s.code: s for s in await Sku.filter(product_id=product.id)}
    assert (rows["R"].spec_values, rows["R"].price, rows["R"].stock) == ({"颜色": "蓝"}, 1500, 5)  # stock kept
    assert (product.min_price, product.max_price, product.total_stock) == (1500, 2500, 11)
    # Retire B: the total drops, the SKU is kept inactive; a new one takes its combination.
    product = await catalog.set_skus(
        grants,
        None,
        product.id,
        [sku("R", 1500, 0, spec_values={"颜色": "蓝"}), sku("N", 900, 2, spec_values={"颜色": "红"})],
    )
    rows = {s.code: s for s in await Sku.filter(product_id=product.id)}
    assert rows["B"].is_active is False and rows["N"].stock == 2
    assert (product.min_price, product.max_price, product.total_stock) == (900, 1500, 7)


async def test_update_product_replaces_details_and_checks_kept_skus():
    merchant = await make_merchant()
    grants = await owner_grants(merchant)
    product = await make_product(merchant, skus=[sku("K", spec_values={})], listed=False)
    cat = await catalog.create_category("new")
    before = await _snapshot()
    with pytest.raises(DomainError) as caught:  # the kept SKU lacks the new dimension
        await catalog.update_product(
            grants, None, product.id, _data(cat.id, spec_dimensions=[SpecDimensionData("颜色", ["红"])])
        )
    assert caught.value.code == ErrorCode.SPEC_MISMATCH
    with pytest.raises(DomainError) as caught:  # WHOLESALE needs wholesale prices on the kept SKUs
        await catalog.update_product(grants, None, product.id, _data(cat.id, zone="WHOLESALE"))
    assert caught.value.code == ErrorCode.INVALID_ZONE_SETTINGS
    assert await _snapshot() == before
    updated = await catalog.update_product(grants, None, product.id, _data(cat.id, title="新标题", subtitle="副标题"))
    assert (updated.title, updated.category_id, updated.search_text) == ("新标题", cat.id, "新标题 副标题")


async def test_staff_of_another_merchant_is_forbidden():
    mine, theirs = await make_merchant(), await make_merchant()
    product = await make_product(theirs, listed=False)
    staff = await make_staff(mine)
    grants = await load_grants(staff.id)
    cat = await catalog.create_category("c")
    before = await _snapshot()
    assert await _code(catalog.create_product(grants, staff.id, theirs.id, _data(cat.id), [sku()])) == "FORBIDDEN"
    assert (
        await _code(catalog.update_product(grants, staff.id, product.id, _data(cat.id, title="hijack"))) == "FORBIDDEN"
    )
    assert await _code(catalog.set_skus(grants, staff.id, product.id, [])) == "FORBIDDEN"
    assert await _code(catalog.list_product(grants, product.id)) == "FORBIDDEN"
    assert await _code(catalog.delist_product(grants, product.id)) == "FORBIDDEN"
    assert await _snapshot() == before
    # An admin with merchant.manage may act on any merchant.
    admin = Grants(platform={"merchant.manage"})
    assert (await catalog.update_product(admin, None, product.id, _data(cat.id, title="by admin"))).title == "by admin"


# --------------------------------------------------------------------------- listing


async def test_listing_needs_stock_and_an_active_merchant():
    merchant = await make_merchant()
    grants = await owner_grants(merchant)
    empty = await make_product(merchant, skus=[sku(stock=0)], listed=False)
    assert await _code(catalog.list_product(grants, empty.id)) == "PRODUCT_NOT_LISTABLE"
    no_skus = await make_product(merchant, skus=[], listed=False)
    assert await _code(catalog.list_product(grants, no_skus.id)) == "PRODUCT_NOT_LISTABLE"
    inactive = await make_product(merchant, skus=[sku(stock=5, is_active=False)], listed=False)
    assert await _code(catalog.list_product(grants, inactive.id)) == "PRODUCT_NOT_LISTABLE"
    suspended = await make_merchant(status="SUSPENDED")
    product = await make_product(suspended, listed=False)
    assert await _code(catalog.list_product(await owner_grants(suspended), product.id)) == "PRODUCT_NOT_LISTABLE"
    assert await Product.filter(status="LISTED").count() == 0
    ok = await make_product(merchant)
    assert ok.status == "LISTED" and ok.listed_at is not None
    delisted = await catalog.delist_product(grants, ok.id)
    assert (delisted.status, delisted.delist_reason) == ("DELISTED", "MANUAL")


async def test_retiring_the_last_stocked_sku_delists():
    merchant = await make_merchant()
    grants = await owner_grants(merchant)
    product = await make_product(merchant, skus=[sku("ONE", stock=3)])
    product = await catalog.set_skus(grants, None, product.id, [sku("TWO", stock=0)])
    assert (product.status, product.delist_reason, product.total_stock) == ("DELISTED", "OUT_OF_STOCK", 0)
