"""The points mall's pure calculations (MKT-4): points per line and for the shipping at the
ratio (rounded up), refusals, and refunds giving back every point exactly once."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.core.errors import DomainError, ErrorCode
from services.marketing import points_mall as pm


def test_points_per_line_and_shipping_at_the_ratio():
    quote = pm.price_points(
        [pm.PointsLine("a", 1, 2, 500), pm.PointsLine("b", 2, 1, 300)],
        {1: 1_000, 2: 0},
        shipping_in_points=True,
        points_per_yuan=100,
    )
    assert dict(quote.lines) == {"a": 1_000, "b": 300} and dict(quote.shipping) == {1: 1_000}
    assert dict(quote.shipping_cash) == {1: 1_000} and quote.total == 2_300
    assert pm.shipping_points(1_001, 100) == 1_001 and pm.shipping_points(1, 50) == 1  # never less
    cash = pm.price_points([pm.PointsLine("a", 1, 1, 5)], {1: 800}, shipping_in_points=False, points_per_yuan=100)
    assert cash.total == 5 and not cash.shipping


@pytest.mark.parametrize(
    ("lines", "in_points", "ratio", "code"),
    [
        ([pm.PointsLine("a", 1, 1, 0)], False, 100, ErrorCode.INVALID_PRICE),
        ([pm.PointsLine("a", 1, 1, 5)], True, 0, ErrorCode.INVALID_INPUT),
        ([pm.PointsLine("a", 1, 10**6, 10**7)], False, 100, ErrorCode.INVALID_AMOUNT),
    ],
)
def test_refusals(lines, in_points, ratio, code):
    with pytest.raises(DomainError) as exc:
        pm.price_points(lines, {1: 100}, shipping_in_points=in_points, points_per_yuan=ratio)
    assert exc.value.code == code


@given(
    points=st.integers(1, 10**9),
    steps=st.lists(st.integers(1, 5), min_size=1, max_size=8),
)
def test_refunds_give_back_every_point_once(points, steps):
    quantity = sum(steps)
    done, back = 0, 0
    for units in steps:
        share = pm.refunded_points(points, quantity, done, units)
        assert share >= 0
        back += share
        done += units
    assert back == points


@given(fen=st.integers(0, 10**8), ratio=st.integers(1, 10_000))
def test_shipping_points_never_pay_less_than_the_ratio(fen, ratio):
    got = pm.shipping_points(fen, ratio)
    assert got * 100 >= fen * ratio > (got - 1) * 100 or fen == 0
