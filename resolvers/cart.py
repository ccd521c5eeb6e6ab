"""Shopping cart (ORD-1): the signed-in user's own cart, and shared carts. Every mutation
answers with the cart as it is afterwards (re-checked, with fresh totals)."""

from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry.types import Info

from resolvers.common import api_errors, login_required, parse_id, payload_errors, viewer
from schema.types.cart import (
    Cart,
    CartPayload,
    ImportSharedCartPayload,
    ShareCartPayload,
    SharedCart,
    prime_loaders,
)
from services.orders import cart

ITEM_ID = "The cart item."
SHARE_CODE = "The share code (from the link)."


async def _cart(info: Info) -> cart.CartView:
    found = await cart.view(viewer(info).id)
    prime_loaders(info, (line.sku for line in found.lines))
    return found


def _ids(ids: list[strawberry.ID]) -> list[int]:
    return [parse_id(i, "ids", of="CartItem") for i in ids]


@strawberry.type
class CartQueries:
    @strawberry.field(
        description="The signed-in user's cart: items per merchant, problems, totals with shipping.",
        extensions=login_required(),
    )
    async def cart(self, info: Info) -> Cart:
        return await _cart(info)

    @strawberry.field(
        description="Preview a cart someone shared: its items and which are still available to import. NOT_FOUND or SHARE_EXPIRED.",
        extensions=login_required(),
    )
    @api_errors
    async def shared_cart(
        self, info: Info, code: Annotated[str, strawberry.argument(description=SHARE_CODE)]
    ) -> SharedCart:
        found = await cart.shared_cart(viewer(info).id, code)
        prime_loaders(info, (line.sku for line in found.lines))
        return found


@strawberry.type
class CartMutations:
    @strawberry.mutation(
        description="Put a SKU in the cart, or add to its quantity if it is there (the item becomes selected). "
        "INSUFFICIENT_STOCK, PURCHASE_LIMIT_EXCEEDED, PRODUCT_UNAVAILABLE, ZONE_NOT_OPEN, CART_FULL, INVALID_QUANTITY.",
        extensions=login_required(),
    )
    @payload_errors
    async def add_to_cart(
        self,
        info: Info,
        sku_id: Annotated[strawberry.ID, strawberry.argument(description="The SKU.")],
        quantity: Annotated[int, strawberry.argument(description="Units to add, at least 1.")] = 1,
    ) -> CartPayload:
        await cart.add_item(viewer(info).id, parse_id(sku_id, "skuId", of="Sku"), quantity)
        return CartPayload(cart=await _cart(info))

    @strawberry.mutation(
        description="Set an item's quantity and/or switch it to another SKU of the same product "
        "(switching to a SKU already in the cart merges the two items).",
        extensions=login_required(),
    )
    @payload_errors
    async def update_cart_item(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description=ITEM_ID)],
        quantity: Annotated[
            int | None, strawberry.argument(description="New quantity, at least 1; omit to keep it.")
        ] = None,
        sku_id: Annotated[
            strawberry.ID | None, strawberry.argument(description="Another SKU of the same product; omit to keep it.")
        ] = None,
    ) -> CartPayload:
        new_sku = None if sku_id is None else parse_id(sku_id, "skuId", of="Sku")
        await cart.change_item(viewer(info).id, parse_id(id, of="CartItem"), quantity, new_sku)
        return CartPayload(cart=await _cart(info))

    @strawberry.mutation(
        description="Remove items from the cart (all of them must be yours: NOT_FOUND otherwise, nothing removed).",
        extensions=login_required(),
    )
    @payload_errors
    async def remove_cart_items(
        self,
        info: Info,
        ids: Annotated[list[strawberry.ID], strawberry.argument(description="The cart items.")],
    ) -> CartPayload:
        await cart.remove_items(viewer(info).id, _ids(ids))
        return CartPayload(cart=await _cart(info))

    @strawberry.mutation(
        description="Tick or untick items for checkout; without `ids`, every item (select all / none).",
        extensions=login_required(),
    )
    @payload_errors
    async def select_cart_items(
        self,
        info: Info,
        selected: Annotated[bool, strawberry.argument(description="True to select, false to deselect.")],
        ids: Annotated[
            list[strawberry.ID] | None, strawberry.argument(description="The cart items; omit for the whole cart.")
        ] = None,
    ) -> CartPayload:
        await cart.select_items(viewer(info).id, None if ids is None else _ids(ids), selected)
        return CartPayload(cart=await _cart(info))

    @strawberry.mutation(
        description="Share the selected items as a link that expires (CART_EMPTY when nothing is selected).",
        extensions=login_required(),
    )
    @payload_errors
    async def share_cart(self, info: Info) -> ShareCartPayload:
        return ShareCartPayload(share=await cart.share(viewer(info).id))

    @strawberry.mutation(
        description="Add a shared cart's available items to your cart, quantities capped by stock and purchase limits; "
        "reports how many were skipped. NOT_FOUND or SHARE_EXPIRED.",
        extensions=login_required(),
    )
    @payload_errors
    async def import_shared_cart(
        self,
        info: Info,
        code: Annotated[str, strawberry.argument(description=SHARE_CODE)],
    ) -> ImportSharedCartPayload:
        result = await cart.import_shared(viewer(info).id, code)
        return ImportSharedCartPayload(cart=await _cart(info), imported=result.imported, skipped=result.skipped)
