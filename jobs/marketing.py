"""Marketing jobs: expire coupons past their validity and end templates past their window;
expire coins and points unspent N months after they were credited. Set-based conditional
UPDATEs and idempotent journal posts (per account and cutoff day): safe on several workers."""

from __future__ import annotations

from services.marketing import coupons, expiry


async def expire_coupons() -> str:
    expired, ended = await coupons.expire_due()
    return f"expired {expired} coupons, ended {ended} coupon templates"


async def expire_coins_and_points() -> str:
    expired = await expiry.expire_due()
    return ", ".join(f"{kind}: {units}" for kind, units in expired.items()) or "no expiry configured"
