"""Consignment statistics (CON-8) and the admin's live counters (CON-9) through GraphQL:
buckets with known numbers by day, week and month, refused ranges, refusals, and a live
subscription that follows sales and refunds without a query per event."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest

import settings
from jobs import consignment as consignment_jobs
from models.consignment import WholesaleUnit
from services.consignment import stats
from services.consignment.events import StatsChanged, UnitQueued
from services.core import clock
from services.core.events import admin_channel
from tests.api.test_consignment import buy, finish
from tests.api.test_subscriptions import WsClient, open_ws, wait_for_listener
from tests.helpers import gid, make_user, token_for
from tests.order_factories import make_buyer, make_consignment_pair
from tests.querycount import count_queries

FIGURES = (
    "sales { amount } retailSales { amount } wholesaleSales { amount } refunded { amount } retailOrders "
    "wholesaleOrders unitsConsigned unitsSold rewardsTotal { amount } rewardsPending { amount } rewardsPaid { amount }"
)
STATS = f"""query($p: StatsPeriod!, $f: Date!, $t: Date!) {{ consignmentStats(period: $p, from: $f, to: $t) {{
  period start end buckets {{ start end {FIGURES} }} }} }}"""
TOTALS = f"""query($f: Date!, $t: Date!) {{ consignmentStats(period: DAY, from: $f, to: $t) {{
  totals {{ unitsInQueue {FIGURES} }} }} }}"""
LIVE = """subscription { adminConsignmentStats { day unitsInQueue unitsSoldToday salesToday { amount }
  retailOrdersToday wholesaleOrdersToday rewardsPending { amount } } }"""
REWARD = 50  # fen per unit sold


def at_noon(day: date) -> None:
    """Move the service clock to 12:00 of a business day (UTC+8)."""
    clock.advance(stats.day_start(day) + timedelta(hours=12) - clock.now())


def yuan(fen: int) -> dict:
    return {"amount": f"{fen / 100:.2f}"}


def figures(
    sales_retail=0, sales_wholesale=0, retail_orders=0, wholesale_orders=0, consigned=0, sold=0, pending=0, paid=0
) -> dict:
    return {
        "sales": yuan(sales_retail + sales_wholesale),
        "retailSales": yuan(sales_retail),
        "wholesaleSales": yuan(sales_wholesale),
        "refunded": yuan(0),
        "retailOrders": retail_orders,
        "wholesaleOrders": wholesale_orders,
        "unitsConsigned": consigned,
        "unitsSold": sold,
        "rewardsTotal": yuan(pending + paid),
        "rewardsPending": yuan(pending),
        "rewardsPaid": yuan(paid),
    }


def add(*many: dict) -> dict:
    out = {}
    for key in many[0]:
        if isinstance(many[0][key], dict):
            out[key] = yuan(round(sum(float(f[key]["amount"]) for f in many) * 100))
        else:
            out[key] = sum(f[key] for f in many)
    return out


async def admin_token() -> str:
    return await token_for(await make_user("admin", roles=("admin",)))


async def set_reward(api, wholesale_product_id: int) -> None:
    data = await api(
        "mutation($p: ID!, $r: Amount!) { setConsignmentPolicy(productId: $p, feeBp: 2000, rewardKind: FIXED, rewardAmount: $r) { errors { code } } }",
        {"p": gid("Product", wholesale_product_id), "r": yuan(REWARD)["amount"]},
        token=await admin_token(),
    )
    assert data["setConsignmentPolicy"]["errors"] == []


async def retail_buyer(api, name, retail):
    buyer, address = await make_buyer(name, wallet=10_000)
    token = await token_for(buyer)
    return await buy(api, token, address, retail.id, 1), token


async def test_buckets_by_day_week_and_month_with_known_numbers(api):
    # Monday D1 .. Tuesday D9 of the following week, in the future of the real clock.
    d1 = stats.today() + timedelta(days=1)
    d1 += timedelta(days=(7 - d1.weekday()) % 7)
    d2, d9 = d1 + timedelta(days=1), d1 + timedelta(days=8)
    at_noon(d1)
    merchant, retail, wholesale = await make_consignment_pair(retail_price=1000, wholesale_price=300, vouchers=4)
    await set_reward(api, wholesale.product_id)
    seller, address = await make_buyer("卖家", wallet=100_000)
    seller_token = await token_for(seller)
    await buy(api, seller_token, address, retail.id, 1)  # retail order 1: 10.00, four vouchers
    bought = await buy(api, seller_token, address, wholesale.id, 4)  # wholesale order: 4 × 3.00
    held = await WholesaleUnit.filter(owner_id=seller.id).order_by("id").values_list("id", flat=True)
    line_id = bought["orders"][0]["lines"][0]["id"]
    consigned = await api(
        "mutation($l: ID!) { consignFromOrderLine(lineId: $l, quantity: 3) { errors { code } } }",
        {"l": line_id},
        token=seller_token,
    )
    assert consigned["consignFromOrderLine"]["errors"] == []
    placed, x_token = await retail_buyer(api, "甲", retail)  # retail order 2: sells unit 1
    await finish(api, merchant, placed, x_token)  # completed on D1

    at_noon(d2)
    await retail_buyer(api, "乙", retail)  # retail order 3: sells unit 2 (its order stays open)

    at_noon(d9)  # D1's sale is past its after-sales window: its reward is paid, D2's still pending
    assert await consignment_jobs.settle_consignments() == "settled 1 consigned units"
    seller_token = await token_for(seller)
    again = await api(
        "mutation($u: [ID!]!) { consignUnits(unitIds: $u) { errors { code } } }",
        {"u": [gid("WholesaleUnit", held[3])]},
        token=seller_token,
    )
    assert again["consignUnits"]["errors"] == []

    day1 = figures(
        sales_retail=2000, sales_wholesale=1200, retail_orders=2, wholesale_orders=1, consigned=3, sold=1, paid=REWARD
    )
    day2 = figures(sales_retail=1000, retail_orders=1, sold=1, pending=REWARD)
    day9 = figures(consigned=1)
    zero = figures()
    admin = await admin_token()

    d0 = d1 - timedelta(days=1)
    data = (await api(STATS, {"p": "DAY", "f": d0.isoformat(), "t": d2.isoformat()}, token=admin))["consignmentStats"]
    assert (data["period"], data["start"], data["end"]) == ("DAY", d0.isoformat(), d2.isoformat())
    assert data["buckets"] == [
        {"start": d.isoformat(), "end": d.isoformat(), **f} for d, f in ((d0, zero), (d1, day1), (d2, day2))
    ]

    data = (await api(STATS, {"p": "WEEK", "f": d2.isoformat(), "t": d9.isoformat()}, token=admin))["consignmentStats"]
    assert data["buckets"] == [  # clipped to the range: the first week from D2, the second to D9
        {"start": d2.isoformat(), "end": (d1 + timedelta(days=6)).isoformat(), **day2},
        {"start": (d1 + timedelta(days=7)).isoformat(), "end": d9.isoformat(), **day9},
    ]

    data = (await api(STATS, {"p": "MONTH", "f": d0.isoformat(), "t": d9.isoformat()}, token=admin))["consignmentStats"]
    expected: dict[tuple[int, int], list] = {}
    for day, found in ((d0, zero), (d1, day1), (d2, day2), (d9, day9)):
        expected.setdefault((day.year, day.month), []).append(found)
    assert [{k: v for k, v in b.items() if k not in ("start", "end")} for b in data["buckets"]] == [
        add(*f) for f in expected.values()
    ]
    assert data["buckets"][0]["start"] == d0.isoformat() and data["buckets"][-1]["end"] == d9.isoformat()

    totals = (await api(TOTALS, {"f": d9.isoformat(), "t": d9.isoformat()}, token=admin))["consignmentStats"]["totals"]
    assert totals == {"unitsInQueue": 2, **add(day1, day2, day9)}


async def test_a_report_costs_a_constant_number_of_queries(api):
    admin = await admin_token()
    last = stats.today()
    for first in (last, last - timedelta(days=365)):
        with count_queries() as counter:
            await api(STATS, {"p": "DAY", "f": first.isoformat(), "t": last.isoformat()}, token=admin)
        sql = [s for s in counter.statements if "GROUP BY" in s]
        assert len(sql) == 3, counter.statements


@pytest.mark.parametrize(
    "period,first,last",
    [
        ("DAY", 0, 1),  # ends before it starts
        ("DAY", 0, -1),  # ends tomorrow
        ("DAY", 366, 0),  # 367 days
        ("WEEK", 731, 0),  # 732 days
        ("MONTH", 1827, 0),  # 1828 days
    ],
)
async def test_bad_ranges_are_refused_with_a_stable_code(api, period, first, last):
    today = stats.today()
    variables = {
        "p": period,
        "f": (today - timedelta(days=first)).isoformat(),
        "t": (today - timedelta(days=last)).isoformat(),
    }
    assert await api.error_code(STATS, variables, token=await admin_token()) == "INVALID_DATE_RANGE"


async def test_longest_ranges_are_accepted(api):
    today, admin = stats.today(), await admin_token()
    for period, days, count in (("DAY", 366, 366), ("WEEK", 731, None), ("MONTH", 1827, None)):
        variables = {"p": period, "f": (today - timedelta(days=days - 1)).isoformat(), "t": today.isoformat()}
        buckets = (await api(STATS, variables, token=admin))["consignmentStats"]["buckets"]
        assert buckets[0]["start"] == variables["f"] and buckets[-1]["end"] == variables["t"]
        assert count is None or len(buckets) == count


async def test_only_consignment_managers_may_read_statistics(api):
    variables = {"p": "DAY", "f": "2020-01-01", "t": "2020-01-01"}
    assert await api.error_code(STATS, variables) == "UNAUTHENTICATED"
    for roles in ((), ("support",), ("finance",)):
        assert (
            await api.error_code(STATS, variables, token=await token_for(await make_user(roles=roles))) == "FORBIDDEN"
        )
    assert (await api(STATS, variables, token=await admin_token()))["consignmentStats"]["buckets"][0]["unitsSold"] == 0


# --------------------------------------------------------------------------- live


async def _next_live(c: WsClient) -> dict:
    message = await c.recv()
    assert message["type"] == "next", message
    return message["payload"]["data"]["adminConsignmentStats"]


async def _until(c: WsClient, wanted: dict) -> dict:
    for _ in range(5):
        live = await _next_live(c)
        if all(live[k] == v for k, v in wanted.items()):
            return live
    raise AssertionError(f"never reached {wanted}: {live}")


async def test_live_counters_follow_a_sale_and_its_refund_without_queries(app, api):
    merchant, retail, wholesale = await make_consignment_pair(retail_price=1000, wholesale_price=300, vouchers=2)
    await set_reward(api, wholesale.product_id)
    seller, address = await make_buyer("卖家", wallet=100_000)
    seller_token = await token_for(seller)
    await buy(api, seller_token, address, retail.id, 1)
    await buy(api, seller_token, address, wholesale.id, 2, consignWholesaleUnits=True)

    client, connect = await open_ws(app, "graphql-transport-ws")
    async with client, connect as ws:
        c = WsClient(ws, "graphql-transport-ws")
        await c.init(await admin_token())
        await ws.send_text(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": LIVE}}))
        first = await _next_live(c)
        assert first == {
            "day": stats.today().isoformat(),
            "unitsInQueue": 2,
            "unitsSoldToday": 0,
            "salesToday": yuan(1600),
            "retailOrdersToday": 1,
            "wholesaleOrdersToday": 1,
            "rewardsPending": yuan(0),
        }
        await wait_for_listener(admin_channel())

        placed, buyer_token = await retail_buyer(api, "买家", retail)
        with count_queries() as counter:
            live = await _until(c, {"unitsSoldToday": 1})
        assert counter.count == 0  # deltas applied in memory
        assert live == {
            "day": first["day"],
            "unitsInQueue": 1,
            "unitsSoldToday": 1,
            "salesToday": yuan(2600),
            "retailOrdersToday": 2,
            "wholesaleOrdersToday": 1,
            "rewardsPending": yuan(REWARD),
        }

        # A refund before the sale is final returns the unit to the queue: sold and reward undone, sales stay gross.
        line_id = placed["orders"][0]["lines"][0]["id"]
        requested = await api(
            'mutation($l: ID!) { requestAfterSale(lineId: $l, kind: REFUND_ONLY, quantity: 1, reason: "不要了") { afterSale { id } errors { code } } }',
            {"l": line_id},
            token=buyer_token,
        )
        support = await token_for(await make_user(roles=("support",)))
        approved = await api(
            "mutation($id: ID!) { approveAfterSale(id: $id) { afterSale { status } errors { code } } }",
            {"id": requested["requestAfterSale"]["afterSale"]["id"]},
            token=support,
        )
        assert approved["approveAfterSale"]["errors"] == []
        live = await _until(c, {"unitsSoldToday": 0})
        assert live == {**live, "unitsInQueue": 2, "salesToday": yuan(2600), "rewardsPending": yuan(0)}

    # The live counters agree with the report for today.
    today = stats.today().isoformat()
    bucket = (await api(STATS, {"p": "DAY", "f": today, "t": today}, token=await admin_token()))["consignmentStats"][
        "buckets"
    ][0]
    assert (bucket["unitsSold"], bucket["sales"], bucket["retailOrders"], bucket["refunded"]) == (
        0,
        yuan(2600),
        2,
        yuan(1000),
    )


async def test_live_counters_are_refused_to_non_admins(app):
    for token, code in (
        (None, "UNAUTHENTICATED"),
        (await token_for(await make_user()), "FORBIDDEN"),
        (await token_for(await make_user(roles=("support",))), "FORBIDDEN"),
    ):
        client, connect = await open_ws(app, "graphql-transport-ws")
        async with client, connect as ws:
            c = WsClient(ws, "graphql-transport-ws")
            await c.init(token)
            await ws.send_text(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": LIVE}}))
            message = await c.recv()
            errors = message["payload"] if message["type"] == "error" else message["payload"]["errors"]
            assert errors[0]["extensions"]["code"] == code


def test_events_of_another_day_move_only_the_all_time_counters():
    counters = stats.LiveCounters(
        day=date(2030, 1, 2),
        units_in_queue=3,
        units_sold_today=2,
        sales_today=5000,
        retail_orders_today=2,
        wholesale_orders_today=0,
        rewards_pending=100,
    )
    yesterday = StatsChanged(day=date(2030, 1, 1), queued=1, sold=-1, rewards_pending=-50)
    assert stats.apply_event(counters, yesterday) == stats.LiveCounters(
        day=date(2030, 1, 2),
        units_in_queue=4,
        units_sold_today=2,
        sales_today=5000,
        retail_orders_today=2,
        wholesale_orders_today=0,
        rewards_pending=50,
    )
    assert stats.apply_event(counters, StatsChanged(day=date(2030, 1, 2))) is None
    assert stats.apply_event(counters, UnitQueued(key=1, unit_id=1, owner_id=1, length=1)) is None
    assert stats.apply_event(counters, None) is None  # a message of a type nobody registered


def test_buckets_are_clipped_to_the_range_and_cover_it():
    assert stats.buckets("MONTH", date(2030, 1, 30), date(2030, 3, 2)) == [
        (date(2030, 1, 30), date(2030, 1, 31)),
        (date(2030, 2, 1), date(2030, 2, 28)),
        (date(2030, 3, 1), date(2030, 3, 2)),
    ]
    assert stats.buckets("WEEK", date(2030, 1, 2), date(2030, 1, 8)) == [  # 2030-01-07 is a Monday
        (date(2030, 1, 2), date(2030, 1, 6)),
        (date(2030, 1, 7), date(2030, 1, 8)),
    ]
    assert stats.buckets("MONTH", date(2030, 12, 31), date(2031, 1, 1)) == [
        (date(2030, 12, 31), date(2030, 12, 31)),
        (date(2031, 1, 1), date(2031, 1, 1)),
    ]
    assert settings.AFTER_SALES_WINDOW_DAYS < 8  # the known-numbers test settles D1's sale on D9
