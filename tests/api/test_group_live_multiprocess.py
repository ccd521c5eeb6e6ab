"""A group-buy team's progress live across server processes (MKT-3): two uvicorn servers on one
PostgreSQL and one Redis (tests/servers.py); one subscribed to a team on server 1 sees every
seat taken and paid through server 2, up to the team formed. Runs only with
DATABASE_URL=postgres://... and REDIS_URL=redis://... set."""

from __future__ import annotations

import time
import uuid

import pytest_asyncio

from models.marketing import GroupMember
from services.marketing import group
from services.orders import payments
from tests.api.test_group_buying import _world
from tests.api.test_group_race import _checkout
from tests.conftest import requires_postgres, requires_redis
from tests.helpers import gid, pk_of, token_for
from tests.order_factories import make_buyer
from tests.servers import redis, running_servers, wait_numsub, ws_client  # noqa: F401 (redis: fixture)

pytestmark = [requires_postgres, requires_redis]

FEED = "subscription($t: ID!) { groupTeam(teamId: $t) { status seatsLeft paidSeats secondsLeft members { paid } } }"
BUY = """mutation($input: BuyGroupInput!) { buyGroup(input: $input) { payment { id } errors { code } } }"""
PAY = "mutation($id: ID!) { payWithWallet(paymentId: $id) { payment { status } errors { code } } }"


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def servers(database):
    async with running_servers("group") as servers:
        yield servers


async def test_one_subscribed_to_a_team_sees_each_change_across_processes(api, servers, redis):
    _, _, _, activity, _ = await _world(api, size=3)
    leader = await make_buyer("团长", wallet=100_000)
    placed = await _checkout(leader, pk_of(activity["id"]))
    await payments.pay_with_wallet(leader[0].id, placed.payment.id)
    team_id = (await GroupMember.get(payment_id=placed.payment.id)).team_id
    joiners = [await make_buyer(f"团员{i}", wallet=100_000) for i in range(2)]
    async with ws_client(servers.one, "graphql-transport-ws", None) as client:
        await client.subscribe(FEED, variables={"t": gid("GroupTeam", team_id)})
        _, first = await client.next_data("groupTeam", 5)
        assert (first["status"], first["seatsLeft"], first["paidSeats"]) == ("OPEN", 2, 1)
        await wait_numsub(redis, group.channel(team_id))  # server 1 listens: server 2's events reach it
        seen, latencies = [], []
        for user, address in joiners:
            token = await token_for(user)
            body = {"groupActivityId": activity["id"], "teamId": gid("GroupTeam", team_id)}
            body |= {"idempotencyKey": uuid.uuid4().hex, "addressId": gid(address)}
            started = time.perf_counter()
            bought = (await servers.graphql(servers.two, BUY, {"input": body}, token))["data"]["buyGroup"]
            assert bought["errors"] == [], bought
            at, update = await client.next_data("groupTeam", 5)
            latencies.append(round(at - started, 3))
            seen.append((update["status"], update["seatsLeft"], update["paidSeats"]))
            started = time.perf_counter()
            paid = (await servers.graphql(servers.two, PAY, {"id": bought["payment"]["id"]}, token))["data"]
            assert paid["payWithWallet"]["errors"] == []
            at, update = await client.next_data("groupTeam", 5)
            latencies.append(round(at - started, 3))
            seen.append((update["status"], update["seatsLeft"], update["paidSeats"]))
        assert seen == [("OPEN", 1, 1), ("OPEN", 1, 2), ("OPEN", 0, 2), ("FORMED", 0, 3)], seen
    print("change on server 2 -> update on server 1 (s):", latencies)
