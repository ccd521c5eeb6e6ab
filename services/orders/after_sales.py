"""After-sales (ORD-7): refund-only and return-and-refund requests, per line and partial,
reviewed by the merchant's order staff or platform support, refunded by the payment's own
method. States and transitions: services.orders.after_sale_states.

Units: a request reserves its units on the order line by one conditional UPDATE
(`requested_quantity + q <= quantity`), so two requests racing for the same units cannot
both pass; rejecting or cancelling gives them back by a conditional decrement.

The refund runs in ONE unit of work with the transition that causes it:
  1. the request moves by a conditional UPDATE on its status (a double approval refunds once);
  2. the order row, then the line row, are locked (PostgreSQL; SQLite serialises writers),
     so refunds of one order are serialised and "is every line refunded now?" is exact;
  3. the line's share is `pricing.refund_share` (cumulative floor: refunding every unit in
     any number of steps returns exactly the line's amount); the line's refunded totals move;
  4. `order_hooks.LINE_REFUNDED` (commissions, consignment …) runs before the money moves:
     a consignment match hands its share back to the merchant's pending account first;
  5. when this refund empties the order before it left the merchant (PAID / READY_FOR_PICKUP)
     the shipping fee goes back too, in the same `payments.book_refund` (ledger, order cap);
  6. stock: returned goods come back (RETURN); a refund-only approved before the goods left
     releases them (ORDER_RELEASE); the order is closed when every unit is refunded and it
     had not completed.
Anything raising rolls all of it back. Gateway refunds are sent after the commit.

Lock order (PostgreSQL): after_sale -> orders (FOR NO KEY UPDATE, which does not block the
foreign-key checks of concurrent inserts) -> order_line -> payment -> ledger accounts
(ascending) -> product -> sku: the same "accounts before product" order as payment, so
refunds and payments of one merchant's goods cannot deadlock.
"""

from __future__ import annotations

import re
from datetime import timedelta

from tortoise.expressions import F

import settings
from models.merchants import Merchant
from models.orders import AfterSale, Order, OrderLine, Refund
from services.accounts.access import Grants, require_order_staff
from services.catalog import stock
from services.core import clock
from services.core.errors import DomainError, ErrorCode
from services.core.events import emit, merchant_channel, unit_of_work, user_channel
from services.core.money import cumulative_share
from services.core.sql import sql
from services.ledger import ledger
from services.ledger.ledger import Posting, Purpose
from services.marketing import coins, coupons, pipeline, points_mall, refunds
from services.orders import after_sale_states as states
from services.orders import hooks as order_hooks
from services.orders import messages, payments, pricing
from services.orders import states as order_states
from services.orders.events import AfterSaleRequested

REQUESTABLE = frozenset(
    {
        order_states.PAID,
        order_states.READY_FOR_PICKUP,
        order_states.SHIPPED,
        order_states.DELIVERED,
        order_states.PICKED_UP,
        order_states.COMPLETED,
    }
)
NOT_SHIPPED = frozenset({order_states.PAID, order_states.READY_FOR_PICKUP})
_TRACKING_NO = re.compile(r"^[A-Za-z0-9-]{4,64}$")


def _not_found() -> DomainError:
    return DomainError(ErrorCode.NOT_FOUND, "No such after-sales request.", "id")


def _text(value: str, field: str, what: str, max_length: int = 256) -> str:
    value = (value or "").strip()
    if not 1 <= len(value) <= max_length:
        raise DomainError(ErrorCode.INVALID_INPUT, f"{what} of 1 to {max_length} characters is required.", field)
    return value


def check_requestable(order: Order, kind: str) -> None:
    """Refuse (AFTER_SALE_NOT_ALLOWED) unless the order accepts this kind of request now."""
    if order.status not in REQUESTABLE:
        raise DomainError(
            ErrorCode.AFTER_SALE_NOT_ALLOWED,
            f"An order that is {order.status.lower().replace('_', ' ')} takes no after-sales request.",
            "lineId",
        )
    if order.status == order_states.COMPLETED:
        window = timedelta(days=settings.AFTER_SALES_WINDOW_DAYS)
        if order.completed_at is None or clock.now() > order.completed_at + window:
            raise DomainError(
                ErrorCode.AFTER_SALE_NOT_ALLOWED,
                f"After-sales requests are accepted for {settings.AFTER_SALES_WINDOW_DAYS} days after completion.",
                "lineId",
            )
    if kind == states.RETURN_REFUND and order.status not in order_states.GOODS_WITH_BUYER:
        raise DomainError(
            ErrorCode.AFTER_SALE_NOT_ALLOWED, "The goods have not reached the buyer yet: ask for a refund only.", "kind"
        )


# --------------------------------------------------------------------------- buyer


async def request_after_sale(buyer_id: int, line_id: int, kind: str, quantity: int, reason: str) -> AfterSale:
    """The buyer asks for `quantity` units of one of their order lines to be refunded
    (REFUND_ONLY) or returned and refunded (RETURN_REFUND)."""
    line = await OrderLine.get_or_none(id=line_id).select_related("order")
    if line is None or line.order.buyer_id != buyer_id:
        raise DomainError(ErrorCode.NOT_FOUND, "No such order line.", "lineId")
    if line.is_gift:  # MKT-2: it goes back with the order's last paid unit
        raise DomainError(ErrorCode.INVALID_INPUT, "A gift is refunded with the goods it came with.", "lineId")
    if kind not in states.KINDS:
        raise DomainError(ErrorCode.INVALID_INPUT, f"Kind is one of {', '.join(states.KINDS)}.", "kind")
    if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity < 1:
        raise DomainError(ErrorCode.INVALID_QUANTITY, "Ask for at least one unit.", "quantity")
    reason = _text(reason, "reason", "A reason")
    order = line.order
    check_requestable(order, kind)
    if quantity > line.quantity - line.requested_quantity:
        raise DomainError(ErrorCode.AFTER_SALE_QUANTITY_EXCEEDED, _left(line), "quantity")
    async with unit_of_work() as conn:
        # The reservation: one conditional UPDATE, so concurrent requests cannot overshoot.
        taken = (
            await OrderLine.filter(id=line.id, requested_quantity__lte=line.quantity - quantity)
            .using_db(conn)
            .update(requested_quantity=F("requested_quantity") + quantity)
        )
        if taken != 1:
            fresh = await OrderLine.get(id=line.id).using_db(conn)
            raise DomainError(ErrorCode.AFTER_SALE_QUANTITY_EXCEEDED, _left(fresh), "quantity")
        after_sale = await AfterSale.create(
            order_id=order.id,
            line_id=line.id,
            buyer_id=buyer_id,
            merchant_id=order.merchant_id,
            kind=kind,
            quantity=quantity,
            reason=reason,
            using_db=conn,
        )
        emit(merchant_channel(order.merchant_id), AfterSaleRequested(after_sale.id, order.id))
        emit(user_channel(buyer_id), states.status_event(after_sale))
        await messages.queue_for_merchant(
            order.merchant_id,
            "AFTER_SALE_REQUESTED",
            {"orderNo": order.order_no, "afterSaleId": after_sale.id, "kind": kind, "quantity": quantity},
            conn,
        )
    return after_sale


def _left(line: OrderLine) -> str:
    left = line.quantity - line.requested_quantity
    return (
        f"Only {left} unit{'s' if left != 1 else ''} of this line can still be asked for."
        if left
        else ("Every unit of this line is already under an after-sales request.")
    )


async def _own(buyer_id: int, after_sale_id: int) -> AfterSale:
    after_sale = await AfterSale.get_or_none(id=after_sale_id, buyer_id=buyer_id)
    if after_sale is None:
        raise _not_found()
    return after_sale


async def cancel(buyer_id: int, after_sale_id: int) -> AfterSale:
    """The buyer withdraws a request that is not yet refunded or on its way back."""
    after_sale = await _own(buyer_id, after_sale_id)
    async with unit_of_work() as conn:
        await states.transition(after_sale, "cancel", conn=conn)
        await _release_units(after_sale, conn)
    return after_sale


async def submit_return_shipment(buyer_id: int, after_sale_id: int, carrier: str, tracking_no: str) -> AfterSale:
    """The buyer has sent an approved return back: carrier and tracking number."""
    after_sale = await _own(buyer_id, after_sale_id)
    carrier = _text(carrier, "carrier", "A carrier name", 32)
    tracking_no = (tracking_no or "").strip()
    if not _TRACKING_NO.match(tracking_no):
        raise DomainError(
            ErrorCode.INVALID_INPUT, "A tracking number is 4 to 64 letters, digits or dashes.", "trackingNo"
        )
    async with unit_of_work() as conn:
        await states.transition(
            after_sale, "ship_return", conn=conn, return_carrier=carrier, return_tracking_no=tracking_no
        )
        order_no = await _order_no(after_sale, conn)
        await messages.queue_for_merchant(
            after_sale.merchant_id,
            "AFTER_SALE_RETURN_SHIPPED",
            {"orderNo": order_no, "afterSaleId": after_sale.id, "carrier": carrier, "trackingNo": tracking_no},
            conn,
        )
    return after_sale


# --------------------------------------------------------------------------- review


async def _staff_after_sale(grants: Grants, after_sale_id: int) -> AfterSale:
    after_sale = await AfterSale.get_or_none(id=after_sale_id)
    if after_sale is None:
        raise _not_found()
    require_order_staff(grants, after_sale.merchant_id)
    return after_sale


async def approve(grants: Grants, actor_id: int, after_sale_id: int) -> AfterSale:
    """Approve a request: a refund-only is refunded at once; a return-and-refund waits
    for the goods (the buyer ships them back, the merchant confirms receipt)."""
    after_sale = await _staff_after_sale(grants, after_sale_id)
    refund = None
    async with unit_of_work() as conn:
        if after_sale.kind == states.REFUND_ONLY:
            await states.transition(after_sale, "refund", conn=conn, reviewer_id=actor_id)
            refund = await _refund(after_sale, conn, actor_id=actor_id, returned=False)
        else:
            await states.transition(after_sale, "approve_return", conn=conn, reviewer_id=actor_id)
            await messages.queue(
                after_sale.buyer_id,
                "AFTER_SALE_APPROVED",
                {"orderNo": await _order_no(after_sale, conn), "afterSaleId": after_sale.id},
                conn,
            )
    await _send(refund)
    return after_sale


async def reject(grants: Grants, actor_id: int, after_sale_id: int, reason: str) -> AfterSale:
    """Refuse a request, with the reason the buyer will see; its units are released."""
    after_sale = await _staff_after_sale(grants, after_sale_id)
    reason = _text(reason, "reason", "A reason")
    async with unit_of_work() as conn:
        await states.transition(after_sale, "reject", conn=conn, reject_reason=reason, reviewer_id=actor_id)
        await _release_units(after_sale, conn)
        await messages.queue(
            after_sale.buyer_id,
            "AFTER_SALE_REJECTED",
            {"orderNo": await _order_no(after_sale, conn), "afterSaleId": after_sale.id, "reason": reason},
            conn,
        )
    return after_sale


async def receive_return(grants: Grants, actor_id: int, after_sale_id: int) -> AfterSale:
    """The merchant has the returned goods: stock comes back and the buyer is refunded."""
    after_sale = await _staff_after_sale(grants, after_sale_id)
    async with unit_of_work() as conn:
        await states.transition(after_sale, "receive_return", conn=conn)
        refund = await _refund(after_sale, conn, actor_id=actor_id, returned=True)
    await _send(refund)
    return after_sale


# --------------------------------------------------------------------------- money and stock


async def _refund(after_sale: AfterSale, conn, *, actor_id: int, returned: bool) -> Refund | None:
    """Refund the request's units inside the caller's unit of work (see the module notes).
    Returns the Refund booked, or None when the units' share is zero."""
    if conn.capabilities.dialect == "postgres":  # SQLite serialises writers anyway
        await conn.execute_query(
            sql(conn, "SELECT id FROM orders WHERE id = ? FOR NO KEY UPDATE"), [after_sale.order_id]
        )
        await conn.execute_query(sql(conn, "SELECT id FROM order_line WHERE id = ? FOR UPDATE"), [after_sale.line_id])
    order = await Order.get(id=after_sale.order_id).using_db(conn)
    line = await OrderLine.get(id=after_sale.line_id).using_db(conn)
    quantity = after_sale.quantity
    if line.refunded_quantity + quantity > line.quantity:  # cannot happen: units were reserved
        raise DomainError(ErrorCode.AFTER_SALE_QUANTITY_EXCEEDED, "These units are already refunded.", "quantity")
    goods = pricing.refund_share(line.amount, line.quantity, line.refunded_quantity, quantity)
    moved = (
        await OrderLine.filter(id=line.id, refunded_quantity=line.refunded_quantity)
        .using_db(conn)
        .update(refunded_quantity=F("refunded_quantity") + quantity, refunded_amount=F("refunded_amount") + goods)
    )
    if moved != 1:
        raise DomainError(ErrorCode.INVALID_TRANSITION, "This line changed meanwhile; try again.", "status")
    line.refunded_quantity += quantity
    line.refunded_amount += goods
    lines = (
        await OrderLine.filter(order_id=order.id, is_gift=False)
        .using_db(conn)
        .values_list("quantity", "refunded_quantity")
    )
    everything = all(refunded >= bought for bought, refunded in lines)  # gift lines follow the rest
    # the shipping the buyer paid (after its discounts), back when nothing was shipped
    shipping = order.shipping_fee - order.shipping_discount if everything and order.status in NOT_SHIPPED else 0
    amount = goods + shipping
    # Reactions first (a consignment match hands its money back to the merchant's pending
    # account; a hook may refuse), then the buyer's money leaves that account.
    await order_hooks.LINE_REFUNDED.run(
        order_hooks.LineRefund(order=order, line=line, quantity=quantity, amount=goods), conn
    )
    refund = None
    if amount > 0:
        refund = await payments.book_refund(order, amount, conn, after_sale_id=after_sale.id)
    await _return_platform_funding(order, line, quantity, everything and order.status in NOT_SHIPPED, after_sale, conn)
    if line.coins:  # MKT-4: the refunded units' coins, by cumulative share
        back = cumulative_share(line.coins, line.quantity, line.refunded_quantity - quantity, quantity)
        await coins.refund(order, back, after_sale.id, conn)
    # MKT-4: the units' points by cumulative share, and the shipping's with the cash shipping's
    points = points_mall.refunded_points(line.points, line.quantity, line.refunded_quantity - quantity, quantity)
    if everything and order.status in NOT_SHIPPED:
        points += order.shipping_points
    await points_mall.refund(order, points, after_sale.id, conn)
    if everything and refunds.returns_coupon(settings.COUPON_RETURN_POLICY, order.status == order_states.COMPLETED):
        await coupons.return_for_order(order, conn)
    now = clock.now()
    await AfterSale.filter(id=after_sale.id).using_db(conn).update(amount=amount, refunded_at=now)
    after_sale.amount, after_sale.refunded_at = amount, now
    if returned:
        await stock.adjust_stock(
            line.sku_id,
            quantity,
            stock.RETURN,
            reference_type="AFTER_SALE",
            reference_id=str(after_sale.id),
            actor_id=actor_id,
        )
    elif order.status in NOT_SHIPPED:  # the goods never left: they are on sale again
        await stock.adjust_stock(
            line.sku_id,
            quantity,
            stock.ORDER_RELEASE,
            reference_type="AFTER_SALE",
            reference_id=str(after_sale.id),
            actor_id=actor_id,
        )
    if everything:
        await _refund_gifts(order, after_sale, conn, actor_id=actor_id, returned=returned)
    if everything and order_states.ORDER_STATES.allows("close", order.status):
        await order_states.transition(order, "close", conn=conn, actor_id=actor_id, reason="Every unit refunded")
    await messages.queue(
        after_sale.buyer_id,
        "AFTER_SALE_REFUNDED",
        {"orderNo": order.order_no, "afterSaleId": after_sale.id, "amount": amount},
        conn,
    )
    return refund


async def _refund_gifts(order, after_sale, conn, *, actor_id: int, returned: bool) -> None:
    """MKT-2: the last paid unit refunded takes the order's gift lines with it (paid 0: no
    money to the buyer). Their stock comes back as any line's (returned with the goods, or
    never shipped), and so does the platform's funding of their value; a refund without a
    return after shipping leaves the buyer the gift, and the merchant the subsidy for it."""
    gifts = await OrderLine.filter(order_id=order.id, is_gift=True).using_db(conn).order_by("id")
    for gift in gifts:
        left = gift.quantity - gift.refunded_quantity
        if left <= 0:
            continue
        moved = (
            await OrderLine.filter(id=gift.id, refunded_quantity=gift.refunded_quantity)
            .using_db(conn)
            .update(refunded_quantity=gift.quantity)
        )
        if moved != 1:
            raise DomainError(ErrorCode.INVALID_TRANSITION, "This order changed meanwhile; try again.", "status")
        gift.refunded_quantity = gift.quantity
        if returned or order.status in NOT_SHIPPED:
            await _return_platform_funding(order, gift, left, False, after_sale, conn)
            await stock.adjust_stock(
                gift.sku_id,
                left,
                stock.RETURN if returned else stock.ORDER_RELEASE,
                reference_type="AFTER_SALE",
                reference_id=str(after_sale.id),
                actor_id=actor_id,
            )


async def _return_platform_funding(order, line, quantity: int, shipping: bool, after_sale, conn) -> None:
    """The refunded units' share of what the platform funded of the line (its coupons and
    promotions, MKT-1/2), and of the shipping's when that is refunded, go back from the
    merchant's pending account to PROMOTION_EXPENSE: the merchant keeps no subsidy of goods
    it took back. By cumulative share, so every fen returns exactly once over all steps."""
    funded = cumulative_share(
        pipeline.funded_by_platform(line.discounts), line.quantity, line.refunded_quantity - quantity, quantity
    )
    if shipping:
        lines = await OrderLine.filter(order_id=order.id).using_db(conn).values_list("discounts", flat=True)
        funded += order.platform_funded - sum(pipeline.funded_by_platform(d) for d in lines)
    if funded <= 0:
        return
    await ledger.post(
        "PLATFORM_DISCOUNT_RETURNED",
        [
            Posting(
                (
                    await ledger.get_account(
                        ledger.MERCHANT, order.merchant_id, Purpose.MERCHANT_PENDING, order.currency
                    )
                ).id,
                -funded,
            ),
            Posting((await ledger.platform_account(Purpose.PROMOTION_EXPENSE, order.currency)).id, funded),
        ],
        idempotency_key=f"after_sale:{after_sale.id}:platform_funding",
        reference_type="ORDER",
        reference_id=str(order.id),
    )


async def _send(refund: Refund | None) -> None:
    """After the commit: gateway refunds go out now (the worker retries what fails)."""
    if refund is not None and refund.method != payments.WALLET:
        await payments.execute_refund(refund.id)


async def _release_units(after_sale: AfterSale, conn) -> None:
    released = (
        await OrderLine.filter(id=after_sale.line_id, requested_quantity__gte=after_sale.quantity)
        .using_db(conn)
        .update(requested_quantity=F("requested_quantity") - after_sale.quantity)
    )
    if released != 1:  # cannot happen while every request reserved its units
        raise DomainError(
            ErrorCode.INVALID_TRANSITION, "The line's reserved units do not match this request.", "status"
        )


async def _order_no(after_sale: AfterSale, conn) -> str:
    return (await Order.filter(id=after_sale.order_id).using_db(conn).values_list("order_no", flat=True))[0]


# --------------------------------------------------------------------------- reading


async def visible_after_sale(viewer_id: int, grants: Grants, after_sale_id: int) -> AfterSale:
    """The request if the viewer is its buyer, handles its merchant's orders, or is
    platform support; NOT_FOUND otherwise (existence is not leaked)."""
    after_sale = await AfterSale.get_or_none(id=after_sale_id)
    if after_sale is None:
        raise _not_found()
    if after_sale.buyer_id == viewer_id:
        return after_sale
    try:
        require_order_staff(grants, after_sale.merchant_id)
    except DomainError:
        raise _not_found() from None
    return after_sale


def _status_filter(query, status: str | None):
    if status is None:
        return query
    if status not in states.STATUSES:
        raise DomainError(ErrorCode.INVALID_INPUT, f"Status is one of {', '.join(states.STATUSES)}.", "status")
    return query.filter(status=status)


def my_after_sales(buyer_id: int, status: str | None = None):
    """The buyer's requests: a queryset to paginate."""
    return _status_filter(AfterSale.filter(buyer_id=buyer_id), status)


async def merchant_after_sales(grants: Grants, merchant_id: int, status: str | None = None):
    """A merchant's requests for its order staff (or platform support): a queryset to paginate."""
    if not await Merchant.exists(id=merchant_id):
        raise DomainError(ErrorCode.NOT_FOUND, "No such merchant.", "merchantId")
    require_order_staff(grants, merchant_id)
    return _status_filter(AfterSale.filter(merchant_id=merchant_id), status)


async def refund_in_full(order_id: int, conn, *, reason: str, actor_id: int | None = None) -> list[Refund]:
    """Refund every unit of a paid order not already under a request, inside the caller's unit
    of work, as refund-only requests approved at once (the after-sales path: money by the
    payment's method, coins, points, coupons, platform funding, stock, commissions reversed,
    the order closed). MKT-3: a group-buy team that failed. Send the refunds after the commit
    (`send_refunds`)."""
    order = await Order.get(id=order_id).using_db(conn)
    booked = []
    lines = await OrderLine.filter(order_id=order.id, is_gift=False).using_db(conn).order_by("id")
    for line in lines:
        quantity = line.quantity - line.requested_quantity
        if quantity <= 0:
            continue
        taken = (
            await OrderLine.filter(id=line.id, requested_quantity=line.requested_quantity)
            .using_db(conn)
            .update(requested_quantity=F("requested_quantity") + quantity)
        )
        if taken != 1:
            raise DomainError(ErrorCode.INVALID_TRANSITION, "This order changed meanwhile; try again.", "status")
        after_sale = await AfterSale.create(
            order_id=order.id,
            line_id=line.id,
            buyer_id=order.buyer_id,
            merchant_id=order.merchant_id,
            kind=states.REFUND_ONLY,
            quantity=quantity,
            reason=reason[:256],
            using_db=conn,
        )
        await states.transition(after_sale, "refund", conn=conn, reviewer_id=actor_id)
        refund = await _refund(after_sale, conn, actor_id=actor_id or order.buyer_id, returned=False)
        if refund is not None:
            booked.append(refund)
    return booked


async def send_refunds(refunds: list[Refund]) -> None:
    """After the commit of `refund_in_full`: gateway refunds go out (the worker retries)."""
    for refund in refunds:
        await _send(refund)
