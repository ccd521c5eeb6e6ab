"""Marketing jobs: expire coupons past their validity and end templates past their window;
expire coins and points unspent N months after they were credited; reconcile flash sessions
that are over (MKT-3); tell holders of coupons that expire soon. Set-based conditional UPDATEs,
idempotent journal posts (per account and cutoff day) or idempotent reloads: safe on several
workers."""

from __future__ import annotations

from services.marketing import coupons, expiry, flash


async def expire_coupons() -> str:
    expired, ended = await coupons.expire_due()
    return f"expired {expired} coupons, ended {ended} coupon templates"


async def expire_coins_and_points() -> str:
    expired = await expiry.expire_due()
    return ", ".join(f"{kind}: {units}" for kind, units in expired.items()) or "no expiry configured"


async def reconcile_flash_sessions() -> str:
    return f"reconciled {await flash.reconcile_ended()} flash sessions"


async def warn_expiring_coupons() -> str:
    return f"told {await coupons.warn_expiring()} holders of coupons expiring soon"
