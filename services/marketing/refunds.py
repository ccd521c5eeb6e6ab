"""What a refund of a priced line gives back (ORD-7 with MKT-1/4): money, coins, the
discounts' shares, and whether a coupon returns. Pure; over `pipeline.PricedLine`s.

- Returning units (`quantity`, no `amount`): the cash is the units' cumulative share of
  what the line paid, less what earlier refunds of the line already gave back, so
  returning every unit, in any number of steps, gives back exactly what was paid.
- An explicit `amount` (a partial refund agreed on, units or not) is at most the cash not
  yet refunded; later unit refunds give back only what is left.
- Coins and each discount part go back with the units, by cumulative share: every coin
  exactly once when the last unit returns, never with an amount-only refund.
- A coupon returns once, at the step after which every line of every order it touched is
  refunded in full, if the policy allows: by default (`WHOLE_ORDER_BEFORE_COMPLETION`) only
  when that step comes before the order completed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from services.core.errors import DomainError, ErrorCode
from services.core.money import cumulative_share
from services.marketing.pipeline import Part, PricedLine, Quote

NEVER = "NEVER"
WHOLE_ORDER_BEFORE_COMPLETION = "WHOLE_ORDER_BEFORE_COMPLETION"
WHOLE_ORDER = "WHOLE_ORDER"  # returned whenever the whole order is refunded
COUPON_RETURN_POLICIES = (NEVER, WHOLE_ORDER_BEFORE_COMPLETION, WHOLE_ORDER)


@dataclass(frozen=True)
class Refunded:
    """What refunds of one line gave back so far."""

    quantity: int = 0
    cash: int = 0
    coins: int = 0


@dataclass(frozen=True)
class RefundRequest:
    line_key: str
    quantity: int = 0  # units given back
    amount: int | None = None  # cash; None: the units' share
    after_completion: bool = False  # the order had completed when this refund was made


@dataclass(frozen=True)
class RefundShare:
    line_key: str
    quantity: int
    cash: int
    coins: int
    discounts: tuple[Part, ...]  # each discount's share, back to its funder
    coupons_returned: tuple[int, ...] = ()  # user coupon ids that return at this step


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def refund_line(line: PricedLine, before: Refunded, quantity: int, amount: int | None) -> RefundShare:
    """One refund of `line`, after `before`. Raises INVALID_QUANTITY, INVALID_AMOUNT,
    INVALID_INPUT (nothing asked), AFTER_SALE_QUANTITY_EXCEEDED, REFUND_EXCEEDS_PAID."""
    if not _is_int(quantity) or quantity < 0:
        raise DomainError(ErrorCode.INVALID_QUANTITY, "A refund returns 0 units or more.", "quantity")
    if amount is not None and (not _is_int(amount) or amount < 0):
        raise DomainError(ErrorCode.INVALID_AMOUNT, "A refund amount is 0 fen or more.", "amount")
    if quantity == 0 and not amount:
        raise DomainError(ErrorCode.INVALID_INPUT, "A refund returns units, an amount, or both.", "quantity")
    if before.quantity + quantity > line.quantity:
        raise DomainError(
            ErrorCode.AFTER_SALE_QUANTITY_EXCEEDED, "More units than bought and not refunded.", "quantity"
        )
    left = line.paid - before.cash
    if amount is None:
        cash = max(0, line.paid * (before.quantity + quantity) // line.quantity - before.cash)
    elif amount > left:
        raise DomainError(ErrorCode.REFUND_EXCEEDS_PAID, "More than what is left of the line's payment.", "amount")
    else:
        cash = amount
    coins = cumulative_share(line.coins, line.quantity, before.quantity, quantity)
    parts = tuple(
        Part(p.source, p.source_id, p.funder, share)
        for p in line.discounts
        if (share := cumulative_share(p.amount, line.quantity, before.quantity, quantity))
    )
    return RefundShare(line.key, quantity, cash, coins, parts)


def returns_coupon(policy: str, after_completion: bool) -> bool:
    if policy not in COUPON_RETURN_POLICIES:
        raise DomainError(ErrorCode.INVALID_INPUT, "Unknown coupon return policy.", "policy")
    return policy == WHOLE_ORDER or (policy == WHOLE_ORDER_BEFORE_COMPLETION and not after_completion)


def coupon_lines(quote: Quote) -> dict[int, tuple[str, ...]]:
    """Per used coupon: the lines that must all be refunded before it can return (every
    bought line of every order it touched; gifts are free and need not come back)."""
    keys = {line.key: line for line in quote.lines}
    result = {}
    for c in quote.coupons:
        merchants = {keys[k].merchant_id for k in c.line_keys}
        result[c.id] = tuple(line.key for line in quote.lines if line.merchant_id in merchants and not line.gift)
    return result


def allocate_refunds(
    quote: Quote, requests: Sequence[RefundRequest], *, policy: str = WHOLE_ORDER_BEFORE_COMPLETION
) -> list[RefundShare]:
    """Every request in turn, each checked against the ones before it."""
    lines = {line.key: line for line in quote.lines}
    done = {key: Refunded() for key in lines}
    needs = coupon_lines(quote)
    returned: set[int] = set()
    shares = []
    for r in requests:
        line = lines.get(r.line_key)
        if line is None:
            raise DomainError(ErrorCode.NOT_FOUND, "No such line.", "lineKey")
        share = refund_line(line, done[r.line_key], r.quantity, r.amount)
        before = done[r.line_key]
        done[r.line_key] = Refunded(
            before.quantity + share.quantity, before.cash + share.cash, before.coins + share.coins
        )
        back = ()
        if share.quantity and returns_coupon(policy, r.after_completion):
            back = tuple(
                coupon_id
                for coupon_id, keys in needs.items()
                if coupon_id not in returned
                and r.line_key in keys
                and all(done[k].quantity == lines[k].quantity for k in keys)
            )
            returned.update(back)
        shares.append(RefundShare(share.line_key, share.quantity, share.cash, share.coins, share.discounts, back))
    return shares
