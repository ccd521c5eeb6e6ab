"""Time slots of a bookable service item (STO-4): pure calculations, no database.

Opening hours are the stores' own shape (`[{"weekday": 1..7, "opens": "HH:MM", "closes":
"HH:MM" | "24:00"}]`, already validated by services.merchants.stores.clean_opening_hours).
A day's slots start at each interval's opening time and follow one another every
`duration` minutes; a slot must end by the interval's closing time. Times are the business
day's local time (BUSINESS_UTC_OFFSET_HOURS, no daylight saving), so a slot is an instant.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo

MINUTES_PER_DAY = 24 * 60


@dataclass(frozen=True, order=True)
class Interval:
    weekday: int  # 1 = Monday ... 7 = Sunday
    opens: int  # minutes after midnight
    closes: int  # minutes after midnight, > opens (at most 1440)


@dataclass(frozen=True)
class Slot:
    starts_at: datetime  # UTC
    ends_at: datetime


def _minutes(text: str) -> int:
    return int(text[:2]) * 60 + int(text[3:5])


def intervals(hours: list[dict]) -> list[Interval]:
    """Opening hours as intervals in minutes (sorted)."""
    return sorted(Interval(int(h["weekday"]), _minutes(h["opens"]), _minutes(h["closes"])) for h in hours)


def slot_minutes(hours: list[Interval], weekday: int, duration: int) -> list[int]:
    """The start minutes of one weekday's slots, ascending, none overlapping another."""
    if duration <= 0:
        raise ValueError("duration must be positive")
    starts: list[int] = []
    for interval in hours:
        if interval.weekday != weekday:
            continue
        start = interval.opens
        while start + duration <= interval.closes:
            if not starts or start >= starts[-1] + duration:
                starts.append(start)
            start += duration
    return starts


def day_slots(hours: list[Interval], day: date, duration: int, zone: tzinfo) -> list[Slot]:
    """One calendar day's slots as UTC instants."""
    midnight = datetime.combine(day, time(0), zone)
    return [
        Slot(
            (midnight + timedelta(minutes=m)).astimezone(UTC),
            (midnight + timedelta(minutes=m + duration)).astimezone(UTC),
        )
        for m in slot_minutes(hours, day.isoweekday(), duration)
    ]


def slot_at(hours: list[Interval], starts_at: datetime, duration: int, zone: tzinfo) -> Slot | None:
    """The slot starting exactly at `starts_at`, or None when no slot starts then
    (outside the opening hours, or not on a slot boundary)."""
    local = starts_at.astimezone(zone)
    if local.second or local.microsecond:
        return None
    for slot in day_slots(hours, local.date(), duration, zone):
        if slot.starts_at == starts_at.astimezone(UTC):
            return slot
    return None


def free_cancellation(now: datetime, starts_at: datetime, hours_before: int) -> bool:
    """A booking is cancelled free of charge until `hours_before` hours before its slot."""
    return now <= starts_at - timedelta(hours=hours_before)


def no_show_due(now: datetime, ends_at: datetime, grace_minutes: int) -> bool:
    """A booking not checked in is a no-show once its slot ended `grace_minutes` ago."""
    return now >= ends_at + timedelta(minutes=grace_minutes)
