"""The bargain's cut sequence (MKT-3): each cut at least 1 fen, summing exactly to start − floor,
the same for the same seed; helps in any order, new users or not, reach the floor exactly at
the last cut and never pass it."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.marketing.bargain_cuts import MAX_HELPS, CutPlan, check, cut_sequence, price_after, take


@st.composite
def plans(draw) -> CutPlan:
    helps = draw(st.integers(1, MAX_HELPS))
    floor = draw(st.integers(1, 10_000_000))
    start = floor + draw(st.integers(helps, 10_000_000))
    return CutPlan(start, floor, helps, draw(st.text(min_size=1, max_size=32)))


@given(plans())
def test_the_cuts_sum_exactly_to_start_minus_floor(plan):
    cuts = cut_sequence(plan)
    assert len(cuts) == plan.helps
    assert all(isinstance(c, int) and c >= 1 for c in cuts)
    assert sum(cuts) == plan.start - plan.floor
    assert cut_sequence(plan) == cuts  # reproducible from the seed


@given(plans(), st.lists(st.booleans(), min_size=MAX_HELPS, max_size=MAX_HELPS), st.integers(1, 5))
def test_helps_in_any_order_reach_the_floor_exactly_and_never_pass_it(plan, new_users, factor):
    cuts = cut_sequence(plan)
    taken, price = 0, plan.start
    for new in new_users:
        if taken == len(cuts):
            with pytest.raises(ValueError):
                take(cuts, taken, new, factor)
            break
        help_ = take(cuts, taken, new, factor)
        assert help_.first == taken and help_.count == (min(factor, len(cuts) - taken) if new else 1)
        assert help_.amount >= help_.count
        taken += help_.count
        price -= help_.amount
        assert price >= plan.floor
        assert price == price_after(plan.start, cuts, taken)
    assert taken == len(cuts) and price == plan.floor


def test_a_known_sequence():
    cuts = cut_sequence(CutPlan(10_000, 1_000, 5, "seed"))
    assert cuts == cut_sequence(CutPlan(10_000, 1_000, 5, "seed"))
    assert sum(cuts) == 9_000 and cuts[0] > cuts[-1]
    assert cut_sequence(CutPlan(10_000, 1_000, 5, "other")) != cuts
    assert cut_sequence(CutPlan(1_005, 1_000, 5, "x")) == [1, 1, 1, 1, 1]


@pytest.mark.parametrize(
    ("start", "floor", "helps"),
    [(1_000, 1_000, 3), (1_000, 0, 3), (1_000, 998, 3), (1_000, 10, 0), (1_000, 10, MAX_HELPS + 1), (1.5, 1, 1)],
)
def test_impossible_plans_are_refused(start, floor, helps):
    assert check(start, floor, helps) is not None
    with pytest.raises(ValueError):
        cut_sequence(CutPlan(start, floor, helps, "s"))
