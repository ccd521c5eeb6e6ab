"""A refund of an order whose statement was already approved (FIN-4, ORD-7): the buyer is
always refunded. The merchant's MERCHANT_PENDING pays what it holds, then MERCHANT_SETTLED
(not yet withdrawn), and the rest is the merchant's debt (pending below zero), netted by
the next statement; a merchant in debt cannot withdraw. The platform commission of the
refunded units is given back by the next statement, as settlement's rule says."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta

import settings
from models.orders import Order, OrderLine, Refund
from models.settlement import SettlementStatement
from services.accounts.access import Grants, load_grants
from services.catalog import products as catalog
from services.core import clock
from services.core.errors import DomainError
from services.core.events import unit_of_work
from services.finance import settlement
from services.ledger import ledger
from services.ledger.ledger import MERCHANT, PLATFORM, Purpose
from services.orders import after_sales, payments
from tests.api import ops_withdrawals as wops
from tests.api.test_distribution import APPROVE as APPROVE_AFTER_SALE
from tests.api.test_distribution import PAY, PLACE, REQUEST, member
from tests.api.test_withdrawals import bank
from tests.catalog_factories import make_merchant, make_product, make_staff, sku
from tests.conftest import requires_postgres
from tests.helpers import gid, make_user, pk_of, token_for
from tests.order_factories import make_buyer, make_shop, place

MANAGER = Grants(platform={"order.manage"})


async def balance(owner_type, owner_id, purpose) -> int:
    return (await ledger.get_account(owner_type, owner_id, purpose)).balance


async def merchant_books(merchant_id: int) -> tuple[int, int]:
    return (
        await balance(MERCHANT, merchant_id, Purpose.MERCHANT_PENDING),
        await balance(MERCHANT, merchant_id, Purpose.MERCHANT_SETTLED),
    )


async def no_violations() -> None:
    assert await ledger.check_invariants() == []


async def buy_two(api, sku_id: int, nickname: str) -> tuple[object, int]:
    """A buyer pays one order of 2 × 100.00 from the wallet; returns (buyer, order id)."""
    buyer, address = await member(nickname, wallet=100000)
    token = await token_for(buyer)
    data = {
        "idempotencyKey": uuid.uuid4().hex,
        "addressId": gid(address),
        "items": [{"skuId": gid("Sku", sku_id), "quantity": 2}],
    }
    placed = (await api(PLACE, {"input": data}, token=token))["placeOrder"]
    assert placed["errors"] == [], placed
    assert (await api(PAY, {"id": placed["payment"]["id"]}, token=token))["payWithWallet"]["errors"] == []
    return buyer, pk_of(placed["orders"][0]["id"])


async def refund(api, buyer, staff, order_id: int, quantity: int) -> None:
    line = await OrderLine.get(order_id=order_id)
    asked = (await api(REQUEST, {"line": gid(line), "q": quantity}, token=await token_for(buyer)))["requestAfterSale"]
    assert asked["errors"] == [], asked
    done = (await api(APPROVE_AFTER_SALE, {"id": asked["afterSale"]["id"]}, token=await token_for(staff)))[
        "approveAfterSale"
    ]
    assert done["errors"] == [], done


async def settle(admin_id: int) -> SettlementStatement:
    """Close the period, issue its statement, approve it; returns the approved statement."""
    clock.advance(timedelta(days=settings.SETTLEMENT_PERIOD_DAYS + 1))
    assert await settlement.issue_due() == 1
    latest = await SettlementStatement.all().order_by("-id").first()
    grants = await load_grants(admin_id)
    approved = await settlement.approve(grants, admin_id, latest.id)
    assert approved.status == "APPROVED"
    return approved


async def settled_scenario(api):
    """A merchant at 5 %; one order of 2 × 100.00 paid, stated and approved: pending 0,
    settled 190.00 (200.00 less 10.00 commission)."""
    merchant = await make_merchant(commission_rate_bp=500)
    category = await catalog.create_category("服装")
    product = await make_product(merchant, category.id, title="连衣裙", skus=[sku(price=10000, stock=20)])
    sku_id = (await product.skus.all())[0].id
    staff = await make_staff(merchant, ["merchant.orders"])
    admin = await make_user("finance", roles=("finance",))
    buyer, order_id = await buy_two(api, sku_id, "buyer")
    await settle(admin.id)
    assert await merchant_books(merchant.id) == (0, 19000)
    await no_violations()
    return merchant, sku_id, staff, admin, buyer, order_id


async def test_refund_covered_by_pending(api):
    # given a settled order, and a newer order whose money is still pending
    merchant, sku_id, staff, admin, buyer, order_id = await settled_scenario(api)
    await buy_two(api, sku_id, "buyer2")
    assert await merchant_books(merchant.id) == (20000, 19000)
    wallet_before = await balance("USER", buyer.id, Purpose.WALLET)
    # when one unit of the settled order is refunded
    await refund(api, buyer, staff, order_id, 1)
    # then pending pays it all, settled is untouched, the buyer has the money back
    assert await merchant_books(merchant.id) == (10000, 19000)
    assert await balance("USER", buyer.id, Purpose.WALLET) - wallet_before == 10000
    await no_violations()
    # and the next statement carries the refund and gives back its commission
    statement = await settle(admin.id)
    assert (statement.paid_goods, statement.refunds, statement.commission_charged, statement.commission_returned) == (
        20000,
        10000,
        1000,
        500,
    )
    assert (statement.other, statement.net_payable) == (0, 9500)
    assert await merchant_books(merchant.id) == (0, 28500)
    await no_violations()


async def test_refund_covered_by_settled_money(api):
    # given a settled order and nothing pending
    merchant, _, staff, admin, buyer, order_id = await settled_scenario(api)
    revenue_before = await balance(PLATFORM, 0, Purpose.COMMISSION_REVENUE)
    # when one unit is refunded
    await refund(api, buyer, staff, order_id, 1)
    # then settled money covers it (moved back to pending, then out): no debt
    assert await merchant_books(merchant.id) == (0, 9000)
    await no_violations()
    # and the next statement counts the refund, shows the cover as already paid (other),
    # and gives the 5.00 commission of the refunded unit back to the merchant
    statement = await settle(admin.id)
    assert (statement.refunds, statement.commission_returned, statement.other, statement.net_payable) == (
        10000,
        500,
        -10000,
        500,
    )
    assert await merchant_books(merchant.id) == (0, 9500)  # 190.00 − 100.00 + 5.00
    assert await balance(PLATFORM, 0, Purpose.COMMISSION_REVENUE) - revenue_before == -500
    await no_violations()


async def test_refund_beyond_both_leaves_a_debt_netted_by_the_next_statement(api):
    # given a settled order, most of the settled money withdrawn (150.00 frozen: 40.00 left)
    merchant, sku_id, staff, admin, buyer, order_id = await settled_scenario(api)
    finance_user = await make_staff(merchant, ["merchant.finance"])
    finance = await token_for(finance_user)
    mid = gid(merchant)
    asked = (await api(wops.REQUEST_MERCHANT, {"m": mid, "input": bank(15000)}, token=finance))[
        "requestMerchantWithdrawal"
    ]
    assert asked["errors"] == [], asked
    assert await merchant_books(merchant.id) == (0, 4000)
    wallet_before = await balance("USER", buyer.id, Purpose.WALLET)
    # when the whole order (200.00) is refunded
    await refund(api, buyer, staff, order_id, 2)
    # then the buyer gets it all; settled gives its 40.00, the other 160.00 is the merchant's debt
    assert await balance("USER", buyer.id, Purpose.WALLET) - wallet_before == 20000
    assert await merchant_books(merchant.id) == (-16000, 0)
    await no_violations()
    # and the refund can never exceed what was paid
    order = await Order.get(id=order_id)
    try:
        async with unit_of_work() as conn:
            await payments.book_refund(order, 1, conn)
        raise AssertionError("refunded more than paid")
    except DomainError as exc:
        assert exc.code.value == "REFUND_EXCEEDS_PAID"
    assert await merchant_books(merchant.id) == (-16000, 0)
    # and while it owes, the merchant cannot withdraw, even settled money (50.00) it gets meanwhile
    await ledger.post(
        "TEST_TOP_UP",
        [
            ledger.Posting((await ledger.platform_account(Purpose.PROMOTION_EXPENSE)).id, -5000),
            ledger.Posting((await ledger.get_account(MERCHANT, merchant.id, Purpose.MERCHANT_SETTLED)).id, 5000),
        ],
    )
    refused = (await api(wops.REQUEST_MERCHANT, {"m": mid, "input": bank(1000)}, token=finance))[
        "requestMerchantWithdrawal"
    ]
    assert refused["errors"] == [{"code": "DEBT_OUTSTANDING", "field": ["amount"]}]
    assert await merchant_books(merchant.id) == (-16000, 5000)
    # when the statement carrying the refund is approved: commission 10.00 given back, the
    # 50.00 settled money taken, the rest (200 − 40 − 10 − 50 = 100.00) stays as debt
    statement = await settle(admin.id)
    assert (statement.refunds, statement.commission_returned, statement.other, statement.net_payable) == (
        20000,
        1000,
        -4000,
        -15000,
    )
    assert await merchant_books(merchant.id) == (-10000, 0)
    await no_violations()
    # when a new order (200.00) is paid and its statement approved, the debt is netted first
    await buy_two(api, sku_id, "buyer2")
    statement = await settle(admin.id)
    assert (statement.paid_goods, statement.platform_commission, statement.net_payable) == (20000, 1000, 19000)
    assert await merchant_books(merchant.id) == (0, 19000 - 10000)
    await no_violations()
    # then the merchant can withdraw again
    finance = await token_for(finance_user)  # fresh: the clock moved
    asked = (await api(wops.REQUEST_MERCHANT, {"m": mid, "input": bank(1000)}, token=finance))[
        "requestMerchantWithdrawal"
    ]
    assert asked["errors"] == [], asked
    await no_violations()


@requires_postgres
async def test_concurrent_refunds_share_the_settled_money_exactly():
    """PostgreSQL: refunds of one merchant at once each see what the others left (the
    merchant's pending and settled rows are locked before the cover is computed)."""
    merchant, _, [item] = await make_shop(price=10_000, stock=100)
    requests = []
    for i in range(4):
        buyer, address = await make_buyer(f"买家{i}", wallet=100_000)
        placed = await place(buyer, address, [(item.id, 1)])
        await payments.pay_with_wallet(buyer.id, placed.payment.id)
        line = await OrderLine.get(order_id=placed.orders[0].id)
        requests.append(await after_sales.request_after_sale(buyer.id, line.id, "REFUND_ONLY", 1, "不想要了"))
    # the four orders' money settled by hand (test transactions): pending 0, settled 150.00
    pending = await ledger.get_account(MERCHANT, merchant.id, Purpose.MERCHANT_PENDING)
    settled = await ledger.get_account(MERCHANT, merchant.id, Purpose.MERCHANT_SETTLED)
    budget = await ledger.platform_account(Purpose.PROMOTION_EXPENSE)
    await ledger.post(
        "TEST_SETTLEMENT",
        [ledger.Posting(pending.id, -40_000), ledger.Posting(settled.id, 15_000), ledger.Posting(budget.id, 25_000)],
    )
    # when the four refunds are approved at once
    await asyncio.gather(*(after_sales.approve(MANAGER, 0, r.id) for r in requests))
    # then all are booked: settled gave its 150.00 exactly, the other 250.00 is debt
    assert await merchant_books(merchant.id) == (-25_000, 0)
    assert await Refund.filter(order__merchant_id=merchant.id, status="SUCCEEDED").count() == 4
    await no_violations()
