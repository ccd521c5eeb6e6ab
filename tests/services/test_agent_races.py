"""Regional agent and franchise races on PostgreSQL (skipped on SQLite, whose writers are
serialised): two appointments of one region at once, two bindings of one user at once —
exactly one wins, the other gets the stable code, and one row exists."""

from __future__ import annotations

import asyncio

from models.agents import AgentAssignment, StoreMember
from services.accounts.access import Grants
from services.core.errors import DomainError, ErrorCode
from services.distribution import agents, franchise
from tests.conftest import requires_postgres
from tests.helpers import make_user
from tests.order_factories import make_shop, make_store

pytestmark = requires_postgres

MANAGER = Grants(platform={"agent.manage"})
ROUNDS = 8


async def _outcome(call):
    try:
        await call
        return "won"
    except DomainError as exc:
        return exc.code


async def test_two_appointments_of_one_region_at_once_exactly_one_wins():
    for i in range(ROUNDS):
        code = f"3301{i + 10:02d}"
        a, b = await make_user("甲"), await make_user("乙")
        results = await asyncio.gather(
            _outcome(agents.assign(MANAGER, 0, a.id, agents.COUNTY, code)),
            _outcome(agents.assign(MANAGER, 0, b.id, agents.COUNTY, code)),
        )
        assert sorted(results, key=str) == sorted(["won", ErrorCode.AGENT_REGION_TAKEN], key=str), results
        assert await AgentAssignment.filter(region_code=code, ended_at__isnull=True).count() == 1


async def test_two_bindings_of_one_user_at_once_exactly_one_wins():
    merchant, _, _ = await make_shop()
    first, second = await make_store(merchant), await make_store(merchant)
    for _ in range(ROUNDS):
        user = await make_user("会员")
        results = await asyncio.gather(
            _outcome(franchise.bind(user.id, first.invite_code)), _outcome(franchise.bind(user.id, second.invite_code))
        )
        assert sorted(results, key=str) == sorted(["won", ErrorCode.STORE_ALREADY_BOUND], key=str), results
        assert await StoreMember.filter(user_id=user.id).count() == 1


async def test_a_pickup_racing_a_refund_books_a_reward_that_reverses_exactly():
    """The pickup's state change waits for the refund's order lock (or the other way round),
    so the reward is booked on what is left of the line and later refunds reverse it exactly."""
    from models.distribution import Commission
    from models.orders import OrderLine
    from services.ledger import ledger
    from services.ledger.ledger import MERCHANT, Purpose
    from services.orders import after_sales, payments
    from services.orders import fulfilment as orders
    from tests.catalog_factories import owner_grants
    from tests.order_factories import make_buyer, place

    merchant, _, [sku] = await make_shop(price=1_000, stock=100)
    store = await make_store(merchant)
    await franchise.set_franchisee(Grants(platform={"franchise.manage"}), 0, store.id, (await make_user("加盟商")).id)
    grants = await owner_grants(merchant)
    for i in range(ROUNDS):
        buyer, _ = await make_buyer("买家", wallet=100_000)
        placed = await place(buyer, None, [(sku.id, 3)], pickup_stores={merchant.id: store.id})
        await payments.pay_with_wallet(buyer.id, placed.payment.id)
        order = placed.orders[0]
        line = await OrderLine.get(order_id=order.id)
        request = await after_sales.request_after_sale(buyer.id, line.id, "REFUND_ONLY", 1, "不想要了")
        calls = [
            after_sales.approve(grants, 0, request.id),
            orders.verify_pickup(grants, 0, store.id, order.pickup_code),
        ]
        await asyncio.gather(*(calls if i % 2 else calls[::-1]))  # each starts first in half the rounds
        reward = await Commission.get(order_id=order.id, kind="STORE_PICKUP")
        assert (reward.amount, reward.booked_refunded_quantity) in ((200, 0), (200, 1))  # 2.00 spread over the one line
        for _ in range(2):  # refund the rest: every reward booked is reversed to the fen
            rest = await after_sales.request_after_sale(buyer.id, line.id, "REFUND_ONLY", 1, "不想要了")
            await after_sales.approve(grants, 0, rest.id)
        reward = await Commission.get(id=reward.id)
        assert (reward.status, reward.reversed_amount) == ("REVERSED", reward.amount)
    assert await ledger.check_invariants() == []
    assert (await ledger.get_account(MERCHANT, merchant.id, Purpose.MERCHANT_PENDING)).balance == 0
