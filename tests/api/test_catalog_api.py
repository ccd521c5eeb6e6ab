"""Catalog through GraphQL: categories (catalog.manage), products and SKUs (merchant
staff), listing, stock, and the constant query count of product lists."""

from __future__ import annotations

import pytest

from models.catalog import Category, Product, Sku, StockMovement
from models.merchants import Merchant
from services.catalog import products as catalog
from tests.catalog_factories import make_merchant, make_product, make_staff, sku
from tests.helpers import at, gid, make_user, pk_of, token_for
from tests.querycount import count_queries

CREATE_CATEGORY = "mutation($n: String!, $p: ID) { createCategory(name: $n, parentId: $p) { category { id name parentId pathIds } errors { code field } } }"
MOVE = "mutation($id: ID!, $p: ID) { moveCategory(id: $id, parentId: $p) { category { id pathIds } errors { code field } } }"
TREE = "{ categories { id name sortOrder children { id name children { id name } } } }"

PRODUCT_FIELDS = """
  id title zone status delistReason totalStock giftGrade vouchersPerUnit
  minPrice { amount currency } maxPrice { amount currency }
  attributes { name value } specDimensions { name values } distributionRates { level rateBp }
  skus { id code stock specValues { name value } price { amount } memberPrice { amount } wholesalePrice { amount } }
  merchant { id name logoUrl } category { id name }
"""
CREATE_PRODUCT = f"""mutation($m: ID!, $i: ProductInput!, $s: [SkuInput!]) {{
  createProduct(merchantId: $m, input: $i, skus: $s) {{ product {{ {PRODUCT_FIELDS} }} errors {{ code field }} }} }}"""
UPDATE_PRODUCT = "mutation($id: ID!, $i: ProductInput!, $s: [SkuInput!]) { updateProduct(id: $id, input: $i, skus: $s) { product { id title } errors { code field } } }"
SET_SKUS = "mutation($id: ID!, $s: [SkuInput!]!) { setSkus(productId: $id, skus: $s) { product { id totalStock } errors { code field } } }"
LIST = "mutation($id: ID!) { listProduct(id: $id) { product { id status } errors { code field } } }"
DELIST = "mutation($id: ID!) { delistProduct(id: $id) { product { id status delistReason } errors { code field } } }"
ADJUST = "mutation($id: ID!, $d: Int!, $r: StockAdjustmentReason!) { adjustStock(skuId: $id, delta: $d, reason: $r) { sku { id stock } errors { code field } } }"


async def _admin_token() -> str:
    return await token_for(await make_user("admin", roles=("admin",)))


# --------------------------------------------------------------------------- categories


async def test_category_admin_flow(api):
    token = await _admin_token()
    root = (await api(CREATE_CATEGORY, {"n": "服装"}, token=token))["createCategory"]["category"]
    child = (await api(CREATE_CATEGORY, {"n": "女装", "p": root["id"]}, token=token))["createCategory"]["category"]
    grand = (await api(CREATE_CATEGORY, {"n": "连衣裙", "p": child["id"]}, token=token))["createCategory"]["category"]
    assert grand["pathIds"] == [root["id"], child["id"], grand["id"]] and grand["parentId"] == child["id"]
    cycle = (await api(MOVE, {"id": root["id"], "p": grand["id"]}, token=token))["moveCategory"]
    assert cycle == {"category": None, "errors": [{"code": "CATEGORY_CYCLE", "field": ["parentId"]}]}
    moved = (await api(MOVE, {"id": child["id"]}, token=token))["moveCategory"]["category"]
    assert moved["pathIds"] == [child["id"]]
    assert (await Category.get(id=pk_of(grand["id"]))).path == f"/{pk_of(child['id'])}/{pk_of(grand['id'])}/"
    await api(f'mutation {{ renameCategory(id: "{root["id"]}", name: "服饰") {{ errors {{ code }} }} }}', token=token)
    await api(f'mutation {{ reorderCategory(id: "{root["id"]}", sortOrder: 9) {{ errors {{ code }} }} }}', token=token)
    tree = (await api(TREE))["categories"]
    assert [(c["name"], c["sortOrder"]) for c in tree] == [("女装", 0), ("服饰", 9)]
    assert tree[0]["children"] == [{"id": grand["id"], "name": "连衣裙", "children": []}]
    not_empty = await api(f'mutation {{ deleteCategory(id: "{child["id"]}") {{ ok errors {{ code }} }} }}', token=token)
    assert not_empty["deleteCategory"] == {"ok": False, "errors": [{"code": "CATEGORY_NOT_EMPTY"}]}
    done = await api(f'mutation {{ deleteCategory(id: "{grand["id"]}") {{ ok errors {{ code }} }} }}', token=token)
    assert done["deleteCategory"] == {"ok": True, "errors": []}


async def test_category_tree_is_one_query_whatever_its_size(api):
    async def tree_queries() -> int:
        with count_queries() as counter:
            await api("{ categories { id children { id children { id children { id } } } } }")
        return counter.count

    root = await catalog.create_category("r")
    await catalog.create_category("a", root.id)
    small = await tree_queries()
    for i in range(5):
        parent = await catalog.create_category(f"p{i}", root.id)
        for j in range(4):
            await catalog.create_category(f"c{i}{j}", parent.id)
    assert await tree_queries() == small == 1


# --------------------------------------------------------------------------- products


def _input(category_id: int | str, **fields) -> dict:
    """`category_id`: a key, or a string passed as it is (a malformed id)."""
    category = category_id if isinstance(category_id, str) else gid("Category", category_id)
    return {"categoryId": category, "title": "纯棉T恤", **fields}


async def test_create_product_through_graphql(api):
    merchant = await make_merchant(logo_url="https://img.example.com/logo.png")
    token = await token_for(await make_staff(merchant))
    cat = await catalog.create_category("T恤")
    variables = {
        "m": gid(merchant),
        "i": _input(
            cat.id,
            zone="WHOLESALE",
            attributes=[{"name": "产地", "value": "新疆"}],
            specDimensions=[{"name": "颜色", "values": ["白", "黑"]}],
            distributionRates=[{"level": 1, "rateBp": 1000}],
        ),
        "s": [
            {
                "code": "TS-W",
                "price": "22.00",
                "wholesalePrice": "4.40",
                "initialStock": 5,
                "specValues": [{"name": "颜色", "value": "白"}],
            },
            {
                "code": "TS-B",
                "price": "25.00",
                "wholesalePrice": "5.00",
                "memberPrice": "20.00",
                "initialStock": 0,
                "specValues": [{"name": "颜色", "value": "黑"}],
            },
        ],
    }
    result = (await api(CREATE_PRODUCT, variables, token=token))["createProduct"]
    assert result["errors"] == []
    product = result["product"]
    assert (product["zone"], product["status"], product["totalStock"]) == ("WHOLESALE", "DRAFT", 5)
    assert product["minPrice"] == {"amount": "22.00", "currency": "CNY"} and product["maxPrice"]["amount"] == "25.00"
    assert product["merchant"] == {
        "id": gid(merchant),
        "name": merchant.name,
        "logoUrl": "https://img.example.com/logo.png",
    }
    assert product["category"] == {"id": gid(cat), "name": "T恤"}
    assert product["distributionRates"] == [{"level": 1, "rateBp": 1000}]
    assert [s["wholesalePrice"]["amount"] for s in product["skus"]] == ["4.40", "5.00"]
    assert product["skus"][1]["memberPrice"] == {"amount": "20.00"}
    assert product["skus"][0]["specValues"] == [{"name": "颜色", "value": "白"}]


async def test_bad_product_input_is_errors_as_data_and_writes_nothing(api):
    merchant = await make_merchant()
    token = await token_for(await make_staff(merchant))
    cat = await catalog.create_category("c")
    cases = [
        ({"i": _input(cat.id), "s": [{"code": "A", "price": "0.00"}]}, "INVALID_PRICE", "skus.0.price"),
        (
            {"i": _input(cat.id), "s": [{"code": "A", "price": "1.00", "initialStock": -1}]},
            "INVALID_STOCK",
            "skus.0.initialStock",
        ),
        (
            {"i": _input(cat.id), "s": [{"code": "A", "price": "1.00"}, {"code": "A", "price": "1.00"}]},
            "DUPLICATE_SKU_CODE",
            "skus.1.code",
        ),
        (
            {"i": _input(cat.id), "s": [{"code": "A", "price": "1.00", "specValues": [{"name": "x", "value": "y"}]}]},
            "SPEC_MISMATCH",
            "skus.0.specValues",
        ),
        ({"i": _input(cat.id, zone="GIFT_PACK"), "s": []}, "INVALID_ZONE_SETTINGS", "giftGrade"),
        (
            {"i": _input(cat.id, zone="POINTS"), "s": [{"code": "P", "price": "0.00"}]},
            "INVALID_ZONE_SETTINGS",
            "skus.0.pointsPrice",
        ),
        (
            {"i": _input(cat.id, distributionRates=[{"level": 4, "rateBp": 1}]), "s": []},
            "INVALID_RATE",
            "distributionRates",
        ),
        ({"i": _input("abc"), "s": []}, "INVALID_ID", "categoryId"),
    ]
    for variables, code, field in cases:
        result = (await api(CREATE_PRODUCT, {"m": gid(merchant), **variables}, token=token))["createProduct"]
        assert result == {"product": None, "errors": [{"code": code, "field": at(field)}]}, variables
    assert (await Product.all().count(), await Sku.all().count(), await StockMovement.all().count()) == (0, 0, 0)


async def test_update_list_adjust_and_stock_queries(api):
    merchant = await make_merchant(low_stock_threshold=3)
    token = await token_for(await make_staff(merchant))
    product = await make_product(merchant, skus=[sku("S1", stock=0)], listed=False)
    refused = (await api(LIST, {"id": gid(product)}, token=token))["listProduct"]
    assert refused["errors"] == [{"code": "PRODUCT_NOT_LISTABLE", "field": ["id"]}]
    s1 = await Sku.get(code="S1")
    assert (await api(ADJUST, {"id": gid(s1), "d": 5, "r": "RESTOCK"}, token=token))["adjustStock"] == {
        "sku": {"id": gid(s1), "stock": 5},
        "errors": [],
    }
    assert (await api(LIST, {"id": gid(product)}, token=token))["listProduct"]["product"]["status"] == "LISTED"
    short = (await api(ADJUST, {"id": gid(s1), "d": -6, "r": "DAMAGE"}, token=token))["adjustStock"]
    assert short == {"sku": None, "errors": [{"code": "INSUFFICIENT_STOCK", "field": ["delta"]}]}
    await api(ADJUST, {"id": gid(s1), "d": -3, "r": "DAMAGE"}, token=token)
    low = await api(
        f'{{ lowStockSkus(merchantId: "{gid(merchant)}") {{ nodes {{ code stock product {{ id }} }} }} }}', token=token
    )
    assert low["lowStockSkus"]["nodes"] == [{"code": "S1", "stock": 2, "product": {"id": gid(product)}}]
    moves = await api(
        f'{{ stockMovements(skuId: "{gid(s1)}") {{ nodes {{ delta stockAfter reason }} }} }}', token=token
    )
    assert moves["stockMovements"]["nodes"] == [
        {"delta": -3, "stockAfter": 2, "reason": "DAMAGE"},
        {"delta": 5, "stockAfter": 5, "reason": "RESTOCK"},
    ]
    cat = await catalog.create_category("new")
    updated = (await api(UPDATE_PRODUCT, {"id": gid(product), "i": _input(cat.id, title="新")}, token=token))[
        "updateProduct"
    ]
    assert updated == {"product": {"id": gid(product), "title": "新"}, "errors": []}
    replaced = (
        await api(
            SET_SKUS, {"id": gid(product), "s": [{"code": "S2", "price": "1.00", "initialStock": 4}]}, token=token
        )
    )["setSkus"]
    assert replaced == {"product": {"id": gid(product), "totalStock": 4}, "errors": []}
    delisted = (await api(DELIST, {"id": gid(product)}, token=token))["delistProduct"]["product"]
    assert (delisted["status"], delisted["delistReason"]) == ("DELISTED", "MANUAL")
    listing = await api(
        f'{{ merchantProducts(merchantId: "{gid(merchant)}", status: DELISTED) {{ nodes {{ id }} }} }}', token=token
    )
    assert listing["merchantProducts"]["nodes"] == [{"id": gid(product)}]


async def test_public_product_hides_drafts_but_staff_see_them(api):
    merchant = await make_merchant()
    draft = await make_product(merchant, listed=False)
    listed = await make_product(merchant)
    query = "query($id: ID!) { product(id: $id) { id status } }"
    assert (await api(query, {"id": gid(draft)}))["product"] is None
    assert (await api(query, {"id": gid(listed)}))["product"] == {"id": gid(listed), "status": "LISTED"}
    token = await token_for(await make_staff(merchant))
    assert (await api(query, {"id": gid(draft)}, token=token))["product"]["status"] == "DRAFT"
    await Merchant.filter(id=merchant.id).update(status="SUSPENDED")
    assert (await api(query, {"id": gid(listed)}))["product"] is None


# --------------------------------------------------------------------------- scoped permission matrix


@pytest.mark.parametrize(
    "operation",
    ["create", "update", "setSkus", "list", "delist", "adjust", "lowStock", "movements", "merchantProducts"],
)
async def test_product_mutations_scoped_matrix(api, operation):
    merchant, other = await make_merchant(), await make_merchant()
    product = await make_product(merchant, skus=[sku("M1", stock=5)], listed=False)
    s1 = await Sku.get(code="M1")
    cat = await catalog.create_category("c")
    calls = {
        "create": (
            CREATE_PRODUCT,
            {"m": gid(merchant), "i": _input(cat.id), "s": [{"code": "NEW1", "price": "1.00", "initialStock": 1}]},
        ),
        "update": (UPDATE_PRODUCT, {"id": gid(product), "i": _input(cat.id, title="changed")}),
        "setSkus": (SET_SKUS, {"id": gid(product), "s": [{"code": "M1", "price": "3.00"}]}),
        "list": (LIST, {"id": gid(product)}),
        "delist": (DELIST, {"id": gid(product)}),
        "adjust": (ADJUST, {"id": gid(s1), "d": 1, "r": "RESTOCK"}),
        "lowStock": (f'{{ lowStockSkus(merchantId: "{gid(merchant)}") {{ nodes {{ id }} }} }}', {}),
        "movements": (f'{{ stockMovements(skuId: "{gid(s1)}") {{ nodes {{ id }} }} }}', {}),
        "merchantProducts": (f'{{ merchantProducts(merchantId: "{gid(merchant)}") {{ nodes {{ id }} }} }}', {}),
    }
    query, variables = calls[operation]

    async def outcome(token: str | None) -> str:
        body = await api.raw(query, variables, token=token)
        if body.get("errors"):
            return body["errors"][0]["extensions"]["code"]
        payload = next(iter(body["data"].values()))
        errors = payload.get("errors") if isinstance(payload, dict) else None
        return errors[0]["code"] if errors else "OK"

    customer = await make_user("customer")
    other_staff = await make_staff(other)
    own_without = await make_staff(merchant, permissions=["merchant.orders"])
    own_with = await make_staff(merchant)
    admin = await make_user("admin", roles=("admin",))
    support = await make_user("support", roles=("support",))
    before = (await Product.get(id=product.id), await Sku.all().count(), await StockMovement.all().count())
    for who, token in (
        ("anonymous", None),
        ("customer", await token_for(customer)),
        ("other merchant's staff", await token_for(other_staff)),
        ("own staff without merchant.products", await token_for(own_without)),
        ("support", await token_for(support)),
    ):
        assert await outcome(token) == ("UNAUTHENTICATED" if token is None else "FORBIDDEN"), who
    after = (await Product.get(id=product.id), await Sku.all().count(), await StockMovement.all().count())
    assert (before[0].title, before[0].status, before[1], before[2]) == (
        after[0].title,
        after[0].status,
        after[1],
        after[2],
    )
    assert await outcome(await token_for(own_with)) == "OK"
    if operation in ("list", "delist", "adjust"):
        await Product.filter(id=product.id).update(status="DRAFT", delist_reason="")
    if operation == "create":
        variables["s"][0]["code"] = "NEW2"
    assert await outcome(await token_for(admin)) == "OK"


# --------------------------------------------------------------------------- constant query counts


async def seed_listed_products(count: int, merchants: int = 3) -> list[Merchant]:
    owner = await make_user("owner")
    rows = [
        await Merchant.create(name=f"批量店{i}-{count}", owner_id=owner.id, status="ACTIVE") for i in range(merchants)
    ]
    cats = [await catalog.create_category(f"类{i}") for i in range(3)]
    await Product.bulk_create(
        [
            Product(
                merchant_id=rows[i % merchants].id,
                category_id=cats[i % 3].id,
                title=f"商品{i}",
                status="LISTED",
                min_price=100 + i,
                max_price=200 + i,
                total_stock=5,
                search_text=f"商品{i}",
            )
            for i in range(count)
        ]
    )
    products = await Product.filter(merchant_id__in=[m.id for m in rows]).order_by("id")
    await Sku.bulk_create(
        [
            Sku(
                product_id=p.id,
                code=f"B{p.id}-{j}",
                spec_values={"规格": str(j)},
                spec_key=f"规格={j}",
                price=100 + j,
                stock=5,
            )
            for p in products
            for j in range(2)
        ]
    )
    return rows


LIST_QUERY = """query($n: Int!) { searchProducts(first: $n, sort: NEWEST) { nodes {
  id title minPrice { amount } skus { id code price { amount } stock specValues { name value } }
  merchant { id name logoUrl } category { id name children { id } } } pageInfo { hasNextPage } } }"""


async def _count(api, query: str, variables: dict, token: str | None = None) -> tuple[int, dict]:
    with count_queries() as counter:
        data = await api(query, variables, token=token)
    return counter.count, data


@pytest.mark.parametrize("size", [10, 100])
async def test_search_list_costs_constant_queries(api, size):
    await seed_listed_products(size)
    queries, data = await _count(api, LIST_QUERY, {"n": size})
    nodes = data["searchProducts"]["nodes"]
    assert len(nodes) == size and all(len(n["skus"]) == 2 and n["merchant"]["name"] for n in nodes)
    # search, SKUs, merchants, categories, child categories: five, for 10 or 100 products
    assert queries == 5


async def test_merchant_product_list_costs_the_same_for_10_and_100(api):
    small, large = await seed_listed_products(10, merchants=1), await seed_listed_products(100, merchants=1)
    query = """query($m: ID!) { merchantProducts(merchantId: $m, first: 100) { nodes {
      id skus { id price { amount } } merchant { id name } category { id name } } } }"""
    counts = []
    for merchant, expected in ((small[0], 10), (large[0], 100)):
        token = await token_for(await make_staff(merchant))
        queries, data = await _count(api, query, {"m": gid(merchant)}, token=token)
        assert len(data["merchantProducts"]["nodes"]) == expected
        counts.append(queries)
    assert counts[0] == counts[1]
