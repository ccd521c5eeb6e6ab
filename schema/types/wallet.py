"""The signed-in user's balances and statement (FIN-2)."""

from __future__ import annotations

from datetime import datetime
from enum import Enum

import strawberry

from schema.money import Money
from schema.node import Node, node_id
from services.ledger.wallet import StatementLine as Line


@strawberry.type(description="My balances, straight from the ledger.")
class Wallet:
    available: Money = strawberry.field(description="零钱: spendable and withdrawable.")
    frozen: Money = strawberry.field(description="Held while a withdrawal is reviewed and paid out.")
    commission_pending: Money = strawberry.field(description="Commissions not yet final (frozen).")
    commission_available: Money = strawberry.field(
        description="Commission that reached my wallet so far (released, minus what refunds took back from the wallet); "
        "part of `available`, not a separate balance."
    )
    commission_debt: Money = strawberry.field(
        description="Commission I owe back (a refund after release my wallet could not cover); repaid from my next "
        "commissions. Withdrawals wait until it is zero."
    )
    consignment_pending: Money = strawberry.field(
        description="Consignment proceeds and rewards not yet final (frozen)."
    )
    coins: int = strawberry.field(description="Shopping coins.")
    points: int = strawberry.field(description="Points.")

    @classmethod
    def from_balances(cls, b) -> Wallet:
        return cls(
            available=Money.from_fen(b.available),
            frozen=Money.from_fen(b.frozen),
            commission_pending=Money.from_fen(b.commission_pending),
            commission_available=Money.from_fen(b.commission_available),
            commission_debt=Money.from_fen(b.commission_debt),
            consignment_pending=Money.from_fen(b.consignment_pending),
            coins=b.coins,
            points=b.points,
        )


@strawberry.enum(
    description="Why money moved: the business reason of a statement line (its journal transaction's kind)."
)
class StatementKind(Enum):
    ORDER_PAYMENT = strawberry.enum_value(
        "ORDER_PAYMENT", description="I paid an order (wallet, or a gateway passing through)."
    )
    ORDER_REFUND = strawberry.enum_value("ORDER_REFUND", description="An order was refunded to me.")
    COMMISSION_BOOKED = strawberry.enum_value("COMMISSION_BOOKED", description="A commission was booked (pending).")
    COMMISSION_RELEASED = strawberry.enum_value(
        "COMMISSION_RELEASED", description="A commission became available (to the wallet, or repaid debt)."
    )
    COMMISSION_REVERSED = strawberry.enum_value("COMMISSION_REVERSED", description="A refund took a commission back.")
    COMMISSION_REJECTED = strawberry.enum_value("COMMISSION_REJECTED", description="Risk review rejected a commission.")
    CONSIGNMENT_SALE = strawberry.enum_value(
        "CONSIGNMENT_SALE", description="A consigned unit of mine sold (proceeds pending)."
    )
    CONSIGNMENT_SALE_REVERSED = strawberry.enum_value(
        "CONSIGNMENT_SALE_REVERSED", description="That sale was refunded; the unit went back to the queue."
    )
    CONSIGNMENT_SETTLED = strawberry.enum_value(
        "CONSIGNMENT_SETTLED", description="Consignment proceeds became available."
    )
    SNAPUP_CONSOLATION = strawberry.enum_value(
        "SNAPUP_CONSOLATION", description="Shopping coins for a snap-up I did not win."
    )
    COINS_SPENT = strawberry.enum_value("COINS_SPENT", description="Shopping coins I spent at checkout.")
    COINS_RETURNED = strawberry.enum_value(
        "COINS_RETURNED", description="Coins back from a checkout cancelled or not paid in time."
    )
    COINS_REFUNDED = strawberry.enum_value("COINS_REFUNDED", description="Coins back with refunded units.")
    COINS_EARNED = strawberry.enum_value("COINS_EARNED", description="Coins a completed order's products earned me.")
    COINS_TAKEN_BACK = strawberry.enum_value(
        "COINS_TAKEN_BACK", description="Earned coins taken back with units refunded after completion."
    )
    COINS_EXPIRED = strawberry.enum_value(
        "COINS_EXPIRED", description="Coins not spent within COINS_EXPIRE_MONTHS of being credited (oldest first)."
    )
    POINTS_EARNED = strawberry.enum_value("POINTS_EARNED", description="Points a completed order's products earned me.")
    POINTS_TAKEN_BACK = strawberry.enum_value(
        "POINTS_TAKEN_BACK", description="Earned points taken back with units refunded after completion."
    )
    POINTS_EXPIRED = strawberry.enum_value(
        "POINTS_EXPIRED", description="Points not spent within POINTS_EXPIRE_MONTHS of being credited (oldest first)."
    )
    POINTS_SPENT = strawberry.enum_value("POINTS_SPENT", description="Points a points-mall order of mine took.")
    POINTS_REFUNDED = strawberry.enum_value(
        "POINTS_REFUNDED", description="Points back with refunded points-mall units."
    )
    LOTTERY_DRAW = strawberry.enum_value("LOTTERY_DRAW", description="Points a lottery draw of mine cost.")
    LOTTERY_PRIZE = strawberry.enum_value("LOTTERY_PRIZE", description="Points or coins a lottery draw of mine won.")
    DEMO_CREDIT = strawberry.enum_value("DEMO_CREDIT", description="Demo money (development data).")
    WITHDRAWAL_REQUESTED = strawberry.enum_value("WITHDRAWAL_REQUESTED", description="A withdrawal froze this amount.")
    WITHDRAWAL_REJECTED = strawberry.enum_value(
        "WITHDRAWAL_REJECTED", description="A withdrawal was rejected; the amount came back."
    )
    WITHDRAWAL_FAILED = strawberry.enum_value("WITHDRAWAL_FAILED", description="A payout failed; the amount came back.")
    WITHDRAWAL_PAID = strawberry.enum_value(
        "WITHDRAWAL_PAID", description="A withdrawal was paid out (the fee and the net left the frozen balance)."
    )
    OTHER = strawberry.enum_value("OTHER", description="Any other movement; `kindCode` names it.")


@strawberry.type(description="One line of my statement: one journal entry on one of my accounts.")
class StatementLine(Node):
    pk: strawberry.Private[int]
    id: strawberry.ID = node_id("StatementLine", "pk", description="The journal entry's id.")
    amount: Money = strawberry.field(description="Signed: positive came into the account, negative left it.")
    account: str = strawberry.field(
        description="Which of my accounts: WALLET, FROZEN, COMMISSION_PENDING, CONSIGNMENT_PENDING, "
        "COMMISSION_DEBT, COINS, POINTS."
    )
    balance_after: Money = strawberry.field(description="That account's balance right after this line.")
    created_at: datetime = strawberry.field(description="When it was booked.")
    kind: StatementKind = strawberry.field(description="The business reason.")
    kind_code: str = strawberry.field(description="The journal's own kind (the same as `kind` unless OTHER).")
    reference_type: str = strawberry.field(
        description="What it refers to: ORDER, PAYMENT, REFUND, COMMISSION, WHOLESALE_UNIT, WITHDRAWAL …"
    )
    reference_id: str = strawberry.field(description="The id of that object.")
    memo: str = strawberry.field(description="A note (a rejection reason, a transfer reference …); may be empty.")

    @classmethod
    def from_line(cls, line: Line) -> StatementLine:
        return cls(
            pk=line.id,
            amount=Money.from_fen(line.amount, line.currency),
            account=line.purpose,
            balance_after=Money.from_fen(line.balance_after, line.currency),
            created_at=line.created_at,
            kind=StatementKind(line.kind),
            kind_code=line.kind_code,
            reference_type=line.reference_type,
            reference_id=line.reference_id,
            memo=line.memo,
        )
