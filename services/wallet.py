"""A user's balances (FIN-2): read from their ledger accounts, never stored elsewhere."""

from __future__ import annotations

from dataclasses import dataclass

from models.ledger import LedgerAccount
from services.ledger import USER, Purpose


@dataclass(frozen=True)
class Balances:
    available: int  # WALLET: withdrawable, spendable (零钱)
    frozen: int  # held for withdrawals under review
    commission_pending: int  # commissions not yet final
    consignment_pending: int  # consignment proceeds and rewards not yet final
    coins: int
    points: int


async def balances(user_id: int) -> Balances:
    rows = dict(await LedgerAccount.filter(owner_type=USER, owner_id=user_id).values_list("purpose", "balance"))
    return Balances(
        available=rows.get(Purpose.WALLET, 0), frozen=rows.get(Purpose.FROZEN, 0),
        commission_pending=rows.get(Purpose.COMMISSION_PENDING, 0),
        consignment_pending=rows.get(Purpose.CONSIGNMENT_PENDING, 0),
        coins=rows.get(Purpose.COINS, 0), points=rows.get(Purpose.POINTS, 0),
    )
