"""The distributor centre (DIS-5), for the signed-in distributor: team per level,
performance and promotion statistics by period, invite link and its QR code, and the
tracking link's clicks. Commission records are services.distribution.commissions.my_commissions.

Team: level 1 are the users whose upline I am, level 2 their downlines, level 3 theirs
(the upline tree as it is now; at most three levels, RISK-1). Members are shown with a
masked name (services.core.masking), when they joined (bound), and their paid orders.

Periods: business days, ISO weeks and calendar months, exactly as the consignment
statistics (services.consignment.stats: `day_sql`, `buckets`, `check_range`). Each figure
is one grouped SQL query per source over the requested range; days are rolled up here.

Figures, per bucket:
- performance: `team_orders` / `team_goods` — paid orders of my team (levels 1..3 now), by
  the day they were paid, and their goods amount (shipping excluded, before refunds);
  `commission_booked` — my commissions booked that day (their amount when booked);
  `commission_released` — my commissions released to the wallet that day (net of any
  refund reversal so far).
- promotion: `clicks` on my tracking link; `sign_ups` — users bound to me through my code
  (sign-up, link or first order: services.accounts.referral records an InviteSignup; admin
  rebindings are not sign-ups); `buyers` — of that bucket's sign-ups, those who have paid
  at least one order by now (a cohort); `orders` — paid orders that day by anyone who signed
  up through my code. Conversion: sign-ups / clicks and buyers / sign-ups (null when the
  denominator is 0), in basis points rounded down (10000 = 100 %; the schema has no floats).

Cost (indexes): team counts and pages walk `account_user.upline_id` (index) one join per
level; a team page is two queries whatever its length (the page, then one grouped query
for its members' orders by `orders.buyer_id`). Performance is three grouped queries
(orders by buyer id over the team subquery; commission by `beneficiary_id`); promotion four
(`distributor_invite_click (distributor_id, created_at)`, `distributor_invite_signup
(upline_id, created_at)`). Each reads only my rows within the range.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import segno
from tortoise import connections
from tortoise.functions import Count, Sum

import settings
from models.accounts import User
from models.distributors import InviteClick
from models.orders import Order
from services.accounts import referral
from services.core import clock, global_ids, qr
from services.core.business_days import bucket_start, buckets, check_range, day_sql, day_start
from services.core.errors import DomainError, ErrorCode
from services.core.masking import mask_name
from services.core.pagination import paginate
from services.core.sensitive import blind_index
from services.core.sql import sql
from services.distribution import distributors
from services.marketing import materials

LEVELS = (1, 2, 3)


async def require_distributor(user_id: int) -> None:
    if not await distributors.is_distributor(user_id):
        raise DomainError(ErrorCode.NOT_A_DISTRIBUTOR, "The distributor centre is for distributors: apply first.")


# --------------------------------------------------------------------------- team


def level_filter(user_id: int, level: int) -> dict:
    """Tortoise filter for my team members at `level` (one join per level above 1)."""
    if level not in LEVELS:
        raise DomainError(ErrorCode.INVALID_INPUT, "The level must be 1, 2 or 3.", "level")
    return {"__".join(["upline"] * (level - 1) + ["upline_id"]): user_id}


async def team_counts(user_id: int) -> dict[int, int]:
    """Members per level (three count queries over the upline index)."""
    return {level: await User.filter(**level_filter(user_id, level)).count() for level in LEVELS}


@dataclass(frozen=True)
class Member:
    id: int  # the member's user id (cursor); not exposed as an identity in the API
    level: int
    masked_name: str
    joined_at: Any
    paid_orders: int
    paid_amount: int  # fen: pay amount net of refunds


async def team_page(user_id: int, level: int, first: int, after: str | None):
    """A page of my members at `level`, newest first: two queries whatever the page size."""
    page = await paginate(User.filter(**level_filter(user_id, level)), first, after)
    ids = [u.id for u in page.items]
    totals: dict[int, dict] = {}
    if ids:
        rows = await (
            Order.filter(buyer_id__in=ids, paid_at__isnull=False)
            .group_by("buyer_id")
            .annotate(n=Count("id"), paid=Sum("pay_amount"), refunded=Sum("refunded_amount"))
            .values("buyer_id", "n", "paid", "refunded")
        )
        totals = {r["buyer_id"]: r for r in rows}
    items = []
    for user in page.items:
        row = totals.get(user.id, {})
        items.append(
            Member(
                user.id,
                level,
                mask_name(user.nickname),
                user.upline_bound_at or user.created_at,
                int(row.get("n") or 0),
                int(row.get("paid") or 0) - int(row.get("refunded") or 0),
            )
        )
    page.items = items
    return page


# --------------------------------------------------------------------------- periods


def _int(value: Any) -> int:
    return int(value or 0)


def _day(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


TEAM_SQL = (
    "SELECT id FROM account_user WHERE upline_id = ? "
    "UNION ALL SELECT c.id FROM account_user c JOIN account_user p ON c.upline_id = p.id WHERE p.upline_id = ? "
    "UNION ALL SELECT c.id FROM account_user c JOIN account_user p ON c.upline_id = p.id "
    "JOIN account_user g ON p.upline_id = g.id WHERE g.upline_id = ?"
)


async def _grouped(queries: list[tuple[str, list]], first: date, last: date) -> dict[date, dict[str, int]]:
    """Run grouped-by-day queries over [first, last]: `{column}` in their text becomes the
    business day of that column (per dialect); the range bounds are the last parameters."""
    conn = connections.get("default")
    dialect = conn.capabilities.dialect
    bounds = [day_start(first), day_start(last + timedelta(days=1))]
    found: dict[date, dict[str, int]] = {}
    for text, params in queries:
        text = re.sub(r"\{([a-z_.]+)\}", lambda m: day_sql(dialect, m.group(1)), text)
        for row in await conn.execute_query_dict(sql(conn, text), [*params, *bounds]):
            values = found.setdefault(_day(row.pop("day")), {})
            values.update({key: _int(value) for key, value in row.items()})
    return found


def _roll_up(
    period: str, first: date, last: date, days: dict[date, dict[str, int]]
) -> list[tuple[date, date, dict[str, int]]]:
    spans = buckets(period, first, last)
    index = {bucket_start(start, period): i for i, (start, _) in enumerate(spans)}
    sums: list[dict[str, int]] = [{} for _ in spans]
    for day, values in days.items():
        target = sums[index[bucket_start(day, period)]]
        for key, value in values.items():
            target[key] = target.get(key, 0) + value
    return [(start, end, values) for (start, end), values in zip(spans, sums, strict=True)]


@dataclass(frozen=True)
class Performance:
    first: date
    last: date
    team_orders: int = 0
    team_goods: int = 0
    commission_booked: int = 0
    commission_released: int = 0


async def performance(user_id: int, period: str, first: date, last: date) -> list[Performance]:
    check_range(period, first, last)
    queries = [
        (
            "SELECT {o.paid_at} AS day, COUNT(*) AS team_orders, SUM(o.goods_amount) AS team_goods FROM orders o "
            f"WHERE o.buyer_id IN ({TEAM_SQL}) AND o.paid_at >= ? AND o.paid_at < ? GROUP BY {{o.paid_at}}",
            [user_id] * 3,
        ),
        (
            "SELECT {created_at} AS day, SUM(amount) AS commission_booked FROM commission "
            "WHERE beneficiary_id = ? AND created_at >= ? AND created_at < ? GROUP BY {created_at}",
            [user_id],
        ),
        (
            "SELECT {available_at} AS day, SUM(amount - reversed_amount) AS commission_released FROM commission "
            "WHERE beneficiary_id = ? AND available_at >= ? AND available_at < ? GROUP BY {available_at}",
            [user_id],
        ),
    ]
    days = await _grouped(queries, first, last)
    return [Performance(start, end, **values) for start, end, values in _roll_up(period, first, last, days)]


class _Conversion:
    """The rates of a promotion funnel (clicks → sign-ups → buyers), for its figures below."""

    clicks: int
    sign_ups: int
    buyers: int

    @property
    def sign_up_rate_bp(self) -> int | None:
        """Sign-ups / clicks in basis points (10000 = 100 %, rounded down); None without clicks."""
        return self.sign_ups * 10_000 // self.clicks if self.clicks else None

    @property
    def buyer_rate_bp(self) -> int | None:
        """Buyers / sign-ups in basis points (rounded down); None without sign-ups."""
        return self.buyers * 10_000 // self.sign_ups if self.sign_ups else None


@dataclass(frozen=True)
class Promotion(_Conversion):
    first: date
    last: date
    clicks: int = 0
    sign_ups: int = 0
    buyers: int = 0
    orders: int = 0
    order_goods: int = 0


async def promotion(user_id: int, period: str, first: date, last: date) -> list[Promotion]:
    check_range(period, first, last)
    queries = [
        (
            "SELECT {created_at} AS day, COUNT(*) AS clicks FROM distributor_invite_click "
            "WHERE distributor_id = ? AND created_at >= ? AND created_at < ? GROUP BY {created_at}",
            [user_id],
        ),
        (
            "SELECT {s.created_at} AS day, COUNT(*) AS sign_ups, "
            "SUM(CASE WHEN EXISTS (SELECT 1 FROM orders o WHERE o.buyer_id = s.user_id AND o.paid_at IS NOT NULL) THEN 1 ELSE 0 END) AS buyers "
            "FROM distributor_invite_signup s WHERE s.upline_id = ? AND s.created_at >= ? AND s.created_at < ? "
            "GROUP BY {s.created_at}",
            [user_id],
        ),
        (
            "SELECT {o.paid_at} AS day, COUNT(*) AS orders, SUM(o.goods_amount) AS order_goods FROM orders o "
            "JOIN distributor_invite_signup s ON s.user_id = o.buyer_id "
            "WHERE s.upline_id = ? AND o.paid_at >= ? AND o.paid_at < ? GROUP BY {o.paid_at}",
            [user_id],
        ),
    ]
    days = await _grouped(queries, first, last)
    return [Promotion(start, end, **values) for start, end, values in _roll_up(period, first, last, days)]


def total(rows: list, cls):
    """The sum of buckets as one figure of the same kind, over the whole range."""
    if not rows:
        return None
    names = [n for n in cls.__dataclass_fields__ if n not in ("first", "last")]
    return cls(rows[0].first, rows[-1].last, **{n: sum(getattr(r, n) for r in rows) for n in names})


# --------------------------------------------------------------------------- invite link, QR code, clicks


@dataclass(frozen=True)
class Invite:
    code: str
    url: str  # the tracking link to share
    qr_png_url: str
    qr_svg_url: str
    signup_url: str  # where the tracking link leads


def _base() -> str:
    return settings.PUBLIC_BASE_URL.rstrip("/")


def invite_url(code: str) -> str:
    return f"{_base()}/r/{code}"


def signup_url(code: str) -> str:
    return settings.STOREFRONT_SIGNUP_URL.replace("{code}", code)


# What a tracked link may lead to besides sign-up (share posters, MKT-5): the query parameter,
# the global id type it carries and the setting of the storefront page it opens.
LINK_TARGETS = {"product": ("Product", "STOREFRONT_PRODUCT_URL"), "flash": ("FlashItem", "STOREFRONT_FLASH_URL")}


def tracked_url(code: str, target: str | None = None, pk: int | None = None) -> str:
    """The distributor's tracking link; with a target (`product`, `flash`) and its key, the same
    link leading to that page: `/r/{code}?product={global id}`. Its visits count as clicks."""
    if target is None:
        return invite_url(code)
    return f"{invite_url(code)}?{target}={global_ids.encode(LINK_TARGETS[target][0], pk)}"


def _landing(code: str, params: dict[str, str]) -> str:
    """Where a visit goes: the target page when the link names a well-formed one, else sign-up."""
    for target, (type_name, setting) in LINK_TARGETS.items():
        value = params.get(target)
        decoded = global_ids.decode(value) if isinstance(value, str) and len(value) <= 64 else None
        if decoded is not None and decoded[0] == type_name:
            return getattr(settings, setting).replace("{code}", code).replace("{id}", value)
    return signup_url(code)


def invite_for(user: User, material_id: int | None = None) -> Invite:
    """My invite link, or (with a material) the same tracking link carrying the material
    (MKT-5): its code is `CODE-M{id}` everywhere (link, QR code, sign-up)."""
    code = referral.reference(user.invite_code, material_id)
    return Invite(
        code, invite_url(code), f"{_base()}/qr/invite/{code}.png", f"{_base()}/qr/invite/{code}.svg", signup_url(code)
    )


async def share_link(user: User, material_id: int) -> Invite:
    """The signed-in distributor's tracking link for a published material (NOT_A_DISTRIBUTOR,
    NOT_FOUND)."""
    await require_distributor(user.id)
    row = await materials.get_published(material_id)
    return invite_for(user, row.id)


def _qr(code: str):
    return segno.make(invite_url(code), error="m")


def qr_png(code: str, scale: int = 8) -> bytes:
    return qr.png(invite_url(code), scale)


def qr_svg(code: str, scale: int = 8) -> str:
    return qr.svg(invite_url(code), scale)


def qr_svg_data_uri(code: str) -> str:
    return _qr(code).svg_data_uri(scale=4, border=2)


def normal_code(code: str) -> str | None:
    """An invite code as typed in a URL, upper-cased; None when it cannot be one."""
    code = (code or "").strip().upper()
    return code if 4 <= len(code) <= 12 and code.isalnum() and code.isascii() else None


async def owner_of(code: str) -> User | None:
    """The owner of an invite code as shared (a material it carries is not looked at)."""
    code = normal_code(referral.split_reference(code)[0])
    return await User.get_or_none(invite_code=code, is_active=True) if code else None


async def shared(code: str) -> tuple[User, str] | None:
    """(the owner, the code to send on: with the material when it carries an existing one) of
    an invite code as shared; None for an unknown code."""
    owner = await owner_of(code)
    if owner is None:
        return None
    return owner, referral.reference(owner.invite_code, await referral.shared_material(code))


async def record_click(code: str, ip: str, user_agent: str, params: dict[str, str] | None = None) -> str | None:
    """A visit of `/r/{code}` (the code may carry a material: `CODE-M{id}`): record it, with
    the material (keyed hash of IP + user agent, never the raw IP), and answer where to send
    the visitor (the sign-up with the same code, or the product / flash page a poster's link
    names in `params`); None (nothing recorded) for an unknown code."""
    found = await shared(code)
    if found is None:
        return None
    owner, sent = found
    await InviteClick.create(
        distributor_id=owner.id,
        code=owner.invite_code,
        material_id=referral.split_reference(sent)[1],
        visitor_hash=blind_index(f"{ip}|{user_agent[:256]}"),
        created_at=clock.now(),
    )
    return _landing(sent, params or {})


# --------------------------------------------------------------------------- per material (MKT-5)


@dataclass(frozen=True)
class MaterialFigures(_Conversion):
    material_id: int
    clicks: int = 0
    sign_ups: int = 0
    buyers: int = 0
    orders: int = 0
    order_goods: int = 0


async def material_figures(
    first: date, last: date, *, distributor_id: int | None = None, merchant_ids: list[int] | None = None
) -> list[MaterialFigures]:
    """The promotion figures (as `promotion`) per material over [first, last]: clicks on links
    carrying it, sign-ups through them, their buyers (a cohort), orders paid in the range by
    those who signed up through it and their goods amount. One distributor's own
    (`distributor_id`), or across distributors; `merchant_ids`: only those merchants'
    materials (None: every material). Three grouped queries; materials with figures only,
    most clicked first."""
    check_range("MONTH", first, last)
    where, params = "", []
    if distributor_id is not None:
        where += " AND {who} = ?"
        params.append(distributor_id)
    if merchant_ids is not None:
        if not merchant_ids:
            return []
        marks = ", ".join("?" * len(merchant_ids))
        where += f" AND {{mat}} IN (SELECT id FROM material WHERE merchant_id IN ({marks}))"
        params += merchant_ids
    clicks = where.replace("{who}", "c.distributor_id").replace("{mat}", "c.material_id")
    signups = where.replace("{who}", "s.upline_id").replace("{mat}", "s.material_id")
    queries = [
        "SELECT c.material_id AS material_id, COUNT(*) AS clicks FROM distributor_invite_click c "
        f"WHERE c.material_id IS NOT NULL{clicks} AND c.created_at >= ? AND c.created_at < ? GROUP BY c.material_id",
        "SELECT s.material_id AS material_id, COUNT(*) AS sign_ups, "
        "SUM(CASE WHEN EXISTS (SELECT 1 FROM orders o WHERE o.buyer_id = s.user_id AND o.paid_at IS NOT NULL) THEN 1 ELSE 0 END) AS buyers "
        f"FROM distributor_invite_signup s WHERE s.material_id IS NOT NULL{signups} "
        "AND s.created_at >= ? AND s.created_at < ? GROUP BY s.material_id",
        "SELECT s.material_id AS material_id, COUNT(*) AS orders, SUM(o.goods_amount) AS order_goods FROM orders o "
        "JOIN distributor_invite_signup s ON s.user_id = o.buyer_id "
        f"WHERE s.material_id IS NOT NULL{signups} AND o.paid_at >= ? AND o.paid_at < ? GROUP BY s.material_id",
    ]
    conn = connections.get("default")
    bounds = [day_start(first), day_start(last + timedelta(days=1))]
    found: dict[int, dict[str, int]] = {}
    for text in queries:
        for row in await conn.execute_query_dict(sql(conn, text), [*params, *bounds]):
            values = found.setdefault(int(row.pop("material_id")), {})
            values.update({key: _int(value) for key, value in row.items()})
    figures = [MaterialFigures(material_id, **values) for material_id, values in found.items()]
    return sorted(figures, key=lambda f: (-f.clicks, -f.orders, -f.material_id))
