"""Per-request loaders for distribution (commissions)."""

from __future__ import annotations

from strawberry.dataloader import DataLoader

from services import commissions


class DistributionLoaders:
    def __init__(self) -> None:
        # order id -> when its pending commissions' freeze ends (None until it completes)
        self.release_at_by_order = DataLoader(load_fn=commissions.release_times)
