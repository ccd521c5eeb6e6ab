"""Bargains (MKT-3, 砍价): activities with a start price, a floor price, a number of helps
needed and a time limit; a user starts a bargain, friends help it down to the floor.

Management: the platform (marketing.manage) or a merchant's marketing staff (merchant.marketing,
its own listed retail SKUs) create, update and list activities. Prices, helps and the time limit
change only while no bargain of the activity exists; the window and the status any time.

A bargain (`start`): its cut sequence is drawn at the start from a random seed
(services.marketing.bargain_cuts: each cut ≥ 1 fen, all summing exactly to start − floor) and
stored with the seed. Starting again while one's bargain of the activity is still open gives
that one back. It expires `time_limit_minutes` after its start, or at the activity's end if
sooner (a lazy check: every read and write compares with the clock; no job needed).

A help (`help_bargain`): one transaction that first locks the bargain's row (a no-op UPDATE: on
PostgreSQL the row lock, on SQLite the write lock), then checks under it: not one's own
bargain (BARGAIN_OWN), open (BARGAIN_CLOSED: expired, at the floor, bought, the activity
cancelled or over), not helped by this friend nor from a device / IP (BARGAIN_HELPER_MATCH)
already seen on this bargain, the starter's included (BARGAIN_HELPED_ALREADY: one device or IP
counts as one friend). The help takes the next cut (a new user, with no paid order yet,
BARGAIN_NEW_USER_CUTS of them), so concurrent helps take distinct positions and the price
never passes the floor.

Buying (`BARGAIN` in services.marketing.activities, wired by wiring.py): the starter's checkout
with a bargain `Ticket`; the grant's unit price is the current price (at any time while the
bargain is open or at its floor), from the SKU's normal stock. `hold` marks the bargain bought
by the checkout's payment with one conditional UPDATE (`payment_id IS NULL`): one purchase per
bargain (BARGAIN_BOUGHT). A cancelled unpaid order frees it again (its CANCELLED reaction).

Live: every change is announced on `bargain:{id}` (BargainChanged); the `bargain` subscription
shows it.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import settings
from models.accounts import User
from models.catalog import Sku
from models.marketing import Bargain, BargainActivity, BargainHelp
from models.orders import Order, OrderLine
from services.accounts.access import Grants
from services.catalog.product_states import LISTED
from services.core import clock
from services.core.errors import DomainError, ErrorCode
from services.core.events import emit, unit_of_work
from services.core.masking import mask_name
from services.core.sql import sql
from services.marketing import bargain_cuts as cuts_
from services.marketing.activities import Activity, Grant, Ticket
from services.marketing.coupon_templates import PLATFORM_PERMISSION, authorize
from services.marketing.events import BargainChanged

KIND = "BARGAIN"
ACTIVE = "ACTIVE"
CANCELLED = "CANCELLED"
STATUSES = (ACTIVE, CANCELLED)
# a bargain's shown state (computed)
OPEN, FLOOR, BOUGHT, EXPIRED = "OPEN", "FLOOR", "BOUGHT", "EXPIRED"
MAX_TIME_LIMIT_MINUTES = 7 * 24 * 60
MAX_ACTIVITY_DAYS = 366


def channel(bargain_id: int) -> str:
    return f"bargain:{bargain_id}"


# --------------------------------------------------------------------------- management


@dataclass(frozen=True)
class ActivityData:
    sku_id: int
    name: str
    start_price: int
    floor_price: int
    helps_needed: int
    time_limit_minutes: int
    starts_at: datetime
    ends_at: datetime


@dataclass(frozen=True)
class ActivityChanges:
    name: str | None = None
    start_price: int | None = None
    floor_price: int | None = None
    helps_needed: int | None = None
    time_limit_minutes: int | None = None
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    active: bool | None = None


def _check(
    name: str, start: int, floor: int, helps: int, minutes: int, starts: datetime, ends: datetime, list_price: int
):
    if not 1 <= len(name) <= 64:
        raise DomainError(ErrorCode.INVALID_INPUT, "A name of 1 to 64 characters.", "name")
    if not isinstance(start, int) or not 0 < start <= list_price:
        raise DomainError(ErrorCode.INVALID_PRICE, "A start price above 0 and at most the SKU's price.", "startPrice")
    if not isinstance(helps, int) or isinstance(helps, bool) or not 1 <= helps <= cuts_.MAX_HELPS:
        raise DomainError(ErrorCode.INVALID_INPUT, f"Helps needed is 1 to {cuts_.MAX_HELPS}.", "helpsNeeded")
    why = cuts_.check(start, floor, helps)
    if why is not None:
        raise DomainError(ErrorCode.INVALID_PRICE, f"The floor price: {why}.", "floorPrice")
    if not isinstance(minutes, int) or not 1 <= minutes <= MAX_TIME_LIMIT_MINUTES:
        raise DomainError(
            ErrorCode.INVALID_INPUT, f"A time limit of 1 to {MAX_TIME_LIMIT_MINUTES} minutes.", "timeLimitMinutes"
        )
    if not starts < ends or ends - starts > timedelta(days=MAX_ACTIVITY_DAYS) or ends <= clock.now():
        raise DomainError(
            ErrorCode.INVALID_DATE_RANGE, f"A window ending after now, at most {MAX_ACTIVITY_DAYS} days.", "endsAt"
        )


async def _sku_for(grants: Grants, sku_id: int) -> Sku:
    sku = await Sku.get_or_none(id=sku_id).select_related("product")
    if sku is None:
        raise DomainError(ErrorCode.NOT_FOUND, "No such SKU.", "skuId")
    if not grants.has(PLATFORM_PERMISSION):
        authorize(grants, sku.product.merchant_id)
    return sku


async def create_activity(grants: Grants, actor_id: int | None, data: ActivityData) -> BargainActivity:
    """FORBIDDEN, NOT_FOUND, PRODUCT_UNAVAILABLE, INVALID_PRICE, INVALID_INPUT, INVALID_DATE_RANGE;
    nothing written then."""
    sku = await _sku_for(grants, data.sku_id)
    if not sku.is_active or sku.product.status != LISTED or sku.product.zone not in ("NORMAL", "RETAIL"):
        raise DomainError(ErrorCode.PRODUCT_UNAVAILABLE, "Only listed retail goods are bargained for.", "skuId")
    name = (data.name or "").strip()
    _check(
        name,
        data.start_price,
        data.floor_price,
        data.helps_needed,
        data.time_limit_minutes,
        data.starts_at,
        data.ends_at,
        sku.price,
    )
    async with unit_of_work():
        return await BargainActivity.create(
            merchant_id=sku.product.merchant_id,
            product_id=sku.product_id,
            sku_id=sku.id,
            name=name,
            start_price=data.start_price,
            floor_price=data.floor_price,
            helps_needed=data.helps_needed,
            time_limit_minutes=data.time_limit_minutes,
            starts_at=data.starts_at,
            ends_at=data.ends_at,
            created_by_id=actor_id,
        )


async def update_activity(grants: Grants, activity_id: int, changes: ActivityChanges) -> BargainActivity:
    """As create; the prices, helps and time limit only while no bargain exists
    (INVALID_TRANSITION)."""
    row = await BargainActivity.get_or_none(id=activity_id)
    if row is None:
        raise DomainError(ErrorCode.NOT_FOUND, "No such bargain activity.", "id")
    sku = await _sku_for(grants, row.sku_id)
    terms = (changes.start_price, changes.floor_price, changes.helps_needed, changes.time_limit_minutes)
    if any(v is not None for v in terms) and await Bargain.exists(activity_id=row.id):
        raise DomainError(
            ErrorCode.INVALID_TRANSITION, "Bargains were started: the prices, helps and limit stay.", "id"
        )
    values = {
        "name": row.name if changes.name is None else changes.name.strip(),
        "start_price": row.start_price if changes.start_price is None else changes.start_price,
        "floor_price": row.floor_price if changes.floor_price is None else changes.floor_price,
        "helps_needed": row.helps_needed if changes.helps_needed is None else changes.helps_needed,
        "time_limit_minutes": row.time_limit_minutes
        if changes.time_limit_minutes is None
        else changes.time_limit_minutes,
        "starts_at": row.starts_at if changes.starts_at is None else changes.starts_at,
        "ends_at": row.ends_at if changes.ends_at is None else changes.ends_at,
    }
    if changes.active is not None:
        values["status"] = ACTIVE if changes.active else CANCELLED
    if values.get("status", row.status) == ACTIVE:
        _check(
            values["name"],
            values["start_price"],
            values["floor_price"],
            values["helps_needed"],
            values["time_limit_minutes"],
            values["starts_at"],
            values["ends_at"],
            sku.price,
        )
    async with unit_of_work() as conn:
        await BargainActivity.filter(id=row.id).using_db(conn).update(**values)
    return await BargainActivity.get(id=row.id)


async def managed_activities(grants: Grants) -> list[BargainActivity]:
    """Every activity for the platform; a merchant's marketing staff see their merchants' own; anyone else none."""
    query = BargainActivity.all()
    if not grants.has(PLATFORM_PERMISSION):
        mine = grants.merchant_ids("merchant.marketing")
        if not mine:
            return []  # nothing to manage
        query = query.filter(merchant_id__in=mine)
    return list(await query.order_by("-id").limit(200))


async def live_activities() -> list[BargainActivity]:
    """The storefront's: active, started and not over, newest first."""
    now = clock.now()
    return list(
        await BargainActivity.filter(status=ACTIVE, starts_at__lte=now, ends_at__gt=now).order_by("-id").limit(200)
    )


async def get_activity(activity_id: int) -> BargainActivity | None:
    return await BargainActivity.get_or_none(id=activity_id)


# --------------------------------------------------------------------------- bargains


def state_of(bargain: Bargain, activity: BargainActivity, now: datetime) -> str:
    if bargain.payment_id is not None:
        return BOUGHT
    if now >= bargain.expires_at or activity.status == CANCELLED:
        return EXPIRED
    if bargain.taken >= len(bargain.cuts):
        return FLOOR
    return OPEN


@dataclass(frozen=True)
class HelpView:
    help: BargainHelp
    helper: str  # masked nickname


@dataclass(frozen=True)
class BargainView:
    bargain: Bargain
    activity: BargainActivity
    helps: list[HelpView]
    state: str
    now: datetime

    @property
    def left(self) -> int:
        return len(self.bargain.cuts) - self.bargain.taken


def _event(bargain: Bargain, activity: BargainActivity) -> BargainChanged:
    return BargainChanged(
        bargain.id,
        bargain.price,
        bargain.taken,
        len(bargain.cuts) - bargain.taken,
        state_of(bargain, activity, clock.now()),
    )


async def view(bargain_id: int) -> BargainView | None:
    bargain = await Bargain.get_or_none(id=bargain_id).select_related("activity")
    if bargain is None:
        return None
    helps = list(await BargainHelp.filter(bargain_id=bargain_id).order_by("position"))
    names = dict(await User.filter(id__in=[h.helper_id for h in helps]).values_list("id", "nickname")) if helps else {}
    now = clock.now()
    return BargainView(
        bargain,
        bargain.activity,
        [HelpView(h, mask_name(names.get(h.helper_id) or "")) for h in helps],
        state_of(bargain, bargain.activity, now),
        now,
    )


async def start(user_id: int, activity_id: int, device_id: str = "", ip: str = "") -> Bargain:
    """The user's bargain of the activity: their open one, or a new one with its cut sequence
    drawn now. NOT_FOUND, BARGAIN_CLOSED (the activity not started, over or cancelled)."""
    now = clock.now()
    async with unit_of_work() as conn:
        activity = await BargainActivity.get_or_none(id=activity_id).using_db(conn)
        if activity is None:
            raise DomainError(ErrorCode.NOT_FOUND, "No such bargain activity.", "activityId")
        if activity.status != ACTIVE or not activity.starts_at <= now < activity.ends_at:
            raise DomainError(ErrorCode.BARGAIN_CLOSED, "The bargain activity is not on now.", "activityId")
        await _lock(conn, "bargain_activity", activity.id)  # one user's two starts at once make one bargain
        mine = (
            await Bargain.filter(activity_id=activity.id, user_id=user_id, expires_at__gt=now, payment_id=None)
            .using_db(conn)
            .order_by("-id")
            .first()
        )
        if mine is not None:
            return mine
        seed = secrets.token_hex(16)
        sequence = cuts_.cut_sequence(
            cuts_.CutPlan(activity.start_price, activity.floor_price, activity.helps_needed, seed)
        )
        return await Bargain.create(
            activity_id=activity.id,
            user_id=user_id,
            seed=seed,
            cuts=sequence,
            price=activity.start_price,
            expires_at=min(now + timedelta(minutes=activity.time_limit_minutes), activity.ends_at),
            device_id=(device_id or "")[:128],
            ip=(ip or "")[:64],
            using_db=conn,
        )


async def _lock(conn, table: str, row_id: int) -> None:
    """The row's write lock until the commit (PostgreSQL: its row lock; SQLite: the database's)."""
    await conn.execute_query(sql(conn, f"UPDATE {table} SET id = id WHERE id = ?"), [row_id])


def _matching(device_id: str, ip: str) -> list[tuple[str, str]]:
    wanted = {m.strip().upper() for m in settings.BARGAIN_HELPER_MATCH.split(",")}
    found = []
    if "DEVICE" in wanted and device_id:
        found.append(("device_id", device_id))
    if "IP" in wanted and ip:
        found.append(("ip", ip))
    return found


async def _is_new_user(user_id: int, conn) -> bool:
    return not await Order.filter(buyer_id=user_id, paid_at__isnull=False).using_db(conn).exists()


async def help_bargain(
    helper_id: int, bargain_id: int, device_id: str = "", ip: str = ""
) -> tuple[BargainHelp, Bargain]:
    """A friend's help (module docstring): NOT_FOUND, BARGAIN_OWN, BARGAIN_CLOSED,
    BARGAIN_HELPED_ALREADY; nothing changed then."""
    device_id, ip = (device_id or "").strip()[:128], (ip or "").strip()[:64]
    async with unit_of_work() as conn:
        if not await Bargain.filter(id=bargain_id).using_db(conn).exists():
            raise DomainError(ErrorCode.NOT_FOUND, "No such bargain.", "bargainId")
        await _lock(conn, "bargain", bargain_id)
        bargain = await Bargain.get(id=bargain_id).using_db(conn).select_related("activity")
        activity = bargain.activity
        if bargain.user_id == helper_id:
            raise DomainError(ErrorCode.BARGAIN_OWN, "Friends help a bargain; its starter buys it.", "bargainId")
        if state_of(bargain, activity, clock.now()) != OPEN or clock.now() >= activity.ends_at:
            raise DomainError(ErrorCode.BARGAIN_CLOSED, "This bargain takes no more help.", "bargainId")
        if await BargainHelp.filter(bargain_id=bargain_id, helper_id=helper_id).using_db(conn).exists():
            raise DomainError(ErrorCode.BARGAIN_HELPED_ALREADY, "You have helped this bargain.", "bargainId")
        for column, value in _matching(device_id, ip):
            if (
                getattr(bargain, column) == value
                or await BargainHelp.filter(bargain_id=bargain_id, **{column: value}).using_db(conn).exists()
            ):
                raise DomainError(
                    ErrorCode.BARGAIN_HELPED_ALREADY, "This device or network has helped this bargain.", "bargainId"
                )
        new_user = await _is_new_user(helper_id, conn)
        cut = cuts_.take(bargain.cuts, bargain.taken, new_user, settings.BARGAIN_NEW_USER_CUTS)
        row = await BargainHelp.create(
            bargain_id=bargain_id,
            helper_id=helper_id,
            position=cut.first,
            count=cut.count,
            amount=cut.amount,
            new_user=new_user,
            device_id=device_id,
            ip=ip,
            using_db=conn,
        )
        bargain.taken += cut.count
        bargain.price = cuts_.price_after(activity.start_price, bargain.cuts, bargain.taken)
        await Bargain.filter(id=bargain_id).using_db(conn).update(taken=bargain.taken, price=bargain.price)
        emit(channel(bargain_id), _event(bargain, activity))
    return row, bargain


# --------------------------------------------------------------------------- the checkout's steps


async def _grant(buyer_id: int, ticket: Ticket) -> Grant:
    """The starter's bargain, open or at its floor, not held by a checkout: one unit at its
    current price, from the SKU's stock."""
    if ticket.quantity != 1:
        raise DomainError(ErrorCode.INVALID_QUANTITY, "A bargain buys one unit.", "quantity")
    bargain = await Bargain.get_or_none(id=ticket.activity_id, user_id=buyer_id).select_related("activity")
    if bargain is None or (ticket.sku_id and bargain.activity.sku_id != ticket.sku_id):
        raise DomainError(ErrorCode.NOT_FOUND, "No such bargain of yours.", "bargainId")
    state = state_of(bargain, bargain.activity, clock.now())
    if state == BOUGHT:
        raise DomainError(ErrorCode.BARGAIN_BOUGHT, "This bargain is bought already.", "bargainId")
    if state == EXPIRED:
        raise DomainError(ErrorCode.BARGAIN_CLOSED, "This bargain has expired.", "bargainId")
    return Grant(KIND, bargain.id, bargain.activity.sku_id, 1, bargain.price, own_stock=False)


async def _hold(conn, buyer_id: int, grant: Grant, payment_id: int) -> None:
    """In the checkout's transaction: the bargain is this payment's, if no other's (one
    conditional UPDATE: two checkouts at once, one wins)."""
    taken = (
        await Bargain.filter(id=grant.activity_id, user_id=buyer_id, payment_id=None)
        .using_db(conn)
        .update(payment_id=payment_id, bought_price=grant.unit_price)
    )
    if taken != 1:
        raise DomainError(ErrorCode.BARGAIN_BOUGHT, "This bargain is bought already.", "bargainId")
    bargain = await Bargain.get(id=grant.activity_id).using_db(conn).select_related("activity")
    emit(channel(bargain.id), _event(bargain, bargain.activity))


ACTIVITY = Activity(grant=_grant, hold=_hold)


async def on_order_cancelled(order, conn) -> None:
    """CANCELLED reaction: a bargain bought by the cancelled (unpaid) order is free again."""
    rows = await Bargain.filter(payment_id=order.payment_id).using_db(conn).select_related("activity")
    for bargain in rows:
        if bargain.activity.merchant_id != order.merchant_id:
            continue
        freed = (
            await Bargain.filter(id=bargain.id, payment_id=order.payment_id)
            .using_db(conn)
            .update(payment_id=None, bought_price=None)
        )
        if freed == 1:
            bargain.payment_id, bargain.bought_price = None, None
            emit(channel(bargain.id), _event(bargain, bargain.activity))


# --------------------------------------------------------------------------- statistics


@dataclass(frozen=True)
class ActivityStats:
    activity: BargainActivity
    attempts: int  # bargains started
    helps: int
    completed: int  # bargains that reached the floor
    bought: int  # bargains held by a checkout (unpaid or paid)
    paid: int  # bargains whose order is paid
    gmv: int  # fen paid for the bargain lines
    discount_cost: int  # fen below the SKU's price on the paid lines


async def activity_stats(grants: Grants, activity_id: int) -> ActivityStats:
    """The platform sees any activity, a merchant's marketing staff its own (FORBIDDEN)."""
    activity = await BargainActivity.get_or_none(id=activity_id).select_related("sku")
    if activity is None:
        raise DomainError(ErrorCode.NOT_FOUND, "No such bargain activity.", "id")
    if not grants.has(PLATFORM_PERMISSION):
        authorize(grants, activity.merchant_id)
    rows = await Bargain.filter(activity_id=activity_id).values_list("id", "taken", "payment_id", "bought_price")
    ids = [r[0] for r in rows]
    helps = await BargainHelp.filter(bargain_id__in=ids).count() if ids else 0
    paid = (
        await OrderLine.filter(activity_kind=KIND, activity_id__in=ids, order__paid_at__isnull=False).values_list(
            "activity_id", "amount"
        )
        if ids
        else []
    )
    price_of = {r[0]: r[3] for r in rows}
    paid_ids = {b for b, _ in paid}
    return ActivityStats(
        activity=activity,
        attempts=len(rows),
        helps=helps,
        completed=sum(1 for r in rows if r[1] >= activity.helps_needed),
        bought=sum(1 for r in rows if r[2] is not None),
        paid=len(paid_ids),
        gmv=sum(int(a) for _, a in paid),
        discount_cost=sum(activity.sku.price - int(price_of[b] or 0) for b in paid_ids),
    )
