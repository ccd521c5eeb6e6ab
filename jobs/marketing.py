"""Marketing jobs: expire coupons past their validity and end templates past their window;
tell holders of coupons that expire soon. Set-based conditional UPDATEs: safe on several
workers."""

from __future__ import annotations

from services.marketing import coupons


async def expire_coupons() -> str:
    expired, ended = await coupons.expire_due()
    return f"expired {expired} coupons, ended {ended} coupon templates"


async def warn_expiring_coupons() -> str:
    return f"told {await coupons.warn_expiring()} holders of coupons expiring soon"
