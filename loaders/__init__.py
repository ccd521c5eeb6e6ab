"""DataLoaders, built once per request in the context: one query per relation per request."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from strawberry.dataloader import DataLoader

from models.accounts import Address, User
from models.catalog import Category, Product, Sku
from models.merchants import Merchant


def _by_id(rows: Iterable, keys: list[int]) -> list:
    found = {row.id: row for row in rows}
    return [found.get(k) for k in keys]


async def _load_users(keys: list[int]) -> list[User | None]:
    return _by_id(await User.filter(id__in=keys), keys)


async def _load_addresses(user_ids: list[int]) -> list[list[Address]]:
    grouped: dict[int, list[Address]] = defaultdict(list)
    for address in await Address.filter(user_id__in=user_ids).order_by("-is_default", "-id"):
        grouped[address.user_id].append(address)
    return [grouped[k] for k in user_ids]


async def _load_merchants(keys: list[int]) -> list[Merchant | None]:
    return _by_id(await Merchant.filter(id__in=keys), keys)


async def _load_categories(keys: list[int]) -> list[Category | None]:
    return _by_id(await Category.filter(id__in=keys), keys)


async def _load_products(keys: list[int]) -> list[Product | None]:
    return _by_id(await Product.filter(id__in=keys), keys)


async def _load_skus(product_ids: list[int]) -> list[list[Sku]]:
    """Active SKUs of each product, in creation order."""
    grouped: dict[int, list[Sku]] = defaultdict(list)
    for sku in await Sku.filter(product_id__in=product_ids, is_active=True).order_by("id"):
        grouped[sku.product_id].append(sku)
    return [grouped[k] for k in product_ids]


async def _load_child_categories(parent_ids: list[int]) -> list[list[Category]]:
    grouped: dict[int, list[Category]] = defaultdict(list)
    for category in await Category.filter(parent_id__in=parent_ids, is_active=True).order_by("sort_order", "id"):
        grouped[category.parent_id].append(category)
    return [grouped[k] for k in parent_ids]


class Loaders:
    def __init__(self) -> None:
        self.user = DataLoader(load_fn=_load_users)
        self.addresses_by_user = DataLoader(load_fn=_load_addresses)
        self.merchant = DataLoader(load_fn=_load_merchants)
        self.category = DataLoader(load_fn=_load_categories)
        self.product = DataLoader(load_fn=_load_products)
        self.skus_by_product = DataLoader(load_fn=_load_skus)
        self.child_categories = DataLoader(load_fn=_load_child_categories)
