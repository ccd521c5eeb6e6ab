"""Member cards (门店会员卡, STO-2): a merchant's stored-value cards, accepted in all its stores
or in one, topped up from the wallet with tiered bonus rules, spent at the counter through
payAtStore (method MEMBER_CARD), with a statement and a refund of the unused principal.

The money, in the ledger (services.ledger), per merchant:

  MEMBER_CARD_PRINCIPAL          liability: the customers' money paid onto the merchant's cards
  MEMBER_CARD_BONUS              liability: the bonus the merchant gave, not yet spent or forfeited
  MEMBER_CARD_BONUS_FUNDING      the merchant's contra of the bonus (may go negative: minus the
                                 bonus outstanding); the bonus comes from here and goes back here
  MEMBER_CARD_CLEARING           a card payment passes through on its way into the order's payment

so MEMBER_CARD_PRINCIPAL's balance is the sum of the merchant's cards' principal and
MEMBER_CARD_BONUS's the sum of their bonus (the card rows mirror the ledger: each changes in
the unit of work of the journal transaction that justifies it, by a conditional UPDATE).

- Top-up (MEMBER_CARD_TOP_UP): buyer WALLET → PRINCIPAL (the amount) and FUNDING → BONUS (the
  bonus of the highest tier reached, card_math.top_up_bonus).
- Spending at a store (MEMBER_CARD_SPEND): the payment is an IN_STORE order like any payment at
  a store (services.stores.payments), so its commissions, agents, store share, completion and
  the platform commission at settlement apply unchanged on the full amount. The card gives
  principal and bonus in proportion to what it holds (card_math.split_spend): PRINCIPAL and
  BONUS → CLEARING → (the order's payment) ORDER_CLEARING → MERCHANT_PENDING; then the bonus
  part is the merchant's own gift: MERCHANT_PENDING → FUNDING (MEMBER_CARD_BONUS_CHARGE). The
  merchant's pending gains the principal part only.
- Refund of the card (MEMBER_CARD_REFUND, when MEMBER_CARD_REFUND_PRINCIPAL is on): the whole
  principal left goes back to the holder's wallet (PRINCIPAL → WALLET); the bonus left is
  forfeited (BONUS → FUNDING). The card is then REFUNDED and accepts nothing more.
"""

from __future__ import annotations

import hashlib
import json
import secrets

from tortoise.exceptions import IntegrityError
from tortoise.expressions import F

import settings
from models.merchants import Merchant, Store
from models.orders import Order, Payment, Refund
from models.stores import MemberCard, MemberCardEntry, MemberCardPlan
from services.accounts.access import Grants, require_merchant
from services.core import clock
from services.core.errors import DomainError, ErrorCode
from services.core.events import unit_of_work
from services.core.money import allocate
from services.core.sql import sql
from services.ledger import ledger
from services.ledger.ledger import MERCHANT, Posting, Purpose
from services.merchants import merchants
from services.orders import payments as order_payments
from services.orders.checkout import MAX_KEY_LENGTH, new_number
from services.stores import card_math

ACTIVE, REFUNDED = "ACTIVE", "REFUNDED"
STATUSES = (ACTIVE, REFUNDED)
TOP_UP, SPEND, PAYMENT_REFUND, REFUND = "TOP_UP", "SPEND", "PAYMENT_REFUND", "REFUND"
METHOD = "MEMBER_CARD"  # Payment.method of a payment at a store from a member card
MAX_TIERS = 10
NAME_MAX = 64


def _amount_error(field: str = "amount") -> DomainError:
    return DomainError(ErrorCode.INVALID_AMOUNT, "The amount must be at least 0.01.", field)


def _check_key(key: str) -> str:
    key = (key or "").strip()
    if not key or len(key) > MAX_KEY_LENGTH:
        raise DomainError(
            ErrorCode.INVALID_INPUT,
            f"An idempotency key of 1 to {MAX_KEY_LENGTH} characters is required.",
            "idempotencyKey",
        )
    return key


def _not_found() -> DomainError:
    return DomainError(ErrorCode.NOT_FOUND, "No such member card.", "cardId")


async def _accounts(merchant_id: int, currency: str) -> dict[str, int]:
    purposes = (
        Purpose.MEMBER_CARD_PRINCIPAL,
        Purpose.MEMBER_CARD_BONUS,
        Purpose.MEMBER_CARD_BONUS_FUNDING,
        Purpose.MEMBER_CARD_CLEARING,
        Purpose.MERCHANT_PENDING,
    )
    keys = [(MERCHANT, merchant_id, p, currency) for p in purposes]
    ids = await ledger.account_ids(keys)
    return {key[2]: ids[key] for key in keys}


async def _lock_card(conn, card_id: int) -> MemberCard | None:
    if conn.capabilities.dialect == "postgres":
        await conn.execute_query(sql(conn, "SELECT id FROM member_card WHERE id = ? FOR UPDATE"), [card_id])
    return await MemberCard.get_or_none(id=card_id).using_db(conn)


async def _move_card(conn, card: MemberCard, principal: int, bonus: int) -> None:
    """Change the card's balances by (principal, bonus), if they are still what was read."""
    moved = (
        await MemberCard.filter(id=card.id, principal=card.principal, bonus=card.bonus)
        .using_db(conn)
        .update(principal=F("principal") + principal, bonus=F("bonus") + bonus)
    )
    if moved != 1:  # a concurrent change came first (SQLite has no row lock): nothing changed
        raise DomainError(ErrorCode.INVALID_TRANSITION, "The card changed meanwhile; retry.", "cardId")
    card.principal += principal
    card.bonus += bonus


# --------------------------------------------------------------------------- plans


async def create_plan(
    grants: Grants, merchant_id: int, name: str, store_id: int | None, tiers: list[card_math.Tier]
) -> MemberCardPlan:
    """A merchant's member card (merchant.settings): accepted in every store of the merchant, or
    in `store_id` only; `tiers`: top up at least A, get B."""
    merchant = await Merchant.get_or_none(id=merchant_id)
    if merchant is None:
        raise DomainError(ErrorCode.NOT_FOUND, "No such merchant.", "merchantId")
    require_merchant(grants, merchant.id, "merchant.settings")
    if merchant.status != merchants.ACTIVE:
        raise DomainError(ErrorCode.MERCHANT_NOT_ACTIVE, "The merchant is not active.", "merchantId")
    name = (name or "").strip()
    if not name or len(name) > NAME_MAX:
        raise DomainError(ErrorCode.INVALID_INPUT, f"A name of 1 to {NAME_MAX} characters.", "name")
    if store_id is not None and not await Store.filter(id=store_id, merchant_id=merchant.id).exists():
        raise DomainError(ErrorCode.NOT_FOUND, "No such store of this merchant.", "storeId")
    if len(tiers) > MAX_TIERS:
        raise DomainError(ErrorCode.INVALID_INPUT, f"At most {MAX_TIERS} top-up rules.", "topUpRules")
    try:
        ordered = card_math.check_rules(tiers)
    except ValueError as e:
        raise DomainError(ErrorCode.INVALID_AMOUNT, f"Top-up rules: {e}.", "topUpRules") from None
    if any(t.top_up_from > settings.MEMBER_CARD_MAX_TOP_UP or t.bonus > t.top_up_from for t in ordered):
        raise DomainError(
            ErrorCode.INVALID_AMOUNT,
            "A tier's threshold is at most MEMBER_CARD_MAX_TOP_UP and its bonus at most the threshold.",
            "topUpRules",
        )
    return await MemberCardPlan.create(
        merchant_id=merchant.id,
        store_id=store_id,
        name=name,
        top_up_rules=[[t.top_up_from, t.bonus] for t in ordered],
    )


def tiers_of(plan: MemberCardPlan) -> list[card_math.Tier]:
    return [card_math.Tier(int(a), int(b)) for a, b in plan.top_up_rules or []]


async def merchant_plans(merchant_id: int) -> list[MemberCardPlan]:
    return await MemberCardPlan.filter(merchant_id=merchant_id, is_active=True).order_by("id")


# --------------------------------------------------------------------------- cards and top-ups


def _fingerprint(*parts) -> str:
    return hashlib.sha256(json.dumps(parts).encode()).hexdigest()


async def _card(holder_id: int, plan: MemberCardPlan) -> MemberCard:
    card = await MemberCard.get_or_none(plan_id=plan.id, holder_id=holder_id)
    if card is not None:
        return card
    try:
        async with unit_of_work() as conn:
            return await MemberCard.create(
                plan_id=plan.id,
                merchant_id=plan.merchant_id,
                holder_id=holder_id,
                card_no=f"MC{clock.now():%y%m%d}{secrets.randbelow(10**10):010d}",
                using_db=conn,
            )
    except IntegrityError:  # a concurrent first top-up made it
        return await MemberCard.get(plan_id=plan.id, holder_id=holder_id)


async def top_up(holder_id: int, plan_id: int, amount: int, idempotency_key: str) -> MemberCardEntry:
    """Top up my card of the plan (made on first top-up) from my wallet; the bonus of the
    highest tier reached is added apart. Same key and input: the same entry; refusals
    (INSUFFICIENT_FUNDS included) change nothing."""
    key = _check_key(idempotency_key)
    plan = await MemberCardPlan.get_or_none(id=plan_id, is_active=True)
    if plan is None:
        raise DomainError(ErrorCode.NOT_FOUND, "No such member card.", "planId")
    if not isinstance(amount, int) or isinstance(amount, bool) or amount <= 0:
        raise _amount_error()
    if amount > settings.MEMBER_CARD_MAX_TOP_UP:
        raise DomainError(
            ErrorCode.TOP_UP_LIMIT_EXCEEDED,
            f"A top-up is at most {settings.MEMBER_CARD_MAX_TOP_UP / 100:.2f}.",
            "amount",
        )
    status = await Merchant.filter(id=plan.merchant_id).values_list("status", flat=True)
    if not status or status[0] != merchants.ACTIVE:
        raise DomainError(ErrorCode.MERCHANT_NOT_ACTIVE, "The merchant is not active.", "planId")
    fingerprint = _fingerprint(TOP_UP, plan.id, amount)
    existing = await MemberCardEntry.filter(
        card__plan_id=plan.id, card__holder_id=holder_id, idempotency_key=key
    ).first()
    if existing is not None:
        return _replayed(existing, fingerprint)
    card = await _card(holder_id, plan)
    bonus = card_math.top_up_bonus(tiers_of(plan), amount)
    currency = settings.CURRENCY
    accounts = await _accounts(plan.merchant_id, currency)
    wallet = (await ledger.user_account(holder_id, Purpose.WALLET, currency)).id
    try:
        async with unit_of_work() as conn:
            card = await _lock_card(conn, card.id)
            if card.status != ACTIVE:
                raise DomainError(ErrorCode.INVALID_TRANSITION, "This card was refunded.", "planId")
            postings = [Posting(wallet, -amount), Posting(accounts[Purpose.MEMBER_CARD_PRINCIPAL], amount)]
            if bonus:
                postings += [
                    Posting(accounts[Purpose.MEMBER_CARD_BONUS_FUNDING], -bonus),
                    Posting(accounts[Purpose.MEMBER_CARD_BONUS], bonus),
                ]
            await _move_card(conn, card, amount, bonus)
            entry = await MemberCardEntry.create(
                card_id=card.id,
                kind=TOP_UP,
                principal=amount,
                bonus=bonus,
                principal_after=card.principal,
                bonus_after=card.bonus,
                idempotency_key=key,
                request_hash=fingerprint,
                using_db=conn,
            )
            tx = await ledger.post(
                "MEMBER_CARD_TOP_UP",
                postings,
                idempotency_key=f"member-card:{card.id}:top-up:{entry.id}",
                reference_type="MEMBER_CARD",
                reference_id=str(card.id),
                actor_id=holder_id,
                conn=conn,
            )
            await MemberCardEntry.filter(id=entry.id).using_db(conn).update(transaction_id=tx.transaction.id)
            entry.transaction_id = tx.transaction.id
    except (DomainError, IntegrityError):
        existing = await MemberCardEntry.filter(card_id=card.id, idempotency_key=key).first()
        if existing is None:
            raise
        return _replayed(existing, fingerprint)
    return entry


def _replayed(entry: MemberCardEntry, fingerprint: str) -> MemberCardEntry:
    if entry.request_hash != fingerprint:
        raise DomainError(
            ErrorCode.IDEMPOTENCY_KEY_REUSED, "This idempotency key was used for another request.", "idempotencyKey"
        )
    return entry


# --------------------------------------------------------------------------- paying at a store


async def accepting_card(buyer_id: int, card_id: int, store: Store) -> MemberCard:
    """The buyer's active card, if this store accepts it (else CARD_NOT_ACCEPTED); read before
    the payment's rows are written."""
    card = await MemberCard.get_or_none(id=card_id, holder_id=buyer_id)
    if card is None:
        raise _not_found()
    plan = await MemberCardPlan.get(id=card.plan_id)
    if card.merchant_id != store.merchant_id or (plan.store_id is not None and plan.store_id != store.id):
        raise DomainError(ErrorCode.CARD_NOT_ACCEPTED, "This store does not accept this card.", "memberCardId")
    if card.status != ACTIVE:
        raise DomainError(ErrorCode.INVALID_TRANSITION, "This card was refunded.", "memberCardId")
    return card


async def pay_order(buyer_id: int, card_id: int, store: Store, payment: Payment, order: Order, conn) -> None:
    """Pay a store payment's order (just written on `conn`) from the card: see the module notes."""
    await _spend(conn, buyer_id, card_id, payment, [order])


async def pay_payment(buyer_id: int, payment_id: int, card_id: int) -> Payment:
    """Pay a checkout of the card's merchant's goods online from my card (STO-2), like the
    wallet pays one: every order of the payment must be the merchant's (and, for a card of one
    store, picked up at or delivered from that store), else CARD_NOT_ACCEPTED. Principal and
    bonus are taken as at the counter; a refund of the orders goes back onto the card
    (`refund_payment`, through services.orders.payments.REFUND_METHODS). Any refusal
    (INSUFFICIENT_FUNDS, PAYMENT_NOT_PAYABLE) changes nothing."""
    payment = await order_payments.own_payment(buyer_id, payment_id)
    order_payments.require_payable(payment)
    card = await MemberCard.get_or_none(id=card_id, holder_id=buyer_id)
    if card is None:
        raise _not_found()
    plan = await MemberCardPlan.get(id=card.plan_id)
    orders = await Order.filter(payment_id=payment.id).order_by("id")
    if not orders or any(
        order.merchant_id != card.merchant_id or (plan.store_id is not None and order.store_id != plan.store_id)
        for order in orders
    ):
        raise DomainError(
            ErrorCode.CARD_NOT_ACCEPTED, "This card pays only for its merchant's goods (of its store).", "memberCardId"
        )
    async with unit_of_work() as conn:
        await _spend(conn, buyer_id, card_id, payment, orders)
    return await Payment.get(id=payment.id)


async def _spend(conn, buyer_id: int, card_id: int, payment: Payment, orders: list[Order]) -> None:
    """Pay `payment` (of `orders`, all the card's merchant's) from the card on `conn`: see the
    module notes. One SPEND entry per order (its share of principal and bonus by largest
    remainder), which its refunds read."""
    amount = payment.amount
    card = await _lock_card(conn, card_id)
    if card is None or card.holder_id != buyer_id:
        raise _not_found()
    if card.status != ACTIVE:
        raise DomainError(ErrorCode.INVALID_TRANSITION, "This card was refunded.", "memberCardId")
    if card.principal + card.bonus < amount:
        raise DomainError(ErrorCode.INSUFFICIENT_FUNDS, "The card's balance does not cover the amount.", "amount")
    accounts = await _accounts(card.merchant_id, payment.currency)
    clearing = accounts[Purpose.MEMBER_CARD_CLEARING]
    if not amount:  # wholly discounted: nothing leaves the card
        await order_payments.pay_from_account(buyer_id, payment.id, METHOD, clearing, conn)
        return
    split = card_math.split_spend(card.principal, card.bonus, amount)
    postings = [Posting(clearing, amount)]
    if split.principal:
        postings.append(Posting(accounts[Purpose.MEMBER_CARD_PRINCIPAL], -split.principal))
    if split.bonus:
        postings.append(Posting(accounts[Purpose.MEMBER_CARD_BONUS], -split.bonus))
    await ledger.post(
        "MEMBER_CARD_SPEND",
        postings,
        idempotency_key=f"payment:{payment.id}:member-card",
        reference_type="PAYMENT",
        reference_id=str(payment.id),
        conn=conn,
    )
    await order_payments.pay_from_account(buyer_id, payment.id, METHOD, clearing, conn)
    if split.bonus:  # the merchant's own gift: the bonus part does not stay on its pending account
        await ledger.post(
            "MEMBER_CARD_BONUS_CHARGE",
            [
                Posting(accounts[Purpose.MERCHANT_PENDING], -split.bonus),
                Posting(accounts[Purpose.MEMBER_CARD_BONUS_FUNDING], split.bonus),
            ],
            idempotency_key=f"payment:{payment.id}:member-card-bonus",
            reference_type="PAYMENT",
            reference_id=str(payment.id),
            conn=conn,
        )
    shares = allocate(split.principal, [order.pay_amount for order in orders])
    for order, principal in zip(orders, shares, strict=True):
        await _move_card(conn, card, -principal, -(order.pay_amount - principal))
        await MemberCardEntry.create(
            card_id=card.id,
            kind=SPEND,
            principal=-principal,
            bonus=-(order.pay_amount - principal),
            principal_after=card.principal,
            bonus_after=card.bonus,
            store_id=order.store_id,
            order_id=order.id,
            using_db=conn,
        )


async def refund_payment(order: Order, amount: int, conn, *, after_sale_id: int, reason: str) -> Refund:
    """Give `amount` of a card-paid store payment back onto the card, inside the caller's unit
    of work (services.stores.payments.refund): principal and bonus in the proportion the payment
    took them, as the cumulative floor over the refunds (refunding everything in any steps puts
    back exactly what was taken): the principal part from the merchant's pending account, the
    bonus part from its bonus contra (the gift taken back). Capped by the order like any refund."""
    capped = await conn.execute_query_dict(
        sql(
            conn,
            "UPDATE orders SET refunded_amount = refunded_amount + ? WHERE id = ? "
            "AND refunded_amount + ? <= pay_amount RETURNING refunded_amount",
        ),
        [amount, order.id, amount],
    )
    if not capped:
        raise DomainError(ErrorCode.REFUND_EXCEEDS_PAID, "That would refund more than was paid.", "amount")
    after = int(capped[0]["refunded_amount"])
    order.refunded_amount = after
    spend = await MemberCardEntry.get(order_id=order.id, kind=SPEND).using_db(conn)
    taken = -spend.principal
    back_principal = after * taken // order.pay_amount - (after - amount) * taken // order.pay_amount
    back_bonus = amount - back_principal
    card = await _lock_card(conn, spend.card_id)
    if card.status != ACTIVE:
        raise DomainError(
            ErrorCode.INVALID_TRANSITION,
            "The card this was paid with was refunded; nothing goes back onto it.",
            "orderId",
        )
    await Payment.filter(id=order.payment_id).using_db(conn).update(refunded_amount=F("refunded_amount") + amount)
    refund = await Refund.create(
        refund_no=new_number("R"),
        payment_id=order.payment_id,
        order_id=order.id,
        after_sale_id=after_sale_id,
        amount=amount,
        method=METHOD,
        reason=reason,
        status=order_payments.REFUND_SUCCEEDED,
        finished_at=clock.now(),
        using_db=conn,
    )
    accounts = await _accounts(card.merchant_id, order.currency)
    postings = []
    if back_principal:
        postings += [
            Posting(accounts[Purpose.MERCHANT_PENDING], -back_principal),
            Posting(accounts[Purpose.MEMBER_CARD_PRINCIPAL], back_principal),
        ]
    if back_bonus:
        postings += [
            Posting(accounts[Purpose.MEMBER_CARD_BONUS_FUNDING], -back_bonus),
            Posting(accounts[Purpose.MEMBER_CARD_BONUS], back_bonus),
        ]
    await _move_card(conn, card, back_principal, back_bonus)
    await MemberCardEntry.create(
        card_id=card.id,
        kind=PAYMENT_REFUND,
        principal=back_principal,
        bonus=back_bonus,
        principal_after=card.principal,
        bonus_after=card.bonus,
        store_id=order.store_id,
        order_id=order.id,
        using_db=conn,
    )
    await ledger.post(
        "MEMBER_CARD_PAYMENT_REFUND",
        postings,
        idempotency_key=f"refund:{refund.id}",
        reference_type="REFUND",
        reference_id=str(refund.id),
        conn=conn,
    )
    return refund


# --------------------------------------------------------------------------- refund, reading


async def refund(holder_id: int, card_id: int) -> MemberCardEntry:
    """Refund my card (MEMBER_CARD_REFUND_PRINCIPAL): the principal left to my wallet, the bonus
    left forfeited; the card is closed. CARD_NOT_REFUNDABLE when refunds are off."""
    card = await MemberCard.get_or_none(id=card_id, holder_id=holder_id)
    if card is None:
        raise _not_found()
    if not settings.MEMBER_CARD_REFUND_PRINCIPAL:
        raise DomainError(ErrorCode.CARD_NOT_REFUNDABLE, "Member cards are not refunded.", "cardId")
    currency = settings.CURRENCY
    accounts = await _accounts(card.merchant_id, currency)
    wallet = (await ledger.user_account(holder_id, Purpose.WALLET, currency)).id
    async with unit_of_work() as conn:
        card = await _lock_card(conn, card.id)
        if card.status != ACTIVE:
            raise DomainError(ErrorCode.INVALID_TRANSITION, "This card was refunded already.", "cardId")
        principal, bonus = card.principal, card.bonus
        postings = []
        if principal:
            postings += [Posting(accounts[Purpose.MEMBER_CARD_PRINCIPAL], -principal), Posting(wallet, principal)]
        if bonus:
            postings += [
                Posting(accounts[Purpose.MEMBER_CARD_BONUS], -bonus),
                Posting(accounts[Purpose.MEMBER_CARD_BONUS_FUNDING], bonus),
            ]
        await _move_card(conn, card, -principal, -bonus)
        await MemberCard.filter(id=card.id).using_db(conn).update(status=REFUNDED)
        entry = await MemberCardEntry.create(
            card_id=card.id,
            kind=REFUND,
            principal=-principal,
            bonus=-bonus,
            principal_after=0,
            bonus_after=0,
            using_db=conn,
        )
        if postings:
            tx = await ledger.post(
                "MEMBER_CARD_REFUND",
                postings,
                idempotency_key=f"member-card:{card.id}:refund",
                reference_type="MEMBER_CARD",
                reference_id=str(card.id),
                actor_id=holder_id,
                conn=conn,
            )
            await MemberCardEntry.filter(id=entry.id).using_db(conn).update(transaction_id=tx.transaction.id)
    return entry


async def card_for(viewer_id: int, grants: Grants, card_id: int) -> MemberCard:
    """A card, for its holder or the merchant's order staff; NOT_FOUND for anyone else."""
    card = await MemberCard.get_or_none(id=card_id)
    if card is None:
        raise _not_found()
    if card.holder_id != viewer_id:
        try:
            require_merchant(grants, card.merchant_id, "merchant.orders")
        except DomainError:
            raise _not_found() from None
    return card


async def my_cards(holder_id: int) -> list[MemberCard]:
    return await MemberCard.filter(holder_id=holder_id).order_by("-id")


async def statement(card_id: int) -> list[MemberCardEntry]:
    """The card's entries, oldest first."""
    return await MemberCardEntry.filter(card_id=card_id).order_by("id")
