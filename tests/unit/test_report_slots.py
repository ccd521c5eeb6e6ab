"""The split of a report's range into folded days, folded hours and a live rest: the parts
follow each other without a gap or an overlap, cover the range exactly, and nothing folded
ends later than the grace before now."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from services.core.business_days import day_start
from services.finance.report_slots import HOUR, plan

DAY = timedelta(days=1)


@given(
    first=st.dates(date(2025, 1, 1), date(2026, 12, 31)),
    length=st.integers(0, 40),
    now_offset=st.integers(-3 * 24 * 60, 45 * 24 * 60),
    grace_minutes=st.integers(0, 120),
)
def test_the_parts_cover_the_range_exactly(first, length, now_offset, grace_minutes):
    last = first + timedelta(days=length)
    now = day_start(first) + timedelta(minutes=now_offset)
    grace = timedelta(minutes=grace_minutes)
    slots = plan(first, last, now, grace)
    cursor = day_start(first)
    for day in slots.days:
        assert day_start(day) == cursor
        cursor = day_start(day + DAY)
        assert cursor + grace <= now
    for hour in slots.hours:
        assert hour == cursor
        cursor = hour + HOUR
        assert cursor + grace <= now
    assert slots.live_from == cursor <= slots.end == day_start(last + DAY)
    # Nothing final is left to the live part but the unfinished hour.
    if slots.live_from < slots.end:
        assert slots.live_from + HOUR + grace > now


def test_a_day_is_folded_once_the_grace_after_it_has_passed():
    day = date(2026, 6, 9)
    midnight = day_start(day + DAY)
    grace = timedelta(minutes=5)
    assert plan(day, day, midnight + timedelta(minutes=4), grace).days == ()
    assert plan(day, day, midnight + grace, grace).days == (day,)
    today = plan(day + DAY, day + DAY, midnight + timedelta(hours=3, minutes=10), grace)
    assert today.days == () and today.hours == (midnight, midnight + HOUR, midnight + 2 * HOUR)
    assert today.live_from == datetime(2026, 6, 9, 19, tzinfo=UTC)
