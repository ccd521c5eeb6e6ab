"""Punch cards (次卡, STO-3): N uses of a service item (e.g. 10 car washes), bought like a
virtual good, each use redeemed at a store of the merchant against a one-time code.

- What is sold: a REDEEMABLE product (STO-6) with punch-card terms (`set_terms`: uses per unit,
  days valid from payment). Checkout needs no address; the order stays PAID until its cards
  are used up or refunded, then completes (`complete_virtual`, the COMPLETED reactions).
- At payment (PAID step `stores.issue_punch_cards`): one card per line, uses = terms.uses ×
  quantity, price = the line's amount; the price moves from the merchant's MERCHANT_PENDING to
  its PUNCH_CARD_UNEARNED (PUNCH_CARD_SOLD): money held until use.
- A use: the customer's phone shows a one-time code (`new_code`, random digits like pickup
  codes, alive PUNCH_CARD_CODE_MINUTES); staff with store.redeem at a store of the card's
  merchant redeem it (`redeem`). The code is taken by ONE conditional UPDATE (`used_at IS
  NULL AND expires_at > now`), so of any number of concurrent redemptions of a code exactly one
  succeeds; then the card's use count moves by a conditional UPDATE (`uses_used < uses_total`,
  returning the count) and the use's share of the price (card_math.use_share: cumulative floor,
  the last use takes the rest) moves PUNCH_CARD_UNEARNED → MERCHANT_PENDING (PUNCH_CARD_USE),
  which the next settlement statement covers.
- Refund of the unused uses (`refund`, by the holder, when PUNCH_CARD_REFUND_UNUSED is on):
  card_math.unused_refund moves back PUNCH_CARD_UNEARNED → MERCHANT_PENDING
  (PUNCH_CARD_RELEASED) and out to the buyer by the payment's method
  (services.orders.payments.book_refund, capped by the order).
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from tortoise.exceptions import IntegrityError

import settings
from models.catalog import Product
from models.merchants import Store
from models.orders import Order
from models.stores import PunchCard, PunchCardCode, PunchCardTerms
from services.accounts.access import Grants, require_merchant, require_store_permission
from services.catalog import product_states
from services.core import clock
from services.core.errors import DomainError, ErrorCode
from services.core.events import unit_of_work
from services.core.sql import sql
from services.ledger import ledger
from services.ledger.ledger import MERCHANT, Posting, Purpose
from services.orders import hooks as order_hooks
from services.orders import payments as order_payments
from services.orders import states as order_states
from services.stores import card_math

ACTIVE, USED_UP, REFUNDED = "ACTIVE", "USED_UP", "REFUNDED"
STATUSES = (ACTIVE, USED_UP, REFUNDED)
MAX_USES = 1000
MAX_VALID_DAYS = 3660


async def set_terms(grants: Grants, product_id: int, uses: int, valid_days: int) -> PunchCardTerms:
    """Sell a REDEEMABLE product as a punch card of `uses` uses per unit, valid `valid_days` days
    from payment (merchant.products). Applies to cards bought afterwards."""
    product = await Product.get_or_none(id=product_id)
    if product is None:
        raise DomainError(ErrorCode.NOT_FOUND, "No such product.", "productId")
    require_merchant(grants, product.merchant_id, "merchant.products")
    if product.delivery_kind != product_states.REDEEMABLE:
        raise DomainError(ErrorCode.INVALID_INPUT, "A punch card is a REDEEMABLE product.", "productId")
    if not 0 < uses <= MAX_USES:
        raise DomainError(ErrorCode.INVALID_INPUT, f"Uses: 1 to {MAX_USES}.", "uses")
    if not 0 < valid_days <= MAX_VALID_DAYS:
        raise DomainError(ErrorCode.INVALID_INPUT, f"Days valid: 1 to {MAX_VALID_DAYS}.", "validDays")
    terms = await PunchCardTerms.get_or_none(product_id=product.id)
    if terms is None:
        try:
            return await PunchCardTerms.create(product_id=product.id, uses=uses, valid_days=valid_days)
        except IntegrityError:
            terms = await PunchCardTerms.get(product_id=product.id)
    terms.uses, terms.valid_days = uses, valid_days
    await terms.save(update_fields=["uses", "valid_days", "updated_at"])
    return terms


async def terms_of(product_id: int) -> PunchCardTerms | None:
    return await PunchCardTerms.get_or_none(product_id=product_id)


# --------------------------------------------------------------------------- buying


async def issue_on_paid(paid: order_hooks.PaidOrder, conn) -> None:
    """PAID step: the punch cards of a virtual order's punch-card lines, their price held as
    unearned income. Other orders are left alone without a query."""
    order = paid.order
    if order.delivery_type != order_states.VIRTUAL:
        return
    terms = {
        t.product_id: t
        for t in await PunchCardTerms.filter(product_id__in=[ln.product_id for ln in paid.lines]).using_db(conn)
    }
    lines = [ln for ln in paid.lines if ln.product_id in terms]
    if not lines:
        return
    now = clock.now()
    held = 0
    for line in lines:
        t = terms[line.product_id]
        await PunchCard.create(
            order_id=order.id,
            line_id=line.id,
            product_id=line.product_id,
            merchant_id=order.merchant_id,
            holder_id=order.buyer_id,
            title=line.title,
            uses_total=t.uses * line.quantity,
            price=line.amount,
            expires_at=now + timedelta(days=t.valid_days),
            using_db=conn,
        )
        held += line.amount
    if held:
        accounts = await _accounts(order.merchant_id, order.currency)
        await ledger.post(
            "PUNCH_CARD_SOLD",
            [Posting(accounts[Purpose.MERCHANT_PENDING], -held), Posting(accounts[Purpose.PUNCH_CARD_UNEARNED], held)],
            idempotency_key=f"order:{order.id}:punch-cards",
            reference_type="ORDER",
            reference_id=str(order.id),
            conn=conn,
        )


async def _accounts(merchant_id: int, currency: str) -> dict[str, int]:
    keys = [(MERCHANT, merchant_id, p, currency) for p in (Purpose.MERCHANT_PENDING, Purpose.PUNCH_CARD_UNEARNED)]
    ids = await ledger.account_ids(keys)
    return {key[2]: ids[key] for key in keys}


# --------------------------------------------------------------------------- codes and uses


def _not_found() -> DomainError:
    return DomainError(ErrorCode.NOT_FOUND, "No such punch card.", "cardId")


def _usable(card: PunchCard, field: str) -> None:
    if card.status == REFUNDED:
        raise DomainError(ErrorCode.INVALID_TRANSITION, "This punch card was refunded.", field)
    if card.status == USED_UP or card.uses_used >= card.uses_total:
        raise DomainError(ErrorCode.CARD_USED_UP, "This punch card has no use left.", field)
    if card.expires_at <= clock.now():
        raise DomainError(ErrorCode.CARD_EXPIRED, "This punch card has expired.", field)


async def new_code(holder_id: int, card_id: int) -> PunchCardCode:
    """A one-time code for the next use of my card, alive PUNCH_CARD_CODE_MINUTES."""
    card = await PunchCard.get_or_none(id=card_id, holder_id=holder_id)
    if card is None:
        raise _not_found()
    _usable(card, "cardId")
    expires = clock.now() + timedelta(minutes=settings.PUNCH_CARD_CODE_MINUTES)
    for _ in range(5):
        try:
            return await PunchCardCode.create(
                card_id=card.id, code=f"{secrets.randbelow(10**12):012d}", expires_at=expires
            )
        except IntegrityError:  # the same 12 digits drawn twice: draw again
            continue
    raise DomainError(ErrorCode.INVALID_TRANSITION, "No code could be made; retry.", "cardId")


def _invalid_code(why: str = "No unused code of a punch card is this.") -> DomainError:
    return DomainError(ErrorCode.REDEMPTION_CODE_INVALID, why, "code")


async def redeem(grants: Grants, actor_id: int, store_id: int, code: str) -> PunchCard:
    """Store staff with store.redeem redeem one use against the customer's one-time code; the
    use's share of the price becomes the merchant's income. Refusals change nothing."""
    store = await Store.get_or_none(id=store_id)
    if store is None:
        raise DomainError(ErrorCode.NOT_FOUND, "No such store.", "storeId")
    require_store_permission(grants, store.id, store.merchant_id, "store.redeem")
    text = (code or "").strip()
    found = await PunchCardCode.get_or_none(code=text) if text.isdigit() and len(text) <= 16 else None
    if found is None:
        raise _invalid_code()
    card = await PunchCard.get(id=found.card_id)
    if card.merchant_id != store.merchant_id:
        raise DomainError(ErrorCode.CARD_NOT_ACCEPTED, "This punch card is of another merchant.", "code")
    if found.used_at is not None:
        raise _invalid_code("This code was redeemed already.")
    now = clock.now()
    if found.expires_at <= now:
        raise _invalid_code("This code has expired: show a new one.")
    _usable(card, "code")
    async with unit_of_work() as conn:
        taken = (
            await PunchCardCode.filter(id=found.id, used_at=None, expires_at__gt=now)
            .using_db(conn)
            .update(used_at=now, store_id=store.id, redeemed_by_id=actor_id)
        )
        if taken != 1:  # a concurrent redemption of this code came first
            raise _invalid_code("This code was redeemed already.")
        rows = await conn.execute_query_dict(
            sql(
                conn,
                "UPDATE punch_card SET uses_used = uses_used + 1 WHERE id = ? AND status = ? "
                "AND uses_used < uses_total AND expires_at > ? RETURNING uses_used, uses_total, price",
            ),
            [card.id, ACTIVE, now],
        )
        if not rows:
            raise DomainError(ErrorCode.CARD_USED_UP, "This punch card has no use left.", "code")
        used, total, price = int(rows[0]["uses_used"]), int(rows[0]["uses_total"]), int(rows[0]["price"])
        share = card_math.use_share(price, total, used - 1)
        await (
            PunchCard.filter(id=card.id)
            .using_db(conn)
            .update(earned=card_math.earned_after(price, total, used), **({"status": USED_UP} if used == total else {}))
        )
        await PunchCardCode.filter(id=found.id).using_db(conn).update(earned=share)
        if share:
            accounts = await _accounts(card.merchant_id, settings.CURRENCY)
            await ledger.post(
                "PUNCH_CARD_USE",
                [
                    Posting(accounts[Purpose.PUNCH_CARD_UNEARNED], -share),
                    Posting(accounts[Purpose.MERCHANT_PENDING], share),
                ],
                idempotency_key=f"punch-code:{found.id}",
                reference_type="PUNCH_CARD",
                reference_id=str(card.id),
                actor_id=actor_id,
                conn=conn,
            )
        if used == total:
            await _complete_when_done(card.order_id, conn)
    return await PunchCard.get(id=card.id)


async def _complete_when_done(order_id: int, conn) -> None:
    """The order completes once none of its punch cards has a use left to give."""
    if await PunchCard.filter(order_id=order_id, status=ACTIVE).using_db(conn).exists():
        return
    order = await Order.get(id=order_id).using_db(conn)
    if order.status != order_states.PAID:
        return
    await order_states.transition(order, "complete_virtual", conn=conn, reason="Punch cards used up or refunded")
    await order_hooks.COMPLETED.run(order, conn)


# --------------------------------------------------------------------------- refunds, reading


async def refund(holder_id: int, card_id: int):
    """Refund the unused uses of my card pro rata (PUNCH_CARD_REFUND_UNUSED): see the module notes.
    Returns (card, refund)."""
    card = await PunchCard.get_or_none(id=card_id, holder_id=holder_id)
    if card is None:
        raise _not_found()
    if not settings.PUNCH_CARD_REFUND_UNUSED:
        raise DomainError(ErrorCode.CARD_NOT_REFUNDABLE, "Punch cards are not refunded.", "cardId")
    if card.status != ACTIVE or card.uses_used >= card.uses_total:
        raise DomainError(ErrorCode.INVALID_TRANSITION, "This punch card has nothing left to refund.", "cardId")
    amount = card_math.unused_refund(card.price, card.uses_total, card.uses_used)
    booked = None
    async with unit_of_work() as conn:
        moved = (
            await PunchCard.filter(id=card.id, status=ACTIVE, uses_used=card.uses_used)
            .using_db(conn)
            .update(status=REFUNDED)
        )
        if moved != 1:  # a use or a refund came first
            raise DomainError(ErrorCode.INVALID_TRANSITION, "The card changed meanwhile; retry.", "cardId")
        if amount:
            accounts = await _accounts(card.merchant_id, settings.CURRENCY)
            await ledger.post(
                "PUNCH_CARD_RELEASED",
                [
                    Posting(accounts[Purpose.PUNCH_CARD_UNEARNED], -amount),
                    Posting(accounts[Purpose.MERCHANT_PENDING], amount),
                ],
                idempotency_key=f"punch-card:{card.id}:refund",
                reference_type="PUNCH_CARD",
                reference_id=str(card.id),
                actor_id=holder_id,
                conn=conn,
            )
            order = await Order.get(id=card.order_id).using_db(conn)
            booked = await order_payments.book_refund(order, amount, conn)
        await _complete_when_done(card.order_id, conn)
    if booked is not None and booked.method != order_payments.WALLET:
        booked = await order_payments.execute_refund(booked.id)
    return await PunchCard.get(id=card.id), booked


async def card_for(viewer_id: int, grants: Grants, card_id: int) -> PunchCard:
    card = await PunchCard.get_or_none(id=card_id)
    if card is None:
        raise _not_found()
    if card.holder_id != viewer_id:
        try:
            require_merchant(grants, card.merchant_id, "merchant.orders")
        except DomainError:
            raise _not_found() from None
    return card


async def my_cards(holder_id: int) -> list[PunchCard]:
    return await PunchCard.filter(holder_id=holder_id).order_by("-id")
