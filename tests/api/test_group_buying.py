"""Group buying over GraphQL (MKT-3, 拼团): a merchant's activity; a buyer opens a team by paying,
others join through its id by paying; the team is formed at its N-th paid seat and only then
are its orders shipped; a team whose time runs out unfilled is failed by the worker job and
every paid member refunded exactly once (money, stock back, ledger invariants), its unpaid seats
cancelled; bad input answers stable codes with stock, seats and money unchanged."""

from __future__ import annotations

import uuid
from datetime import timedelta

import settings
from jobs import marketing as marketing_jobs
from models.catalog import Sku
from models.marketing import GroupMember, GroupTeam
from models.orders import Order, OrderLine, Payment, Refund
from services.core import clock
from services.ledger import ledger
from services.ledger.ledger import Purpose
from tests.helpers import gid, make_user, pk_of, token_for
from tests.order_factories import make_buyer, make_shop

CREATE = """mutation($input: GroupActivityInput!) { createGroupActivity(input: $input) {
  activity { id name teamSize groupPrice { amount } perUserLimit ended } errors { code field } } }"""
UPDATE = """mutation($id: ID!, $input: GroupActivityUpdateInput!) { updateGroupActivity(id: $id, input: $input) {
  activity { name perUserLimit } errors { code field } } }"""
END = "mutation($id: ID!) { endGroupActivity(id: $id) { activity { ended } errors { code } } }"
BUY = """mutation($input: BuyGroupInput!) { buyGroup(input: $input) { payment { id amount { amount } }
  orders { id lines { unitPrice { amount } quantity } } errors { code field } } }"""
PAY = "mutation($id: ID!) { payWithWallet(paymentId: $id) { payment { status } errors { code } } }"
SHIP = 'mutation($id: ID!) { shipOrder(orderId: $id, carrier: "顺丰", trackingNo: "SF1234567") { order { status } errors { code } } }'
TEAM = """query($id: ID!) { groupTeam(id: $id) { id status size seatsLeft paidSeats endsAt secondsLeft serverTime
  members { name leader paid } activity { id } } }"""
SUGGEST = "query($p: ID!) { groupTeamsToJoin(productId: $p) { id seatsLeft } }"
ACTIVITIES = "query($p: ID!) { groupActivities(productId: $p) { id name } }"
MANAGED = "query { managedGroupActivities { id } }"
STATS = """query($id: ID!) { groupActivityStats(id: $id) { teamsOpened teamsFormed teamsFailed teamsOpen paidUnits
  gmv { amount } discountCost { amount } } }"""


async def _world(api, *, size: int = 3, limit: int = 1, minutes: int = 60, stock: int = 20):
    merchant, product, (row,) = await make_shop(price=10_000, stock=stock)
    owner = await token_for(await merchant.owner)
    now = clock.now()
    body = {
        "skuId": gid("Sku", row.id),
        "name": "三人团",
        "groupPrice": "60.00",
        "teamSize": size,
        "timeLimitMinutes": minutes,
        "startsAt": (now - timedelta(minutes=5)).isoformat(),
        "endsAt": (now + timedelta(days=3)).isoformat(),
        "perUserLimit": limit,
    }
    made = (await api(CREATE, {"input": body}, owner))["createGroupActivity"]
    assert made["errors"] == [], made
    return owner, product, row, made["activity"], body


async def _buy(api, user, address, activity_id: str, team_id: str | None = None, quantity: int = 1) -> dict:
    body = {"groupActivityId": activity_id, "idempotencyKey": uuid.uuid4().hex, "addressId": gid(address)}
    body |= {"quantity": quantity} | ({"teamId": team_id} if team_id else {})
    return (await api(BUY, {"input": body}, await token_for(user)))["buyGroup"]


async def _pay(api, user, bought: dict) -> list:
    return (await api(PAY, {"id": bought["payment"]["id"]}, await token_for(user)))["payWithWallet"]["errors"]


async def _team_of(bought: dict) -> str:
    member = await GroupMember.get(payment_id=pk_of(bought["payment"]["id"]))
    return gid("GroupTeam", member.team_id)


async def _wallet(user) -> int:
    return (await ledger.user_account(user.id, Purpose.WALLET)).balance


async def test_a_team_forms_at_its_last_paid_seat_and_only_then_ships(api):
    owner, product, row, activity, _ = await _world(api, size=3)
    assert activity["teamSize"] == 3 and activity["groupPrice"] == {"amount": "60.00"}
    listed = (await api(ACTIVITIES, {"p": gid(product)}))["groupActivities"]
    assert [a["id"] for a in listed] == [activity["id"]]
    buyers = [await make_buyer(f"买家{i}", wallet=100_000) for i in range(3)]

    opened = await _buy(api, *buyers[0], activity["id"])
    assert opened["errors"] == [] and opened["payment"]["amount"] == {"amount": "60.00"}
    line = await OrderLine.get(order_id=pk_of(opened["orders"][0]["id"]))
    assert (line.activity_kind, line.activity_id) == ("GROUP", pk_of(activity["id"]))
    assert (await Sku.get(id=row.id)).stock == 19  # the SKU's own stock
    team_id = await _team_of(opened)
    team = (await api(TEAM, {"id": team_id}))["groupTeam"]
    assert team["status"] == "PENDING" and team["endsAt"] is None
    early = await _buy(api, *buyers[1], activity["id"], team_id)  # the leader has not paid: not open yet
    assert [e["code"] for e in early["errors"]] == ["GROUP_TEAM_CLOSED"]

    assert await _pay(api, buyers[0][0], opened) == []
    team = (await api(TEAM, {"id": team_id}))["groupTeam"]
    assert team["status"] == "OPEN" and team["seatsLeft"] == 2 and team["paidSeats"] == 1
    assert 0 < team["secondsLeft"] <= 3600 and team["serverTime"]
    assert team["members"] == [{"name": "买**", "leader": True, "paid": True}]
    first_order = opened["orders"][0]["id"]
    held = (await api(SHIP, {"id": first_order}, owner))["shipOrder"]
    assert held["errors"] == [{"code": "GROUP_NOT_FORMED"}]
    assert (await Order.get(id=pk_of(first_order))).status == "PAID"

    suggested = (await api(SUGGEST, {"p": gid(product)}))["groupTeamsToJoin"]
    assert suggested == [{"id": team_id, "seatsLeft": 2}]

    joined = await _buy(api, *buyers[1], activity["id"], team_id)
    assert joined["errors"] == [] and await _pay(api, buyers[1][0], joined) == []
    last = await _buy(api, *buyers[2], activity["id"], team_id)
    assert last["errors"] == []
    team = (await api(TEAM, {"id": team_id}))["groupTeam"]
    assert team["seatsLeft"] == 0 and team["status"] == "OPEN" and len(team["members"]) == 3
    assert await _pay(api, buyers[2][0], last) == []
    team = (await api(TEAM, {"id": team_id}))["groupTeam"]
    assert team["status"] == "FORMED" and team["paidSeats"] == 3
    for bought in (opened, joined, last):
        shipped = (await api(SHIP, {"id": bought["orders"][0]["id"]}, owner))["shipOrder"]
        assert shipped == {"order": {"status": "SHIPPED"}, "errors": []}
    assert (await api(SUGGEST, {"p": gid(product)}))["groupTeamsToJoin"] == []

    stats = (await api(STATS, {"id": activity["id"]}, owner))["groupActivityStats"]
    assert stats == {
        "teamsOpened": 1,
        "teamsFormed": 1,
        "teamsFailed": 0,
        "teamsOpen": 0,
        "paidUnits": 3,
        "gmv": {"amount": "180.00"},
        "discountCost": {"amount": "120.00"},
    }
    assert [a["id"] for a in (await api(MANAGED, {}, owner))["managedGroupActivities"]] == [activity["id"]]
    stranger = await api.raw(STATS, {"id": activity["id"]}, token=await token_for(buyers[0][0]))
    assert stranger["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    await ledger.check_invariants()


async def test_joining_a_full_team_is_refused_or_opens_a_new_team(api, monkeypatch):
    _, product, row, activity, _ = await _world(api, size=2)
    a, b, c, d = [await make_buyer(n, wallet=100_000) for n in ("a", "b", "c", "d")]
    opened = await _buy(api, *a, activity["id"])
    assert await _pay(api, a[0], opened) == []
    team_id = await _team_of(opened)
    assert (await _buy(api, *b, activity["id"], team_id))["errors"] == []  # unpaid: the seat is held
    stock, payments = (await Sku.get(id=row.id)).stock, await Payment.all().count()
    full = await _buy(api, *c, activity["id"], team_id)
    assert [e["code"] for e in full["errors"]] == ["GROUP_TEAM_FULL"]
    assert (await Sku.get(id=row.id)).stock == stock and await Payment.all().count() == payments
    assert (await GroupTeam.get(id=pk_of(team_id))).taken == 2

    monkeypatch.setattr(settings, "GROUP_OVERFLOW_POLICY", "NEW_TEAM")
    overflow = await _buy(api, *d, activity["id"], team_id)
    assert overflow["errors"] == []
    member = await GroupMember.get(payment_id=pk_of(overflow["payment"]["id"]))
    assert member.leader and member.team_id != pk_of(team_id)
    assert (await GroupTeam.get(id=pk_of(team_id))).taken == 2


async def test_bad_input_answers_stable_codes_and_changes_nothing(api):
    owner, product, row, activity, body = await _world(api, size=3, limit=1)
    a, b = [await make_buyer(n, wallet=100_000) for n in ("a", "b")]
    opened = await _buy(api, *a, activity["id"])
    assert await _pay(api, a[0], opened) == []
    team_id = await _team_of(opened)
    stock, payments, wallet = (await Sku.get(id=row.id)).stock, await Payment.all().count(), await _wallet(a[0])

    async def refused(user, address, team=None, quantity=1, activity_id=None) -> list[str]:
        out = await _buy(api, user, address, activity_id or activity["id"], team, quantity)
        return [e["code"] for e in out["errors"]]

    assert await refused(*b, team_id, quantity=2) == ["LIMIT_REACHED"]  # over the per-user limit
    assert await refused(*a, team_id) == ["LIMIT_REACHED"]  # the leader again
    assert await refused(*b, gid("GroupTeam", 999_999)) == ["NOT_FOUND"]
    assert await refused(*b, activity_id=gid("GroupActivity", 999_999)) == ["NOT_FOUND"]
    assert (await Sku.get(id=row.id)).stock == stock and await Payment.all().count() == payments
    assert await _wallet(a[0]) == wallet
    assert (await GroupTeam.get(id=pk_of(team_id))).taken == 1

    # management
    async def create_code(**changes) -> list[str]:
        made = (await api(CREATE, {"input": body | changes}, owner))["createGroupActivity"]
        return [e["code"] for e in made["errors"]]

    assert await create_code(teamSize=1) == ["INVALID_INPUT"]
    assert await create_code(groupPrice="100.00") == ["INVALID_PRICE"]
    assert await create_code(timeLimitMinutes=1) == ["INVALID_INPUT"]
    assert await create_code(endsAt=(clock.now() - timedelta(minutes=1)).isoformat()) == ["INVALID_DATE_RANGE"]
    assert await create_code(name="") == ["INVALID_INPUT"]
    stranger = await token_for(await make_user("stranger"))
    made = (await api(CREATE, {"input": body}, stranger))["createGroupActivity"]
    assert [e["code"] for e in made["errors"]] == ["FORBIDDEN"]
    updated = (await api(UPDATE, {"id": activity["id"], "input": {"name": "二人团", "perUserLimit": 2}}, owner))[
        "updateGroupActivity"
    ]
    assert updated == {"activity": {"name": "二人团", "perUserLimit": 2}, "errors": []}
    assert (await api(END, {"id": activity["id"]}, owner))["endGroupActivity"] == {
        "activity": {"ended": True},
        "errors": [],
    }
    assert await refused(*b, team_id) == ["GROUP_NOT_OPEN"]
    assert (await api(END, {"id": activity["id"]}, owner))["endGroupActivity"]["errors"] == [
        {"code": "INVALID_TRANSITION"}
    ]


async def test_an_unfilled_team_fails_at_its_time_limit_and_refunds_every_member_once(api):
    owner, product, row, activity, _ = await _world(api, size=3, minutes=10)
    a, b, c = [await make_buyer(n, wallet=100_000) for n in ("a", "b", "c")]
    opened = await _buy(api, *a, activity["id"])
    assert await _pay(api, a[0], opened) == []
    team_id = await _team_of(opened)
    joined = await _buy(api, *b, activity["id"], team_id)
    assert await _pay(api, b[0], joined) == []
    unpaid = await _buy(api, *c, activity["id"], team_id)
    assert unpaid["errors"] == []
    assert (await Sku.get(id=row.id)).stock == 17
    assert await _wallet(a[0]) == 94_000

    clock.advance(timedelta(minutes=11))
    owner = await token_for(await (await product.merchant).owner)
    # the time is up before the job ran: paying the last seat is refused, nothing moves
    assert await _pay(api, c[0], unpaid) == [{"code": "GROUP_TEAM_FAILED"}]
    assert await _wallet(c[0]) == 100_000 and (await Payment.get(id=pk_of(unpaid["payment"]["id"]))).status == "UNPAID"
    late = await _buy(api, *c, activity["id"], team_id)
    assert [e["code"] for e in late["errors"]] == ["GROUP_TEAM_CLOSED"]

    assert await marketing_jobs.close_group_teams() == "closed group teams: 0 formed, 1 failed"
    team = (await api(TEAM, {"id": team_id}))["groupTeam"]
    assert team["status"] == "FAILED"
    assert await _wallet(a[0]) == 100_000 and await _wallet(b[0]) == 100_000 and await _wallet(c[0]) == 100_000
    assert (await Sku.get(id=row.id)).stock == 20  # two refunded, one cancelled
    for bought in (opened, joined):
        order = await Order.get(id=pk_of(bought["orders"][0]["id"]))
        assert order.status == "CLOSED" and order.refunded_amount == 6_000
        assert await Refund.filter(order_id=order.id).count() == 1
    assert (await Payment.get(id=pk_of(unpaid["payment"]["id"]))).status == "CLOSED"
    assert await _pay(api, c[0], unpaid) == [{"code": "PAYMENT_NOT_PAYABLE"}]
    # again: nothing more
    assert await marketing_jobs.close_group_teams() == "closed group teams: 0 formed, 0 failed"
    assert await Refund.all().count() == 2 and await _wallet(a[0]) == 100_000
    stats = (await api(STATS, {"id": activity["id"]}, owner))["groupActivityStats"]
    assert stats["teamsFailed"] == 1 and stats["paidUnits"] == 0 and stats["gmv"] == {"amount": "0.00"}
    await ledger.check_invariants()


async def test_with_the_succeed_policy_an_unfilled_team_forms_with_whoever_paid(api, monkeypatch):
    monkeypatch.setattr(settings, "GROUP_UNFILLED_POLICY", "SUCCEED")
    owner, product, row, activity, _ = await _world(api, size=3, minutes=30)
    a, b = [await make_buyer(n, wallet=100_000) for n in ("a", "b")]
    opened = await _buy(api, *a, activity["id"])
    assert await _pay(api, a[0], opened) == []
    team_id = await _team_of(opened)
    clock.advance(timedelta(minutes=31))
    owner = await token_for(await (await product.merchant).owner)
    assert await marketing_jobs.close_group_teams() == "closed group teams: 1 formed, 0 failed"
    assert (await api(TEAM, {"id": team_id}))["groupTeam"]["status"] == "FORMED"
    shipped = (await api(SHIP, {"id": opened["orders"][0]["id"]}, owner))["shipOrder"]
    assert shipped["errors"] == [] and await _wallet(a[0]) == 94_000


async def test_an_unpaid_seat_comes_back_at_the_payment_time_out(api):
    from services.orders import payments

    _, product, row, activity, _ = await _world(api, size=2)
    a, b, c = [await make_buyer(n, wallet=100_000) for n in ("a", "b", "c")]
    opened = await _buy(api, *a, activity["id"])
    assert await _pay(api, a[0], opened) == []
    team_id = await _team_of(opened)
    assert (await _buy(api, *b, activity["id"], team_id))["errors"] == []
    assert [e["code"] for e in (await _buy(api, *c, activity["id"], team_id))["errors"]] == ["GROUP_TEAM_FULL"]
    clock.advance(timedelta(minutes=settings.ORDER_PAY_TIMEOUT_MINUTES + 1))
    assert await payments.cancel_expired() == 1
    assert (await GroupTeam.get(id=pk_of(team_id))).taken == 1
    # the team's own time (60 minutes) is not up yet: c takes the seat back
    again = await _buy(api, *c, activity["id"], team_id)
    assert again["errors"] == [] and await _pay(api, c[0], again) == []
    assert (await GroupTeam.get(id=pk_of(team_id))).status == "FORMED"
