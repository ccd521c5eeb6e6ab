"""Three-level distribution end to end through GraphQL (DIS-1, DIS-2, DIS-4, live): the seed's
worked example to the fen (with the consignment example), the chain A→B→C→D, self-purchase,
pro rata reversals, reversal after release recorded as debt, risk review, bad settings that
change nothing, permissions, and the live commission events."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import timedelta

from jobs import consignment as consignment_jobs
from jobs import distribution as distribution_jobs
from models.accounts import Address
from models.distribution import Commission, DistributionConfigChange
from models.ledger import JournalTransaction
from services.accounts import access
from services.core import clock
from services.core.events import unit_of_work, user_channel
from services.core.money import fen_to_decimal_string as yuan
from services.distribution import commissions, grades
from services.ledger import ledger
from services.ledger.ledger import MERCHANT, Purpose
from tests.api.test_subscriptions import WsClient, open_ws, wait_for_listener
from tests.catalog_factories import make_staff
from tests.helpers import at, gid, make_user, pk_of, token_for
from tests.order_factories import fund_wallet, make_consignment_pair, make_shop

PLACE = """mutation($input: PlaceOrderInput!) { placeOrder(input: $input) {
  payment { id } orders { id orderNo lines { id } } errors { code field } } }"""
PAY = "mutation($id: ID!) { payWithWallet(paymentId: $id) { payment { status } errors { code } } }"
SETTINGS = """mutation($i: DistributionSettingsInput!) { updateDistributionSettings(input: $i) {
  settings { levels rules { level kind amount { amount } rateBp } gradeRules { grade level kind amount { amount } rateBp } selfPurchase freezeDays updatedAt }
  errors { code field } } }"""
READ_SETTINGS = "{ distributionSettings { levels rules { level kind amount { amount } rateBp } gradeRules { grade level } selfPurchase freezeDays updatedAt } }"
COMMISSIONS = """query($s: CommissionStatus) { myCommissions(status: $s) { nodes { id level status orderNo buyerNickname
  base { amount } amount { amount } reversed { amount } debtRecorded { amount } availableAt releasesAt rejectReason } } }"""
SUMMARY = "{ myCommissionSummary { pending { amount } available { amount } reversed { amount } rejected { amount } debt { amount } } }"
WALLET = "{ myWallet { available { amount } commissionPending { amount } consignmentPending { amount } } }"
REQUEST = """mutation($line: ID!, $q: Int!) { requestAfterSale(lineId: $line, kind: REFUND_ONLY, quantity: $q, reason: "不想要了") {
  afterSale { id } errors { code } } }"""
APPROVE = "mutation($id: ID!) { approveAfterSale(id: $id) { afterSale { status } errors { code } } }"
REJECT = "mutation($id: ID!, $r: String!) { rejectCommission(id: $id, reason: $r) { commission { status rejectReason } errors { code field } } }"


# --------------------------------------------------------------------------- helpers


async def admin_token() -> str:
    return await token_for(await make_user("admin", roles=("admin",)))


def rule(kind: str, value: int) -> dict:
    """A rule's input fields: FIXED takes an amount (given here in fen), PERCENT basis points."""
    return {"kind": kind, **({"amount": yuan(value)} if kind == "FIXED" else {"rateBp": value})}


async def configure(api, rules, *, self_purchase=False, freeze_days=7, grade_rules=(), token=None) -> dict:
    data = {
        "levels": len(rules),
        "rules": [{"level": i + 1, **rule(k, v)} for i, (k, v) in enumerate(rules)],
        "selfPurchase": self_purchase,
        "freezeDays": freeze_days,
        "gradeRules": [{"grade": g, "level": lv, **rule(k, v)} for g, lv, k, v in grade_rules],
    }
    result = (await api(SETTINGS, {"i": data}, token=token or await admin_token()))["updateDistributionSettings"]
    assert result["errors"] == [], result
    return result["settings"]


async def member(nickname: str, upline=None, wallet: int = 0):
    """A user bound under `upline`, with a default address and wallet money."""
    user = await make_user(nickname, upline=upline)
    address = await Address.create(
        user_id=user.id,
        recipient="张三",
        phone="+8613900000000",
        province_code="330000",
        city_code="330100",
        county_code="330106",
        region_name="浙江省杭州市西湖区",
        detail="文三路 1 号",
        is_default=True,
    )
    if wallet:
        await fund_wallet(user, wallet)
    return user, address


async def buyer_under_three_levels(wallet: int = 100_000):
    """Three levels at 10 %, 5 % and 2 % (set by an admin, returned), and a buyer with an
    address and wallet money under a chain of three distributors."""
    admin = await make_user("admin", roles=("admin",))
    await commissions.update_settings(
        await access.load_grants(admin.id),
        admin.id,
        levels=3,
        rules=[(1, "PERCENT", 1000), (2, "PERCENT", 500), (3, "PERCENT", 200)],
        self_purchase=False,
        freeze_days=7,
    )
    top, _ = await member("一级")
    middle, _ = await member("二级", upline=top)
    near, _ = await member("三级", upline=middle)
    buyer, address = await member("买家", upline=near, wallet=wallet)
    return admin, buyer, address


async def buy(api, user, address, sku_id, quantity=1) -> dict:
    token = await token_for(user)
    data = {
        "idempotencyKey": uuid.uuid4().hex,
        "items": [{"skuId": gid("Sku", sku_id), "quantity": quantity}],
        "addressId": gid(address),
    }
    placed = (await api(PLACE, {"input": data}, token=token))["placeOrder"]
    assert placed["errors"] == [], placed
    paid = (await api(PAY, {"id": placed["payment"]["id"]}, token=token))["payWithWallet"]
    assert paid["errors"] == [], paid
    return placed


async def finish(api, merchant, placed, buyer) -> None:
    staff = await token_for(await make_staff(merchant, ["merchant.orders"]))
    for order in placed["orders"]:
        shipped = await api(
            'mutation($id: ID!) { shipOrder(orderId: $id, carrier: "SF", trackingNo: "SF0000001") { errors { code } } }',
            {"id": order["id"]},
            token=staff,
        )
        assert shipped["shipOrder"]["errors"] == []
        done = await api(
            "mutation($id: ID!) { confirmReceipt(orderId: $id) { errors { code } } }",
            {"id": order["id"]},
            token=await token_for(buyer),
        )
        assert done["confirmReceipt"]["errors"] == []


async def refund(api, merchant, placed, buyer, quantity) -> None:
    line_id = placed["orders"][0]["lines"][0]["id"]
    asked = (await api(REQUEST, {"line": line_id, "q": quantity}, token=await token_for(buyer)))["requestAfterSale"]
    assert asked["errors"] == [], asked
    staff = await token_for(await make_staff(merchant, ["merchant.orders"]))
    approved = (await api(APPROVE, {"id": asked["afterSale"]["id"]}, token=staff))["approveAfterSale"]
    assert approved["errors"] == [], approved


async def mine(api, user, status=None) -> list[dict]:
    return (await api(COMMISSIONS, {"s": status}, token=await token_for(user)))["myCommissions"]["nodes"]


async def summary(api, user) -> dict:
    data = (await api(SUMMARY, token=await token_for(user)))["myCommissionSummary"]
    return {k: v["amount"] for k, v in data.items()}


async def wallet(api, user) -> dict:
    data = (await api(WALLET, token=await token_for(user)))["myWallet"]
    return {k: v["amount"] for k, v in data.items()}


async def merchant_pending(merchant) -> int:
    return (await ledger.get_account(MERCHANT, merchant.id, Purpose.MERCHANT_PENDING)).balance


async def promotion_budget() -> int:
    return (await ledger.platform_account(Purpose.PROMOTION_EXPENSE)).balance


# --------------------------------------------------------------------------- the seed's worked example


async def test_the_seeds_worked_example_consignment_gain_plus_promotion_commission(api):
    """B buys 1 retail unit (2200) and 2 wholesale units (880), consigns both; C and D, bound
    under B, each buy one retail unit through B's link: their units are B's consigned ones
    (B gets 4400 × 80 % = 3520) and B earns 2 × 100 = 200 promotion commission."""
    await configure(api, [("FIXED", 10_000)])  # 100 yuan per retail unit at level 1
    merchant, retail, wholesale = await make_consignment_pair(retail_price=220_000, wholesale_price=44_000, vouchers=2)
    b, b_address = await member("小B", wallet=308_000)
    await buy(api, b, b_address, retail.id, 1)
    bought = await buy(api, b, b_address, wholesale.id, 2)
    consign = await api(
        "mutation($l: ID!) { consignFromOrderLine(lineId: $l, quantity: 2) { errors { code } } }",
        {"l": bought["orders"][0]["lines"][0]["id"]},
        token=await token_for(b),
    )
    assert consign["consignFromOrderLine"]["errors"] == []
    assert await Commission.all().count() == 0  # B has no upline: B's own purchases pay nobody

    budget = await promotion_budget()
    c, c_address = await member("小C", upline=b, wallet=220_000)
    d, d_address = await member("小D", upline=b, wallet=220_000)
    budget -= 2 * 220_000  # the test funded C's and D's wallets from the promotion budget
    later = [(await buy(api, c, c_address, retail.id, 1), c), (await buy(api, d, d_address, retail.id, 1), d)]

    assert await wallet(api, b) == {"available": "0.00", "commissionPending": "200.00", "consignmentPending": "3520.00"}
    nodes = await mine(api, b)
    assert [
        (n["level"], n["status"], n["amount"]["amount"], n["base"]["amount"], n["buyerNickname"]) for n in nodes
    ] == [(1, "FROZEN", "100.00", "2200.00", "小*"), (1, "FROZEN", "100.00", "2200.00", "小*")]
    assert {n["orderNo"] for n in nodes} == {p["orders"][0]["orderNo"] for p, _ in later}
    assert all(n["releasesAt"] is None and n["availableAt"] is None for n in nodes)
    # self-operated goods whose money went to the consignment seller: the platform's promotion budget pays
    assert await promotion_budget() == budget - 20_000
    assert await merchant_pending(merchant) == 308_000  # only B's own purchases stayed with the merchant

    for placed, buyer in later:
        await finish(api, merchant, placed, buyer)
    assert all(n["releasesAt"] is not None for n in await mine(api, b))
    assert await distribution_jobs.release_commissions() == "released 0 commissions"  # still frozen
    clock.advance(timedelta(days=7, seconds=1))
    await consignment_jobs.settle_consignments()
    assert await distribution_jobs.release_commissions() == "released 2 commissions"
    assert await wallet(api, b) == {"available": "3720.00", "commissionPending": "0.00", "consignmentPending": "0.00"}
    assert 372_000 - 308_000 == 44_000 + 20_000  # net gain 440 over the 3080 spent, plus 200 commission
    assert await summary(api, b) == {
        "pending": "0.00",
        "available": "200.00",
        "reversed": "0.00",
        "rejected": "0.00",
        "debt": "0.00",
    }
    assert [n["status"] for n in await mine(api, b)] == ["SETTLED", "SETTLED"]
    assert await distribution_jobs.release_commissions() == "released 0 commissions"  # idempotent
    assert await ledger.check_invariants() == []


# --------------------------------------------------------------------------- who is paid


async def test_chain_pays_each_level_once_and_nobody_else(api):
    await configure(api, [("PERCENT", 1000), ("PERCENT", 500), ("PERCENT", 200)])
    merchant, product, [sku] = await make_shop(price=10_000, stock=50, shipping_fee=800)
    a, _ = await member("阿A")
    b, _ = await member("阿B", upline=a)
    c, _ = await member("阿C", upline=b)
    d, d_address = await member("阿D", upline=c, wallet=100_000)
    e, _ = await member("阿E", upline=d)  # D's own team does not earn on D's purchases
    await buy(api, d, d_address, sku.id, 1)

    earned = {
        u.nickname: [(n["level"], n["amount"]["amount"], n["base"]["amount"]) for n in await mine(api, u)]
        for u in (a, b, c, d, e)
    }
    assert earned == {
        "阿A": [(3, "2.00", "100.00")],
        "阿B": [(2, "5.00", "100.00")],
        "阿C": [(1, "10.00", "100.00")],
        "阿D": [],
        "阿E": [],
    }
    assert await Commission.all().count() == 3
    # a third-party merchant pays from its pending money; shipping is no part of the base
    assert await merchant_pending(merchant) == 10_800 - 1_700
    assert await JournalTransaction.filter(kind="COMMISSION_BOOKED").count() == 1  # one journal transaction per order

    await configure(api, [("PERCENT", 1000), ("PERCENT", 500)])  # two levels: A is no longer paid
    await buy(api, d, d_address, sku.id, 2)
    assert [n["amount"]["amount"] for n in await mine(api, a)] == ["2.00"]
    assert [n["amount"]["amount"] for n in await mine(api, b)] == ["10.00", "5.00"]
    assert [n["amount"]["amount"] for n in await mine(api, c)] == ["20.00", "10.00"]
    assert await ledger.check_invariants() == []


async def test_self_purchase_on_and_off(api):
    merchant, product, [sku] = await make_shop(price=10_000, stock=50)
    a, _ = await member("阿A")
    b, _ = await member("阿B", upline=a)
    c, c_address = await member("阿C", upline=b, wallet=100_000)
    await configure(api, [("PERCENT", 1000), ("PERCENT", 500)], self_purchase=True)
    await buy(api, c, c_address, sku.id, 1)
    assert [(n["level"], n["amount"]["amount"]) for n in await mine(api, c)] == [(1, "10.00")]
    assert [(n["level"], n["amount"]["amount"]) for n in await mine(api, b)] == [(2, "5.00")]
    assert await mine(api, a) == []  # only two levels: the chain ends at B

    await configure(api, [("PERCENT", 1000), ("PERCENT", 500)], self_purchase=False)
    await buy(api, c, c_address, sku.id, 1)
    assert len(await mine(api, c)) == 1  # nothing new for the buyer
    assert [(n["level"], n["amount"]["amount"]) for n in await mine(api, b)] == [(1, "10.00"), (2, "5.00")]
    assert [(n["level"], n["amount"]["amount"]) for n in await mine(api, a)] == [(2, "5.00")]
    assert await ledger.check_invariants() == []


async def test_product_overrides_grade_rules_and_disabled_products(api):
    merchant, _, [plain] = await make_shop(price=10_000, stock=50)
    _, _, [special] = await make_shop(price=10_000, stock=50, distribution_rates={1: 3000})
    _, _, [off] = await make_shop(price=10_000, stock=50, distribution_enabled=False)
    b, _ = await member("阿B")
    c, c_address = await member("阿C", upline=b, wallet=100_000)
    await configure(api, [("PERCENT", 1000)], grade_rules=[("V2", 1, "FIXED", 1234)])
    await buy(api, c, c_address, special.id, 1)  # the product's own rate: 30 %
    await buy(api, c, c_address, off.id, 1)  # distribution off: nothing
    await buy(api, c, c_address, plain.id, 1)  # the level's rule: 10 %
    async with unit_of_work() as conn:
        await grades.set_grade(b.id, "V2", source="ADMIN", conn=conn)
    await buy(api, c, c_address, plain.id, 2)  # B is V2 now: the grade's rule, fixed per unit
    assert [n["amount"]["amount"] for n in await mine(api, b)] == ["24.68", "10.00", "30.00"]
    assert await ledger.check_invariants() == []


# --------------------------------------------------------------------------- refunds


async def test_partial_refunds_reverse_pro_rata_and_every_unit_returns_exactly_the_booking(api):
    await configure(api, [("PERCENT", 1000)])
    merchant, _, [sku] = await make_shop(price=3337, stock=10, shipping_fee=500)
    c, _ = await member("阿C")
    d, d_address = await member("阿D", upline=c, wallet=100_000)
    placed = await buy(api, d, d_address, sku.id, 3)  # goods 10011 + shipping 500
    [booked] = await mine(api, c)
    assert (booked["base"]["amount"], booked["amount"]["amount"]) == ("100.11", "10.01")
    assert await merchant_pending(merchant) == 10_511 - 1001

    await refund(api, merchant, placed, d, 1)  # one of three units: 1001 × 1 // 3 = 333
    [one] = await mine(api, c)
    assert (one["status"], one["reversed"]["amount"]) == ("FROZEN", "3.33")
    assert (await wallet(api, c))["commissionPending"] == "6.68"
    assert await merchant_pending(merchant) == 10_511 - 1001 + 333 - 3337

    await refund(api, merchant, placed, d, 2)  # the rest: 1001 − 333 = 668, and the shipping fee goes back
    [done] = await mine(api, c)
    assert (done["status"], done["reversed"]["amount"]) == ("REVERSED", "10.01")
    assert (await wallet(api, c))["commissionPending"] == "0.00"
    assert await summary(api, c) == {
        "pending": "0.00",
        "available": "0.00",
        "reversed": "10.01",
        "rejected": "0.00",
        "debt": "0.00",
    }
    assert await merchant_pending(merchant) == 0
    assert await ledger.check_invariants() == []


async def test_refund_after_release_takes_the_wallet_then_records_debt_repaid_by_the_next_commission(api):
    await configure(api, [("FIXED", 1000)], freeze_days=0)
    merchant, _, [sku] = await make_shop(price=10_000, stock=10)
    _, _, [cheap] = await make_shop(price=600, stock=10)
    c, c_address = await member("阿C")
    d, d_address = await member("阿D", upline=c, wallet=100_000)
    placed = await buy(api, d, d_address, sku.id, 1)
    await finish(api, merchant, placed, d)
    assert await distribution_jobs.release_commissions() == "released 1 commissions"
    assert (await wallet(api, c))["available"] == "10.00"
    await buy(api, c, c_address, cheap.id, 1)  # C spends 6.00 of it
    assert (await wallet(api, c))["available"] == "4.00"

    await refund(api, merchant, placed, d, 1)  # after-sales window still open on the completed order
    [gone] = await mine(api, c)
    assert (gone["status"], gone["reversed"]["amount"], gone["debtRecorded"]["amount"]) == ("REVERSED", "10.00", "6.00")
    assert (await wallet(api, c))["available"] == "0.00"
    assert await summary(api, c) == {
        "pending": "0.00",
        "available": "0.00",
        "reversed": "10.00",
        "rejected": "0.00",
        "debt": "6.00",
    }
    assert (await ledger.user_account(c.id, Purpose.COMMISSION_DEBT)).balance == -600
    assert await merchant_pending(merchant) == 0  # the merchant got its full 10.00 back before refunding the buyer
    assert await ledger.check_invariants() == []

    again = await buy(api, d, d_address, sku.id, 1)
    await finish(api, merchant, again, d)
    assert await distribution_jobs.release_commissions() == "released 1 commissions"
    assert (await wallet(api, c))["available"] == "4.00"  # 10.00 released: 6.00 repaid the debt first
    assert (await summary(api, c))["debt"] == "0.00"
    assert await ledger.check_invariants() == []


# --------------------------------------------------------------------------- risk review, settings, permissions


async def test_admin_rejects_a_pending_commission_and_the_money_goes_back(api):
    await configure(api, [("PERCENT", 1000)], freeze_days=0)
    merchant, _, [sku] = await make_shop(price=10_000, stock=10)
    c, _ = await member("阿C")
    d, d_address = await member("阿D", upline=c, wallet=100_000)
    first = await buy(api, d, d_address, sku.id, 1)
    second = await buy(api, d, d_address, sku.id, 1)
    one, other = sorted(await mine(api, c), key=lambda n: pk_of(n["id"]))
    admin = await admin_token()
    customer = await token_for(await make_user())
    assert await api.error_code(REJECT, {"id": one["id"], "r": "刷单"}, token=customer) == "FORBIDDEN"
    support = await token_for(await make_user(roles=("support",)))
    assert await api.error_code(REJECT, {"id": one["id"], "r": "刷单"}, token=support) == "FORBIDDEN"
    assert (await api(REJECT, {"id": one["id"], "r": "  "}, token=admin))["rejectCommission"]["errors"] == [
        {"code": "INVALID_INPUT", "field": ["reason"]}
    ]
    assert (await api(REJECT, {"id": gid("Commission", 999999), "r": "x"}, token=admin))["rejectCommission"][
        "errors"
    ] == [{"code": "NOT_FOUND", "field": ["id"]}]

    rejected = (await api(REJECT, {"id": one["id"], "r": "刷单"}, token=admin))["rejectCommission"]
    assert rejected == {"commission": {"status": "REJECTED", "rejectReason": "刷单"}, "errors": []}
    assert (await api(REJECT, {"id": one["id"], "r": "again"}, token=admin))["rejectCommission"]["errors"][0][
        "code"
    ] == "INVALID_TRANSITION"
    assert await merchant_pending(merchant) == 20_000 - 1000  # one commission went back to the merchant
    assert await summary(api, c) == {
        "pending": "10.00",
        "available": "0.00",
        "reversed": "0.00",
        "rejected": "10.00",
        "debt": "0.00",
    }

    await finish(api, merchant, first, d)
    await finish(api, merchant, second, d)
    assert await distribution_jobs.release_commissions() == "released 1 commissions"  # the rejected one stays rejected
    assert (await api(REJECT, {"id": other["id"], "r": "late"}, token=admin))["rejectCommission"]["errors"][0][
        "code"
    ] == "INVALID_TRANSITION"
    assert (await wallet(api, c))["available"] == "10.00"
    assert await ledger.check_invariants() == []


async def test_bad_settings_have_stable_codes_and_change_nothing(api):
    admin = await admin_token()
    saved = await configure(api, [("PERCENT", 1000), ("FIXED", 50)], token=admin)
    assert saved["rules"] == [
        {"level": 1, "kind": "PERCENT", "amount": None, "rateBp": 1000},
        {"level": 2, "kind": "FIXED", "amount": {"amount": "0.50"}, "rateBp": None},
    ]
    changes = await DistributionConfigChange.all().count()
    before = (await api(READ_SETTINGS, token=admin))["distributionSettings"]

    def rules(*pairs):
        return [{"level": i + 1, **rule(k, v)} for i, (k, v) in enumerate(pairs)]

    cases = [
        ({"levels": 4, "rules": rules(*[("FIXED", 1)] * 4)}, "DISTRIBUTION_LEVELS_EXCEEDED", "levels"),
        ({"levels": 2, "rules": rules(("PERCENT", 6000), ("PERCENT", 4001))}, "COMMISSION_RATES_EXCEED_BASE", "rules"),
        ({"levels": 1, "rules": rules(("PERCENT", 10_001))}, "COMMISSION_RATES_EXCEED_BASE", "rules"),
        ({"levels": 1, "rules": rules(("FIXED", -1))}, "INVALID_RATE", "rules"),
        ({"levels": 1, "rules": rules(("PERCENT", -100))}, "INVALID_RATE", "rules"),
        ({"levels": 2, "rules": rules(("PERCENT", 100))}, "INVALID_INPUT", "rules"),
        ({"levels": 1, "rules": rules(("PERCENT", 100)), "freezeDays": -1}, "INVALID_INPUT", "freezeDays"),
        (
            {
                "levels": 1,
                "rules": rules(("PERCENT", 100)),
                "gradeRules": [{"grade": "V9", "level": 1, **rule("FIXED", 1)}],
            },
            "INVALID_INPUT",
            "gradeRules",
        ),
    ]
    for data, code, field in cases:
        data = {"selfPurchase": True, "freezeDays": 3, **data}
        result = (await api(SETTINGS, {"i": data}, token=admin))["updateDistributionSettings"]
        assert result == {"settings": None, "errors": [{"code": code, "field": at(field)}]}, data
    assert (await api(READ_SETTINGS, token=admin))["distributionSettings"] == before
    assert await DistributionConfigChange.all().count() == changes


async def test_settings_defaults_audit_and_permissions(api):
    admin_user = await make_user("admin", roles=("admin",))
    admin = await token_for(admin_user)
    defaults = (await api(READ_SETTINGS, token=admin))["distributionSettings"]
    assert defaults["levels"] == 3 and defaults["updatedAt"] is None and defaults["selfPurchase"] is False
    customer = await token_for(await make_user())
    assert await api.error_code(READ_SETTINGS, token=customer) == "FORBIDDEN"
    assert await api.error_code(READ_SETTINGS) == "UNAUTHENTICATED"
    data = {"levels": 1, "rules": [{"level": 1, **rule("FIXED", 1)}], "selfPurchase": False, "freezeDays": 1}
    assert await api.error_code(SETTINGS, {"i": data}, token=customer) == "FORBIDDEN"
    finance = await token_for(await make_user(roles=("finance",)))
    assert await api.error_code(SETTINGS, {"i": data}, token=finance) == "FORBIDDEN"
    saved = await configure(api, [("FIXED", 1)], freeze_days=1, grade_rules=[("V3", 1, "PERCENT", 500)], token=admin)
    assert (
        saved["gradeRules"] == [{"grade": "V3", "level": 1, "kind": "PERCENT", "amount": None, "rateBp": 500}]
        and saved["updatedAt"]
    )
    change = await DistributionConfigChange.get()
    assert change.actor_id == admin_user.id and change.before["levels"] == 3 and change.after["levels"] == 1
    assert (await commissions.current_config()).freeze_days == 1


async def test_my_commissions_are_mine_only(api):
    await configure(api, [("PERCENT", 1000)])
    _, _, [sku] = await make_shop(price=10_000, stock=10)
    b, _ = await member("阿B")
    c, c_address = await member("阿C", upline=b, wallet=100_000)
    stranger, _ = await member("路人")
    await buy(api, c, c_address, sku.id, 1)
    assert len(await mine(api, b)) == 1
    assert await mine(api, stranger) == [] and await mine(api, c) == []
    assert await api.error_code(COMMISSIONS) == "UNAUTHENTICATED"
    assert (await api(COMMISSIONS, {"s": "SETTLED"}, token=await token_for(b)))["myCommissions"]["nodes"] == []


async def test_two_release_runs_at_once_release_each_commission_once(api):
    await configure(api, [("FIXED", 100)], freeze_days=0)
    merchant, _, [sku] = await make_shop(price=1000, stock=50)
    b, _ = await member("阿B")
    buyers = [await member(f"买{i}", upline=b, wallet=10_000) for i in range(4)]
    for user, address in buyers:
        await finish(api, merchant, await buy(api, user, address, sku.id, 1), user)
    counts = await asyncio.gather(commissions.release_due(), commissions.release_due())
    assert sum(counts) == 4
    assert (await wallet(api, b))["available"] == "4.00"
    assert await JournalTransaction.filter(kind="COMMISSION_RELEASED").count() == 4
    assert await ledger.check_invariants() == []


# --------------------------------------------------------------------------- live


async def test_beneficiary_hears_of_a_new_commission_live(app, api):
    await configure(api, [("PERCENT", 1000)])
    _, _, [sku] = await make_shop(price=10_000, stock=10)
    b, _ = await member("阿B")
    c, c_address = await member("阿强", upline=b, wallet=100_000)
    query = "subscription { myCommissionEvents { kind amount { amount } commission { level status amount { amount } buyerNickname } } }"
    client, connect = await open_ws(app, "graphql-transport-ws")
    async with client, connect as ws:
        ws_client = WsClient(ws, "graphql-transport-ws")
        await ws_client.init(await token_for(b))
        await ws.send_text(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": query}}))
        await wait_for_listener(user_channel(b.id))
        await buy(api, c, c_address, sku.id, 1)
        event = (await ws_client.recv())["payload"]["data"]["myCommissionEvents"]
        assert event == {
            "kind": "CREATED",
            "amount": None,
            "commission": {"level": 1, "status": "FROZEN", "amount": {"amount": "10.00"}, "buyerNickname": "阿*"},
        }
