"""Becoming a distributor (DIS-3).

Modes (an admin edits them, `update_settings`; until then settings.DISTRIBUTOR_*):
- AUTO: everyone is a distributor; every upline of the chain earns (the default, and the
  behaviour before this module existed). Applying is refused: ALREADY_DISTRIBUTOR.
- THRESHOLD: a user applies; accepted at once when their paid spending (paid orders' pay
  amount net of refunds, fen) and/or paid orders reach the thresholds (ALL: every set
  condition; ANY: one is enough; a threshold of 0 is no condition), else refused with
  DISTRIBUTOR_THRESHOLD_NOT_MET saying what is missing (nothing is recorded).
- APPROVAL: a user applies; the application waits in the admin's review queue; an admin
  approves it or rejects it with a reason (the row keeps who, when and why).
Becoming a distributor grants the `distributor` role (services.accounts.access; an admin can also
grant or revoke it directly).

Who earns when the mode is not AUTO (`has_role_sql`, read by services.distribution.commissions._booking):
an upline without the distributor role earns nothing and their level is skipped — that
share is never booked (it stays with whoever would have funded it). The chain stays the
upline chain (no compression: a level is never paid to someone who is not at that level).

The review queue: after every commit that changes the number of pending applications an
event `{"type": "REVIEW_QUEUE_CHANGED", "queue": "DISTRIBUTOR_APPLICATIONS"}` goes to the
admin channel; `pending_review_count()` gives the number.
"""

from __future__ import annotations

from dataclasses import dataclass

from tortoise.exceptions import IntegrityError
from tortoise.functions import Count, Sum

import settings
from models.access import Role, UserRole
from models.accounts import User
from models.distributors import DistributorApplication, DistributorSettings, DistributorSettingsChange
from models.orders import Order
from services.accounts import access, review_queues
from services.accounts.access import Grants
from services.core import clock
from services.core.errors import DomainError, ErrorCode
from services.core.events import unit_of_work
from services.core.money import fen_to_decimal_string
from services.core.sql import sql
from services.core.states import StateMachine, Transition

AUTO, THRESHOLD, APPROVAL = "AUTO", "THRESHOLD", "APPROVAL"
MODES = (AUTO, THRESHOLD, APPROVAL)
ALL, ANY = "ALL", "ANY"
PENDING, APPROVED, REJECTED = "PENDING", "APPROVED", "REJECTED"
STATUSES = (PENDING, APPROVED, REJECTED)
# The application state machine: each decision's source state and target state.
APPLICATION_STATES = StateMachine(
    "distributor application",
    {
        "approve": Transition(PENDING, APPROVED, stamp="reviewed_at"),
        "reject": Transition(PENDING, REJECTED, stamp="reviewed_at"),
    },
    field="id",
)
ROLE = "distributor"
SETTINGS_ID = 1
QUEUE = "DISTRIBUTOR_APPLICATIONS"


# --------------------------------------------------------------------------- settings


@dataclass(frozen=True)
class Rules:
    mode: str = AUTO
    min_spent: int = 0
    min_paid_orders: int = 0
    match: str = ALL
    updated_at: object = None  # None while the defaults are in force
    updated_by_id: int | None = None

    def values(self) -> dict:
        return {
            "mode": self.mode,
            "min_spent": self.min_spent,
            "min_paid_orders": self.min_paid_orders,
            "match": self.match,
        }


def default_rules() -> Rules:
    return Rules(
        settings.DISTRIBUTOR_MODE.strip().upper(),
        settings.DISTRIBUTOR_MIN_SPENT,
        settings.DISTRIBUTOR_MIN_PAID_ORDERS,
        settings.DISTRIBUTOR_THRESHOLD_MATCH.strip().upper(),
    )


async def current_rules(conn=None) -> Rules:
    query = DistributorSettings.filter(id=SETTINGS_ID)
    row = await (query.using_db(conn) if conn else query).first()
    if row is None:
        return default_rules()
    return Rules(row.mode, row.min_spent, row.min_paid_orders, row.match, row.updated_at, row.updated_by_id)


def _require_manager(grants: Grants) -> None:
    if not grants.has("distribution.manage"):
        raise DomainError(ErrorCode.FORBIDDEN, "This needs the distribution.manage permission.")


def validate_rules(mode: str, min_spent: int, min_paid_orders: int, match: str) -> Rules:
    if mode not in MODES:
        raise DomainError(ErrorCode.INVALID_INPUT, f"The mode must be one of {', '.join(MODES)}.", "mode")
    if match not in (ALL, ANY):
        raise DomainError(ErrorCode.INVALID_INPUT, "Match must be ALL or ANY.", "match")
    if not 0 <= min_spent <= 10**12:
        raise DomainError(ErrorCode.INVALID_AMOUNT, "The spending threshold must be 0 or more.", "minSpent")
    if not 0 <= min_paid_orders <= 1_000_000:
        raise DomainError(ErrorCode.INVALID_INPUT, "The paid-orders threshold must be 0 or more.", "minPaidOrders")
    if mode == THRESHOLD and not (min_spent or min_paid_orders):
        raise DomainError(ErrorCode.INVALID_INPUT, "THRESHOLD needs a spending or a paid-orders threshold.", "minSpent")
    return Rules(mode, min_spent, min_paid_orders, match)


async def update_settings(
    grants: Grants, actor_id: int, *, mode: str, min_spent: int, min_paid_orders: int, match: str
) -> Rules:
    """An admin sets how users become distributors (distribution.manage; audited). Switching
    away from AUTO does not grant anyone the role: users who earned under AUTO without it
    stop earning until they apply or an admin grants it."""
    _require_manager(grants)
    rules = validate_rules(mode, min_spent, min_paid_orders, match)
    async with unit_of_work() as conn:
        before = (await current_rules(conn)).values()
        updated = (
            await DistributorSettings.filter(id=SETTINGS_ID)
            .using_db(conn)
            .update(updated_by_id=actor_id, updated_at=clock.now(), **rules.values())
        )
        if not updated:
            try:
                async with unit_of_work() as inner:  # savepoint: a concurrent first save may win
                    await DistributorSettings.create(
                        id=SETTINGS_ID, updated_by_id=actor_id, using_db=inner, **rules.values()
                    )
            except IntegrityError:
                await (
                    DistributorSettings.filter(id=SETTINGS_ID)
                    .using_db(conn)
                    .update(updated_by_id=actor_id, updated_at=clock.now(), **rules.values())
                )
        await DistributorSettingsChange.create(actor_id=actor_id, before=before, after=rules.values(), using_db=conn)
    return await current_rules()


# --------------------------------------------------------------------------- who is a distributor


async def _role_id(conn=None) -> int | None:
    query = Role.filter(code=ROLE)
    rows = await (query.using_db(conn) if conn else query).values_list("id", flat=True)
    return rows[0] if rows else None


async def has_role(user_id: int, conn=None) -> bool:
    role_id = await _role_id(conn)
    if role_id is None:
        return False
    query = UserRole.filter(user_id=user_id, role_id=role_id, scope_id=0)
    return await (query.using_db(conn) if conn else query).exists()


def has_role_sql(user_id: str) -> str:
    """SQL: whether the user whose id is the SQL expression `user_id` holds the distributor role
    (platform-wide grant), for a statement that reads several users at once (the commission
    booking reads the upline chain so). Outside the AUTO mode only such users earn."""
    return (
        "EXISTS (SELECT 1 FROM access_user_role r JOIN access_role ro ON ro.id = r.role_id "
        f"WHERE r.user_id = {user_id} AND ro.code = '{ROLE}' AND r.scope_id = 0)"
    )


async def is_distributor(user_id: int) -> bool:
    return (await current_rules()).mode == AUTO or await has_role(user_id)


@dataclass(frozen=True)
class Spending:
    spent: int  # fen: paid orders' pay amount net of refunds
    paid_orders: int


async def spending(user_id: int, conn=None) -> Spending:
    query = (
        Order.filter(buyer_id=user_id, paid_at__isnull=False)
        .annotate(n=Count("id"), paid=Sum("pay_amount"), refunded=Sum("refunded_amount"))
        .values("n", "paid", "refunded")
    )
    rows = await (query.using_db(conn) if conn else query)
    row = rows[0] if rows else {}
    return Spending(int(row.get("paid") or 0) - int(row.get("refunded") or 0), int(row.get("n") or 0))


def missing(rules: Rules, have: Spending) -> list[str]:
    """What the applicant still lacks under THRESHOLD, as sentences; empty when accepted (pure)."""
    gaps = []
    if rules.min_spent and have.spent < rules.min_spent:
        gaps.append(f"spend {fen_to_decimal_string(rules.min_spent - have.spent)} more")
    if rules.min_paid_orders and have.paid_orders < rules.min_paid_orders:
        gaps.append(f"{rules.min_paid_orders - have.paid_orders} more paid order(s)")
    conditions = int(bool(rules.min_spent)) + int(bool(rules.min_paid_orders))
    if rules.match == ANY and len(gaps) < conditions:
        return []  # one condition met is enough
    return gaps


@dataclass(frozen=True)
class Status:
    mode: str
    is_distributor: bool
    application: DistributorApplication | None  # the latest one
    spending: Spending
    missing: list[str]  # THRESHOLD: what is still lacking


async def my_status(user_id: int) -> Status:
    rules = await current_rules()
    latest = await DistributorApplication.filter(user_id=user_id).order_by("-id").first()
    have = await spending(user_id)
    member = rules.mode == AUTO or await has_role(user_id)
    return Status(rules.mode, member, latest, have, [] if member or rules.mode != THRESHOLD else missing(rules, have))


# --------------------------------------------------------------------------- applying and reviewing


def _queue_changed() -> None:
    review_queues.changed(QUEUE)


async def pending_review_count() -> int:
    return await DistributorApplication.filter(status=PENDING).count()


# Its admin review queue; wiring.py registers it.
REVIEW = review_queues.ReviewQueue(
    QUEUE, "distribution.manage", "Distributor applications awaiting approval.", pending_review_count
)


async def apply(user_id: int) -> DistributorApplication:
    """Apply to become a distributor. Refusals change nothing: ALREADY_DISTRIBUTOR (AUTO
    mode, or the role is held), DISTRIBUTOR_APPLICATION_PENDING, DISTRIBUTOR_THRESHOLD_NOT_MET."""
    rules = await current_rules()
    if rules.mode == AUTO or await has_role(user_id):
        raise DomainError(ErrorCode.ALREADY_DISTRIBUTOR, "You are already a distributor.")
    if await DistributorApplication.filter(pending_user_id=user_id).exists():
        raise DomainError(ErrorCode.DISTRIBUTOR_APPLICATION_PENDING, "Your application is waiting for review.")
    have = await spending(user_id)
    if rules.mode == THRESHOLD:
        gaps = missing(rules, have)
        if gaps:
            raise DomainError(ErrorCode.DISTRIBUTOR_THRESHOLD_NOT_MET, "Not yet: " + " and ".join(gaps) + ".")
        async with unit_of_work() as conn:
            await _lock_user(conn, user_id)  # two racing applications: the second sees the role and stops
            if await has_role(user_id, conn):
                raise DomainError(ErrorCode.ALREADY_DISTRIBUTOR, "You are already a distributor.")
            application = await DistributorApplication.create(
                user_id=user_id,
                mode=THRESHOLD,
                status=APPROVED,
                spent=have.spent,
                paid_orders=have.paid_orders,
                reviewed_at=clock.now(),
                created_at=clock.now(),
                using_db=conn,
            )
            await _grant(user_id, None, conn)
        return application
    try:
        async with unit_of_work() as conn:
            application = await DistributorApplication.create(
                user_id=user_id,
                pending_user_id=user_id,
                mode=APPROVAL,
                status=PENDING,
                spent=have.spent,
                paid_orders=have.paid_orders,
                created_at=clock.now(),
                using_db=conn,
            )
            _queue_changed()
    except IntegrityError:  # a concurrent application won (one pending per user)
        raise DomainError(
            ErrorCode.DISTRIBUTOR_APPLICATION_PENDING, "Your application is waiting for review."
        ) from None
    return application


async def _lock_user(conn, user_id: int) -> None:
    if conn.capabilities.dialect == "postgres":
        await conn.execute_query(sql(conn, "SELECT id FROM account_user WHERE id = ? FOR UPDATE"), [user_id])


async def _grant(user_id: int, actor_id: int | None, conn) -> None:
    role_id = await _role_id(conn)
    if role_id is None:  # the catalogue is synced at start-up; be safe anyway
        await access.sync_catalog()
        role_id = await _role_id(conn)
    if not await UserRole.filter(user_id=user_id, role_id=role_id, scope_id=0).using_db(conn).exists():
        try:
            async with unit_of_work() as inner:  # savepoint: an admin may grant the role at the same moment
                await UserRole.create(
                    user_id=user_id, role_id=role_id, scope_id=0, granted_by_id=actor_id, using_db=inner
                )
        except IntegrityError:
            pass  # granted meanwhile: the outcome is the same


async def review(
    grants: Grants, actor_id: int, application_id: int, *, approve: bool, reason: str = ""
) -> DistributorApplication:
    """An admin decides a pending application (distribution.manage). Approving grants the
    distributor role; rejecting needs a reason (1-256 characters). The row records who,
    when and why; only a PENDING application can be decided (INVALID_TRANSITION)."""
    _require_manager(grants)
    reason = (reason or "").strip()
    if not approve and not 1 <= len(reason) <= 256:
        raise DomainError(ErrorCode.INVALID_INPUT, "A reason of 1 to 256 characters is required.", "reason")
    if len(reason) > 256:
        raise DomainError(ErrorCode.INVALID_INPUT, "The reason is at most 256 characters.", "reason")
    application = await DistributorApplication.get_or_none(id=application_id)
    if application is None:
        raise DomainError(ErrorCode.NOT_FOUND, "No such application.", "id")
    async with unit_of_work() as conn:
        await APPLICATION_STATES.apply(
            application,
            "approve" if approve else "reject",
            conn=conn,
            pending_user_id=None,
            reason=reason,
            reviewed_by_id=actor_id,
        )
        if application.status == APPROVED:
            await _grant(application.user_id, actor_id, conn)
        _queue_changed()
    return await DistributorApplication.get(id=application_id)


def applications(status: str | None = None):
    """The review queue (newest first by the caller's pagination)."""
    query = DistributorApplication.all()
    return query.filter(status=status) if status else query


async def users(ids) -> dict[int, User]:
    return {u.id: u for u in await User.filter(id__in=set(ids))}
