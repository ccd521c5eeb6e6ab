"""Settlement jobs (FIN-4): issue the merchant statements of closed periods. Safe on several
workers: a statement is unique per (merchant, period start); the worker that loses the race
rolls its whole statement back (services.finance.settlement.issue_due)."""

from __future__ import annotations

from services.finance import settlement


async def issue_statements() -> str:
    return f"issued {await settlement.issue_due()} statements"
