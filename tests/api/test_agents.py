"""Regional agents (MEM-2) through GraphQL: appointment rules and their stable errors, an
express order paying its county, city and province agents, a pickup order paying by the
store's region, pro-rata reversal, release after completion, rejection, the cap shared with
distribution, the partner settings (validated, audited) and the live event's kind."""

from __future__ import annotations

import json
import uuid

from models.agents import AgentAssignment, PartnerSettingsChange
from models.distribution import Commission
from models.merchants import Store
from services.core.events import user_channel
from services.distribution import commissions
from services.ledger import ledger
from tests.api.test_distribution import (
    admin_token,
    configure,
    finish,
    member,
    merchant_pending,
    refund,
    wallet,
)
from tests.api.test_subscriptions import WsClient, open_ws, wait_for_listener
from tests.helpers import at, gid, make_user, pk_of, token_for
from tests.order_factories import make_shop

ASSIGN = """mutation($i: AssignAgentInput!) { assignRegionalAgent(input: $i) {
  assignment { id level regionCode active endedAt user { id } } errors { code field } } }"""
END = "mutation($id: ID!) { endRegionalAgent(id: $id) { assignment { active endedAt } errors { code field } } }"
AGENTS = "query($r: String, $a: Boolean!) { regionalAgents(regionCode: $r, activeOnly: $a) { nodes { id regionCode level active } } }"
MY_REGIONS = "{ myAgentRegions { regionCode level } }"
TERMS = """mutation($i: PartnerSettingsInput!) { updatePartnerSettings(input: $i) {
  settings { provinceRateBp cityRateBp countyRateBp storeShareBp pickupReward { amount } updatedAt } errors { code field } } }"""
READ_TERMS = (
    "{ partnerSettings { provinceRateBp cityRateBp countyRateBp storeShareBp pickupReward { amount } updatedAt } }"
)
COMMISSIONS = """{ myCommissions { nodes { kind level regionCode status base { amount } amount { amount } reversed { amount } } } }"""
PLACE = """mutation($input: PlaceOrderInput!) { placeOrder(input: $input) {
  payment { id } orders { id pickupCode lines { id } } errors { code field } } }"""
PAY = "mutation($id: ID!) { payWithWallet(paymentId: $id) { payment { status } errors { code } } }"
REJECT = 'mutation($id: ID!) { rejectCommission(id: $id, reason: "风控") { commission { status } errors { code } } }'

# The buyers' address (tests.api.test_distribution.member): 浙江省 330000 / 杭州市 330100 / 西湖区 330106.
PROVINCE, CITY, COUNTY = "330000", "330100", "330106"


async def appoint(api, user, level, code, token=None) -> dict:
    data = {"userId": gid(user), "level": level, "regionCode": code}
    return (await api(ASSIGN, {"i": data}, token=token or await admin_token()))["assignRegionalAgent"]


async def agents_of_the_county(api) -> tuple:
    """Agents of the buyers' province, city and county (the default rates 1 %, 2 %, 3 %)."""
    users = []
    for level, code in (("PROVINCE", PROVINCE), ("CITY", CITY), ("COUNTY", COUNTY)):
        user = await make_user(f"代理{code}")
        assert (await appoint(api, user, level, code))["errors"] == []
        users.append(user)
    return tuple(users)


async def earned(api, user) -> list[dict]:
    nodes = (await api(COMMISSIONS, token=await token_for(user)))["myCommissions"]["nodes"]
    return sorted(nodes, key=lambda n: (n["kind"], n["level"]))


async def buy(api, user, address, sku_id, quantity=1, pickup=None) -> dict:
    token = await token_for(user)
    data = {"idempotencyKey": uuid.uuid4().hex, "items": [{"skuId": gid("Sku", sku_id), "quantity": quantity}]}
    if pickup is None:
        data["addressId"] = gid(address)
    else:
        data["pickupStores"] = [{"merchantId": gid("Merchant", pickup.merchant_id), "storeId": gid(pickup)}]
    placed = (await api(PLACE, {"input": data}, token=token))["placeOrder"]
    assert placed["errors"] == [], placed
    paid = (await api(PAY, {"id": placed["payment"]["id"]}, token=token))["payWithWallet"]
    assert paid["errors"] == [], paid
    return placed


async def store_in(merchant, province, city, county) -> Store:
    return await Store.create(
        merchant_id=merchant.id,
        name="广州门店",
        province_code=province,
        city_code=city,
        county_code=county,
        address="天河路 1 号",
        latitude=23.13,
        longitude=113.32,
        invite_code=f"S{uuid.uuid4().hex[:8].upper()}",
    )


# --------------------------------------------------------------------------- appointments


async def test_appointment_rules_have_stable_codes_and_change_nothing(api):
    admin = await admin_token()
    agent, other = await make_user("阿代"), await make_user("阿二")
    first = await appoint(api, agent, "COUNTY", COUNTY, admin)
    assert first["errors"] == [] and first["assignment"]["active"] and first["assignment"]["level"] == "COUNTY"
    rows = await AgentAssignment.all().count()

    cases = [
        (other, "COUNTY", COUNTY, ("AGENT_REGION_TAKEN", ["regionCode"])),  # one running agent per region
        (other, "COUNTY", CITY, ("NOT_FOUND", ["regionCode"])),  # a city's code is no county
        (other, "CITY", PROVINCE, ("NOT_FOUND", ["regionCode"])),
        (other, "PROVINCE", "000000", ("NOT_FOUND", ["regionCode"])),
        (other, "COUNTY", "33010６", ("NOT_FOUND", ["regionCode"])),  # a full-width digit
        (other, "COUNTY", "3301067", ("NOT_FOUND", ["regionCode"])),
    ]
    for user, level, code, expected in cases:
        result = await appoint(api, user, level, code, admin)
        assert (result["errors"][0]["code"], result["errors"][0]["field"]) == expected, (level, code)
        assert result["assignment"] is None
    missing = (
        await api(ASSIGN, {"i": {"userId": gid("User", 999999), "level": "CITY", "regionCode": CITY}}, token=admin)
    )["assignRegionalAgent"]
    assert missing["errors"] == [{"code": "NOT_FOUND", "field": ["userId"]}]
    customer = await token_for(await make_user("路人"))
    assert (
        await api.error_code(ASSIGN, {"i": {"userId": gid(other), "level": "CITY", "regionCode": CITY}}, token=customer)
        == "FORBIDDEN"
    )
    assert await AgentAssignment.all().count() == rows

    # the same user may hold several regions (levels)
    assert (await appoint(api, agent, "CITY", CITY, admin))["errors"] == []
    assert sorted(r["regionCode"] for r in (await api(MY_REGIONS, token=await token_for(agent)))["myAgentRegions"]) == [
        CITY,
        COUNTY,
    ]

    # end it: the region is free again, the ended row stays (audit)
    ended = (await api(END, {"id": first["assignment"]["id"]}, token=admin))["endRegionalAgent"]
    assert ended["errors"] == [] and ended["assignment"]["active"] is False and ended["assignment"]["endedAt"]
    again = (await api(END, {"id": first["assignment"]["id"]}, token=admin))["endRegionalAgent"]
    assert again["errors"] == [{"code": "INVALID_TRANSITION", "field": ["id"]}]
    assert (await api(END, {"id": gid("AgentAssignment", 999999)}, token=admin))["endRegionalAgent"]["errors"] == [
        {"code": "NOT_FOUND", "field": ["id"]}
    ]
    assert (await appoint(api, other, "COUNTY", COUNTY, admin))["errors"] == []
    history = (await api(AGENTS, {"r": COUNTY, "a": False}, token=admin))["regionalAgents"]["nodes"]
    assert [n["active"] for n in history] == [True, False]  # newest first
    ended_row = await AgentAssignment.get(id=pk_of(first["assignment"]["id"]))
    assert ended_row.ended_by_id is not None and ended_row.active_region is None


# --------------------------------------------------------------------------- earning


async def test_an_express_order_pays_the_county_city_and_province_agents_at_their_rates(api):
    province, city, county = await agents_of_the_county(api)
    elsewhere = await make_user("别处")
    assert (await appoint(api, elsewhere, "COUNTY", "330102"))["errors"] == []  # another county of the same city
    merchant, _, [sku] = await make_shop(price=10_000, stock=10, shipping_fee=800)
    buyer, address = await member("买家", wallet=100_000)
    pending = await merchant_pending(merchant)

    await buy(api, buyer, address, sku.id, 2)

    # base 20000 (shipping excluded): 1 % / 2 % / 3 %
    for user, level, amount in ((province, 1, "2.00"), (city, 2, "4.00"), (county, 3, "6.00")):
        assert await earned(api, user) == [
            {
                "kind": "AGENT",
                "level": level,
                "regionCode": user.nickname[2:],
                "status": "FROZEN",
                "base": {"amount": "200.00"},
                "amount": {"amount": amount},
                "reversed": {"amount": "0.00"},
            }
        ]
    assert await earned(api, elsewhere) == [] and await earned(api, buyer) == []
    assert (
        await merchant_pending(merchant) == pending + 20_000 + 800 - 1_200
    )  # a third-party merchant pays its agents' share
    assert await ledger.check_invariants() == []


async def test_a_pickup_order_pays_by_the_stores_region_not_the_buyers(api):
    _, _, county = await agents_of_the_county(api)  # the buyer's home county
    guangzhou = await make_user("广州代理")
    assert (await appoint(api, guangzhou, "COUNTY", "440106"))["errors"] == []
    merchant, _, [sku] = await make_shop(price=10_000, stock=10)
    store = await store_in(merchant, "440000", "440100", "440106")
    buyer, address = await member("买家", wallet=100_000)

    await buy(api, buyer, address, sku.id, 1, pickup=store)

    assert [(c["kind"], c["level"], c["amount"]["amount"]) for c in await earned(api, guangzhou)] == [
        ("AGENT", 3, "3.00")
    ]
    assert await earned(api, county) == []
    assert await ledger.check_invariants() == []


async def test_refund_reverses_pro_rata_then_release_after_completion_then_rejection(api):
    await configure(api, [("PERCENT", 0)], freeze_days=0)  # the freeze period in force applies to every kind
    province, city, county = await agents_of_the_county(api)
    merchant, _, [sku] = await make_shop(price=1_000, stock=10)
    buyer, address = await member("买家", wallet=100_000)
    placed = await buy(api, buyer, address, sku.id, 3)  # base 3000: 30 / 60 / 90
    pending = await merchant_pending(merchant)

    await refund(api, merchant, placed, buyer, 1)  # one unit of three: 10 / 20 / 30 back to the merchant

    assert [(c["amount"]["amount"], c["reversed"]["amount"]) for c in await earned(api, county)] == [("0.90", "0.30")]
    assert [(c["amount"]["amount"], c["reversed"]["amount"]) for c in await earned(api, province)] == [("0.30", "0.10")]
    assert await merchant_pending(merchant) == pending - 1_000 + 60  # the buyer's 10.00 out, the agents' 0.60 back

    await finish(api, merchant, placed, buyer)
    assert await commissions.release_due() == 3
    assert (await wallet(api, county))["available"] == "0.60"
    assert [c["status"] for c in await earned(api, city)] == ["SETTLED"]
    assert await ledger.check_invariants() == []

    # another order: risk review rejects a pending agent commission, the money goes back
    second = await buy(api, buyer, address, sku.id, 1)
    row = await Commission.get(order_id=pk_of(second["orders"][0]["id"]), kind="AGENT", level=3)
    before = await merchant_pending(merchant)
    rejected = (await api(REJECT, {"id": gid(row)}, token=await admin_token()))["rejectCommission"]
    assert rejected == {"commission": {"status": "REJECTED"}, "errors": []}
    assert await merchant_pending(merchant) == before + 30
    assert await ledger.check_invariants() == []


async def test_the_sum_of_every_commission_never_exceeds_the_base_agents_cut_deepest_first(api):
    """Distribution 95 % to level 1 leaves 5 % of the base: the province (1 %) and the city
    (2 %) are paid in full, the county (3 %) gets the last 2 %, nothing is left for others."""
    await configure(api, [("PERCENT", 9_500)])
    province, city, county = await agents_of_the_county(api)
    upline, _ = await member("上级")
    merchant, _, [sku] = await make_shop(price=10_000, stock=10)
    buyer, address = await member("买家", upline=upline, wallet=100_000)

    placed = await buy(api, buyer, address, sku.id, 1)

    amounts = {(c.kind, c.level): c.amount for c in await Commission.filter(order_id=pk_of(placed["orders"][0]["id"]))}
    assert amounts == {("DISTRIBUTION", 1): 9_500, ("AGENT", 1): 100, ("AGENT", 2): 200, ("AGENT", 3): 200}
    assert sum(amounts.values()) == 10_000
    assert await ledger.check_invariants() == []


async def test_an_ended_or_disabled_agent_earns_nothing_on_later_orders(api):
    province, city, county = await agents_of_the_county(api)
    nodes = (await api(AGENTS, {"r": CITY, "a": True}, token=await admin_token()))["regionalAgents"]["nodes"]
    assert (await api(END, {"id": nodes[0]["id"]}, token=await admin_token()))["endRegionalAgent"]["errors"] == []
    from models.accounts import User

    await User.filter(id=province.id).update(is_active=False)
    merchant, _, [sku] = await make_shop(price=10_000, stock=10)
    buyer, address = await member("买家", wallet=100_000)
    await buy(api, buyer, address, sku.id, 1)
    assert await Commission.filter(kind="AGENT").values_list("level", flat=True) == [3]


# --------------------------------------------------------------------------- settings


async def test_partner_settings_are_validated_as_a_whole_audited_and_apply_to_later_orders(api):
    admin = await admin_token()
    defaults = (await api(READ_TERMS, token=admin))["partnerSettings"]
    assert defaults == {
        "provinceRateBp": 100,
        "cityRateBp": 200,
        "countyRateBp": 300,
        "storeShareBp": 500,
        "pickupReward": {"amount": "2.00"},
        "updatedAt": None,
    }
    good = {"provinceRateBp": 50, "cityRateBp": 150, "countyRateBp": 250, "storeShareBp": 300, "pickupReward": "5.00"}
    bad = [
        ({"provinceRateBp": -1}, "INVALID_RATE", "provinceRateBp"),
        ({"countyRateBp": 1_001}, "INVALID_RATE", "countyRateBp"),
        ({"storeShareBp": 299}, "INVALID_RATE", "storeShareBp"),  # 3-20 %
        ({"storeShareBp": 2_001}, "INVALID_RATE", "storeShareBp"),
        ({"pickupReward": "-0.01"}, "INVALID_AMOUNT", "pickupReward"),
        ({"pickupReward": "1000.01"}, "INVALID_AMOUNT", "pickupReward"),
    ]
    for change, code, field in bad:
        result = (await api(TERMS, {"i": {**good, **change}}, token=admin))["updatePartnerSettings"]
        assert result == {"settings": None, "errors": [{"code": code, "field": at(field)}]}, change
    assert (await api(READ_TERMS, token=admin))["partnerSettings"] == defaults
    assert await PartnerSettingsChange.all().count() == 0
    assert await api.error_code(TERMS, {"i": good}, token=await token_for(await make_user("路人"))) == "FORBIDDEN"

    saved = (await api(TERMS, {"i": good}, token=admin))["updatePartnerSettings"]
    assert saved["errors"] == [] and saved["settings"]["countyRateBp"] == 250 and saved["settings"]["updatedAt"]
    change = await PartnerSettingsChange.get()
    assert change.before["county_rate_bp"] == 300 and change.after["county_rate_bp"] == 250

    _, _, county = await agents_of_the_county(api)
    merchant, _, [sku] = await make_shop(price=10_000, stock=10)
    buyer, address = await member("买家", wallet=100_000)
    await buy(api, buyer, address, sku.id, 1)
    assert [c["amount"]["amount"] for c in await earned(api, county)] == ["2.50"]


# --------------------------------------------------------------------------- live


async def test_the_agent_hears_of_its_commission_live_with_its_kind(app, api):
    _, _, county = await agents_of_the_county(api)
    merchant, _, [sku] = await make_shop(price=10_000, stock=10)
    buyer, address = await member("阿强", wallet=100_000)
    query = "subscription { myCommissionEvents { kind commission { kind level regionCode amount { amount } buyerNickname } } }"
    client, connect = await open_ws(app, "graphql-transport-ws")
    async with client, connect as ws:
        ws_client = WsClient(ws, "graphql-transport-ws")
        await ws_client.init(await token_for(county))
        await ws.send_text(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": query}}))
        await wait_for_listener(user_channel(county.id))
        await buy(api, buyer, address, sku.id, 1)
        event = (await ws_client.recv())["payload"]["data"]["myCommissionEvents"]
        assert event == {
            "kind": "CREATED",
            "commission": {
                "kind": "AGENT",
                "level": 3,
                "regionCode": COUNTY,
                "amount": {"amount": "3.00"},
                "buyerNickname": "阿*",
            },
        }
