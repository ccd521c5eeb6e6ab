"""Flash-sale races on PostgreSQL + Redis (MKT-3): many attempts for few units -> exactly as
many orders as units, no buyer with two, and the losers answered by the Redis script without
a database statement (counted, tests/querycount.py); unpaid winners' units come back after the
payment time-out and are sold again; a Redis killed mid-session (a private redis-server,
stopped by its pid) and started again empty loses no unit and sells none twice: the database
decides while Redis is away and the counters are reloaded from it."""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections import Counter
from datetime import timedelta

import pytest

import settings
from models.marketing import FlashClaim, FlashItem
from models.orders import Payment
from services.core import clock
from services.core.errors import DomainError, ErrorCode
from services.ledger import ledger
from services.marketing import activities, flash
from services.orders import checkout, payments
from tests.api.test_flash_sales import _world
from tests.conftest import requires_postgres, requires_redis
from tests.helpers import pk_of
from tests.order_factories import make_buyer
from tests.querycount import count_queries
from tests.servers import private_redis

pytestmark = [requires_postgres, requires_redis]

UNITS = 20
BUYERS = 400
ATTEMPTS_EACH = 5  # 2,000 attempts


async def _buyers(n: int) -> list[tuple[int, int]]:
    made = []
    for start in range(0, n, 25):
        made += await asyncio.gather(*(make_buyer(f"b{i}") for i in range(start, min(n, start + 25))))
    return [(user.id, address.id) for user, address in made]


async def _attempt(buyer: tuple[int, int], item_id: int) -> str:
    request = checkout.CheckoutRequest(
        idempotency_key=uuid.uuid4().hex,
        address_id=buyer[1],
        activity=activities.Ticket(flash.KIND, item_id, 0, 1),
    )
    try:
        await checkout.place_order(buyer[0], request)
    except DomainError as exc:
        return exc.code.value
    return "WON"


async def _wave(buyers, item_id: int, each: int = 1) -> Counter:
    answers = await asyncio.gather(*(_attempt(b, item_id) for b in buyers for _ in range(each)))
    return Counter(answers)


async def _holders(item_id: int) -> Counter:
    return Counter(await FlashClaim.filter(item_id=item_id, status="HELD").values_list("user_id", flat=True))


async def test_thousands_of_attempts_sell_exactly_the_units_and_losers_cost_no_statement(api):
    *_, item, _ = await _world(api, stock=UNITS + 1, limit=1)
    item_id = pk_of(item["id"])
    buyers = await _buyers(BUYERS + 1)
    with count_queries() as one:  # a single winning checkout, for the bound below
        assert await _attempt(buyers.pop(), item_id) == "WON"
    started = time.monotonic()
    with count_queries() as race:
        answers = await _wave(buyers, item_id, ATTEMPTS_EACH)
    elapsed = time.monotonic() - started
    assert answers["WON"] == UNITS, answers
    assert set(answers) <= {"WON", "SOLD_OUT", "LIMIT_REACHED"}
    assert sum(answers.values()) == BUYERS * ATTEMPTS_EACH
    holders = await _holders(item_id)
    assert sum(holders.values()) == UNITS + 1 and max(holders.values()) == 1
    assert (await FlashItem.get(id=item_id)).sold == UNITS + 1
    # 1,980 losers: their statements would be at least that many; the winners' checkouts are all there is
    assert race.count <= UNITS * one.count, (race.count, one.count)
    with count_queries() as losers:  # sold out now: every attempt is a loser
        late = await _wave(buyers[:200], item_id)
    assert late.keys() <= {"SOLD_OUT", "LIMIT_REACHED"} and losers.count == 0, (late, losers.statements[:3])
    print(f"\n{BUYERS * ATTEMPTS_EACH} attempts in {elapsed:.1f} s; a winner's checkout {one.count} statements")

    # unpaid winners: their units go back after the payment time-out and are sold again
    assert await Payment.filter(status="UNPAID").count() == UNITS + 1
    clock.advance(timedelta(minutes=settings.ORDER_PAY_TIMEOUT_MINUTES + 1))
    assert await payments.cancel_expired() == UNITS + 1
    assert (await FlashItem.get(id=item_id)).sold == 0
    fresh = [b for b in buyers if b[0] not in holders]
    again = await _wave(fresh[:100], item_id, 2)
    assert again["WON"] == UNITS + 1, again
    holders = await _holders(item_id)
    assert sum(holders.values()) == UNITS + 1 and max(holders.values()) == 1
    await ledger.check_invariants()


async def test_a_redis_restart_mid_session_loses_no_unit_and_sells_none_twice(api, monkeypatch):
    async with private_redis() as redis_server:
        monkeypatch.setattr(settings, "REDIS_URL", redis_server.url)
        *_, item, _ = await _world(api, stock=30, limit=1)
        item_id = pk_of(item["id"])
        buyers = await _buyers(120)
        first = await _wave(buyers[:15], item_id, 2)
        assert first["WON"] == 15 and first["LIMIT_REACHED"] == 15, first

        async def kill_soon() -> None:  # SIGKILL by pid, mid-wave: nothing saved
            await asyncio.sleep(0.05)
            redis_server.process.kill()
            await asyncio.to_thread(redis_server.process.wait, 10)
            redis_server.process = None

        killer = asyncio.create_task(kill_soon())
        during = await _wave(buyers[15:60], item_id, 2)
        await killer
        with contextlib.suppress(Exception):
            assert await flash.gate().client.ping() is False
        after_kill = await _wave(buyers[60:80], item_id)
        await redis_server.start()  # empty: the counters are reloaded from the database
        after_restart = await _wave(buyers, item_id, 2)
        won = first["WON"] + during["WON"] + after_kill["WON"] + after_restart["WON"]
        assert won == 30, (first, during, after_kill, after_restart)
        holders = await _holders(item_id)
        assert sum(holders.values()) == 30 and max(holders.values()) == 1
        assert (await FlashItem.get(id=item_id)).sold == 30
        assert after_restart.keys() <= {"SOLD_OUT", "LIMIT_REACHED", "WON"}
        assert await flash.gate().left(item_id) == 0  # reloaded: Redis agrees with the database
        with count_queries() as losers:
            late = await _wave(buyers[80:], item_id)
        assert late.keys() <= {"SOLD_OUT", "LIMIT_REACHED"} and losers.count == 0
        assert ErrorCode.SOLD_OUT.value in late


@pytest.fixture(autouse=True)
def _fresh_gate():
    flash._gate = None
    yield
    flash._gate = None


async def test_through_graphql_a_loser_costs_no_statement_not_even_the_session_read(api):
    """buyFlash verifies the token and admits before it reads the session: a loser's whole
    request is the Redis script. A winner's session is then read: a signed-out session's
    token is refused (TOKEN_REVOKED) and the unit goes back."""
    from models.accounts import Session
    from tests.api.test_flash_sales import BUY
    from tests.helpers import gid, token_for

    *_, item, _ = await _world(api, stock=2, limit=1)
    item_id = pk_of(item["id"])
    buyers = [await make_buyer(f"g{i}") for i in range(4)]
    tokens = [await token_for(user) for user, _ in buyers]

    async def buy(i: int) -> dict:
        body = {"flashItemId": item["id"], "idempotencyKey": uuid.uuid4().hex, "addressId": gid(buyers[i][1])}
        return (await api(BUY, {"input": body}, tokens[i]))["buyFlash"]

    # buyer 0 signs out: its token still verifies, but its session is revoked
    await Session.filter(user_id=buyers[0][0].id).update(revoked_at=clock.now())
    body = {"flashItemId": item["id"], "idempotencyKey": "r1", "addressId": gid(buyers[0][1])}
    revoked = await api.raw(BUY, {"input": body}, tokens[0])
    assert revoked["errors"][0]["extensions"]["code"] == "TOKEN_REVOKED", revoked
    assert (await FlashItem.get(id=item_id)).sold == 0 and await FlashClaim.filter(item_id=item_id).count() == 0
    assert (await buy(1))["errors"] == [] and (await buy(2))["errors"] == []  # both units, the revoked one's too
    with count_queries() as losers:
        answers = [await buy(i) for i in (1, 2, 3, 3)]
    assert [a["errors"][0]["code"] for a in answers] == ["LIMIT_REACHED", "LIMIT_REACHED", "SOLD_OUT", "SOLD_OUT"]
    assert losers.count == 0, losers.statements[:3]
    # a request with another field besides buyFlash reads its session as usual
    both = """mutation($input: BuyFlashInput!) { buyFlash(input: $input) { errors { code } }
      again: buyFlash(input: $input) { errors { code } } }"""
    body = {"flashItemId": item["id"], "idempotencyKey": "x", "addressId": gid(buyers[3][1])}
    with count_queries() as two:
        await api(both, {"input": body}, tokens[3])
    assert two.count >= 1
