"""Consignment races on PostgreSQL (skipped on SQLite, whose writers are serialised anyway).

Same style as tests/services/test_order_races.py, whose helpers are reused: `race` runs
coroutines at once (each transaction on its own pooled connection, `wide_pool`) and
checks that transactions really overlapped.

- Snap-up (CON-7): 100 voucher holders join a 10-unit session at once: exactly 10 win (an
  unpaid wholesale order each), 90 get the session's consolation coins in their COIN
  account, nobody both, and the session never goes below zero.
- Refunds (CON-4): two matched retail sales refunded at once put both consigned units
  back at the head of the queue in their original order, and reverse the proceeds; and
  refunds racing retail payments of the same product neither deadlock nor skip a unit.

Every scenario ends with the ledger's own invariant check.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import timedelta

import pytest

import settings
from models.catalog import Sku
from models.consignment import SnapUpEntry, SnapUpSession, Voucher, WholesaleUnit
from models.ledger import JournalEntry, JournalTransaction
from models.orders import AfterSale, Order, OrderLine
from services.accounts.access import Grants
from services.consignment import queue as consignment
from services.consignment import snapup, unit_states
from services.consignment.events import UnitReturned
from services.consignment.matching import BP, position_after
from services.core import clock, events
from services.ledger import ledger
from services.ledger.ledger import MERCHANT, Purpose
from services.orders import after_sales, payments
from tests.conftest import requires_postgres
from tests.helpers import make_user
from tests.order_factories import make_buyer, make_consignment_pair, place
from tests.services.test_order_races import assert_stock_journal_consistent, race, wide_pool  # noqa: F401 (wide_pool: fixture)

pytestmark = [requires_postgres, pytest.mark.usefixtures("wide_pool")]

SUPPORT = Grants(platform={"order.manage"})
RETAIL_PRICE, WHOLESALE_PRICE = 1000, 300
FEE = RETAIL_PRICE * settings.CONSIGNMENT_FEE_BP // BP


async def _holders(count: int, product_id: int, wallet: int = 0) -> list:
    """(user, address) of users holding one unused wholesale voucher for the product
    each (as a retail purchase grants it)."""
    people = await asyncio.gather(*(make_buyer(f"持券{i}", wallet=wallet) for i in range(count)))
    expires = clock.now() + timedelta(days=settings.VOUCHER_TTL_DAYS)
    await Voucher.bulk_create(
        [Voucher(owner_id=user.id, scope_product_id=product_id, expires_at=expires) for user, _ in people]
    )
    return people


async def _consigned(wholesale, count: int) -> list[WholesaleUnit]:
    """`count` sellers buy one wholesale unit each with their voucher and consign it at
    payment, all at once; the queue, head first (keys 1..count in commit order)."""
    people = await _holders(count, wholesale.product_id, wallet=WHOLESALE_PRICE)

    async def consign(seller, address):
        placed = await place(seller, address, [(wholesale.id, 1)], consign_wholesale=True)
        await payments.pay_with_wallet(seller.id, placed.payment.id)

    await asyncio.gather(*(consign(*person) for person in people))
    units = await WholesaleUnit.filter(product_id=wholesale.product_id, status=unit_states.QUEUED).order_by("queue_key")
    assert [u.queue_key for u in units] == list(range(1, count + 1))
    return units


# --------------------------------------------------------------------------- snap-up


async def test_hundred_voucher_holders_race_for_ten_snap_up_units():
    coins = 500
    _, _, wholesale = await make_consignment_pair(RETAIL_PRICE, WHOLESALE_PRICE, vouchers=1, stock=100)
    admin = await make_user("admin", roles=("admin",))
    now = clock.now()
    session = await snapup.create_session(
        admin.id,
        snapup.SessionData(
            sku_id=wholesale.id,
            starts_at=now - timedelta(minutes=1),
            ends_at=now + timedelta(hours=1),
            units=10,
            consolation_coins=coins,
        ),
    )
    holders = [user for user, _ in await _holders(100, wholesale.product_id)]

    entries = await race(*(snapup.join(user.id, session.id) for user in holders))

    assert all(isinstance(e, SnapUpEntry) for e in entries), Counter(
        e for e in entries if not isinstance(e, SnapUpEntry)
    )
    assert Counter(e.result for e in entries) == Counter({"WON": 10, "LOST": 90})
    assert [e.user_id for e in entries] == [u.id for u in holders]
    assert await SnapUpEntry.filter(session_id=session.id).count() == 100  # one entry each: nobody both won and lost
    winners = {e.user_id: e for e in entries if e.result == "WON"}
    losers = {e.user_id: e for e in entries if e.result == "LOST"}
    assert (await SnapUpSession.get(id=session.id)).remaining == 0

    for user_id, entry in winners.items():  # an unpaid wholesale order holding the voucher, no coins
        assert entry.coins == 0 and entry.order_id is not None
        order = await Order.get(id=entry.order_id)
        assert (order.buyer_id, order.status, order.pay_amount) == (user_id, "PENDING_PAYMENT", WHOLESALE_PRICE)
        assert await Voucher.filter(owner_id=user_id, status="RESERVED").count() == 1
        assert (await ledger.user_account(user_id, Purpose.COINS, snapup.COIN)).balance == 0
    for user_id, entry in losers.items():  # the coins, no order, the voucher kept
        assert (entry.coins, entry.order_id) == (coins, None)
        assert (await ledger.user_account(user_id, Purpose.COINS, snapup.COIN)).balance == coins
        assert await Order.filter(buyer_id=user_id).count() == 0
        assert await Voucher.filter(owner_id=user_id, status="UNUSED").count() == 1
    assert await Order.all().count() == 10
    assert await JournalTransaction.filter(kind="SNAPUP_CONSOLATION").count() == 90
    assert (await ledger.platform_account(Purpose.PROMOTION_EXPENSE, snapup.COIN)).balance == -90 * coins
    assert (await Sku.get(id=wholesale.id)).stock == 100 - 10  # each winner's order reserved one unit
    await assert_stock_journal_consistent(wholesale.id)
    assert await ledger.check_invariants() == []


# --------------------------------------------------------------------------- refunds


async def _buy_retail(retail_sku_id: int, name: str):
    buyer, address = await make_buyer(name, wallet=RETAIL_PRICE)
    placed = await place(buyer, address, [(retail_sku_id, 1)])
    await payments.pay_with_wallet(buyer.id, placed.payment.id)
    return buyer, placed.orders[0]


async def _refund(sales: list, *, at_once: bool) -> None:
    """Each buyer asks for a refund of its sale; support approves them all at once, or one
    after the other in this order."""
    requests = []
    for buyer, order in sales:
        line = await OrderLine.get(order_id=order.id)
        requests.append(await after_sales.request_after_sale(buyer.id, line.id, "REFUND_ONLY", 1, "不想要了"))
    if at_once:
        approved = await race(*(after_sales.approve(SUPPORT, 0, r.id) for r in requests))
    else:
        approved = [await after_sales.approve(SUPPORT, 0, r.id) for r in requests]
    assert all(isinstance(a, AfterSale) for a in approved), approved
    for buyer, order in sales:
        assert (await ledger.user_account(buyer.id, Purpose.WALLET)).balance == RETAIL_PRICE  # money back
        assert (await Order.get(id=order.id)).status == "CLOSED"


async def _assert_subscribers_see_the_same_order(published, product_id: int, returned, waiting) -> None:
    """A queue subscriber that tracked the waiting units (positions 1, 2, ...) and applies
    the two "returned" events in commit order (the order of their reversal transactions,
    written under the queue lock) ends with the positions the database has."""
    channel = consignment.queue_channel(product_id)
    events_by_unit = {
        e.unit_id: e for e in (events.decode(m) for c, m in published if c == channel) if isinstance(e, UnitReturned)
    }
    assert set(events_by_unit) == {u.id for u in returned}
    commit_order = (
        await JournalTransaction.filter(
            kind="CONSIGNMENT_SALE_REVERSED", reference_id__in=[str(u.id) for u in returned]
        )
        .order_by("-id")
        .limit(len(returned))
        .values_list("reference_id", flat=True)
    )
    tracked = {u.id: (u.queue_key, n) for n, u in enumerate(waiting, start=1)}  # unit id -> (key, position)
    for unit_id in reversed(commit_order):
        event = events_by_unit[int(unit_id)]
        tracked = {uid: (key, position_after(pos, key, event)) for uid, (key, pos) in tracked.items()}
        tracked[int(unit_id)] = (event.key, event.position)
    assert {uid: pos for uid, (_, pos) in tracked.items()} == {
        u.id: n for n, u in enumerate((*returned, *waiting), start=1)
    }


async def test_two_refunds_at_once_put_both_units_back_at_the_head_in_their_order(monkeypatch):
    published: list[tuple[str, str]] = []

    async def publish(channel: str, message: str) -> None:
        published.append((channel, message))

    monkeypatch.setattr(events, "_publisher", publish)
    merchant, retail, wholesale = await make_consignment_pair(RETAIL_PRICE, WHOLESALE_PRICE, vouchers=1)
    a, b, c, d = units = await _consigned(wholesale, 4)
    pending_before = (await ledger.get_account(MERCHANT, merchant.id, Purpose.MERCHANT_PENDING)).balance

    # Launched in either order (commit order is up to the database); then, as a control,
    # one after the other with the earlier-consigned unit's sale refunded first.
    for round_no, (launch, at_once) in enumerate((((0, 1), True), ((1, 0), True), ((0, 1), False)), start=1):
        # Two buyers take A and B (first in, first out) ...
        sales = [await _buy_retail(retail.id, f"买家{round_no}-{n}") for n in range(2)]
        matched = {u.id: u.matched_order_id for u in await WholesaleUnit.filter(status=unit_states.MATCHED)}
        assert matched == {a.id: sales[0][1].id, b.id: sales[1][1].id}
        for unit in (a, b):
            assert (await ledger.user_account(unit.owner_id, Purpose.CONSIGNMENT_PENDING)).balance == RETAIL_PRICE - FEE

        # ... and both sales are refunded.
        published.clear()
        await _refund([sales[i] for i in launch], at_once=at_once)

        queue = await WholesaleUnit.filter(product_id=wholesale.product_id, status=unit_states.QUEUED).order_by(
            "queue_key"
        )
        assert [u.id for u in queue] == [a.id, b.id, c.id, d.id], f"round {round_no}: {[u.id for u in queue]}"
        for unit in queue:
            assert (unit.matched_order_id, unit.buyer_id, unit.sale_price, unit.fee, unit.matched_at) == (None,) * 5
        for unit, expected in zip(units, (1, 2, 3, 4), strict=True):  # one unit per seller
            assert [(u.id, p) for u, p in await consignment.positions(unit.owner_id)] == [(unit.id, expected)]
        # Proceeds reversed: the sellers and the platform's fee are back to nothing, the
        # merchant's pending account to what it held before the two sales.
        for unit in (a, b):
            assert (await ledger.user_account(unit.owner_id, Purpose.CONSIGNMENT_PENDING)).balance == 0
        assert (await ledger.platform_account(Purpose.FEE_REVENUE)).balance == 0
        assert (await ledger.get_account(MERCHANT, merchant.id, Purpose.MERCHANT_PENDING)).balance == pending_before
        assert await JournalTransaction.filter(kind="CONSIGNMENT_SALE_REVERSED").count() == 2 * round_no
        await _assert_subscribers_see_the_same_order(published, wholesale.product_id, (a, b), (c, d))
        assert await ledger.check_invariants() == []


async def test_refunds_racing_retail_payments_neither_deadlock_nor_skip_a_unit():
    """Ten matched sales are refunded while ten more retail buyers pay, all at once: no
    deadlock (a refund locks the merchant's pending account before the queue, in the order
    a payment does), and replaying the twenty in commit order with the queue's rules gives
    exactly the matches made and the queue left."""
    merchant, retail, wholesale = await make_consignment_pair(RETAIL_PRICE, WHOLESALE_PRICE, vouchers=1)
    units = await _consigned(wholesale, 20)
    sales = [await _buy_retail(retail.id, f"先买{n}") for n in range(10)]  # keys 1..10
    requests = []
    for buyer, order in sales:
        line = await OrderLine.get(order_id=order.id)
        requests.append(await after_sales.request_after_sale(buyer.id, line.id, "REFUND_ONLY", 1, "不想要了"))
    later = []
    for n in range(10):
        buyer, address = await make_buyer(f"后买{n}", wallet=RETAIL_PRICE)
        later.append((buyer, await place(buyer, address, [(retail.id, 1)])))
    last_tx = (await JournalTransaction.all().order_by("-id").first()).id

    results = await race(
        *(
            racer
            for request, (buyer, placed) in zip(requests, later, strict=True)
            for racer in (
                after_sales.approve(SUPPORT, 0, request.id),
                payments.pay_with_wallet(buyer.id, placed.payment.id),
            )
        )
    )

    assert [type(r).__name__ for r in results] == ["AfterSale", "Payment"] * 10, results
    # Commit order: both kinds lock the merchant's pending account first, until commit.
    pending = await ledger.get_account(MERCHANT, merchant.id, Purpose.MERCHANT_PENDING)
    txs = {
        t.id: t
        for t in await JournalTransaction.filter(
            id__gt=last_tx, kind__in=["ORDER_PAYMENT", "CONSIGNMENT_SALE_REVERSED"]
        )
    }
    entries = (
        await JournalEntry.filter(transaction_id__in=list(txs), account_id=pending.id)
        .order_by("id")
        .values_list("transaction_id", flat=True)
    )
    assert len(entries) == 20
    order_of_payment = {o.payment_id: o.id for o in await Order.filter(payment_id__in=[p.payment.id for _, p in later])}
    original = {u.id: u.queue_key for u in units}
    model = {u.id: u.queue_key for u in units[10:]}  # still queued before the race
    expected = {}
    for tx_id in entries:
        tx = txs[tx_id]
        if tx.kind == "CONSIGNMENT_SALE_REVERSED":
            model[int(tx.reference_id)] = consignment.returned_key(original[int(tx.reference_id)])
        else:
            head = min(model, key=model.__getitem__)
            expected[order_of_payment[int(tx.reference_id)]] = head
            del model[head]
    matched = await WholesaleUnit.filter(status=unit_states.MATCHED)
    assert {u.matched_order_id: u.id for u in matched} == expected
    queued = await WholesaleUnit.filter(status=unit_states.QUEUED).order_by("queue_key")
    assert [u.id for u in queued] == sorted(model, key=model.__getitem__)
    for buyer, order in sales:
        assert (await Order.get(id=order.id)).status == "CLOSED"
        assert (await ledger.user_account(buyer.id, Purpose.WALLET)).balance == RETAIL_PRICE
    for unit in units:
        proceeds = RETAIL_PRICE - FEE if unit.id in expected.values() else 0
        assert (await ledger.user_account(unit.owner_id, Purpose.CONSIGNMENT_PENDING)).balance == proceeds
    assert (await ledger.platform_account(Purpose.FEE_REVENUE)).balance == 10 * FEE
    assert await ledger.check_invariants() == []
