"""Marketing jobs: expire coupons past their validity and end templates past their window.
Set-based conditional UPDATEs: safe on several workers."""

from __future__ import annotations

from services.marketing import coupons


async def expire_coupons() -> str:
    expired, ended = await coupons.expire_due()
    return f"expired {expired} coupons, ended {ended} coupon templates"
