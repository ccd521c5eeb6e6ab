"""Withdrawal jobs (FIN-3): hand approved withdrawals whose hand-over to the payout channel
failed (the channel was down) to it again. Safe on several workers: channels are
idempotent per payout number and the hand-over is recorded by a conditional UPDATE."""

from __future__ import annotations

from services.finance import withdrawals


async def submit_payouts() -> str:
    return f"handed {await withdrawals.submit_due()} payouts to their channel"
