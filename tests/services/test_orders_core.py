"""Checkout, payment, cancel and lifecycle at the service level (the API tests go end to end)."""

from __future__ import annotations

from models.catalog import Sku
from models.orders import Order, Payment
from services.core.errors import DomainError, ErrorCode
from services.ledger import ledger
from services.ledger.ledger import MERCHANT, Purpose
from services.orders import fulfilment as orders
from services.orders import payments
from tests.order_factories import make_buyer, make_shop, place


async def balance(owner_type, owner_id, purpose):
    return (await ledger.get_account(owner_type, owner_id, purpose)).balance


async def test_two_merchants_one_payment_paid_from_wallet():
    buyer, address = await make_buyer(wallet=10_000)
    m1, _, (s1,) = await make_shop(price=1000, shipping_fee=500)
    m2, _, (s2,) = await make_shop(price=2000, shipping_fee=500, free_threshold=2000)
    placed = await place(buyer, address, [(s1.id, 2), (s2.id, 1)])
    assert [o.pay_amount for o in placed.orders] == [2500, 2000]
    assert placed.payment.amount == 4500
    assert (await Sku.get(id=s1.id)).stock == 8
    await payments.pay_with_wallet(buyer.id, placed.payment.id)
    assert await balance("USER", buyer.id, Purpose.WALLET) == 5500
    assert await balance(MERCHANT, m1.id, Purpose.MERCHANT_PENDING) == 2500
    assert await balance(MERCHANT, m2.id, Purpose.MERCHANT_PENDING) == 2000
    assert {o.status for o in await Order.filter(payment_id=placed.payment.id)} == {"PAID"}
    assert await ledger.check_invariants() == []


async def test_insufficient_wallet_changes_nothing():
    buyer, address = await make_buyer(wallet=100)
    _, _, (s1,) = await make_shop(price=1000)
    placed = await place(buyer, address, [(s1.id, 1)])
    try:
        await payments.pay_with_wallet(buyer.id, placed.payment.id)
        raise AssertionError("paid without money")
    except DomainError as exc:
        assert exc.code == ErrorCode.INSUFFICIENT_FUNDS
    assert (await Payment.get(id=placed.payment.id)).status == "UNPAID"
    assert await balance("USER", buyer.id, Purpose.WALLET) == 100


async def test_cancel_releases_stock_and_then_cannot_pay():
    buyer, address = await make_buyer(wallet=10_000)
    _, _, (s1,) = await make_shop(price=1000, stock=3)
    placed = await place(buyer, address, [(s1.id, 3)])
    assert (await Sku.get(id=s1.id)).stock == 0
    await payments.cancel_by_buyer(buyer.id, placed.orders[0].id, "")
    assert (await Sku.get(id=s1.id)).stock == 3
    try:
        await payments.pay_with_wallet(buyer.id, placed.payment.id)
        raise AssertionError("paid a cancelled order")
    except DomainError as exc:
        assert exc.code == ErrorCode.PAYMENT_NOT_PAYABLE


async def test_sandbox_callback_pays_once():
    from services.orders.gateways import gateway

    buyer, address = await make_buyer()
    _, _, (s1,) = await make_shop(price=1000)
    placed = await place(buyer, address, [(s1.id, 1)])
    _, charge = await payments.start_gateway_payment(buyer.id, placed.payment.id)
    notice = await gateway.get().simulate_payment(charge.trade_no)
    assert await payments.handle_notification(notice.headers, notice.body) == "PAID"
    assert await payments.handle_notification(notice.headers, notice.body) == "PAID"
    order = await Order.get(id=placed.orders[0].id)
    assert order.status == "PAID"
    await orders.ship(await _admin_grants(), 1, order.id, "顺丰", "SF1234567")
    assert await ledger.check_invariants() == []


async def _admin_grants():
    from services.accounts.access import Grants

    return Grants(platform={"order.manage"})
