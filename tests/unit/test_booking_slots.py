"""Slot generation from opening hours and the booking time rules (STO-4): pure functions."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

from hypothesis import given, settings
from hypothesis import strategies as st

from services.stores import slots

CST = timezone(timedelta(hours=8))


@st.composite
def day_hours(draw):
    """Non-overlapping intervals of one weekday, in minutes."""
    cuts = sorted(draw(st.sets(st.integers(0, slots.MINUTES_PER_DAY), min_size=2, max_size=8)))
    pairs = [(cuts[i], cuts[i + 1]) for i in range(0, len(cuts) - 1, 2)]
    weekday = draw(st.integers(1, 7))
    return weekday, [slots.Interval(weekday, a, b) for a, b in pairs if b > a]


@given(day_hours(), st.integers(5, 240))
def test_slots_fit_inside_the_hours_and_never_overlap(hours, duration):
    weekday, intervals = hours
    starts = slots.slot_minutes(intervals, weekday, duration)
    assert starts == sorted(starts)
    for a, b in zip(starts, starts[1:]):
        assert b >= a + duration
    for start in starts:
        assert any(i.opens <= start and start + duration <= i.closes for i in intervals)
    # every interval holds as many slots as fit in it
    for interval in intervals:
        inside = [s for s in starts if interval.opens <= s < interval.closes]
        assert len(inside) == (interval.closes - interval.opens) // duration
    assert slots.slot_minutes(intervals, weekday % 7 + 1, duration) == []  # another weekday: none


def test_a_working_day():
    hours = slots.intervals(
        [{"weekday": 3, "opens": "09:00", "closes": "12:00"}, {"weekday": 3, "opens": "13:30", "closes": "18:00"}]
    )
    assert slots.slot_minutes(hours, 3, 60) == [540, 600, 660, 810, 870, 930, 990]
    assert slots.slot_minutes(hours, 4, 60) == []
    day = date(2026, 6, 10)  # a Wednesday
    found = slots.day_slots(hours, day, 60, CST)
    assert found[0].starts_at == datetime(2026, 6, 10, 1, 0, tzinfo=UTC)  # 09:00 at UTC+8
    assert found[-1].ends_at == datetime(2026, 6, 10, 9, 30, tzinfo=UTC)  # 17:30: 18:30 would pass closing
    assert slots.slot_at(hours, datetime(2026, 6, 10, 13, 30, tzinfo=CST), 60, CST) is not None
    assert slots.slot_at(hours, datetime(2026, 6, 10, 12, 0, tzinfo=CST), 60, CST) is None  # lunch
    assert slots.slot_at(hours, datetime(2026, 6, 10, 9, 30, tzinfo=CST), 60, CST) is None  # not a boundary
    assert slots.slot_at(hours, datetime(2026, 6, 10, 17, 30, tzinfo=CST), 60, CST) is None  # would end late


def test_a_slot_until_midnight():
    hours = slots.intervals([{"weekday": 7, "opens": "22:00", "closes": "24:00"}])
    assert slots.slot_minutes(hours, 7, 120) == [1320]


@settings(deadline=None, max_examples=50)
@given(day_hours(), st.integers(15, 240), st.dates(date(2001, 1, 1), date(2099, 12, 31)))
def test_slot_at_finds_exactly_the_generated_slots(hours, duration, day):
    _, intervals = hours
    generated = slots.day_slots(intervals, day, duration, CST)
    for s in generated:
        assert slots.slot_at(intervals, s.starts_at, duration, CST) == s
        assert s.ends_at - s.starts_at == timedelta(minutes=duration)
        off = s.starts_at + timedelta(minutes=1)
        assert slots.slot_at(intervals, off, duration, CST) in (None, *generated)
        assert slots.slot_at(intervals, off, duration, CST) is None or off in {g.starts_at for g in generated}


@given(st.integers(0, 72), st.integers(-10_000, 10_000))
def test_free_cancellation_ends_exactly_hours_before(hours_before, minutes_from_deadline):
    starts = datetime(2026, 6, 10, 10, tzinfo=UTC)
    now = starts - timedelta(hours=hours_before) + timedelta(minutes=minutes_from_deadline)
    assert slots.free_cancellation(now, starts, hours_before) == (minutes_from_deadline <= 0)


@given(st.integers(0, 120), st.integers(-500, 500))
def test_no_show_after_the_grace(grace, minutes_after_end):
    ends = datetime(2026, 6, 10, 11, tzinfo=UTC)
    now = ends + timedelta(minutes=minutes_after_end)
    assert slots.no_show_due(now, ends, grace) == (minutes_after_end >= grace)
