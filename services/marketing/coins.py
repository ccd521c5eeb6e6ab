"""Shopping coins at checkout (MKT-4, ORD-2, CON-7): the exchange rate and caps (settings),
what a buyer holds, and the coins' journeys through the ledger. Coins are the ledger
currency COIN: each user's COINS account, the platform's PROMOTION_EXPENSE (COIN) as their
source and sink (snap-up consolation coins come from there too).

- spent at checkout, in the checkout's unit (the account never goes below zero: the
  ledger's conditional UPDATE refuses, so concurrent checkouts cannot overspend);
- given back when the unpaid checkout is cancelled or times out (per order), and per
  refunded unit by cumulative share (every coin exactly once when the last unit returns).
The cash the coins stand for is a platform-funded discount: the merchant is paid it with
the order's money (services.orders.payments) and gives the refunded units' share back.
"""

from __future__ import annotations

import settings
from services.ledger import ledger
from services.ledger.ledger import Posting, Purpose
from services.marketing.offers import CoinRule

COIN = "COIN"


def rule() -> CoinRule:
    return CoinRule(
        coins_per_unit=settings.COINS_PER_UNIT,
        fen_per_unit=settings.COINS_FEN_PER_UNIT,
        line_cap_bp=settings.COINS_LINE_CAP_BP,
        order_cap_bp=settings.COINS_ORDER_CAP_BP,
        order_cap_fen=settings.COINS_ORDER_CAP_FEN,
    )


async def balance(user_id: int) -> int:
    return (await ledger.user_account(user_id, Purpose.COINS, COIN)).balance


async def from_budget(
    kind: str,
    user_id: int,
    amount: int,
    key: str,
    reference: tuple[str, str],
    conn=None,
    *,
    purpose: str = Purpose.COINS,
    currency: str = COIN,
) -> None:
    """`amount` > 0 from the platform's PROMOTION_EXPENSE to the user's account of `purpose`
    in `currency` (coins by default, points too), < 0 back; one journal transaction (on the
    caller's unit itself when `conn` is given: see ledger.post)."""
    user_key = (ledger.USER, user_id, purpose, currency)
    budget_key = (ledger.PLATFORM, 0, Purpose.PROMOTION_EXPENSE, currency)
    ids = await ledger.account_ids([user_key, budget_key])  # one read for both
    user, budget = ids[user_key], ids[budget_key]
    await ledger.post(
        kind,
        [Posting(user, amount), Posting(budget, -amount)],
        idempotency_key=key,
        reference_type=reference[0],
        reference_id=reference[1],
        conn=conn,
    )


async def spend(user_id: int, coins: int, payment_id: int, conn) -> None:
    """The checkout's coins leave the buyer (INSUFFICIENT_FUNDS when they are not there any
    more: the caller's unit rolls back)."""
    if coins > 0:
        await from_budget(
            "COINS_SPENT", user_id, -coins, f"coins:spent:{payment_id}", ("PAYMENT", str(payment_id)), conn
        )


async def on_order_cancelled(order, conn) -> None:
    """CANCELLED step: an unpaid order's coins come back."""
    if order.coins:
        key = f"coins:returned:{order.id}"
        await from_budget("COINS_RETURNED", order.buyer_id, order.coins, key, ("ORDER", str(order.id)), conn)


async def refund(order, coins: int, after_sale_id: int, conn) -> None:
    """The refunded units' coins come back."""
    if coins > 0:
        key = f"coins:refunded:{after_sale_id}"
        await from_budget("COINS_REFUNDED", order.buyer_id, coins, key, ("ORDER", str(order.id)), conn)
