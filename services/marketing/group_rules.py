"""Group-buying rules (MKT-3, 拼团) as pure functions over plain values, tested without a
database (tests/unit/test_group_rules.py): an activity's terms, what a join attempt gets,
what an expired team becomes, seats and time left, which teams to suggest, a member's
masked name."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from services.core.errors import DomainError, ErrorCode

PENDING = "PENDING"  # the leader's order is unpaid: nobody can join yet
OPEN = "OPEN"
FORMED = "FORMED"
FAILED = "FAILED"
CANCELLED = "CANCELLED"  # the leader's order was cancelled unpaid
TEAM_STATUSES = (PENDING, OPEN, FORMED, FAILED, CANCELLED)

REFUND = "REFUND"
SUCCEED = "SUCCEED"
UNFILLED_POLICIES = (REFUND, SUCCEED)
REFUSE = "REFUSE"
NEW_TEAM = "NEW_TEAM"
OVERFLOW_POLICIES = (REFUSE, NEW_TEAM)

# What a join attempt gets.
JOIN = "JOIN"
FULL = "FULL"
CLOSED = "TEAM_CLOSED"

MIN_TEAM, MAX_TEAM = 2, 100
MIN_MINUTES, MAX_MINUTES = 5, 7 * 24 * 60
MAX_PER_USER = 100


@dataclass(frozen=True)
class Terms:
    team_size: int
    time_limit_minutes: int
    per_user_limit: int
    group_price: int  # fen
    list_price: int  # the SKU's price, fen


def _whole(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def check_terms(t: Terms) -> None:
    """INVALID_INPUT (size, time limit, limit) or INVALID_PRICE (not above 0 and below the list price)."""
    if not _whole(t.team_size) or not MIN_TEAM <= t.team_size <= MAX_TEAM:
        raise DomainError(ErrorCode.INVALID_INPUT, f"A team has {MIN_TEAM} to {MAX_TEAM} members.", "teamSize")
    if not _whole(t.time_limit_minutes) or not MIN_MINUTES <= t.time_limit_minutes <= MAX_MINUTES:
        raise DomainError(
            ErrorCode.INVALID_INPUT, f"A time limit of {MIN_MINUTES} minutes to 7 days.", "timeLimitMinutes"
        )
    if not _whole(t.per_user_limit) or not 1 <= t.per_user_limit <= MAX_PER_USER:
        raise DomainError(ErrorCode.INVALID_INPUT, f"A per-user limit is 1 to {MAX_PER_USER}.", "perUserLimit")
    if not _whole(t.group_price) or not 0 < t.group_price < t.list_price:
        raise DomainError(ErrorCode.INVALID_PRICE, "A group price is above 0 and below the SKU's price.", "groupPrice")


def join_answer(status: str, taken: int, size: int, ends_at: datetime | None, now: datetime) -> str:
    """JOIN: a seat is free; FULL: every seat is held (or the team formed); CLOSED: not open
    (pending, failed, cancelled, or its time is up)."""
    if status == FORMED:
        return FULL
    if status != OPEN or ends_at is None or now >= ends_at:
        return CLOSED
    return JOIN if taken < size else FULL


def expired_outcome(paid: int, size: int, policy: str) -> str:
    """What a team whose time ran out becomes: FORMED when full or (policy SUCCEED) anyone
    paid, else FAILED (every paid member refunded)."""
    if paid >= size or (policy == SUCCEED and paid > 0):
        return FORMED
    return FAILED


def seats_left(size: int, taken: int) -> int:
    return max(size - taken, 0)


def seconds_left(ends_at: datetime | None, now: datetime) -> int:
    if ends_at is None:
        return 0
    return max(int((ends_at - now).total_seconds()), 0)


@dataclass(frozen=True)
class TeamLoad:
    team_id: int
    taken: int
    size: int
    ends_at: datetime


def suggest(teams: list[TeamLoad], now: datetime, max_left: int, limit: int) -> list[int]:
    """Open teams worth joining: a free seat, at most `max_left` left, time to go; fewest seats
    left first, then the soonest to end, then the oldest id."""
    fit = [t for t in teams if 0 < t.size - t.taken <= max_left and t.ends_at > now]
    fit.sort(key=lambda t: (t.size - t.taken, t.ends_at, t.team_id))
    return [t.team_id for t in fit[: max(limit, 0)]]


def mask(name: str) -> str:
    """A member's name as others see it: the first character, then '*' (张** for 张三丰)."""
    name = (name or "").strip()
    if not name:
        return "*"
    return name[0] + "*" * max(len(name) - 1, 1)
