"""Order races on PostgreSQL (skipped on SQLite, whose writers are serialised anyway).

Real concurrency: many coroutines under `asyncio.gather`, each of Tortoise's transactions
on its own pooled asyncpg connection. Tortoise's pool defaults to 5 connections, and the
project has no setting for it (a `?maxsize=` in DATABASE_URL would reach asyncpg as a
server setting in `manage.reset_database` and fail), so the `wide_pool` fixture widens the
test client's pool to RACE_POOL_SIZE for these tests only and restores it afterwards.
`Overlap` samples pg_stat_activity from its own connection while a race runs and each
test checks that transactions really were open at the same time.

Every scenario ends with the ledger's own invariant check.
"""

from __future__ import annotations

import asyncio
import os
import random
import uuid
from collections import Counter

import asyncpg
import httpx
import pytest
import pytest_asyncio
from tortoise import connections
from tortoise.functions import Sum

import settings
from models.catalog import Product, Sku, StockMovement
from models.ledger import JournalTransaction
from models.merchants import Merchant
from models.orders import GatewayNotification, Order, OrderLine, OrderStatusChange, Payment, Refund
from services.core.errors import DomainError, ErrorCode
from services.ledger import ledger
from services.ledger.ledger import MERCHANT, PLATFORM, Purpose
from services.orders import payments
from services.orders.gateways import gateway
from tests.conftest import requires_postgres
from tests.helpers import gid, token_for
from tests.order_factories import make_buyer, make_shop, place

RACE_POOL_SIZE = int(os.environ.get("RACE_POOL_SIZE", "20"))
RACE_TIMEOUT = 120  # seconds: a hang (lock cycle, exhausted pool) fails instead of blocking the suite

pytestmark = [requires_postgres, pytest.mark.usefixtures("wide_pool")]


@pytest_asyncio.fixture(loop_scope="session")
async def wide_pool():
    """Tortoise's default pool (5) for the whole test session is too small for a 100-way
    race to overlap much: give these tests RACE_POOL_SIZE connections (the pool is made
    again lazily on the next query), then put the default back."""
    client = connections.get("default")
    before = client.pool_maxsize
    if before < RACE_POOL_SIZE:
        await client.close()
        client.pool_maxsize = RACE_POOL_SIZE
    yield client.pool_maxsize
    if client.pool_maxsize != before:
        await client.close()
        client.pool_maxsize = before


class Overlap:
    """Peak number of this database's backends inside a transaction at the same moment,
    sampled from a connection of its own while the block runs."""

    def __init__(self) -> None:
        self.peak = 0

    async def __aenter__(self) -> Overlap:
        self._conn = await asyncpg.connect(settings.DATABASE_URL.replace("postgres://", "postgresql://", 1))
        self._task = asyncio.create_task(self._sample())
        return self

    async def _sample(self) -> None:
        while True:
            busy = await self._conn.fetchval(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND pid <> pg_backend_pid() AND xact_start IS NOT NULL"
            )
            self.peak = max(self.peak, busy)
            await asyncio.sleep(0.001)

    async def __aexit__(self, *exc) -> None:
        self._task.cancel()
        try:
            await self._task
        except asyncio.CancelledError:
            pass
        await self._conn.close()


async def race(*coroutines):
    """Run all at once; return their results, or DomainError codes for refusals. Anything
    else (deadlock, IntegrityError, a hang) fails the test, listing every such error."""

    async def one(coroutine):
        try:
            return await coroutine
        except DomainError as exc:
            return exc.code

    overlap = Overlap()
    async with overlap:
        results = await asyncio.wait_for(
            asyncio.gather(*(one(c) for c in coroutines), return_exceptions=True), RACE_TIMEOUT
        )
    unexpected = [r for r in results if isinstance(r, BaseException)]
    assert not unexpected, f"{len(unexpected)} racers failed unexpectedly: {unexpected[:5]!r}"
    assert overlap.peak >= 2, f"the racers never overlapped (peak {overlap.peak} open transactions)"
    print(f"race: {len(results)} racers, peak {overlap.peak} transactions open at once")
    return results


async def balance(owner_type: str, owner_id: int, purpose: str) -> int:
    return (await ledger.get_account(owner_type, owner_id, purpose)).balance


async def wallet(user) -> int:
    return await balance("USER", user.id, Purpose.WALLET)


async def assert_stock_journal_consistent(sku_id: int) -> None:
    """The SKU's stock equals the sum of its movements; no movement left it below zero;
    each movement's stock-after follows from the previous one (one at a time per SKU)."""
    sku = await Sku.get(id=sku_id)
    movements = await StockMovement.filter(sku_id=sku_id).order_by("id")
    assert sum(m.delta for m in movements) == sku.stock
    assert all(m.stock_after >= 0 for m in movements)
    running = 0
    for m in movements:
        running += m.delta
        assert m.stock_after == running, f"movement {m.id}: stock after {m.stock_after}, expected {running}"
    product = await Product.get(id=sku.product_id)
    assert product.total_stock == sum(
        await Sku.filter(product_id=product.id, is_active=True).values_list("stock", flat=True)
    )


async def order_payment_transactions(payment_id: int) -> int:
    return await JournalTransaction.filter(
        kind="ORDER_PAYMENT", reference_type="PAYMENT", reference_id=str(payment_id)
    ).count()


# --------------------------------------------------------------------------- 1. oversell


@pytest.mark.parametrize("auto_delist", [False, True], ids=["listed-at-zero", "auto-delist-at-zero"])
async def test_hundred_buyers_race_for_ten_units(auto_delist):
    """100 buyers with money each place and pay for 1 unit of a SKU with 10 in stock."""
    merchant, product, (hot,) = await make_shop(price=1000, stock=10)
    await Merchant.filter(id=merchant.id).update(auto_delist_at_zero=auto_delist)
    buyers = [await make_buyer(f"buyer{i}", wallet=5_000) for i in range(100)]

    async def buy(buyer, address):
        placed = await place(buyer, address, [(hot.id, 1)])
        paid = await payments.pay_with_wallet(buyer.id, placed.payment.id)
        return paid.status

    results = await race(*(buy(b, a) for b, a in buyers))

    outcomes = Counter(results)
    assert outcomes["PAID"] == 10, outcomes
    refusals = Counter({k: v for k, v in outcomes.items() if k != "PAID"})
    assert sum(refusals.values()) == 90
    if auto_delist:
        # Buyers who read the product after it was delisted at zero are told it is off sale.
        assert set(refusals) <= {ErrorCode.INSUFFICIENT_STOCK, ErrorCode.PRODUCT_UNAVAILABLE}, refusals
    else:
        assert refusals == Counter({ErrorCode.INSUFFICIENT_STOCK: 90}), refusals

    sku = await Sku.get(id=hot.id)
    p = await Product.get(id=product.id)
    assert (sku.stock, sku.sales_count) == (0, 10)
    assert (p.total_stock, p.sales_count) == (0, 10)
    assert p.status == ("DELISTED" if auto_delist else "LISTED")
    reserves = await StockMovement.filter(sku_id=hot.id, reason="ORDER_RESERVE").order_by("stock_after")
    assert [m.stock_after for m in reserves] == list(range(10))  # each unit taken once, never below zero
    await assert_stock_journal_consistent(hot.id)

    # Refused checkouts left nothing behind; the ten paid ones are whole.
    assert await Payment.all().count() == 10
    assert await Payment.filter(status="PAID").count() == 10
    assert await Order.filter(status="PAID").count() == await Order.all().count() == 10
    assert await OrderLine.all().count() == 10
    paid_buyers = set(await Payment.filter(status="PAID").values_list("buyer_id", flat=True))
    for buyer, _ in buyers:
        assert await wallet(buyer) == (4_000 if buyer.id in paid_buyers else 5_000)
    assert await balance(MERCHANT, merchant.id, Purpose.MERCHANT_PENDING) == 10 * 1000
    assert await balance(PLATFORM, 0, Purpose.ORDER_CLEARING) == 0
    assert await JournalTransaction.filter(kind="ORDER_PAYMENT").count() == 10
    assert await ledger.check_invariants() == []


# --------------------------------------------------------------------------- 2. callback storms


async def _gateway_checkout(price: int = 1000):
    buyer, address = await make_buyer()
    merchant, _, (s1,) = await make_shop(price=price)
    placed = await place(buyer, address, [(s1.id, 1)])
    _, charge = await payments.start_gateway_payment(buyer.id, placed.payment.id)
    notice = await gateway.get().simulate_payment(charge.trade_no)  # the buyer paid at the gateway
    return buyer, merchant, s1, placed, notice


async def _assert_paid_once_by_gateway(merchant, sku, placed, price: int = 1000) -> None:
    payment = await Payment.get(id=placed.payment.id)
    assert (payment.status, payment.method) == ("PAID", "SANDBOX")
    assert await GatewayNotification.all().count() == 1
    assert (await GatewayNotification.get()).outcome == "PAID"
    assert await order_payment_transactions(payment.id) == 1
    assert await balance(MERCHANT, merchant.id, Purpose.MERCHANT_PENDING) == price
    assert await balance(PLATFORM, 0, Purpose.GATEWAY_CLEARING) == -price
    assert await Refund.all().count() == 0
    order = await Order.get(id=placed.orders[0].id)
    assert order.status == "PAID"
    assert await OrderStatusChange.filter(order_id=order.id, to_status="PAID").count() == 1
    assert (await Sku.get(id=sku.id)).sales_count == 1
    assert await ledger.check_invariants() == []


async def test_same_callback_delivered_twenty_times_at_once():
    _, merchant, s1, placed, notice = await _gateway_checkout()

    outcomes = await race(*(payments.handle_notification(notice.headers, notice.body) for _ in range(20)))

    assert outcomes == ["PAID"] * 20  # repeats answer the first outcome
    await _assert_paid_once_by_gateway(merchant, s1, placed)


async def test_same_callback_posted_twenty_times_at_once_over_http(app):
    _, merchant, s1, placed, notice = await _gateway_checkout()
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:

        async def deliver():
            response = await client.post("/payments/notify", headers=notice.headers, content=notice.body)
            return response.status_code, response.json()

        answers = await race(*(deliver() for _ in range(20)))

    assert answers == [(200, {"code": "SUCCESS", "outcome": "PAID"})] * 20
    await _assert_paid_once_by_gateway(merchant, s1, placed)


async def test_wallet_payment_racing_gateway_callbacks_pays_once_and_refunds_the_other():
    """The buyer pays from the wallet while the gateway's callback for the same checkout
    arrives (several times): one of them pays; money from the other way goes back."""
    rounds = 15
    setups = []
    for _ in range(rounds):
        buyer, merchant, s1, placed, notice = await _gateway_checkout()
        await _fund(buyer, 5_000)
        setups.append((buyer, merchant, placed, notice))

    racers, kinds = [], []
    for buyer, _, placed, notice in setups:
        racers.append(payments.pay_with_wallet(buyer.id, placed.payment.id))
        kinds.append("wallet")
        for _ in range(3):
            racers.append(payments.handle_notification(notice.headers, notice.body))
            kinds.append("callback")
    order = list(range(len(racers)))
    random.shuffle(order)
    shuffled = await race(*(racers[i] for i in order))
    results = [None] * len(racers)
    for position, index in enumerate(order):
        results[index] = shuffled[position]

    for n, (buyer, merchant, placed, _) in enumerate(setups):
        wallet_result, *callback_results = results[4 * n : 4 * n + 4]
        payment = await Payment.get(id=placed.payment.id)
        assert payment.status == "PAID"
        assert await order_payment_transactions(payment.id) == 1
        assert await balance(MERCHANT, merchant.id, Purpose.MERCHANT_PENDING) == 1000
        assert len(set(callback_results)) == 1  # every repeat answers the first outcome
        if payment.method == "WALLET":
            assert wallet_result.status == "PAID"
            assert callback_results[0] == "REFUNDED_DUPLICATE"
            assert await wallet(buyer) == 4_000
            refund = await Refund.get(payment_id=payment.id)
            assert (refund.amount, refund.reason, refund.status) == (1000, "DUPLICATE_PAYMENT", "SUCCEEDED")
        else:
            assert payment.method == "SANDBOX"
            assert wallet_result == ErrorCode.PAYMENT_NOT_PAYABLE
            assert callback_results[0] == "PAID"
            assert await wallet(buyer) == 5_000
            assert await Refund.filter(payment_id=payment.id).count() == 0
    assert await GatewayNotification.all().count() == rounds
    print("wallet vs callback winners:", Counter(await Payment.filter(status="PAID").values_list("method", flat=True)))
    assert await ledger.check_invariants() == []


async def _fund(buyer, amount: int) -> None:
    from tests.order_factories import fund_wallet

    await fund_wallet(buyer, amount)


# --------------------------------------------------------------------------- 3. pay vs cancel


async def test_paying_and_cancelling_the_same_checkout_one_wins():
    """Many checkouts of one SKU; each is paid from the wallet and cancelled by its buyer
    at the same moment (all rounds at once, in random order): exactly one of the two wins
    each round, and stock and money follow the winner."""
    rounds = 40
    merchant, product, (s1,) = await make_shop(price=700, stock=1000)
    checkouts = []
    for i in range(rounds):
        buyer, address = await make_buyer(f"b{i}", wallet=10_000)
        quantity = 1 + i % 3
        placed = await place(buyer, address, [(s1.id, quantity)])
        checkouts.append((buyer, placed, quantity))
    reserved = sum(q for _, _, q in checkouts)
    assert (await Sku.get(id=s1.id)).stock == 1000 - reserved

    racers, pay_first = [], [random.random() < 0.5 for _ in checkouts]
    for (buyer, placed, _), first in zip(checkouts, pay_first):
        pay = payments.pay_with_wallet(buyer.id, placed.payment.id)
        cancel = payments.cancel_by_buyer(buyer.id, placed.orders[0].id, "changed my mind")
        racers += [pay, cancel] if first else [cancel, pay]
    flat = await race(*racers)

    paid_units = paid_amount = 0
    wins = Counter()
    for n, (buyer, placed, quantity) in enumerate(checkouts):
        pair = flat[2 * n : 2 * n + 2]
        pay_result, cancel_result = pair if pay_first[n] else pair[::-1]
        payment = await Payment.get(id=placed.payment.id)
        orders = await Order.filter(payment_id=payment.id)
        if payment.status == "PAID":
            wins["pay"] += 1
            assert isinstance(pay_result, Payment) and pay_result.status == "PAID"
            assert cancel_result == ErrorCode.INVALID_TRANSITION
            assert {o.status for o in orders} == {"PAID"}
            assert await wallet(buyer) == 10_000 - 700 * quantity
            assert await order_payment_transactions(payment.id) == 1
            assert await StockMovement.filter(reason="ORDER_RELEASE", reference_id=str(payment.id)).count() == 0
            paid_units += quantity
            paid_amount += 700 * quantity
        else:
            wins["cancel"] += 1
            assert payment.status == "CLOSED"
            assert pay_result == ErrorCode.PAYMENT_NOT_PAYABLE
            assert isinstance(cancel_result, list) and {o.status for o in cancel_result} == {"CANCELLED"}
            assert {o.status for o in orders} == {"CANCELLED"}
            assert await wallet(buyer) == 10_000
            assert await order_payment_transactions(payment.id) == 0
            release = await StockMovement.get(reason="ORDER_RELEASE", reference_id=str(payment.id))
            assert release.delta == quantity
    assert sum(wins.values()) == rounds
    print(f"pay vs cancel: {dict(wins)}")

    sku = await Sku.get(id=s1.id)
    assert (sku.stock, sku.sales_count) == (1000 - paid_units, paid_units)
    p = await Product.get(id=product.id)
    assert (p.total_stock, p.sales_count) == (1000 - paid_units, paid_units)
    await assert_stock_journal_consistent(s1.id)
    assert await balance(MERCHANT, merchant.id, Purpose.MERCHANT_PENDING) == paid_amount
    assert await balance(PLATFORM, 0, Purpose.ORDER_CLEARING) == 0
    assert await ledger.check_invariants() == []


async def test_gateway_callback_racing_cancel_pays_or_refunds_late():
    """The gateway's callback and the buyer's cancel arrive together: either the checkout
    is paid, or it is cancelled and the money that came in is refunded (REFUNDED_LATE)."""
    rounds = 20
    setups = [await _gateway_checkout() for _ in range(rounds)]
    flat = await race(
        *(
            c
            for buyer, _, _, placed, notice in setups
            for c in (
                payments.handle_notification(notice.headers, notice.body),
                payments.cancel_by_buyer(buyer.id, placed.orders[0].id, ""),
            )
        )
    )
    for n, (_, merchant, s1, placed, _) in enumerate(setups):
        outcome, cancelled = flat[2 * n], flat[2 * n + 1]
        payment = await Payment.get(id=placed.payment.id)
        if payment.status == "PAID":
            assert outcome == "PAID" and cancelled == ErrorCode.INVALID_TRANSITION
            assert await balance(MERCHANT, merchant.id, Purpose.MERCHANT_PENDING) == 1000
            assert (await Sku.get(id=s1.id)).stock == 9
        else:
            assert payment.status == "CLOSED" and outcome == "REFUNDED_LATE"
            assert await balance(MERCHANT, merchant.id, Purpose.MERCHANT_PENDING) == 0
            assert (await Sku.get(id=s1.id)).stock == 10
            refund = await Refund.get(payment_id=payment.id)
            assert (refund.reason, refund.amount, refund.status) == ("LATE_PAYMENT", 1000, "SUCCEEDED")
        await assert_stock_journal_consistent(s1.id)
    # All money that came in through the gateway is either with a merchant or on its way back.
    paid = await Payment.filter(status="PAID").count()
    print(f"callback vs cancel: {paid} paid, {rounds - paid} cancelled")
    refunded = await Refund.all().annotate(total=Sum("amount")).values_list("total", flat=True)
    assert await balance(PLATFORM, 0, Purpose.GATEWAY_CLEARING) == -1000 * paid
    assert (refunded[0] or 0) == 1000 * (rounds - paid)
    assert await ledger.check_invariants() == []


# --------------------------------------------------------------------------- 4. idempotency


async def test_same_idempotency_key_ten_times_at_once():
    buyer, address = await make_buyer(wallet=100_000)
    m1, _, (s1,) = await make_shop(price=1000, stock=10)
    m2, _, (s2,) = await make_shop(price=2500, stock=10, shipping_fee=500)
    key = uuid.uuid4().hex

    placed = await race(*(place(buyer, address, [(s1.id, 2), (s2.id, 1)], key=key) for _ in range(10)))

    assert all(not isinstance(p, ErrorCode) for p in placed), placed
    assert len({p.payment.id for p in placed}) == 1
    assert [p.replayed for p in placed].count(False) == 1
    assert len({tuple(o.id for o in p.orders) for p in placed}) == 1 and len(placed[0].orders) == 2
    payment_id = placed[0].payment.id
    assert await Payment.filter(buyer_id=buyer.id).count() == 1
    assert await Order.filter(buyer_id=buyer.id).count() == 2
    assert ((await Sku.get(id=s1.id)).stock, (await Sku.get(id=s2.id)).stock) == (8, 9)
    assert await StockMovement.filter(reason="ORDER_RESERVE").count() == 2
    for s in (s1, s2):
        await assert_stock_journal_consistent(s.id)

    # ... and paying it ten times at once takes the money once.
    paid = await race(*(payments.pay_with_wallet(buyer.id, payment_id) for _ in range(10)))
    assert sum(isinstance(p, Payment) for p in paid) == 1
    assert Counter(p for p in paid if not isinstance(p, Payment)) == Counter({ErrorCode.PAYMENT_NOT_PAYABLE: 9})
    assert await wallet(buyer) == 100_000 - (2000 + 3000)
    assert await balance(MERCHANT, m1.id, Purpose.MERCHANT_PENDING) == 2000
    assert await balance(MERCHANT, m2.id, Purpose.MERCHANT_PENDING) == 3000
    assert await order_payment_transactions(payment_id) == 1
    assert await ledger.check_invariants() == []


PLACE = """mutation($input: PlaceOrderInput!) { placeOrder(input: $input) {
  payment { id status } orders { id } errors { code } } }"""


async def test_same_idempotency_key_ten_times_at_once_through_graphql(api):
    buyer, address = await make_buyer(wallet=100_000)
    _, _, (s1,) = await make_shop(price=1000, stock=10)
    token = await token_for(buyer)
    variables = {
        "input": {
            "idempotencyKey": uuid.uuid4().hex,
            "items": [{"skuId": gid(s1), "quantity": 3}],
            "addressId": gid(address),
        }
    }

    bodies = await race(*(api.raw(PLACE, variables, token) for _ in range(10)))

    assert all(not b.get("errors") and b["data"]["placeOrder"]["errors"] == [] for b in bodies), bodies
    answers = {
        (b["data"]["placeOrder"]["payment"]["id"], tuple(o["id"] for o in b["data"]["placeOrder"]["orders"]))
        for b in bodies
    }
    assert len(answers) == 1
    assert await Payment.filter(buyer_id=buyer.id).count() == 1
    assert await Order.filter(buyer_id=buyer.id).count() == 1
    assert (await Sku.get(id=s1.id)).stock == 7
    await assert_stock_journal_consistent(s1.id)
    assert await ledger.check_invariants() == []
