"""Ledger accounts and the invariant report, for administrators reconciling money."""

from __future__ import annotations

import strawberry

from models import ledger as m
from schema.money import Money
from schema.node import Node, encode, node_id
from services.ledger.ledger import InvariantViolation

_OWNER_TYPES = {"USER": "User", "MERCHANT": "Merchant"}


@strawberry.type(description="A ledger account: one owner (user, merchant or platform) and one purpose.")
class LedgerAccount(Node):
    pk: strawberry.Private[int]
    id: strawberry.ID = node_id("LedgerAccount", "pk", description="Account id.")
    owner_type: str = strawberry.field(description="USER, MERCHANT or PLATFORM.")
    owner_id: strawberry.ID | None = strawberry.field(description="The user or merchant; null for the platform.")
    purpose: str = strawberry.field(description="WALLET, COMMISSION_PENDING, GATEWAY_CLEARING, ...")
    balance: Money = strawberry.field(description="Current balance; always the sum of the account's journal entries.")
    allow_negative: bool = strawberry.field(description="Only platform contra accounts may go below zero.")

    @classmethod
    def from_model(cls, a: m.LedgerAccount) -> LedgerAccount:
        return cls(
            pk=a.id,
            owner_type=a.owner_type,
            owner_id=strawberry.ID(encode(_OWNER_TYPES[a.owner_type], a.owner_id))
            if a.owner_type in _OWNER_TYPES
            else None,
            purpose=a.purpose,
            balance=Money.from_fen(a.balance, a.currency),
            allow_negative=a.allow_negative,
        )


@strawberry.type(description="A broken ledger invariant. The list is empty while the books are sound.")
class LedgerInvariantViolation:
    rule: str = strawberry.field(description="Which invariant failed.")
    subject_id: strawberry.ID = strawberry.field(description="The transaction or account concerned.")
    detail: str = strawberry.field(description="Currency or purpose of the subject.")
    value: int = strawberry.field(description="The offending figure, in minor units.")

    @classmethod
    def from_service(cls, v: InvariantViolation) -> LedgerInvariantViolation:
        return cls(rule=v.rule, subject_id=strawberry.ID(str(v.subject_id)), detail=v.detail, value=v.value)
