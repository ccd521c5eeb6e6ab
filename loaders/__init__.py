"""DataLoaders, built once per request in the context: one query per relation per request."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from strawberry.dataloader import DataLoader

from models.accounts import Address, User


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


class Loaders:
    def __init__(self) -> None:
        self.user = DataLoader(load_fn=_load_users)
        self.addresses_by_user = DataLoader(load_fn=_load_addresses)
