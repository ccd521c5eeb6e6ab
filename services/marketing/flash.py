"""Flash sales (MKT-3, 秒杀): sessions in daily time slots, items with a flash price, a flash
stock apart from the SKU's and a per-user limit; admission before the database.

Management: the platform (marketing.manage) creates and cancels sessions (`create_session`:
a business day, a slot "HH:MM" in the business time zone, a length); the platform or a
merchant's marketing staff (merchant.marketing, its own SKUs) add items before the session
ends and remove them while nothing is sold.

Buying (`FLASH` in services.marketing.activities, wired by wiring.py): a checkout whose request
carries a flash `Ticket` goes through
1. `admit`, before any database statement: with Redis (REDIS_URL) one Lua script
   (flash_rules.TAKE_SCRIPT) checks the window, the buyer's limit and a unit left and takes it.
   Losers are answered FLASH_NOT_STARTED / FLASH_ENDED / LIMIT_REACHED / SOLD_OUT there and
   then. Counters missing (first use, a Redis restart) are loaded from the database (`load`),
   which is the truth. Redis unreachable: the database decides alone.
2. `grant`: the item read, its window checked, its price handed to the pricing pipeline;
3. `hold`, inside the checkout's transaction: `sold + n <= stock` as one conditional UPDATE,
   the buyer's held units counted after it (the row lock serialises one item's buyers), a
   `FlashClaim` row. Without Redis these are the whole rule; with it, the final guard.
A checkout that fails after admission gives the Redis unit back (or reloads the counters when
the database said sold out). An unpaid order cancelled (the buyer, the payment time-out) gives
its units back to the item, and after the commit to Redis: they are sold again.

Live: every change of an item's units is announced on `flash:{item id}` with what is left;
the subscription throttles it (FLASH_STOCK_UPDATES_PER_SECOND).
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from redis import asyncio as aioredis
from redis.exceptions import RedisError
from tortoise.expressions import F
from tortoise.functions import Count, Sum

import settings
from models.catalog import Sku
from models.marketing import FlashClaim, FlashItem, FlashSession
from models.orders import OrderLine
from services.accounts.access import Grants
from services.catalog.product_states import LISTED
from services.core import business_days, clock
from services.core.errors import DomainError, ErrorCode
from services.core.events import after_commit, emit, public_data_changed, unit_of_work
from services.core.sql import add_per_row
from services.marketing import flash_rules as rules
from services.marketing.activities import Activity, Grant, Ticket
from services.marketing.coupon_templates import PLATFORM_PERMISSION, authorize
from services.marketing.events import FlashStockChanged

log = logging.getLogger(__name__)

KIND = "FLASH"
ACTIVE = "ACTIVE"
CANCELLED = "CANCELLED"
HELD = "HELD"
RELEASED = "RELEASED"
KEY_TTL_SECONDS = 2 * 24 * 3600  # past any session's end: the counters go by themselves
MAX_DAYS_AHEAD = 366  # flashSessions looks at most this far ahead
STATUSES = (ACTIVE, CANCELLED, HELD, RELEASED)  # a session's (the first two), a claim's (the others)


def channel(item_id: int) -> str:
    return f"flash:{item_id}"


# --------------------------------------------------------------------------- Redis


class _Gate:
    """The admission scripts on Redis, with a client per event loop."""

    def __init__(self, url: str, prefix: str) -> None:
        self.url, self.prefix = url, prefix
        self._client: aioredis.Redis | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._scripts: dict[str, object] = {}

    @property
    def client(self) -> aioredis.Redis:
        loop = asyncio.get_running_loop()
        if self._client is None or self._loop is not loop:
            # A bounded pool that makes a burst wait for a connection (not fail: "Too many connections").
            pool = aioredis.BlockingConnectionPool.from_url(
                self.url, max_connections=64, timeout=2, socket_timeout=2, socket_connect_timeout=2
            )
            self._client = aioredis.Redis(connection_pool=pool)
            self._loop = loop
            self._scripts = {
                name: self._client.register_script(text)
                for name, text in (
                    ("take", rules.TAKE_SCRIPT),
                    ("give", rules.GIVE_SCRIPT),
                    ("load", rules.LOAD_SCRIPT),
                )
            }
        return self._client

    def keys(self, item_id: int) -> list[str]:
        base = f"{self.prefix}flash:{item_id}"
        return [base, base + ":u", base + ":n"]

    async def run(self, name: str, item_id: int, args: list) -> int:
        self.client  # noqa: B018 (made in this loop)
        keys = self.keys(item_id)
        return int(await self._scripts[name](keys=keys if name == "take" else keys[:2], args=args))

    async def left(self, item_id: int) -> int | None:
        value = await self.client.hget(self.keys(item_id)[0], "left")
        return None if value is None else int(value)

    async def attempts(self, item_id: int) -> int:
        return int(await self.client.get(self.keys(item_id)[2]) or 0)


_gate: _Gate | None = None


def gate() -> _Gate | None:
    """The Redis gate when REDIS_URL is set (None: the database decides alone)."""
    global _gate
    url = settings.REDIS_URL
    if not url:
        return None
    if _gate is None or _gate.url != url or _gate.prefix != settings.BROADCAST_CHANNEL_PREFIX:
        _gate = _Gate(url, settings.BROADCAST_CHANNEL_PREFIX)
    return _gate


async def load(item_id: int) -> int | None:
    """Put the item's counters on Redis from the database (the truth): units left, window,
    limit, each buyer's held units. None: no such item (or no Redis)."""
    g = gate()
    if g is None:
        return None
    item = await FlashItem.get_or_none(id=item_id).select_related("session")
    if item is None:
        return None
    rows = (
        await FlashClaim.filter(item_id=item_id, status=HELD)
        .annotate(q=Sum("quantity"))
        .group_by("user_id")
        .values_list("user_id", "q")
    )
    session = item.session
    ends = session.starts_at if session.status == CANCELLED else session.ends_at
    args: list = [item.stock - item.sold, rules.to_ms(session.starts_at), rules.to_ms(ends), item.per_user_limit]
    args.append(KEY_TTL_SECONDS)
    for user_id, quantity in rows:
        args += [user_id, int(quantity or 0)]
    return await g.run("load", item_id, args)


async def _admit(buyer_id: int, ticket: Ticket) -> bool:
    """Step 1 (module docstring). True: a unit was taken on Redis (give it back if the checkout
    fails); False: no Redis, the database decides. Refusals raise, without a database statement
    once the counters are loaded."""
    g = gate()
    _check_quantity(ticket.quantity)
    if g is None:
        await FlashItem.filter(id=ticket.activity_id).update(attempts=F("attempts") + 1)
        return False
    args = [rules.to_ms(clock.now()), buyer_id, ticket.quantity]
    try:
        answer = await g.run("take", ticket.activity_id, args)
        if answer == -1:  # not loaded: first use, or Redis restarted
            if await load(ticket.activity_id) is None:
                raise DomainError(ErrorCode.NOT_FOUND, "No such flash item.", "flashItemId")
            answer = await g.run("take", ticket.activity_id, args)
    except (RedisError, OSError) as exc:
        log.warning("flash admission: Redis failed (%s); the database decides", exc)
        return False
    if answer < 0:
        raise rules.refusal(rules.SCRIPT_CODES[answer])
    return True


async def _give_back(buyer_id: int, ticket: Ticket) -> None:
    g = gate()
    if g is None:
        return
    try:
        await g.run("give", ticket.activity_id, [buyer_id, ticket.quantity])
    except (RedisError, OSError) as exc:
        log.warning("flash: giving a unit back to Redis failed (%s); reloading later", exc)


async def _undo(buyer_id: int, ticket: Ticket, error: BaseException | None) -> None:
    """A checkout admitted on Redis failed: give the unit back, or, when the database itself
    said SOLD_OUT / LIMIT_REACHED (Redis was behind), reload the counters from it."""
    if isinstance(error, DomainError) and error.code in (ErrorCode.SOLD_OUT, ErrorCode.LIMIT_REACHED):
        try:
            await load(ticket.activity_id)
        except (RedisError, OSError) as exc:
            log.warning("flash: reloading counters failed (%s)", exc)
        return
    await _give_back(buyer_id, ticket)


# --------------------------------------------------------------------------- the checkout's steps


def _check_quantity(quantity) -> None:
    if not isinstance(quantity, int) or isinstance(quantity, bool) or not 1 <= quantity <= rules.MAX_PER_USER:
        raise DomainError(ErrorCode.INVALID_QUANTITY, "Quantities are whole numbers of at least 1.", "quantity")


async def _grant(buyer_id: int, ticket: Ticket) -> Grant:
    """Step 2: the item exists for that SKU, its session is open (the database's view of
    what is left refuses early; `_hold` decides)."""
    _check_quantity(ticket.quantity)
    item = await FlashItem.get_or_none(id=ticket.activity_id).select_related("session")
    if item is None or (ticket.sku_id and item.sku_id != ticket.sku_id):
        raise DomainError(ErrorCode.NOT_FOUND, "No such flash item.", "flashItemId")
    s = item.session
    answer = rules.admit(
        rules.Counters(
            rules.to_ms(s.starts_at),
            rules.to_ms(s.starts_at if s.status == CANCELLED else s.ends_at),
            item.stock - item.sold,
            item.per_user_limit,
        ),
        rules.to_ms(clock.now()),
        0,  # the buyer's units are counted under the row lock (`_hold`)
        ticket.quantity,
    )
    if answer != rules.ADMITTED:
        raise rules.refusal(answer)
    return Grant(KIND, item.id, item.sku_id, ticket.quantity, item.flash_price, own_stock=True)


async def _hold(conn, buyer_id: int, grant: Grant, payment_id: int) -> None:
    """Step 3, in the checkout's transaction: take the units (never past the flash stock),
    then count the buyer's under the item's row lock (never past the limit)."""
    rows = await add_per_row(
        conn,
        "flash_item",
        "sold",
        {grant.activity_id: grant.quantity},
        condition="sold + {amount} <= stock",
        returning="id, sold, stock, per_user_limit",
    )
    if not rows:
        raise rules.refusal(rules.GONE)
    row = rows[0]
    held = await _held_by(conn, grant.activity_id, buyer_id)
    if held + grant.quantity > int(row["per_user_limit"]):
        raise rules.refusal(rules.LIMIT)
    await FlashClaim.create(
        item_id=grant.activity_id, user_id=buyer_id, payment_id=payment_id, quantity=grant.quantity, using_db=conn
    )
    left = int(row["stock"]) - int(row["sold"])
    emit(channel(grant.activity_id), FlashStockChanged(grant.activity_id, left))
    if left == 0:
        public_data_changed()


async def _held_by(conn, item_id: int, user_id: int) -> int:
    rows = (
        await FlashClaim.filter(item_id=item_id, user_id=user_id, status=HELD)
        .using_db(conn)
        .annotate(q=Sum("quantity"))
        .values_list("q", flat=True)
    )
    return int(rows[0] or 0) if rows else 0


ACTIVITY = Activity(grant=_grant, hold=_hold, admit=_admit, undo=_undo)


async def on_order_cancelled(order, conn) -> None:
    """CANCELLED reaction: the cancelled order's flash units go back to their items (and,
    after the commit, to Redis's counters): they are sold again."""
    claims = (
        await FlashClaim.filter(payment_id=order.payment_id, status=HELD, item__merchant_id=order.merchant_id)
        .using_db(conn)
        .order_by("item_id", "id")
    )
    for claim in claims:
        taken = await FlashClaim.filter(id=claim.id, status=HELD).using_db(conn).update(status=RELEASED)
        if taken != 1:
            continue
        rows = await add_per_row(
            conn, "flash_item", "sold", {claim.item_id: -claim.quantity}, returning="id, sold, stock"
        )
        left = int(rows[0]["stock"]) - int(rows[0]["sold"])
        emit(channel(claim.item_id), FlashStockChanged(claim.item_id, left))
        ticket = Ticket(KIND, claim.item_id, 0, claim.quantity)

        async def give(ticket=ticket, user_id=claim.user_id) -> None:
            await _give_back(user_id, ticket)

        after_commit(give)
        if left == claim.quantity:  # was sold out: the storefront shows it on sale again
            public_data_changed()


# --------------------------------------------------------------------------- management


@dataclass(frozen=True)
class ItemData:
    session_id: int
    sku_id: int
    flash_price: int
    stock: int
    per_user_limit: int = 1


async def create_session(
    grants: Grants, actor_id: int | None, name: str, day: date, slot: str, minutes: int
) -> FlashSession:
    """A session of the platform (marketing.manage): FORBIDDEN, INVALID_INPUT,
    INVALID_DATE_RANGE (over already); nothing written then."""
    authorize(grants, None)
    name = (name or "").strip()
    if not 1 <= len(name) <= 64:
        raise DomainError(ErrorCode.INVALID_INPUT, "A name of 1 to 64 characters.", "name")
    starts, ends = rules.slot_window(day, slot, minutes, settings.BUSINESS_UTC_OFFSET_HOURS)
    if ends <= clock.now():
        raise DomainError(ErrorCode.INVALID_DATE_RANGE, "That slot is over already.", "day")
    async with unit_of_work():
        row = await FlashSession.create(name=name, starts_at=starts, ends_at=ends, created_by_id=actor_id)
        public_data_changed()
    return row


async def cancel_session(grants: Grants, session_id: int) -> FlashSession:
    """Withdraw a session (marketing.manage): ENDED at once; orders placed stay."""
    authorize(grants, None)
    async with unit_of_work() as conn:
        taken = await FlashSession.filter(id=session_id, status=ACTIVE).using_db(conn).update(status=CANCELLED)
        row = await FlashSession.get_or_none(id=session_id).using_db(conn)
        if row is None:
            raise DomainError(ErrorCode.NOT_FOUND, "No such flash session.", "id")
        if taken != 1:
            raise DomainError(ErrorCode.INVALID_TRANSITION, "The session is cancelled already.", "id")
        public_data_changed()
    for item_id in await FlashItem.filter(session_id=session_id).values_list("id", flat=True):
        await _reload_quietly(item_id)
    return row


async def _reload_quietly(item_id: int, fresh: bool = False) -> None:
    try:
        g = gate()
        if fresh and g is not None:  # a new item: no counter of an older database's item of that id
            await g.client.delete(*g.keys(item_id))
        await load(item_id)
    except (RedisError, OSError) as exc:
        log.warning("flash: reloading counters failed (%s)", exc)


async def add_item(grants: Grants, data: ItemData) -> FlashItem:
    """Put a SKU in a session (the platform, or the SKU's merchant's marketing staff) before the
    session ends. FORBIDDEN, NOT_FOUND, FLASH_ENDED, PRODUCT_UNAVAILABLE, INVALID_PRICE (not
    below the SKU's price), INVALID_STOCK, INVALID_INPUT (a SKU twice, a bad limit)."""
    sku = await Sku.get_or_none(id=data.sku_id).select_related("product")
    if sku is None:
        raise DomainError(ErrorCode.NOT_FOUND, "No such SKU.", "skuId")
    if not grants.has(PLATFORM_PERMISSION):
        authorize(grants, sku.product.merchant_id)
    session = await FlashSession.get_or_none(id=data.session_id)
    if session is None:
        raise DomainError(ErrorCode.NOT_FOUND, "No such flash session.", "sessionId")
    if session.status == CANCELLED or session.ends_at <= clock.now():
        raise DomainError(ErrorCode.FLASH_ENDED, "The session is over.", "sessionId")
    if not sku.is_active or sku.product.status != LISTED or sku.product.zone not in ("NORMAL", "RETAIL"):
        raise DomainError(ErrorCode.PRODUCT_UNAVAILABLE, "Only listed retail goods go on flash sale.", "skuId")
    price = data.flash_price
    if not isinstance(price, int) or not 0 < price < sku.price:
        raise DomainError(ErrorCode.INVALID_PRICE, "A flash price is above 0 and below the SKU's price.", "flashPrice")
    if not isinstance(data.stock, int) or not 1 <= data.stock <= rules.MAX_FLASH_STOCK:
        raise DomainError(ErrorCode.INVALID_STOCK, f"Flash stock is 1 to {rules.MAX_FLASH_STOCK}.", "stock")
    if not isinstance(data.per_user_limit, int) or not 1 <= data.per_user_limit <= rules.MAX_PER_USER:
        raise DomainError(ErrorCode.INVALID_INPUT, f"A per-user limit is 1 to {rules.MAX_PER_USER}.", "perUserLimit")
    if await FlashItem.exists(session_id=session.id, sku_id=sku.id):
        raise DomainError(ErrorCode.INVALID_INPUT, "That SKU is in the session already.", "skuId")
    async with unit_of_work():
        item = await FlashItem.create(
            session_id=session.id,
            merchant_id=sku.product.merchant_id,
            product_id=sku.product_id,
            sku_id=sku.id,
            flash_price=price,
            stock=data.stock,
            per_user_limit=data.per_user_limit,
        )
        public_data_changed()
    await _reload_quietly(item.id, fresh=True)
    return item


async def remove_item(grants: Grants, item_id: int) -> FlashSession:
    """Take an item out while none of it is held (FLASH_ENDED once its units are taken)."""
    item = await FlashItem.get_or_none(id=item_id).select_related("session")
    if item is None:
        raise DomainError(ErrorCode.NOT_FOUND, "No such flash item.", "id")
    if not grants.has(PLATFORM_PERMISSION):
        authorize(grants, item.merchant_id)
    async with unit_of_work() as conn:
        gone = await FlashItem.filter(id=item_id, sold=0).using_db(conn).delete()
        if gone != 1 or await FlashClaim.filter(item_id=item_id).using_db(conn).exists():
            raise DomainError(ErrorCode.INVALID_TRANSITION, "Units of this item were bought: it stays.", "id")
        public_data_changed()
    g = gate()
    if g is not None:
        try:
            await g.client.delete(*g.keys(item_id))
        except (RedisError, OSError):
            pass
    return item.session


# --------------------------------------------------------------------------- storefront


@dataclass(frozen=True)
class ItemView:
    item: FlashItem
    left: int
    state: str


@dataclass(frozen=True)
class SessionView:
    session: FlashSession
    items: list[ItemView]
    state: str


def _views(sessions: list[FlashSession], items: list[FlashItem], now: datetime) -> list[SessionView]:
    by_session: dict[int, list[FlashItem]] = {}
    for item in items:
        by_session.setdefault(item.session_id, []).append(item)
    views = []
    for s in sessions:
        cancelled = s.status == CANCELLED
        its = [
            ItemView(i, i.stock - i.sold, rules.state(now, s.starts_at, s.ends_at, i.stock - i.sold, cancelled))
            for i in by_session.get(s.id, [])
        ]
        left = sum(v.left for v in its)
        views.append(SessionView(s, its, rules.state(now, s.starts_at, s.ends_at, left, cancelled)))
    return views


async def sessions_of_day(day: date | None = None) -> tuple[datetime, date, list[SessionView]]:
    """(the server time, the business day (default today), its sessions with their items and
    states, by start). Two statements."""
    now = clock.now()
    today = rules.business_day(now, settings.BUSINESS_UTC_OFFSET_HOURS)
    day = day or today
    if not business_days.EARLIEST_DAY <= day <= today + timedelta(days=MAX_DAYS_AHEAD):
        raise DomainError(
            ErrorCode.INVALID_DATE_RANGE, f"A day from {business_days.EARLIEST_DAY} to a year ahead.", "day"
        )
    start, end = rules.day_bounds(day, settings.BUSINESS_UTC_OFFSET_HOURS)
    sessions = await FlashSession.filter(starts_at__gte=start, starts_at__lt=end).order_by("starts_at", "id")
    items = await FlashItem.filter(session_id__in=[s.id for s in sessions]).order_by("id") if sessions else []
    return now, day, _views(sessions, list(items), now)


async def session_view(session_id: int) -> SessionView:
    session = await FlashSession.get_or_none(id=session_id)
    if session is None:
        raise DomainError(ErrorCode.NOT_FOUND, "No such flash session.", "id")
    items = await FlashItem.filter(session_id=session_id).order_by("id")
    return _views([session], list(items), clock.now())[0]


async def item_view(item_id: int) -> ItemView | None:
    item = await FlashItem.get_or_none(id=item_id).select_related("session")
    if item is None:
        return None
    s = item.session
    left = item.stock - item.sold
    return ItemView(item, left, rules.state(clock.now(), s.starts_at, s.ends_at, left, s.status == CANCELLED))


# --------------------------------------------------------------------------- reconciliation, statistics


async def reconcile_ended(limit: int = 50) -> int:
    """Worker job: sessions over and not yet reconciled: each item's attempts counted on Redis
    are kept in the database, and the counters reloaded from it (the database is the truth)."""
    due = await FlashSession.filter(ends_at__lte=clock.now(), reconciled_at=None).order_by("id").limit(limit)
    for session in due:
        await reconcile(session.id)
        await FlashSession.filter(id=session.id).update(reconciled_at=clock.now())
    return len(due)


async def reconcile(session_id: int) -> None:
    """Redis's counters of the session's items from the database (after a Redis restart, at the
    end), keeping the attempts Redis counted."""
    g = gate()
    if g is None:
        return
    for item_id in await FlashItem.filter(session_id=session_id).values_list("id", flat=True):
        try:
            attempts = await g.attempts(item_id)
            await FlashItem.filter(id=item_id, attempts__lt=attempts).update(attempts=attempts)
            await load(item_id)
        except (RedisError, OSError) as exc:
            log.warning("flash: reconciling item %s failed (%s)", item_id, exc)


@dataclass(frozen=True)
class ItemStats:
    item: FlashItem
    attempts: int
    winners: int  # buyers holding units (unpaid or paid)
    held: int  # units held by orders
    paid_units: int
    gmv: int  # fen paid for the flash lines
    discount_cost: int  # fen below the list price on the paid units


async def session_stats(grants: Grants, session_id: int) -> list[ItemStats]:
    """Per item of the session: the platform sees every item, a merchant's marketing staff its own
    (FORBIDDEN with none)."""
    if not await FlashSession.exists(id=session_id):
        raise DomainError(ErrorCode.NOT_FOUND, "No such flash session.", "id")
    query = FlashItem.filter(session_id=session_id)
    if not grants.has(PLATFORM_PERMISSION):
        mine = grants.merchant_ids("merchant.marketing")
        if not mine:
            raise DomainError(ErrorCode.FORBIDDEN, f"This needs the {PLATFORM_PERMISSION} permission.")
        query = query.filter(merchant_id__in=mine)
    items = await query.order_by("id").select_related("sku")
    ids = [i.id for i in items]
    if not ids:
        return []
    held = {
        item_id: (int(w), int(q or 0))
        for item_id, w, q in await FlashClaim.filter(item_id__in=ids, status=HELD)
        .group_by("item_id")
        .annotate(w=Count("user_id", distinct=True), q=Sum("quantity"))
        .values_list("item_id", "w", "q")
    }
    paid = {
        item_id: (int(q or 0), int(a or 0))
        for item_id, q, a in await OrderLine.filter(
            activity_kind=KIND, activity_id__in=ids, order__paid_at__isnull=False
        )
        .group_by("activity_id")
        .annotate(q=Sum("quantity"), a=Sum("amount"))
        .values_list("activity_id", "q", "a")
    }
    g = gate()
    live: dict[int, int] = {}
    if g is not None:
        for item_id in ids:
            try:
                live[item_id] = await g.attempts(item_id)
            except (RedisError, OSError):
                break
    return [
        ItemStats(
            item=i,
            attempts=max(i.attempts, live.get(i.id, 0)),
            winners=held.get(i.id, (0, 0))[0],
            held=held.get(i.id, (0, 0))[1],
            paid_units=paid.get(i.id, (0, 0))[0],
            gmv=paid.get(i.id, (0, 0))[1],
            discount_cost=paid.get(i.id, (0, 0))[0] * (i.sku.price - i.flash_price),
        )
        for i in items
    ]
