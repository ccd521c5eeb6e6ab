"""The points lottery's published, provably fair draw function (MKT-4). Pure: no database.

Before an activity opens the server publishes `seed_hash = sha256(seed)` (the seed: 32 random
bytes, hex); the prizes (their order, probabilities and stock) are fixed at the same time.
Each draw of user U, their N-th in activity A (N = 1, 2, ...), is decided by

    mac  = HMAC-SHA256(key = seed bytes, message = "A:U:N" in ASCII decimal)
    roll = floor(int(mac[0:8] as big-endian) × 1,000,000 / 2**64)        (0 ≤ roll < 1,000,000)

and the prize is the first one, in position order, whose cumulative probability (parts per
million) exceeds `roll`; past the last one (probabilities sum to at most 1,000,000), nothing.
**Stock**: when the prize drawn is out of stock at that draw — as many of it were awarded by
earlier draws (in the order the draws were recorded) as its stock — the outcome is nothing
(`fell_back`): a sold-out prize's probability passes to "nothing". A NOTHING prize awards
nothing and has no stock. Once the activity has closed the seed is revealed; `verify`
recomputes every draw from it (tools/verify_lottery.py runs it on the database).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence
from dataclasses import dataclass

from services.core.errors import DomainError, ErrorCode

PPM = 1_000_000
NOTHING = "NOTHING"


def commitment(seed: str) -> str:
    return hashlib.sha256(bytes.fromhex(seed)).hexdigest()


def roll(seed: str, activity_id: int, user_id: int, sequence: int) -> int:
    mac = hmac.new(bytes.fromhex(seed), f"{activity_id}:{user_id}:{sequence}".encode(), hashlib.sha256).digest()
    return int.from_bytes(mac[:8], "big") * PPM >> 64


def pick(value: int, probabilities_ppm: Sequence[int]) -> int | None:
    """The index of the prize `value` falls on, or None past every prize."""
    cumulative = 0
    for index, ppm in enumerate(probabilities_ppm):
        cumulative += ppm
        if value < cumulative:
            return index
    return None


def check_probabilities(probabilities_ppm: Sequence[int]) -> None:
    for ppm in probabilities_ppm:
        if not isinstance(ppm, int) or isinstance(ppm, bool) or ppm < 0:
            raise DomainError(ErrorCode.INVALID_RATE, "A probability is 0 to 100 %.", "prizes")
    if sum(probabilities_ppm) > PPM:
        raise DomainError(ErrorCode.PROBABILITIES_EXCEED_ONE, "The probabilities add up to more than 100 %.", "prizes")


@dataclass(frozen=True)
class PrizeSpec:
    position: int  # 0, 1, ... in the table's order
    kind: str
    probability_ppm: int
    stock: int


@dataclass(frozen=True)
class DrawRecord:
    id: int  # the order draws were recorded in
    user_id: int
    sequence: int
    roll: int
    drawn_position: int | None
    awarded_position: int | None  # None: nothing
    fell_back: bool


def outcome(drawn: int | None, prizes: Sequence[PrizeSpec], awarded_so_far: dict[int, int]) -> tuple[int | None, bool]:
    """(the position awarded or None, whether it fell back to nothing for want of stock)."""
    if drawn is None or prizes[drawn].kind == NOTHING:
        return None, False
    if awarded_so_far.get(drawn, 0) >= prizes[drawn].stock:
        return None, True
    return drawn, False


def verify(
    seed: str, seed_hash: str, activity_id: int, prizes: Sequence[PrizeSpec], draws: Sequence[DrawRecord]
) -> list[str]:
    """Every problem found (empty: the seed matches its published hash, every draw's roll and
    prize are what the function gives, in order, and no prize was awarded beyond its stock)."""
    problems = []
    if commitment(seed) != seed_hash:
        problems.append("the seed does not match the published hash")
    table = sorted(prizes, key=lambda p: p.position)
    probabilities = [p.probability_ppm for p in table]
    awarded: dict[int, int] = {}
    last_sequence: dict[int, int] = {}
    for d in sorted(draws, key=lambda d: d.id):
        if d.sequence != last_sequence.get(d.user_id, 0) + 1:
            problems.append(f"draw {d.id}: user {d.user_id}'s sequence {d.sequence} is out of order")
        last_sequence[d.user_id] = d.sequence
        value = roll(seed, activity_id, d.user_id, d.sequence)
        drawn = pick(value, probabilities)
        expected, fell_back = outcome(drawn, table, awarded)
        if expected is not None:
            awarded[expected] = awarded.get(expected, 0) + 1
        if (d.roll, d.drawn_position, d.awarded_position, d.fell_back) != (value, drawn, expected, fell_back):
            problems.append(
                f"draw {d.id}: recorded roll {d.roll}, prize {d.awarded_position} (fell back {d.fell_back}); "
                f"the seed gives roll {value}, prize {expected} (fell back {fell_back})"
            )
    return problems
