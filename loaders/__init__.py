"""DataLoaders, built once per request in the context: one query per relation per request."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Awaitable, Callable

from strawberry.dataloader import DataLoader

from loaders.distribution import DistributionLoaders
from loaders.orders import OrderLoaders
from models.accounts import Address, User, UserIdentity
from models.catalog import Category, Product, Sku
from models.merchants import Merchant, MerchantCategoryRate, MerchantReview, MerchantStaff, Store, StoreStaff


def one_per(model, key: str) -> Callable[[list[int]], Awaitable[list]]:
    """The single row of `model` whose `key` (a unique column) is each id (None where missing)."""

    async def load(keys: list[int]) -> list:
        found = {getattr(row, key): row for row in await model.filter(**{f"{key}__in": keys})}
        return [found.get(k) for k in keys]

    return load


def by_id(model) -> Callable[[list[int]], Awaitable[list]]:
    """Rows of `model` by primary key (None where missing)."""
    return one_per(model, "id")


def grouped(model, key: str, order: tuple[str, ...] = ("id",), **where) -> Callable[[list[int]], Awaitable[list[list]]]:
    """Rows of `model` whose `key` is each given id, in `order`, optionally filtered by `where`."""

    async def load(keys: list[int]) -> list[list]:
        groups: dict[int, list] = defaultdict(list)
        for row in await model.filter(**{f"{key}__in": keys}, **where).order_by(*order):
            groups[getattr(row, key)].append(row)
        return [groups[k] for k in keys]

    return load


async def load_all(loader: DataLoader, keys: list) -> list:
    """What `await loader.load_many(keys)` returns, for a whole page at once: the keys the
    loader does not hold yet go to its batch function in one call (one query), and the
    results are primed into its cache, so later `load`s in the request reuse them. It skips
    `load_many`'s future, batch entry and `gather` callback per key, which on a page of 50
    rows cost more than the query's own rows."""
    held: dict = {}
    missing: list = []
    for key in dict.fromkeys(keys):
        future = loader.cache_map.get(key) if loader.cache else None
        if future is not None and not future.cancelled():
            held[key] = future
        else:
            missing.append(key)
    if missing:
        values = list(await loader.load_fn(missing))
        if len(values) != len(missing):
            raise ValueError(f"the batch function returned {len(values)} results for {len(missing)} keys")
        for value in values:
            if isinstance(value, BaseException):
                raise value
        found = dict(zip(missing, values))
        loader.prime_many(found, force=True)  # missing keys only: absent or cancelled
    else:
        found = {}
    return [found[key] if key in found else await held[key] for key in keys]


class Loaders:
    def __init__(self) -> None:
        self.user = DataLoader(load_fn=by_id(User))
        self.addresses_by_user = DataLoader(load_fn=grouped(Address, "user_id", ("-is_default", "-id")))
        self.identity_by_user = DataLoader(load_fn=one_per(UserIdentity, "user_id"))
        self.merchant = DataLoader(load_fn=by_id(Merchant))
        self.category = DataLoader(load_fn=by_id(Category))
        self.product = DataLoader(load_fn=by_id(Product))
        # active SKUs of each product, in creation order
        self.skus_by_product = DataLoader(load_fn=grouped(Sku, "product_id", is_active=True))
        self.child_categories = DataLoader(load_fn=grouped(Category, "parent_id", ("sort_order", "id"), is_active=True))
        self.category_rates_by_merchant = DataLoader(
            load_fn=grouped(MerchantCategoryRate, "merchant_id", ("category_id",))
        )
        self.staff_by_merchant = DataLoader(load_fn=grouped(MerchantStaff, "merchant_id"))
        self.reviews_by_merchant = DataLoader(load_fn=grouped(MerchantReview, "merchant_id"))
        self.stores_by_merchant = DataLoader(load_fn=grouped(Store, "merchant_id"))
        self.staff_by_store = DataLoader(load_fn=grouped(StoreStaff, "store_id"))
        self.orders = OrderLoaders()
        self.distribution = DistributionLoaders()
