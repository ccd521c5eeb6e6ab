"""Distributor leaderboards by period (DIS-5): top distributors by commission booked and by
new team members in a business day, ISO week or calendar month (services.consignment.stats
days). Names are masked (services.core.masking); ties go to the smaller user id (the earlier
account), so the order is stable.

- COMMISSION: the sum of commissions booked in the period (`commission.created_at`, their
  amount when booked; later refunds do not move a past leaderboard).
- NEW_MEMBERS: users bound through the distributor's invite code in the period
  (`distributor_invite_signup`; admin rebindings do not count).
When the distributor mode is not AUTO only holders of the distributor role are ranked.

Cost: one grouped query over the period's rows, read through an index on the time column
(`commission (created_at, beneficiary_id)`, `distributor_invite_signup (created_at)`),
`ORDER BY total DESC LIMIT n`, then one query for the n names: O(rows in the period), not
O(table). A month of a busy platform is a few hundred thousand commission rows — tens of
milliseconds on PostgreSQL; cache it in front if it is polled.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from tortoise import connections

import settings
from models.accounts import User
from services.core.business_days import (
    DAY,
    MAX_RANGE_DAYS,
    MONTH,
    WEEK,
    bucket_start,
    buckets,
    check_day,
    day_start,
    today,
)
from services.core.errors import DomainError, ErrorCode
from services.core.masking import mask_name
from services.core.sql import sql
from services.distribution import distributors

COMMISSION, NEW_MEMBERS = "COMMISSION", "NEW_MEMBERS"


@dataclass(frozen=True)
class Entry:
    rank: int
    user_id: int
    masked_name: str
    value: int  # fen (COMMISSION) or members (NEW_MEMBERS)


def period_span(period: str, on: date | None = None) -> tuple[date, date]:
    """The day, week or month containing `on` (default today), up to its last day."""
    if period not in MAX_RANGE_DAYS:
        raise DomainError(ErrorCode.INVALID_INPUT, "Unknown period.", "period")
    on = on or today()
    if on > today():
        raise DomainError(ErrorCode.INVALID_DATE_RANGE, "The period cannot start after today.", "on")
    check_day(on, "on")
    start = bucket_start(on, period)
    return buckets(period, start, start + timedelta(days=31))[0]


_SQL = {
    COMMISSION: (
        "SELECT beneficiary_id AS user_id, SUM(amount) AS value FROM commission "
        "WHERE created_at >= ? AND created_at < ?{only} GROUP BY beneficiary_id "
        "ORDER BY value DESC, beneficiary_id LIMIT ?",
        "beneficiary_id",
    ),
    NEW_MEMBERS: (
        "SELECT upline_id AS user_id, COUNT(*) AS value FROM distributor_invite_signup "
        "WHERE created_at >= ? AND created_at < ?{only} GROUP BY upline_id "
        "ORDER BY value DESC, upline_id LIMIT ?",
        "upline_id",
    ),
}
_ONLY = (
    " AND {column} IN (SELECT ur.user_id FROM access_user_role ur JOIN access_role r ON r.id = ur.role_id "
    "WHERE r.code = 'distributor' AND ur.scope_id = 0)"
)


async def leaderboard(by: str, period: str, on: date | None = None, limit: int = 10) -> tuple[date, date, list[Entry]]:
    if by not in _SQL:
        raise DomainError(ErrorCode.INVALID_INPUT, "Rank by COMMISSION or NEW_MEMBERS.", "by")
    if not 1 <= limit <= settings.LEADERBOARD_MAX:
        raise DomainError(
            ErrorCode.INVALID_INPUT, f"The limit must be between 1 and {settings.LEADERBOARD_MAX}.", "limit"
        )
    first, last = period_span(period, on)
    text, column = _SQL[by]
    only = "" if (await distributors.current_rules()).mode == distributors.AUTO else _ONLY.format(column=column)
    conn = connections.get("default")
    rows = await conn.execute_query_dict(
        sql(conn, text.format(only=only)), [day_start(first), day_start(last + timedelta(days=1)), limit]
    )
    names = dict(await User.filter(id__in=[r["user_id"] for r in rows]).values_list("id", "nickname")) if rows else {}
    return (
        first,
        last,
        [
            Entry(i, int(r["user_id"]), mask_name(names.get(r["user_id"], "")), int(r["value"] or 0))
            for i, r in enumerate(rows, start=1)
        ],
    )


__all__ = ["COMMISSION", "NEW_MEMBERS", "DAY", "WEEK", "MONTH", "Entry", "leaderboard", "period_span"]
