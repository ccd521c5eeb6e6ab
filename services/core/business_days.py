"""Business days and report periods: the calendar every statistic, statement and report uses.

The business day is the day at BUSINESS_UTC_OFFSET_HOURS (default UTC+8, China Standard
Time, no daylight saving); weeks are ISO weeks (Monday first), months calendar months.
Ranges are capped per period so a report is always bounded.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, timezone

import settings
from services.core import clock
from services.core.errors import DomainError, ErrorCode

UTC_OFFSET = timedelta(hours=settings.BUSINESS_UTC_OFFSET_HOURS)  # the business day (default UTC+8, no DST)
BUSINESS_TZ = timezone(UTC_OFFSET)

DAY, WEEK, MONTH = "DAY", "WEEK", "MONTH"
# Longest range per period, in days: one year of days, two of weeks, five of months.
MAX_RANGE_DAYS = {DAY: 366, WEEK: 731, MONTH: 1827}
# No business happened before this day; earlier dates (down to 0001-01-01, where a day's
# start in UTC does not exist) are refused rather than computed.
EARLIEST_DAY = date(2000, 1, 1)


def business_day(moment: datetime) -> date:
    """The business day a moment falls on."""
    return moment.astimezone(BUSINESS_TZ).date()


def today() -> date:
    return business_day(clock.now())


def day_start(day: date) -> datetime:
    """The first instant of a business day, in UTC."""
    return datetime.combine(day, time(0), BUSINESS_TZ).astimezone(UTC)


def day_sql(dialect: str, column: str) -> str:
    """SQL for the business day (a date) of a UTC timestamp column, per dialect."""
    minutes = int(UTC_OFFSET.total_seconds() // 60)
    if dialect == "postgres":
        return f"CAST(({column} AT TIME ZONE 'UTC') + INTERVAL '{minutes} minutes' AS DATE)"
    return f"date({column}, '{minutes:+d} minutes')"  # SQLite: ISO-8601 text with its offset


def bucket_start(day: date, period: str) -> date:
    if period == WEEK:
        return day - timedelta(days=day.weekday())
    if period == MONTH:
        return day.replace(day=1)
    return day


def _next_bucket(start: date, period: str) -> date:
    if period == WEEK:
        return start + timedelta(days=7)
    if period == MONTH:
        return date(start.year + start.month // 12, start.month % 12 + 1, 1)
    return start + timedelta(days=1)


def buckets(period: str, first: date, last: date) -> list[tuple[date, date]]:
    """The buckets covering [first, last], each clipped to the range: (first day, last day)."""
    out = []
    start = bucket_start(first, period)
    while start <= last:
        following = _next_bucket(start, period)
        out.append((max(start, first), min(following - timedelta(days=1), last)))
        start = following
    return out


def check_day(day: date, field: str) -> None:
    """A day a report or statement can be about: from EARLIEST_DAY to today."""
    if day < EARLIEST_DAY:
        raise DomainError(ErrorCode.INVALID_DATE_RANGE, f"Days before {EARLIEST_DAY.isoformat()} have no data.", field)
    if day > today():
        raise DomainError(ErrorCode.INVALID_DATE_RANGE, "The day cannot be after today.", field)


def check_range(period: str, first: date, last: date) -> None:
    """A range the report can answer: ordered, not in the future, not too long."""
    if period not in MAX_RANGE_DAYS:
        raise DomainError(ErrorCode.INVALID_INPUT, "Unknown period.", "period")
    if first < EARLIEST_DAY:
        check_day(first, "from")
    if first > last:
        raise DomainError(ErrorCode.INVALID_DATE_RANGE, "The range ends before it starts.", "to")
    if last > today():
        raise DomainError(ErrorCode.INVALID_DATE_RANGE, "The range cannot end after today.", "to")
    if (last - first).days + 1 > MAX_RANGE_DAYS[period]:
        raise DomainError(
            ErrorCode.INVALID_DATE_RANGE,
            f"A {period.lower()} report covers at most {MAX_RANGE_DAYS[period]} days.",
            "from",
        )
