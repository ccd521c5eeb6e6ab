"""Live coupons (MKT-1): the signed-in user hears the moment a coupon is granted to them,
used by their checkout, returned or expired. Events on `user:{id}` carry the coupon id; the
coupon is loaded fresh, by holder (someone else's id yields nothing), once per event for all
the process's subscribers (shared_loads); a sign-out ends the stream (OwnSession)."""

from __future__ import annotations

from collections.abc import AsyncGenerator

import strawberry
from strawberry.types import Info

from models.marketing import UserCoupon as UserCouponRow
from resolvers.common import login_required, viewer
from schema.errors import ApiError
from schema.types.marketing import CouponEvent, CouponEventKind, UserCoupon
from services.core.errors import ErrorCode
from services.core.events import user_channel
from services.marketing.events import CouponExpired, CouponGranted, CouponReturned, CouponUsed
from subscriptions.hub import RESYNC, SlowConsumer, listen, resync_message
from subscriptions.sessions import OwnSession
from subscriptions.shared_loads import shared_load

_KINDS = {
    CouponGranted: CouponEventKind.GRANTED,
    CouponUsed: CouponEventKind.USED,
    CouponReturned: CouponEventKind.RETURNED,
    CouponExpired: CouponEventKind.EXPIRED,
}


@strawberry.type
class MarketingSubscriptions:
    @strawberry.subscription(
        description="My coupons as they change: granted (claimed or issued), used by a checkout, returned "
        "(a cancelled checkout, a refund), expired.",
        extensions=login_required(),
    )
    async def my_coupon_events(self, info: Info) -> AsyncGenerator[CouponEvent, None]:
        user_id, session = viewer(info).id, OwnSession(info.context.session_id)
        try:
            async for event in listen(user_channel(user_id)):
                if event is RESYNC:  # events may have been missed: the client refetches
                    yield resync_message()
                    continue
                if not await session.passes(event):
                    continue
                kind = _KINDS.get(type(event))
                if kind is None:
                    continue
                row = await shared_load(
                    event,
                    "coupon",
                    lambda e=event: UserCouponRow.filter(id=e.coupon_id).select_related("template").first(),
                )
                if row is None or row.user_id != user_id:
                    continue
                yield CouponEvent(kind=kind, coupon=UserCoupon(row=row))
        except SlowConsumer:
            raise ApiError(ErrorCode.SLOW_CONSUMER, "Too far behind; reconnect and refetch.") from None
