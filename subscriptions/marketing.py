"""Live coupons (MKT-1): the signed-in user hears the moment a coupon is granted to them,
used by their checkout, returned, about to expire (once) or expired. Events on `user:{id}` carry the coupon id; the
coupon is loaded fresh, by holder (someone else's id yields nothing), once per event for all
the process's subscribers; a sign-out ends the stream (subscriptions.own_rows)."""

from __future__ import annotations

from collections.abc import AsyncGenerator

import strawberry
from strawberry.types import Info

from models.marketing import UserCoupon as UserCouponRow
from resolvers.common import login_required
from schema.types.marketing import CouponEvent, CouponEventKind, UserCoupon
from services.marketing.events import CouponExpired, CouponExpiring, CouponGranted, CouponReturned, CouponUsed
from subscriptions.own_rows import own_rows

_KINDS = {
    CouponGranted: CouponEventKind.GRANTED,
    CouponUsed: CouponEventKind.USED,
    CouponReturned: CouponEventKind.RETURNED,
    CouponExpired: CouponEventKind.EXPIRED,
    CouponExpiring: CouponEventKind.EXPIRING,
}


@strawberry.type
class MarketingSubscriptions:
    @strawberry.subscription(
        description="My coupons as they change: granted (claimed or issued), used by a checkout, returned "
        "(a cancelled checkout, a refund), expiring within a day (COUPON_EXPIRING_NOTICE_HOURS, once per "
        "coupon), expired.",
        extensions=login_required(),
    )
    async def my_coupon_events(self, info: Info) -> AsyncGenerator[CouponEvent, None]:
        def load(event):
            return UserCouponRow.filter(id=event.coupon_id).select_related("template").first()

        async for item in own_rows(info, _KINDS, "coupon", load, lambda row: row.user_id):
            if isinstance(item, tuple):
                kind, _, row = item
                yield CouponEvent(kind=kind, coupon=UserCoupon(row=row))
            else:
                yield item
