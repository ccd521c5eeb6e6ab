"""The seed's worked example at the service level (CON-1..4); the API test goes end to end."""

from __future__ import annotations

from datetime import timedelta

import settings
from models.consignment import Voucher, WholesaleUnit
from services.accounts.access import Grants
from services.consignment import queue as consignment
from services.core import clock
from services.ledger import ledger
from services.ledger.ledger import MERCHANT, Purpose
from services.orders import fulfilment as orders
from services.orders import payments
from tests.order_factories import make_buyer, make_consignment_pair, place

SUPPORT = Grants(platform={"order.manage"})


async def buy_and_pay(buyer, address, lines, **kwargs):
    placed = await place(buyer, address, lines, **kwargs)
    await payments.pay_with_wallet(buyer.id, placed.payment.id)
    return placed


async def complete(placed):
    for order in placed.orders:
        await orders.ship(SUPPORT, 0, order.id, "顺丰", "SF00001")
        await orders.confirm_receipt(order.buyer_id, order.id)


async def balance(user, purpose):
    return (await ledger.user_account(user.id, purpose)).balance


async def test_worked_example_holds_to_the_fen():
    merchant, retail, wholesale = await make_consignment_pair()
    b, b_address = await make_buyer("B", wallet=3080)
    await buy_and_pay(b, b_address, [(retail.id, 1)])
    assert await Voucher.filter(owner_id=b.id, status="UNUSED").count() == 2
    second = await buy_and_pay(b, b_address, [(wholesale.id, 2)])
    assert second.payment.amount == 880
    assert await Voucher.filter(owner_id=b.id, status="USED").count() == 2
    assert await balance(b, Purpose.WALLET) == 0  # spent 3080
    units = await WholesaleUnit.filter(owner_id=b.id).order_by("id")
    await consignment.consign(b.id, [u.id for u in units])

    buyers = []
    for name in ("C", "D"):
        buyer, address = await make_buyer(name, wallet=2200)
        buyers.append(await buy_and_pay(buyer, address, [(retail.id, 1)]))
    assert await WholesaleUnit.filter(owner_id=b.id, status="MATCHED").count() == 2
    assert await balance(b, Purpose.CONSIGNMENT_PENDING) == 3520  # frozen until the sales are final
    fee = (await ledger.platform_account(Purpose.FEE_REVENUE)).balance
    assert fee == 880

    for placed in buyers:
        await complete(placed)
    assert await consignment.settle_due() == 0  # the after-sales window is still open
    clock.advance(timedelta(days=settings.AFTER_SALES_WINDOW_DAYS, seconds=1))
    assert await consignment.settle_due() == 2
    assert await consignment.settle_due() == 0
    assert await balance(b, Purpose.WALLET) == 3520
    assert await balance(b, Purpose.CONSIGNMENT_PENDING) == 0
    assert 3520 - 3080 == 440  # B's net gain, plus the retail unit kept
    # the self-operated merchant keeps B's retail sale and the wholesale sale: 2200 + 880
    assert (await ledger.get_account(MERCHANT, merchant.id, Purpose.MERCHANT_PENDING)).balance == 2200 + 880
    assert await ledger.check_invariants() == []


async def test_refund_of_a_matched_sale_puts_the_unit_back_at_the_head():
    from models.orders import OrderLine
    from services.core.events import unit_of_work
    from services.orders import hooks as order_hooks

    _, retail, wholesale = await make_consignment_pair(retail_price=1000, wholesale_price=300, vouchers=3)
    seller, address = await make_buyer("seller", wallet=10_000)
    await buy_and_pay(seller, address, [(retail.id, 1)])
    await buy_and_pay(seller, address, [(wholesale.id, 3)], consign_wholesale=True)
    units = await WholesaleUnit.filter(owner_id=seller.id).order_by("queue_key")
    assert [u.status for u in units] == ["QUEUED"] * 3
    buyer, b_address = await make_buyer("buyer", wallet=10_000)
    sale = await buy_and_pay(buyer, b_address, [(retail.id, 2)])
    matched = await WholesaleUnit.filter(status="MATCHED").order_by("queue_key")
    assert [u.id for u in matched] == [units[0].id, units[1].id]  # strictly first in, first out
    assert await balance(seller, Purpose.CONSIGNMENT_PENDING) == 2 * 800
    line = await OrderLine.get(order_id=sale.orders[0].id)
    async with unit_of_work() as conn:  # what after-sales does for a refund of 1 unit
        await order_hooks.LINE_REFUNDED.run(order_hooks.LineRefund(sale.orders[0], line, 1, 1000), conn)
    back = await WholesaleUnit.get(id=units[1].id)  # the most recent match is reversed
    assert back.status == "QUEUED" and back.queue_key < units[2].queue_key
    assert await balance(seller, Purpose.CONSIGNMENT_PENDING) == 800
    positions = await consignment.positions(seller.id)
    assert [(u.id, p) for u, p in positions] == [(units[1].id, 1), (units[2].id, 2)]
    assert await ledger.check_invariants() == []


async def test_referrer_priority_takes_the_uplines_unit_first(monkeypatch):
    from tests.helpers import make_user

    monkeypatch.setattr(settings, "CONSIGNMENT_REFERRER_PRIORITY", True)
    _, retail, wholesale = await make_consignment_pair(retail_price=1000, wholesale_price=300, vouchers=1)
    early, a1 = await make_buyer("early", wallet=10_000)
    referrer, a2 = await make_buyer("referrer", wallet=10_000)
    for seller, address in ((early, a1), (referrer, a2)):
        await buy_and_pay(seller, address, [(retail.id, 1)])
    for seller, address in ((early, a1), (referrer, a2)):  # early consigns first
        await buy_and_pay(seller, address, [(wholesale.id, 1)], consign_wholesale=True)
    invited = await make_user("invited", upline=referrer)
    from models.accounts import Address
    from tests.order_factories import fund_wallet

    await fund_wallet(invited, 1000)
    address = await Address.create(
        user_id=invited.id, recipient="x", phone="+8613900000001", detail="d", is_default=True
    )
    await buy_and_pay(invited, address, [(retail.id, 1)])
    assert (await WholesaleUnit.get(owner_id=referrer.id)).status == "MATCHED"
    assert (await WholesaleUnit.get(owner_id=early.id)).status == "QUEUED"


async def test_wholesale_needs_vouchers_and_cancel_gives_them_back():
    from services.core.errors import DomainError, ErrorCode
    from services.orders import checkout

    _, retail, wholesale = await make_consignment_pair(vouchers=1)
    buyer, address = await make_buyer(wallet=10_000)
    try:
        await place(buyer, address, [(wholesale.id, 1)])
        raise AssertionError("bought wholesale without a voucher")
    except DomainError as exc:
        assert exc.code == ErrorCode.VOUCHER_REQUIRED
    await buy_and_pay(buyer, address, [(retail.id, 1)])
    try:
        await place(buyer, address, [(wholesale.id, 2)])
        raise AssertionError("two units on one voucher")
    except DomainError as exc:
        assert exc.code == ErrorCode.VOUCHER_REQUIRED
    assert await Voucher.filter(owner_id=buyer.id, status="UNUSED").count() == 1
    placed = await place(buyer, address, [(wholesale.id, 1)])
    assert await Voucher.filter(owner_id=buyer.id, status="RESERVED").count() == 1
    await payments.cancel_by_buyer(buyer.id, placed.orders[0].id, "")
    assert await Voucher.filter(owner_id=buyer.id, status="UNUSED").count() == 1
    assert checkout  # imported for the request type
