"""Marketing jobs: expire coupons past their validity and end templates past their window;
expire coins and points unspent N months after they were credited; reconcile flash sessions
that are over (MKT-3); close group-buy teams whose time ran out (MKT-3: formed, or failed and
refunded, their unpaid seats cancelled); tell holders of coupons that expire soon. Set-based conditional UPDATEs,
idempotent journal posts (per account and cutoff day) or idempotent reloads: safe on several
workers."""

from __future__ import annotations

from models.orders import Payment
from services.core.errors import DomainError
from services.marketing import coupons, expiry, flash, group
from services.orders import after_sales, payments


async def expire_coupons() -> str:
    expired, ended = await coupons.expire_due()
    return f"expired {expired} coupons, ended {ended} coupon templates"


async def expire_coins_and_points() -> str:
    expired = await expiry.expire_due()
    return ", ".join(f"{kind}: {units}" for kind, units in expired.items()) or "no expiry configured"


async def reconcile_flash_sessions() -> str:
    return f"reconciled {await flash.reconcile_ended()} flash sessions"


async def close_group_teams() -> str:
    formed = failed = 0
    for team_id in await group.due_teams():
        closed = await group.close_team(team_id)
        if closed is None:  # closed by another worker meanwhile
            continue
        await after_sales.send_refunds(closed.refunds)
        for payment in await Payment.filter(id__in=closed.unpaid_payment_ids, status=payments.UNPAID):
            try:
                await payments.cancel_payment(payment, actor_id=None, reason="The group-buy team closed")
            except DomainError:
                pass  # paid or cancelled meanwhile
        formed += closed.status == group.rules.FORMED
        failed += closed.status == group.rules.FAILED
    return f"closed group teams: {formed} formed, {failed} failed"


async def warn_expiring_coupons() -> str:
    return f"told {await coupons.warn_expiring()} holders of coupons expiring soon"
