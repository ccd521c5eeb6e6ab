"""Consignment jobs (OPS-3): settle final sales, expire vouchers. Safe on several workers:
settlement moves each unit by a conditional UPDATE, expiry is one set-based UPDATE."""

from __future__ import annotations

from services.consignment import queue as consignment
from services.consignment import vouchers


async def settle_consignments() -> str:
    return f"settled {await consignment.settle_due()} consigned units"


async def expire_vouchers() -> str:
    return f"expired {await vouchers.expire_due()} vouchers"
