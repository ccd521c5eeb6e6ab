"""Group-buying rules (MKT-3) without a database: an activity's terms, what a join attempt
gets, what an expired team becomes, seats and time left, suggestions and masked names."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.core.errors import DomainError, ErrorCode
from services.marketing import group_rules as rules

T0 = datetime(2026, 3, 1, 2, 0, tzinfo=UTC)
GOOD = rules.Terms(team_size=3, time_limit_minutes=60, per_user_limit=1, group_price=6_000, list_price=10_000)


def test_good_terms_pass():
    rules.check_terms(GOOD)


@pytest.mark.parametrize(
    ("changes", "code", "field"),
    [
        ({"team_size": 1}, ErrorCode.INVALID_INPUT, "teamSize"),
        ({"team_size": 101}, ErrorCode.INVALID_INPUT, "teamSize"),
        ({"team_size": True}, ErrorCode.INVALID_INPUT, "teamSize"),
        ({"time_limit_minutes": 4}, ErrorCode.INVALID_INPUT, "timeLimitMinutes"),
        ({"time_limit_minutes": 7 * 24 * 60 + 1}, ErrorCode.INVALID_INPUT, "timeLimitMinutes"),
        ({"per_user_limit": 0}, ErrorCode.INVALID_INPUT, "perUserLimit"),
        ({"group_price": 0}, ErrorCode.INVALID_PRICE, "groupPrice"),
        ({"group_price": 10_000}, ErrorCode.INVALID_PRICE, "groupPrice"),
    ],
)
def test_bad_terms_are_refused(changes, code, field):
    with pytest.raises(DomainError) as caught:
        rules.check_terms(rules.Terms(**{**GOOD.__dict__, **changes}))
    assert (caught.value.code, caught.value.field) == (code, field)


def test_join_answers():
    later = T0 + timedelta(minutes=10)
    assert rules.join_answer(rules.OPEN, 2, 3, later, T0) == rules.JOIN
    assert rules.join_answer(rules.OPEN, 3, 3, later, T0) == rules.FULL
    assert rules.join_answer(rules.FORMED, 3, 3, later, T0) == rules.FULL
    assert rules.join_answer(rules.OPEN, 1, 3, T0, T0) == rules.CLOSED  # its time is up
    for status in (rules.PENDING, rules.FAILED, rules.CANCELLED):
        assert rules.join_answer(status, 1, 3, later, T0) == rules.CLOSED
    assert rules.join_answer(rules.OPEN, 1, 3, None, T0) == rules.CLOSED


@given(st.integers(0, 100), st.integers(2, 100), st.sampled_from(rules.UNFILLED_POLICIES))
def test_an_expired_team_forms_only_when_full_or_by_the_policy(paid, size, policy):
    paid = min(paid, size)
    outcome = rules.expired_outcome(paid, size, policy)
    if paid == size:
        assert outcome == rules.FORMED
    elif policy == rules.SUCCEED and paid > 0:
        assert outcome == rules.FORMED
    else:
        assert outcome == rules.FAILED


def test_seats_and_time_left():
    assert rules.seats_left(5, 3) == 2 and rules.seats_left(5, 5) == 0 and rules.seats_left(5, 6) == 0
    assert rules.seconds_left(T0 + timedelta(seconds=90), T0) == 90
    assert rules.seconds_left(T0, T0 + timedelta(seconds=1)) == 0 and rules.seconds_left(None, T0) == 0


@given(
    st.lists(st.tuples(st.integers(0, 10), st.integers(2, 10), st.integers(-5, 60)), max_size=30),
    st.integers(1, 5),
    st.integers(0, 10),
)
def test_suggestions_are_nearly_full_open_teams_fewest_seats_first(raw, max_left, limit):
    teams = [
        rules.TeamLoad(i + 1, min(taken, size), size, T0 + timedelta(minutes=m))
        for i, (taken, size, m) in enumerate(raw)
    ]
    picked = rules.suggest(teams, T0, max_left, limit)
    by_id = {t.team_id: t for t in teams}
    assert len(picked) <= limit and len(set(picked)) == len(picked)
    for team_id in picked:
        t = by_id[team_id]
        assert 0 < t.size - t.taken <= max_left and t.ends_at > T0
    lefts = [by_id[i].size - by_id[i].taken for i in picked]
    assert lefts == sorted(lefts)
    fitting = [t for t in teams if 0 < t.size - t.taken <= max_left and t.ends_at > T0]
    assert len(picked) == min(limit, len(fitting))


@pytest.mark.parametrize(
    ("name", "masked"), [("张三丰", "张**"), ("李", "李*"), ("", "*"), ("  ", "*"), ("Bob", "B**")]
)
def test_members_are_masked(name, masked):
    assert rules.mask(name) == masked
