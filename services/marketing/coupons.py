"""The coupons users hold (MKT-1): claimed in the storefront, issued by admins, used by a
checkout, returned on cancel or refund, expired by the worker.

A claim is one unit of work that is exact under any concurrency: the user's count first
(`CouponClaim`: a conditional UPDATE `claimed < per_user_limit`; the unique (template,
user) pair serialises a user's first claims), then the coupon row, then the template's
count last (`claimed_count < total_quantity`, one conditional UPDATE: the template's row,
which every claim of it waits for, is held from there to the commit only). A refusal rolls
everything back.

`use_coupons` and `return_coupons` run inside the caller's transaction (the checkout's, the
cancel's): each is a conditional UPDATE on the coupon's status (`USER_COUPON_STATES`).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from tortoise.exceptions import IntegrityError
from tortoise.expressions import F
from tortoise.functions import Count

import settings
from models.accounts import User
from models.marketing import CouponClaim, CouponTemplate, UserCoupon
from models.orders import OrderLine
from services.accounts.access import Grants
from services.core import clock
from services.core.errors import DomainError, ErrorCode
from services.core.events import emit, unit_of_work, user_channel
from services.core.sql import sql
from services.core.states import StateMachine, Transition
from services.marketing import offers
from services.marketing.coupon_templates import ACTIVE, TEMPLATE_STATES, offer_of, template_for_staff
from services.marketing.events import CouponExpired, CouponExpiring, CouponGranted, CouponReturned, CouponUsed

CLAIMED, USED, RETURNED, EXPIRED = "CLAIMED", "USED", "RETURNED", "EXPIRED"
STATUSES = (CLAIMED, USED, RETURNED, EXPIRED)
HELD = (CLAIMED, RETURNED)  # usable while valid
CLAIM, ISSUE = "CLAIM", "ISSUE"
USER_COUPON_STATES = StateMachine(
    "coupon",
    {
        "USE": Transition(HELD, USED, stamp="used_at"),
        "RETURN": Transition(USED, RETURNED, stamp="returned_at"),
        "EXPIRE": Transition(HELD, EXPIRED, stamp="expired_at"),
    },
    field="couponIds",
)
MAX_ISSUE = 200  # users per issue call


def _unavailable(template: CouponTemplate, now) -> DomainError | None:
    if template.status != ACTIVE:
        return DomainError(ErrorCode.COUPON_UNAVAILABLE, f"This coupon is {template.status.lower()}.", "templateId")
    if template.valid_until is not None and template.valid_until <= now:
        return DomainError(ErrorCode.COUPON_UNAVAILABLE, "This coupon's validity has ended.", "templateId")
    return None


def _exhausted() -> DomainError:
    return DomainError(ErrorCode.COUPONS_EXHAUSTED, "All of these coupons have been taken.", "templateId")


def _validity(template: CouponTemplate, now) -> tuple:
    if template.valid_days:
        return now, now + timedelta(days=template.valid_days)
    return template.valid_from, template.valid_until


async def _template_taken(template: CouponTemplate, count: int, conn) -> None:
    """Raise the template's claimed count by `count`, never past its total (the last write
    of a claim or issue: see the module's docstring)."""
    taken = (
        await CouponTemplate.filter(id=template.id, status=ACTIVE, claimed_count__lte=F("total_quantity") - count)
        .using_db(conn)
        .update(claimed_count=F("claimed_count") + count)
    )
    if not taken:
        fresh = await CouponTemplate.get(id=template.id).using_db(conn)
        raise _unavailable(fresh, clock.now()) or _exhausted()


async def _count_claim(template: CouponTemplate, user_id: int, conn) -> None:
    """The user's claims of this template go up by one, never past its per-user limit."""

    async def raise_count() -> bool:
        return bool(
            await CouponClaim.filter(template_id=template.id, user_id=user_id, claimed__lt=template.per_user_limit)
            .using_db(conn)
            .update(claimed=F("claimed") + 1)
        )

    if await raise_count():
        return
    if not await CouponClaim.filter(template_id=template.id, user_id=user_id).using_db(conn).exists():
        try:
            async with unit_of_work() as savepoint:  # a concurrent first claim of the user may win the insert
                await CouponClaim.create(template_id=template.id, user_id=user_id, claimed=1, using_db=savepoint)
            return
        except IntegrityError:
            if await raise_count():  # the other claim committed its row: count on it
                return
    raise DomainError(
        ErrorCode.COUPON_LIMIT_REACHED,
        f"At most {template.per_user_limit} of these coupons per person.",
        "templateId",
    )


async def claim(user_id: int, template_id: int) -> UserCoupon:
    """Claim one coupon of an ACTIVE, claimable template. Raises NOT_FOUND,
    COUPON_UNAVAILABLE (not active, issued only, window over), COUPONS_EXHAUSTED,
    COUPON_LIMIT_REACHED; nothing changes then."""
    template = await CouponTemplate.get_or_none(id=template_id)
    if template is None or not template.claimable:
        raise DomainError(ErrorCode.NOT_FOUND, "No such coupon to claim.", "templateId")
    now = clock.now()
    refusal = _unavailable(template, now)
    if refusal:
        raise refusal
    if template.claimed_count >= template.total_quantity:  # cheap early answer; the UPDATE decides
        raise _exhausted()
    valid_from, expires_at = _validity(template, now)
    async with unit_of_work() as conn:
        await _count_claim(template, user_id, conn)
        coupon = await UserCoupon.create(
            template_id=template.id,
            user_id=user_id,
            source=CLAIM,
            valid_from=valid_from,
            expires_at=expires_at,
            using_db=conn,
        )
        await _template_taken(template, 1, conn)
        emit(user_channel(user_id), CouponGranted(coupon.id))
    coupon.template = template
    return coupon


async def issue(grants: Grants, actor_id: int | None, template_id: int, user_ids: Sequence[int]) -> list[UserCoupon]:
    """Give one coupon of an ACTIVE template to each user (its managers: marketing.manage,
    or the merchant's marketing staff). Counts against the total, not the per-user limit.
    Raises FORBIDDEN, NOT_FOUND, INVALID_INPUT, COUPON_UNAVAILABLE, COUPONS_EXHAUSTED."""
    template = await template_for_staff(grants, template_id, "templateId")
    users = list(dict.fromkeys(user_ids))
    if not 1 <= len(users) <= MAX_ISSUE:
        raise DomainError(ErrorCode.INVALID_INPUT, f"1 to {MAX_ISSUE} different users at a time.", "userIds")
    if await User.filter(id__in=users).count() != len(users):
        raise DomainError(ErrorCode.NOT_FOUND, "No such user.", "userIds")
    now = clock.now()
    refusal = _unavailable(template, now)
    if refusal:
        raise refusal
    valid_from, expires_at = _validity(template, now)
    async with unit_of_work() as conn:
        await _template_taken(template, len(users), conn)
        coupons = [
            await UserCoupon.create(
                template_id=template.id,
                user_id=user_id,
                source=ISSUE,
                valid_from=valid_from,
                expires_at=expires_at,
                issued_by_id=actor_id,
                using_db=conn,
            )
            for user_id in users
        ]
        for coupon in coupons:
            emit(user_channel(coupon.user_id), CouponGranted(coupon.id))
    for coupon in coupons:
        coupon.template = template
    return coupons


async def grant_in(template_id: int, user_id: int, conn) -> UserCoupon:
    """One coupon of an ACTIVE template for a prize (MKT-4's lottery), inside the caller's
    transaction: counted against the total, not the per-user claim limit. Raises
    COUPON_UNAVAILABLE, COUPONS_EXHAUSTED (the caller's unit then rolls back)."""
    template = await CouponTemplate.get(id=template_id).using_db(conn)
    now = clock.now()
    refusal = _unavailable(template, now)
    if refusal:
        raise refusal
    valid_from, expires_at = _validity(template, now)
    coupon = await UserCoupon.create(
        template_id=template.id,
        user_id=user_id,
        source=ISSUE,
        valid_from=valid_from,
        expires_at=expires_at,
        using_db=conn,
    )
    await _template_taken(template, 1, conn)
    emit(user_channel(user_id), CouponGranted(coupon.id))
    coupon.template = template
    return coupon


# -- at checkout, cancel and refund (inside the caller's transaction) -------------------


_TERMS = ("kind", "merchant_id", "amount", "rate_bp", "cap", "threshold", "scope", "stacks")


async def usable_offers(user_id: int, conn=None) -> list[offers.Coupon]:
    """The user's coupons usable now, as the pricing pipeline takes them: one query of plain
    values (a buyer may hold dozens), each template's terms built once."""
    now = clock.now()
    rows = (
        await UserCoupon.filter(user_id=user_id, status__in=HELD, valid_from__lte=now, expires_at__gt=now)
        .using_db(conn)
        .order_by("id")
        .values("id", "template_id", *(f"template__{t}" for t in _TERMS))
    )
    templates: dict[int, CouponTemplate] = {}
    found = []
    for row in rows:
        template = templates.get(row["template_id"])
        if template is None:
            fields = {t: row[f"template__{t}"] for t in _TERMS}
            if isinstance(fields["scope"], str):  # a JSON column read by .values() on some backends
                fields["scope"] = json.loads(fields["scope"])
            template = templates[row["template_id"]] = CouponTemplate(id=row["template_id"], **fields)
        found.append(offer_of(template, row["id"]))
    return found


@dataclass(frozen=True)
class CouponUse:
    coupon_id: int
    discount: int  # goods and shipping it took off (pipeline.AppliedCoupon)
    order_id: int | None = None  # a merchant coupon's order; None: the platform's (the whole checkout)


async def use_coupons(user_id: int, payment_id: int, uses: Sequence[CouponUse], conn) -> None:
    """Mark the coupons used by a checkout. Raises NOT_FOUND (not the user's),
    COUPON_EXPIRED, COUPON_UNAVAILABLE (not valid yet), INVALID_TRANSITION (used already):
    the caller's transaction rolls back, so nothing changes."""
    now = clock.now()
    for use in sorted(uses, key=lambda u: u.coupon_id):  # rows in id order: no deadlocks
        held = UserCoupon.filter(id=use.coupon_id, user_id=user_id, valid_from__lte=now, expires_at__gt=now)
        moved = await USER_COUPON_STATES.update(
            held.using_db(conn), "USE", payment_id=payment_id, order_id=use.order_id, discount=use.discount
        )
        if moved != 1:
            raise await _unusable(user_id, use.coupon_id, conn)
        emit(user_channel(user_id), CouponUsed(use.coupon_id))


async def _unusable(user_id: int, coupon_id: int, conn) -> DomainError:
    row = await UserCoupon.get_or_none(id=coupon_id, user_id=user_id).using_db(conn)
    now = clock.now()
    if row is None:
        return DomainError(ErrorCode.NOT_FOUND, "No such coupon.", "couponIds")
    if row.status == EXPIRED or (row.status in HELD and row.expires_at <= now):
        return DomainError(ErrorCode.COUPON_EXPIRED, "This coupon has expired.", "couponIds")
    if row.status in HELD:
        return DomainError(ErrorCode.COUPON_UNAVAILABLE, "This coupon is not valid yet.", "couponIds")
    return USER_COUPON_STATES.refusal("USE", row.status)


async def return_coupons(coupon_ids: Sequence[int], conn) -> int:
    """Give used coupons back (cancel, time-out, or a refund the refund allocator says
    returns them): usable again until they expire (the worker expires those past it)."""
    holders = await UserCoupon.filter(id__in=list(coupon_ids), status=USED).using_db(conn).values_list("id", "user_id")
    moved = await USER_COUPON_STATES.update(
        UserCoupon.filter(id__in=[i for i, _ in holders]).using_db(conn),
        "RETURN",
        payment_id=None,
        order_id=None,
        discount=0,
    )
    for coupon_id, user_id in holders:
        emit(user_channel(user_id), CouponReturned(coupon_id))
    return moved


async def return_for_payment(payment_id: int, conn) -> int:
    """An unpaid checkout was cancelled or timed out: every coupon it used comes back."""
    ids = await UserCoupon.filter(payment_id=payment_id, status=USED).using_db(conn).values_list("id", flat=True)
    return await return_coupons(ids, conn) if ids else 0


async def return_for_order(order, conn) -> int:
    """Every unit of `order` was refunded (and the policy gives coupons back then): its
    merchant coupons return, and the checkout's platform coupons once every order of the
    checkout is refunded in full."""
    ids = list(await UserCoupon.filter(order_id=order.id, status=USED).using_db(conn).values_list("id", flat=True))
    left = (
        await OrderLine.filter(order__payment_id=order.payment_id, refunded_quantity__lt=F("quantity"))
        .using_db(conn)
        .exists()
    )
    if not left:
        ids += (
            await UserCoupon.filter(payment_id=order.payment_id, order_id=None, status=USED)
            .using_db(conn)
            .values_list("id", flat=True)
        )
    return await return_coupons(ids, conn) if ids else 0


async def on_order_cancelled(order, conn) -> None:
    """CANCELLED step: an unpaid checkout (all its orders) was cancelled or timed out."""
    await return_for_payment(order.payment_id, conn)


# -- the worker --------------------------------------------------------------------------


async def expire_due() -> tuple[int, int]:
    """Held coupons past their expiry become EXPIRED; ACTIVE or PAUSED templates past their
    window END. Set-based, idempotent: safe on several workers."""
    now = clock.now()
    async with unit_of_work() as conn:
        due = await UserCoupon.filter(expires_at__lte=now, status__in=HELD).using_db(conn).values_list("id", "user_id")
        coupons = (
            await USER_COUPON_STATES.update(
                UserCoupon.filter(id__in=[i for i, _ in due], expires_at__lte=now).using_db(conn), "EXPIRE"
            )
            if due
            else 0
        )
        for coupon_id, user_id in due:
            emit(user_channel(user_id), CouponExpired(coupon_id))
    templates = await TEMPLATE_STATES.update(CouponTemplate.filter(valid_until__lte=now), "END")
    return coupons, templates


EXPIRING_BATCH = 1000


async def warn_expiring() -> int:
    """Tell each holder of an unused coupon (CLAIMED or RETURNED) that expires within
    `COUPON_EXPIRING_NOTICE_HOURS` (and has not yet) with a CouponExpiring event, once per
    coupon: one conditional UPDATE stamps `expiring_sent_at` where it is still empty and
    returns the coupons it stamped, so concurrent runs never tell twice. Returns how many."""
    now = clock.now()
    soon = now + timedelta(hours=settings.COUPON_EXPIRING_NOTICE_HOURS)
    sent = 0
    while True:
        due = await (
            UserCoupon.filter(status__in=HELD, expiring_sent_at__isnull=True, expires_at__gt=now, expires_at__lte=soon)
            .order_by("id")
            .limit(EXPIRING_BATCH)
            .values_list("id", flat=True)
        )
        if not due:
            return sent
        async with unit_of_work() as conn:
            marks = ", ".join("?" for _ in due)
            held = ", ".join(f"'{status}'" for status in HELD)
            rows = await conn.execute_query_dict(
                sql(
                    conn,
                    f"UPDATE user_coupon SET expiring_sent_at = ? WHERE id IN ({marks}) "
                    f"AND expiring_sent_at IS NULL AND status IN ({held}) RETURNING id, user_id",
                ),
                [now, *due],
            )
            for row in rows:
                emit(user_channel(row["user_id"]), CouponExpiring(row["id"]))
        sent += len(rows)
        if len(due) < EXPIRING_BATCH:
            return sent


# -- reads -------------------------------------------------------------------------------


async def rows_of(user_id: int, ids: Sequence[int]) -> dict[int, UserCoupon]:
    """The user's coupons with these ids (and their templates), by id."""
    if not ids:
        return {}
    return {row.id: row for row in await mine(user_id).filter(id__in=list(ids))}


def mine(user_id: int, status: str | None = None):
    query = UserCoupon.filter(user_id=user_id).select_related("template")
    return query.filter(status=status) if status else query


async def used_counts(template_ids: Sequence[int]) -> dict[int, int]:
    if not template_ids:
        return {}
    rows = (
        await UserCoupon.filter(template_id__in=list(template_ids), status=USED)
        .annotate(n=Count("id"))
        .group_by("template_id")
        .values_list("template_id", "n")
    )
    return dict(rows)


async def claimed_by(user_id: int, template_ids: Sequence[int]) -> dict[int, int]:
    if not template_ids:
        return {}
    rows = await CouponClaim.filter(user_id=user_id, template_id__in=list(template_ids)).values_list(
        "template_id", "claimed"
    )
    return dict(rows)
