"""Regional agent and franchise races on PostgreSQL (skipped on SQLite, whose writers are
serialised): two appointments of one region at once, two bindings of one user at once —
exactly one wins, the other gets the stable code, and one row exists."""

from __future__ import annotations

import asyncio

from models.agents import AgentAssignment, StoreMember
from services import agents, franchise
from services.access import Grants
from services.errors import DomainError, ErrorCode
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
