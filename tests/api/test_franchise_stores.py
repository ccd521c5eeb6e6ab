"""Franchise stores (MEM-3) through GraphQL: naming a store's franchisee (admin or the
merchant's owner, audited), binding to a store by its invite code (once; stable codes; bad
input changes nothing), the store's share of its members' orders, the pickup reward booked
when the pickup is verified at that store, pro-rata reversal (also of a reward booked after
a partial refund), release, and the cap shared with distribution and agents."""

from __future__ import annotations

from models.agents import StoreFranchise, StoreFranchiseChange, StoreMember
from models.distribution import Commission
from services.distribution import commissions
from services.ledger import ledger
from tests.api.test_agents import buy, earned, store_in
from tests.api.test_distribution import admin_token, configure, member, merchant_pending, wallet
from tests.catalog_factories import make_staff
from tests.helpers import gid, make_user, pk_of, token_for
from tests.order_factories import make_shop

FRANCHISEE = """mutation($s: ID!, $u: ID!) { setStoreFranchisee(storeId: $s, userId: $u) {
  franchise { storeId franchisee { id } inviteCode memberCount store { name } } errors { code field } } }"""
BIND = "mutation($c: String!) { bindStore(code: $c) { membership { store { id } boundAt } errors { code field } } }"
MY_STORE = "{ myStoreMembership { store { id } } }"
MY_STORES = "{ myFranchiseStores { storeId inviteCode memberCount } }"
VERIFY = "mutation($s: ID!, $c: String!) { verifyPickup(storeId: $s, code: $c) { order { status } errors { code } } }"
REQUEST = """mutation($line: ID!, $q: Int!) { requestAfterSale(lineId: $line, kind: REFUND_ONLY, quantity: $q, reason: "不想要了") {
  afterSale { id } errors { code } } }"""
APPROVE = "mutation($id: ID!) { approveAfterSale(id: $id) { afterSale { status } errors { code } } }"
CONFIRM = "mutation($id: ID!) { confirmReceipt(orderId: $id) { errors { code } } }"


async def franchise_store(api, *, province="330000", city="330100", county="330106"):
    """A third-party shop with a store whose franchisee is named by the merchant's owner."""
    merchant, _, [sku] = await make_shop(price=10_000, stock=50)
    store = await store_in(merchant, province, city, county)
    franchisee = await make_user("加盟商")
    owner = await token_for(await merchant.owner)
    named = (await api(FRANCHISEE, {"s": gid(store), "u": gid(franchisee)}, token=owner))["setStoreFranchisee"]
    assert named["errors"] == [], named
    return merchant, sku, store, franchisee


async def bind(api, user, code) -> dict:
    return (await api(BIND, {"c": code}, token=await token_for(user)))["bindStore"]


async def refund(api, merchant, placed, buyer, quantity):
    line_id = placed["orders"][0]["lines"][0]["id"]
    asked = (await api(REQUEST, {"line": line_id, "q": quantity}, token=await token_for(buyer)))["requestAfterSale"]
    assert asked["errors"] == [], asked
    staff = await token_for(await make_staff(merchant, ["merchant.orders"]))
    assert (await api(APPROVE, {"id": asked["afterSale"]["id"]}, token=staff))["approveAfterSale"]["errors"] == []


async def verify(api, merchant, store, placed) -> dict:
    staff = await token_for(await make_staff(merchant, ["merchant.orders"]))
    return (await api(VERIFY, {"s": gid(store), "c": placed["orders"][0]["pickupCode"]}, token=staff))["verifyPickup"]


# --------------------------------------------------------------------------- franchisee and binding


async def test_naming_a_franchisee_needs_the_owner_or_an_admin_and_is_audited(api):
    merchant, _, store, franchisee = await franchise_store(api)
    other_shop, _, _ = await make_shop()
    someone = await make_user("别人")
    variables = {"s": gid(store), "u": gid(someone)}
    for token in (
        await token_for(someone),
        await token_for(await other_shop.owner),
        await token_for(await make_staff(merchant, ["merchant.orders"])),
    ):
        assert (await api(FRANCHISEE, variables, token=token))["setStoreFranchisee"]["errors"] == [
            {"code": "FORBIDDEN", "field": None}
        ]
    admin = await admin_token()
    missing = await api(FRANCHISEE, {"s": gid(store), "u": gid("User", 999999)}, token=admin)
    assert missing["setStoreFranchisee"]["errors"] == [{"code": "NOT_FOUND", "field": ["userId"]}]
    no_store = await api(FRANCHISEE, {"s": gid("Store", 999999), "u": gid(someone)}, token=admin)
    assert no_store["setStoreFranchisee"]["errors"] == [{"code": "NOT_FOUND", "field": ["storeId"]}]
    assert (await StoreFranchise.get(store_id=store.id)).franchisee_id == franchisee.id
    assert await StoreFranchiseChange.all().count() == 1

    replaced = (await api(FRANCHISEE, variables, token=admin))["setStoreFranchisee"]
    assert replaced["errors"] == [] and replaced["franchise"]["franchisee"] == {"id": gid(someone)}
    assert replaced["franchise"]["inviteCode"] == store.invite_code
    changes = await StoreFranchiseChange.all().order_by("id").values_list("before_user_id", "after_user_id")
    assert changes == [(None, franchisee.id), (franchisee.id, someone.id)]
    assert (await api(MY_STORES, token=await token_for(someone)))["myFranchiseStores"] == [
        {"storeId": gid(store), "inviteCode": store.invite_code, "memberCount": 0}
    ]
    assert (await api(MY_STORES, token=await token_for(franchisee)))["myFranchiseStores"] == []


async def test_binding_by_code_once_with_stable_codes(api):
    merchant, _, store, franchisee = await franchise_store(api)
    other = await store_in(merchant, "330000", "330100", "330106")
    closed = await store_in(merchant, "330000", "330100", "330106")
    closed.is_active = False
    await closed.save()
    user = await make_user("会员")

    for code in ("", "NOPE0000", closed.invite_code):
        assert await bind(api, user, code) == {
            "membership": None,
            "errors": [{"code": "STORE_CODE_INVALID", "field": ["code"]}],
        }
    assert await StoreMember.all().count() == 0

    bound = await bind(api, user, f" {store.invite_code.lower()} ")  # codes are read case-insensitively, trimmed
    assert bound["errors"] == [] and bound["membership"]["store"] == {"id": gid(store)}
    for code in (store.invite_code, other.invite_code):
        assert await bind(api, user, code) == {
            "membership": None,
            "errors": [{"code": "STORE_ALREADY_BOUND", "field": ["code"]}],
        }
    assert await StoreMember.filter(user_id=user.id).values_list("store_id", flat=True) == [store.id]
    assert (await api(MY_STORE, token=await token_for(user)))["myStoreMembership"] == {"store": {"id": gid(store)}}
    assert (await api(MY_STORE, token=await token_for(franchisee)))["myStoreMembership"] is None
    assert (await api(MY_STORES, token=await token_for(franchisee)))["myFranchiseStores"][0]["memberCount"] == 1


# --------------------------------------------------------------------------- earning


async def test_the_store_earns_its_share_of_members_orders_reversed_and_released(api):
    await configure(api, [("PERCENT", 0)], freeze_days=0)
    merchant, sku, store, franchisee = await franchise_store(api)
    buyer, address = await member("会员", wallet=100_000)
    stranger, stranger_address = await member("路人", wallet=100_000)
    assert (await bind(api, buyer, store.invite_code))["errors"] == []
    pending = await merchant_pending(merchant)

    placed = await buy(api, buyer, address, sku.id, 2)  # express: the share does not depend on pickup
    await buy(api, stranger, stranger_address, sku.id, 1)  # not a member: nothing

    assert [(c["kind"], c["level"], c["amount"]["amount"]) for c in await earned(api, franchisee)] == [
        ("STORE_SHARE", 1, "10.00")
    ]
    assert await merchant_pending(merchant) == pending + 30_000 - 1_000

    await refund(api, merchant, placed, buyer, 1)
    assert [c["reversed"]["amount"] for c in await earned(api, franchisee)] == ["5.00"]
    staff = await token_for(await make_staff(merchant, ["merchant.orders"]))
    ship = 'mutation($id: ID!) { shipOrder(orderId: $id, carrier: "SF", trackingNo: "SF0000001") { errors { code } } }'
    assert (await api(ship, {"id": placed["orders"][0]["id"]}, token=staff))["shipOrder"]["errors"] == []
    assert (await api(CONFIRM, {"id": placed["orders"][0]["id"]}, token=await token_for(buyer)))["confirmReceipt"][
        "errors"
    ] == []
    assert await commissions.release_due() == 1
    assert (await wallet(api, franchisee))["available"] == "5.00"
    assert await ledger.check_invariants() == []


async def test_the_pickup_reward_is_booked_when_the_pickup_is_verified_at_that_store(api):
    await configure(api, [("PERCENT", 0)], freeze_days=0)
    merchant, sku, store, franchisee = await franchise_store(api)
    buyer, address = await member("会员", wallet=100_000)
    assert (await bind(api, buyer, store.invite_code))["errors"] == []
    placed = await buy(api, buyer, address, sku.id, 1, pickup=store)
    assert [c["kind"] for c in await earned(api, franchisee)] == ["STORE_SHARE"]  # the reward waits for the pickup

    wrong = await verify(api, merchant, store, {"orders": [{"pickupCode": "00000000"}]})
    assert wrong["errors"] == [{"code": "PICKUP_CODE_INVALID"}]
    assert await Commission.filter(kind="STORE_PICKUP").count() == 0

    assert (await verify(api, merchant, store, placed))["errors"] == []

    # the same franchisee earns both kinds on the same line
    assert [(c["kind"], c["amount"]["amount"]) for c in await earned(api, franchisee)] == [
        ("STORE_PICKUP", "2.00"),
        ("STORE_SHARE", "5.00"),
    ]
    assert (await api(CONFIRM, {"id": placed["orders"][0]["id"]}, token=await token_for(buyer)))["confirmReceipt"][
        "errors"
    ] == []
    assert await commissions.release_due() == 2
    assert (await wallet(api, franchisee))["available"] == "7.00"
    assert await ledger.check_invariants() == []


async def test_a_reward_booked_after_a_partial_refund_is_reversed_exactly_by_the_rest(api):
    merchant, sku, store, franchisee = await franchise_store(api)
    buyer, address = await member("买家", wallet=100_000)
    placed = await buy(api, buyer, address, sku.id, 3, pickup=store)
    await refund(api, merchant, placed, buyer, 1)  # before the pickup: 2 units are handed over
    assert (await verify(api, merchant, store, placed))["errors"] == []
    reward = await Commission.get(kind="STORE_PICKUP")
    assert (reward.amount, reward.base, reward.booked_refunded_quantity) == (200, 20_000, 1)
    pending = await merchant_pending(merchant)

    await refund(api, merchant, placed, buyer, 1)
    assert (await Commission.get(id=reward.id)).reversed_amount == 100
    await refund(api, merchant, placed, buyer, 1)

    reward = await Commission.get(id=reward.id)
    assert (reward.status, reward.reversed_amount) == ("REVERSED", 200)
    assert await merchant_pending(merchant) == pending - 20_000 + 200
    assert await ledger.check_invariants() == []


async def test_every_commission_of_a_line_together_never_exceeds_its_base(api):
    """Distribution 90 % + agents 1/2/3 % + store share 5 % + pickup 2.00 on a 100.00 line:
    distribution and agents take 96.00, the store share is cut to the last 4.00 and the pickup
    reward finds nothing left (no row)."""
    await configure(api, [("PERCENT", 9_000)])
    from tests.api.test_agents import agents_of_the_county

    await agents_of_the_county(api)
    merchant, sku, store, franchisee = await franchise_store(api)
    upline, _ = await member("上级")
    buyer, address = await member("会员", upline=upline, wallet=100_000)
    assert (await bind(api, buyer, store.invite_code))["errors"] == []
    placed = await buy(api, buyer, address, sku.id, 1, pickup=store)
    assert (await verify(api, merchant, store, placed))["errors"] == []

    rows = await Commission.filter(order_id=pk_of(placed["orders"][0]["id"]))
    amounts = {(c.kind, c.level): c.amount for c in rows}
    assert amounts == {
        ("DISTRIBUTION", 1): 9_000,
        ("AGENT", 1): 100,
        ("AGENT", 2): 200,
        ("AGENT", 3): 300,
        ("STORE_SHARE", 1): 400,
    }
    assert sum(amounts.values()) == 10_000
    assert await ledger.check_invariants() == []


async def test_my_stores_member_counts_cost_one_query_whatever_the_number_of_stores(api):
    from tests.querycount import count_queries

    merchant, _, store, franchisee = await franchise_store(api)
    owner = await token_for(await merchant.owner)
    token = await token_for(franchisee)
    counts = []
    for extra in range(3):
        with count_queries() as counter:
            stores = (await api(MY_STORES, token=token))["myFranchiseStores"]
        assert len(stores) == 1 + extra
        counts.append(counter.count)
        more = await store_in(merchant, "330000", "330100", "330106")
        named = (await api(FRANCHISEE, {"s": gid(more), "u": gid(franchisee)}, token=owner))["setStoreFranchisee"]
        assert named["errors"] == []
        assert (await bind(api, await make_user(f"会员{extra}"), more.invite_code))["errors"] == []
    assert counts[0] == counts[1] == counts[2]
    stores = (await api(MY_STORES, token=token))["myFranchiseStores"]
    assert sorted(s["memberCount"] for s in stores) == [0, 1, 1, 1]
