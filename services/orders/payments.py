"""Paying for a checkout and giving money back (ORD-4, ORD-7).

Money path, each step one balanced journal transaction (services.ledger.ledger):
  pay:     buyer WALLET (or GATEWAY_CLEARING) -> platform ORDER_CLEARING -> each merchant's MERCHANT_PENDING
  refund:  merchant MERCHANT_PENDING -> ORDER_CLEARING -> buyer WALLET (or GATEWAY_CLEARING, money leaves)

A refund is never refused for the merchant's lack of money (the buyer is owed it). Rule,
for a refund of R when the merchant's MERCHANT_PENDING holds P and MERCHANT_SETTLED holds S
(both locked first, in id order):
  - min(R, P) comes from what pending holds;
  - the rest, as far as S goes, is first moved back SETTLED -> PENDING ("MERCHANT_REFUND_COVER",
    settled money not yet withdrawn; the statement shows it under `other`, already paid);
  - anything left takes MERCHANT_PENDING below zero: the merchant's debt to the platform,
    netted by the next statement's approval (services.finance.settlement); while it is below zero
    the merchant cannot withdraw (services.finance.withdrawals, DEBT_OUTSTANDING).
The whole refund is always booked on MERCHANT_PENDING (ORDER_REFUND), so the statement
that carries it counts it and gives back the platform commission of the refunded units
by settlement's rule.

A payment is marked paid by one conditional UPDATE (UNPAID -> PAID) in the same unit of
work as the journal, the order transitions and the `PAID` hooks; cancel is the
same UPDATE (UNPAID -> CLOSED), so paying and cancelling can never both win.

Gateway notifications are verified (signature, freshness, amount, currency) and stored
once per notify id; repeats return the first outcome. Money that arrives for a payment
that is already closed or paid another way is accepted and refunded automatically.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from tortoise.exceptions import IntegrityError
from tortoise.expressions import F

from models.catalog import Product
from models.ledger import LedgerAccount
from models.orders import GatewayNotification, Order, OrderLine, Payment, Refund
from services.catalog import stock
from services.core import clock
from services.core.errors import DomainError, ErrorCode
from services.core.events import emit, merchant_channel, unit_of_work
from services.core.hooks import Registry
from services.core.sql import add_per_row, models_from_rows, sql
from services.ledger import ledger
from services.ledger.ledger import MERCHANT, PLATFORM, Posting, Purpose
from services.marketing import activities
from services.orders import hooks as order_hooks
from services.orders import messages
from services.orders import states as order_states
from services.orders.checkout import new_number
from services.orders.events import NewOrder
from services.orders.gateways import Charge, gateway

log = logging.getLogger(__name__)

UNPAID, PAID, CLOSED = "UNPAID", "PAID", "CLOSED"
STATUSES = (UNPAID, PAID, CLOSED)
# A refund: booked, then confirmed by the gateway (a wallet refund is confirmed at once).
REFUND_PENDING, REFUND_SUCCEEDED = "PENDING", "SUCCEEDED"
REFUND_STATUSES = (REFUND_PENDING, REFUND_SUCCEEDED)
WALLET = "WALLET"
# Payment methods whose refunds another domain books (wiring.REFUND_METHODS): a member card's
# go back onto the card. `(order, amount, conn, *, after_sale_id, reason) -> Refund`, capped
# by the order like any refund.
REFUND_METHODS: Registry[Callable[..., Awaitable[Refund]]] = Registry("refund method")


async def own_payment(buyer_id: int, payment_id: int) -> Payment:
    payment = await Payment.get_or_none(id=payment_id, buyer_id=buyer_id)
    if payment is None:
        raise DomainError(ErrorCode.NOT_FOUND, "No such payment.", "paymentId")
    return payment


def require_payable(payment: Payment) -> None:
    if payment.status != UNPAID:
        raise DomainError(ErrorCode.PAYMENT_NOT_PAYABLE, f"This payment is {payment.status.lower()}.", "paymentId")
    if payment.expires_at <= clock.now():
        raise DomainError(
            ErrorCode.PAYMENT_EXPIRED, "The time to pay has run out; the order is being cancelled.", "paymentId"
        )


async def _take(conn, payment_id: int, method: str, trade_no: str, *, buyer_id: int | None = None) -> dict | None:
    """UNPAID -> PAID by ONE conditional UPDATE, which also returns the row and the ids of the
    ledger accounts its money passes through (NULL for one not created yet). With `buyer_id`
    (the wallet path): only the buyer's own payment, and only before it expires, the checks it
    would otherwise read the row for. None: not taken (the caller says why)."""
    now = clock.now()
    text = "UPDATE payment SET status = ?, method = ?, gateway_trade_no = ?, paid_at = ? WHERE id = ? AND status = ?"
    params: list = [PAID, method, trade_no, now, payment_id, UNPAID]
    if buyer_id is not None:
        text += " AND buyer_id = ? AND expires_at > ?"
        params += [buyer_id, now]
    accounts = [
        f"{ledger.account_id_sql(PLATFORM, Purpose.ORDER_CLEARING, '0', 'payment.currency')} AS clearing_account",
        f"{ledger.account_id_sql(ledger.USER, Purpose.WALLET, 'payment.buyer_id', 'payment.currency')} AS wallet_account",
    ]
    rows = await conn.execute_query_dict(sql(conn, f"{text} RETURNING *, {', '.join(accounts)}"), params)
    return rows[0] if rows else None


# What the paid orders' statement reads of each order's merchant besides the order.
_ORDER_EXTRA = ", ".join(
    [
        f"{messages.merchant_owner_sql('orders.merchant_id')} AS merchant_owner_id",
        "(SELECT m.kind FROM merchant m WHERE m.id = orders.merchant_id) AS merchant_kind",
        ledger.account_id_sql(MERCHANT, Purpose.MERCHANT_PENDING, "orders.merchant_id", "orders.currency")
        + " AS pending_account",
    ]
)
# The payment's lines with what the paid steps read of their products (hooks.PaidProduct).
_LINES = (
    "SELECT l.*, p.distribution_enabled AS p_distribution_enabled, p.distribution_rates AS p_distribution_rates, "
    "p.vouchers_per_unit AS p_vouchers_per_unit, p.voucher_product_id AS p_voucher_product_id, "
    "p.gift_grade AS p_gift_grade FROM order_line l JOIN product p ON p.id = l.product_id "
    "WHERE l.order_id IN ({}) ORDER BY l.product_id, l.sku_id"
)
_RATES = Product._meta.fields_map["distribution_rates"]
_ENABLED = Product._meta.fields_map["distribution_enabled"]


async def _paid_lines(conn, order_ids: list[int]) -> tuple[list[OrderLine], dict[int, order_hooks.PaidProduct]]:
    rows = await conn.execute_query_dict(sql(conn, _LINES.format(", ".join("?" for _ in order_ids))), order_ids)
    products = {
        row["product_id"]: order_hooks.PaidProduct(
            id=row["product_id"],
            distribution_enabled=_ENABLED.to_python_value(row["p_distribution_enabled"]),
            distribution_rates=_RATES.to_python_value(row["p_distribution_rates"]) or {},
            vouchers_per_unit=int(row["p_vouchers_per_unit"]),
            voucher_product_id=row["p_voucher_product_id"],
            gift_grade=row["p_gift_grade"],
        )
        for row in rows
    }
    return models_from_rows(OrderLine, rows), products


async def _settle(payment: Payment, method: str, trade_no: str, source_account_id: int, conn) -> list[Order]:
    """Mark the payment (read and locked by the caller) and its orders paid, move the money,
    run the paid hooks."""
    taken = await _take(conn, payment.id, method, trade_no)
    if taken is None:
        raise DomainError(ErrorCode.PAYMENT_NOT_PAYABLE, "This payment is no longer payable.", "paymentId")
    payment.status, payment.method, payment.gateway_trade_no = PAID, method, trade_no
    payment.paid_at = Payment._init_from_db(**taken).paid_at
    return await _settle_taken(payment, source_account_id, taken["clearing_account"], conn)


async def _settle_taken(payment: Payment, source_account_id: int, clearing: int | None, conn) -> list[Order]:
    """The rest of a payment just taken (UNPAID -> PAID): its orders, the money, the hooks.

    Statements, for any number of orders and lines: the orders' transition (one UPDATE that
    returns them with their merchants' owner, kind and pending account), their lines and
    products, the status history, the messages, the journal transaction (three), then the hooks
    and the sales counts (two)."""
    rows = await order_states.ORDER_STATES.apply_returning(
        Order, "pay", conn=conn, where={"payment_id": payment.id}, extra=_ORDER_EXTRA
    )
    rows.sort(key=lambda row: row["id"])
    orders = models_from_rows(Order, rows)
    # Every order of an unpaid payment awaits payment (a cancel closes the payment first).
    if not orders or sum(o.pay_amount for o in orders) != payment.amount:
        raise DomainError(ErrorCode.PAYMENT_NOT_PAYABLE, "This payment's orders are not awaiting payment.", "paymentId")
    lines, products = await _paid_lines(conn, [o.id for o in orders])
    await order_states.record_transitions(orders, order_states.PENDING_PAYMENT, conn)
    queued = []
    for order, row in zip(orders, rows, strict=True):
        emit(merchant_channel(order.merchant_id), NewOrder(order.id))
        queued.append(
            messages.Message(order.buyer_id, "ORDER_PAID", {"orderNo": order.order_no, "amount": order.pay_amount})
        )
        if row["merchant_owner_id"] is not None:
            queued.append(messages.Message(row["merchant_owner_id"], "NEW_ORDER", {"orderNo": order.order_no}))
    await messages.queue_all(queued, conn)
    clearing_key = (PLATFORM, 0, Purpose.ORDER_CLEARING, payment.currency)
    known: dict[ledger.AccountKey, int | None] = {clearing_key: clearing}
    expense_key = (PLATFORM, 0, Purpose.PROMOTION_EXPENSE, payment.currency)
    for order, row in zip(orders, rows, strict=True):
        if order.pay_amount or order.platform_funded:
            known[(MERCHANT, order.merchant_id, Purpose.MERCHANT_PENDING, payment.currency)] = row["pending_account"]
        if order.platform_funded:
            known[expense_key] = None
    missing = [key for key, account in known.items() if account is None]
    if missing:  # a first payment to a merchant (or of the platform): created through the ledger
        known.update(await ledger.account_ids(missing))
    accounts: dict[ledger.AccountKey, int] = {key: account for key, account in known.items() if account is not None}
    clearing = accounts[clearing_key]
    postings = (
        [Posting(source_account_id, -payment.amount), Posting(clearing, payment.amount)] if payment.amount else []
    )
    for order in orders:
        pending = accounts.get((MERCHANT, order.merchant_id, Purpose.MERCHANT_PENDING, payment.currency))
        if order.pay_amount:
            postings += [Posting(clearing, -order.pay_amount), Posting(pending, order.pay_amount)]
        if order.platform_funded:  # MKT-1/2: the platform pays the merchant the discounts it funds
            postings += [
                Posting(accounts[expense_key], -order.platform_funded),
                Posting(pending, order.platform_funded),
            ]
    # Rows every payment to this merchant or of this product waits for come last, so they
    # are held for as little of the transaction as possible: the merchant's pending account
    # (the payment's posting, before the hooks that move money on from it), then the
    # product and SKU rows (sales counts; ascending: checkout's lock order).
    if postings:
        # On this unit itself: the key is this payment's, taken just now (UNPAID -> PAID).
        await ledger.post(
            "ORDER_PAYMENT",
            postings,
            idempotency_key=f"payment:{payment.id}:paid",
            reference_type="PAYMENT",
            reference_id=str(payment.id),
            conn=conn,
        )
    for order, row in zip(orders, rows, strict=True):
        paid = order_hooks.PaidOrder(
            order,
            tuple(sorted((ln for ln in lines if ln.order_id == order.id), key=lambda ln: ln.id)),
            products,
            row["merchant_kind"] or "",
            accounts,
        )
        await order_hooks.PAID.run(paid, conn)
    sold: dict[int, int] = {}
    for line in lines:
        sold[line.sku_id] = sold.get(line.sku_id, 0) + line.quantity
    by_product: dict[int, int] = {}
    for line in lines:
        by_product[line.product_id] = by_product.get(line.product_id, 0) + line.quantity
    # Products locked in id order (as checkout locks them), then their SKUs, whose every
    # other writer holds the product first.
    await add_per_row(conn, "product", "sales_count", by_product, lock=True)
    await add_per_row(conn, "sku", "sales_count", sold)
    return orders


async def pay_with_wallet(buyer_id: int, payment_id: int) -> Payment:
    """Pay from the buyer's 零钱 balance; INSUFFICIENT_FUNDS changes nothing."""
    async with unit_of_work() as conn:
        taken = await _take(conn, payment_id, WALLET, "", buyer_id=buyer_id)
        if taken is None:  # say why, as a read before would have
            payment = await own_payment(buyer_id, payment_id)
            require_payable(payment)
            raise DomainError(ErrorCode.PAYMENT_NOT_PAYABLE, "This payment is no longer payable.", "paymentId")
        payment = Payment._init_from_db(**taken)
        wallet = taken["wallet_account"]
        if wallet is None and payment.amount:  # never funded: created, then refused for want of money
            wallet = (await ledger.user_account(buyer_id, Purpose.WALLET, payment.currency)).id
        await _settle_taken(payment, wallet, taken["clearing_account"], conn)
    await _close_open_charge(payment)
    return payment


async def pay_from_account(buyer_id: int, payment_id: int, method: str, source_account_id: int, conn) -> Payment:
    """Pay the buyer's unpaid payment from a ledger account the caller has just funded, on the
    caller's unit of work (STO-2: a member card's transit account): the same steps as the wallet."""
    taken = await _take(conn, payment_id, method, "", buyer_id=buyer_id)
    if taken is None:
        raise DomainError(ErrorCode.PAYMENT_NOT_PAYABLE, "This payment is no longer payable.", "paymentId")
    payment = Payment._init_from_db(**taken)
    await _settle_taken(payment, source_account_id, taken["clearing_account"], conn)
    return payment


async def start_gateway_payment(buyer_id: int, payment_id: int) -> tuple[Payment, Charge]:
    """Open a charge at the gateway; the client pays it there and the gateway calls back."""
    payment = await own_payment(buyer_id, payment_id)
    require_payable(payment)
    gw = gateway.get()
    previous = payment.gateway_trade_no
    charge = await gw.create_charge(
        payment.payment_no, payment.amount, payment.currency, f"Payment {payment.payment_no}"
    )
    updated = await Payment.filter(id=payment.id, status=UNPAID).update(
        method=gw.method, gateway_trade_no=charge.trade_no
    )
    if updated != 1:
        await gw.close(charge.trade_no)
        raise DomainError(ErrorCode.PAYMENT_NOT_PAYABLE, "This payment is no longer payable.", "paymentId")
    if previous:
        await gw.close(previous)  # one open charge at a time; a late payment of it is refunded
    payment.method, payment.gateway_trade_no = gw.method, charge.trade_no
    return payment, charge


async def _close_open_charge(payment: Payment) -> None:
    if payment.method != WALLET and payment.gateway_trade_no and payment.status == CLOSED:
        await _best_effort_close(payment.gateway_trade_no)


async def _best_effort_close(trade_no: str) -> None:
    try:
        await gateway.get().close(trade_no)
    except Exception:  # the gateway times the charge out by itself anyway
        log.exception("closing charge %s failed", trade_no)


async def handle_notification(headers: dict[str, str], body: bytes) -> str:
    """A gateway's asynchronous payment notification. Returns the outcome; raises
    CALLBACK_INVALID / CALLBACK_AMOUNT_MISMATCH (nothing recorded) for what is not genuine."""
    gw = gateway.get()
    notice = gw.verify_notification(headers, body)
    if not notice.succeeded:
        return "IGNORED"
    seen = await GatewayNotification.get_or_none(gateway=gw.method, notify_id=notice.notify_id)
    if seen is not None:
        return seen.outcome
    payment = await Payment.get_or_none(payment_no=notice.payment_no)
    if payment is None:
        raise DomainError(ErrorCode.CALLBACK_INVALID, "Unknown payment.")
    if notice.amount != payment.amount or notice.currency != payment.currency:
        log.warning(
            "gateway notice %s: amount %s %s, expected %s %s",
            notice.notify_id,
            notice.amount,
            notice.currency,
            payment.amount,
            payment.currency,
        )
        raise DomainError(ErrorCode.CALLBACK_AMOUNT_MISMATCH, "The notified amount does not match the payment.")
    refund_id = None
    try:
        async with unit_of_work() as conn:
            record = await GatewayNotification.create(
                gateway=gw.method,
                notify_id=notice.notify_id,
                trade_no=notice.trade_no,
                payment_no=notice.payment_no,
                amount=notice.amount,
                outcome="PENDING",
                using_db=conn,
            )
            gateway_account = (await ledger.platform_account(Purpose.GATEWAY_CLEARING, payment.currency)).id
            # Locked: a wallet payment or a cancel of this checkout committing meanwhile must
            # be seen here (-> refunded as duplicate / late), not lose the UPDATE in _settle.
            current = await Payment.select_for_update().using_db(conn).get(id=payment.id)
            outcome = ""
            if current.status == UNPAID:
                try:
                    async with unit_of_work() as inner:  # a savepoint: a refusal undoes only the settling
                        await _settle(current, gw.method, notice.trade_no, gateway_account, inner)
                    outcome = "PAID"
                except DomainError as exc:  # e.g. a wholesale order whose vouchers expired meanwhile
                    log.warning("paid checkout %s refused: %s; refunding", current.id, exc.code.value)
                    current = await Payment.get(id=payment.id).using_db(conn)
                    refund_id = await _refund_stray_payment(current, notice, gateway_account, conn, "REFUSED_PAYMENT")
                    outcome = "REFUNDED_REFUSED"
            else:  # closed, or paid another way: take the money in and send it back
                late = current.status == CLOSED
                refund_id = await _refund_stray_payment(
                    current, notice, gateway_account, conn, "LATE_PAYMENT" if late else "DUPLICATE_PAYMENT"
                )
                outcome = "REFUNDED_LATE" if late else "REFUNDED_DUPLICATE"
            await GatewayNotification.filter(id=record.id).using_db(conn).update(outcome=outcome)
    except IntegrityError:  # the same notification, delivered concurrently, was recorded first
        seen = await GatewayNotification.get(gateway=gw.method, notify_id=notice.notify_id)
        return seen.outcome
    if refund_id is not None:
        await execute_refund(refund_id)
    return outcome


async def _refund_stray_payment(payment: Payment, notice, gateway_account: int, conn, reason: str) -> int:
    clearing = (await ledger.platform_account(Purpose.ORDER_CLEARING, payment.currency)).id
    await ledger.post(
        "STRAY_PAYMENT_IN",
        [Posting(gateway_account, -notice.amount), Posting(clearing, notice.amount)],
        idempotency_key=f"stray:{notice.notify_id}",
        reference_type="PAYMENT",
        reference_id=str(payment.id),
    )
    refund = await Refund.create(
        refund_no=new_number("R"),
        payment_id=payment.id,
        amount=notice.amount,
        method=gateway.get().method,
        trade_no=notice.trade_no,
        reason=reason,
        using_db=conn,
    )
    await ledger.post(
        "STRAY_PAYMENT_REFUND",
        [Posting(clearing, -notice.amount), Posting(gateway_account, notice.amount)],
        idempotency_key=f"refund:{refund.id}",
        reference_type="REFUND",
        reference_id=str(refund.id),
    )
    return refund.id


async def sandbox_pay(buyer_id: int, trade_no: str) -> Payment:
    """The sandbox's "buyer pays at the gateway" step, then its callback, delivered
    in-process here (a real gateway POSTs it to /payments/notify)."""
    from services.orders.sandbox_gateway import SandboxGateway

    gw = gateway.get()
    if not isinstance(gw, SandboxGateway):
        raise DomainError(
            ErrorCode.PAYMENT_METHOD_UNAVAILABLE, "Only the sandbox gateway can be paid this way.", "tradeNo"
        )
    payment = await Payment.get_or_none(gateway_trade_no=trade_no, buyer_id=buyer_id)
    if payment is None:
        raise DomainError(ErrorCode.NOT_FOUND, "No such charge.", "tradeNo")
    notice = await gw.simulate_payment(trade_no)
    await handle_notification(notice.headers, notice.body)
    return await Payment.get(id=payment.id)


# --------------------------------------------------------------------------- refunds


async def book_refund(order: Order, amount: int, conn, *, after_sale_id: int | None = None) -> Refund:
    """Give `amount` of an order back to its buyer by the payment's method, inside the
    caller's unit of work. The order's refunded total never exceeds what was paid: the
    cap is a conditional UPDATE, so concurrent refunds cannot overshoot together.
    Wallet refunds complete here; gateway refunds are sent after the commit
    (`execute_refund`), and retried by the worker until the gateway confirms."""
    if amount <= 0:
        raise DomainError(ErrorCode.INVALID_AMOUNT, "A refund must be positive.", "amount")
    payment = await Payment.get(id=order.payment_id).using_db(conn)
    own = REFUND_METHODS.get(payment.method)
    if own is not None:  # e.g. a member card: back onto the card, by its own rules
        return await own(order, amount, conn, after_sale_id=after_sale_id, reason="AFTER_SALE")
    capped = await conn.execute_query_dict(
        sql(
            conn,
            "UPDATE orders SET refunded_amount = refunded_amount + ? WHERE id = ? AND refunded_amount + ? <= pay_amount RETURNING refunded_amount",
        ),
        [amount, order.id, amount],
    )
    if not capped:
        raise DomainError(ErrorCode.REFUND_EXCEEDS_PAID, "That would refund more than was paid.", "amount")
    order.refunded_amount = int(capped[0]["refunded_amount"])
    await Payment.filter(id=payment.id).using_db(conn).update(refunded_amount=F("refunded_amount") + amount)
    wallet = payment.method == WALLET
    refund = await Refund.create(
        refund_no=new_number("R"),
        payment_id=payment.id,
        order_id=order.id,
        after_sale_id=after_sale_id,
        amount=amount,
        method=payment.method,
        trade_no=payment.gateway_trade_no,
        reason="AFTER_SALE",
        status=REFUND_SUCCEEDED if wallet else REFUND_PENDING,
        finished_at=clock.now() if wallet else None,
        using_db=conn,
    )
    clearing = (await ledger.platform_account(Purpose.ORDER_CLEARING, payment.currency)).id
    if wallet:
        target = (await ledger.user_account(order.buyer_id, Purpose.WALLET, payment.currency)).id
    else:
        target = (await ledger.platform_account(Purpose.GATEWAY_CLEARING, payment.currency)).id
    pending = await _cover_from_settled(order.merchant_id, amount, refund.id, payment.currency, conn)
    await ledger.post(
        "ORDER_REFUND",
        [Posting(pending, -amount), Posting(clearing, amount), Posting(clearing, -amount), Posting(target, amount)],
        idempotency_key=f"refund:{refund.id}",
        reference_type="REFUND",
        reference_id=str(refund.id),
    )
    return refund


async def _cover_from_settled(merchant_id: int, amount: int, refund_id: int, currency: str, conn) -> int:
    """Before a refund of `amount` leaves the merchant's pending account: lock the merchant's
    pending and settled accounts (ascending ids, as ledger.post does), and move back from
    MERCHANT_SETTLED what pending cannot cover, as far as settled holds it. Returns the
    pending account's id. What neither covers stays as pending's negative balance (debt)."""
    keys = [
        (MERCHANT, merchant_id, Purpose.MERCHANT_PENDING, currency),
        (MERCHANT, merchant_id, Purpose.MERCHANT_SETTLED, currency),
    ]
    ids = await ledger.account_ids(keys)
    pending, settled = ids[keys[0]], ids[keys[1]]
    await ledger.lock_accounts(conn, [pending, settled])
    balances = dict(await LedgerAccount.filter(id__in=[pending, settled]).using_db(conn).values_list("id", "balance"))
    short = amount - max(int(balances[pending]), 0)
    cover = min(max(short, 0), max(int(balances[settled]), 0))
    if cover:
        await ledger.post(
            "MERCHANT_REFUND_COVER",
            [Posting(settled, -cover), Posting(pending, cover)],
            idempotency_key=f"refund:{refund_id}:cover",
            reference_type="REFUND",
            reference_id=str(refund_id),
            memo="settled money taken back to cover a refund",
        )
    return pending


async def execute_refund(refund_id: int) -> Refund:
    """Send a booked gateway refund; safe to call again (the refund number is idempotent
    at the gateway, and the status moves by a conditional UPDATE)."""
    refund = await Refund.get(id=refund_id)
    if refund.status != REFUND_PENDING:
        return refund
    await Refund.filter(id=refund.id).update(attempts=F("attempts") + 1)
    try:
        result = await gateway.get().refund(refund.trade_no, refund.refund_no, refund.amount)
    except Exception:
        log.exception("refund %s failed at the gateway; the worker retries", refund.refund_no)
        return refund
    if result.succeeded:
        await Refund.filter(id=refund.id, status=REFUND_PENDING).update(
            status=REFUND_SUCCEEDED, gateway_refund_no=result.gateway_refund_no, finished_at=clock.now()
        )
    return await Refund.get(id=refund.id)


async def retry_pending_refunds(limit: int = 100) -> int:
    ids = await Refund.filter(status=REFUND_PENDING).order_by("id").limit(limit).values_list("id", flat=True)
    done = 0
    for refund_id in ids:
        if (await execute_refund(refund_id)).status == REFUND_SUCCEEDED:
            done += 1
    return done


# --------------------------------------------------------------------------- cancel


async def cancel_payment(payment: Payment, *, actor_id: int | None, reason: str) -> list[Order]:
    """Cancel an unpaid checkout: all its orders, stock released. Loses cleanly to a
    payment that lands first (INVALID_TRANSITION)."""
    async with unit_of_work() as conn:
        taken = (
            await Payment.filter(id=payment.id, status=UNPAID)
            .using_db(conn)
            .update(status=CLOSED, closed_at=clock.now())
        )
        if taken != 1:
            raise DomainError(ErrorCode.INVALID_TRANSITION, "Only unpaid orders can be cancelled.", "status")
        payment.status = CLOSED
        orders = await Order.filter(payment_id=payment.id).using_db(conn).order_by("id")
        for order in orders:
            await order_states.transition(
                order, "cancel", conn=conn, actor_id=actor_id, reason=reason, cancel_reason=reason[:256]
            )
            await order_hooks.CANCELLED.run(order, conn)
        lines = await OrderLine.filter(order__payment_id=payment.id).using_db(conn).order_by("product_id", "sku_id")
        for line in (
            ln
            for ln in lines
            if ln.zone not in order_hooks.UNSTOCKED_ZONES and ln.activity_kind not in activities.OWN_STOCK
        ):  # an activity's own units go back to it (its CANCELLED reaction), not to the SKU
            await stock.adjust_stock(
                line.sku_id,
                line.quantity,
                stock.ORDER_RELEASE,
                reference_type="PAYMENT",
                reference_id=str(payment.id),
                actor_id=actor_id,
            )
    await _close_open_charge(payment)
    return orders


async def cancel_by_buyer(buyer_id: int, order_id: int, reason: str) -> list[Order]:
    order = await Order.get_or_none(id=order_id, buyer_id=buyer_id)
    if order is None:
        raise DomainError(ErrorCode.NOT_FOUND, "No such order.", "orderId")
    payment = await Payment.get(id=order.payment_id)
    return await cancel_payment(payment, actor_id=buyer_id, reason=reason.strip()[:256] or "Cancelled by the buyer")


async def cancel_expired(limit: int = 200) -> int:
    """Worker job: cancel checkouts whose time to pay ran out. Safe on several workers:
    each cancel is a conditional UPDATE, a lost race is skipped."""
    due = await Payment.filter(status=UNPAID, expires_at__lte=clock.now()).order_by("id").limit(limit)
    cancelled = 0
    for payment in due:
        try:
            await cancel_payment(payment, actor_id=None, reason="Payment timed out")
            cancelled += 1
        except DomainError:
            pass  # paid or cancelled meanwhile
    return cancelled
