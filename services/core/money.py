"""Money helpers. Amounts are integer minor units (fen) everywhere inside the system."""

from __future__ import annotations

from decimal import Decimal


def fen_to_decimal_string(fen: int) -> str:
    """1234 -> '12.34', -5 -> '-0.05'. Exact; never goes through float."""
    sign = "-" if fen < 0 else ""
    whole, cents = divmod(abs(int(fen)), 100)
    return f"{sign}{whole}.{cents:02d}"


def decimal_string_to_fen(amount: str) -> int:
    """'12.34' -> 1234. Refuses more than two decimal places rather than rounding."""
    value = Decimal(amount)
    fen = value * 100
    if fen != fen.to_integral_value():
        raise ValueError("amount has more than two decimal places")
    return int(fen)


def allocate(total: int, weights: list[int]) -> list[int]:
    """Split `total` in proportion to `weights` by largest remainder; parts sum to `total`.

    Ties go to the earlier weight, so the split is deterministic.
    """
    if total < 0:
        return [-p for p in allocate(-total, weights)]
    if not weights:
        raise ValueError("weights must not be empty")
    if any(w < 0 for w in weights):
        raise ValueError("weights must be non-negative")
    weight_sum = sum(weights)
    if weight_sum == 0:
        raise ValueError("weights must not all be zero")
    parts = [total * w // weight_sum for w in weights]
    remainders = [total * w % weight_sum for w in weights]
    short = total - sum(parts)
    order = sorted(range(len(weights)), key=lambda i: (-remainders[i], i))
    for i in order[:short]:
        parts[i] += 1
    return parts
