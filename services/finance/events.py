"""Live events of finance, on the owner's channel (`user:{id}` or `merchant:{id}`)."""

from __future__ import annotations

from dataclasses import dataclass

from services.core.events import Id, LiveEvent, wire_key


@dataclass(frozen=True)
class WithdrawalStatusChanged(LiveEvent):
    """A withdrawal moved to `status` (`from_status` "" when it was just requested)."""

    type = "withdrawal_status"
    withdrawal_id: Id
    from_status: str = wire_key("from")
    status: str
