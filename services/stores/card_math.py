"""Pure calculations of the store cards (STO-2, STO-3), in fen, over plain values: tested
without a database (tests/unit/test_card_math.py, with hypothesis).

- `top_up_bonus`: tiered rules "top up at least A, get B": the highest tier reached applies
  (top up 500.00 → 50.00 with the tier (50000, 5000)); never a bonus below the first tier.
- `split_spend`: a member card's spending takes principal and bonus **in proportion to what
  the card holds**, the principal part rounded down (the rounding fen comes from the bonus, in
  the customer's favour): spending s from (p, b) takes floor(s·p/(p+b)) of principal and the
  rest of bonus. So the card keeps its principal/bonus ratio, and a refund of what is left
  (principal only, the bonus forfeited) gives back the principal share of the unspent value.
- `earned_after` / `unused_refund`: a punch card of n uses bought for A is earned by the
  merchant use by use as the cumulative floor A·k/n (the last use takes the rest, so all n
  uses earn exactly A); a refund of the unused uses after k gives A − earned_after(k).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Tier:
    top_up_from: int  # fen, > 0
    bonus: int  # fen, >= 0


def check_rules(tiers: list[Tier]) -> list[Tier]:
    """The tiers sorted by threshold; ValueError for a duplicate threshold, a threshold of 0 or
    less, or a negative bonus."""
    ordered = sorted(tiers, key=lambda t: t.top_up_from)
    seen: set[int] = set()
    for tier in ordered:
        if tier.top_up_from <= 0 or tier.bonus < 0:
            raise ValueError("a tier needs a threshold above 0 and a bonus of 0 or more")
        if tier.top_up_from in seen:
            raise ValueError("two tiers with the same threshold")
        seen.add(tier.top_up_from)
    return ordered


def top_up_bonus(tiers: list[Tier], amount: int) -> int:
    """The bonus a top-up of `amount` earns: that of the highest tier whose threshold it reaches."""
    bonus = 0
    for tier in sorted(tiers, key=lambda t: t.top_up_from):
        if amount >= tier.top_up_from:
            bonus = tier.bonus
    return bonus


@dataclass(frozen=True)
class Split:
    principal: int
    bonus: int


def split_spend(principal: int, bonus: int, amount: int) -> Split:
    """What spending `amount` (0 < amount <= principal + bonus) takes of each part."""
    total = principal + bonus
    if amount <= 0 or amount > total:
        raise ValueError("the amount must be above 0 and at most the balance")
    from_principal = amount * principal // total
    return Split(from_principal, amount - from_principal)


def earned_after(price: int, uses: int, used: int) -> int:
    """What the merchant has earned of a punch card bought for `price` after `used` of its `uses`."""
    if uses <= 0 or not 0 <= used <= uses:
        raise ValueError("0 <= used <= uses, uses > 0")
    return price * used // uses


def use_share(price: int, uses: int, used_before: int) -> int:
    """What one more use (the used_before+1-th) earns the merchant."""
    return earned_after(price, uses, used_before + 1) - earned_after(price, uses, used_before)


def unused_refund(price: int, uses: int, used: int) -> int:
    """The pro-rata refund of the uses left."""
    return price - earned_after(price, uses, used)
