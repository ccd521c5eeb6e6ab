"""The signed-in user's balances (FIN-2)."""

from __future__ import annotations

import strawberry

from schema.money import Money


@strawberry.type(description="My balances, straight from the ledger.")
class Wallet:
    available: Money = strawberry.field(description="零钱: spendable and withdrawable.")
    frozen: Money = strawberry.field(description="Held while a withdrawal is reviewed.")
    commission_pending: Money = strawberry.field(description="Commissions not yet final (frozen).")
    consignment_pending: Money = strawberry.field(description="Consignment proceeds and rewards not yet final (frozen).")
    coins: int = strawberry.field(description="Shopping coins.")
    points: int = strawberry.field(description="Points.")

    @classmethod
    def from_balances(cls, b) -> "Wallet":
        return cls(
            available=Money.from_fen(b.available), frozen=Money.from_fen(b.frozen),
            commission_pending=Money.from_fen(b.commission_pending),
            consignment_pending=Money.from_fen(b.consignment_pending), coins=b.coins, points=b.points,
        )
