"""Coins and points granted per product (CAT-3, MKT-4, FIN-2): credited when the order
completes, for the units kept; a refund after completion takes the units' grant back; points
unspent N months after they were credited expire, oldest first."""

from __future__ import annotations

from datetime import timedelta

import settings
from jobs import marketing as marketing_jobs
from services.core import clock
from services.ledger import ledger
from services.ledger.ledger import Purpose
from services.marketing import coins, rewards
from services.orders import fulfilment as orders
from services.orders import payments
from tests.api.test_after_sales import APPROVE, REQUEST, SUPPORT
from tests.helpers import gid, token_for
from tests.order_factories import make_buyer, make_shop, place

STATEMENT = "{ myStatement(first: 50) { nodes { kind account amount { amount } } } }"


async def held(user) -> tuple[int, int]:
    return (
        (await ledger.user_account(user.id, Purpose.COINS, coins.COIN)).balance,
        (await ledger.user_account(user.id, Purpose.POINTS, rewards.POINT)).balance,
    )


async def test_completion_grants_the_kept_units_and_a_later_refund_takes_them_back(api):
    buyer, address = await make_buyer(wallet=100_000)
    merchant, _, (row,) = await make_shop(price=1_000, stock=10, coins_granted=100, points_granted=10)
    placed = await place(buyer, address, [(row.id, 3)])
    await payments.pay_with_wallet(buyer.id, placed.payment.id)
    token, owner = await token_for(buyer), await token_for(await merchant.owner)
    line = gid("OrderLine", (await placed.orders[0].lines.all())[0].id)

    async def refund_one() -> None:
        asked = await api(REQUEST, {"line": line, "kind": "REFUND_ONLY", "q": 1, "reason": "不要了"}, token)
        assert asked["requestAfterSale"]["errors"] == []
        approved = await api(APPROVE, {"id": asked["requestAfterSale"]["afterSale"]["id"]}, owner)
        assert approved["approveAfterSale"]["errors"] == []

    await refund_one()  # before completion: that unit never earns
    assert await held(buyer) == (0, 0)
    shipped = await orders.ship(SUPPORT, 1, placed.orders[0].id, "顺丰", "SF1234567")
    await orders.complete(shipped, actor_id=None, reason="test")
    assert await held(buyer) == (200, 20)  # two units kept
    await refund_one()  # after completion: one unit's grant back
    assert await held(buyer) == (100, 10)
    lines = (await api(STATEMENT, {}, token))["myStatement"]["nodes"]
    assert [(n["kind"], n["account"], n["amount"]["amount"]) for n in lines if n["account"] in ("COINS", "POINTS")] == [
        ("POINTS_TAKEN_BACK", "POINTS", "-0.10"),
        ("COINS_TAKEN_BACK", "COINS", "-1.00"),
        ("POINTS_EARNED", "POINTS", "0.20"),
        ("COINS_EARNED", "COINS", "2.00"),
    ]
    assert await ledger.check_invariants() == []


async def test_points_unspent_for_n_months_expire_oldest_first_once(api, monkeypatch):
    monkeypatch.setattr(settings, "POINTS_EXPIRE_MONTHS", 3)
    buyer, _ = await make_buyer(wallet=0)

    async def move(kind: str, amount: int, key: str, purpose=Purpose.POINTS, currency=rewards.POINT) -> None:
        await coins.from_budget(kind, buyer.id, amount, key, ("TEST", key), purpose=purpose, currency=currency)

    await move("POINTS_EARNED", 500, "a")
    await move("COINS_EARNED", 700, "c", Purpose.COINS, coins.COIN)  # coins never expire here
    clock.advance(timedelta(days=61))
    await move("POINTS_EARNED", 300, "b")
    await move("POINTS_TAKEN_BACK", -200, "d")  # used up the oldest first
    clock.advance(timedelta(days=45))  # the 500 are over 3 months old, the 300 are not
    assert await marketing_jobs.expire_coins_and_points() == "POINTS_EXPIRED: 300"
    assert await marketing_jobs.expire_coins_and_points() == "POINTS_EXPIRED: 0"  # once
    assert await held(buyer) == (700, 300)
    clock.advance(timedelta(days=62))
    assert await marketing_jobs.expire_coins_and_points() == "POINTS_EXPIRED: 300"
    assert await held(buyer) == (700, 0)
    lines = (await api(STATEMENT, {}, await token_for(buyer)))["myStatement"]["nodes"]
    assert [(n["kind"], n["amount"]["amount"]) for n in lines if n["account"] == "POINTS"][:2] == [
        ("POINTS_EXPIRED", "-3.00"),
        ("POINTS_EXPIRED", "-3.00"),
    ]
    assert await ledger.check_invariants() == []
