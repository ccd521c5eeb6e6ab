"""The signed-in user's wallet and statement (FIN-2)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry
from strawberry.types import Info

from resolvers.common import api_errors, login_required, viewer
from schema.pagination import Connection, to_connection
from schema.types.wallet import StatementKind, StatementLine, Wallet
from services.ledger import wallet
from services.ledger.ledger import USER


@strawberry.type
class WalletQueries:
    @strawberry.field(
        description="My balances: available (零钱), frozen, pending and available commissions, commission debt, consignment "
        "proceeds, coins, points.",
        extensions=login_required(),
    )
    async def my_wallet(self, info: Info) -> Wallet:
        return Wallet.from_balances(await wallet.balances(viewer(info).id))

    @strawberry.field(
        description="My statement: every movement on any of my accounts (wallet, frozen, commissions, consignment, coins, "
        "points), newest first, with its business reason and the balance after it.",
        extensions=login_required(),
    )
    @api_errors
    async def my_statement(
        self,
        info: Info,
        kind: Annotated[list[StatementKind] | None, strawberry.argument(description="Only these reasons.")] = None,
        from_: Annotated[
            datetime | None, strawberry.argument(name="from", description="From this time (inclusive).")
        ] = None,
        to: Annotated[datetime | None, strawberry.argument(description="Until this time (exclusive).")] = None,
        first: Annotated[int, strawberry.argument(description="Page size.")] = 20,
        after: Annotated[str | None, strawberry.argument(description="Cursor from the previous page.")] = None,
    ) -> Connection[StatementLine]:
        page = await wallet.statement(
            USER,
            viewer(info).id,
            kinds=[k.value for k in kind] if kind is not None else None,
            since=from_,
            until=to,
            first=first,
            after=after,
        )
        return to_connection(page, StatementLine.from_line)
