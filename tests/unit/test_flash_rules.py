"""Flash-sale rules (MKT-3) without a database: time slots in the business time zone, the
storefront's states, the admission rule, and the Lua script that runs the same rule (checked
against the Python one on a tiny in-process Redis stand-in where every Lua line maps to a
call)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.core.errors import DomainError, ErrorCode
from services.marketing import flash_rules as rules

T0 = datetime(2026, 3, 1, 2, 0, tzinfo=UTC)  # 10:00 at UTC+8


def test_a_slot_is_business_time():
    starts, ends = rules.slot_window(date(2026, 3, 1), "10:00", 120, 8)
    assert starts == T0 and ends == T0 + timedelta(hours=2)
    # 00:30 business time is the evening before in UTC
    starts, _ = rules.slot_window(date(2026, 3, 1), "00:30", 60, 8)
    assert starts == datetime(2026, 2, 28, 16, 30, tzinfo=UTC)


@pytest.mark.parametrize("slot", ["", "24:00", "9:00", "10:60", "10-00", "ten"])
def test_a_bad_slot_is_refused(slot):
    with pytest.raises(DomainError) as caught:
        rules.slot_window(date(2026, 3, 1), slot, 60, 8)
    assert caught.value.code == ErrorCode.INVALID_INPUT and caught.value.field == "slot"


@pytest.mark.parametrize("minutes", [0, -5, 24 * 60 + 1, True, 1.5])
def test_a_bad_length_is_refused(minutes):
    with pytest.raises(DomainError) as caught:
        rules.slot_window(date(2026, 3, 1), "10:00", minutes, 8)
    assert caught.value.field == "durationMinutes"


def test_states():
    ends = T0 + timedelta(hours=2)
    assert rules.state(T0 - timedelta(seconds=1), T0, ends, 5) == rules.UPCOMING
    assert rules.state(T0, T0, ends, 5) == rules.ON
    assert rules.state(T0, T0, ends, 0) == rules.SOLD_OUT
    assert rules.state(ends, T0, ends, 5) == rules.ENDED
    assert rules.state(T0, T0, ends, 5, cancelled=True) == rules.ENDED


@given(st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1)), st.integers(-12, 14))
def test_a_business_day_contains_its_instants(naive, offset):
    now = naive.replace(tzinfo=UTC)
    start, end = rules.day_bounds(rules.business_day(now, offset), offset)
    assert start <= now < end and end - start == timedelta(days=1)


@given(
    st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 1, 1)),
    st.integers(0, 23),
    st.integers(0, 59),
    st.integers(1, 24 * 60),
    st.integers(-12, 14),
)
def test_a_slot_starts_on_its_business_day(day, hour, minute, minutes, offset):
    starts, ends = rules.slot_window(day, f"{hour:02d}:{minute:02d}", minutes, offset)
    assert rules.business_day(starts, offset) == day
    assert ends - starts == timedelta(minutes=minutes)


# -- admission: the Python rule and the Lua script agree ------------------------------------


class FakeRedis:
    """Just what the scripts call, executing the Lua's steps in Python (one script = one step)."""

    def __init__(self) -> None:
        self.hashes: dict[str, dict[str, int]] = {}
        self.counters: dict[str, int] = {}

    def take(self, keys, now, user, q) -> int:  # TAKE_SCRIPT, line by line
        self.counters[keys[2]] = self.counters.get(keys[2], 0) + 1
        h = self.hashes.get(keys[0])
        if h is None:
            return -1
        if now < h["starts"]:
            return -2
        if now >= h["ends"]:
            return -3
        users = self.hashes.setdefault(keys[1], {})
        if users.get(str(user), 0) + q > h["limit"]:
            return -4
        if h["left"] < q:
            return -5
        users[str(user)] = users.get(str(user), 0) + q
        h["left"] -= q
        return h["left"]

    def give(self, keys, user, q) -> int:  # GIVE_SCRIPT
        if keys[0] not in self.hashes:
            return -1
        users = self.hashes.setdefault(keys[1], {})
        had = users.get(str(user), 0)
        if had <= q:
            users.pop(str(user), None)
        else:
            users[str(user)] = had - q
        self.hashes[keys[0]]["left"] += q
        return self.hashes[keys[0]]["left"]


def test_the_scripts_say_what_the_fake_does():
    """The fake follows the scripts' text: each call it makes is in the script."""
    for call in ("HMGET", "HGET", "HINCRBY", "INCR"):
        assert call in rules.TAKE_SCRIPT
    assert "return -5" in rules.TAKE_SCRIPT and "return -1" in rules.TAKE_SCRIPT
    assert "HDEL" in rules.GIVE_SCRIPT and "EXISTS" in rules.GIVE_SCRIPT
    assert set(rules.SCRIPT_CODES) == {-1, -2, -3, -4, -5}


@given(
    stock=st.integers(0, 30),
    limit=st.integers(1, 3),
    attempts=st.lists(st.tuples(st.integers(0, 15), st.integers(1, 3), st.integers(-5, 15)), max_size=80),
)
def test_admission_never_oversells_nor_passes_a_limit(stock, limit, attempts):
    """Any sequence of attempts (buyer, quantity, minute): the units taken never pass the
    stock, no buyer passes the limit, and each answer is the Python rule's."""
    redis = FakeRedis()
    keys = ["i", "i:u", "i:n"]
    starts, ends = 0, 10 * 60_000
    redis.hashes["i"] = {"left": stock, "starts": starts, "ends": ends, "limit": limit}
    taken: dict[int, int] = {}
    for user, q, minute in attempts:
        now = minute * 60_000
        counters = rules.Counters(starts, ends, redis.hashes["i"]["left"], limit)
        expected = rules.admit(counters, now, taken.get(user, 0), q)
        answer = redis.take(keys, now, user, q)
        assert (rules.ADMITTED if answer >= 0 else rules.SCRIPT_CODES[answer]) == expected
        if answer >= 0:
            taken[user] = taken.get(user, 0) + q
    assert sum(taken.values()) + redis.hashes["i"]["left"] == stock
    assert all(v <= limit for v in taken.values())
    assert redis.counters["i:n"] == len(attempts) if attempts else True


@given(st.lists(st.tuples(st.integers(0, 5), st.booleans()), max_size=60))
def test_giving_back_restores_what_was_taken(events):
    """Take and give back in any order: what is left plus what buyers hold is the stock."""
    redis = FakeRedis()
    keys = ["i", "i:u", "i:n"]
    redis.hashes["i"] = {"left": 5, "starts": 0, "ends": 10, "limit": 2}
    held: dict[int, int] = {}
    for user, give in events:
        if give and held.get(user):
            redis.give(keys, user, 1)
            held[user] -= 1
        elif redis.take(keys, 1, user, 1) >= 0:
            held[user] = held.get(user, 0) + 1
    assert redis.hashes["i"]["left"] + sum(held.values()) == 5


def test_refusals_have_stable_codes():
    assert rules.refusal(rules.GONE).code == ErrorCode.SOLD_OUT
    assert rules.refusal(rules.LIMIT).code == ErrorCode.LIMIT_REACHED
    assert rules.refusal(rules.NOT_STARTED).code == ErrorCode.FLASH_NOT_STARTED
    assert rules.refusal(rules.OVER).code == ErrorCode.FLASH_ENDED
    assert rules.admit(None, 0, 0, 1) == rules.NOT_LOADED
