"""The consignment queue across server processes (CON-3, CON-9): two uvicorn servers on one
PostgreSQL and one Redis (tests/servers.py).

- 200 retail buyers place and pay over HTTP at the same moment, spread over both servers,
  against 50 units consigned by 50 sellers: exactly the 50 queued units are sold, each to
  one buyer, strictly first in first out in the order the payments committed; the other
  150 are platform stock. Then with referrer priority on (servers started with
  CONSIGNMENT_REFERRER_PRIORITY=true): a bound buyer takes its upline's queued unit first,
  everything else stays FIFO.
- A seller subscribed to server 1 sees its queue position go 3 -> 2 -> 1 -> sold as retail
  units are bought through server 2.

Commit order is read back from the ledger: a retail payment credits the merchant's
MERCHANT_PENDING account (a row lock held until commit) before it takes the product's
queue lock, so payments of one merchant commit one at a time and the ids of their
MERCHANT_PENDING entries follow that order. The expected matching is replayed from it.
Setup uses the services in this process (sellers get their wholesale voucher as a row,
as a retail purchase would grant it; they buy and consign concurrently); only the race
goes over HTTP. Runs only with DATABASE_URL=postgres://... and REDIS_URL=redis://... set.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from datetime import timedelta

import httpx
import pytest
import pytest_asyncio

import settings
from models.accounts import User
from models.catalog import Sku
from models.consignment import Voucher, WholesaleUnit
from models.ledger import JournalEntry, JournalTransaction
from models.orders import Order, Payment
from services.accounts import referral
from services.consignment import queue as consignment
from services.consignment import unit_states
from services.consignment.matching import BP
from services.core import clock
from services.ledger import ledger
from services.ledger.ledger import MERCHANT, Purpose
from services.orders import payments
from tests.conftest import requires_postgres, requires_redis
from tests.helpers import gid, pk_of, token_for
from tests.order_factories import make_buyer, make_consignment_pair, place
from tests.servers import Servers, redis, running_servers, wait_numsub, ws_client  # noqa: F401 (redis: fixture)
from tests.services.test_order_races import RACE_TIMEOUT, race, wide_pool  # noqa: F401 (wide_pool: fixture)

pytestmark = [requires_postgres, requires_redis, pytest.mark.usefixtures("wide_pool")]

PLACE = """mutation($input: PlaceOrderInput!) { placeOrder(input: $input) {
  payment { id } orders { id } errors { code field } } }"""
PAY = "mutation($id: ID!) { payWithWallet(paymentId: $id) { payment { status } errors { code } } }"
POSITIONS = (
    "subscription($p: ID!) { myQueuePositions(productId: $p) { positions { position unit { id } } soldUnitIds } }"
)

RETAIL_PRICE, WHOLESALE_PRICE = 1000, 300
FEE = RETAIL_PRICE * settings.CONSIGNMENT_FEE_BP // BP
SELLERS, BUYERS = 50, 200
# No keep-alive: uvicorn closes a connection idle for 5 s, and a request sent on it just then fails (ReadError).
LIMITS = httpx.Limits(max_connections=2 * BUYERS, max_keepalive_connections=0)


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def fifo_servers(database):
    async with running_servers(
        "fifo", extra_env={"CONSIGNMENT_REFERRER_PRIORITY": "false"}, http_limits=LIMITS
    ) as servers:
        yield servers


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def priority_servers(database):
    async with running_servers(
        "priority", extra_env={"CONSIGNMENT_REFERRER_PRIORITY": "true"}, http_limits=LIMITS
    ) as servers:
        yield servers


@contextlib.contextmanager
def logs_on_failure(servers: Servers):
    try:
        yield
    except BaseException:
        print(servers.logs())  # shown by pytest with the failure
        raise


# --- setup and the race ------------------------------------------------------------------


async def _queue(wholesale, sellers: int) -> list[WholesaleUnit]:
    """`sellers` sellers, each holding one wholesale voucher (as a retail purchase grants),
    buy one wholesale unit each and consign it at payment, all at once: the queue keys
    follow the order the payments committed. Returns the queue, head first."""
    people = await asyncio.gather(*(make_buyer(f"卖家{i}", wallet=WHOLESALE_PRICE) for i in range(sellers)))
    expires = clock.now() + timedelta(days=settings.VOUCHER_TTL_DAYS)
    await Voucher.bulk_create(
        [Voucher(owner_id=seller.id, scope_product_id=wholesale.product_id, expires_at=expires) for seller, _ in people]
    )

    async def consign(seller, address):
        placed = await place(seller, address, [(wholesale.id, 1)], consign_wholesale=True)
        await payments.pay_with_wallet(seller.id, placed.payment.id)

    await asyncio.gather(*(consign(*person) for person in people))
    queued = await WholesaleUnit.filter(product_id=wholesale.product_id, status=unit_states.QUEUED).order_by(
        "queue_key"
    )
    assert [u.queue_key for u in queued] == list(range(1, sellers + 1))
    assert len({u.owner_id for u in queued}) == sellers
    assert [u.consigned_at for u in queued] == sorted(u.consigned_at for u in queued)  # keys follow consignment time
    return queued


async def _buyer(n: int, upline=None) -> tuple[int, int, str]:
    """(user id, address id, token) of a buyer with the money for one retail unit."""
    user, address = await make_buyer(f"买家{n}", wallet=RETAIL_PRICE)
    if upline is not None:
        user = await referral.bind_upline(user, upline.invite_code, source="SIGNUP")
    return user.id, address.id, await token_for(user)


async def _buy(servers: Servers, place_on, pay_on, buyer, sku_id: int) -> int:
    """Place one retail unit on one server, pay it on the other; the order's id."""
    _, address_id, token = buyer
    data = {
        "idempotencyKey": uuid.uuid4().hex,
        "items": [{"skuId": gid("Sku", sku_id), "quantity": 1}],
        "addressId": gid("Address", address_id),
    }
    body = await servers.graphql(place_on, PLACE, {"input": data}, token, timeout=RACE_TIMEOUT)
    assert not body.get("errors") and body["data"]["placeOrder"]["errors"] == [], body
    placed = body["data"]["placeOrder"]
    body = await servers.graphql(pay_on, PAY, {"id": placed["payment"]["id"]}, token, timeout=RACE_TIMEOUT)
    assert not body.get("errors") and body["data"]["payWithWallet"] == {"payment": {"status": "PAID"}, "errors": []}, (
        body
    )
    [order] = placed["orders"]
    return pk_of(order["id"])


async def _everyone_buys(servers: Servers, buyers, sku_id: int) -> list[int]:
    """All buyers at once, alternating servers (placed on one, paid on the other)."""
    started = time.perf_counter()
    servers_for = [(servers.one, servers.two), (servers.two, servers.one)]
    order_ids = await race(*(_buy(servers, *servers_for[i % 2], buyer, sku_id) for i, buyer in enumerate(buyers)))
    print(f"{len(buyers)} buyers placed and paid over HTTP in {time.perf_counter() - started:.2f} s")
    assert len(set(order_ids)) == len(buyers)
    return order_ids


async def _commit_order(merchant_id: int, order_ids: list[int]) -> list[int]:
    """The retail orders' buyers in the order their payments committed (see the module notes)."""
    orders = {o.payment_id: o for o in await Order.filter(id__in=order_ids)}
    assert len(orders) == len(order_ids)  # one order per payment
    txs = dict(
        await JournalTransaction.filter(
            kind="ORDER_PAYMENT", reference_type="PAYMENT", reference_id__in=[str(p) for p in orders]
        ).values_list("id", "reference_id")
    )
    pending = await ledger.get_account(MERCHANT, merchant_id, Purpose.MERCHANT_PENDING)
    entries = (
        await JournalEntry.filter(transaction_id__in=list(txs), account_id=pending.id)
        .order_by("id")
        .values_list("transaction_id", flat=True)
    )
    assert len(entries) == len(order_ids)
    return [orders[int(txs[tx])].buyer_id for tx in entries]


def _replay(commit_order: list[int], queued: list[WholesaleUnit], upline_of: dict[int, int]) -> dict[int, int]:
    """The matching the rules give for buyers paying in this order: buyer id -> unit id.
    A buyer whose upline has a unit queued takes the upline's first; otherwise the head."""
    queue = list(queued)  # by queue key
    expected = {}
    for buyer_id in commit_order:
        upline = upline_of.get(buyer_id)
        unit = next((u for u in queue if u.owner_id == upline), None) if upline is not None else None
        if unit is None and queue:
            unit = queue[0]
        if unit is not None:
            queue.remove(unit)
            expected[buyer_id] = unit.id
    return expected


async def _assert_sold_once_each(
    queued: list[WholesaleUnit],
    retail_sku_id: int,
    stock_before: int,
    pending_before: int,
    merchant_id: int,
    buyers: list[int],
) -> dict[int, int]:
    """Every queued unit sold exactly once to one of the buyers; money and stock follow.
    Returns buyer id -> unit id."""
    units = await WholesaleUnit.filter(id__in=[u.id for u in queued]).order_by("queue_key")
    assert {u.status for u in units} == {unit_states.MATCHED}
    assert await WholesaleUnit.filter(status=unit_states.QUEUED).count() == 0
    assert len({u.matched_order_id for u in units}) == len({u.matched_line_id for u in units}) == len(units)
    assert {u.buyer_id for u in units} <= set(buyers)
    sold = {u.buyer_id: u.id for u in units}
    assert len(sold) == len(units)  # never two units to one buyer of one unit, nor two buyers on one unit
    for unit in units:
        assert (unit.sale_price, unit.fee) == (RETAIL_PRICE, FEE)
        assert (await ledger.user_account(unit.owner_id, Purpose.CONSIGNMENT_PENDING)).balance == RETAIL_PRICE - FEE
    assert (await ledger.platform_account(Purpose.FEE_REVENUE)).balance == len(units) * FEE
    assert await JournalTransaction.filter(kind="CONSIGNMENT_SALE").count() == len(units)
    # The rest came from platform stock: the merchant keeps those sales.
    pending = (await ledger.get_account(MERCHANT, merchant_id, Purpose.MERCHANT_PENDING)).balance
    assert pending - pending_before == (len(buyers) - len(units)) * RETAIL_PRICE
    assert (await Sku.get(id=retail_sku_id)).stock == stock_before - len(buyers)
    assert await Payment.filter(buyer_id__in=buyers, status="PAID").count() == len(buyers)
    for buyer_id in buyers[:: max(1, len(buyers) // 20)]:
        assert (await ledger.user_account(buyer_id, Purpose.WALLET)).balance == 0
    assert await ledger.check_invariants() == []
    return sold


async def _owners(units: list[WholesaleUnit]) -> list[User]:
    users = {u.id: u for u in await User.filter(id__in=[unit.owner_id for unit in units])}
    return [users[unit.owner_id] for unit in units]


# --- tests ---------------------------------------------------------------------------


async def test_200_buyers_on_two_servers_take_the_50_queued_units_first_in_first_out(fifo_servers):
    with logs_on_failure(fifo_servers):
        merchant, retail, wholesale = await make_consignment_pair(RETAIL_PRICE, WHOLESALE_PRICE, vouchers=1, stock=1000)
        queued = await _queue(wholesale, SELLERS)
        buyers = await asyncio.gather(*(_buyer(n) for n in range(BUYERS)))
        stock_before = (await Sku.get(id=retail.id)).stock
        pending_before = (await ledger.get_account(MERCHANT, merchant.id, Purpose.MERCHANT_PENDING)).balance

        await _everyone_buys(fifo_servers, buyers, retail.id)

        buyer_ids = [b[0] for b in buyers]
        sold = await _assert_sold_once_each(queued, retail.id, stock_before, pending_before, merchant.id, buyer_ids)
        committed = await _commit_order(merchant.id, [o.id for o in await Order.filter(buyer_id__in=buyer_ids)])
        # Strictly FIFO: the first 50 payments to commit took keys 1..50 in that order; no
        # unit was skipped while an earlier one was queued; later buyers got platform stock.
        key_of = {u.id: u.queue_key for u in queued}
        assert [key_of[sold[b]] for b in committed[:SELLERS]] == list(range(1, SELLERS + 1))
        matched_at = [u.matched_at for u in await WholesaleUnit.filter(id__in=list(key_of)).order_by("queue_key")]
        assert matched_at == sorted(matched_at)  # and by match time (two processes, one clock)
        assert not set(committed[SELLERS:]) & set(sold)
        assert sold == _replay(committed, queued, {})


async def test_referrer_priority_across_servers_takes_the_uplines_unit_first(priority_servers):
    """Ten sellers (late in the queue) each have two invited buyers, and three buyers are
    invited by someone with nothing queued; the other 177 buyers are nobody's downline."""
    with logs_on_failure(priority_servers):
        merchant, retail, wholesale = await make_consignment_pair(RETAIL_PRICE, WHOLESALE_PRICE, vouchers=1, stock=1000)
        queued = await _queue(wholesale, SELLERS)
        uplines = await _owners(queued[-10:])  # keys 41..50: far from the head
        outsider = (await make_buyer("没挂售的推荐人"))[0]
        invited = [(upline, n) for n, upline in enumerate(uplines * 2)] + [(outsider, 20 + n) for n in range(3)]
        bound = await asyncio.gather(*(_buyer(n, upline) for upline, n in invited))
        others = await asyncio.gather(*(_buyer(n) for n in range(len(bound), BUYERS)))
        buyers = (
            bound + others
        )  # the invited ones are sent first, so some pay before their upline's unit reaches the head
        stock_before = (await Sku.get(id=retail.id)).stock
        pending_before = (await ledger.get_account(MERCHANT, merchant.id, Purpose.MERCHANT_PENDING)).balance

        await _everyone_buys(priority_servers, buyers, retail.id)

        buyer_ids = [b[0] for b in buyers]
        sold = await _assert_sold_once_each(queued, retail.id, stock_before, pending_before, merchant.id, buyer_ids)
        committed = await _commit_order(merchant.id, [o.id for o in await Order.filter(buyer_id__in=buyer_ids)])
        upline_of = {b[0]: upline.id for b, (upline, _) in zip(bound, invited, strict=True)}
        assert sold == _replay(committed, queued, upline_of)
        owner_of = {u.id: u.owner_id for u in queued}
        by_priority = [b for b, unit in sold.items() if upline_of.get(b) == owner_of[unit]]
        print(f"{len(by_priority)} units sold to their seller's downline first")
        assert by_priority  # the setting did something (the invited paid before their uplines' turn)


async def test_position_over_websocket_on_server_1_moves_as_units_sell_through_server_2(fifo_servers, redis):
    with logs_on_failure(fifo_servers):
        _, retail, wholesale = await make_consignment_pair(RETAIL_PRICE, WHOLESALE_PRICE, vouchers=1)
        queued = await _queue(wholesale, 3)
        mine = queued[-1]
        me = (await _owners([mine]))[0]
        buyers = [await _buyer(n) for n in range(3)]
        channel = consignment.queue_channel(wholesale.product_id)
        async with ws_client(fifo_servers.one, "graphql-transport-ws", await token_for(me)) as client:
            await client.subscribe(POSITIONS, variables={"p": gid("Product", wholesale.product_id)})
            _, first = await client.next_data("myQueuePositions", 5)
            assert first == {"positions": [{"position": 3, "unit": {"id": gid(mine)}}], "soldUnitIds": []}
            await wait_numsub(redis, channel)  # server 1 listens on Redis: what server 2 publishes reaches it

            seen, latencies = [], []
            for buyer in buyers:
                started = time.perf_counter()
                await _buy(fifo_servers, fifo_servers.two, fifo_servers.two, buyer, retail.id)
                at, update = await client.next_data("myQueuePositions", 5)
                latencies.append(round(at - started, 3))
                seen.append([p["position"] for p in update["positions"]] or update["soldUnitIds"])
            assert seen == [[2], [1], [gid(mine)]]
            await client.expect_silence(0.2)
        print("place + pay on server 2 -> update on server 1 (s):", latencies)
        assert (await WholesaleUnit.get(id=mine.id)).buyer_id == buyers[2][0]
