"""Catalog types: categories, products, SKUs, stock movements (CAT-1..CAT-4).

Resolved straight from Tortoise rows (`self` in the resolvers is the row); related rows
come through the per-request DataLoaders, so a list costs a constant number of queries.
"""

from __future__ import annotations

from datetime import datetime
from enum import Enum

import strawberry
from graphql import FieldNode, FragmentSpreadNode, InlineFragmentNode
from strawberry.types import Info

from loaders import load_all
from models import catalog as m
from schema.errors import UserError
from schema.money import Amount, Money
from schema.node import Node, codec, encode, node_id
from schema.types.merchants import Merchant


@strawberry.enum(description="How a product reaches the buyer (STO-6).")
class DeliveryKind(Enum):
    PHYSICAL = strawberry.enum_value("PHYSICAL", description="Goods shipped by express or picked up at a store.")
    VIRTUAL = strawberry.enum_value(
        "VIRTUAL",
        description="Nothing to deliver (memberships, vouchers, cards): no address or store at checkout; "
        "the order completes when it is paid.",
    )
    REDEEMABLE = strawberry.enum_value(
        "REDEEMABLE",
        description="Nothing to deliver, used at a store (services, punch cards): no address or store at "
        "checkout; the order completes when it is redeemed.",
    )


@strawberry.enum(description="The zone a product is sold in (CAT-2).")
class Zone(Enum):
    RETAIL = strawberry.enum_value("RETAIL", description="Activity zone: grants wholesale vouchers per unit bought.")
    MEMBER = strawberry.enum_value("MEMBER", description="Member-price zone (2.0 model: grants discount vouchers).")
    WHOLESALE = strawberry.enum_value(
        "WHOLESALE", description="Bought with a voucher at the wholesale price; may be consigned."
    )
    GIFT_PACK = strawberry.enum_value("GIFT_PACK", description="Buying it upgrades the member grade.")
    POINTS = strawberry.enum_value("POINTS", description="Priced in points, or points plus cash.")
    NORMAL = strawberry.enum_value("NORMAL", description="Ordinary goods of a merchant.")
    MEMBERSHIP = strawberry.enum_value(
        "MEMBERSHIP",
        description="The paid partner membership (MEM-1): sold by the platform "
        "at the membership settings' price; paying starts or extends the buyer's membership.",
    )
    STORE_PAYMENT = strawberry.enum_value(
        "STORE_PAYMENT",
        description="A merchant's hidden product recording payments taken at its stores (STO-1): never listed, "
        "never bought through checkout; one unit per fen paid.",
    )


@strawberry.enum(description="Where a product is in its life.")
class ProductStatus(Enum):
    DRAFT = strawberry.enum_value("DRAFT", description="Created, never listed.")
    LISTED = strawberry.enum_value("LISTED", description="On sale.")
    DELISTED = strawberry.enum_value("DELISTED", description="Off sale (see delistReason).")


@strawberry.enum(description="Why a product is off sale.")
class DelistReason(Enum):
    MANUAL = strawberry.enum_value("MANUAL", description="Taken off by the merchant's staff.")
    OUT_OF_STOCK = strawberry.enum_value(
        "OUT_OF_STOCK", description="Sold out; listed again automatically when restocked."
    )


@strawberry.enum(description="Orders of the storefront search.")
class ProductSort(Enum):
    RELEVANCE = strawberry.enum_value(
        "RELEVANCE", description="Best keyword match first (best sellers when there is no keyword)."
    )
    SALES = strawberry.enum_value("SALES", description="Best sellers first.")
    PRICE_ASC = strawberry.enum_value("PRICE_ASC", description="Lowest price first.")
    PRICE_DESC = strawberry.enum_value("PRICE_DESC", description="Highest price first.")
    NEWEST = strawberry.enum_value("NEWEST", description="Newest products first.")


@strawberry.enum(description="Why stock changed by hand.")
class StockAdjustmentReason(Enum):
    RESTOCK = strawberry.enum_value("RESTOCK", description="Goods received.")
    ADJUST = strawberry.enum_value("ADJUST", description="Stock-take correction.")
    DAMAGE = strawberry.enum_value("DAMAGE", description="Written off (damaged, lost).")


_product_id = codec("Product").encode


@strawberry.type(description="A category of the product tree (CAT-1).")
class Category(Node):
    id: strawberry.ID = node_id("Category", description="Category id.")
    name: str = strawberry.field(description="Display name.")
    sort_order: int = strawberry.field(description="Position among its siblings (ascending).")
    icon_url: str = strawberry.field(description="Icon image URL, may be empty.")

    @strawberry.field(description="The parent category's id; null for a root.")
    def parent_id(self: m.Category) -> strawberry.ID | None:
        return None if self.parent_id is None else encode("Category", self.parent_id)

    @strawberry.field(description='Ids from the root down to this category, e.g. ["1", "4", "9"].')
    def path_ids(self: m.Category) -> list[strawberry.ID]:
        return [encode("Category", int(p)) for p in self.path.strip("/").split("/") if p]

    @strawberry.field(description="Subcategories in display order.")
    async def children(self: m.Category, info: Info) -> list[Category]:
        assembled = getattr(self, "child_list", None)  # set when the whole tree was loaded
        if assembled is not None:
            return assembled
        return await info.context.loaders.child_categories.load(self.id)


@strawberry.type(description="A descriptive attribute of a product, e.g. 产地: 云南.")
class ProductAttribute:
    name: str = strawberry.field(description="Attribute name.")
    value: str = strawberry.field(description="Attribute value.")


@strawberry.type(description="A spec dimension (colour, size) and the values SKUs choose from.")
class SpecDimension:
    name: str = strawberry.field(description="Dimension name, e.g. 颜色.")
    values: list[str] = strawberry.field(description="Its values in display order.")


@strawberry.type(description="One SKU's value in one spec dimension.")
class SpecValue:
    name: str = strawberry.field(description="Dimension name.")
    value: str = strawberry.field(description="The SKU's value in it.")


@strawberry.type(description="A per-level distribution commission rate override (CAT-3).")
class DistributionRate:
    level: int = strawberry.field(description="Distribution level, 1 to 3.")
    rate_bp: int = strawberry.field(description="Rate in basis points of the commission base (1000 = 10 %).")


@strawberry.type(description="A sellable variant of a product: price, stock, code (CAT-1).")
class Sku(Node):
    id: strawberry.ID = node_id("Sku", description="SKU id.")
    code: str = strawberry.field(description="Merchant's SKU code, unique across the platform.")
    points_price: int = strawberry.field(description="Price in points (POINTS zone); 0 otherwise.")
    stock: int = strawberry.field(description="Units in stock.")
    low_stock_threshold: int | None = strawberry.field(
        description="Low-stock alert level; null: the merchant's setting."
    )
    image_url: str = strawberry.field(description="Image of this variant, may be empty.")
    is_active: bool = strawberry.field(description="False once removed from the product (kept for history).")
    sales_count: int = strawberry.field(description="Units sold.")

    @strawberry.field(description="The product's id.")
    def product_id(self: m.Sku) -> strawberry.ID:
        return _product_id(self.product_id)

    @strawberry.field(
        description="Value per spec dimension, sorted by dimension name (the product's `specDimensions` give the display order)."
    )
    def spec_values(self: m.Sku) -> list[SpecValue]:
        return [SpecValue(name=k, value=v) for k, v in sorted(self.spec_values.items())]

    @strawberry.field(description="Price (POINTS zone: the cash part, may be zero).")
    def price(self: m.Sku) -> Money:
        return Money.from_fen(self.price)

    @strawberry.field(description="Member price, if any.")
    def member_price(self: m.Sku) -> Money | None:
        return None if self.member_price is None else Money.from_fen(self.member_price)

    @strawberry.field(description="Wholesale price (WHOLESALE zone), if any.")
    def wholesale_price(self: m.Sku) -> Money | None:
        return None if self.wholesale_price is None else Money.from_fen(self.wholesale_price)

    @strawberry.field(description="The product this SKU belongs to.")
    async def product(self: m.Sku, info: Info) -> Product:
        return await info.context.loaders.product.load(self.product_id)


@strawberry.type(description="A product (SPU) with its SKUs (CAT-1..CAT-3).")
class Product(Node):
    id: strawberry.ID = node_id("Product", description="Product id.")
    title: str = strawberry.field(description="Title.")
    subtitle: str = strawberry.field(description="Subtitle, may be empty.")
    description: str = strawberry.field(description="Long description (text or HTML fragment from the editor).")
    main_image_url: str = strawberry.field(description="The first image, may be empty.")
    zone: Zone = strawberry.field(description="The zone it is sold in.")
    status: ProductStatus = strawberry.field(description="Draft, listed or delisted.")
    vouchers_per_unit: int = strawberry.field(description="RETAIL/MEMBER: wholesale vouchers granted per unit bought.")
    zone_starts_at: datetime | None = strawberry.field(description="RETAIL: the activity's start, if limited.")
    zone_ends_at: datetime | None = strawberry.field(description="RETAIL: the activity's end, if limited.")
    coins_granted: int = strawberry.field(description="Shopping coins granted per unit bought.")
    points_granted: int = strawberry.field(description="Points granted per unit bought.")
    distribution_enabled: bool = strawberry.field(description="Whether sales of it pay distribution commissions.")
    purchase_limit: int = strawberry.field(description="Most units one buyer may buy; 0: no limit.")
    delivery_kind: DeliveryKind = strawberry.field(
        description="Physical goods, or virtual ones needing no delivery (completed at payment or at redemption)."
    )
    total_stock: int = strawberry.field(description="Units in stock over its active SKUs.")
    sales_count: int = strawberry.field(description="Units sold.")
    listed_at: datetime | None = strawberry.field(description="When it was last put on sale.")
    created_at: datetime = strawberry.field(description="When it was created.")

    @strawberry.field(description="Image URLs, the main image first.")
    def images(self: m.Product) -> list[str]:
        return list(self.image_urls)

    @strawberry.field(description="Descriptive attributes.")
    def attributes(self: m.Product) -> list[ProductAttribute]:
        return [ProductAttribute(name=a["name"], value=a["value"]) for a in self.attributes]

    @strawberry.field(description="Spec dimensions its SKUs are combinations of.")
    def spec_dimensions(self: m.Product) -> list[SpecDimension]:
        return [SpecDimension(name=d["name"], values=list(d["values"])) for d in self.spec_dimensions]

    @strawberry.field(description="Why it is off sale (DELISTED only).")
    def delist_reason(self: m.Product) -> DelistReason | None:
        return DelistReason(self.delist_reason) if self.delist_reason else None

    @strawberry.field(description="RETAIL/MEMBER: the WHOLESALE product its vouchers are for; null: any.")
    def voucher_product_id(self: m.Product) -> strawberry.ID | None:
        return None if self.voucher_product_id is None else _product_id(self.voucher_product_id)

    @strawberry.field(
        description="GIFT_PACK: the grade buying it grants (a code of the grade ladder, e.g. V1, V2, V3)."
    )
    def gift_grade(self: m.Product) -> str | None:
        return self.gift_grade or None

    @strawberry.field(description="Per-level commission rate overrides (levels without one use the platform's rate).")
    def distribution_rates(self: m.Product) -> list[DistributionRate]:
        return [DistributionRate(level=int(k), rate_bp=v) for k, v in sorted(self.distribution_rates.items())]

    @strawberry.field(description="Lowest price over its active SKUs.")
    def min_price(self: m.Product) -> Money:
        return Money.from_fen(self.min_price)

    @strawberry.field(description="Highest price over its active SKUs.")
    def max_price(self: m.Product) -> Money:
        return Money.from_fen(self.max_price)

    # Sync resolvers: a list query prefetches these for the whole page (`prefetch_products`,
    # constant queries) and they return the rows at once; otherwise the DataLoader's future.
    @strawberry.field(description="Its active SKUs.")
    def skus(self: m.Product, info: Info) -> list[Sku]:
        found = getattr(self, "prefetched_skus", None)
        return found if found is not None else info.context.loaders.skus_by_product.load(self.id)

    @strawberry.field(description="The merchant selling it.")
    def merchant(self: m.Product, info: Info) -> Merchant:
        found = getattr(self, "prefetched_merchant", None)
        return found if found is not None else info.context.loaders.merchant.load(self.merchant_id)

    @strawberry.field(description="Its category.")
    def category(self: m.Product, info: Info) -> Category:
        found = getattr(self, "prefetched_category", None)
        return found if found is not None else info.context.loaders.category.load(self.category_id)


def _selected_names(info: Info) -> set[str]:
    """Names of all fields selected anywhere under the current field (fragments included),
    read from the query's syntax tree: cheaper than converting `info.selected_fields`."""
    raw = info._raw_info  # graphql-core's resolve info: field nodes and fragment definitions
    names: set[str] = set()
    seen_fragments: set[str] = set()
    stack = [node.selection_set for node in raw.field_nodes]
    while stack:
        selection_set = stack.pop()
        if selection_set is None:
            continue
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                names.add(selection.name.value)
                stack.append(selection.selection_set)
            elif isinstance(selection, InlineFragmentNode):
                stack.append(selection.selection_set)
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                fragment = raw.fragments.get(name)
                if fragment is not None and name not in seen_fragments:
                    seen_fragments.add(name)
                    stack.append(fragment.selection_set)
    return names


async def prefetch_products(info: Info, rows: list[m.Product]) -> None:
    """Load the SKUs, merchants and categories a product list asks for, one query per
    relation for the whole page, and attach them to the rows."""
    if not rows:
        return
    wanted = _selected_names(info)
    loaders = info.context.loaders
    if "skus" in wanted:
        for row, skus in zip(rows, await load_all(loaders.skus_by_product, [r.id for r in rows])):
            row.prefetched_skus = skus
    if "merchant" in wanted:
        ids = list(dict.fromkeys(r.merchant_id for r in rows))
        found = dict(zip(ids, await load_all(loaders.merchant, ids)))
        for row in rows:
            row.prefetched_merchant = found[row.merchant_id]
    if "category" in wanted:
        ids = list(dict.fromkeys(r.category_id for r in rows))
        found = dict(zip(ids, await load_all(loaders.category, ids)))
        for row in rows:
            row.prefetched_category = found[row.category_id]


@strawberry.type(description="One change of a SKU's stock (append-only journal).")
class StockMovement(Node):
    id: strawberry.ID = node_id("StockMovement", description="Movement id.")
    delta: int = strawberry.field(description="Units added (negative: taken).")
    stock_after: int = strawberry.field(description="The SKU's stock right after.")
    reason: str = strawberry.field(
        description="INITIAL, RESTOCK, ADJUST, DAMAGE, ORDER_RESERVE, ORDER_RELEASE or RETURN."
    )
    reference_type: str = strawberry.field(description="What caused it (STAFF, PRODUCT, ORDER ...), may be empty.")
    reference_id: str = strawberry.field(description="Id of what caused it, may be empty.")
    created_at: datetime = strawberry.field(description="When.")

    @strawberry.field(description="The user who made the change, if a person did.")
    def actor_id(self: m.StockMovement) -> strawberry.ID | None:
        return None if self.actor_id is None else encode("User", self.actor_id)


# --------------------------------------------------------------------------- inputs


@strawberry.input(description="A descriptive attribute.")
class ProductAttributeInput:
    name: str = strawberry.field(description="Attribute name (1-32 characters).")
    value: str = strawberry.field(description="Attribute value (up to 256 characters).")


@strawberry.input(description="A spec dimension and its values.")
class SpecDimensionInput:
    name: str = strawberry.field(description="Dimension name (1-32 characters, unique in the product).")
    values: list[str] = strawberry.field(description="Its values (1-50, distinct).")


@strawberry.input(description="A SKU's value in one dimension.")
class SpecValueInput:
    name: str = strawberry.field(description="Dimension name.")
    value: str = strawberry.field(description="One of that dimension's values.")


@strawberry.input(description="A per-level commission rate override.")
class DistributionRateInput:
    level: int = strawberry.field(description="Level 1, 2 or 3.")
    rate_bp: int = strawberry.field(description="Basis points, 0 to 10000.")


@strawberry.input(description="A SKU of a product. SKUs are matched by code: a known code updates that SKU.")
class SkuInput:
    code: str = strawberry.field(description="SKU code, unique across the platform (letters, digits, . _ -).")
    price: Amount = strawberry.field(
        description="Price in yuan, above 0 and at most 10000000 (POINTS zone: the cash part, may be 0)."
    )
    spec_values: list[SpecValueInput] = strawberry.field(
        default_factory=list, description="One value for every spec dimension of the product, nothing else."
    )
    member_price: Amount | None = strawberry.field(
        default=None, description="Member price in yuan: above 0, not above the price."
    )
    wholesale_price: Amount | None = strawberry.field(
        default=None,
        description="Wholesale price in yuan: above 0, not above the price. Required in the WHOLESALE zone.",
    )
    points_price: int = strawberry.field(
        default=0, description="Price in points: required (above 0) in the POINTS zone."
    )
    initial_stock: int = strawberry.field(
        default=0, description="Opening stock of a new SKU (0 to 10^7); ignored for a known code: use adjustStock."
    )
    low_stock_threshold: int | None = strawberry.field(
        default=None, description="Low-stock alert level; null: the merchant's setting."
    )
    image_url: str = strawberry.field(default="", description="Image of this variant (http or https URL).")
    is_active: bool = strawberry.field(default=True, description="False keeps the SKU but takes it off sale.")


@strawberry.input(description="A product's details. Updates replace all of them.")
class ProductInput:
    category_id: strawberry.ID = strawberry.field(description="Its category.")
    title: str = strawberry.field(description="Title (1-128 characters).")
    zone: Zone = strawberry.field(default=Zone.NORMAL, description="The zone it is sold in.")
    subtitle: str = strawberry.field(default="", description="Subtitle (up to 256 characters).")
    description: str = strawberry.field(default="", description="Long description.")
    images: list[str] = strawberry.field(
        default_factory=list, description="Image URLs, the main image first (at most 20)."
    )
    attributes: list[ProductAttributeInput] = strawberry.field(
        default_factory=list, description="Descriptive attributes."
    )
    spec_dimensions: list[SpecDimensionInput] = strawberry.field(
        default_factory=list, description="Spec dimensions (at most 5)."
    )
    vouchers_per_unit: int = strawberry.field(
        default=0, description="RETAIL/MEMBER: wholesale vouchers granted per unit (0 or more)."
    )
    voucher_product_id: strawberry.ID | None = strawberry.field(
        default=None, description="RETAIL/MEMBER: the WHOLESALE product the vouchers are for; null: any."
    )
    zone_starts_at: datetime | None = strawberry.field(
        default=None, description="RETAIL: activity start (before the end)."
    )
    zone_ends_at: datetime | None = strawberry.field(default=None, description="RETAIL: activity end.")
    gift_grade: str | None = strawberry.field(
        default=None,
        description="GIFT_PACK (required): the grade it grants, a code of the grade ladder (grades), e.g. V1, V2, V3.",
    )
    coins_granted: int = strawberry.field(default=0, description="Shopping coins granted per unit (0 or more).")
    points_granted: int = strawberry.field(default=0, description="Points granted per unit (0 or more).")
    distribution_enabled: bool = strawberry.field(
        default=True, description="Whether sales pay distribution commissions."
    )
    distribution_rates: list[DistributionRateInput] = strawberry.field(
        default_factory=list, description="Per-level rate overrides (levels 1-3)."
    )
    purchase_limit: int = strawberry.field(default=0, description="Most units per buyer; 0: no limit.")
    delivery_kind: DeliveryKind | None = strawberry.field(
        default=None,
        description="How it reaches the buyer (STO-6); null: PHYSICAL, or VIRTUAL for a MEMBERSHIP product "
        "(which is always VIRTUAL).",
    )


# --------------------------------------------------------------------------- payloads


@strawberry.type(description="Outcome of a category mutation.")
class CategoryPayload:
    category: Category | None = strawberry.field(default=None, description="The category after the change.")
    errors: list[UserError] = strawberry.field(default_factory=list, description="Why it failed; empty on success.")


@strawberry.type(description="Outcome of a product mutation.")
class ProductPayload:
    product: Product | None = strawberry.field(default=None, description="The product after the change.")
    errors: list[UserError] = strawberry.field(default_factory=list, description="Why it failed; empty on success.")


@strawberry.type(description="Outcome of a stock adjustment.")
class SkuPayload:
    sku: Sku | None = strawberry.field(default=None, description="The SKU after the change.")
    errors: list[UserError] = strawberry.field(default_factory=list, description="Why it failed; empty on success.")
