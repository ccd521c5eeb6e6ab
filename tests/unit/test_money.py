import random

import pytest

from services.core.money import allocate, decimal_string_to_fen, fen_to_decimal_string


def test_allocate_parts_always_sum_to_the_whole():
    rng = random.Random(20261122)
    for _ in range(5000):
        total = rng.randint(-(10**9), 10**9)
        weights = [rng.randint(0, 1000) for _ in range(rng.randint(1, 8))]
        if sum(weights) == 0:
            weights[0] = 1
        parts = allocate(total, weights)
        assert sum(parts) == total
        for part, weight in zip(parts, weights):
            exact = total * weight / sum(weights)
            assert abs(part - exact) < 1


def test_allocate_is_deterministic_on_ties():
    assert allocate(100, [1, 1, 1]) == [34, 33, 33]


@pytest.mark.parametrize("weights", [[], [0, 0], [-1, 2]])
def test_allocate_rejects_bad_weights(weights):
    with pytest.raises(ValueError):
        allocate(10, weights)


@pytest.mark.parametrize(
    "fen,text", [(0, "0.00"), (5, "0.05"), (220000, "2200.00"), (-5, "-0.05"), (123456789, "1234567.89")]
)
def test_decimal_strings_round_trip(fen, text):
    assert fen_to_decimal_string(fen) == text
    assert decimal_string_to_fen(text) == fen


def test_more_than_two_decimals_is_refused():
    with pytest.raises(ValueError):
        decimal_string_to_fen("1.005")
