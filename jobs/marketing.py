"""Marketing jobs: expire coupons past their validity and end templates past their window;
reconcile flash sessions that are over (MKT-3). Set-based conditional UPDATEs or idempotent
reloads: safe on several workers."""

from __future__ import annotations

from services.marketing import coupons, flash


async def expire_coupons() -> str:
    expired, ended = await coupons.expire_due()
    return f"expired {expired} coupons, ended {ended} coupon templates"


async def reconcile_flash_sessions() -> str:
    return f"reconciled {await flash.reconcile_ended()} flash sessions"
