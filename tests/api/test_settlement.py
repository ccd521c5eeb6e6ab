"""Merchant settlement end to end (FIN-4): a statement's numbers from the ledger (two
categories at different rates, a refund, a merchant-funded distribution commission), its
lines, immutability and the late refund that lands in the next statement, approval that
moves the money once, idempotent generation, and who may read what."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta

import settings
from jobs import settlement as settlement_jobs
from models.orders import OrderLine
from models.settlement import SettlementStatement
from services.accounts.access import load_grants
from services.catalog import products as catalog
from services.core import clock
from services.finance import settlement
from services.ledger import ledger
from services.ledger.ledger import MERCHANT, Purpose
from services.merchants import merchants
from tests.api.ops_settlement import APPROVE, STATEMENT, STATEMENTS
from tests.api.test_distribution import APPROVE as APPROVE_AFTER_SALE
from tests.api.test_distribution import PAY, PLACE, REQUEST, configure, member
from tests.catalog_factories import make_merchant, make_product, make_staff, sku
from tests.conftest import requires_postgres
from tests.helpers import gid, make_user, pk_of, token_for


async def balance(owner_type, owner_id, purpose) -> int:
    return (await ledger.get_account(owner_type, owner_id, purpose)).balance


async def no_violations() -> None:
    assert await ledger.check_invariants() == []


async def scenario(api):
    """A third-party merchant at 5 %, 10 % in category A; product A 100.00 (category A),
    product B 200.00 (category B). Distribution: one level, 10 % (funded by the merchant).
    The buyer (referred) buys 2 × A and 1 × B in one order, then refunds 1 × A."""
    await configure(api, [("PERCENT", 1000)])
    merchant = await make_merchant(commission_rate_bp=500)
    cat_a = await catalog.create_category("服装")
    cat_b = await catalog.create_category("数码")
    await merchants.set_category_rate(merchant.id, cat_a.id, 1000)
    product_a = await make_product(merchant, cat_a.id, title="连衣裙", skus=[sku(price=10000, stock=10)])
    product_b = await make_product(merchant, cat_b.id, title="耳机", skus=[sku(price=20000, stock=10)])
    sku_a = (await product_a.skus.all())[0]
    sku_b = (await product_b.skus.all())[0]
    referrer, _ = await member("referrer")
    buyer, address = await member("buyer", upline=referrer, wallet=100000)
    token = await token_for(buyer)
    data = {
        "idempotencyKey": uuid.uuid4().hex,
        "addressId": gid(address),
        "items": [{"skuId": gid(sku_a), "quantity": 2}, {"skuId": gid(sku_b), "quantity": 1}],
    }
    placed = (await api(PLACE, {"input": data}, token=token))["placeOrder"]
    assert placed["errors"] == [], placed
    assert (await api(PAY, {"id": placed["payment"]["id"]}, token=token))["payWithWallet"]["errors"] == []
    order_id = pk_of(placed["orders"][0]["id"])
    line_a = await OrderLine.get(order_id=order_id, sku_id=sku_a.id)
    staff_user = await make_staff(merchant, ["merchant.orders"])

    async def refund_one_a():  # fresh tokens: the tests move the clock
        asked = (await api(REQUEST, {"line": gid(line_a), "q": 1}, token=await token_for(buyer)))["requestAfterSale"]
        assert asked["errors"] == [], asked
        done = (await api(APPROVE_AFTER_SALE, {"id": asked["afterSale"]["id"]}, token=await token_for(staff_user)))[
            "approveAfterSale"
        ]
        assert done["errors"] == [], done

    await refund_one_a()
    return merchant, order_id, refund_one_a


async def close_period() -> None:
    clock.advance(timedelta(days=settings.SETTLEMENT_PERIOD_DAYS + 1))


async def admin_token() -> str:
    return await token_for(await make_user("finance", roles=("finance",)))


def amounts(node: dict) -> dict:
    return {k: (v["amount"] if isinstance(v, dict) and "amount" in v else v) for k, v in node.items()}


async def test_statement_numbers_from_the_ledger_with_lines(api):
    # given the scenario, and the period closed
    merchant, order_id, _ = await scenario(api)
    await close_period()
    # when the job runs
    assert await settlement_jobs.issue_statements() == "issued 1 statements"
    # then the merchant's finance staff sees one issued statement with these numbers
    finance = await token_for(await make_staff(merchant, ["merchant.finance"]))
    nodes = (await api(STATEMENTS, {"m": gid(merchant)}, token=finance))["settlementStatements"]["nodes"]
    assert len(nodes) == 1
    s = amounts(nodes[0])
    assert s["status"] == "ISSUED"
    assert s["paidGoods"] == "400.00"  # 2 × 100 + 200
    assert s["refunds"] == "100.00"
    assert s["commissionCharged"] == "30.00"  # 10 % of 200 (category A) + 5 % of 200 (category B)
    assert s["commissionReturned"] == "10.00"  # one of the two A units
    assert s["platformCommission"] == "20.00"
    assert s["distributionBooked"] == "40.00"  # 10 % of 400
    assert s["distributionReversed"] == "10.00"
    assert s["netPayable"] == "250.00"  # 400 − 100 − 20 − (40 − 10)
    # the statement is the pending account's change, less the commission
    assert await balance(MERCHANT, merchant.id, Purpose.MERCHANT_PENDING) == 27000
    # and its one line is the order
    one = (await api(STATEMENT, {"id": s["id"]}, token=finance))["settlementStatement"]
    lines = one["lines"]["nodes"]
    assert [ln["orderId"] for ln in lines] == [gid("Order", order_id)]
    assert amounts(lines[0]) | {"orderNo": None} == {
        "orderId": gid("Order", order_id),
        "orderNo": None,
        "paidGoods": "400.00",
        "refunds": "100.00",
        "platformCommission": "20.00",
        "distribution": "30.00",
        "consignment": "0.00",
        "netPayable": "250.00",
    }
    await no_violations()


async def test_generation_is_idempotent_and_only_for_closed_periods(api):
    merchant, _, _ = await scenario(api)
    # the period is still open: nothing
    assert await settlement.issue_due() == 0
    await close_period()
    assert await settlement.issue_due() == 1
    # run again (and twice at once): still one statement
    assert await settlement.issue_due() == 0
    assert sorted(await asyncio.gather(settlement.issue_due(), settlement.issue_due())) == [0, 0]
    assert await SettlementStatement.filter(merchant_id=merchant.id).count() == 1


async def test_late_refund_lands_in_next_statement_and_approval_moves_the_money(api):
    # given an issued statement
    merchant, _, refund_one_a = await scenario(api)
    await close_period()
    await settlement.issue_due()
    admin_user = await make_user("finance", roles=("finance",))
    admin = await token_for(admin_user)
    first = (await api(STATEMENTS, {"m": gid(merchant)}, token=admin))["settlementStatements"]["nodes"][0]
    # when the other A unit is refunded after it
    await refund_one_a()
    # then the issued statement is unchanged
    again = (await api(STATEMENT, {"id": first["id"]}, token=admin))["settlementStatement"]
    again.pop("lines")
    assert again == first
    # approving it alone would take more than the pending account holds now: refused, nothing moves
    pending_before = await balance(MERCHANT, merchant.id, Purpose.MERCHANT_PENDING)
    assert pending_before == 27000 - 10000 + 1000
    refused = (await api(APPROVE, {"id": first["id"]}, token=admin))["approveSettlementStatement"]
    assert [e["code"] for e in refused["errors"]] == ["INSUFFICIENT_FUNDS"]
    assert await balance(MERCHANT, merchant.id, Purpose.MERCHANT_PENDING) == pending_before
    assert (await SettlementStatement.get(id=pk_of(first["id"]))).status == "ISSUED"
    # and the refund is in the next period's statement once that one closes
    await close_period()
    assert await settlement.issue_due() == 1
    admin = await token_for(admin_user)
    nodes = (await api(STATEMENTS, {"m": gid(merchant)}, token=admin))["settlementStatements"]["nodes"]
    assert [n["id"] for n in nodes][1] == first["id"]
    late = amounts(nodes[0])
    assert late["periodStart"] > first["periodEnd"]
    assert (late["paidGoods"], late["refunds"], late["commissionCharged"], late["commissionReturned"]) == (
        "0.00",
        "100.00",
        "0.00",
        "10.00",
    )
    assert (late["platformCommission"], late["distributionReversed"], late["netPayable"]) == (
        "-10.00",
        "10.00",
        "-80.00",
    )
    # when the later statement is approved, the earlier one is approved with it: one transaction
    revenue_before = await balance("PLATFORM", 0, Purpose.COMMISSION_REVENUE)
    done = (await api(APPROVE, {"id": late["id"]}, token=admin))["approveSettlementStatement"]
    assert done["errors"] == [] and done["statement"]["status"] == "APPROVED"
    assert await balance(MERCHANT, merchant.id, Purpose.MERCHANT_PENDING) == 0
    assert await balance(MERCHANT, merchant.id, Purpose.MERCHANT_SETTLED) == 25000 - 8000
    assert await balance("PLATFORM", 0, Purpose.COMMISSION_REVENUE) - revenue_before == 2000 - 1000
    rows = await SettlementStatement.filter(merchant_id=merchant.id).order_by("id")
    assert [r.status for r in rows] == ["APPROVED", "APPROVED"]
    assert rows[0].transaction_id == rows[1].transaction_id is not None
    # approving again changes nothing
    for statement_id in (first["id"], late["id"]):
        repeat = (await api(APPROVE, {"id": statement_id}, token=admin))["approveSettlementStatement"]
        assert repeat["errors"] == [] and repeat["statement"]["status"] == "APPROVED"
    assert await balance(MERCHANT, merchant.id, Purpose.MERCHANT_SETTLED) == 17000
    await no_violations()


async def test_approval_books_one_transaction(api):
    merchant, _, _ = await scenario(api)
    await close_period()
    await settlement.issue_due()
    admin = await admin_token()
    statement = (await api(STATEMENTS, {}, token=admin))["settlementStatements"]["nodes"][0]
    revenue_before = await balance("PLATFORM", 0, Purpose.COMMISSION_REVENUE)
    done = (await api(APPROVE, {"id": statement["id"]}, token=admin))["approveSettlementStatement"]
    assert done["errors"] == [] and done["statement"]["status"] == "APPROVED" and done["statement"]["transactionId"]
    assert await balance(MERCHANT, merchant.id, Purpose.MERCHANT_PENDING) == 0
    assert await balance(MERCHANT, merchant.id, Purpose.MERCHANT_SETTLED) == 25000
    assert await balance("PLATFORM", 0, Purpose.COMMISSION_REVENUE) - revenue_before == 2000
    await no_violations()


async def test_other_merchants_and_non_admins_are_refused(api):
    merchant, _, _ = await scenario(api)
    await close_period()
    await settlement.issue_due()
    admin = await admin_token()
    statement = (await api(STATEMENTS, {}, token=admin))["settlementStatements"]["nodes"][0]
    other = await make_merchant()
    other_finance = await token_for(await make_staff(other, ["merchant.finance"]))
    # another merchant's finance staff: the statement does not exist for them, the list is refused
    assert await api.error_code(STATEMENT, {"id": statement["id"]}, token=other_finance) == "NOT_FOUND"
    assert await api.error_code(STATEMENTS, {"m": gid(merchant)}, token=other_finance) == "FORBIDDEN"
    assert (await api(STATEMENTS, {"m": gid(other)}, token=other_finance))["settlementStatements"]["nodes"] == []
    # without a merchant: their own merchants' statements only (admins: every merchant's)
    assert (await api(STATEMENTS, {}, token=other_finance))["settlementStatements"]["nodes"] == []
    assert [n["id"] for n in (await api(STATEMENTS, {}, token=admin))["settlementStatements"]["nodes"]] == [
        statement["id"]
    ]
    # staff without merchant.finance
    orders_staff = await token_for(await make_staff(merchant, ["merchant.orders"]))
    assert await api.error_code(STATEMENTS, {"m": gid(merchant)}, token=orders_staff) == "FORBIDDEN"
    # merchants cannot approve
    owner = await token_for(await merchant.owner)
    assert await api.error_code(APPROVE, {"id": statement["id"]}, token=owner) == "FORBIDDEN"
    assert (await SettlementStatement.get(id=pk_of(statement["id"]))).status == "ISSUED"
    # the owner reads its own
    assert len((await api(STATEMENTS, {"m": gid(merchant)}, token=owner))["settlementStatements"]["nodes"]) == 1


async def test_lines_page(api):
    # given a statement of three orders
    await configure(api, [("PERCENT", 0)])
    merchant = await make_merchant(commission_rate_bp=1000)
    product = await make_product(merchant, skus=[sku(price=1000, stock=10)])
    sku_row = (await product.skus.all())[0]
    buyer, address = await member("buyer", wallet=100000)
    token = await token_for(buyer)
    for _ in range(3):
        data = {
            "idempotencyKey": uuid.uuid4().hex,
            "addressId": gid(address),
            "items": [{"skuId": gid(sku_row), "quantity": 1}],
        }
        placed = (await api(PLACE, {"input": data}, token=token))["placeOrder"]
        assert (await api(PAY, {"id": placed["payment"]["id"]}, token=token))["payWithWallet"]["errors"] == []
    await close_period()
    await settlement.issue_due()
    finance = await token_for(await make_staff(merchant, ["merchant.finance"]))
    statement_id = (await api(STATEMENTS, {"m": gid(merchant)}, token=finance))["settlementStatements"]["nodes"][0][
        "id"
    ]
    # when paging two by two
    page1 = (await api(STATEMENT, {"id": statement_id, "first": 2}, token=finance))["settlementStatement"]["lines"]
    page2 = (
        await api(STATEMENT, {"id": statement_id, "first": 2, "after": page1["pageInfo"]["endCursor"]}, token=finance)
    )["settlementStatement"]["lines"]
    # then three orders, each 10.00 paid, 1.00 commission, 9.00 net
    assert page1["pageInfo"]["hasNextPage"] and not page2["pageInfo"]["hasNextPage"]
    lines = page1["nodes"] + page2["nodes"]
    assert len({ln["orderId"] for ln in lines}) == 3
    assert {
        (ln["paidGoods"]["amount"], ln["platformCommission"]["amount"], ln["netPayable"]["amount"]) for ln in lines
    } == {("10.00", "1.00", "9.00")}


@requires_postgres
async def test_two_concurrent_approvals_book_once(api):
    merchant, _, _ = await scenario(api)
    await close_period()
    await settlement.issue_due()
    statement = await SettlementStatement.get(merchant_id=merchant.id)
    admin = await make_user("finance", roles=("finance",))
    grants = await load_grants(admin.id)
    results = await asyncio.gather(
        *(settlement.approve(grants, admin.id, statement.id) for _ in range(4)), return_exceptions=True
    )
    assert all(not isinstance(r, Exception) for r in results), results
    assert await balance(MERCHANT, merchant.id, Purpose.MERCHANT_SETTLED) == 25000
    from models.ledger import JournalTransaction

    assert await JournalTransaction.filter(kind=settlement.APPROVAL_KIND).count() == 1
    await no_violations()


async def test_consignment_sales_are_stated_against_the_retail_orders(api):
    # given the consignment example: the self-operated merchant sells 1 retail unit, 2 wholesale
    # units and 2 more retail units matched to the consigned ones (22.00 × 2 handed to the seller)
    from tests.api.test_consignment import scenario as consignment_scenario

    await consignment_scenario(
        api, retail_price=220000, wholesale_price=44000, vouchers=2, fee_bp=2000, kept=0, consigned=2
    )
    # when its statements are issued
    await close_period()
    assert await settlement.issue_due() >= 1
    rows = await SettlementStatement.all()
    # then (the self-operated merchant's rate is 0) paid 7,480.00, consignment 4,400.00, net 3,080.00
    assert sum(r.paid_goods for r in rows) == 220000 + 2 * 44000 + 2 * 220000
    assert sum(r.consignment for r in rows) == 2 * 220000
    assert sum(r.net_payable for r in rows) == 308000
    assert sum(r.platform_commission for r in rows) == 0
    from models.settlement import SettlementLine

    lines = await SettlementLine.filter(consignment__gt=0).order_by("order_id")
    assert [ln.consignment for ln in lines] == [220000, 220000] and all(ln.order_id for ln in lines)
    assert sum(r.net_payable for r in rows) == await balance(MERCHANT, rows[0].merchant_id, Purpose.MERCHANT_PENDING)
    await no_violations()
