"""Demo catalog for the development server, built through the real services so it obeys
every rule: the self-operated merchant, two reviewed merchants, stores in two cities, and
a product in each zone, including the seed's worked example (retail 2200 with 2 vouchers
per unit; wholesale 440)."""

from __future__ import annotations

from models.accounts import User
from models.catalog import Category, Product
from models.merchants import Merchant
from services.accounts import access
from services.catalog import products as catalog
from services.catalog.products import ProductData, SkuData, SpecDimensionData
from services.core.global_ids import encode
from services.merchants import merchants, stores
from services.merchants.stores import OpeningHours, StoreData

YUAN = 100
HOURS = [OpeningHours(weekday=d, opens="09:00", closes="21:00") for d in range(1, 8)]


async def _merchant(admin: User, owner: User, name: str, description: str) -> Merchant:
    existing = await Merchant.get_or_none(name=name)
    if existing is not None:
        return existing
    applied = await merchants.apply(
        owner,
        merchants.Application(
            name=name,
            legal_name=f"{name}有限公司",
            business_license_no="91330100MA2DEMO00X",
            contact_name=owner.nickname,
            contact_phone="13800000009",
            description=description,
        ),
    )
    return await merchants.review(admin.id, applied.id, "APPROVE", "demo data")


async def _category(name: str, parent: Category | None = None) -> Category:
    found = await Category.get_or_none(name=name, parent_id=parent.id if parent else None)
    return found or await catalog.create_category(name, parent.id if parent else None)


async def _product(grants, actor: User, merchant: Merchant, data: ProductData, skus: list[SkuData]) -> Product:
    found = await Product.get_or_none(merchant_id=merchant.id, title=data.title)
    if found is not None:
        return found
    product = await catalog.create_product(grants, actor.id, merchant.id, data, skus)
    return await catalog.list_product(grants, product.id)


async def seed_catalog(admin: User, owner_a: User, owner_b: User) -> list[str]:
    self_operated = await merchants.ensure_self_operated_merchant()
    tea = await _merchant(admin, owner_a, "云岭茶园", "Pu'er and black tea from Yunnan, direct from the garden.")
    fashion = await _merchant(admin, owner_b, "杭派女装", "Hangzhou womenswear studio with two boutiques.")
    admin_grants = await access.load_grants(admin.id)  # admins may act for any merchant

    for merchant, name, codes, address, lat, lng in (
        (tea, "云岭茶园 昆明旗舰店", ("530000", "530100", "530102"), "五华区 翠湖南路 8 号", 25.0453, 102.7064),
        (fashion, "杭派女装 西湖店", ("330000", "330100", "330106"), "西湖区 文三路 90 号", 30.2799, 120.1330),
        (fashion, "杭派女装 湖滨店", ("330000", "330100", "330102"), "上城区 湖滨路 20 号", 30.2588, 120.1637),
    ):
        if not await merchant.stores.filter(name=name).exists():
            await stores.create_store(
                admin_grants,
                merchant.id,
                StoreData(
                    name=name,
                    province_code=codes[0],
                    city_code=codes[1],
                    county_code=codes[2],
                    address=address,
                    latitude=lat,
                    longitude=lng,
                    phone="0571-88880000",
                    opening_hours=HOURS,
                    service_items=["pickup", "tasting" if merchant is tea else "alterations"],
                ),
            )

    food = await _category("食品饮料")
    tea_category = await _category("茶叶", food)
    clothing = await _category("服饰")
    gifts = await _category("礼包")

    wholesale = await _product(
        admin_grants,
        admin,
        self_operated,
        ProductData(
            category_id=tea_category.id,
            title="古树普洱茶饼 357g (批发专区)",
            zone="WHOLESALE",
            subtitle="One voucher per unit; consign or take delivery.",
        ),
        [SkuData(code="DEMO-PUER-W", spec_values={}, price=2200 * YUAN, wholesale_price=440 * YUAN, initial_stock=500)],
    )
    retail = await _product(
        admin_grants,
        admin,
        self_operated,
        ProductData(
            category_id=tea_category.id,
            title="古树普洱茶饼 357g",
            zone="RETAIL",
            vouchers_per_unit=2,
            voucher_product_id=wholesale.id,
            subtitle="Worked example: 2200 yuan, 2 wholesale vouchers per unit.",
            attributes=[("产地", "云南 临沧")],
        ),
        [SkuData(code="DEMO-PUER-R", spec_values={}, price=2200 * YUAN, initial_stock=200)],
    )
    await _product(
        admin_grants,
        admin,
        self_operated,
        ProductData(
            category_id=gifts.id,
            title="合伙人礼包 V1",
            zone="GIFT_PACK",
            gift_grade="V1",
        ),
        [SkuData(code="DEMO-GIFT-V1", spec_values={}, price=399 * YUAN, initial_stock=1000)],
    )
    await _product(
        admin_grants,
        admin,
        self_operated,
        ProductData(
            category_id=food.id,
            title="会员专享 坚果礼盒",
            zone="MEMBER",
            vouchers_per_unit=1,
        ),
        [SkuData(code="DEMO-NUTS", spec_values={}, price=168 * YUAN, member_price=128 * YUAN, initial_stock=300)],
    )
    await _product(
        admin_grants,
        admin,
        self_operated,
        ProductData(
            category_id=food.id,
            title="积分兑换 保温杯",
            zone="POINTS",
        ),
        [SkuData(code="DEMO-CUP", spec_values={}, price=0, points_price=2000, initial_stock=50)],
    )
    await _product(
        admin_grants,
        admin,
        tea,
        ProductData(
            category_id=tea_category.id,
            title="滇红金芽 250g",
            zone="NORMAL",
            coins_granted=5 * YUAN,
        ),
        [SkuData(code="DEMO-DIANHONG", spec_values={}, price=98 * YUAN, member_price=88 * YUAN, initial_stock=120)],
    )
    await _product(
        admin_grants,
        admin,
        fashion,
        ProductData(
            category_id=clothing.id,
            title="真丝连衣裙",
            zone="NORMAL",
            spec_dimensions=[SpecDimensionData("颜色", ["藕粉", "墨绿"]), SpecDimensionData("尺码", ["S", "M", "L"])],
        ),
        [
            SkuData(
                code=f"DEMO-DRESS-{c}-{s}", spec_values={"颜色": colour, "尺码": s}, price=699 * YUAN, initial_stock=8
            )
            for c, colour in (("P", "藕粉"), ("G", "墨绿"))
            for s in ("S", "M", "L")
        ],
    )
    return [
        f"Catalog: merchants {self_operated.name}, {tea.name}, {fashion.name}; stores in 昆明 and 杭州;",
        f"  worked example: retail product {encode('Product', retail.id)} (2200, 2 vouchers/unit) and wholesale product "
        f"{encode('Product', wholesale.id)} (440).",
    ]
