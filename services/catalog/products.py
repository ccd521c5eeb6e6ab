"""Catalog (CAT-1..CAT-4): the category tree, products (SPU) with their SKUs, listing.

- Categories keep a materialised path of ids ("/1/4/9/", the category's own id last):
  a subtree is one `path LIKE '/1/4/%'`, and a move rewrites the whole subtree's paths in
  one UPDATE inside the move's transaction. Moving a category under itself or a
  descendant is refused (CATEGORY_CYCLE).
- Products and SKUs are validated completely before anything is written; a bad input
  raises a DomainError with an exact code and nothing changes (one unit of work).
- A product's min/max price, total stock and search text are denormalised from its
  active SKUs on every change (filters and sorts read them from the product row).
- Stock never changes here except a new SKU's initial stock, recorded through
  `services.catalog.stock` like every other change.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime

from tortoise.exceptions import IntegrityError

from models.catalog import Category, Product, Sku
from models.merchants import Merchant
from services.accounts.access import Grants, require_merchant
from services.catalog.events import ProductDelisted
from services.catalog.limits import MAX_STOCK, PRODUCTS_PERMISSION
from services.catalog.product_states import DELISTED, DELIVERY_KINDS, LISTED, PHYSICAL, VIRTUAL
from services.core import clock
from services.core.errors import DomainError, ErrorCode
from services.core.events import emit, merchant_channel, public_data_changed, unit_of_work
from services.core.hooks import Provider
from services.core.sql import sql
from services.core.validation import http_url
from services.merchants import merchants

# The grade codes a gift pack may set (DIS-6's ladder, distribution's: wiring.py provides it).
GRADE_CODES: Provider[Callable[[], Awaitable[list[str]]]] = Provider("grade ladder codes")

ZONES = ("RETAIL", "MEMBER", "WHOLESALE", "GIFT_PACK", "POINTS", "NORMAL", "MEMBERSHIP")  # MEMBERSHIP: MEM-1
VOUCHER_ZONES = ("RETAIL", "MEMBER")  # zones that grant wholesale vouchers (CAT-2, CON-1/CON-7)
MEMBER_PRICE_FOLD = (5000, 9500)  # MEM-1: a member price is 5 to 9.5 fold (50 %-95 %) of the price, basis points
DISTRIBUTION_LEVELS = (1, 2, 3)  # compliance cap (RISK-1): never more than three levels

MAX_PRICE = 10**9  # fen: 10 million yuan
MAX_GRANT = 10**9  # coins / points granted per unit
MAX_SKUS = 200
MAX_IMAGES = 20
MAX_ATTRIBUTES = 50
MAX_DIMENSIONS = 5
MAX_DIMENSION_VALUES = 50
MAX_CATEGORY_DEPTH = 8
SKU_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


# --------------------------------------------------------------------------- small checks


def _text(value: str, field: str, *, max_length: int, required: bool = False) -> str:
    value = (value or "").strip()
    if required and not value:
        raise DomainError(ErrorCode.INVALID_INPUT, "This cannot be empty.", field)
    if len(value) > max_length:
        raise DomainError(ErrorCode.INVALID_INPUT, f"At most {max_length} characters.", field)
    return value


def _int(value: int, field: str, *, low: int, high: int, code: ErrorCode = ErrorCode.INVALID_INPUT) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise DomainError(code, f"Must be an integer from {low} to {high}.", field)
    return value


# --------------------------------------------------------------------------- categories


async def _category(category_id: int, field: str = "id") -> Category:
    category = await Category.get_or_none(id=category_id)
    if category is None:
        raise DomainError(ErrorCode.NOT_FOUND, "No such category.", field)
    return category


async def create_category(
    name: str, parent_id: int | None = None, *, sort_order: int = 0, icon_url: str = ""
) -> Category:
    name = _text(name, "name", max_length=64, required=True)
    icon_url = http_url(icon_url, "iconUrl")
    _int(sort_order, "sortOrder", low=-(10**6), high=10**6)
    async with unit_of_work():
        parent = await _category(parent_id, "parentId") if parent_id is not None else None
        if parent is not None and parent.path.count("/") - 1 >= MAX_CATEGORY_DEPTH:
            raise DomainError(
                ErrorCode.INVALID_INPUT, f"Categories nest at most {MAX_CATEGORY_DEPTH} deep.", "parentId"
            )
        category = await Category.create(parent_id=parent_id, name=name, sort_order=sort_order, icon_url=icon_url)
        category.path = f"{parent.path if parent else '/'}{category.id}/"
        await category.save(update_fields=["path"])
        public_data_changed()
    return category


async def rename_category(category_id: int, name: str) -> Category:
    name = _text(name, "name", max_length=64, required=True)
    async with unit_of_work():
        category = await _category(category_id)
        category.name = name
        await category.save(update_fields=["name"])
        public_data_changed()
    return category


async def reorder_category(category_id: int, sort_order: int) -> Category:
    _int(sort_order, "sortOrder", low=-(10**6), high=10**6)
    async with unit_of_work():
        category = await _category(category_id)
        category.sort_order = sort_order
        await category.save(update_fields=["sort_order"])
        public_data_changed()
    return category


async def move_category(category_id: int, parent_id: int | None) -> Category:
    """Re-parent a category (None: make it a root); its whole subtree follows."""
    async with unit_of_work() as conn:
        category = await _category(category_id)
        old_path = category.path
        if parent_id is None:
            new_path = f"/{category.id}/"
        else:
            parent = await _category(parent_id, "parentId")
            if parent.path.startswith(old_path):  # itself or one of its descendants
                raise DomainError(
                    ErrorCode.CATEGORY_CYCLE, "A category cannot move under itself or its descendants.", "parentId"
                )
            new_path = f"{parent.path}{category.id}/"
            depth = new_path.count("/") - 1
            deepest = await Category.filter(path__startswith=old_path).values_list("path", flat=True)
            below = max(p.count("/") for p in deepest) - old_path.count("/")
            if depth + below > MAX_CATEGORY_DEPTH:
                raise DomainError(
                    ErrorCode.INVALID_INPUT, f"Categories nest at most {MAX_CATEGORY_DEPTH} deep.", "parentId"
                )
        if new_path != old_path:
            await Category.filter(id=category.id).using_db(conn).update(parent_id=parent_id)
            # One statement for the whole subtree: the prefix is swapped, the rest kept.
            await conn.execute_query(
                sql(conn, "UPDATE category SET path = ? || substr(path, ?) WHERE path LIKE ?"),
                [new_path, len(old_path) + 1, _like_prefix(old_path)],
            )
            public_data_changed()
    return await Category.get(id=category_id)


def _like_prefix(prefix: str) -> str:
    # Paths hold only digits and slashes: no LIKE wildcards to escape.
    return prefix + "%"


async def delete_category(category_id: int) -> None:
    async with unit_of_work():
        category = await _category(category_id)
        if await Category.exists(parent_id=category.id) or await Product.exists(category_id=category.id):
            raise DomainError(
                ErrorCode.CATEGORY_NOT_EMPTY, "Move or delete its subcategories and products first.", "id"
            )
        await category.delete()
        public_data_changed()


async def category_tree(parent_id: int | None = None) -> list[Category]:
    """Roots (or the children of `parent_id`), each with `children` assembled, in display
    order: one query for the whole (sub)tree. Inactive categories are left out."""
    qs = Category.filter(is_active=True).order_by("sort_order", "id")
    if parent_id is not None:
        parent = await Category.get_or_none(id=parent_id, is_active=True)
        if parent is None:
            return []
        qs = qs.filter(path__startswith=parent.path)
    rows = await qs
    by_parent: dict[int | None, list[Category]] = {}
    for row in rows:
        row.child_list = []  # type: ignore[attr-defined]
        by_parent.setdefault(row.parent_id, []).append(row)
    for row in rows:
        row.child_list = by_parent.get(row.id, [])  # type: ignore[attr-defined]
    return by_parent.get(parent_id, [])


# --------------------------------------------------------------------------- products: input


@dataclass
class SpecDimensionData:
    name: str
    values: list[str]


@dataclass
class SkuData:
    code: str
    spec_values: dict[str, str] | list[tuple[str, str]]  # pairs: a repeated dimension is refused
    price: int  # fen; POINTS zone: the cash part (may be 0)
    member_price: int | None = None
    wholesale_price: int | None = None
    points_price: int = 0
    initial_stock: int = 0  # only for a new SKU; later changes go through services.catalog.stock
    low_stock_threshold: int | None = None
    image_url: str = ""
    is_active: bool = True


@dataclass
class ProductData:
    category_id: int
    title: str
    zone: str = "NORMAL"
    subtitle: str = ""
    description: str = ""
    images: list[str] = field(default_factory=list)
    attributes: list[tuple[str, str]] = field(default_factory=list)
    spec_dimensions: list[SpecDimensionData] = field(default_factory=list)
    vouchers_per_unit: int = 0
    voucher_product_id: int | None = None
    zone_starts_at: datetime | None = None
    zone_ends_at: datetime | None = None
    gift_grade: str = ""
    coins_granted: int = 0
    points_granted: int = 0
    distribution_enabled: bool = True
    distribution_rates: dict[int, int] | list[tuple[int, int]] = field(default_factory=dict)  # level -> basis points
    purchase_limit: int = 0
    delivery_kind: str | None = None  # STO-6; None: PHYSICAL (VIRTUAL for a MEMBERSHIP product)


def spec_key(spec_values: dict[str, str]) -> str:
    """Canonical form of a SKU's spec values: sorted `dimension=value` pairs."""
    return ";".join(f"{k}={v}" for k, v in sorted(spec_values.items()))


def _clean_dimensions(dims: list[SpecDimensionData]) -> list[dict]:
    if len(dims) > MAX_DIMENSIONS:
        raise DomainError(ErrorCode.SPEC_MISMATCH, f"At most {MAX_DIMENSIONS} spec dimensions.", "specDimensions")
    cleaned, names = [], set()
    for i, dim in enumerate(dims):
        name = _text(dim.name, f"specDimensions[{i}].name", max_length=32, required=True)
        if name in names or any(c in name for c in "=;"):
            raise DomainError(
                ErrorCode.SPEC_MISMATCH,
                "Dimension names are unique and contain no '=' or ';'.",
                f"specDimensions[{i}].name",
            )
        names.add(name)
        values = [_text(v, f"specDimensions[{i}].values", max_length=32, required=True) for v in dim.values]
        if (
            not values
            or len(values) > MAX_DIMENSION_VALUES
            or len(set(values)) != len(values)
            or any(c in v for v in values for c in "=;")
        ):
            raise DomainError(
                ErrorCode.SPEC_MISMATCH,
                f"A dimension has 1 to {MAX_DIMENSION_VALUES} distinct values without '=' or ';'.",
                f"specDimensions[{i}].values",
            )
        cleaned.append({"name": name, "values": values})
    return cleaned


def _clean_product(data: ProductData) -> dict:
    if data.zone not in ZONES:
        raise DomainError(ErrorCode.INVALID_ZONE_SETTINGS, "Unknown zone.", "zone")
    images = [http_url(u, f"images[{i}]") for i, u in enumerate(data.images)]
    if len(images) > MAX_IMAGES or any(not u for u in images):
        raise DomainError(ErrorCode.INVALID_INPUT, f"1 to {MAX_IMAGES} image URLs, none empty.", "images")
    if len(data.attributes) > MAX_ATTRIBUTES:
        raise DomainError(ErrorCode.INVALID_INPUT, f"At most {MAX_ATTRIBUTES} attributes.", "attributes")
    attributes = [
        {
            "name": _text(name, f"attributes[{i}].name", max_length=32, required=True),
            "value": _text(value, f"attributes[{i}].value", max_length=256),
        }
        for i, (name, value) in enumerate(data.attributes)
    ]
    rates = {}
    pairs = data.distribution_rates.items() if isinstance(data.distribution_rates, dict) else data.distribution_rates
    for level, rate in pairs:
        if level not in DISTRIBUTION_LEVELS or str(level) in rates:
            raise DomainError(ErrorCode.INVALID_RATE, "Distribution has levels 1 to 3 only.", "distributionRates")
        rates[str(level)] = _int(rate, "distributionRates", low=0, high=10_000, code=ErrorCode.INVALID_RATE)
    delivery_kind = data.delivery_kind or (VIRTUAL if data.zone == "MEMBERSHIP" else PHYSICAL)
    if delivery_kind not in DELIVERY_KINDS or (data.zone == "MEMBERSHIP" and delivery_kind != VIRTUAL):
        raise DomainError(
            ErrorCode.INVALID_ZONE_SETTINGS,
            "The delivery kind is PHYSICAL, VIRTUAL or REDEEMABLE; a membership is VIRTUAL.",
            "deliveryKind",
        )
    return {
        "category_id": data.category_id,
        "title": _text(data.title, "title", max_length=128, required=True),
        "subtitle": _text(data.subtitle, "subtitle", max_length=256),
        "description": _text(data.description, "description", max_length=20_000),
        "main_image_url": images[0] if images else "",
        "image_urls": images,
        "attributes": attributes,
        "spec_dimensions": _clean_dimensions(data.spec_dimensions),
        "zone": data.zone,
        "vouchers_per_unit": data.vouchers_per_unit,
        "voucher_product_id": data.voucher_product_id,
        "zone_starts_at": data.zone_starts_at,
        "zone_ends_at": data.zone_ends_at,
        "gift_grade": (data.gift_grade or "").strip().upper(),
        "coins_granted": _int(data.coins_granted, "coinsGranted", low=0, high=MAX_GRANT),
        "points_granted": _int(data.points_granted, "pointsGranted", low=0, high=MAX_GRANT),
        "distribution_enabled": bool(data.distribution_enabled),
        "distribution_rates": rates,
        "purchase_limit": _int(data.purchase_limit, "purchaseLimit", low=0, high=MAX_STOCK),
        "delivery_kind": delivery_kind,
    }


async def _check_zone(values: dict, skus: list[SkuData] | None, product_id: int | None) -> None:
    """CAT-2 zone settings; `skus` None: the product's current SKUs are kept (checked from the DB)."""
    zone = values["zone"]

    def bad(message: str, field: str) -> DomainError:
        return DomainError(ErrorCode.INVALID_ZONE_SETTINGS, message, field)

    vouchers = values["vouchers_per_unit"]
    if not isinstance(vouchers, int) or vouchers < 0 or vouchers > 1000:
        raise bad("Vouchers per unit: 0 to 1000.", "vouchersPerUnit")
    if zone not in VOUCHER_ZONES and (vouchers or values["voucher_product_id"] is not None):
        raise bad("Only RETAIL and MEMBER products grant wholesale vouchers.", "vouchersPerUnit")
    if values["voucher_product_id"] is not None:
        target = await Product.get_or_none(id=values["voucher_product_id"]).only("id", "zone")
        if target is None or target.zone != "WHOLESALE" or target.id == product_id:
            raise bad("Vouchers must name a WHOLESALE product.", "voucherProductId")
    starts, ends = values["zone_starts_at"], values["zone_ends_at"]
    if (starts is not None or ends is not None) and zone != "RETAIL":
        raise bad("Only RETAIL products have an activity start and end.", "zoneStartsAt")
    if starts is not None and ends is not None and starts >= ends:
        raise bad("The activity must start before it ends.", "zoneEndsAt")
    if zone == "GIFT_PACK":
        known = await GRADE_CODES.get()()  # the grade ladder is data (DIS-6)
        if values["gift_grade"] not in known:
            raise bad(f"A gift pack names the grade it grants: one of {', '.join(known)}.", "giftGrade")
    elif values["gift_grade"]:
        raise bad("Only GIFT_PACK products grant a grade.", "giftGrade")
    if zone == "WHOLESALE":
        if skus is not None:
            missing = [i for i, s in enumerate(skus) if s.is_active and s.wholesale_price is None]
        else:
            missing = await Sku.filter(product_id=product_id, is_active=True, wholesale_price__isnull=True).exists()
            missing = [0] if missing else []
        if missing:
            raise bad("Every SKU of a WHOLESALE product needs a wholesale price.", f"skus[{missing[0]}].wholesalePrice")
    if zone == "POINTS":
        if skus is not None:
            missing = [i for i, s in enumerate(skus) if s.is_active and s.points_price <= 0]
        else:
            missing = (
                [0] if await Sku.filter(product_id=product_id, is_active=True, points_price__lte=0).exists() else []
            )
        if missing:
            raise bad("Every SKU of a POINTS product needs a points price above 0.", f"skus[{missing[0]}].pointsPrice")


def _clean_skus(skus: list[SkuData], dimensions: list[dict], zone: str) -> list[dict]:
    if len(skus) > MAX_SKUS:
        raise DomainError(ErrorCode.INVALID_INPUT, f"At most {MAX_SKUS} SKUs.", "skus")
    allowed = {d["name"]: set(d["values"]) for d in dimensions}
    codes: set[str] = set()
    keys: set[str] = set()
    cleaned = []
    for i, s in enumerate(skus):
        at = f"skus[{i}]"
        code = (s.code or "").strip()
        if not SKU_CODE.match(code):
            raise DomainError(
                ErrorCode.INVALID_INPUT, "SKU codes: 1-64 letters, digits, '.', '_' or '-'.", f"{at}.code"
            )
        if code in codes:
            raise DomainError(ErrorCode.DUPLICATE_SKU_CODE, f"SKU code {code} appears twice.", f"{at}.code")
        codes.add(code)
        pairs = list(s.spec_values.items()) if isinstance(s.spec_values, dict) else list(s.spec_values)
        values = dict(pairs)
        if (
            len(values) != len(pairs)
            or set(values) != set(allowed)
            or any(values[k] not in allowed[k] for k in allowed)
        ):
            raise DomainError(
                ErrorCode.SPEC_MISMATCH,
                "Give every spec dimension exactly one of its values, and nothing else.",
                f"{at}.specValues",
            )
        key = spec_key(values)
        if key in keys:
            raise DomainError(ErrorCode.SPEC_MISMATCH, "Two SKUs have the same spec values.", f"{at}.specValues")
        keys.add(key)
        low_price = 0 if zone == "POINTS" else 1  # points-only goods may have no cash part
        price = _int(s.price, f"{at}.price", low=low_price, high=MAX_PRICE, code=ErrorCode.INVALID_PRICE)
        if s.wholesale_price is not None:
            _int(s.wholesale_price, f"{at}.wholesalePrice", low=1, high=max(price, 1), code=ErrorCode.INVALID_PRICE)
        if s.member_price is not None:
            low, high = -(-price * MEMBER_PRICE_FOLD[0] // 10_000), price * MEMBER_PRICE_FOLD[1] // 10_000
            if zone == "MEMBERSHIP":
                raise DomainError(ErrorCode.INVALID_PRICE, "A membership has no member price.", f"{at}.memberPrice")
            _int(s.member_price, f"{at}.memberPrice", low=max(low, 1), high=max(high, 1), code=ErrorCode.INVALID_PRICE)
        _int(s.points_price, f"{at}.pointsPrice", low=0, high=MAX_PRICE, code=ErrorCode.INVALID_PRICE)
        _int(s.initial_stock, f"{at}.initialStock", low=0, high=MAX_STOCK, code=ErrorCode.INVALID_STOCK)
        if s.low_stock_threshold is not None:
            _int(s.low_stock_threshold, f"{at}.lowStockThreshold", low=0, high=MAX_STOCK, code=ErrorCode.INVALID_STOCK)
        cleaned.append(
            {
                "code": code,
                "spec_values": {k: values[k] for k in sorted(values)},
                "spec_key": key,
                "price": price,
                "member_price": s.member_price,
                "wholesale_price": s.wholesale_price,
                "points_price": s.points_price,
                "initial_stock": s.initial_stock,
                "low_stock_threshold": s.low_stock_threshold,
                "image_url": http_url(s.image_url, f"{at}.imageUrl"),
                "is_active": bool(s.is_active),
            }
        )
    return cleaned


def search_text(values: dict) -> str:
    """Lower-cased title, subtitle and attribute values: what keyword search matches."""
    parts = [values["title"], values["subtitle"], *(f"{a['name']} {a['value']}" for a in values["attributes"])]
    return " ".join(p for p in parts if p).lower()


# --------------------------------------------------------------------------- products: writes


async def _merchant_for_write(grants: Grants, merchant_id: int) -> Merchant:
    merchant = await Merchant.get_or_none(id=merchant_id)
    if merchant is None:
        raise DomainError(ErrorCode.NOT_FOUND, "No such merchant.", "merchantId")
    require_merchant(grants, merchant.id, PRODUCTS_PERMISSION)
    return merchant


async def product_for_staff(grants: Grants, product_id: int, field: str = "id", *, lock: bool = False) -> Product:
    """The product, if the user may manage its merchant's products (else FORBIDDEN)."""
    qs = Product.filter(id=product_id)
    if lock:
        qs = qs.select_for_update()
    product = await qs.first()
    if product is None:
        raise DomainError(ErrorCode.NOT_FOUND, "No such product.", field)
    require_merchant(grants, product.merchant_id, PRODUCTS_PERMISSION)
    return product


async def _prepare(
    data: ProductData, skus: list[SkuData] | None, product: Product | None
) -> tuple[dict, list[dict] | None]:
    values = _clean_product(data)
    if not await Category.exists(id=values["category_id"], is_active=True):
        raise DomainError(ErrorCode.NOT_FOUND, "No such category.", "categoryId")
    cleaned = None
    if skus is not None:
        cleaned = _clean_skus(skus, values["spec_dimensions"], values["zone"])
    elif product is not None and values["spec_dimensions"] != product.spec_dimensions:
        # The kept SKUs must still match the new dimensions.
        current = await Sku.filter(product_id=product.id, is_active=True)
        allowed = {d["name"]: set(d["values"]) for d in values["spec_dimensions"]}
        for sku in current:
            if set(sku.spec_values) != set(allowed) or any(sku.spec_values[k] not in allowed[k] for k in allowed):
                raise DomainError(
                    ErrorCode.SPEC_MISMATCH,
                    f"SKU {sku.code} does not match the new spec dimensions: send its SKUs too.",
                    "specDimensions",
                )
    if cleaned is None and product is not None and values["zone"] != "POINTS":
        # Kept SKUs without a cash part are only valid in the POINTS zone.
        if await Sku.filter(product_id=product.id, is_active=True, price__lte=0).exists():
            raise DomainError(
                ErrorCode.INVALID_PRICE, "Only POINTS products may have SKUs without a cash price.", "zone"
            )
    await _check_zone(values, skus, product.id if product else None)
    return values, cleaned


async def _write_skus(conn, product: Product, cleaned: list[dict], actor_id: int | None) -> None:
    """Replace the product's SKU list: matched by code; SKUs left out are deactivated
    (kept for order history; their spec combination is freed); new ones get their
    initial stock as a recorded movement."""
    from services.catalog import stock  # stock imports this module

    existing = {s.code: s for s in await Sku.filter(product_id=product.id).using_db(conn)}
    wanted = {c["code"]: c for c in cleaned}
    if wanted:
        taken = set(
            await Sku.filter(code__in=list(wanted))
            .exclude(product_id=product.id)
            .using_db(conn)
            .values_list("code", flat=True)
        )
        if taken:
            index = next(i for i, c in enumerate(cleaned) if c["code"] in taken)
            raise DomainError(
                ErrorCode.DUPLICATE_SKU_CODE,
                f"SKU code {cleaned[index]['code']} is already used.",
                f"skus[{index}].code",
            )
    # Free the combinations first: the unique (product, spec_key) index is checked per row.
    for code, sku in existing.items():
        if code not in wanted or sku.spec_key != wanted[code]["spec_key"]:
            await (
                Sku.filter(id=sku.id)
                .using_db(conn)
                .update(spec_key=f"#{sku.id}", **({} if code in wanted else {"is_active": False}))
            )
    for c in cleaned:
        fields = {k: v for k, v in c.items() if k != "initial_stock"}
        sku = existing.get(c["code"])
        if sku is not None:
            await Sku.filter(id=sku.id).using_db(conn).update(**{k: v for k, v in fields.items() if k != "code"})
            continue
        try:
            sku = await Sku.create(product_id=product.id, stock=0, using_db=conn, **fields)
        except IntegrityError:  # a concurrent writer took the code
            raise DomainError(ErrorCode.DUPLICATE_SKU_CODE, f"SKU code {c['code']} is already used.", "skus") from None
        if c["initial_stock"]:
            await stock.adjust_stock(
                sku.id,
                c["initial_stock"],
                stock.INITIAL,
                reference_type="PRODUCT",
                reference_id=str(product.id),
                actor_id=actor_id,
                refresh_listing=False,
            )


async def refresh_summary(conn, product_id: int) -> None:
    """Recompute the product's denormalised price range and total stock from its active SKUs."""
    await conn.execute_query(
        sql(
            conn,
            "UPDATE product SET "
            "min_price = COALESCE((SELECT MIN(price) FROM sku WHERE product_id = ? AND is_active), 0), "
            "max_price = COALESCE((SELECT MAX(price) FROM sku WHERE product_id = ? AND is_active), 0), "
            "total_stock = COALESCE((SELECT SUM(stock) FROM sku WHERE product_id = ? AND is_active), 0) "
            "WHERE id = ?",
        ),
        [product_id, product_id, product_id, product_id],
    )


async def create_product(
    grants: Grants, actor_id: int | None, merchant_id: int, data: ProductData, skus: list[SkuData]
) -> Product:
    """A new product (DRAFT) of the merchant, with its SKUs."""
    await _merchant_for_write(grants, merchant_id)
    values, cleaned = await _prepare(data, skus, None)
    async with unit_of_work() as conn:
        product = await Product.create(
            merchant_id=merchant_id, search_text=search_text(values), using_db=conn, **values
        )
        await _write_skus(conn, product, cleaned or [], actor_id)
        await refresh_summary(conn, product.id)
    return await Product.get(id=product.id)


async def update_product(
    grants: Grants, actor_id: int | None, product_id: int, data: ProductData, skus: list[SkuData] | None = None
) -> Product:
    """Replace the product's details (and its SKU list when `skus` is given)."""
    async with unit_of_work() as conn:
        product = await product_for_staff(grants, product_id, lock=True)
        values, cleaned = await _prepare(data, skus, product)
        await (
            Product.filter(id=product.id)
            .using_db(conn)
            .update(search_text=search_text(values), updated_at=clock.now(), **values)
        )
        if cleaned is not None:
            await _write_skus(conn, product, cleaned, actor_id)
        await refresh_summary(conn, product.id)
        await _delist_if_unlistable(conn, product.id)
        public_data_changed()  # title, prices, SKUs: what a listed product shows
    return await Product.get(id=product_id)


async def set_skus(grants: Grants, actor_id: int | None, product_id: int, skus: list[SkuData]) -> Product:
    """Replace the product's SKU list (matched by code)."""
    async with unit_of_work() as conn:
        product = await product_for_staff(grants, product_id, lock=True)
        cleaned = _clean_skus(skus, product.spec_dimensions, product.zone)
        values = {
            k: getattr(product, k)
            for k in ("zone", "vouchers_per_unit", "voucher_product_id", "zone_starts_at", "zone_ends_at", "gift_grade")
        }
        await _check_zone(values, skus, product.id)
        await _write_skus(conn, product, cleaned, actor_id)
        await refresh_summary(conn, product.id)
        await _delist_if_unlistable(conn, product.id)
        public_data_changed()
    return await Product.get(id=product_id)


# --------------------------------------------------------------------------- listing (CAT-4)


async def _listable(product_id: int) -> bool:
    return await Sku.filter(product_id=product_id, is_active=True, stock__gt=0).exists()


async def _delist_if_unlistable(conn, product_id: int) -> None:
    """After an edit left a listed product without sellable SKUs."""
    product = await Product.get(id=product_id).using_db(conn)
    if product.status == LISTED and not await _listable(product_id):
        await (
            Product.filter(id=product_id, status=LISTED)
            .using_db(conn)
            .update(status=DELISTED, delist_reason="OUT_OF_STOCK")
        )
        emit(merchant_channel(product.merchant_id), ProductDelisted(product_id, "OUT_OF_STOCK"))


async def list_product(grants: Grants, product_id: int) -> Product:
    """Put a product on sale: it needs an active merchant and a SKU in stock."""
    async with unit_of_work() as conn:
        product = await product_for_staff(grants, product_id, lock=True)
        merchant = await Merchant.get(id=product.merchant_id).using_db(conn)
        if merchant.status != merchants.ACTIVE:
            raise DomainError(ErrorCode.PRODUCT_NOT_LISTABLE, "The merchant is not active.", "id")
        if not await _listable(product.id):
            raise DomainError(
                ErrorCode.PRODUCT_NOT_LISTABLE, "A product needs an active SKU in stock to be listed.", "id"
            )
        if product.status != LISTED:
            await (
                Product.filter(id=product.id)
                .using_db(conn)
                .update(status=LISTED, delist_reason="", listed_at=clock.now())
            )
            public_data_changed()
    return await Product.get(id=product_id)


async def delist_product(grants: Grants, product_id: int) -> Product:
    """Take a product off sale by hand (stays off until listed again, even when restocked)."""
    product = await product_for_staff(grants, product_id)
    async with unit_of_work():
        await Product.filter(id=product.id).update(status=DELISTED, delist_reason="MANUAL")
        public_data_changed()
    return await Product.get(id=product_id)


# --------------------------------------------------------------------------- reads


async def product_for_viewer(grants: Grants, product_id: int) -> Product | None:
    """A listed product of an active merchant; any product to its merchant's staff."""
    product = await Product.get_or_none(id=product_id)
    if product is None:
        return None
    if grants.has(PRODUCTS_PERMISSION, ("MERCHANT", product.merchant_id)) or grants.has("merchant.manage"):
        return product
    if product.status != LISTED or not await Merchant.exists(id=product.merchant_id, status=merchants.ACTIVE):
        return None
    return product


async def merchant_products(grants: Grants, merchant_id: int, status: str | None = None):
    """The merchant's products (any status) for its staff: a queryset to paginate."""
    if not await Merchant.exists(id=merchant_id):
        raise DomainError(ErrorCode.NOT_FOUND, "No such merchant.", "merchantId")
    require_merchant(grants, merchant_id, PRODUCTS_PERMISSION)
    qs = Product.filter(merchant_id=merchant_id)
    return qs.filter(status=status) if status else qs
