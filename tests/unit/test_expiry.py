"""Coins and points expiry, oldest first: the journal-only formula `due` equals a simulation
that keeps every credit as a lot and lets each debit use up the oldest lots, over many random
histories; months_before is calendar arithmetic."""

from __future__ import annotations

from collections import deque
from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st

from services.marketing.expiry import due, months_before

history = st.lists(st.tuples(st.booleans(), st.integers(1, 500)), max_size=40)


def by_lots(events: list[tuple[bool, int]], cutoff: int) -> tuple[int, int, int, int]:
    """Replay: (credit?, amount) at times 0, 1, ...; a debit takes what is held at most.
    Returns the unspent old credits and the sums the formula reads."""
    lots: deque[list[int]] = deque()  # [time, amount left]
    old_credits = debits = 0
    for t, (credit, amount) in enumerate(events):
        if credit:
            lots.append([t, amount])
            old_credits += amount if t < cutoff else 0
            continue
        take = min(amount, sum(lot[1] for lot in lots))
        debits += take
        while take:
            used = min(take, lots[0][1])
            lots[0][1] -= used
            take -= used
            if not lots[0][1]:
                lots.popleft()
    balance = sum(lot[1] for lot in lots)
    unspent_old = sum(left for t, left in lots if t < cutoff)
    return unspent_old, old_credits, debits, balance


@settings(max_examples=2000)
@given(events=history, cutoff=st.integers(0, 45))
def test_the_formula_is_oldest_first(events, cutoff):
    unspent_old, old_credits, debits, balance = by_lots(events, cutoff)
    assert due(old_credits, debits, balance) == unspent_old


@given(events=history, cutoff=st.integers(0, 45))
def test_an_expiry_is_a_debit_after_which_nothing_more_is_due(events, cutoff):
    _, old_credits, debits, balance = by_lots(events, cutoff)
    expired = due(old_credits, debits, balance)
    assert 0 <= expired <= balance
    assert due(old_credits, debits + expired, balance - expired) == 0


def test_months_before():
    assert months_before(date(2026, 6, 10), 3) == date(2026, 3, 10)
    assert months_before(date(2026, 3, 31), 1) == date(2026, 2, 28)
    assert months_before(date(2026, 1, 15), 13) == date(2024, 12, 15)
    assert months_before(date(2024, 5, 31), 3) == date(2024, 2, 29)
