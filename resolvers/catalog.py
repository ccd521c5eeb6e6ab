"""Catalog: the category tree (catalog.manage), products and SKUs (merchant staff with
merchant.products), listing, stock, storefront search (public)."""

from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry.types import Info

from resolvers.common import MERCHANT_IDS, api_errors, login_required, parse_id, payload_errors, requires, viewer
from schema.money import Amount
from schema.pagination import Connection, to_connection
from schema.types.accounts import OkPayload
from schema.types.catalog import (
    Category,
    CategoryPayload,
    Product,
    ProductInput,
    ProductPayload,
    ProductSort,
    ProductStatus,
    Sku,
    SkuInput,
    SkuPayload,
    StockAdjustmentReason,
    StockMovement,
    Zone,
    prefetch_products,
)
from services.catalog import products as catalog
from services.catalog import search, stock
from services.core.pagination import paginate


def _product_data(data: ProductInput) -> catalog.ProductData:
    return catalog.ProductData(
        category_id=parse_id(data.category_id, "categoryId", of="Category"),
        title=data.title,
        zone=data.zone.value,
        subtitle=data.subtitle,
        description=data.description,
        images=list(data.images),
        attributes=[(a.name, a.value) for a in data.attributes],
        spec_dimensions=[catalog.SpecDimensionData(d.name, list(d.values)) for d in data.spec_dimensions],
        vouchers_per_unit=data.vouchers_per_unit,
        voucher_product_id=parse_id(data.voucher_product_id, "voucherProductId", of="Product")
        if data.voucher_product_id is not None
        else None,
        zone_starts_at=data.zone_starts_at,
        zone_ends_at=data.zone_ends_at,
        gift_grade=data.gift_grade or "",
        coins_granted=data.coins_granted,
        points_granted=data.points_granted,
        distribution_enabled=data.distribution_enabled,
        distribution_rates=[(r.level, r.rate_bp) for r in data.distribution_rates],
        purchase_limit=data.purchase_limit,
        delivery_kind=data.delivery_kind.value if data.delivery_kind is not None else None,
    )


def _sku_data(skus: list[SkuInput]) -> list[catalog.SkuData]:
    return [
        catalog.SkuData(
            code=s.code,
            spec_values=[(v.name, v.value) for v in s.spec_values],
            price=s.price,
            member_price=s.member_price,
            wholesale_price=s.wholesale_price,
            points_price=s.points_price,
            initial_stock=s.initial_stock,
            low_stock_threshold=s.low_stock_threshold,
            image_url=s.image_url,
            is_active=s.is_active,
        )
        for s in skus
    ]


def _opt_id(value: strawberry.ID | None, field: str, of: str | tuple[str, ...] = "Category") -> int | None:
    return None if value is None else parse_id(value, field, of=of)


@strawberry.type
class CatalogQueries:
    @strawberry.field(
        description="The category tree: roots, or the children of `parentId`, each with its `children` (one query)."
    )
    @api_errors
    async def categories(
        self,
        parent_id: Annotated[
            strawberry.ID | None, strawberry.argument(description="Only this category's subcategories.")
        ] = None,
    ) -> list[Category]:
        return await catalog.category_tree(_opt_id(parent_id, "parentId"))

    @strawberry.field(
        description="One product: listed products of active merchants for everyone; any product for its merchant's staff."
    )
    @api_errors
    async def product(
        self, info: Info, id: Annotated[strawberry.ID, strawberry.argument(description="Product id.")]
    ) -> Product | None:
        return await catalog.product_for_viewer(await info.context.grants(), parse_id(id, of="Product"))

    @strawberry.field(
        description="Storefront search: listed products of active merchants, filtered and sorted (CAT-4)."
    )
    @api_errors
    async def search_products(
        self,
        info: Info,
        keyword: Annotated[
            str | None,
            strawberry.argument(description="Words to find in title, subtitle and attributes (all must match)."),
        ] = None,
        category_id: Annotated[
            strawberry.ID | None, strawberry.argument(description="Only this category and its subcategories.")
        ] = None,
        zone: Annotated[Zone | None, strawberry.argument(description="Only this zone.")] = None,
        merchant_id: Annotated[
            strawberry.ID | None, strawberry.argument(description="Only this merchant's products.")
        ] = None,
        min_price: Annotated[
            Amount | None, strawberry.argument(description="Lowest SKU price at least this, in yuan.")
        ] = None,
        max_price: Annotated[
            Amount | None, strawberry.argument(description="Lowest SKU price at most this, in yuan.")
        ] = None,
        sort: Annotated[ProductSort, strawberry.argument(description="Order of the results.")] = ProductSort.RELEVANCE,
        first: Annotated[int, strawberry.argument(description="Page size.")] = 20,
        after: Annotated[
            str | None, strawberry.argument(description="Cursor of the last item of the previous page (same sort).")
        ] = None,
    ) -> Connection[Product]:
        filters = search.SearchFilters(
            keyword=keyword,
            category_id=_opt_id(category_id, "categoryId"),
            zone=zone.value if zone else None,
            merchant_id=_opt_id(merchant_id, "merchantId", MERCHANT_IDS),
            min_price=min_price,
            max_price=max_price,
        )
        page = await search.search_products(filters, sort.value, first, after)
        await prefetch_products(info, page.items)
        return to_connection(page)

    @strawberry.field(
        description="A merchant's products in any status, newest first (its staff with merchant.products).",
        extensions=login_required(),
    )
    @api_errors
    async def merchant_products(
        self,
        info: Info,
        merchant_id: Annotated[strawberry.ID, strawberry.argument(description="The merchant.")],
        status: Annotated[
            ProductStatus | None, strawberry.argument(description="Only products in this status.")
        ] = None,
        first: Annotated[int, strawberry.argument(description="Page size.")] = 20,
        after: Annotated[str | None, strawberry.argument(description="Cursor from the previous page.")] = None,
    ) -> Connection[Product]:
        qs = await catalog.merchant_products(
            await info.context.grants(),
            parse_id(merchant_id, "merchantId", of=MERCHANT_IDS),
            status.value if status else None,
        )
        page = await paginate(qs, first, after)
        await prefetch_products(info, page.items)
        return to_connection(page)

    @strawberry.field(
        description="The merchant's active SKUs at or below their low-stock threshold (its staff with merchant.products).",
        extensions=login_required(),
    )
    @api_errors
    async def low_stock_skus(
        self,
        info: Info,
        merchant_id: Annotated[strawberry.ID, strawberry.argument(description="The merchant.")],
        first: Annotated[int, strawberry.argument(description="Page size.")] = 20,
        after: Annotated[str | None, strawberry.argument(description="Cursor from the previous page.")] = None,
    ) -> Connection[Sku]:
        qs = await stock.low_stock_skus(
            await info.context.grants(), parse_id(merchant_id, "merchantId", of=MERCHANT_IDS)
        )
        return to_connection(await paginate(qs, first, after))

    @strawberry.field(
        description="A SKU's stock movements, newest first (its merchant's staff with merchant.products).",
        extensions=login_required(),
    )
    @api_errors
    async def stock_movements(
        self,
        info: Info,
        sku_id: Annotated[strawberry.ID, strawberry.argument(description="The SKU.")],
        first: Annotated[int, strawberry.argument(description="Page size.")] = 20,
        after: Annotated[str | None, strawberry.argument(description="Cursor from the previous page.")] = None,
    ) -> Connection[StockMovement]:
        qs = await stock.movements(await info.context.grants(), parse_id(sku_id, "skuId", of="Sku"))
        return to_connection(await paginate(qs, first, after))


@strawberry.type
class CatalogMutations:
    @strawberry.mutation(
        description="Add a category (under `parentId`, or as a root).", extensions=requires("catalog.manage")
    )
    @payload_errors
    async def create_category(
        self,
        name: Annotated[str, strawberry.argument(description="Display name (1-64 characters).")],
        parent_id: Annotated[
            strawberry.ID | None, strawberry.argument(description="Parent category; omit for a root.")
        ] = None,
        sort_order: Annotated[int, strawberry.argument(description="Position among its siblings.")] = 0,
        icon_url: Annotated[str, strawberry.argument(description="Icon image URL.")] = "",
    ) -> CategoryPayload:
        parent = _opt_id(parent_id, "parentId")
        return CategoryPayload(
            category=await catalog.create_category(name, parent, sort_order=sort_order, icon_url=icon_url)
        )

    @strawberry.mutation(description="Rename a category.", extensions=requires("catalog.manage"))
    @payload_errors
    async def rename_category(
        self,
        id: Annotated[strawberry.ID, strawberry.argument(description="The category.")],
        name: Annotated[str, strawberry.argument(description="New name (1-64 characters).")],
    ) -> CategoryPayload:
        return CategoryPayload(category=await catalog.rename_category(parse_id(id, of="Category"), name))

    @strawberry.mutation(
        description="Move a category and its subtree under another parent (null: make it a root). CATEGORY_CYCLE under itself or a descendant.",
        extensions=requires("catalog.manage"),
    )
    @payload_errors
    async def move_category(
        self,
        id: Annotated[strawberry.ID, strawberry.argument(description="The category.")],
        parent_id: Annotated[
            strawberry.ID | None, strawberry.argument(description="New parent; null for a root.")
        ] = None,
    ) -> CategoryPayload:
        return CategoryPayload(
            category=await catalog.move_category(parse_id(id, of="Category"), _opt_id(parent_id, "parentId"))
        )

    @strawberry.mutation(
        description="Set a category's position among its siblings.", extensions=requires("catalog.manage")
    )
    @payload_errors
    async def reorder_category(
        self,
        id: Annotated[strawberry.ID, strawberry.argument(description="The category.")],
        sort_order: Annotated[int, strawberry.argument(description="Position (ascending).")],
    ) -> CategoryPayload:
        return CategoryPayload(category=await catalog.reorder_category(parse_id(id, of="Category"), sort_order))

    @strawberry.mutation(
        description="Delete an empty category (CATEGORY_NOT_EMPTY with subcategories or products).",
        extensions=requires("catalog.manage"),
    )
    @payload_errors
    async def delete_category(
        self, id: Annotated[strawberry.ID, strawberry.argument(description="The category.")]
    ) -> OkPayload:
        await catalog.delete_category(parse_id(id, of="Category"))
        return OkPayload(ok=True)

    @strawberry.mutation(
        description="Create a product (DRAFT) of a merchant with its SKUs (merchant.products).",
        extensions=login_required(),
    )
    @payload_errors
    async def create_product(
        self,
        info: Info,
        merchant_id: Annotated[strawberry.ID, strawberry.argument(description="The merchant selling it.")],
        input: Annotated[ProductInput, strawberry.argument(description="Its details.")],
        skus: Annotated[list[SkuInput] | None, strawberry.argument(description="Its SKUs.")] = None,
    ) -> ProductPayload:
        product = await catalog.create_product(
            await info.context.grants(),
            viewer(info).id,
            parse_id(merchant_id, "merchantId", of=MERCHANT_IDS),
            _product_data(input),
            _sku_data(skus or []),
        )
        return ProductPayload(product=product)

    @strawberry.mutation(
        description="Replace a product's details, and its SKU list when `skus` is given (merchant.products).",
        extensions=login_required(),
    )
    @payload_errors
    async def update_product(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="The product.")],
        input: Annotated[ProductInput, strawberry.argument(description="Its new details.")],
        skus: Annotated[
            list[SkuInput] | None, strawberry.argument(description="Its new SKU list; omit to keep the SKUs.")
        ] = None,
    ) -> ProductPayload:
        product = await catalog.update_product(
            await info.context.grants(),
            viewer(info).id,
            parse_id(id, of="Product"),
            _product_data(input),
            None if skus is None else _sku_data(skus),
        )
        return ProductPayload(product=product)

    @strawberry.mutation(
        description="Replace a product's SKU list: known codes are updated, new ones added, missing ones retired (merchant.products).",
        extensions=login_required(),
    )
    @payload_errors
    async def set_skus(
        self,
        info: Info,
        product_id: Annotated[strawberry.ID, strawberry.argument(description="The product.")],
        skus: Annotated[list[SkuInput], strawberry.argument(description="The complete SKU list.")],
    ) -> ProductPayload:
        product = await catalog.set_skus(
            await info.context.grants(),
            viewer(info).id,
            parse_id(product_id, "productId", of="Product"),
            _sku_data(skus),
        )
        return ProductPayload(product=product)

    @strawberry.mutation(
        description="Put a product on sale (PRODUCT_NOT_LISTABLE without an active merchant and a SKU in stock).",
        extensions=login_required(),
    )
    @payload_errors
    async def list_product(
        self, info: Info, id: Annotated[strawberry.ID, strawberry.argument(description="The product.")]
    ) -> ProductPayload:
        return ProductPayload(
            product=await catalog.list_product(await info.context.grants(), parse_id(id, of="Product"))
        )

    @strawberry.mutation(description="Take a product off sale by hand.", extensions=login_required())
    @payload_errors
    async def delist_product(
        self, info: Info, id: Annotated[strawberry.ID, strawberry.argument(description="The product.")]
    ) -> ProductPayload:
        return ProductPayload(
            product=await catalog.delist_product(await info.context.grants(), parse_id(id, of="Product"))
        )

    @strawberry.mutation(
        description="Change a SKU's stock by hand (recorded as a stock movement; merchant.products).",
        extensions=login_required(),
    )
    @payload_errors
    async def adjust_stock(
        self,
        info: Info,
        sku_id: Annotated[strawberry.ID, strawberry.argument(description="The SKU.")],
        delta: Annotated[int, strawberry.argument(description="Units to add (negative: to take); never below zero.")],
        reason: Annotated[
            StockAdjustmentReason, strawberry.argument(description="Why.")
        ] = StockAdjustmentReason.ADJUST,
    ) -> SkuPayload:
        sku = await stock.staff_adjust_stock(
            await info.context.grants(), viewer(info).id, parse_id(sku_id, "skuId", of="Sku"), delta, reason.value
        )
        return SkuPayload(sku=sku)
