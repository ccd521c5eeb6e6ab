import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.core.money import MAX_FEN, allocate, decimal_string_to_fen, fen_to_decimal_string


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


@given(st.integers(min_value=-MAX_FEN, max_value=MAX_FEN))
def test_every_fen_amount_round_trips_through_its_decimal_string(fen):
    assert decimal_string_to_fen(fen_to_decimal_string(fen)) == fen


@pytest.mark.parametrize("text,fen", [("19.99", 1999), ("19.9", 1990), ("19", 1900), ("0", 0), ("0.01", 1)])
def test_shorter_forms_are_accepted(text, fen):
    assert decimal_string_to_fen(text) == fen


@pytest.mark.parametrize(
    "text",
    [
        "1.001",
        "1.005",
        "1e3",
        "1E3",
        "1.",
        ".5",
        " 1",
        "1 ",
        "+1",
        "01",
        "1,00",
        "",
        "-",
        "NaN",
        "nan",
        "Infinity",
        "-Infinity",
        "0x10",
        "1_000",
        "１",
        "1\n",
        str(MAX_FEN // 100 + 1),
        "9" * 30,
    ],
)
def test_malformed_or_out_of_range_strings_are_refused(text):
    with pytest.raises(ValueError):
        decimal_string_to_fen(text)


@pytest.mark.parametrize("value", [1, 1.5, 19.99, None, True])
def test_non_strings_are_refused(value):
    with pytest.raises(ValueError):
        decimal_string_to_fen(value)


def test_the_largest_bigint_amount_is_accepted():
    assert decimal_string_to_fen(fen_to_decimal_string(MAX_FEN)) == MAX_FEN
