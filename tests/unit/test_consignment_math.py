"""Pure consignment arithmetic: sale splits and position updates from queue events."""

import random

import pytest

from services.consignment.events import UnitLeft, UnitQueued, UnitReturned, UnitSold
from services.consignment.matching import FIXED, PERCENT, Policy, position_after, split_sale, validate_policy


def test_worked_example_split():
    split = split_sale(220000, Policy(2000, FIXED, 0))
    assert (split.proceeds, split.fee, split.reward) == (176000, 44000, 0)


def test_split_always_adds_up():
    rng = random.Random(7)
    for _ in range(2000):
        price = rng.randint(0, 10**9)
        policy = Policy(rng.randint(0, 10_000), rng.choice([FIXED, PERCENT]), rng.randint(0, 10_000))
        split = split_sale(price, policy)
        assert split.proceeds + split.fee == price and 0 <= split.fee <= price and split.reward >= 0


@pytest.mark.parametrize(
    "policy",
    [
        Policy(-1, FIXED, 0),
        Policy(10_001, FIXED, 0),
        Policy(0, "X", 0),
        Policy(0, PERCENT, 10_001),
        Policy(0, FIXED, -1),
    ],
)
def test_bad_policies(policy):
    assert validate_policy(policy) is not None


def test_positions_follow_events_without_a_query():
    # my units hold keys 5 (position 3) and 9 (position 6); a unit ahead sells, one leaves, one returns
    mine = {5: 3, 9: 6}

    def apply(event):
        for key in list(mine):
            moved = position_after(mine[key], key, event)
            if moved is None:
                del mine[key]
            else:
                mine[key] = moved

    apply(UnitSold(key=1, unit_id=101, owner_id=7))
    assert mine == {5: 2, 9: 5}
    apply(UnitQueued(key=20, unit_id=120, owner_id=7, length=8))
    assert mine == {5: 2, 9: 5}
    apply(UnitLeft(key=7, unit_id=107))
    assert mine == {5: 2, 9: 4}
    apply(UnitReturned(key=0, unit_id=100, owner_id=7, position=1))
    assert mine == {5: 3, 9: 5}
    apply(UnitSold(key=12, unit_id=112, owner_id=7))  # referrer priority took a unit behind mine
    assert mine == {5: 3, 9: 5}
    apply(UnitSold(key=5, unit_id=105, owner_id=7))
    assert mine == {9: 4}
