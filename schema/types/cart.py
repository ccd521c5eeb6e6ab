"""Cart types (ORD-1), resolved from services.orders.cart's dataclasses (`self` is the dataclass).

The service reads a cart's items with their SKU, product and merchant in one joined query;
`prime_loaders` hands those rows to the request's DataLoaders, so `product`, `merchant`
(and the catalog types' own `product` / `merchant` fields) are answered from memory and a
cart costs the same few queries whatever its size.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from enum import Enum

import strawberry
from strawberry.types import Info

from models.catalog import Sku as SkuRow
from models.orders import CartShare as CartShareRow
from schema.errors import UserError
from schema.money import Money
from schema.node import Node, node_id
from schema.types.catalog import Product, Sku
from schema.types.checkout import CheckoutPreview
from schema.types.merchants import Merchant
from services.core.errors import DomainError
from services.orders import cart as svc
from services.orders import checkout as checkout_svc


def prime_loaders(info: Info, skus: Iterable[SkuRow]) -> None:
    """Give the rows the service joined (SKU -> product -> merchant) to the loaders."""
    loaders = info.context.loaders
    for sku in skus:
        loaders.product.prime(sku.product_id, sku.product)
        loaders.merchant.prime(sku.product.merchant_id, sku.product.merchant)


@strawberry.enum(description="Why a cart item cannot be bought now: clients grey it out; it is left out of the totals.")
class CartItemProblem(Enum):
    PRODUCT_UNAVAILABLE = strawberry.enum_value(
        "PRODUCT_UNAVAILABLE", description="Off sale: delisted, the SKU removed, or the merchant not active."
    )
    ZONE_NOT_OPEN = strawberry.enum_value("ZONE_NOT_OPEN", description="Its activity has not started yet or has ended.")
    INSUFFICIENT_STOCK = strawberry.enum_value(
        "INSUFFICIENT_STOCK", description="Fewer units in stock than the item's quantity (see `sku.stock`)."
    )
    PURCHASE_LIMIT_EXCEEDED = strawberry.enum_value(
        "PURCHASE_LIMIT_EXCEEDED",
        description="Over the product's purchase limit, counting units already bought and the product's other selected items.",
    )


def _problem(code) -> CartItemProblem | None:
    return None if code is None else CartItemProblem(code.value)


@strawberry.type(description="One SKU in the cart and how many.")
class CartItem(Node):
    id: strawberry.ID = node_id("CartItem", description="Cart item id.")
    quantity: int = strawberry.field(description="Units wanted.")
    selected: bool = strawberry.field(
        description="Ticked for checkout (only selected items without a problem count in the totals)."
    )

    @strawberry.field(description="The SKU.")
    def sku(self: svc.CartLine) -> Sku:
        return self.sku

    @strawberry.field(description="The SKU's product.")
    async def product(self: svc.CartLine, info: Info) -> Product:
        return await info.context.loaders.product.load(self.sku.product_id)

    @strawberry.field(description="Price of one unit for this buyer now.")
    def unit_price(self: svc.CartLine) -> Money:
        return Money.from_fen(self.unit_price)

    @strawberry.field(description="Unit price times quantity.")
    def amount(self: svc.CartLine) -> Money:
        return Money.from_fen(self.amount)

    @strawberry.field(description="Why it cannot be bought now; null when it can.")
    def problem(self: svc.CartLine) -> CartItemProblem | None:
        return _problem(self.problem)


@strawberry.type(
    description="A merchant's items in the cart with that merchant's totals (each merchant becomes one order)."
)
class CartMerchantGroup:
    @strawberry.field(description="The merchant.")
    async def merchant(self: svc.MerchantGroup, info: Info) -> Merchant:
        return await info.context.loaders.merchant.load(self.merchant.id)

    @strawberry.field(description="Its items, newest first.")
    def items(self: svc.MerchantGroup) -> list[CartItem]:
        return self.lines

    @strawberry.field(description="Goods amount of the selected items without a problem.")
    def goods_amount(self: svc.MerchantGroup) -> Money:
        return Money.from_fen(self.goods_amount)

    @strawberry.field(
        description="Shipping by the merchant's template: a flat fee, free at or above its threshold, none when nothing is selected."
    )
    def shipping_fee(self: svc.MerchantGroup) -> Money:
        return Money.from_fen(self.shipping_fee)

    @strawberry.field(description="Goods amount plus shipping.")
    def total(self: svc.MerchantGroup) -> Money:
        return Money.from_fen(self.total)

    @strawberry.field(
        description="Goods amount at or above which shipping is free; null when this merchant never waives it."
    )
    def free_shipping_threshold(self: svc.MerchantGroup) -> Money | None:
        threshold = self.merchant.free_shipping_threshold
        return Money.from_fen(threshold) if threshold > 0 else None

    @strawberry.field(
        description="How much more to select for free shipping (0: already free); null when shipping is never charged or never waived."
    )
    def amount_to_free_shipping(self: svc.MerchantGroup) -> Money | None:
        gap = self.amount_to_free_shipping
        return None if gap is None else Money.from_fen(gap)


@strawberry.type(description="The signed-in user's cart, re-checked against the catalog whenever it is read.")
class Cart:
    @strawberry.field(description="Items grouped by merchant, the merchant with the newest item first.")
    def groups(self: svc.CartView) -> list[CartMerchantGroup]:
        return self.groups

    @strawberry.field(description="Goods amount of all selected items without a problem.")
    def goods_amount(self: svc.CartView) -> Money:
        return Money.from_fen(self.goods_amount)

    @strawberry.field(description="Shipping over all merchants.")
    def shipping_fee(self: svc.CartView) -> Money:
        return Money.from_fen(self.shipping_fee)

    @strawberry.field(description="What checking out the selection would cost: goods plus shipping.")
    def total(self: svc.CartView) -> Money:
        return Money.from_fen(self.total)

    @strawberry.field(
        description="The selection (items without a problem) priced as checkout prices it: the best coupons applied, the coins cap, what placing it would charge (before choosing pickup stores). Null when nothing can be bought."
    )
    async def checkout(self: svc.CartView, info: Info) -> CheckoutPreview | None:
        items = tuple(checkout_svc.LineRequest(line.sku.id, line.quantity) for line in self.lines if line.counted)
        if not items:
            return None
        try:
            request = checkout_svc.CheckoutRequest(idempotency_key="", items=items)
            return CheckoutPreview.of(await checkout_svc.preview(info.context.viewer.id, request))
        except DomainError:
            return None  # a coupon or coin rule the selection cannot meet: the totals above still hold

    @strawberry.field(description="Units in the totals (selected items without a problem).")
    def selected_quantity(self: svc.CartView) -> int:
        return self.selected_quantity

    @strawberry.field(description="Number of distinct items (SKUs) in the cart.")
    def item_count(self: svc.CartView) -> int:
        return len(self.lines)

    @strawberry.field(description="True when the cart has items and every one is selected (the 'select all' box).")
    def all_selected(self: svc.CartView) -> bool:
        lines = self.lines
        return bool(lines) and all(line.selected for line in lines)


@strawberry.type(description="A link to a snapshot of the selected cart items that other signed-in users can import.")
class CartShare:
    code: str = strawberry.field(description="The share code (random, unguessable).")
    expires_at: datetime = strawberry.field(description="When the link stops working.")

    @strawberry.field(description="The link the H5 storefront opens to preview and import it.")
    def url(self: CartShareRow) -> str:
        return svc.share_url(self.code)

    @strawberry.field(description="Number of items shared.")
    def item_count(self: CartShareRow) -> int:
        return len(self.items)


@strawberry.type(description="One item of a shared cart, as the viewer would import it.")
class SharedCartItem:
    quantity: int = strawberry.field(description="Units shared (an import adds at most what stock and limits allow).")

    @strawberry.field(description="The SKU.")
    def sku(self: svc.SharedLine) -> Sku:
        return self.sku

    @strawberry.field(description="The SKU's product.")
    async def product(self: svc.SharedLine, info: Info) -> Product:
        return await info.context.loaders.product.load(self.sku.product_id)

    @strawberry.field(
        description="Whether importing would add it: on sale, in stock, and within the viewer's purchase limit."
    )
    def available(self: svc.SharedLine) -> bool:
        return self.available

    @strawberry.field(description="Why it would be skipped; null when available.")
    def problem(self: svc.SharedLine) -> CartItemProblem | None:
        return _problem(self.problem)


@strawberry.type(description="A preview of a shared cart.")
class SharedCart:
    @strawberry.field(description="The share code.")
    def code(self: svc.SharedCart) -> str:
        return self.share.code

    @strawberry.field(description="When the link stops working.")
    def expires_at(self: svc.SharedCart) -> datetime:
        return self.share.expires_at

    @strawberry.field(description="The shared items that still exist, available or not.")
    def items(self: svc.SharedCart) -> list[SharedCartItem]:
        return self.lines

    @strawberry.field(description="Shared items an import would skip now (unavailable, or removed from the catalog).")
    def unavailable_count(self: svc.SharedCart) -> int:
        return self.missing + sum(1 for line in self.lines if not line.available)


# --------------------------------------------------------------------------- payloads


@strawberry.type(description="Outcome of a cart mutation.")
class CartPayload:
    cart: Cart | None = strawberry.field(default=None, description="The cart after the change.")
    errors: list[UserError] = strawberry.field(default_factory=list, description="Why it failed; empty on success.")


@strawberry.type(description="Outcome of sharing the cart.")
class ShareCartPayload:
    share: CartShare | None = strawberry.field(default=None, description="The share link.")
    errors: list[UserError] = strawberry.field(default_factory=list, description="Why it failed; empty on success.")


@strawberry.type(description="Outcome of importing a shared cart.")
class ImportSharedCartPayload:
    cart: Cart | None = strawberry.field(default=None, description="The importer's cart after the import.")
    imported: int = strawberry.field(
        default=0, description="Shared items added (quantities capped by stock and purchase limits)."
    )
    skipped: int = strawberry.field(
        default=0, description="Shared items not added: unavailable, nothing more allowed, or the cart full."
    )
    errors: list[UserError] = strawberry.field(default_factory=list, description="Why it failed; empty on success.")
