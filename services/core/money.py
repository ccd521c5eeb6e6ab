"""Money helpers. Amounts are integer minor units (fen) everywhere inside the system."""

from __future__ import annotations

import re


def fen_to_decimal_string(fen: int) -> str:
    """1234 -> '12.34', -5 -> '-0.05'. Exact; never goes through float."""
    sign = "-" if fen < 0 else ""
    whole, cents = divmod(abs(int(fen)), 100)
    return f"{sign}{whole}.{cents:02d}"


# Money inputs are decimal strings in yuan, the form outputs use ("19.99"): no exponent,
# no bare or trailing point, no padding, at most MINOR_DIGITS places, an optional minus.
MINOR_DIGITS = 2  # CNY: one fen is 0.01 yuan
_AMOUNT = re.compile(rf"(-?)(0|[1-9][0-9]*)(?:\.([0-9]{{1,{MINOR_DIGITS}}}))?")
MAX_FEN = 2**63 - 1  # what a BIGINT fen column holds


def decimal_string_to_fen(amount: str) -> int:
    """'12.34' -> 1234, '-0.5' -> -50. Strict: refuses anything but a plain decimal string
    with at most two places ('1.001', '1e3', '1.', '.5', ' 1', 'NaN') and amounts beyond
    MAX_FEN, rather than rounding or guessing. Raises ValueError saying why."""
    if not isinstance(amount, str):
        raise ValueError('an amount is a decimal string, e.g. "19.99"')
    match = _AMOUNT.fullmatch(amount)
    if match is None:
        raise ValueError(f'an amount is a decimal string with at most {MINOR_DIGITS} places, e.g. "19.99"')
    sign, whole, places = match.groups()
    if len(whole) > 20:  # cheap guard before int(): far beyond MAX_FEN
        raise ValueError("amount too large")
    fen = int(whole) * 10**MINOR_DIGITS + int((places or "").ljust(MINOR_DIGITS, "0"))
    if fen > MAX_FEN:
        raise ValueError("amount too large")
    return -fen if sign else fen


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


def cumulative_share(total: int, count: int, done: int, more: int) -> int:
    """What `more` of `count` equal parts of `total` come to, after `done` of them were
    taken: taking every part, in any number of steps, takes exactly `total` (cumulative
    floor allocation: total * (done + more) // count - total * done // count)."""
    if more < 0 or done < 0 or done + more > count:
        raise ValueError("parts out of range")
    return total * (done + more) // count - total * done // count
