"""The consignment queue (公排, CON-2..6): wholesale units, consigning, matching retail
sales to queued units, settlement and reversal.

Concurrency: everything that reads or changes one product's queue first locks that
product's ConsignmentQueue row (`SELECT … FOR UPDATE` on PostgreSQL; SQLite serialises
writers anyway). So matching is strictly first-in-first-out even with many server
processes, a unit is never sold twice and never skipped. The lock is taken inside the
retail payment's own transaction, after the order's product rows (the same order every
time: no deadlocks); a refund that reverses a match locks the merchant's MERCHANT_PENDING
account first, as the payment did, then the queue.

Money, at the match (one journal transaction): the retail merchant's MERCHANT_PENDING
gives the unit's sale price: the seller's CONSIGNMENT_PENDING gets price − fee, the
platform's FEE_REVENUE the fee; the reward comes from PROMOTION_EXPENSE to the seller's
CONSIGNMENT_PENDING. Settlement moves proceeds + reward to the seller's WALLET once the
retail order has completed and its after-sales window passed; a refund before that
reverses the match and returns the unit to the head of the queue.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from tortoise import connections
from tortoise.expressions import Subquery

import settings
from models.accounts import User
from models.catalog import Product
from models.consignment import ConsignmentPolicy, ConsignmentQueue, WholesaleUnit
from models.orders import Order, OrderLine
from services.consignment.events import (
    ConsignmentReturned,
    ConsignmentSettled,
    ConsignmentSold,
    UnitLeft,
    UnitQueued,
    UnitReturned,
    UnitSold,
)
from services.consignment.matching import Policy, SaleSplit, split_sale, validate_policy
from services.consignment.stats import stats_event
from services.consignment.unit_states import HELD, MATCHED, QUEUED, UNIT_STATES
from services.core import clock
from services.core.errors import DomainError, ErrorCode
from services.core.events import admin_channel, emit, unit_of_work, user_channel
from services.core.sql import sql
from services.ledger import ledger
from services.ledger.ledger import MERCHANT, Posting, Purpose
from services.orders import states as order_states
from services.orders.hooks import LineRefund, PaidOrder


def queue_channel(product_id: int) -> str:
    return f"queue:{product_id}"


async def policy_for(product_id: int, conn=None) -> Policy:
    query = ConsignmentPolicy.filter(product_id=product_id)
    row = await (query.using_db(conn) if conn else query).first()
    return Policy(
        fee_bp=row.fee_bp if row and row.fee_bp is not None else settings.CONSIGNMENT_FEE_BP,
        reward_kind=row.reward_kind if row and row.reward_kind else settings.CONSIGNMENT_REWARD_KIND,
        reward_value=row.reward_value if row and row.reward_value is not None else settings.CONSIGNMENT_REWARD_VALUE,
    )


async def _lock_queue(conn, product_id: int) -> ConsignmentQueue:
    """The product's queue row, created on first use, locked for this transaction."""
    await _lock_queue_row(conn, product_id)
    return await ConsignmentQueue.get(product_id=product_id).using_db(conn)


async def _lock_queue_row(conn, product_id: int) -> None:
    """_lock_queue without reading the row back: one statement once the row exists
    (SQLite serialises writers: there it only makes sure the row exists)."""
    postgres = conn.capabilities.dialect == "postgres"
    lock = "SELECT id FROM consignment_queue WHERE product_id = ? FOR UPDATE"
    if postgres and await conn.execute_query_dict(sql(conn, lock), [product_id]):
        return
    await conn.execute_query(
        sql(
            conn,
            "INSERT INTO consignment_queue (product_id, next_key, head_key) VALUES (?, 1, 1) ON CONFLICT (product_id) DO NOTHING",
        ),
        [product_id],
    )
    if postgres:
        await conn.execute_query(sql(conn, lock), [product_id])


async def _queue_length(conn, product_id: int) -> int:
    return await WholesaleUnit.filter(product_id=product_id, status=QUEUED).using_db(conn).count()


# --------------------------------------------------------------------------- units


async def create_units(paid: PaidOrder, conn) -> None:
    """A wholesale order was paid: one unit per item bought; consigned at once when the
    buyer chose so at checkout."""
    order = paid.order
    lines = paid.lines_in(("WHOLESALE",))
    if lines:
        emit(admin_channel(), stats_event(wholesale_orders=1, sales=sum(ln.amount for ln in lines)))
    for line in lines:
        await WholesaleUnit.bulk_create(
            [
                WholesaleUnit(
                    owner_id=order.buyer_id, product_id=line.product_id, order_line_id=line.id, cost=line.unit_price
                )
                for _ in range(line.quantity)
            ],
            using_db=conn,
        )
        if line.consign_on_payment:
            units = await WholesaleUnit.filter(order_line_id=line.id, status=HELD).using_db(conn).order_by("id")
            await _consign(conn, order.buyer_id, line.product_id, list(units))


async def _own_units(owner_id: int, unit_ids: list[int], conn) -> list[WholesaleUnit]:
    units = await WholesaleUnit.filter(id__in=unit_ids, owner_id=owner_id).using_db(conn).order_by("id")
    if len(units) != len(set(unit_ids)):
        raise DomainError(ErrorCode.NOT_FOUND, "No such wholesale unit.", "unitIds")
    return units


async def _consign(conn, owner_id: int, product_id: int, units: list[WholesaleUnit]) -> None:
    queue = await _lock_queue(conn, product_id)
    key = queue.next_key
    for unit in units:
        await UNIT_STATES.apply(unit, "consign", conn=conn, field="unitIds", queue_key=key)
        key += 1
    await ConsignmentQueue.filter(id=queue.id).using_db(conn).update(next_key=key)
    emit(admin_channel(), stats_event(queued=len(units)))
    length = await _queue_length(conn, product_id)
    for offset, unit in enumerate(units):
        k = queue.next_key + offset
        emit(queue_channel(product_id), UnitQueued(k, unit.id, owner_id, length - len(units) + offset + 1))


async def consign(owner_id: int, unit_ids: list[int]) -> list[WholesaleUnit]:
    """Put held wholesale units into their product's queue (CON-2, step 3)."""
    if not unit_ids or len(unit_ids) > 100:
        raise DomainError(ErrorCode.INVALID_INPUT, "Give 1 to 100 unit ids.", "unitIds")
    async with unit_of_work() as conn:
        units = await _own_units(owner_id, unit_ids, conn)
        by_product: dict[int, list[WholesaleUnit]] = {}
        for unit in units:
            by_product.setdefault(unit.product_id, []).append(unit)
        for product_id in sorted(by_product):
            await _consign(conn, owner_id, product_id, by_product[product_id])
    return await WholesaleUnit.filter(id__in=unit_ids).order_by("id")


async def consign_from_line(owner_id: int, line_id: int, quantity: int) -> list[WholesaleUnit]:
    """Consign `quantity` held units of one of the owner's order lines."""
    line = await OrderLine.get_or_none(id=line_id, order__buyer_id=owner_id)
    if line is None:
        raise DomainError(ErrorCode.NOT_FOUND, "No such order line.", "lineId")
    if line.zone != "WHOLESALE":
        raise DomainError(
            ErrorCode.NOT_CONSIGNABLE, "Only units bought in the wholesale zone can be consigned.", "lineId"
        )
    held = (
        await WholesaleUnit.filter(order_line_id=line.id, status=HELD)
        .order_by("id")
        .limit(max(quantity, 0))
        .values_list("id", flat=True)
    )
    if quantity <= 0 or len(held) < quantity:
        raise DomainError(ErrorCode.NOT_CONSIGNABLE, f"{len(held)} unit(s) of this line can be consigned.", "quantity")
    return await consign(owner_id, list(held))


async def choose_pickup(owner_id: int, unit_ids: list[int]) -> list[WholesaleUnit]:
    """Keep held units for self-pickup: they are fulfilled with their order."""
    async with unit_of_work() as conn:
        for unit in await _own_units(owner_id, unit_ids, conn):
            await UNIT_STATES.apply(unit, "keep_for_pickup", conn=conn, field="unitIds")
    return await WholesaleUnit.filter(id__in=unit_ids).order_by("id")


async def cancel_consignment(owner_id: int, unit_id: int) -> WholesaleUnit:
    """CON-5: an unsold consignment leaves the queue and becomes a self-pickup unit."""
    unit = await WholesaleUnit.get_or_none(id=unit_id, owner_id=owner_id)
    if unit is None:
        raise DomainError(ErrorCode.NOT_FOUND, "No such wholesale unit.", "unitId")
    async with unit_of_work() as conn:
        await _lock_queue(conn, unit.product_id)
        await UNIT_STATES.apply(unit, "cancel_consignment", conn=conn, field="unitId")
        emit(queue_channel(unit.product_id), UnitLeft(unit.queue_key, unit.id))
        emit(admin_channel(), stats_event(queued=-1))
    return await WholesaleUnit.get(id=unit.id)


# --------------------------------------------------------------------------- matching


@dataclass(frozen=True)
class Match:
    unit_id: int
    seller_id: int
    key: int
    split: SaleSplit


async def _pick(conn, product_id: int, count: int, upline_id: int | None) -> list[WholesaleUnit]:
    """The units a sale of `count` takes: the buyer's upline's first (referrer priority,
    when on), then the head of the queue."""
    picked: list[WholesaleUnit] = []
    if upline_id is not None and settings.CONSIGNMENT_REFERRER_PRIORITY:
        picked = list(
            await WholesaleUnit.filter(product_id=product_id, status=QUEUED, owner_id=upline_id)
            .using_db(conn)
            .order_by("queue_key")
            .limit(count)
        )
    if len(picked) < count:
        query = WholesaleUnit.filter(product_id=product_id, status=QUEUED)
        if picked:
            query = query.exclude(id__in=[u.id for u in picked])
        picked += list(await query.using_db(conn).order_by("queue_key").limit(count - len(picked)))
    return picked


async def match_retail_order(paid: PaidOrder, conn) -> list[Match]:
    """A retail order was paid: each unit of its lines whose product names a wholesale
    product takes one queued unit of that product's queue, while any is queued; the rest
    is platform stock."""
    order = paid.order
    lines = sorted(paid.lines_in(("RETAIL",)), key=lambda ln: (ln.product_id, ln.id))
    if not lines:
        return []
    emit(admin_channel(), stats_event(retail_orders=1, sales=sum(ln.amount for ln in lines)))
    targets = {  # read by the payment with the lines
        ln.product_id: paid.products[ln.product_id].voucher_product_id
        for ln in lines
        if paid.products[ln.product_id].voucher_product_id is not None
    }
    if not targets:
        return []
    uplines = await User.filter(id=order.buyer_id).using_db(conn).values_list("upline_id", flat=True)
    upline_id = uplines[0] if uplines else None
    # Everything a sale reads that does not depend on the units picked is read before the
    # queue row is locked: every retail payment of the product waits for that row, so from
    # the lock to the commit there are only the pick, the units and the money.
    policies = {wid: await policy_for(wid, conn) for wid in sorted(set(targets.values()))}
    money = MatchAccounts.keys(order.merchant_id)
    accounts = await ledger.account_ids(list(money))
    matches: list[Match] = []
    for line in lines:
        wholesale_id = targets.get(line.product_id)
        if wholesale_id is None:
            continue
        await _lock_queue_row(conn, wholesale_id)
        units = await _pick(conn, wholesale_id, line.quantity, upline_id)
        if not units:
            continue
        sellers = await ledger.account_ids([_seller_key(u.owner_id) for u in units])  # one query
        for unit in units:
            split = split_sale(line.unit_price, policies[wholesale_id])
            # under the queue lock a lost race cannot happen; apply refuses rather than double-sell
            await UNIT_STATES.apply(
                unit,
                "match",
                conn=conn,
                matched_line_id=line.id,
                matched_order_id=order.id,
                buyer_id=order.buyer_id,
                sale_price=line.unit_price,
                fee=split.fee,
                reward=split.reward,
            )
            await _book_match(
                unit,
                line,
                split,
                MatchAccounts(*(accounts[k] for k in money), sellers[_seller_key(unit.owner_id)]),
                conn,
            )
            matches.append(Match(unit.id, unit.owner_id, unit.queue_key, split))
            emit(queue_channel(wholesale_id), UnitSold(unit.queue_key, unit.id, unit.owner_id))
            emit(user_channel(unit.owner_id), ConsignmentSold(unit.id))
            emit(admin_channel(), stats_event(queued=-1, sold=1, rewards_pending=split.reward))
    return matches


def _seller_key(owner_id: int) -> ledger.AccountKey:
    return (ledger.USER, owner_id, Purpose.CONSIGNMENT_PENDING, "CNY")


@dataclass(frozen=True)
class MatchAccounts:
    """The ledger accounts a sale moves money between."""

    merchant_pending: int
    fee_revenue: int
    budget: int  # the consignment reward's source (promotion expense)
    seller: int

    @staticmethod
    def keys(merchant_id: int) -> tuple[ledger.AccountKey, ...]:
        """Keys of the first three, in field order."""
        return (
            (MERCHANT, merchant_id, Purpose.MERCHANT_PENDING, "CNY"),
            (ledger.PLATFORM, 0, Purpose.FEE_REVENUE, "CNY"),
            (ledger.PLATFORM, 0, Purpose.PROMOTION_EXPENSE, "CNY"),
        )


async def _seller_pending(owner_id: int) -> int:
    return (await ledger.user_account(owner_id, Purpose.CONSIGNMENT_PENDING)).id


async def _book_match(unit: WholesaleUnit, line: OrderLine, split: SaleSplit, accounts: MatchAccounts, conn) -> None:
    """The sale's money, on the payment's unit itself (no savepoint): the key names the unit and
    the line, which meet once, under the queue lock, by the unit's conditional QUEUED -> MATCHED."""
    postings = [Posting(accounts.merchant_pending, -line.unit_price), Posting(accounts.seller, split.proceeds)]
    if split.fee:
        postings.append(Posting(accounts.fee_revenue, split.fee))
    if split.reward:
        postings += [Posting(accounts.budget, -split.reward), Posting(accounts.seller, split.reward)]
    if any(p.amount for p in postings):
        await ledger.post(
            "CONSIGNMENT_SALE",
            [p for p in postings if p.amount],
            idempotency_key=f"consign-match:{unit.id}:{line.id}",
            reference_type="WHOLESALE_UNIT",
            reference_id=str(unit.id),
            conn=conn,
        )


RETURNED_SHIFT = 1 << 62  # above any key a queue's tail will ever give; BIGINT holds key - shift


def returned_key(key: int) -> int:
    """The queue key of a unit coming back from a refunded sale: ahead of every unit never
    sold (the tail gives keys from 1 up), and among units that came back, in their original
    consignment order, however the refunds interleave (CON-3: none skipped). A unit that
    had already come back once keeps its key."""
    return key - RETURNED_SHIFT if key >= 1 else key


async def unmatch_refunded(refund: LineRefund, conn) -> int:
    """A matched retail line was refunded (some units): reverse that many matches, most
    recent first, and put those units back at the head of their queue (`returned_key`)."""
    units = list(
        await WholesaleUnit.filter(matched_line_id=refund.line.id, status=MATCHED)
        .using_db(conn)
        .order_by("-matched_at", "-id")
        .limit(refund.quantity)
    )
    if not units:
        return 0
    merchant_pending = (await ledger.get_account(MERCHANT, refund.order.merchant_id, Purpose.MERCHANT_PENDING)).id
    if conn.capabilities.dialect == "postgres":
        # The merchant's pending account before the queue: the order a retail payment takes
        # them in (its ORDER_PAYMENT credits the account, then it matches under the queue
        # lock). The other way round, a refund and a payment of this merchant deadlock.
        await conn.execute_query(
            sql(conn, "SELECT id FROM ledger_account WHERE id = ? FOR NO KEY UPDATE"), [merchant_pending]
        )
    for unit in units:
        queue = await _lock_queue(conn, unit.product_id)
        head = returned_key(unit.queue_key)
        # `update`, not `apply`: the sale's figures on `unit` are needed below to reverse its money
        moved = await UNIT_STATES.update(
            WholesaleUnit.filter(id=unit.id).using_db(conn),
            "unmatch",
            queue_key=head,
            matched_line_id=None,
            matched_order_id=None,
            buyer_id=None,
            sale_price=None,
            fee=None,
            reward=None,
            matched_at=None,
        )
        if moved != 1:
            continue
        if head < queue.head_key:
            await ConsignmentQueue.filter(id=queue.id).using_db(conn).update(head_key=head)
        position = (
            await WholesaleUnit.filter(product_id=unit.product_id, status=QUEUED, queue_key__lt=head)
            .using_db(conn)
            .count()
            + 1
        )
        seller = await _seller_pending(unit.owner_id)
        postings = [Posting(seller, -(unit.sale_price - unit.fee)), Posting(merchant_pending, unit.sale_price)]
        if unit.fee:
            postings.append(Posting((await ledger.platform_account(Purpose.FEE_REVENUE)).id, -unit.fee))
        if unit.reward:
            postings += [
                Posting(seller, -unit.reward),
                Posting((await ledger.platform_account(Purpose.PROMOTION_EXPENSE)).id, unit.reward),
            ]
        await ledger.post(
            "CONSIGNMENT_SALE_REVERSED",
            [p for p in postings if p.amount],
            idempotency_key=f"consign-unmatch:{unit.id}:{refund.line.id}",
            reference_type="WHOLESALE_UNIT",
            reference_id=str(unit.id),
        )
        emit(queue_channel(unit.product_id), UnitReturned(head, unit.id, unit.owner_id, position))
        emit(user_channel(unit.owner_id), ConsignmentReturned(unit.id))
        emit(admin_channel(), stats_event(queued=1, sold=-1, rewards_pending=-(unit.reward or 0), at=unit.matched_at))
    return len(units)


# --------------------------------------------------------------------------- settlement


async def settle_due(limit: int = 500) -> int:
    """Worker job: proceeds and reward of units whose retail order completed and whose
    after-sales window has passed become available in the seller's wallet. Each unit moves
    by a conditional UPDATE in the same transaction as its journal entry: safe on two workers."""
    cutoff = clock.now() - timedelta(days=settings.AFTER_SALES_WINDOW_DAYS)
    completed = Subquery(Order.filter(status=order_states.COMPLETED, completed_at__lte=cutoff).values("id"))
    units = await WholesaleUnit.filter(status=MATCHED, matched_order_id__in=completed).order_by("id").limit(limit)
    done = 0
    for unit in units:
        async with unit_of_work() as conn:
            moved = await UNIT_STATES.update(WholesaleUnit.filter(id=unit.id).using_db(conn), "settle")
            if moved != 1:
                continue
            amount = unit.sale_price - unit.fee + unit.reward
            if amount:
                await ledger.post(
                    "CONSIGNMENT_SETTLED",
                    [
                        Posting(await _seller_pending(unit.owner_id), -amount),
                        Posting((await ledger.user_account(unit.owner_id, Purpose.WALLET)).id, amount),
                    ],
                    idempotency_key=f"consign-settle:{unit.id}:{unit.matched_line_id}",
                    reference_type="WHOLESALE_UNIT",
                    reference_id=str(unit.id),
                )
            emit(user_channel(unit.owner_id), ConsignmentSettled(unit.id))
            emit(admin_channel(), stats_event(rewards_pending=-(unit.reward or 0)))
        done += 1
    return done


# --------------------------------------------------------------------------- reading


def my_units(owner_id: int, statuses: list[str] | None = None):
    query = WholesaleUnit.filter(owner_id=owner_id)
    return query.filter(status__in=statuses) if statuses else query


async def positions(owner_id: int, product_id: int | None = None) -> list[tuple[WholesaleUnit, int]]:
    """The owner's queued units with their 1-based queue positions: per queue, one query
    numbering the queue in the database (the (product, status, queue_key) index) that
    returns only the owner's rows, not every key of a long queue."""
    query = WholesaleUnit.filter(owner_id=owner_id, status=QUEUED)
    if product_id is not None:
        query = query.filter(product_id=product_id)
    mine = await query.order_by("product_id", "queue_key")
    conn = connections.get("default")
    result = []
    for pid in sorted({u.product_id for u in mine}):
        rows = await conn.execute_query_dict(
            sql(
                conn,
                (
                    "SELECT id, pos FROM (SELECT id, owner_id, ROW_NUMBER() OVER (ORDER BY queue_key) AS pos "
                    "FROM wholesale_unit WHERE product_id = ? AND status = ?) q WHERE owner_id = ?"
                ),
            ),
            [pid, QUEUED, owner_id],
        )
        index = {int(r["id"]): int(r["pos"]) for r in rows}
        result += [(u, index[u.id]) for u in mine if u.product_id == pid and u.id in index]
    return result


async def set_policy(actor_id: int, product_id: int, policy: Policy) -> ConsignmentPolicy:
    """An admin sets a wholesale product's consignment fee and reward (CON-4)."""
    product = await Product.get_or_none(id=product_id)
    if product is None:
        raise DomainError(ErrorCode.NOT_FOUND, "No such product.", "productId")
    if product.zone != "WHOLESALE":
        raise DomainError(
            ErrorCode.INVALID_INPUT, "Consignment policies belong to wholesale-zone products.", "productId"
        )
    problem = validate_policy(policy)
    if problem:
        raise DomainError(ErrorCode.INVALID_RATE, problem, "feeBp")
    values = dict(
        fee_bp=policy.fee_bp, reward_kind=policy.reward_kind, reward_value=policy.reward_value, updated_by_id=actor_id
    )
    row, created = await ConsignmentPolicy.get_or_create(product_id=product_id, defaults=values)
    if not created:
        await ConsignmentPolicy.filter(id=row.id).update(**values)
    return await ConsignmentPolicy.get(id=row.id)
