"""The points lottery (MKT-4) over GraphQL and in the database: creating one publishes the
seed's hash; a draw takes the points, records the outcome and credits the prize in one
transaction; a sold-out prize gives nothing; the daily limit, the schedule and probabilities
over 1 are refused with their codes and change nothing; after the end the seed is revealed
and tools/verify_lottery.py re-computes every draw, failing on one altered in the database.
On PostgreSQL, 500 concurrent draws for a prize with stock 10 award exactly 10."""

from __future__ import annotations

import asyncio
import hashlib
import importlib.util
import json
from datetime import timedelta
from pathlib import Path

import pytest

import settings
from models.marketing import LotteryActivity, LotteryDraw, LotteryPrize
from services.accounts import access
from services.core import clock
from services.core.errors import DomainError, ErrorCode
from services.ledger import ledger
from services.ledger.ledger import Posting, Purpose
from services.marketing import coins, lottery, points_mall
from tests.api.test_subscriptions import WsClient, open_ws, wait_for_listener
from tests.helpers import gid, make_user, token_for

ROOT = Path(__file__).resolve().parents[2]
CREATE = """mutation($input: LotteryActivityInput!) { createLotteryActivity(input: $input) {
  activity { id seedHash seed isOpen costPoints prizes { position name kind probabilityPpm stock remaining } }
  errors { code field } } }"""
DRAW = """mutation($id: ID!) { drawLottery(activityId: $id) {
  draw { id sequence roll fellBack costPoints prize { name kind amount } } errors { code field } } }"""
END = "mutation($id: ID!) { endLotteryActivity(id: $id) { activity { seed isOpen } errors { code } } }"
MINE = "query($id: ID) { myLotteryDraws(activityId: $id) { nodes { sequence prize { name } } } }"
WINS = "query($id: ID!) { recentLotteryWins(activityId: $id) { winner prize { name } } }"


def _verify_script():
    spec = importlib.util.spec_from_file_location("verify_lottery", ROOT / "tools/verify_lottery.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


async def grant_points(user, amount: int) -> None:
    account = (await ledger.user_account(user.id, Purpose.POINTS, points_mall.POINT)).id
    budget = (await ledger.platform_account(Purpose.PROMOTION_EXPENSE, points_mall.POINT)).id
    await ledger.post("POINTS_EARNED", [Posting(budget, -amount), Posting(account, amount)])


def _input(**extra) -> dict:
    now = clock.now()
    return {
        "name": "新春抽奖",
        "costPoints": 10,
        "startsAt": (now - timedelta(minutes=1)).isoformat(),
        "endsAt": (now + timedelta(days=1)).isoformat(),
        "dailyLimit": 5,
        "prizes": [
            {"name": "100 积分", "kind": "POINTS", "probabilityPpm": 1_000_000, "units": 100, "stock": 3},
        ],
    } | extra


async def test_draw_points_prize_stock_limits_schedule_and_verification(api):
    admin = await token_for(await make_user("admin", roles=("admin",)))
    alice = await make_user("阿强")
    token = await token_for(alice)
    await grant_points(alice, 45)

    bad_prizes = [
        {"name": "a", "kind": "POINTS", "probabilityPpm": 600_000, "units": 1, "stock": 1},
        {"name": "b", "kind": "NOTHING", "probabilityPpm": 400_001},
    ]
    refused = (await api(CREATE, {"input": _input(prizes=bad_prizes)}, admin))["createLotteryActivity"]
    assert refused["errors"] == [{"code": "PROBABILITIES_EXCEED_ONE", "field": ["prizes"]}]
    forbidden = (await api(CREATE, {"input": _input()}, token))["createLotteryActivity"]
    assert forbidden["errors"][0]["code"] == "FORBIDDEN"
    assert await LotteryActivity.all().count() == 0

    made = (await api(CREATE, {"input": _input()}, admin))["createLotteryActivity"]
    assert made["errors"] == []
    activity = made["activity"]
    assert activity["seed"] is None and activity["isOpen"] and len(activity["seedHash"]) == 64
    aid = activity["id"]

    # 3 in stock: three wins, then the prize is out: nothing (fell back); 45 points pay 4 draws
    outcomes = []
    for _ in range(4):
        drawn = (await api(DRAW, {"id": aid}, token))["drawLottery"]
        assert drawn["errors"] == []
        outcomes.append((drawn["draw"]["sequence"], drawn["draw"]["prize"], drawn["draw"]["fellBack"]))
    prize = {"name": "100 积分", "kind": "POINTS", "amount": 100}
    assert outcomes == [(1, prize, False), (2, prize, False), (3, prize, False), (4, None, True)]
    assert await points_mall.balance(alice.id) == 45 - 40 + 300

    balance = await points_mall.balance(alice.id)
    draws = await LotteryDraw.all().count()
    lim = (await api(DRAW, {"id": aid}, token))["drawLottery"]  # the 5th of today: allowed
    assert lim["errors"] == []
    over = (await api(DRAW, {"id": aid}, token))["drawLottery"]
    assert over["errors"] == [{"code": "LOTTERY_DAILY_LIMIT", "field": ["activityId"]}]
    assert await LotteryDraw.all().count() == draws + 1 and await points_mall.balance(alice.id) == balance - 10

    # not enough points: refused, nothing recorded
    bob = await make_user("Bob")
    poor = (await api(DRAW, {"id": aid}, await token_for(bob)))["drawLottery"]
    assert poor["errors"] == [{"code": "INSUFFICIENT_POINTS", "field": ["activityId"]}]
    assert await LotteryDraw.filter(user_id=bob.id).count() == 0

    # before it opens
    later = _input(startsAt=(clock.now() + timedelta(hours=1)).isoformat())
    future = (await api(CREATE, {"input": later}, admin))["createLotteryActivity"]["activity"]["id"]
    early = (await api(DRAW, {"id": future}, token))["drawLottery"]
    assert early["errors"] == [{"code": "LOTTERY_NOT_OPEN", "field": ["activityId"]}]

    mine = (await api(MINE, {"id": aid}, token))["myLotteryDraws"]["nodes"]
    assert [d["sequence"] for d in mine] == [5, 4, 3, 2, 1]
    wins = (await api(WINS, {"id": aid}, None))["recentLotteryWins"]
    assert [w["winner"] for w in wins] == ["阿*"] * 3

    # after the end: closed, the seed revealed and hashing to what was published
    ended = (await api(END, {"id": aid}, admin))["endLotteryActivity"]
    assert ended["errors"] == [] and not ended["activity"]["isOpen"]
    seed = ended["activity"]["seed"]
    assert hashlib.sha256(bytes.fromhex(seed)).hexdigest() == activity["seedHash"]
    closed = (await api(DRAW, {"id": aid}, token))["drawLottery"]
    assert closed["errors"] == [{"code": "LOTTERY_NOT_OPEN", "field": ["activityId"]}]

    script = _verify_script()
    pk = (await LotteryActivity.all().order_by("id").first()).id
    assert await script.run(pk) == []
    # one outcome altered in the database: the script names it
    fallback = await LotteryDraw.get(activity_id=pk, sequence=4)
    prize_id = (await LotteryPrize.get(activity_id=pk)).id
    await LotteryDraw.filter(id=fallback.id).update(prize_id=prize_id, fell_back=False)
    problems = await script.run(pk)
    assert len(problems) == 1 and problems[0].startswith(f"draw {fallback.id}:")
    await LotteryDraw.filter(id=fallback.id).update(prize_id=None, fell_back=True, roll=fallback.roll + 1)
    assert len(await script.run(pk)) == 1
    assert await ledger.check_invariants() == []


async def test_coins_and_coupon_prizes_and_refusals_change_nothing():
    admin = await make_user("admin", roles=("admin",))
    grants = await access.load_grants(admin.id)
    now = clock.now()

    def data(prizes, **extra):
        base = {
            "name": "x",
            "cost_points": 0,
            "starts_at": now - timedelta(minutes=1),
            "ends_at": now + timedelta(hours=1),
            "daily_limit": 10,
            "prizes": prizes,
        }
        return lottery.ActivityData(**(base | extra))

    for prizes, extra, code in (
        ([lottery.PrizeData("p", "PRODUCT", 1)], {}, ErrorCode.INVALID_INPUT),  # products are not prizes yet
        ([lottery.PrizeData("p", "COINS", 1, amount=0, stock=1)], {}, ErrorCode.INVALID_AMOUNT),
        ([lottery.PrizeData("p", "COUPON", 1, coupon_template_id=999, stock=1)], {}, ErrorCode.NOT_FOUND),
        ([lottery.PrizeData("p", "NOTHING", 1)], {"daily_limit": 0}, ErrorCode.INVALID_INPUT),
        ([lottery.PrizeData("p", "NOTHING", 1)], {"ends_at": now - timedelta(hours=2)}, ErrorCode.INVALID_DATE_RANGE),
    ):
        with pytest.raises(DomainError) as exc:
            await lottery.create_activity(grants, admin.id, data(prizes, **extra))
        assert exc.value.code == code
    assert await LotteryActivity.all().count() == 0

    made = await lottery.create_activity(
        grants, admin.id, data([lottery.PrizeData("币", "COINS", 1_000_000, 50, stock=1)])
    )
    alice = await make_user("alice")
    first = await lottery.draw(alice.id, made.id)
    second = await lottery.draw(alice.id, made.id)
    assert (first.prize_id is not None, second.fell_back) == (True, True)
    assert await coins.balance(alice.id) == 50
    assert await ledger.check_invariants() == []


@pytest.mark.skipif(not settings.IS_POSTGRES, reason="concurrency is proven on PostgreSQL")
async def test_500_concurrent_draws_award_exactly_the_stock():
    admin = await make_user("admin", roles=("admin",))
    grants = await access.load_grants(admin.id)
    now = clock.now()
    made = await lottery.create_activity(
        grants,
        admin.id,
        lottery.ActivityData(
            "抢",
            5,
            now - timedelta(minutes=1),
            now + timedelta(hours=1),
            5,
            [lottery.PrizeData("大奖", "POINTS", 1_000_000, 7, stock=10)],
        ),
    )
    users = [await make_user(f"u{i}") for i in range(100)]
    for user in users:
        await grant_points(user, 25)

    async def attempt(user) -> str:
        try:
            row = await lottery.draw(user.id, made.id)
            return "WON" if row.prize_id else "NOTHING"
        except DomainError as exc:
            return exc.code.value

    started = clock.now()
    results = await asyncio.gather(*(attempt(u) for u in users for _ in range(5)))
    elapsed = (clock.now() - started).total_seconds()
    assert results.count("WON") == 10, results
    assert results.count("NOTHING") == 490
    assert (await LotteryPrize.get(activity_id=made.id)).awarded == 10
    assert await LotteryDraw.filter(activity_id=made.id, prize_id__isnull=False).count() == 10
    assert await LotteryDraw.filter(activity_id=made.id).count() == 500
    assert elapsed < 60, elapsed
    await LotteryActivity.filter(id=made.id).update(ends_at=clock.now())
    assert await lottery.audit(made.id) == []
    assert await ledger.check_invariants() == []


async def test_wins_are_announced_live_with_the_winner_masked(app, api):
    admin = await make_user("admin", roles=("admin",))
    now = clock.now()
    made = await lottery.create_activity(
        await access.load_grants(admin.id),
        admin.id,
        lottery.ActivityData(
            "live",
            0,
            now - timedelta(minutes=1),
            now + timedelta(hours=1),
            3,
            [lottery.PrizeData("币", "COINS", 1_000_000, 5, stock=1)],
        ),
    )
    alice = await make_user("阿强")
    watcher = await token_for(await make_user("watcher"))
    query = "subscription($id: ID!) { lotteryWins(activityId: $id) { winner prize { name kind } } }"
    client, connect = await open_ws(app, "graphql-transport-ws")
    async with client, connect as ws:
        ws_client = WsClient(ws, "graphql-transport-ws")
        await ws_client.init(watcher)
        payload = {"query": query, "variables": {"id": gid(made)}}
        await ws.send_text(json.dumps({"id": "1", "type": "subscribe", "payload": payload}))
        await wait_for_listener(lottery.channel(made.id))
        await lottery.draw(alice.id, made.id)  # wins the only one
        await lottery.draw(alice.id, made.id)  # falls back: not announced
        won = (await ws_client.recv())["payload"]["data"]["lotteryWins"]
        assert won == {"winner": "阿*", "prize": {"name": "币", "kind": "COINS"}}
