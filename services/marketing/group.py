"""Group buying (MKT-3, 拼团): activities of a merchant's SKU with a team size N, a group price,
a time limit and a per-user limit; teams that buyers open and join by paying.

Buying (`GROUP` in services.marketing.activities, wired by wiring.py): a checkout whose ticket
names the activity (and, to join, a team: `Ticket.target_id`) goes through the normal checkout
at the group price, taking the SKU's own stock. Seats:
- a seat is taken in the checkout's transaction (`_hold`): opening creates a PENDING team with
  the leader's seat; joining is one conditional UPDATE (`taken < size`, the team OPEN and its
  time not up): never N+1 seats. A full team refuses GROUP_TEAM_FULL, or with
  GROUP_OVERFLOW_POLICY=NEW_TEAM the buyer opens a new team instead; a closed one
  GROUP_TEAM_CLOSED. The checkout's product row lock serialises one product's buyers, so the
  per-user limit counted after it is exact.
- a seat counts once paid (`on_paid`, a PAID reaction): the leader's payment opens the team
  (its time limit starts then); a member's raises `paid`; the N-th paid seat forms the team.
  Paying for a seat of a team that failed, was cancelled or whose time is up is refused
  (GROUP_TEAM_FAILED): the payment rolls back, nothing moves.
- an unpaid order cancelled (the buyer, the payment time-out) gives its seat back
  (`on_order_cancelled`); the leader's cancels the pending team.
Fulfilment: an order of a team not FORMED cannot be shipped, readied for pickup or handed to a
store rider (`hold_fulfilment`, wired into services.orders.states: GROUP_NOT_FORMED); its
commissions stay PENDING (they are released only after completion).
Expiry (`close_due`, a worker job): a team whose time ran out is FORMED when full (or, with
GROUP_UNFILLED_POLICY=SUCCEED, with whoever paid) or FAILED: one conditional UPDATE decides,
and in the same transaction every paid member's order is refunded in full through the
after-sales refund path (`REFUND_ORDER`, services.orders.after_sales.refund_in_full): money by
its method, coupons, coins, stock back, commissions reversed, exactly once (the member moves
PAID -> REFUNDED by a conditional UPDATE). Unpaid seats of a closed team are cancelled after.

Live: every change of a team is announced on `group_team:{team id}` (GroupTeamChanged).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from tortoise.functions import Count, Sum

import settings
from models.accounts import User
from models.catalog import Sku
from models.marketing import GroupActivity, GroupMember, GroupTeam
from models.orders import Order, OrderLine
from services.accounts.access import Grants
from services.catalog.product_states import LISTED, PHYSICAL
from services.core import clock
from services.core.errors import DomainError, ErrorCode
from services.core.events import emit, unit_of_work
from services.core.hooks import Provider
from services.core.sql import sql
from services.marketing import group_rules as rules
from services.marketing.activities import Activity, Grant, Ticket
from services.marketing.coupon_templates import PLATFORM_PERMISSION, authorize
from services.marketing.events import GroupTeamChanged

log = logging.getLogger(__name__)

KIND = "GROUP"
ACTIVE, ENDED = "ACTIVE", "ENDED"
HELD, PAID, RELEASED, REFUNDED = "HELD", "PAID", "RELEASED", "REFUNDED"
MEMBER_STATUSES = (HELD, PAID, RELEASED, REFUNDED)
SEATED = (HELD, PAID)

# services.orders.after_sales.refund_in_full (wired): refund an order in full inside `conn`,
# returning the refunds to send after the commit.
REFUND_ORDER: Provider[Callable[..., Awaitable[list]]] = Provider("group refund")


def channel(team_id: int) -> str:
    return f"group_team:{team_id}"


def _announce(row: dict) -> None:
    emit(channel(int(row["id"])), GroupTeamChanged(int(row["id"]), int(row["taken"]), int(row["paid"]), row["status"]))


async def _update_team(conn, assignments: str, where: str, params: list) -> dict | None:
    rows = await conn.execute_query_dict(
        sql(conn, f"UPDATE group_team SET {assignments} WHERE {where} RETURNING id, taken, paid, size, status"),
        params,
    )
    return rows[0] if rows else None


# --------------------------------------------------------------------------- the checkout's steps


def _check_quantity(quantity) -> None:
    if not isinstance(quantity, int) or isinstance(quantity, bool) or not 1 <= quantity <= rules.MAX_PER_USER:
        raise DomainError(ErrorCode.INVALID_QUANTITY, "Quantities are whole numbers of at least 1.", "quantity")


def _open_now(activity: GroupActivity, now: datetime) -> None:
    if activity.status != ACTIVE or not activity.starts_at <= now < activity.ends_at:
        raise DomainError(ErrorCode.GROUP_NOT_OPEN, "This group buy is not open now.", "groupActivityId")


def _join_refusal(answer: str) -> DomainError:
    if answer == rules.FULL:
        return DomainError(ErrorCode.GROUP_TEAM_FULL, "Every seat of this team is taken.", "teamId")
    return DomainError(ErrorCode.GROUP_TEAM_CLOSED, "This team is not open to join.", "teamId")


async def _grant(buyer_id: int, ticket: Ticket) -> Grant:
    """The activity exists for that SKU and is open, the quantity within its limit, the team to
    join (if any) open with a seat (or NEW_TEAM): `_hold` decides under the locks."""
    _check_quantity(ticket.quantity)
    activity = await GroupActivity.get_or_none(id=ticket.activity_id)
    if activity is None or (ticket.sku_id and activity.sku_id != ticket.sku_id):
        raise DomainError(ErrorCode.NOT_FOUND, "No such group activity.", "groupActivityId")
    now = clock.now()
    _open_now(activity, now)
    if ticket.quantity > activity.per_user_limit:
        raise DomainError(ErrorCode.LIMIT_REACHED, "More units than one buyer may hold.", "quantity")
    if ticket.target_id:
        team = await GroupTeam.get_or_none(id=ticket.target_id, activity_id=activity.id)
        if team is None:
            raise DomainError(ErrorCode.NOT_FOUND, "No such team.", "teamId")
        answer = rules.join_answer(team.status, team.taken, team.size, team.ends_at, now)
        if answer != rules.JOIN and not (answer == rules.FULL and settings.GROUP_OVERFLOW_POLICY == rules.NEW_TEAM):
            raise _join_refusal(answer)
    return Grant(
        KIND, activity.id, activity.sku_id, ticket.quantity, activity.group_price, own_stock=False,
        target_id=ticket.target_id,
    )  # fmt: skip


async def _hold(conn, buyer_id: int, grant: Grant, payment_id: int) -> None:
    """In the checkout's transaction, after the SKU's stock was reserved (the product row is
    locked: one product's checkouts run one at a time here): the buyer's limit, then the seat."""
    activity = await GroupActivity.get(id=grant.activity_id).using_db(conn)
    held = (
        await GroupMember.filter(activity_id=activity.id, user_id=buyer_id, status__in=SEATED)
        .using_db(conn)
        .annotate(q=Sum("quantity"))
        .values_list("q", flat=True)
    )
    if int((held[0] if held else 0) or 0) + grant.quantity > activity.per_user_limit:
        raise DomainError(ErrorCode.LIMIT_REACHED, "You hold as many units of this group buy as one buyer may.")
    now = clock.now()
    team_id = grant.target_id
    if team_id:
        if await GroupMember.filter(team_id=team_id, user_id=buyer_id, status__in=SEATED).using_db(conn).exists():
            raise DomainError(ErrorCode.LIMIT_REACHED, "You are in this team already.", "teamId")
        row = await _update_team(
            conn,
            "taken = taken + 1",
            "id = ? AND activity_id = ? AND status = ? AND taken < size AND ends_at > ?",
            [team_id, activity.id, rules.OPEN, now],
        )
        if row is None:
            team = await GroupTeam.get(id=team_id).using_db(conn)
            answer = rules.join_answer(team.status, team.taken, team.size, team.ends_at, now)
            if answer == rules.FULL and settings.GROUP_OVERFLOW_POLICY == rules.NEW_TEAM:
                team_id = 0  # opens a new team below
            else:
                raise _join_refusal(answer if answer != rules.JOIN else rules.CLOSED)
        else:
            _announce(row)
    leader = not team_id
    if leader:
        team = await GroupTeam.create(
            activity_id=activity.id, leader_id=buyer_id, size=activity.team_size, taken=1, using_db=conn
        )
        team_id = team.id
    await GroupMember.create(
        team_id=team_id,
        activity_id=activity.id,
        user_id=buyer_id,
        payment_id=payment_id,
        quantity=grant.quantity,
        leader=leader,
        using_db=conn,
    )


ACTIVITY = Activity(grant=_grant, hold=_hold)


async def on_paid(paid, conn) -> None:
    """PAID reaction: the order's seat counts now. The leader's opens the team (its clock
    starts); the N-th forms it. A seat of a team that failed, was cancelled or is out of time
    refuses the payment (GROUP_TEAM_FAILED)."""
    order = paid.order
    if not any(line.activity_kind == KIND for line in paid.lines):
        return
    members = (
        await GroupMember.filter(payment_id=order.payment_id, status=HELD)
        .using_db(conn)
        .select_related("team")
        .order_by("id")
    )
    now = clock.now()
    for member in members:
        activity_ids = {line.activity_id for line in paid.lines if line.activity_kind == KIND}
        if member.activity_id not in activity_ids:
            continue
        team = member.team
        if member.leader and team.status == rules.PENDING:
            minutes = (
                await GroupActivity.filter(id=member.activity_id)
                .using_db(conn)
                .values_list("time_limit_minutes", flat=True)
            )
            row = await _update_team(
                conn,
                "paid = paid + 1, status = ?, ends_at = ?",
                "id = ? AND status = ?",
                [rules.OPEN, now + timedelta(minutes=int(minutes[0])), team.id, rules.PENDING],
            )
        else:
            row = await _update_team(
                conn, "paid = paid + 1", "id = ? AND status = ? AND ends_at > ?", [team.id, rules.OPEN, now]
            )
        if row is None:
            raise DomainError(
                ErrorCode.GROUP_TEAM_FAILED,
                "This team failed or its time ran out: the seat cannot be paid.",
                "paymentId",
            )
        if int(row["paid"]) >= int(row["size"]):
            row = (
                await _update_team(
                    conn, "status = ?, closed_at = ?", "id = ? AND status = ?", [rules.FORMED, now, team.id, rules.OPEN]
                )
                or row
            )
        taken = (
            await GroupMember.filter(id=member.id, status=HELD)
            .using_db(conn)
            .update(status=PAID, order_id=order.id, paid_at=now)
        )
        if taken != 1:
            raise DomainError(ErrorCode.INVALID_TRANSITION, "This seat changed meanwhile; try again.", "paymentId")
        _announce(row)


async def on_order_cancelled(order, conn) -> None:
    """CANCELLED reaction: the unpaid order's seat goes back to its team (a leader's cancels
    the pending team)."""
    members = await GroupMember.filter(payment_id=order.payment_id, status=HELD).using_db(conn).order_by("id")
    for member in members:
        if await GroupMember.filter(id=member.id, status=HELD).using_db(conn).update(status=RELEASED) != 1:
            continue
        row = await _update_team(
            conn,
            "taken = taken - 1, status = CASE WHEN status = ? THEN ? ELSE status END",
            "id = ?",
            [rules.PENDING, rules.CANCELLED, member.team_id],
        )
        if row is not None:
            _announce(row)


async def hold_fulfilment(order: Order, conn) -> None:
    """Fulfilment hold (services.orders.states): GROUP_NOT_FORMED while the order's team is not full."""
    waiting = (
        await GroupMember.filter(order_id=order.id, status=PAID)
        .using_db(conn)
        .exclude(team__status=rules.FORMED)
        .exists()
    )
    if waiting:
        raise DomainError(ErrorCode.GROUP_NOT_FORMED, "This group-buy order waits for its team to be full.", "orderId")


# --------------------------------------------------------------------------- expiry


@dataclass(frozen=True)
class Closed:
    team_id: int
    status: str
    refunds: list  # to send after the commit
    unpaid_payment_ids: list[int]  # seats never paid: their checkouts are cancelled


async def close_team(team_id: int) -> Closed | None:
    """A team whose time ran out: FORMED or FAILED by one conditional UPDATE (None: not due, or
    closed by someone else); a failed team's paid members refunded in the same transaction."""
    now = clock.now()
    async with unit_of_work() as conn:
        team = await GroupTeam.get_or_none(id=team_id).using_db(conn)
        if team is None or team.status != rules.OPEN or team.ends_at is None or team.ends_at > now:
            return None
        outcome = rules.expired_outcome(team.paid, team.size, settings.GROUP_UNFILLED_POLICY)
        row = await _update_team(
            conn,
            "status = ?, closed_at = ?",
            "id = ? AND status = ? AND paid = ?",
            [outcome, now, team.id, rules.OPEN, team.paid],
        )
        if row is None:
            return None
        refunds: list = []
        if outcome == rules.FAILED:
            paid = await GroupMember.filter(team_id=team.id, status=PAID).using_db(conn).order_by("id")
            for member in paid:
                if await GroupMember.filter(id=member.id, status=PAID).using_db(conn).update(status=REFUNDED) != 1:
                    continue
                refunds += await REFUND_ORDER.get()(member.order_id, conn, reason="拼团失败 (the team was not filled)")
        _announce(row)
        unpaid = (
            await GroupMember.filter(team_id=team.id, status=HELD).using_db(conn).values_list("payment_id", flat=True)
        )
    return Closed(team.id, outcome, refunds, sorted(set(unpaid)))


async def due_teams(limit: int = 100) -> list[int]:
    return list(
        await GroupTeam.filter(status=rules.OPEN, ends_at__lte=clock.now())
        .order_by("ends_at", "id")
        .limit(limit)
        .values_list("id", flat=True)
    )


# --------------------------------------------------------------------------- management


@dataclass(frozen=True)
class ActivityData:
    sku_id: int
    name: str
    group_price: int
    team_size: int
    time_limit_minutes: int
    starts_at: datetime
    ends_at: datetime
    per_user_limit: int = 1


def _name(name: str) -> str:
    name = (name or "").strip()
    if not 1 <= len(name) <= 64:
        raise DomainError(ErrorCode.INVALID_INPUT, "A name of 1 to 64 characters.", "name")
    return name


async def create_activity(grants: Grants, actor_id: int | None, data: ActivityData) -> GroupActivity:
    """A group buy of one SKU (the platform's marketing.manage, or the SKU's merchant's
    merchant.marketing): NOT_FOUND, FORBIDDEN, PRODUCT_UNAVAILABLE (not listed physical retail
    goods), INVALID_INPUT, INVALID_PRICE, INVALID_DATE_RANGE; nothing written then."""
    sku = await Sku.get_or_none(id=data.sku_id).select_related("product")
    if sku is None:
        raise DomainError(ErrorCode.NOT_FOUND, "No such SKU.", "skuId")
    if not grants.has(PLATFORM_PERMISSION):
        authorize(grants, sku.product.merchant_id)
    name = _name(data.name)
    product = sku.product
    if (
        not sku.is_active
        or product.status != LISTED
        or product.zone not in ("NORMAL", "RETAIL")
        or product.delivery_kind != PHYSICAL
    ):
        raise DomainError(ErrorCode.PRODUCT_UNAVAILABLE, "Only listed physical retail goods go on group buy.", "skuId")
    rules.check_terms(
        rules.Terms(data.team_size, data.time_limit_minutes, data.per_user_limit, data.group_price, sku.price)
    )
    if data.ends_at <= data.starts_at or data.ends_at <= clock.now():
        raise DomainError(
            ErrorCode.INVALID_DATE_RANGE, "The activity must end after it starts, in the future.", "endsAt"
        )
    return await GroupActivity.create(
        merchant_id=product.merchant_id,
        product_id=product.id,
        sku_id=sku.id,
        name=name,
        group_price=data.group_price,
        team_size=data.team_size,
        time_limit_minutes=data.time_limit_minutes,
        per_user_limit=data.per_user_limit,
        starts_at=data.starts_at,
        ends_at=data.ends_at,
        created_by_id=actor_id,
    )


async def _managed(grants: Grants, activity_id: int) -> GroupActivity:
    activity = await GroupActivity.get_or_none(id=activity_id)
    if activity is None:
        raise DomainError(ErrorCode.NOT_FOUND, "No such group activity.", "id")
    if not grants.has(PLATFORM_PERMISSION):
        authorize(grants, activity.merchant_id)
    return activity


async def update_activity(
    grants: Grants, activity_id: int, *, name: str | None, ends_at: datetime | None, per_user_limit: int | None
) -> GroupActivity:
    """Rename, move the end, change the per-user limit (teams already open keep their clocks)."""
    activity = await _managed(grants, activity_id)
    if activity.status != ACTIVE:
        raise DomainError(ErrorCode.INVALID_TRANSITION, "The activity was ended.", "id")
    changes: dict[str, Any] = {}
    if name is not None:
        changes["name"] = _name(name)
    if ends_at is not None:
        if ends_at <= activity.starts_at or ends_at <= clock.now():
            raise DomainError(ErrorCode.INVALID_DATE_RANGE, "The end must be after the start, in the future.", "endsAt")
        changes["ends_at"] = ends_at
    if per_user_limit is not None:
        if not isinstance(per_user_limit, int) or not 1 <= per_user_limit <= rules.MAX_PER_USER:
            raise DomainError(
                ErrorCode.INVALID_INPUT, f"A per-user limit is 1 to {rules.MAX_PER_USER}.", "perUserLimit"
            )
        changes["per_user_limit"] = per_user_limit
    if changes:
        await GroupActivity.filter(id=activity.id).update(**changes)
    return await GroupActivity.get(id=activity.id)


async def end_activity(grants: Grants, activity_id: int) -> GroupActivity:
    """Withdraw the activity: no new team or seat; open teams run to their time limit."""
    activity = await _managed(grants, activity_id)
    if await GroupActivity.filter(id=activity.id, status=ACTIVE).update(status=ENDED) != 1:
        raise DomainError(ErrorCode.INVALID_TRANSITION, "The activity was ended already.", "id")
    return await GroupActivity.get(id=activity.id)


def managed_activities(grants: Grants, merchant_id: int | None = None):
    """The platform's view (every activity, or a merchant's), a merchant's staff their own;
    anyone else none (FORBIDDEN when naming a merchant)."""
    query = GroupActivity.all()
    if grants.has(PLATFORM_PERMISSION):
        return query.filter(merchant_id=merchant_id) if merchant_id else query
    mine = grants.merchant_ids("merchant.marketing")
    if not mine and merchant_id is None:
        return query.filter(merchant_id__in=[])  # nothing to manage (as for bargains)
    if merchant_id is not None:
        if merchant_id not in mine:
            raise DomainError(ErrorCode.FORBIDDEN, "Not your merchant's activities.", "merchantId")
        return query.filter(merchant_id=merchant_id)
    return query.filter(merchant_id__in=mine)


# --------------------------------------------------------------------------- storefront


async def activities_of_product(product_id: int) -> list[GroupActivity]:
    now = clock.now()
    return list(
        await GroupActivity.filter(product_id=product_id, status=ACTIVE, starts_at__lte=now, ends_at__gt=now).order_by(
            "id"
        )
    )


@dataclass(frozen=True)
class Seat:
    name: str  # masked
    leader: bool
    paid: bool


@dataclass(frozen=True)
class TeamView:
    team: GroupTeam
    activity: GroupActivity
    members: list[Seat]
    seats_left: int
    now: datetime


async def _views(teams: list[GroupTeam]) -> list[TeamView]:
    """Teams (their activity loaded) with their seated members: two statements for any number."""
    ids = [t.id for t in teams]
    members = await GroupMember.filter(team_id__in=ids, status__in=SEATED).order_by("id") if ids else []
    users = {m.user_id for m in members}
    names = dict(await User.filter(id__in=users).values_list("id", "nickname")) if users else {}
    now = clock.now()
    return [
        TeamView(
            t,
            t.activity,
            [
                Seat(rules.mask(names.get(m.user_id) or ""), m.leader, m.status == PAID)
                for m in members
                if m.team_id == t.id
            ],
            rules.seats_left(t.size, t.taken),
            now,
        )
        for t in teams
    ]


async def team_view(team_id: int) -> TeamView | None:
    team = await GroupTeam.get_or_none(id=team_id).select_related("activity")
    return None if team is None else (await _views([team]))[0]


async def suggested_teams(product_id: int, limit: int = 5) -> list[TeamView]:
    """Open teams of the product's running activities nearly full (GROUP_SUGGEST_SEATS_LEFT)."""
    now = clock.now()
    limit = max(1, min(int(limit), 20))
    teams = (
        await GroupTeam.filter(
            activity__product_id=product_id, activity__status=ACTIVE, status=rules.OPEN, ends_at__gt=now
        )
        .select_related("activity")
        .order_by("ends_at")
        .limit(200)
    )
    ids = rules.suggest(
        [rules.TeamLoad(t.id, t.taken, t.size, t.ends_at) for t in teams],
        now,
        settings.GROUP_SUGGEST_SEATS_LEFT,
        limit,
    )
    by_id = {t.id: t for t in teams}
    return await _views([by_id[i] for i in ids])


# --------------------------------------------------------------------------- statistics


@dataclass(frozen=True)
class ActivityStats:
    activity: GroupActivity
    teams_opened: int  # paid by their leader
    teams_formed: int
    teams_failed: int
    teams_open: int
    paid_units: int  # of orders of formed teams and of teams still open (net of refunds)
    gmv: int  # fen paid for the group lines, less their refunds
    discount_cost: int  # fen below the list price on those units


async def activity_stats(grants: Grants, activity_id: int) -> ActivityStats:
    activity = await _managed(grants, activity_id)
    counts = dict(
        await GroupTeam.filter(activity_id=activity.id)
        .group_by("status")
        .annotate(n=Count("id"))
        .values_list("status", "n")
    )
    rows = (
        await OrderLine.filter(activity_kind=KIND, activity_id=activity.id, order__paid_at__isnull=False)
        .group_by("activity_id")
        .annotate(q=Sum("quantity"), a=Sum("amount"), rq=Sum("refunded_quantity"), ra=Sum("refunded_amount"))
        .values_list("q", "a", "rq", "ra")
    )
    q, a, rq, ra = (int(v or 0) for v in rows[0]) if rows else (0, 0, 0, 0)
    sku_price = (await Sku.filter(id=activity.sku_id).values_list("price", flat=True))[0]
    units = q - rq
    formed, failed, open_ = (int(counts.get(s, 0)) for s in (rules.FORMED, rules.FAILED, rules.OPEN))
    return ActivityStats(
        activity=activity,
        teams_opened=formed + failed + open_,
        teams_formed=formed,
        teams_failed=failed,
        teams_open=open_,
        paid_units=units,
        gmv=a - ra,
        discount_cost=units * (int(sku_price) - activity.group_price),
    )
