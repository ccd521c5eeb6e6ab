"""Live events of distribution, on the beneficiary's channel (`user:{id}`)."""

from __future__ import annotations

from dataclasses import dataclass

from services.core.events import Id, LiveEvent


@dataclass(frozen=True)
class CommissionCreated(LiveEvent):
    """A commission was booked for the user (PENDING)."""

    type = "commission_created"
    commission_id: Id


@dataclass(frozen=True)
class CommissionAvailable(LiveEvent):
    """A commission was released to the user's wallet."""

    type = "commission_available"
    commission_id: Id


@dataclass(frozen=True)
class CommissionReversed(LiveEvent):
    """A refund took `amount` fen of a commission back."""

    type = "commission_reversed"
    commission_id: Id
    amount: int


@dataclass(frozen=True)
class CommissionRejected(LiveEvent):
    """Risk review refused a commission."""

    type = "commission_rejected"
    commission_id: Id


@dataclass(frozen=True)
class GradeChanged(LiveEvent):
    """The user's distributor grade is now `grade`."""

    type = "grade_changed"
    grade: str
