"""Pure store-card arithmetic (STO-2, STO-3): the top-up bonus tiers, the split of spending
between principal and bonus, and a punch card's income per use and pro-rata refund."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.stores.card_math import (
    Tier,
    check_rules,
    earned_after,
    split_spend,
    top_up_bonus,
    unused_refund,
    use_share,
)

TIERS = [Tier(50_000, 5_000), Tier(100_000, 12_000)]
fen = st.integers(min_value=0, max_value=10**9)
tiers = st.lists(
    st.builds(Tier, st.integers(min_value=1, max_value=10**7), st.integers(min_value=0, max_value=10**6)),
    max_size=6,
    unique_by=lambda t: t.top_up_from,
)


def test_the_examples():
    assert top_up_bonus(TIERS, 50_000) == 5_000  # top up 500.00, get 50.00
    assert top_up_bonus(TIERS, 49_999) == 0
    assert top_up_bonus(TIERS, 150_000) == 12_000  # the highest tier reached, not a sum
    assert split_spend(50_000, 5_000, 52_000).__dict__ == {"principal": 47_272, "bonus": 4_728}
    assert [use_share(1000, 3, k) for k in range(3)] == [333, 333, 334]
    assert unused_refund(1000, 3, 1) == 667


def test_bad_rules_are_refused():
    with pytest.raises(ValueError):
        check_rules([Tier(100, 1), Tier(100, 2)])
    with pytest.raises(ValueError):
        check_rules([Tier(0, 1)])
    with pytest.raises(ValueError):
        split_spend(10, 0, 11)


@given(tiers, fen, fen)
def test_the_bonus_never_falls_as_the_top_up_grows_if_tiers_grow(rules, a, b):
    ordered = check_rules(rules)
    monotone = all(x.bonus <= y.bonus for x, y in zip(ordered, ordered[1:], strict=False))
    low, high = sorted((a, b))
    assert top_up_bonus(rules, low) in {0, *(t.bonus for t in rules)}
    if monotone:
        assert top_up_bonus(rules, low) <= top_up_bonus(rules, high)


@given(fen, fen, st.data())
def test_a_split_is_exact_and_within_each_part(principal, bonus, data):
    if principal + bonus == 0:
        return
    amount = data.draw(st.integers(min_value=1, max_value=principal + bonus))
    split = split_spend(principal, bonus, amount)
    assert split.principal + split.bonus == amount
    assert 0 <= split.principal <= principal and 0 <= split.bonus <= bonus
    # in proportion: the principal part is the floor of its share
    assert split.principal == amount * principal // (principal + bonus)


@given(fen, fen, st.lists(st.integers(min_value=1, max_value=10**6), max_size=20))
def test_spending_in_steps_keeps_the_card_honest(principal, bonus, spends):
    """Whatever is spent, principal left + bonus left = balance − spent; a refund gives back
    at most the principal paid in, never any bonus."""
    p, b = principal, bonus
    for s in spends:
        if s > p + b:
            continue
        split = split_spend(p, b, s)
        p, b = p - split.principal, b - split.bonus
        assert p >= 0 and b >= 0
    assert p <= principal and b <= bonus


@given(st.integers(min_value=0, max_value=10**9), st.integers(min_value=1, max_value=500), st.data())
def test_uses_earn_exactly_the_price_and_refunds_complete_it(price, uses, data):
    used = data.draw(st.integers(min_value=0, max_value=uses))
    earned = sum(use_share(price, uses, k) for k in range(used))
    assert earned == earned_after(price, uses, used)
    assert earned + unused_refund(price, uses, used) == price
    assert sum(use_share(price, uses, k) for k in range(uses)) == price
    assert all(use_share(price, uses, k) >= 0 for k in range(uses))
    assert unused_refund(price, uses, 0) == price and unused_refund(price, uses, uses) == 0
