"""The catalog's live events, on the merchant's channel (`merchant:{id}`)."""

from __future__ import annotations

from dataclasses import dataclass

from services.core.events import Id, LiveEvent


@dataclass(frozen=True)
class LowStock(LiveEvent):
    """A SKU's stock fell to or below its low-stock threshold."""

    type = "low_stock"
    sku_id: Id
    product_id: Id
    stock: int


@dataclass(frozen=True)
class ProductDelisted(LiveEvent):
    """A product was taken off sale automatically (reason: OUT_OF_STOCK)."""

    type = "product_delisted"
    product_id: Id
    reason: str


@dataclass(frozen=True)
class ProductRelisted(LiveEvent):
    """A product delisted for want of stock is on sale again."""

    type = "product_relisted"
    product_id: Id
