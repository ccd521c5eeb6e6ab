"""Per-request loaders for distribution (commissions)."""

from __future__ import annotations

from strawberry.dataloader import DataLoader

from services.distribution import commissions, franchise


class DistributionLoaders:
    def __init__(self) -> None:
        # order id -> when its pending commissions' freeze ends (None until it completes)
        self.release_at_by_order = DataLoader(load_fn=commissions.release_times)
        # store id -> users bound to it
        self.store_member_count = DataLoader(load_fn=_member_counts)


async def _member_counts(store_ids: list[int]) -> list[int]:
    counts = await franchise.member_counts(store_ids)
    return [counts.get(store_id, 0) for store_id in store_ids]
