"""After-sales (ORD-7) at the service level: requests, review, refunds, stock, and races
(PostgreSQL). The GraphQL surface is tested in tests/api/test_after_sales.py."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

import settings
from models.catalog import Sku, StockMovement
from models.orders import AfterSale, Order, OrderLine, OutboundMessage, Refund, SandboxTrade
from services.accounts.access import Grants
from services.core import clock
from services.core.errors import DomainError, ErrorCode
from services.ledger import ledger
from services.ledger.ledger import MERCHANT, Purpose
from services.orders import after_sales, payments
from services.orders import fulfilment as orders
from services.orders import hooks as order_hooks
from services.orders.gateways import gateway
from tests.conftest import requires_postgres
from tests.order_factories import make_buyer, make_shop, place

SUPPORT = Grants(platform={"order.manage"})


async def wallet(user) -> int:
    return (await ledger.user_account(user.id, Purpose.WALLET)).balance


async def pending(merchant) -> int:
    return (await ledger.get_account(MERCHANT, merchant.id, Purpose.MERCHANT_PENDING)).balance


async def paid_order(
    *, quantity=3, price=1000, shipping_fee=500, skus=1, stock=10, wallet_money=100_000, method="WALLET"
):
    """A buyer's paid order of `quantity` units of each of `skus` SKUs of one shop."""
    buyer, address = await make_buyer(wallet=wallet_money)
    merchant, _, rows = await make_shop(price=price, stock=stock, shipping_fee=shipping_fee, skus=skus)
    placed = await place(buyer, address, [(s.id, quantity) for s in rows])
    if method == "WALLET":
        await payments.pay_with_wallet(buyer.id, placed.payment.id)
    else:
        _, charge = await payments.start_gateway_payment(buyer.id, placed.payment.id)
        notice = await gateway.get().simulate_payment(charge.trade_no)
        assert await payments.handle_notification(notice.headers, notice.body) == "PAID"
    order = await Order.get(id=placed.orders[0].id)
    lines = await OrderLine.filter(order_id=order.id).order_by("sku_id")
    return buyer, merchant, order, lines, rows


async def ship(order: Order) -> Order:
    return await orders.ship(SUPPORT, 1, order.id, "顺丰", "SF1234567")


async def snapshot(buyer, merchant, order, rows) -> tuple:
    """Everything an after-sales operation may change."""
    o = await Order.get(id=order.id)
    lines = [
        (l.requested_quantity, l.refunded_quantity, l.refunded_amount)
        for l in await OrderLine.filter(order_id=order.id).order_by("id")
    ]
    stocks = [(await Sku.get(id=s.id)).stock for s in rows]
    requests = [(a.status, a.amount) for a in await AfterSale.filter(order_id=order.id).order_by("id")]
    return (
        await wallet(buyer),
        await pending(merchant),
        o.status,
        o.refunded_amount,
        lines,
        stocks,
        requests,
        await Refund.filter(order_id=order.id).count(),
        await StockMovement.all().count(),
    )


async def code_of(awaitable) -> ErrorCode:
    with pytest.raises(DomainError) as caught:
        await awaitable
    return caught.value.code


# --------------------------------------------------------------------------- refund only


async def test_partial_refund_only_before_shipping_gives_wallet_money_and_stock_back(published):
    buyer, merchant, order, (line,), (sku,) = await paid_order(quantity=3, price=1000, shipping_fee=500)
    assert (await wallet(buyer), await pending(merchant), (await Sku.get(id=sku.id)).stock) == (100_000 - 3500, 3500, 7)

    request = await after_sales.request_after_sale(buyer.id, line.id, "REFUND_ONLY", 1, "  不想要了 ")
    assert (request.status, request.reason, request.quantity, request.merchant_id) == (
        "REQUESTED",
        "不想要了",
        1,
        merchant.id,
    )
    assert (await OrderLine.get(id=line.id)).requested_quantity == 1
    assert (
        "merchant:%d" % merchant.id,
        {"type": "after_sale_requested", "afterSaleId": str(request.id), "orderId": str(order.id)},
    ) in published
    assert (
        f"user:{buyer.id}",
        {"type": "after_sale_status", "afterSaleId": str(request.id), "status": "REQUESTED"},
    ) in published

    done = await after_sales.approve(SUPPORT, 7, request.id)
    assert (done.status, done.amount, done.reviewer_id) == ("REFUNDED", 1000, 7)
    assert done.refunded_at is not None and done.reviewed_at is not None
    assert await wallet(buyer) == 100_000 - 3500 + 1000
    assert await pending(merchant) == 2500
    line = await OrderLine.get(id=line.id)
    assert (line.requested_quantity, line.refunded_quantity, line.refunded_amount) == (1, 1, 1000)
    fresh = await Order.get(id=order.id)
    assert (fresh.status, fresh.refunded_amount) == ("PAID", 1000)
    refund = await Refund.get(after_sale_id=request.id)
    assert (refund.amount, refund.method, refund.status, refund.reason) == (1000, "WALLET", "SUCCEEDED", "AFTER_SALE")
    # the goods never left the merchant: the unit is on sale again
    assert (await Sku.get(id=sku.id)).stock == 8
    movement = await StockMovement.get(reference_type="AFTER_SALE", reference_id=str(request.id))
    assert (movement.delta, movement.reason) == (1, "ORDER_RELEASE")
    assert (
        f"user:{buyer.id}",
        {"type": "after_sale_status", "afterSaleId": str(request.id), "status": "REFUNDED"},
    ) in published
    templates = [m.template for m in await OutboundMessage.filter(user_id=buyer.id).order_by("id")]
    assert templates == ["ORDER_PAID", "AFTER_SALE_REFUNDED"]
    assert await ledger.check_invariants() == []


async def test_refund_only_after_shipping_leaves_stock_alone():
    buyer, merchant, order, (line,), (sku,) = await paid_order(quantity=2, price=999, shipping_fee=0)
    await ship(order)
    request = await after_sales.request_after_sale(buyer.id, line.id, "REFUND_ONLY", 1, "破损")
    await after_sales.approve(SUPPORT, 1, request.id)
    assert (await Sku.get(id=sku.id)).stock == 8
    assert (await Order.get(id=order.id)).status == "SHIPPED"
    assert (await AfterSale.get(id=request.id)).amount == 999
    second = await after_sales.request_after_sale(buyer.id, line.id, "REFUND_ONLY", 1, "破损")
    await after_sales.approve(SUPPORT, 1, second.id)
    assert (await AfterSale.get(id=second.id)).amount == 999
    line = await OrderLine.get(id=line.id)
    assert (line.refunded_quantity, line.refunded_amount) == (2, 1998)
    fresh = await Order.get(id=order.id)
    assert (fresh.status, fresh.refunded_amount) == ("CLOSED", 1998)  # every unit refunded before completion
    assert await wallet(buyer) == 100_000
    assert await ledger.check_invariants() == []


async def test_full_refund_before_shipping_returns_shipping_and_closes_the_order():
    buyer, merchant, order, (a, b), rows = await paid_order(quantity=2, price=1000, shipping_fee=500, skus=2)
    assert order.pay_amount == 4500
    first = await after_sales.request_after_sale(buyer.id, a.id, "REFUND_ONLY", 2, "拍错了")
    await after_sales.approve(SUPPORT, 1, first.id)
    assert (await AfterSale.get(id=first.id)).amount == 2000  # not yet empty: shipping stays
    assert (await Order.get(id=order.id)).status == "PAID"
    second = await after_sales.request_after_sale(buyer.id, b.id, "REFUND_ONLY", 2, "拍错了")
    await after_sales.approve(SUPPORT, 1, second.id)
    assert (await AfterSale.get(id=second.id)).amount == 2500  # the last units bring the shipping fee
    fresh = await Order.get(id=order.id)
    assert (fresh.status, fresh.refunded_amount) == ("CLOSED", 4500)
    assert fresh.closed_at is not None
    assert await wallet(buyer) == 100_000
    assert await pending(merchant) == 0
    assert [(await Sku.get(id=s.id)).stock for s in rows] == [10, 10]
    assert await ledger.check_invariants() == []


async def test_gateway_refund_goes_back_through_the_sandbox():
    buyer, merchant, order, (line,), _ = await paid_order(quantity=2, price=1500, shipping_fee=0, method="SANDBOX")
    request = await after_sales.request_after_sale(buyer.id, line.id, "REFUND_ONLY", 1, "不想要了")
    await after_sales.approve(SUPPORT, 1, request.id)
    refund = await Refund.get(after_sale_id=request.id)
    assert (refund.amount, refund.method, refund.status) == (1500, "SANDBOX", "SUCCEEDED")
    assert refund.finished_at is not None and refund.gateway_refund_no
    payment = await order.payment
    trade = await SandboxTrade.get(trade_no=payment.gateway_trade_no)
    assert trade.refunded == 1500
    assert payment.refunded_amount == 1500
    assert await wallet(buyer) == 100_000  # money went back to the card, not the wallet
    assert await pending(merchant) == 1500
    assert await ledger.check_invariants() == []


# --------------------------------------------------------------------------- return and refund


async def test_return_and_refund_restores_stock_and_refunds_without_shipping():
    buyer, merchant, order, (line,), (sku,) = await paid_order(quantity=2, price=1000, shipping_fee=500)
    await ship(order)
    request = await after_sales.request_after_sale(buyer.id, line.id, "RETURN_REFUND", 2, "尺码不合适")
    approved = await after_sales.approve(SUPPORT, 1, request.id)
    assert (approved.status, approved.amount) == ("APPROVED", 0)
    assert await wallet(buyer) == 100_000 - 2500
    # receipt before the goods are shipped back: refused
    assert await code_of(after_sales.receive_return(SUPPORT, 1, request.id)) == ErrorCode.INVALID_TRANSITION
    assert (
        await code_of(after_sales.submit_return_shipment(buyer.id, request.id, "顺丰", "x")) == ErrorCode.INVALID_INPUT
    )
    shipped = await after_sales.submit_return_shipment(buyer.id, request.id, " 顺丰 ", "SF7654321")
    assert (shipped.status, shipped.return_carrier, shipped.return_tracking_no) == (
        "RETURN_SHIPPED",
        "顺丰",
        "SF7654321",
    )
    # once on its way back it cannot be withdrawn
    assert await code_of(after_sales.cancel(buyer.id, request.id)) == ErrorCode.INVALID_TRANSITION
    assert (await Sku.get(id=sku.id)).stock == 8

    done = await after_sales.receive_return(SUPPORT, 1, request.id)
    assert (done.status, done.amount) == ("REFUNDED", 2000)  # shipped: the shipping fee is not refunded
    assert (await Sku.get(id=sku.id)).stock == 10
    movement = await StockMovement.get(reference_type="AFTER_SALE", reference_id=str(request.id))
    assert (movement.delta, movement.reason) == (2, "RETURN")
    assert await wallet(buyer) == 100_000 - 500
    assert await pending(merchant) == 500
    fresh = await Order.get(id=order.id)
    assert (fresh.status, fresh.refunded_amount) == ("CLOSED", 2000)
    templates = [m.template for m in await OutboundMessage.filter(user_id=buyer.id).order_by("id")]
    assert templates == ["ORDER_PAID", "ORDER_SHIPPED", "AFTER_SALE_APPROVED", "AFTER_SALE_REFUNDED"]
    assert await ledger.check_invariants() == []


async def test_completed_order_within_the_window_stays_completed_when_fully_refunded():
    buyer, merchant, order, (line,), _ = await paid_order(quantity=1, shipping_fee=0)
    await orders.complete(await ship(order), actor_id=None, reason="test")
    clock.advance(timedelta(days=settings.AFTER_SALES_WINDOW_DAYS) - timedelta(minutes=1))
    request = await after_sales.request_after_sale(buyer.id, line.id, "RETURN_REFUND", 1, "质量问题")
    await after_sales.approve(SUPPORT, 1, request.id)
    await after_sales.submit_return_shipment(buyer.id, request.id, "中通", "ZT-0001")
    await after_sales.receive_return(SUPPORT, 1, request.id)
    fresh = await Order.get(id=order.id)
    assert (fresh.status, fresh.refunded_amount) == ("COMPLETED", 1000)
    assert await ledger.check_invariants() == []


# --------------------------------------------------------------------------- reject, cancel, twice


async def test_reject_releases_the_units():
    buyer, merchant, order, (line,), rows = await paid_order(quantity=3)
    request = await after_sales.request_after_sale(buyer.id, line.id, "REFUND_ONLY", 2, "不想要了")
    before = await snapshot(buyer, merchant, order, rows)
    assert await code_of(after_sales.reject(SUPPORT, 1, request.id, "   ")) == ErrorCode.INVALID_INPUT
    assert await snapshot(buyer, merchant, order, rows) == before
    rejected = await after_sales.reject(SUPPORT, 5, request.id, "商品已发出")
    assert (rejected.status, rejected.reject_reason, rejected.reviewer_id) == ("REJECTED", "商品已发出", 5)
    assert (await OrderLine.get(id=line.id)).requested_quantity == 0
    assert await code_of(after_sales.approve(SUPPORT, 1, request.id)) == ErrorCode.INVALID_TRANSITION
    assert await code_of(after_sales.cancel(buyer.id, request.id)) == ErrorCode.INVALID_TRANSITION
    # every unit can be asked for again
    again = await after_sales.request_after_sale(buyer.id, line.id, "REFUND_ONLY", 3, "再试一次")
    assert again.quantity == 3
    assert "AFTER_SALE_REJECTED" in [m.template for m in await OutboundMessage.filter(user_id=buyer.id)]
    assert await wallet(buyer) == 100_000 - 3500


async def test_buyer_cancels_and_the_units_come_back():
    buyer, merchant, order, (line,), rows = await paid_order(quantity=2)
    await ship(order)
    request = await after_sales.request_after_sale(buyer.id, line.id, "RETURN_REFUND", 2, "尺码不合适")
    await after_sales.approve(SUPPORT, 1, request.id)
    stranger, _ = await make_buyer("stranger")
    assert await code_of(after_sales.cancel(stranger.id, request.id)) == ErrorCode.NOT_FOUND
    assert (await after_sales.cancel(buyer.id, request.id)).status == "CANCELLED"
    assert (await OrderLine.get(id=line.id)).requested_quantity == 0
    assert await code_of(after_sales.cancel(buyer.id, request.id)) == ErrorCode.INVALID_TRANSITION
    assert (
        await code_of(after_sales.submit_return_shipment(buyer.id, request.id, "顺丰", "SF0001"))
        == ErrorCode.INVALID_TRANSITION
    )


async def test_second_approval_refunds_nothing():
    buyer, merchant, order, (line,), rows = await paid_order(quantity=2)
    request = await after_sales.request_after_sale(buyer.id, line.id, "REFUND_ONLY", 1, "不想要了")
    await after_sales.approve(SUPPORT, 1, request.id)
    after_first = await snapshot(buyer, merchant, order, rows)
    assert await code_of(after_sales.approve(SUPPORT, 1, request.id)) == ErrorCode.INVALID_TRANSITION
    assert await code_of(after_sales.reject(SUPPORT, 1, request.id, "no")) == ErrorCode.INVALID_TRANSITION
    assert await snapshot(buyer, merchant, order, rows) == after_first
    assert await ledger.check_invariants() == []


async def test_review_needs_the_merchants_order_staff_or_support():
    from services.accounts.access import load_grants
    from tests.catalog_factories import make_staff, owner_grants

    buyer, merchant, order, (line,), rows = await paid_order(quantity=2)
    other_merchant, _, _ = await make_shop()
    request = await after_sales.request_after_sale(buyer.id, line.id, "REFUND_ONLY", 1, "不想要了")
    before = await snapshot(buyer, merchant, order, rows)
    products_only = await load_grants((await make_staff(merchant, ["merchant.products"])).id)
    for grants in (await load_grants(buyer.id), products_only, await owner_grants(other_merchant)):
        assert await code_of(after_sales.approve(grants, 1, request.id)) == ErrorCode.FORBIDDEN
        assert await code_of(after_sales.reject(grants, 1, request.id, "no")) == ErrorCode.FORBIDDEN
    assert await code_of(after_sales.approve(SUPPORT, 1, 999_999)) == ErrorCode.NOT_FOUND
    assert await snapshot(buyer, merchant, order, rows) == before
    order_staff = await load_grants((await make_staff(merchant, ["merchant.orders"])).id)
    assert (await after_sales.approve(order_staff, 1, request.id)).status == "REFUNDED"
    assert (await after_sales.visible_after_sale(999, order_staff, request.id)).id == request.id
    assert await code_of(after_sales.visible_after_sale(999, products_only, request.id)) == ErrorCode.NOT_FOUND
    assert await code_of(after_sales.merchant_after_sales(products_only, merchant.id)) == ErrorCode.FORBIDDEN


# --------------------------------------------------------------------------- refused requests


async def test_bad_requests_are_refused_with_their_code_and_change_nothing():
    buyer, merchant, order, (line,), rows = await paid_order(quantity=2)
    stranger, _ = await make_buyer("stranger")
    before = await snapshot(buyer, merchant, order, rows)
    request = after_sales.request_after_sale
    assert await code_of(request(buyer.id, line.id, "REFUND_ONLY", 0, "r")) == ErrorCode.INVALID_QUANTITY
    assert await code_of(request(buyer.id, line.id, "REFUND_ONLY", -1, "r")) == ErrorCode.INVALID_QUANTITY
    assert await code_of(request(buyer.id, line.id, "REFUND_ONLY", 3, "r")) == ErrorCode.AFTER_SALE_QUANTITY_EXCEEDED
    assert await code_of(request(stranger.id, line.id, "REFUND_ONLY", 1, "r")) == ErrorCode.NOT_FOUND
    assert await code_of(request(buyer.id, 999_999, "REFUND_ONLY", 1, "r")) == ErrorCode.NOT_FOUND
    assert await code_of(request(buyer.id, line.id, "REFUND_ONLY", 1, "  ")) == ErrorCode.INVALID_INPUT
    assert await code_of(request(buyer.id, line.id, "REFUND_ONLY", 1, "x" * 257)) == ErrorCode.INVALID_INPUT
    assert await code_of(request(buyer.id, line.id, "EXCHANGE", 1, "r")) == ErrorCode.INVALID_INPUT
    # a return needs the goods to have reached the buyer
    assert await code_of(request(buyer.id, line.id, "RETURN_REFUND", 1, "r")) == ErrorCode.AFTER_SALE_NOT_ALLOWED
    assert await snapshot(buyer, merchant, order, rows) == before
    assert await AfterSale.all().count() == 0

    await request(buyer.id, line.id, "REFUND_ONLY", 1, "r")
    assert await code_of(request(buyer.id, line.id, "REFUND_ONLY", 2, "r")) == ErrorCode.AFTER_SALE_QUANTITY_EXCEEDED
    assert await AfterSale.all().count() == 1
    assert (await OrderLine.get(id=line.id)).requested_quantity == 1


async def test_unpaid_order_takes_no_request():
    buyer, address = await make_buyer(wallet=10_000)
    _, _, (sku,) = await make_shop()
    placed = await place(buyer, address, [(sku.id, 1)])
    line = await OrderLine.get(order_id=placed.orders[0].id)
    assert (
        await code_of(after_sales.request_after_sale(buyer.id, line.id, "REFUND_ONLY", 1, "r"))
        == ErrorCode.AFTER_SALE_NOT_ALLOWED
    )
    await payments.cancel_by_buyer(buyer.id, placed.orders[0].id, "")
    assert (
        await code_of(after_sales.request_after_sale(buyer.id, line.id, "REFUND_ONLY", 1, "r"))
        == ErrorCode.AFTER_SALE_NOT_ALLOWED
    )
    assert await AfterSale.all().count() == 0


async def test_window_after_completion():
    buyer, merchant, order, (line,), rows = await paid_order(quantity=2)
    await orders.complete(await ship(order), actor_id=None, reason="test")
    clock.advance(timedelta(days=settings.AFTER_SALES_WINDOW_DAYS, minutes=1))
    before = await snapshot(buyer, merchant, order, rows)
    for kind in ("REFUND_ONLY", "RETURN_REFUND"):
        code = await code_of(after_sales.request_after_sale(buyer.id, line.id, kind, 1, "迟到了"))
        assert code == ErrorCode.AFTER_SALE_NOT_ALLOWED
    assert await snapshot(buyer, merchant, order, rows) == before


async def test_a_failing_refund_hook_rolls_everything_back():
    buyer, merchant, order, (line,), rows = await paid_order(quantity=2)
    request = await after_sales.request_after_sale(buyer.id, line.id, "REFUND_ONLY", 2, "不想要了")
    before = await snapshot(buyer, merchant, order, rows)
    messages_before = await OutboundMessage.all().count()

    async def refuse(refund: order_hooks.LineRefund, conn) -> None:
        assert (refund.quantity, refund.amount, refund.line.id) == (2, 2000, line.id)
        raise DomainError(ErrorCode.INVALID_TRANSITION, "a commission was already paid out")

    order_hooks.LINE_REFUNDED.add("test.refuse", refuse)
    try:
        assert await code_of(after_sales.approve(SUPPORT, 1, request.id)) == ErrorCode.INVALID_TRANSITION
    finally:
        order_hooks.LINE_REFUNDED.remove("test.refuse")
    assert await snapshot(buyer, merchant, order, rows) == before
    assert await OutboundMessage.all().count() == messages_before
    assert (await AfterSale.get(id=request.id)).status == "REQUESTED"
    assert await ledger.check_invariants() == []
    # and it goes through once the hook agrees
    assert (await after_sales.approve(SUPPORT, 1, request.id)).status == "REFUNDED"
    assert await ledger.check_invariants() == []


# --------------------------------------------------------------------------- races (PostgreSQL)


async def _outcome(awaitable) -> str:
    try:
        await awaitable
        return "OK"
    except DomainError as exc:
        return exc.code.value


@requires_postgres
async def test_concurrent_requests_for_the_same_units_one_wins():
    buyer, merchant, order, (line,), rows = await paid_order(quantity=2)
    results = await asyncio.gather(
        *(_outcome(after_sales.request_after_sale(buyer.id, line.id, "REFUND_ONLY", 2, "r")) for _ in range(6))
    )
    assert sorted(results) == ["AFTER_SALE_QUANTITY_EXCEEDED"] * 5 + ["OK"]
    assert await AfterSale.filter(line_id=line.id).count() == 1
    assert (await OrderLine.get(id=line.id)).requested_quantity == 2


@requires_postgres
async def test_concurrent_approvals_refund_once():
    buyer, merchant, order, (line,), rows = await paid_order(quantity=2, shipping_fee=500)
    request = await after_sales.request_after_sale(buyer.id, line.id, "REFUND_ONLY", 2, "r")
    results = await asyncio.gather(*(_outcome(after_sales.approve(SUPPORT, 1, request.id)) for _ in range(6)))
    assert sorted(results) == ["INVALID_TRANSITION"] * 5 + ["OK"]
    assert await Refund.filter(after_sale_id=request.id).count() == 1
    assert await wallet(buyer) == 100_000  # goods and shipping, once
    fresh = await Order.get(id=order.id)
    assert (fresh.status, fresh.refunded_amount) == ("CLOSED", 2500)
    assert (await Sku.get(id=rows[0].id)).stock == 10
    assert await ledger.check_invariants() == []


@requires_postgres
async def test_concurrent_refunds_of_the_last_lines_return_shipping_once():
    buyer, merchant, order, lines, rows = await paid_order(quantity=1, shipping_fee=500, skus=4)
    requests = [await after_sales.request_after_sale(buyer.id, l.id, "REFUND_ONLY", 1, "r") for l in lines]
    results = await asyncio.gather(*(_outcome(after_sales.approve(SUPPORT, 1, r.id)) for r in requests))
    assert results == ["OK"] * 4
    fresh = await Order.get(id=order.id)
    assert (fresh.status, fresh.refunded_amount) == ("CLOSED", 4500)
    assert sorted([a.amount for a in await AfterSale.filter(order_id=order.id)]) == [1000, 1000, 1000, 1500]
    assert await wallet(buyer) == 100_000
    assert [(await Sku.get(id=s.id)).stock for s in rows] == [10] * 4
    assert await ledger.check_invariants() == []


@requires_postgres
async def test_cancel_racing_approval_has_one_winner():
    buyer, merchant, order, (line,), rows = await paid_order(quantity=2)
    request = await after_sales.request_after_sale(buyer.id, line.id, "REFUND_ONLY", 2, "r")
    approved, cancelled = await asyncio.gather(
        _outcome(after_sales.approve(SUPPORT, 1, request.id)), _outcome(after_sales.cancel(buyer.id, request.id))
    )
    assert sorted([approved, cancelled]) == ["INVALID_TRANSITION", "OK"]
    final = await AfterSale.get(id=request.id)
    line = await OrderLine.get(id=line.id)
    if final.status == "REFUNDED":
        assert (
            line.requested_quantity,
            line.refunded_quantity,
            await Refund.filter(after_sale_id=request.id).count(),
        ) == (2, 2, 1)
    else:
        assert final.status == "CANCELLED"
        assert (line.requested_quantity, line.refunded_quantity, await Refund.all().count()) == (0, 0, 0)
    assert await ledger.check_invariants() == []
