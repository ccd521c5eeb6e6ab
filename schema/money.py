"""Money: a decimal-string amount and a currency. Integer fen inside; never a Float."""

from __future__ import annotations

import strawberry

import settings
from services.core.money import fen_to_decimal_string


@strawberry.type(description="An exact amount of money.")
class Money:
    amount: str = strawberry.field(description='Decimal string with two places, e.g. "22.00".')
    currency: str = strawberry.field(description="ISO 4217 code, e.g. CNY; or COIN / POINT for virtual units.")

    @classmethod
    def from_fen(cls, fen: int, currency: str | None = None) -> Money:
        return cls(amount=fen_to_decimal_string(fen), currency=currency or settings.CURRENCY)
