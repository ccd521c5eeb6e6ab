"""The points lottery's published draw function (MKT-4), without a database: 100,000 simulated
draws at a fixed seed match the configured probabilities (chi-square against the critical
value at 0.1 %, computed here: scipy is not a dependency); out-of-stock prizes fall back to
nothing; `verify` confirms an honest record and names any altered outcome."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.core.errors import DomainError, ErrorCode
from services.marketing import lottery_fair as lf

SEED = "5eed" * 16  # 32 bytes, fixed so the test is repeatable
# chi-square critical values at p = 0.001 (tables): 4 and 9 degrees of freedom
CRITICAL_4, CRITICAL_9 = 18.467, 27.877


def _chi_square(observed: list[int], expected: list[float]) -> float:
    return sum((o - e) ** 2 / e for o, e in zip(observed, expected, strict=True))


def test_the_function_is_the_documented_one():
    import hashlib
    import hmac

    mac = hmac.new(bytes.fromhex(SEED), b"7:42:3", hashlib.sha256).digest()
    assert lf.roll(SEED, 7, 42, 3) == int.from_bytes(mac[:8], "big") * 1_000_000 // 2**64
    assert lf.commitment(SEED) == hashlib.sha256(bytes.fromhex(SEED)).hexdigest()
    assert [lf.pick(v, [100, 0, 900]) for v in (0, 99, 100, 999, 1_000)] == [0, 0, 2, 2, None]


def test_100000_draws_match_the_probabilities():
    probabilities = [10_000, 50_000, 200_000, 300_000]  # 1 %, 5 %, 20 %, 30 %; nothing 44 %
    counts = [0] * 5
    bins = [0] * 10
    for user in range(1, 1_001):
        for sequence in range(1, 101):
            value = lf.roll(SEED, 1, user, sequence)
            bins[value * 10 // lf.PPM] += 1
            drawn = lf.pick(value, probabilities)
            counts[4 if drawn is None else drawn] += 1
    assert sum(counts) == 100_000
    expected = [p / lf.PPM * 100_000 for p in [*probabilities, lf.PPM - sum(probabilities)]]
    assert _chi_square(counts, expected) < CRITICAL_4, counts
    assert _chi_square(bins, [10_000.0] * 10) < CRITICAL_9, bins


def test_probabilities_over_one_are_refused():
    lf.check_probabilities([500_000, 500_000])
    for bad, code in (([600_000, 400_001], ErrorCode.PROBABILITIES_EXCEED_ONE), ([-1], ErrorCode.INVALID_RATE)):
        with pytest.raises(DomainError) as exc:
            lf.check_probabilities(bad)
        assert exc.value.code == code


def _honest(prizes, users=30, draws=5, seed=SEED, activity=3):
    """What the server records, by the function: draws in a round-robin order."""
    records, awarded, next_id = [], {}, 1
    for sequence in range(1, draws + 1):
        for user in range(1, users + 1):
            value = lf.roll(seed, activity, user, sequence)
            drawn = lf.pick(value, [p.probability_ppm for p in prizes])
            got, fell_back = lf.outcome(drawn, prizes, awarded)
            if got is not None:
                awarded[got] = awarded.get(got, 0) + 1
            records.append(lf.DrawRecord(next_id, user, sequence, value, drawn, got, fell_back))
            next_id += 1
    return records, awarded


def test_stock_runs_out_to_nothing_and_verify_names_an_altered_draw():
    prizes = [lf.PrizeSpec(0, "POINTS", 300_000, 4), lf.PrizeSpec(1, "NOTHING", 200_000, 0)]
    records, awarded = _honest(prizes)
    assert awarded == {0: 4} and any(r.fell_back for r in records)
    assert lf.verify(SEED, lf.commitment(SEED), 3, prizes, records) == []
    assert lf.verify(SEED, "0" * 64, 3, prizes, records) == ["the seed does not match the published hash"]
    lost = next(i for i, r in enumerate(records) if r.awarded_position is None and not r.fell_back)
    altered = list(records)
    altered[lost] = lf.DrawRecord(**{**records[lost].__dict__, "awarded_position": 0})
    problems = lf.verify(SEED, lf.commitment(SEED), 3, prizes, altered)
    assert problems and problems[0].startswith(f"draw {records[lost].id}:")


@given(st.lists(st.integers(0, 400_000), min_size=1, max_size=5), st.integers(0, lf.PPM - 1))
def test_pick_is_the_cumulative_table(probabilities, value):
    drawn = lf.pick(value, probabilities)
    if drawn is None:
        assert value >= sum(probabilities)
    else:
        assert sum(probabilities[:drawn]) <= value < sum(probabilities[: drawn + 1])


@given(st.integers(1, 10**9), st.integers(1, 10**6))
def test_rolls_are_in_range(user, sequence):
    assert 0 <= lf.roll(SEED, 1, user, sequence) < lf.PPM
