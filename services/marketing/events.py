"""Live events of coupons (MKT-1), on the holder's channel (`user:{id}`), and of flash stock (MKT-3)."""

from __future__ import annotations

from dataclasses import dataclass

from services.core.events import Id, LiveEvent


@dataclass(frozen=True)
class CouponGranted(LiveEvent):
    """The user claimed a coupon or was issued one."""

    type = "coupon_granted"
    coupon_id: Id


@dataclass(frozen=True)
class CouponUsed(LiveEvent):
    """A checkout of the user used the coupon."""

    type = "coupon_used"
    coupon_id: Id


@dataclass(frozen=True)
class CouponReturned(LiveEvent):
    """The coupon came back (a cancelled checkout, a refund): usable again until it expires."""

    type = "coupon_returned"
    coupon_id: Id


@dataclass(frozen=True)
class CouponExpired(LiveEvent):
    """The coupon expired unused."""

    type = "coupon_expired"
    coupon_id: Id


@dataclass(frozen=True)
class LotteryWon(LiveEvent):
    """A draw won a prize (on the activity's channel `lottery:{id}`: its live feed of wins)."""

    type = "lottery_won"
    draw_id: Id


@dataclass(frozen=True)
class FlashStockChanged(LiveEvent):
    """A flash item's units changed (taken by a checkout, back from a cancelled order), on
    `flash:{item id}`: what is left (MKT-3)."""

    type = "flash_stock_changed"
    item_id: Id
    left: int


@dataclass(frozen=True)
class CouponExpiring(LiveEvent):
    """The coupon is unused and expires within COUPON_EXPIRING_NOTICE_HOURS (sent once per coupon)."""

    type = "coupon_expiring"
    coupon_id: Id


@dataclass(frozen=True)
class GroupTeamChanged(LiveEvent):
    """A group-buy team's seats or state changed (a seat taken, paid, released; the team
    formed, failed or cancelled), on `group_team:{team id}` (MKT-3)."""

    type = "group_team_changed"
    team_id: Id
    taken: int
    paid: int
    status: str


@dataclass(frozen=True)
class BargainChanged(LiveEvent):
    """A bargain's progress changed (a help cut it, a checkout bought it, a cancelled order
    freed it), on `bargain:{bargain id}`: its price (fen), cuts taken and left, state (MKT-3)."""

    type = "bargain_changed"
    bargain_id: Id
    price: int
    taken: int
    left: int
    state: str
