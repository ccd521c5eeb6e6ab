"""Consignment jobs (OPS-3): settle final sales, expire vouchers. Safe on several workers:
settlement moves each unit by a conditional UPDATE, expiry is one set-based UPDATE."""

from __future__ import annotations

from datetime import timedelta

from jobs.runner import Job, register
from services import consignment, vouchers


async def settle_consignments() -> str:
    return f"settled {await consignment.settle_due()} consigned units"


async def expire_vouchers() -> str:
    return f"expired {await vouchers.expire_due()} vouchers"


register(Job("settle_consignments", every=timedelta(minutes=10), run=settle_consignments))
register(Job("expire_vouchers", every=timedelta(hours=1), run=expire_vouchers))
