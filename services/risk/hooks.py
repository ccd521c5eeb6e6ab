"""Seams between risk control (RISK-2) and the features whose money it may hold.

Withdrawals ask `screen_withdrawal` before accepting a request (inside the request's
transaction); a returned reason means the withdrawal waits in the risk review queue
instead of the normal one. Risk control, when an admin decides a case, calls back the
feature that owns the held item through `RELEASE` / `REJECT`, keyed by subject kind
("WITHDRAWAL", "COMMISSION" ...). Neither side imports the other.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

# (user_id, withdrawal_id, amount, conn) -> a hold reason, or None to let it through
WithdrawalScreen = Callable[[int, int, int, Any], Awaitable[str | None]]
# (subject_id, actor_id, reason, conn) -> None; raise DomainError to refuse
SubjectDecision = Callable[[int, int | None, str, Any], Awaitable[None]]
# (subject ids) -> the ledger accounts refusing them moves money between
SubjectAccounts = Callable[[list[int]], Awaitable[list[int]]]

WITHDRAWAL_SCREENS: list[WithdrawalScreen] = []
RELEASE: dict[str, SubjectDecision] = {}  # subject kind -> put the held item back on its normal path
REJECT: dict[str, SubjectDecision] = {}  # subject kind -> refuse the held item (funds go back where they belong)
# subject kind -> the accounts a REJECT moves: a decision locks them before the case, as a
# payment that joins the case has locked its accounts before it (one lock order, no deadlock)
REJECT_ACCOUNTS: dict[str, SubjectAccounts] = {}


async def screen_withdrawal(user_id: int, withdrawal_id: int, amount: int, conn: Any = None) -> str | None:
    for screen in WITHDRAWAL_SCREENS:
        reason = await screen(user_id, withdrawal_id, amount, conn)
        if reason:
            return reason
    return None
