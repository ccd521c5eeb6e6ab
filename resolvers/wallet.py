"""The signed-in user's wallet (FIN-2)."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from resolvers.common import login_required, viewer
from schema.types.wallet import Wallet
from services import wallet


@strawberry.type
class WalletQueries:
    @strawberry.field(
        description="My balances: available (零钱), frozen, pending commissions and consignment proceeds, coins, points.",
        extensions=login_required(),
    )
    async def my_wallet(self, info: Info) -> Wallet:
        return Wallet.from_balances(await wallet.balances(viewer(info).id))
