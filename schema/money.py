"""Money: a decimal-string amount and a currency. Integer fen inside; never a Float.

Money inputs use the `Amount` scalar, the very form `Money.amount` has on the way out, so a
client sends back what it read ("19.99"). A scalar rather than a `MoneyInput { amount,
currency }`: every input amount is in the shop's one currency (settings.CURRENCY), so a
currency field could only ever be checked against it; a plain string keeps inputs short and
the refusal of a malformed amount in one place (parse_value / parse_literal, code
INVALID_AMOUNT in extensions.code). The scalar's Python value is the integer fen: resolvers
and services never see the string.
"""

from __future__ import annotations

from typing import NewType

import strawberry
from graphql import StringValueNode, ValueNode

import settings
from schema.errors import ApiError
from services.core.errors import DomainError, ErrorCode
from services.core.money import decimal_string_to_fen, fen_to_decimal_string

Amount = NewType("Amount", int)


def _parse(value: object) -> int:
    try:
        return decimal_string_to_fen(value)  # refuses non-strings (JSON numbers) too
    except ValueError as exc:
        # A GraphQLError raised here keeps its extensions: graphql-core reports it as is
        # (literals) or wraps it with it as original_error, whose extensions it adopts
        # (variables).
        raise ApiError(ErrorCode.INVALID_AMOUNT, f"Invalid amount {value!r}: {exc}.") from None


def _parse_literal(node: ValueNode, _variables: object = None) -> int:
    if not isinstance(node, StringValueNode):
        raise ApiError(ErrorCode.INVALID_AMOUNT, 'An amount is a quoted decimal string, e.g. "19.99".')
    return _parse(node.value)


AMOUNT_SCALAR = strawberry.scalar(
    name="Amount",
    description='An amount of money in yuan as a decimal string, e.g. "19.99": at most two places, '
    'no exponent, no leading "+", point or padding; a minus sign only where the field allows it. '
    "Never a JSON number. Money.amount has the same form.",
    serialize=fen_to_decimal_string,
    parse_value=_parse,
    parse_literal=_parse_literal,
)

SCALAR_MAP = {Amount: AMOUNT_SCALAR}


@strawberry.type(description="An exact amount of money.")
class Money:
    amount: Amount = strawberry.field(description='Decimal string with two places, e.g. "22.00".')
    currency: str = strawberry.field(description="ISO 4217 code, e.g. CNY; or COIN / POINT for virtual units.")

    @classmethod
    def from_fen(cls, fen: int, currency: str | None = None) -> Money:
        return cls(amount=Amount(fen), currency=currency or settings.CURRENCY)


def fixed_or_rate(fixed: bool, amount: int | None, rate_bp: int | None, prefix: str = "") -> int:
    """The one number a FIXED / PERCENT rule holds inside (fen per unit, or basis points),
    from its two unambiguous input fields: FIXED takes `amount` only, PERCENT `rateBp` only."""
    names = (f"{prefix}Amount" if prefix else "amount", f"{prefix}RateBp" if prefix else "rateBp")
    wanted, other = (amount, rate_bp) if fixed else (rate_bp, amount)
    wanted_name, other_name = names if fixed else names[::-1]
    if other is not None:
        raise DomainError(ErrorCode.INVALID_INPUT, f"{other_name} does not apply to this kind.", other_name)
    if wanted is None:
        raise DomainError(ErrorCode.INVALID_INPUT, f"{wanted_name} is required for this kind.", wanted_name)
    return wanted


def fixed_and_rate(fixed: bool, value: int) -> tuple[Money | None, int | None]:
    """The other way: (amount, rateBp) of a stored FIXED / PERCENT value, the other one null."""
    return (Money.from_fen(value), None) if fixed else (None, value)
