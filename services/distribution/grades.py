"""Member grades (DIS-6, MEM-4, CON-7 gift packs): the grade ladder is data (Grade rows,
seeded with V1..V3 on first use), each grade has upgrade rules (GradeRule: own sales,
team sales, direct or 3-level team size; every threshold of a rule must hold, any rule
of a grade is enough), and buying a gift pack sets the pack's grade.

Evaluation: when an order completes (the buyer and its three uplines: their own or team
sales changed), when a team member is bound (the three uplines: team size changed), and
by the worker job over every user in id batches. Automatic changes only go up (to the
highest grade whose rule holds); an admin may set any grade, with a reason.

Every change is one GradeChange row (source RULE / GIFT_PACK / ADMIN, the rule that fired
or the order line, the actor, the reason), written in the same transaction as the grade.
A change moves by a conditional UPDATE (`WHERE grade = <the grade read>`), so two
workers evaluating one user at once record the upgrade once: the loser changes nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from tortoise.exceptions import IntegrityError
from tortoise.expressions import Q, Subquery
from tortoise.functions import Sum

from models.accounts import User
from models.catalog import Product
from models.distribution import DistributionConfig
from models.grades import Grade, GradeChange, GradeRule, UserGrade
from models.orders import Order, OrderLine
from services.accounts.access import Grants
from services.core.errors import DomainError, ErrorCode
from services.core.events import emit, unit_of_work, user_channel
from services.distribution.events import GradeChanged
from services.orders import states as order_states
from services.orders.hooks import PaidOrder

RULE, GIFT_PACK, ADMIN = "RULE", "GIFT_PACK", "ADMIN"
TEAM_DEPTH = 3  # the team counted for team rules: three levels down (RISK-1's depth)
DEFAULT_GRADES = (("V1", "V1 会员", 1), ("V2", "V2 会员", 2), ("V3", "V3 会员", 3))
CODE = re.compile(r"^[A-Z][A-Z0-9_]{0,15}$")
MAX_THRESHOLD = 10**12
MAX_RULES = 10


def _q(query, conn):
    return query.using_db(conn) if conn is not None else query


# --------------------------------------------------------------------------- the ladder


async def ensure_seeded(conn=None) -> None:
    """The first use of an empty ladder creates V1..V3 (a concurrent first use may win)."""
    if await _q(Grade.all(), conn).exists():
        return
    for code, name, rank in DEFAULT_GRADES:
        try:
            async with unit_of_work() as inner:  # a savepoint inside the caller's transaction
                await Grade.create(code=code, name=name, rank=rank, using_db=inner)
        except IntegrityError:
            pass


async def ladder(conn=None) -> list[Grade]:
    """Every grade, lowest rank first."""
    await ensure_seeded(conn)
    return list(await _q(Grade.all(), conn).order_by("rank"))


async def codes(conn=None) -> list[str]:
    return [g.code for g in await ladder(conn)]


async def ranks(conn=None) -> dict[str, int]:
    return {g.code: g.rank for g in await ladder(conn)}


def _require(grants: Grants) -> None:
    if not grants.has("grades.manage"):
        raise DomainError(ErrorCode.FORBIDDEN, "This needs the grades.manage permission.")


@dataclass(frozen=True)
class RuleData:
    own_sales_min: int | None = None
    team_sales_min: int | None = None
    direct_members_min: int | None = None
    team_members_min: int | None = None


@dataclass(frozen=True)
class GradeData:
    code: str
    name: str
    rank: int
    description: str = ""
    rules: tuple[RuleData, ...] = ()


def _clean(data: GradeData) -> dict:
    code = (data.code or "").strip().upper()
    if not CODE.match(code):
        raise DomainError(
            ErrorCode.INVALID_INPUT, "A grade code is 1-16 capital letters, digits or '_', a letter first.", "code"
        )
    name = (data.name or "").strip()
    if not 1 <= len(name) <= 32:
        raise DomainError(ErrorCode.INVALID_INPUT, "A name of 1 to 32 characters is required.", "name")
    if not isinstance(data.rank, int) or not 1 <= data.rank <= 1000:
        raise DomainError(ErrorCode.INVALID_INPUT, "The rank is 1 to 1000 (higher is a higher grade).", "rank")
    description = (data.description or "").strip()
    if len(description) > 256:
        raise DomainError(ErrorCode.INVALID_INPUT, "The description is at most 256 characters.", "description")
    if len(data.rules) > MAX_RULES:
        raise DomainError(ErrorCode.INVALID_GRADE_RULE, f"At most {MAX_RULES} rules per grade.", "rules")
    rules = []
    for i, rule in enumerate(data.rules):
        values = {
            "own_sales_min": rule.own_sales_min,
            "team_sales_min": rule.team_sales_min,
            "direct_members_min": rule.direct_members_min,
            "team_members_min": rule.team_members_min,
        }
        if all(v is None for v in values.values()):
            raise DomainError(ErrorCode.INVALID_GRADE_RULE, "A rule sets at least one threshold.", f"rules[{i}]")
        for value in values.values():
            if value is not None and (
                not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= MAX_THRESHOLD
            ):
                raise DomainError(
                    ErrorCode.INVALID_GRADE_RULE, "Thresholds are whole numbers of at least 1.", f"rules[{i}]"
                )
        rules.append(values)
    return {"code": code, "name": name, "rank": data.rank, "description": description, "rules": rules}


async def _check_unique(values: dict, grade_id: int | None, conn) -> None:
    same_code = _q(Grade.filter(code=values["code"]), conn)
    same_rank = _q(Grade.filter(rank=values["rank"]), conn)
    if grade_id is not None:
        same_code, same_rank = same_code.exclude(id=grade_id), same_rank.exclude(id=grade_id)
    if await same_code.exists():
        raise DomainError(ErrorCode.DUPLICATE_GRADE_CODE, f"There is already a grade {values['code']}.", "code")
    if await same_rank.exists():
        raise DomainError(ErrorCode.DUPLICATE_GRADE_RANK, f"Another grade has rank {values['rank']}.", "rank")


async def _write_rules(grade_id: int, rules: list[dict], conn) -> None:
    await GradeRule.filter(grade_id=grade_id).using_db(conn).delete()
    if rules:
        await GradeRule.bulk_create([GradeRule(grade_id=grade_id, **r) for r in rules], using_db=conn)


async def create_grade(grants: Grants, data: GradeData) -> Grade:
    _require(grants)
    values = _clean(data)
    await ensure_seeded()
    try:
        async with unit_of_work() as conn:
            await _check_unique(values, None, conn)
            rules = values.pop("rules")
            grade = await Grade.create(**values, using_db=conn)
            await _write_rules(grade.id, rules, conn)
    except IntegrityError:  # a concurrent create took the code or rank
        raise DomainError(ErrorCode.DUPLICATE_GRADE_CODE, "That grade code or rank was just taken.", "code") from None
    return grade


async def _in_use(code: str, conn) -> bool:
    if await UserGrade.filter(grade=code).using_db(conn).exists():
        return True
    if await Product.filter(gift_grade=code).using_db(conn).exists():
        return True
    rows = await DistributionConfig.all().using_db(conn).values_list("grade_rules", flat=True)
    return any(code in (r or {}) for r in rows)


async def update_grade(grants: Grants, grade_id: int, data: GradeData) -> Grade:
    """Rename, re-rank, re-describe a grade and replace its rules. The code of a grade in
    use (held by a user, granted by a gift pack, named by a commission rule) is kept."""
    _require(grants)
    values = _clean(data)
    try:
        async with unit_of_work() as conn:
            grade = await Grade.filter(id=grade_id).using_db(conn).first()
            if grade is None:
                raise DomainError(ErrorCode.NOT_FOUND, "No such grade.", "id")
            await _check_unique(values, grade.id, conn)
            if values["code"] != grade.code and await _in_use(grade.code, conn):
                raise DomainError(ErrorCode.GRADE_IN_USE, f"{grade.code} is in use: its code cannot change.", "code")
            rules = values.pop("rules")
            await Grade.filter(id=grade.id).using_db(conn).update(**values)
            await _write_rules(grade.id, rules, conn)
    except IntegrityError:
        raise DomainError(ErrorCode.DUPLICATE_GRADE_CODE, "That grade code or rank was just taken.", "code") from None
    return await Grade.get(id=grade_id)


async def delete_grade(grants: Grants, grade_id: int) -> None:
    _require(grants)
    async with unit_of_work() as conn:
        grade = await Grade.filter(id=grade_id).using_db(conn).first()
        if grade is None:
            raise DomainError(ErrorCode.NOT_FOUND, "No such grade.", "id")
        if await _in_use(grade.code, conn):
            raise DomainError(
                ErrorCode.GRADE_IN_USE,
                f"{grade.code} is held by users or named by gift packs or commission rules.",
                "id",
            )
        if await Grade.all().using_db(conn).count() <= 1:
            raise DomainError(ErrorCode.GRADE_IN_USE, "The ladder keeps at least one grade.", "id")
        await Grade.filter(id=grade.id).using_db(conn).delete()


async def rules_of(grade_ids: list[int], conn=None) -> dict[int, list[GradeRule]]:
    by: dict[int, list[GradeRule]] = {i: [] for i in grade_ids}
    for rule in await _q(GradeRule.filter(grade_id__in=grade_ids), conn).order_by("id"):
        by[rule.grade_id].append(rule)
    return by


# --------------------------------------------------------------------------- a user's grade


async def grade_of(user_id: int, conn=None) -> str:
    rows = await _q(UserGrade.filter(user_id=user_id), conn).values_list("grade", flat=True)
    return rows[0] if rows else ""


async def set_grade(
    user_id: int,
    grade: str,
    *,
    source: str,
    reference_id: str = "",
    actor_id: int | None = None,
    rule_id: int | None = None,
    reason: str = "",
    conn,
    expected: str | None = None,
) -> bool:
    """Set the grade and record the change, inside the caller's transaction. `expected`:
    the grade read before deciding (default: read now); if another transaction changed it
    meanwhile, nothing is written and False is returned."""
    current = await grade_of(user_id, conn) if expected is None else expected
    if current == grade:
        return False
    if current:
        moved = await UserGrade.filter(user_id=user_id, grade=current).using_db(conn).update(grade=grade)
    else:
        try:
            async with unit_of_work() as inner:
                await UserGrade.create(user_id=user_id, grade=grade, using_db=inner)
            moved = 1
        except IntegrityError:  # someone else gave the first grade meanwhile
            moved = 0
    if not moved:
        return False
    await GradeChange.create(
        user_id=user_id,
        from_grade=current,
        to_grade=grade,
        source=source,
        reference_id=reference_id,
        actor_id=actor_id,
        rule_id=rule_id,
        reason=reason[:256],
        using_db=conn,
    )
    emit(user_channel(user_id), GradeChanged(grade))
    return True


async def admin_set_grade(grants: Grants, actor_id: int, user_id: int, code: str, reason: str) -> str:
    """An admin sets a user's grade (up or down), with a reason; audited as ADMIN."""
    _require(grants)
    reason = (reason or "").strip()
    if not 1 <= len(reason) <= 256:
        raise DomainError(ErrorCode.INVALID_INPUT, "A reason of 1 to 256 characters is required.", "reason")
    code = (code or "").strip().upper()
    if code not in await codes():
        raise DomainError(ErrorCode.NOT_FOUND, f"No grade {code!r}.", "grade")
    if not await User.exists(id=user_id):
        raise DomainError(ErrorCode.NOT_FOUND, "No such user.", "userId")
    async with unit_of_work() as conn:
        if conn.capabilities.dialect == "postgres":
            await UserGrade.filter(user_id=user_id).using_db(conn).select_for_update().values_list("id", flat=True)
        await set_grade(user_id, code, source=ADMIN, actor_id=actor_id, reason=reason, conn=conn)
    return code


def history(user_id: int):
    return GradeChange.filter(user_id=user_id)


# --------------------------------------------------------------------------- gift packs (MEM-4)


async def apply_gift_packs(paid: PaidOrder, conn) -> None:
    """A paid order with a gift pack raises the buyer's grade to the pack's (never lowers it)."""
    order = paid.order
    lines = paid.lines_in(("GIFT_PACK",))
    if not lines:
        return
    rank = await ranks(conn)
    grades = {ln.product_id: paid.products[ln.product_id].gift_grade for ln in lines}  # read by the payment
    best = max(lines, key=lambda ln: rank.get(grades.get(ln.product_id, ""), -1))
    target = grades.get(best.product_id, "")
    current = await grade_of(order.buyer_id, conn)
    if rank.get(target, -1) > rank.get(current, -1):
        await set_grade(
            order.buyer_id, target, source=GIFT_PACK, reference_id=str(best.id), conn=conn, expected=current
        )


# --------------------------------------------------------------------------- rules (DIS-6)


@dataclass(frozen=True)
class Metrics:
    own_sales: int  # fen, completed orders, net of refunds
    team_sales: int
    direct_members: int
    team_members: int


async def team_levels(user_id: int, conn=None) -> list[list[int]]:
    """The user's team, one id list per level (1 = directly bound), three levels."""
    levels: list[list[int]] = []
    frontier, seen = [user_id], {user_id}
    for _ in range(TEAM_DEPTH):
        if not frontier:
            break
        ids = [
            i for i in await _q(User.filter(upline_id__in=frontier), conn).values_list("id", flat=True) if i not in seen
        ]
        seen.update(ids)
        levels.append(ids)
        frontier = ids
    return levels


async def _sales(buyer_ids: list[int], conn) -> int:
    if not buyer_ids:
        return 0
    rows = (
        await _q(OrderLine.filter(order__buyer_id__in=buyer_ids, order__status=order_states.COMPLETED), conn)
        .annotate(a=Sum("amount"), r=Sum("refunded_amount"))
        .values_list("a", "r")
    )
    return sum(int(a or 0) - int(r or 0) for a, r in rows)


async def metrics(user_id: int, conn=None, needed: frozenset[str] | None = None) -> Metrics:
    """The user's figures; `needed` (metric names): only those are counted, the others are 0."""

    def wanted(name: str) -> bool:
        return needed is None or name in needed

    team_needed = any(wanted(n) for n in ("team_sales", "direct_members", "team_members"))
    levels = await team_levels(user_id, conn) if team_needed else []
    team = [i for level in levels for i in level]
    return Metrics(
        own_sales=await _sales([user_id], conn) if wanted("own_sales") else 0,
        team_sales=await _sales(team, conn) if wanted("team_sales") else 0,
        direct_members=len(levels[0]) if levels else 0,
        team_members=len(team),
    )


REQUIREMENTS = (  # (kind, rule field, metrics field)
    ("OWN_SALES", "own_sales_min", "own_sales"),
    ("TEAM_SALES", "team_sales_min", "team_sales"),
    ("DIRECT_MEMBERS", "direct_members_min", "direct_members"),
    ("TEAM_MEMBERS", "team_members_min", "team_members"),
)


@dataclass(frozen=True)
class Requirement:
    kind: str
    required: int
    current: int

    @property
    def missing(self) -> int:
        return max(self.required - self.current, 0)


def requirements(rule: GradeRule, m: Metrics) -> list[Requirement]:
    return [
        Requirement(kind, getattr(rule, field), getattr(m, attr))
        for kind, field, attr in REQUIREMENTS
        if getattr(rule, field) is not None
    ]


def holds(rule: GradeRule, m: Metrics) -> bool:
    return all(r.missing == 0 for r in requirements(rule, m))


async def evaluate(
    user_id: int, conn, rules_by_grade: tuple[list[Grade], dict[int, list[GradeRule]]] | None = None
) -> str | None:
    """Raise the user to the highest grade above theirs whose rule holds (inside `conn`).
    Returns the new grade, or None when nothing changed. `rules_by_grade`: the ladder and
    its rules, when the caller (the job) has read them once for many users."""
    grades, all_rules = rules_by_grade or (await ladder(conn), None)
    current = await grade_of(user_id, conn)
    rank = {g.code: g.rank for g in grades}
    above = [g for g in grades if g.rank > rank.get(current, 0)]
    if not above:
        return None
    rules = (
        {g.id: all_rules.get(g.id, []) for g in above}
        if all_rules is not None
        else await rules_of([g.id for g in above], conn)
    )
    if not any(rules.values()):
        return None
    needed = frozenset(
        attr for rs in rules.values() for r in rs for _, field, attr in REQUIREMENTS if getattr(r, field) is not None
    )
    m = await metrics(user_id, conn, needed)
    for grade in sorted(above, key=lambda g: -g.rank):
        fired = next((r for r in rules[grade.id] if holds(r, m)), None)
        if fired is not None:
            if await set_grade(user_id, grade.code, source=RULE, rule_id=fired.id, conn=conn, expected=current):
                return grade.code
            return None
    return None


async def _uplines(user_id: int, conn, depth: int = TEAM_DEPTH) -> list[int]:
    found, current = [], user_id
    for _ in range(depth):
        rows = await _q(User.filter(id=current), conn).values_list("upline_id", flat=True)
        if not rows or rows[0] is None or rows[0] in found or rows[0] == user_id:
            break
        current = rows[0]
        found.append(current)
    return found


async def _any_rules(conn) -> bool:
    return await _q(GradeRule.all(), conn).exists()


async def on_completed(order: Order, conn) -> None:
    """COMPLETED step: the buyer's own sales and its uplines' team sales grew."""
    if not await _any_rules(conn):
        return
    for user_id in [order.buyer_id, *await _uplines(order.buyer_id, conn)]:
        await evaluate(user_id, conn)


async def on_team_member_added(user_id: int, conn) -> None:
    """A user was bound under an upline: the uplines' team sizes grew."""
    if not await _any_rules(conn):
        return
    for upline in await _uplines(user_id, conn):
        await evaluate(upline, conn)


def _candidates():
    """Users a rule could raise: someone's upline (team rules) or a buyer of a completed
    order (own-sales rules). Everybody else has nothing to count."""
    uplines = Subquery(User.filter(upline_id__isnull=False).values("upline_id"))
    buyers = Subquery(Order.filter(status=order_states.COMPLETED).values("buyer_id"))
    return User.filter(Q(id__in=uplines) | Q(id__in=buyers), is_active=True)


async def evaluate_batch(after_id: int = 0, limit: int = 500) -> tuple[int, int, int | None]:
    """Worker job step: evaluate the next `limit` candidates with id > after_id, each in its
    own short transaction. Returns (users evaluated, upgrades, last id or None when done).
    Safe on two workers at once: an upgrade is a conditional UPDATE, the slower worker
    records nothing."""
    ids = await _candidates().filter(id__gt=after_id).order_by("id").limit(limit).values_list("id", flat=True)
    grades = await ladder()
    known = (grades, await rules_of([g.id for g in grades]))  # read once per batch
    upgraded = 0
    for user_id in ids:
        async with unit_of_work() as conn:
            if await evaluate(user_id, conn, known):
                upgraded += 1
    return len(ids), upgraded, (ids[-1] if len(ids) == limit else None)


async def evaluate_all(batch: int = 500) -> tuple[int, int]:
    """Every candidate, batch by batch (nothing to do while no grade has a rule)."""
    if not await _any_rules(None):
        return 0, 0
    seen = upgraded = 0
    last: int | None = 0
    while last is not None:
        n, up, last = await evaluate_batch(last, batch)
        seen, upgraded = seen + n, upgraded + up
    return seen, upgraded


# --------------------------------------------------------------------------- progress


@dataclass(frozen=True)
class RuleProgress:
    rule_id: int
    requirements: list[Requirement]

    @property
    def met(self) -> bool:
        return all(r.missing == 0 for r in self.requirements)


@dataclass(frozen=True)
class MyGrade:
    grade: Grade | None
    next_grade: Grade | None
    progress: list[RuleProgress]  # towards next_grade: one entry per rule
    metrics: Metrics


async def my_grade(user_id: int) -> MyGrade:
    grades = await ladder()
    current = await grade_of(user_id)
    by_code = {g.code: g for g in grades}
    held = by_code.get(current)
    above = [g for g in grades if g.rank > (held.rank if held else 0)]
    nxt = above[0] if above else None
    m = await metrics(user_id)
    progress = []
    if nxt is not None:
        for rule in (await rules_of([nxt.id]))[nxt.id]:
            progress.append(RuleProgress(rule.id, requirements(rule, m)))
    return MyGrade(held, nxt, progress, m)
