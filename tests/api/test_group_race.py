"""Group-buying races on PostgreSQL (MKT-3): 50 buyers race for the last 3 seats of each of 10
teams -> every team has exactly N seats, never N+1, and after the winners pay every team is
formed with exactly N paid members; an unfilled team closed by two workers at once is failed once
and refunds each paid member exactly once (wallets and stock back, ledger invariants hold)."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from datetime import timedelta

from jobs import marketing as marketing_jobs
from models.catalog import Sku
from models.marketing import GroupMember, GroupTeam
from models.orders import Refund
from services.core import clock
from services.core.errors import DomainError
from services.ledger import ledger
from services.ledger.ledger import Purpose
from services.marketing import activities, group
from services.orders import checkout, payments
from tests.api.test_group_buying import _world
from tests.conftest import requires_postgres
from tests.helpers import pk_of
from tests.order_factories import make_buyer

pytestmark = [requires_postgres]

SIZE = 5
TEAMS = 10
RACERS = 50


async def _buyers(n: int, prefix: str):
    made = []
    for start in range(0, n, 25):
        made += await asyncio.gather(
            *(make_buyer(f"{prefix}{i}", wallet=100_000) for i in range(start, min(n, start + 25)))
        )
    return made


async def _checkout(buyer, activity_id: int, team_id: int = 0):
    request = checkout.CheckoutRequest(
        idempotency_key=uuid.uuid4().hex,
        address_id=buyer[1].id,
        activity=activities.Ticket(group.KIND, activity_id, 0, 1, target_id=team_id),
    )
    return await checkout.place_order(buyer[0].id, request)


async def _attempt(buyer, activity_id: int, team_id: int) -> str | int:
    try:
        placed = await _checkout(buyer, activity_id, team_id)
    except DomainError as exc:
        return exc.code.value
    return placed.payment.id


async def _wallet(user) -> int:
    return (await ledger.user_account(user.id, Purpose.WALLET)).balance


async def test_fifty_buyers_race_for_the_last_seats_of_ten_teams(api):
    _, _, row, activity, _ = await _world(api, size=SIZE, stock=500)
    activity_id = pk_of(activity["id"])
    leaders = await _buyers(TEAMS, "leader")
    seconds = await _buyers(TEAMS, "second")
    teams = []
    for leader, second in zip(leaders, seconds):  # each team: 2 paid seats, 3 left
        placed = await _checkout(leader, activity_id)
        await payments.pay_with_wallet(leader[0].id, placed.payment.id)
        team_id = (await GroupMember.get(payment_id=placed.payment.id)).team_id
        placed = await _checkout(second, activity_id, team_id)
        await payments.pay_with_wallet(second[0].id, placed.payment.id)
        teams.append(team_id)
    racers = await _buyers(RACERS, "racer")
    answers = await asyncio.gather(*(_attempt(b, activity_id, teams[i % TEAMS]) for i, b in enumerate(racers)))
    won = [a for a in answers if isinstance(a, int)]
    assert len(won) == TEAMS * 3, Counter(a if isinstance(a, str) else "WON" for a in answers)
    assert {a for a in answers if isinstance(a, str)} == {"GROUP_TEAM_FULL"}
    for team in await GroupTeam.filter(id__in=teams):
        assert team.taken == SIZE and team.paid == 2
        assert await GroupMember.filter(team_id=team.id, status__in=group.SEATED).count() == SIZE

    # the winners pay at once: every team formed, exactly N paid members
    by_payment = {p: b for p, b in zip(answers, racers) if isinstance(p, int)}
    await asyncio.gather(*(payments.pay_with_wallet(by_payment[p][0].id, p) for p in won))
    for team in await GroupTeam.filter(id__in=teams):
        assert (team.status, team.taken, team.paid) == ("FORMED", SIZE, SIZE)
        assert await GroupMember.filter(team_id=team.id, status="PAID").count() == SIZE
    assert (await Sku.get(id=row.id)).stock == 500 - TEAMS * SIZE
    await ledger.check_invariants()


async def test_a_failed_team_closed_by_two_workers_refunds_each_member_once(api):
    _, _, row, activity, _ = await _world(api, size=SIZE, minutes=10, stock=50)
    activity_id = pk_of(activity["id"])
    members = await _buyers(3, "m")
    placed = await _checkout(members[0], activity_id)
    await payments.pay_with_wallet(members[0][0].id, placed.payment.id)
    team_id = (await GroupMember.get(payment_id=placed.payment.id)).team_id
    joins = await asyncio.gather(*(_checkout(m, activity_id, team_id) for m in members[1:]))
    await asyncio.gather(*(payments.pay_with_wallet(m[0].id, p.payment.id) for m, p in zip(members[1:], joins)))
    assert (await GroupTeam.get(id=team_id)).paid == 3
    assert (await Sku.get(id=row.id)).stock == 47
    clock.advance(timedelta(minutes=11))
    outcomes = await asyncio.gather(marketing_jobs.close_group_teams(), marketing_jobs.close_group_teams())
    assert sorted(outcomes) == ["closed group teams: 0 formed, 0 failed", "closed group teams: 0 formed, 1 failed"]
    assert (await GroupTeam.get(id=team_id)).status == "FAILED"
    assert await Refund.all().count() == 3
    for user, _ in members:
        assert await _wallet(user) == 100_000
    assert await GroupMember.filter(team_id=team_id, status="REFUNDED").count() == 3
    assert (await Sku.get(id=row.id)).stock == 50
    await ledger.check_invariants()
