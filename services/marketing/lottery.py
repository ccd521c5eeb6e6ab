"""The points lottery (MKT-4, seed 积分抽奖专区: 设置积分抽奖活动，活动奖品设置，每次抽奖消耗积分多少设置).

An activity has a cost in points per draw, a schedule [starts_at, ends_at), a per-user daily
limit (per business day) and its prizes — POINTS or COINS (an amount credited from the
platform's PROMOTION_EXPENSE), COUPON (one coupon of an ACTIVE platform template), or
NOTHING — each with a probability (parts per million, summing to at most 1,000,000) and a
stock. Prizes, probabilities and stock are fixed when the activity is created, together with
its seed, whose sha256 is published at once (`seedHash`); the seed is shown once the
activity has closed. The draw function, and what happens when a prize is out of stock, are
`services.marketing.lottery_fair`'s (documented there and in docs/marketing.md).

A draw is one transaction: the user's draw count (their sequence number, under the entrant
row's lock; past the daily limit LOTTERY_DAILY_LIMIT), the points taken (INSUFFICIENT_POINTS),
the prize's stock (`UPDATE ... SET awarded = awarded + 1 WHERE awarded < stock`: never
over-awarded under concurrency), the draw row and the prize credited; any refusal rolls all of
it back. A win is announced on the activity's live channel after the commit.

Not here: a product shipped as a prize (it would need an order made by the lottery: the
prize table refuses the PRODUCT kind).
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from tortoise.exceptions import IntegrityError

from models.marketing import CouponTemplate, LotteryActivity, LotteryDraw, LotteryEntrant, LotteryPrize
from services.accounts.access import Grants
from services.core import business_days, clock
from services.core.errors import DomainError, ErrorCode
from services.core.events import emit, unit_of_work
from services.core.masking import mask_name
from services.core.sql import sql
from services.ledger.ledger import Purpose
from services.marketing import coupons, lottery_fair
from services.marketing.coins import COIN, from_budget
from services.marketing.coupon_templates import PLATFORM_PERMISSION
from services.marketing.events import LotteryWon
from services.marketing.lottery_fair import NOTHING

POINT = "POINT"
POINTS, COINS, COUPON = "POINTS", "COINS", "COUPON"
PRIZE_KINDS = (POINTS, COINS, COUPON, NOTHING)
MAX_PRIZES = 20
MAX_DAILY_LIMIT = 1_000
MAX_AMOUNT = 10**9


def channel(activity_id: int) -> str:
    """The live feed of an activity's wins."""
    return f"lottery:{activity_id}"


@dataclass(frozen=True)
class PrizeData:
    name: str
    kind: str
    probability_ppm: int
    amount: int = 0  # POINTS: points; COINS: coins
    coupon_template_id: int | None = None
    stock: int = 0


@dataclass(frozen=True)
class ActivityData:
    name: str
    cost_points: int
    starts_at: datetime
    ends_at: datetime
    daily_limit: int
    prizes: Sequence[PrizeData] = field(default_factory=tuple)


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _authorize(grants: Grants) -> None:
    if not grants.has(PLATFORM_PERMISSION):
        raise DomainError(ErrorCode.FORBIDDEN, f"This needs the {PLATFORM_PERMISSION} permission.")


async def _check(data: ActivityData) -> None:
    bad = ErrorCode.INVALID_INPUT
    if not 1 <= len(data.name.strip()) <= 64:
        raise DomainError(bad, "A name of 1 to 64 characters.", "name")
    if not _is_int(data.cost_points) or not 0 <= data.cost_points <= MAX_AMOUNT:
        raise DomainError(ErrorCode.INVALID_AMOUNT, "A cost of 0 points or more.", "costPoints")
    if data.ends_at <= data.starts_at or data.ends_at <= clock.now():
        raise DomainError(ErrorCode.INVALID_DATE_RANGE, "The lottery ends after it starts, in the future.", "endsAt")
    if not _is_int(data.daily_limit) or not 1 <= data.daily_limit <= MAX_DAILY_LIMIT:
        raise DomainError(bad, f"A daily limit of 1 to {MAX_DAILY_LIMIT} draws.", "dailyLimit")
    if not 1 <= len(data.prizes) <= MAX_PRIZES:
        raise DomainError(bad, f"1 to {MAX_PRIZES} prizes.", "prizes")
    for i, prize in enumerate(data.prizes):
        at = f"prizes[{i}]"
        if prize.kind not in PRIZE_KINDS:
            raise DomainError(bad, "A prize is POINTS, COINS, COUPON or NOTHING (no products yet).", f"{at}.kind")
        if not 1 <= len(prize.name.strip()) <= 64:
            raise DomainError(bad, "A prize name of 1 to 64 characters.", f"{at}.name")
        if not _is_int(prize.stock) or not 0 <= prize.stock <= MAX_AMOUNT:
            raise DomainError(ErrorCode.INVALID_STOCK, "A stock of 0 or more.", f"{at}.stock")
        if prize.kind in (POINTS, COINS) and (not _is_int(prize.amount) or not 1 <= prize.amount <= MAX_AMOUNT):
            raise DomainError(ErrorCode.INVALID_AMOUNT, "A points or coins prize needs an amount.", f"{at}.amount")
        if prize.kind == COUPON:
            template = await CouponTemplate.get_or_none(id=prize.coupon_template_id or 0)
            if template is None or template.merchant_id is not None:
                raise DomainError(ErrorCode.NOT_FOUND, "No such platform coupon template.", f"{at}.couponTemplateId")
    lottery_fair.check_probabilities([p.probability_ppm for p in data.prizes])


async def create_activity(grants: Grants, actor_id: int | None, data: ActivityData) -> LotteryActivity:
    """A new activity with its prizes and its committed seed (admins with marketing.manage).
    Refuses FORBIDDEN, INVALID_INPUT, INVALID_AMOUNT, INVALID_STOCK, INVALID_DATE_RANGE,
    INVALID_RATE, PROBABILITIES_EXCEED_ONE, NOT_FOUND; nothing is created then."""
    _authorize(grants)
    await _check(data)
    seed = secrets.token_hex(32)
    async with unit_of_work() as conn:
        activity = await LotteryActivity.create(
            name=data.name.strip(),
            cost_points=data.cost_points,
            starts_at=data.starts_at,
            ends_at=data.ends_at,
            daily_limit=data.daily_limit,
            seed=seed,
            seed_hash=lottery_fair.commitment(seed),
            created_by=actor_id,
            using_db=conn,
        )
        await LotteryPrize.bulk_create(
            [
                LotteryPrize(
                    activity_id=activity.id,
                    position=i,
                    name=p.name.strip(),
                    kind=p.kind,
                    amount=p.amount if p.kind in (POINTS, COINS) else 0,
                    coupon_template_id=p.coupon_template_id if p.kind == COUPON else None,
                    probability_ppm=p.probability_ppm,
                    stock=0 if p.kind == NOTHING else p.stock,
                )
                for i, p in enumerate(data.prizes)
            ],
            using_db=conn,
        )
    return activity


async def end_activity(grants: Grants, activity_id: int) -> LotteryActivity:
    """Close an activity now (its seed is revealed). INVALID_TRANSITION if it has closed."""
    _authorize(grants)
    activity = await get(activity_id)
    now = clock.now()
    if activity.ends_at <= now:
        raise DomainError(ErrorCode.INVALID_TRANSITION, "This lottery has closed already.", "id")
    changes = {"ends_at": now} | ({"starts_at": now} if activity.starts_at > now else {})
    await LotteryActivity.filter(id=activity.id).update(**changes)
    return await get(activity_id)


async def get(activity_id: int) -> LotteryActivity:
    activity = await LotteryActivity.get_or_none(id=activity_id)
    if activity is None:
        raise DomainError(ErrorCode.NOT_FOUND, "No such lottery.", "activityId")
    return activity


def revealed_seed(activity: LotteryActivity) -> str | None:
    return activity.seed if activity.ends_at <= clock.now() else None


def activities():
    return LotteryActivity.all().order_by("-id")


async def prizes_of(activity_id: int) -> list[LotteryPrize]:
    return await LotteryPrize.filter(activity_id=activity_id).order_by("position")


def specs(prizes: Sequence[LotteryPrize]) -> list[lottery_fair.PrizeSpec]:
    return [lottery_fair.PrizeSpec(p.position, p.kind, p.probability_ppm, p.stock) for p in prizes]


# --------------------------------------------------------------------------- drawing


async def _next_sequence(activity: LotteryActivity, user_id: int, conn) -> int:
    """The user's next sequence number, today's count raised, under the entrant row's lock."""
    today = business_days.today()
    for _ in range(2):
        entrant = (
            await LotteryEntrant.filter(activity_id=activity.id, user_id=user_id)
            .select_for_update()
            .using_db(conn)
            .first()
        )
        if entrant is None:
            try:
                async with unit_of_work() as savepoint:  # a concurrent first draw of the user may win
                    await LotteryEntrant.create(
                        activity_id=activity.id, user_id=user_id, draws=1, day=today, day_draws=1, using_db=savepoint
                    )
                return 1
            except IntegrityError:
                continue
        day_draws = entrant.day_draws if entrant.day == today else 0
        if day_draws >= activity.daily_limit:
            raise DomainError(
                ErrorCode.LOTTERY_DAILY_LIMIT, f"At most {activity.daily_limit} draws a day.", "activityId"
            )
        await (
            LotteryEntrant.filter(id=entrant.id)
            .using_db(conn)
            .update(draws=entrant.draws + 1, day=today, day_draws=day_draws + 1)
        )
        return entrant.draws + 1
    raise DomainError(ErrorCode.INVALID_TRANSITION, "Try again.", "activityId")  # pragma: no cover


_TAKE_STOCK = "UPDATE lottery_prize SET awarded = awarded + 1 WHERE id = ? AND awarded < stock RETURNING id"


async def draw(user_id: int, activity_id: int) -> LotteryDraw:
    """One draw for `user_id`. Refuses NOT_FOUND, LOTTERY_NOT_OPEN (before it opens, once it
    has closed), LOTTERY_DAILY_LIMIT, INSUFFICIENT_POINTS: nothing changes then."""
    activity = await get(activity_id)
    now = clock.now()
    if not activity.starts_at <= now < activity.ends_at:
        raise DomainError(ErrorCode.LOTTERY_NOT_OPEN, "This lottery is not open now.", "activityId")
    prizes = await prizes_of(activity.id)
    table = specs(prizes)
    async with unit_of_work() as conn:
        sequence = await _next_sequence(activity, user_id, conn)
        if activity.cost_points:
            try:
                await from_budget(
                    "LOTTERY_DRAW",
                    user_id,
                    -activity.cost_points,
                    f"lottery:draw:{activity.id}:{user_id}:{sequence}",
                    ("LOTTERY", str(activity.id)),
                    conn,
                    purpose=Purpose.POINTS,
                    currency=POINT,
                )
            except DomainError as exc:
                if exc.code != ErrorCode.INSUFFICIENT_FUNDS:
                    raise
                raise DomainError(
                    ErrorCode.INSUFFICIENT_POINTS, f"A draw costs {activity.cost_points} points.", "activityId"
                ) from exc
        roll = lottery_fair.roll(activity.seed, activity.id, user_id, sequence)
        drawn = lottery_fair.pick(roll, [p.probability_ppm for p in table])
        won: LotteryPrize | None = None
        fell_back = False
        if drawn is not None and prizes[drawn].kind != NOTHING:
            if await conn.execute_query_dict(sql(conn, _TAKE_STOCK), [prizes[drawn].id]):
                won = prizes[drawn]
            else:
                fell_back = True  # out of stock: nothing (lottery_fair.outcome)
        row = await LotteryDraw.create(
            activity_id=activity.id,
            user_id=user_id,
            sequence=sequence,
            roll=roll,
            drawn_position=drawn,
            prize_id=won.id if won else None,
            fell_back=fell_back,
            cost_points=activity.cost_points,
            using_db=conn,
        )
        if won is not None:
            await _credit(won, user_id, row, conn)
            emit(channel(activity.id), LotteryWon(row.id))
    row.prize = won
    return row


async def _credit(prize: LotteryPrize, user_id: int, row: LotteryDraw, conn) -> None:
    reference = ("LOTTERY_DRAW", str(row.id))
    if prize.kind == POINTS:
        key = f"lottery:prize:{row.id}"
        await from_budget(
            "LOTTERY_PRIZE", user_id, prize.amount, key, reference, conn, purpose=Purpose.POINTS, currency=POINT
        )
    elif prize.kind == COINS:
        key = f"lottery:prize:{row.id}"
        await from_budget("LOTTERY_PRIZE", user_id, prize.amount, key, reference, conn, currency=COIN)
    elif prize.kind == COUPON:
        coupon = await coupons.grant_in(prize.coupon_template_id, user_id, conn)
        await LotteryDraw.filter(id=row.id).using_db(conn).update(user_coupon_id=coupon.id)
        row.user_coupon_id = coupon.id


# --------------------------------------------------------------------------- reading


def my_draws(user_id: int, activity_id: int | None = None):
    query = LotteryDraw.filter(user_id=user_id)
    if activity_id is not None:
        query = query.filter(activity_id=activity_id)
    return query.select_related("prize").order_by("-id")


@dataclass(frozen=True)
class Win:
    draw: LotteryDraw
    winner: str  # the nickname, masked


async def recent_wins(activity_id: int, limit: int = 20) -> list[Win]:
    rows = (
        await LotteryDraw.filter(activity_id=activity_id, prize_id__isnull=False)
        .select_related("prize", "user")
        .order_by("-id")
        .limit(limit)
    )
    return [Win(r, mask_name(r.user.nickname or "")) for r in rows]


async def win(draw_id: int) -> Win | None:
    row = await LotteryDraw.filter(id=draw_id, prize_id__isnull=False).select_related("prize", "user").first()
    return None if row is None else Win(row, mask_name(row.user.nickname or ""))


async def audit(activity_id: int) -> list[str]:
    """Verify every draw of a closed activity from its revealed seed (tools/verify_lottery.py):
    the problems found, empty when every recorded outcome is the published function's."""
    activity = await get(activity_id)
    if revealed_seed(activity) is None:
        raise DomainError(ErrorCode.LOTTERY_NOT_OPEN, "The seed is revealed once the lottery has closed.", "activityId")
    prizes = await prizes_of(activity.id)
    positions = {p.id: p.position for p in prizes}
    draws = [
        lottery_fair.DrawRecord(
            d.id, d.user_id, d.sequence, d.roll, d.drawn_position, positions.get(d.prize_id), d.fell_back
        )
        for d in await LotteryDraw.filter(activity_id=activity.id).order_by("id")
    ]
    return lottery_fair.verify(activity.seed, activity.seed_hash, activity.id, specs(prizes), draws)
