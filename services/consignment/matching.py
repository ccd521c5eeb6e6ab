"""Pure consignment arithmetic (CON-4): no database here, tested on its own."""

from __future__ import annotations

from dataclasses import dataclass

from services.consignment.events import UnitLeft, UnitQueued, UnitReturned, UnitSold

FIXED = "FIXED"
PERCENT = "PERCENT"
BP = 10_000  # basis points in a whole


@dataclass(frozen=True)
class Policy:
    fee_bp: int  # platform's consignment fee, basis points of the sale price
    reward_kind: str  # FIXED (fen per unit) or PERCENT (basis points of the sale price)
    reward_value: int


@dataclass(frozen=True)
class SaleSplit:
    proceeds: int  # to the seller: sale price - fee
    fee: int  # platform fee revenue
    reward: int  # consignment reward (挂售奖励), paid by the platform's promotion budget


def validate_policy(policy: Policy) -> str | None:
    """Why a policy is unusable, or None."""
    if not 0 <= policy.fee_bp <= BP:
        return "The fee is 0 to 100 %."
    if policy.reward_kind not in (FIXED, PERCENT):
        return "The reward is FIXED or PERCENT."
    if policy.reward_value < 0 or (policy.reward_kind == PERCENT and policy.reward_value > BP):
        return "The reward is 0 or more (at most 100 % when a percentage)."
    return None


def split_sale(price: int, policy: Policy) -> SaleSplit:
    """Fee rounds down (in the seller's favour); proceeds + fee == price exactly."""
    if price < 0:
        raise ValueError("price must not be negative")
    fee = price * policy.fee_bp // BP
    reward = policy.reward_value if policy.reward_kind == FIXED else price * policy.reward_value // BP
    return SaleSplit(proceeds=price - fee, fee=fee, reward=reward)


QueueEvent = UnitQueued | UnitSold | UnitLeft | UnitReturned


def position_after(position: int, my_key: int, event: QueueEvent) -> int | None:
    """A queued unit's 1-based position after a queue event, without asking the database:
    a unit ahead of it sold or left -> one less; a unit returned to the head -> one more.
    None: this unit itself was sold or left the queue."""
    match event:
        case UnitSold(key=key) | UnitLeft(key=key):
            if key == my_key:
                return None
            return position - 1 if key < my_key else position
        case UnitReturned(key=key):
            return position + 1 if key < my_key else position
    return position  # a unit queued joins the tail: behind everyone
