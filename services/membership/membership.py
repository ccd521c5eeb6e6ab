"""Paid partner membership (MEM-1) and the RISK-1 switches for recruitment fees.

A membership is bought like any product: a MEMBERSHIP-zone product of the platform's
SELF_OPERATED merchant whose SKU price is the membership price of the settings (saving the
settings reprices those SKUs in the same transaction; the zone rule refuses a membership
line at any other price or from another merchant, so nobody sells memberships cheaply).
- paid (PAID): each MEMBERSHIP line adds `days x quantity` to the buyer's membership:
  from its expiry while still valid (renewal), else from now. One MembershipPeriod per
  line (unique line id: a replayed payment never adds twice).
- refunded (LINE_REFUNDED): the refunded units' days are taken off the expiry; a
  membership left ending in the past is CANCELLED.
- expiry: valid means ACTIVE and expires_at in the future (checked on every use); the
  worker marks ended memberships EXPIRED.
- member prices: checkout and the cart price a member's lines at the SKU's member price.

RISK-1 (no commission on recruitment-only fees unless enabled): membership lines never
enter the distribution commission base; gift-pack lines enter it only when
`gift_pack_commission` is on; `referral_reward` (fen, 0 = off) books a fixed commission
to the direct upline of a member's first sign-up (services.distribution.commissions, platform funded).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from tortoise.exceptions import IntegrityError

import settings
from models.catalog import Product, Sku
from models.membership import Membership, MembershipConfig, MembershipConfigChange, MembershipPeriod
from models.orders import OrderLine
from services.accounts.access import Grants
from services.catalog.product_states import LISTED
from services.core import clock
from services.core.errors import DomainError, ErrorCode
from services.core.events import emit, public_data_changed, unit_of_work, user_channel
from services.membership.events import MembershipChanged

if TYPE_CHECKING:  # the order events this module reacts to (membership sits below orders)
    from services.orders.hooks import LineRefund, PaidOrder

ZONE = "MEMBERSHIP"
ACTIVE, EXPIRED, CANCELLED = "ACTIVE", "EXPIRED", "CANCELLED"
STATUSES = (ACTIVE, EXPIRED, CANCELLED)
CONFIG_ID = 1
MAX_PRICE = 10**8
MAX_DAYS = 3660
MAX_REWARD = 10**7


def _q(query, conn):
    return query.using_db(conn) if conn is not None else query


# --------------------------------------------------------------------------- settings


@dataclass(frozen=True)
class Terms:
    price: int
    days: int
    referral_reward: int
    gift_pack_commission: bool
    updated_at: datetime | None = None
    updated_by_id: int | None = None

    def values(self) -> dict:
        return {
            "price": self.price,
            "days": self.days,
            "referral_reward": self.referral_reward,
            "gift_pack_commission": self.gift_pack_commission,
        }


def default_terms() -> Terms:
    return Terms(
        settings.MEMBERSHIP_PRICE,
        settings.MEMBERSHIP_DAYS,
        settings.MEMBER_REFERRAL_REWARD,
        settings.GIFT_PACK_COMMISSION,
    )


async def current_terms(conn=None) -> Terms:
    row = await _q(MembershipConfig.filter(id=CONFIG_ID), conn).first()
    if row is None:
        return default_terms()
    return Terms(row.price, row.days, row.referral_reward, row.gift_pack_commission, row.updated_at, row.updated_by_id)


def _int(value, field: str, low: int, high: int) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise DomainError(ErrorCode.INVALID_INPUT, f"{field}: a whole number from {low} to {high}.", field)
    return value


async def update_terms(
    grants: Grants, actor_id: int, *, price: int, days: int, referral_reward: int, gift_pack_commission: bool
) -> Terms:
    """An admin replaces the membership settings (validated as a whole; audited in
    MembershipConfigChange). Membership products are repriced in the same transaction."""
    if not grants.has("membership.manage"):
        raise DomainError(ErrorCode.FORBIDDEN, "This needs the membership.manage permission.")
    values = {
        "price": _int(price, "price", 1, MAX_PRICE),
        "days": _int(days, "days", 1, MAX_DAYS),
        "referral_reward": _int(referral_reward, "referralReward", 0, MAX_REWARD),
        "gift_pack_commission": bool(gift_pack_commission),
    }
    if values["referral_reward"] > values["price"]:
        raise DomainError(
            ErrorCode.INVALID_INPUT, "The referral reward cannot exceed the membership price.", "referralReward"
        )
    async with unit_of_work() as conn:
        if not await MembershipConfig.filter(id=CONFIG_ID).using_db(conn).exists():
            try:
                async with unit_of_work() as inner:
                    await MembershipConfig.create(id=CONFIG_ID, **default_terms().values(), using_db=inner)
            except IntegrityError:
                pass
        if conn.capabilities.dialect == "postgres":
            await MembershipConfig.filter(id=CONFIG_ID).using_db(conn).select_for_update().values_list("id", flat=True)
        before = (await current_terms(conn)).values()
        await (
            MembershipConfig.filter(id=CONFIG_ID)
            .using_db(conn)
            .update(updated_by_id=actor_id, updated_at=clock.now(), **values)
        )
        await MembershipConfigChange.create(actor_id=actor_id, before=before, after=values, using_db=conn)
        product_ids = await Product.filter(zone=ZONE).using_db(conn).values_list("id", flat=True)
        if product_ids:
            await Sku.filter(product_id__in=product_ids).using_db(conn).update(price=values["price"], member_price=None)
            await (
                Product.filter(id__in=product_ids)
                .using_db(conn)
                .update(min_price=values["price"], max_price=values["price"])
            )
            public_data_changed()  # the membership product's price on the storefront
    return await current_terms()


# --------------------------------------------------------------------------- validity


async def valid_until(user_id: int, conn=None) -> datetime | None:
    """When the user's membership ends, if it is valid now; else None."""
    rows = await _q(Membership.filter(user_id=user_id, status=ACTIVE, expires_at__gt=clock.now()), conn).values_list(
        "expires_at", flat=True
    )
    return rows[0] if rows else None


async def is_member(user_id: int, conn=None) -> bool:
    return await valid_until(user_id, conn) is not None


@dataclass(frozen=True)
class MyMembership:
    membership: Membership | None
    is_member: bool
    terms: Terms
    sku_id: int | None  # what to buy to join or renew


async def membership_sku_id() -> int | None:
    rows = (
        await Sku.filter(product__zone=ZONE, product__status=LISTED, is_active=True)
        .order_by("id")
        .limit(1)
        .values_list("id", flat=True)
    )
    return rows[0] if rows else None


async def my_membership(user_id: int) -> MyMembership:
    row = await Membership.get_or_none(user_id=user_id)
    valid = row is not None and row.status == ACTIVE and row.expires_at > clock.now()
    return MyMembership(row, valid, await current_terms(), await membership_sku_id())


# --------------------------------------------------------------------------- the zone rule (checkout)


async def check_lines(buyer_id: int, lines: list[OrderLine], conn) -> None:
    """ZONE_RULES[MEMBERSHIP]: memberships are sold by the platform at the settings' price."""
    terms = await current_terms(conn)
    product_ids = list({ln.product_id for ln in lines})
    kinds = dict(await Product.filter(id__in=product_ids).using_db(conn).values_list("id", "merchant__kind"))
    for line in lines:
        if kinds.get(line.product_id) != "SELF_OPERATED":
            raise DomainError(ErrorCode.ZONE_REQUIREMENT_NOT_MET, "Memberships are sold by the platform only.", "items")
        if line.unit_price != terms.price:
            raise DomainError(
                ErrorCode.MEMBERSHIP_PRICE_MISMATCH, "The membership price has changed; refresh and try again.", "items"
            )


# --------------------------------------------------------------------------- paid / refunded


async def _lock(user_id: int, conn) -> Membership | None:
    query = Membership.filter(user_id=user_id).using_db(conn)
    if conn.capabilities.dialect == "postgres":
        query = query.select_for_update()
    return await query.first()


async def on_paid(paid: PaidOrder, conn) -> None:
    """PAID step: each paid MEMBERSHIP line starts or extends the buyer's membership."""
    order = paid.order
    lines = paid.lines_in((ZONE,))
    if not lines:
        return
    terms = await current_terms(conn)
    for line in lines:
        if await MembershipPeriod.filter(line_id=line.id).using_db(conn).exists():
            continue
        days = terms.days * line.quantity
        now = clock.now()
        row = await _lock(order.buyer_id, conn)
        if row is None:
            try:
                async with unit_of_work() as inner:
                    row = await Membership.create(
                        user_id=order.buyer_id, status=ACTIVE, started_at=now, expires_at=now, using_db=inner
                    )
            except IntegrityError:  # a concurrent payment of the same buyer created it
                pass
            row = await _lock(order.buyer_id, conn)
        valid = row.status == ACTIVE and row.expires_at > now
        starts = row.expires_at if valid else now
        ends = starts + timedelta(days=days)
        await (
            Membership.filter(id=row.id)
            .using_db(conn)
            .update(status=ACTIVE, expires_at=ends, started_at=row.started_at if valid else now)
        )
        await MembershipPeriod.create(
            user_id=order.buyer_id, line_id=line.id, days=days, starts_at=starts, ends_at=ends, using_db=conn
        )
        emit(user_channel(order.buyer_id), MembershipChanged(ends))


async def on_line_refunded(refund: LineRefund, conn) -> None:
    """LINE_REFUNDED step: refunded membership units give their days back."""
    line = refund.line
    if line.zone != ZONE:
        return
    period = await MembershipPeriod.filter(line_id=line.id).using_db(conn).first()
    if period is None:
        return
    # cumulative floor over the line's units, like the money: every unit refunded gives back all days
    before = line.refunded_quantity - refund.quantity
    take = period.days * line.refunded_quantity // line.quantity - period.days * before // line.quantity
    take = min(take, period.days - period.refunded_days)
    if take <= 0:
        return
    row = await _lock(period.user_id, conn)
    if row is None:
        return
    now = clock.now()
    ends = row.expires_at - timedelta(days=take)
    status = row.status if ends > now else CANCELLED
    await Membership.filter(id=row.id).using_db(conn).update(expires_at=ends, status=status)
    await MembershipPeriod.filter(id=period.id).using_db(conn).update(refunded_days=period.refunded_days + take)
    emit(user_channel(period.user_id), MembershipChanged(ends))


async def is_first_sign_up(user_id: int, line_id: int, conn) -> bool:
    """No earlier membership line of this user (renewals earn no sign-up reward)."""
    return not await MembershipPeriod.filter(user_id=user_id, line_id__lt=line_id).using_db(conn).exists()


# --------------------------------------------------------------------------- expiry (worker)


async def expire_due(limit: int = 1000) -> int:
    """Worker job: ACTIVE memberships past their expiry become EXPIRED (one conditional
    UPDATE per batch: safe on two workers)."""
    now = clock.now()
    ids = (
        await Membership.filter(status=ACTIVE, expires_at__lte=now)
        .order_by("id")
        .limit(limit)
        .values_list("id", flat=True)
    )
    if not ids:
        return 0
    return await Membership.filter(id__in=list(ids), status=ACTIVE, expires_at__lte=now).update(status=EXPIRED)
