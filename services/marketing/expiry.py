"""Coins and points expire (MKT-4, FIN-2): what a user has not spent N calendar months after
it was credited goes back to the platform's PROMOTION_EXPENSE, oldest first.

Oldest first means every debit (spending, a take-back, an earlier expiry) used up the oldest
credits, so what is still unspent of the credits older than the cutoff is simply those
credits less every debit, when positive (`due`); no lot table is needed, the journal is
enough. The daily job posts one `COINS_EXPIRED` / `POINTS_EXPIRED` transaction per account,
idempotent per account and cutoff day, with the account locked while it decides.
"""

from __future__ import annotations

import calendar
from datetime import date

from tortoise import connections
from tortoise.transactions import in_transaction

import settings
from services.core.business_days import day_start, today
from services.core.sql import sql
from services.ledger import ledger
from services.ledger.ledger import Purpose
from services.marketing.coins import COIN, from_budget
from services.marketing.rewards import POINT

# (purpose, currency, journal kind, the setting's months)
KINDS = (
    (Purpose.COINS, COIN, "COINS_EXPIRED", lambda: settings.COINS_EXPIRE_MONTHS),
    (Purpose.POINTS, POINT, "POINTS_EXPIRED", lambda: settings.POINTS_EXPIRE_MONTHS),
)


def due(old_credits: int, debits: int, balance: int) -> int:
    """What expires: the credits older than the cutoff not yet used up by the debits (which
    take the oldest first), never more than the balance."""
    return max(0, min(old_credits - debits, balance))


def months_before(day: date, months: int) -> date:
    """The same day `months` calendar months earlier (that month's last day when it is shorter)."""
    year, month0 = divmod(day.year * 12 + day.month - 1 - months, 12)
    return date(year, month0 + 1, min(day.day, calendar.monthrange(year, month0 + 1)[1]))


_TOTALS = (
    "SELECT a.id AS account_id, a.owner_id AS owner_id, a.balance AS balance, "
    "SUM(CASE WHEN e.amount > 0 AND e.created_at < ? THEN e.amount ELSE 0 END) AS old_credits, "
    "SUM(CASE WHEN e.amount < 0 THEN -e.amount ELSE 0 END) AS debits "
    "FROM ledger_account a JOIN ledger_entry e ON e.account_id = a.id "
    "WHERE a.owner_type = 'USER' AND a.purpose = ? AND a.currency = ? AND a.balance > 0 {one} "
    "GROUP BY a.id, a.owner_id, a.balance"
)


async def _totals(conn, cutoff, purpose: str, currency: str, account: int | None = None) -> list[dict]:
    text = _TOTALS.format(one="AND a.id = ?" if account is not None else "")
    params = [cutoff, purpose, currency] + ([account] if account is not None else [])
    return await conn.execute_query_dict(sql(conn, text), params)


async def expire_due() -> dict[str, int]:
    """One pass for every currency whose expiry is on: {journal kind: units expired}."""
    out: dict[str, int] = {}
    for purpose, currency, kind, months in KINDS:
        if months() <= 0:
            continue
        cutoff_day = months_before(today(), months())
        cutoff = day_start(cutoff_day)
        conn = connections.get("default")
        expired = 0
        for row in await _totals(conn, cutoff, purpose, currency):
            if due(int(row["old_credits"]), int(row["debits"]), int(row["balance"])) <= 0:
                continue
            async with in_transaction() as tx:
                await ledger.lock_accounts(tx, [row["account_id"]])  # a spend meanwhile is counted
                fresh = (await _totals(tx, cutoff, purpose, currency, row["account_id"]) or [None])[0]
                amount = due(int(fresh["old_credits"]), int(fresh["debits"]), int(fresh["balance"])) if fresh else 0
                if amount > 0:
                    key = f"{kind.lower()}:{row['account_id']}:{cutoff_day.isoformat()}"
                    reference = ("EXPIRY", cutoff_day.isoformat())
                    await from_budget(
                        kind, row["owner_id"], -amount, key, reference, tx, purpose=purpose, currency=currency
                    )
                    expired += amount
        out[kind] = expired
    return out
