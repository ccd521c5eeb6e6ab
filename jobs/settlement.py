"""Settlement jobs (FIN-4): issue the merchant statements of closed periods. Safe on several
workers: a statement is unique per (merchant, period start); the worker that loses the race
rolls its whole statement back (services.settlement.issue_due)."""

from __future__ import annotations

from datetime import timedelta

from jobs.runner import Job, register
from services import settlement


async def issue_statements() -> str:
    return f"issued {await settlement.issue_due()} statements"


register(Job("issue_settlement_statements", every=timedelta(minutes=30), run=issue_statements))
