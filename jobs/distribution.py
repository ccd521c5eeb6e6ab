"""Distribution jobs (OPS-3): release commissions whose order completed and whose freeze
period has passed. Safe on several workers: each commission moves by a conditional UPDATE
in the same transaction as its journal entry (services.distribution.commissions.release_due)."""

from __future__ import annotations

from services.distribution import commissions


async def release_commissions() -> str:
    return f"released {await commissions.release_due()} commissions"
