"""The cut sequence of a bargain (MKT-3, 砍价): pure functions over dataclasses.

`cut_sequence(plan)` draws, from the seed fixed when the bargain starts, one integer cut (fen)
per help needed: each at least 1 fen, the first ones larger, and all of them summing exactly
to start − floor. The draw is a hash of (seed, position), so anyone holding the seed can redo
it (reproducible, auditable); the bargain stores the sequence too.

`take(cuts, taken, new_user, new_user_cuts)`: the n-th help gets cut n; a new user's help takes
`new_user_cuts` consecutive cuts (it cuts more and the floor comes sooner), never past the last.
Whatever the order of arrival and whoever is new, the helps' amounts add up to the sequence's
prefix, so the price reaches the floor exactly at the last cut and never goes below it.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

MAX_HELPS = 100
_SCALE = 1 << 32


@dataclass(frozen=True)
class CutPlan:
    start: int  # fen, the price before any help
    floor: int  # fen, the price after the last help
    helps: int  # cuts in the sequence
    seed: str  # fixed at the bargain's start


@dataclass(frozen=True)
class Help:
    first: int  # the position of its first cut (0-based)
    count: int  # cuts it took
    amount: int  # fen cut


def check(start: int, floor: int, helps: int) -> str | None:
    """Why these numbers make no sequence (None: they do)."""
    if not all(isinstance(v, int) and not isinstance(v, bool) for v in (start, floor, helps)):
        return "whole numbers"
    if not 1 <= helps <= MAX_HELPS:
        return f"helps needed is 1 to {MAX_HELPS}"
    if not 0 < floor < start:
        return "the floor price is above 0 and below the start price"
    if start - floor < helps:
        return "every help cuts at least 0.01: start − floor is at least the helps needed"
    return None


def _unit(seed: str, position: int) -> int:
    digest = hashlib.sha256(f"{seed}:{position}".encode()).digest()
    return int.from_bytes(digest[:4], "big")  # 0 .. 2**32 - 1


def cut_sequence(plan: CutPlan) -> list[int]:
    """The plan's cuts (fen), in the order helps take them. ValueError when `check` refuses."""
    why = check(plan.start, plan.floor, plan.helps)
    if why is not None:
        raise ValueError(why)
    n, total = plan.helps, plan.start - plan.floor
    # weight: a random factor in [1, 2) times a slope from 2 (first) down to about 1 (last)
    weights = [(_SCALE + _unit(plan.seed, i)) * (2 * n - i) for i in range(n)]
    whole = sum(weights)
    extra = total - n  # above the 1 fen every cut has
    shares = [extra * w // whole for w in weights]
    left = extra - sum(shares)  # 0 <= left < n: to the largest remainders, then the earliest
    order = sorted(range(n), key=lambda i: (-(extra * weights[i] % whole), i))
    for i in order[:left]:
        shares[i] += 1
    return [1 + s for s in shares]


def take(cuts: list[int], taken: int, new_user: bool, new_user_cuts: int) -> Help:
    """The next help's cut: positions `taken` onwards, one (a new user: `new_user_cuts`, at least
    one), never past the sequence's end. ValueError when every cut is taken."""
    if not 0 <= taken < len(cuts):
        raise ValueError("no cut left")
    count = min(max(new_user_cuts, 1) if new_user else 1, len(cuts) - taken)
    return Help(taken, count, sum(cuts[taken : taken + count]))


def price_after(start: int, cuts: list[int], taken: int) -> int:
    """The price once the first `taken` cuts are made."""
    return start - sum(cuts[:taken])
