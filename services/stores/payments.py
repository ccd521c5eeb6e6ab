"""In-store payment (门店收款, STO-1): a store's payment QR code, a customer paying an amount
at the counter, receipts, refunds by store staff, and the store's live feed.

The code: `<store id>.<HMAC-SHA256>` (services.core.signing, keyed with SECRET_KEY), in the
storefront link STOREFRONT_STORE_PAY_URL printed as a QR code (PNG or SVG, services.core.qr;
served at /qr/store/<code>.png). The scanned link itself is accepted where a code is.
It never expires (it is printed); a closed store or merchant refuses payments
(STORE_CLOSED); a code that does not verify is STORE_PAYMENT_CODE_INVALID, as is the code of
another store than the one the customer confirmed.

A payment is recorded as an ordinary order so that everything a paid order does applies
unchanged: an Order of delivery type IN_STORE at the store, under a Payment, with ONE line
of the merchant's hidden STORE_PAYMENT product (virtual, created on first use) priced 1 fen
per unit, the quantity being the amount in fen. Paying goes through services.orders.payments
(the wallet, in the same unit of work as the order rows: a refusal leaves nothing behind; or
the gateway, through the checkout's own startGatewayPayment and callback),
so the PAID reactions run as for any order (three-level commissions, regional agents of the
store's region, the buyer's franchise store share, risk screening), the order completes at
payment (services.orders.fulfilment.complete_on_payment, the COMPLETED reactions), and the
merchant's settlement (services.finance.settlement) charges the platform commission (抽点) at
the merchant's rate on the line like on any goods. One fen per unit makes refunds exact:
refunding r fen refunds r units, and every pro-rata reversal (commissions, the settlement
charge) is the cumulative floor over units, so refunding in any steps reverses exactly.

Refunds: by store staff holding store.refund at that store (or the merchant's order staff),
within STORE_REFUND_DAYS of the payment, never above what is left: the line's refunded units
move by one conditional UPDATE under the order's row lock (PostgreSQL), so two refunds at once
cannot together exceed the payment. Each refund is recorded as a REFUND_ONLY after-sale
already REFUNDED (what settlement reads), runs the LINE_REFUNDED reactions, then
`payments.book_refund` (the money back by the payment's method, capped by the order).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.expressions import F

import settings
from models.catalog import Category, Product, Sku
from models.merchants import Merchant, Store
from models.orders import AfterSale, Order, OrderLine, Payment, Refund
from models.stores import StorePaymentRequest
from services.accounts.access import Grants, require_store_permission
from services.catalog import product_states
from services.core import clock, qr, signing
from services.core.errors import DomainError, ErrorCode
from services.core.events import emit, store_channel, unit_of_work
from services.core.sql import sql
from services.merchants import merchants
from services.orders import after_sale_states
from services.orders import hooks as order_hooks
from services.orders import payments as order_payments
from services.orders.checkout import MAX_KEY_LENGTH, new_number
from services.orders.states import IN_STORE, PENDING_PAYMENT
from services.stores import member_cards, request_states
from services.stores.events import StorePaymentReceived, StorePaymentRefunded

ZONE = "STORE_PAYMENT"  # the zone of the line a payment at a store is recorded with
PRODUCT_TITLE = "门店收款"
CATEGORY_NAME = "门店收款"
REFUND_REASON = "STORE_REFUND"
_SIGNING_CONTEXT = "store-payment-code"


# --------------------------------------------------------------------------- the code


def _signature(store_id: int) -> str:
    return signing.sign(settings.SECRET_KEY, _SIGNING_CONTEXT, str(store_id), b"v1")


def payment_code(store_id: int) -> str:
    return f"{store_id}.{_signature(store_id)}"


def payment_url(code: str) -> str:
    """The storefront page the QR code opens (STOREFRONT_STORE_PAY_URL)."""
    return settings.STOREFRONT_STORE_PAY_URL.replace("{code}", code)


def qr_png(code: str) -> bytes:
    return qr.png(payment_url(code))


def qr_svg(code: str) -> str:
    return qr.svg(payment_url(code))


def _invalid() -> DomainError:
    return DomainError(ErrorCode.STORE_PAYMENT_CODE_INVALID, "This is not a store's payment code.", "code")


def verified_store_id(code: str) -> int:
    """The store id a genuine code (or the link scanned from its QR) names; else raise."""
    text = (code or "").strip().rstrip("/")
    text = text.rsplit("=", 1)[-1] if "=" in text else text.rsplit("/", 1)[-1]
    store_part, _, signature = text.partition(".")
    if not store_part.isdigit() or len(store_part) > 18 or not signature:
        raise _invalid()
    store_id = int(store_part)
    if not signing.verify(settings.SECRET_KEY, _SIGNING_CONTEXT, str(store_id), b"v1", signature):
        raise _invalid()
    return store_id


async def store_for_code(code: str) -> Store:
    """What a customer scanning the code sees: the store, if it takes payments now."""
    store = await Store.get_or_none(id=verified_store_id(code))
    if store is None:
        raise _invalid()
    merchant_status = await Merchant.filter(id=store.merchant_id).values_list("status", flat=True)
    if not store.is_active or not merchant_status or merchant_status[0] != merchants.ACTIVE:
        raise DomainError(ErrorCode.STORE_CLOSED, "This store is closed and takes no payments now.", "code")
    return store


@dataclass(frozen=True)
class StoreCode:
    store: Store
    code: str
    url: str  # what the QR code encodes
    png_url: str
    svg_url: str


async def code_for(grants: Grants, store_id: int) -> StoreCode:
    """The store's payment code and its printable QR images (store.cashier, or the merchant's order staff)."""
    store = await Store.get_or_none(id=store_id)
    if store is None:
        raise DomainError(ErrorCode.NOT_FOUND, "No such store.", "storeId")
    require_store_permission(grants, store.id, store.merchant_id, "store.cashier")
    code = payment_code(store.id)
    base = settings.PUBLIC_BASE_URL.rstrip("/")
    return StoreCode(store, code, payment_url(code), f"{base}/qr/store/{code}.png", f"{base}/qr/store/{code}.svg")


# --------------------------------------------------------------------------- paying


def check_amount(amount: int) -> None:
    if not isinstance(amount, int) or isinstance(amount, bool) or amount <= 0:
        raise DomainError(ErrorCode.INVALID_AMOUNT, "The amount must be at least 0.01.", "amount")
    if amount > settings.STORE_PAYMENT_MAX_AMOUNT:
        raise DomainError(
            ErrorCode.STORE_PAYMENT_LIMIT_EXCEEDED,
            f"A payment at a store is at most {settings.STORE_PAYMENT_MAX_AMOUNT / 100:.2f}.",
            "amount",
        )


async def hidden_category(name: str) -> int:
    """The inactive root category (made once) holding a store feature's hidden products."""
    rows = await Category.filter(name=name, parent_id=None, is_active=False).order_by("id").values_list("id", flat=True)
    if rows:
        return rows[0]
    async with unit_of_work():
        category = await Category.create(name=name, is_active=False)
        await Category.filter(id=category.id).update(path=f"/{category.id}/")
    return category.id


async def payment_sku(merchant_id: int) -> Sku:
    """The merchant's store-payment SKU (1 fen per unit), created on first use."""
    code = f"STORE-PAYMENT-{merchant_id}"
    sku = await Sku.get_or_none(code=code)
    if sku is not None:
        return sku
    category_id = await hidden_category(CATEGORY_NAME)
    try:
        async with unit_of_work() as conn:
            product = await Product.create(
                merchant_id=merchant_id,
                category_id=category_id,
                title=PRODUCT_TITLE,
                zone=ZONE,
                delivery_kind=product_states.VIRTUAL,
                status=product_states.DRAFT,  # never listed: sold only through a store's payment code
                min_price=1,
                max_price=1,
                using_db=conn,
            )
            return await Sku.create(product_id=product.id, code=code, price=1, using_db=conn)
    except IntegrityError:  # a concurrent first payment created it
        return await Sku.get(code=code)


WALLET, GATEWAY, MEMBER_CARD = "WALLET", "GATEWAY", "MEMBER_CARD"
METHODS = (WALLET, GATEWAY, MEMBER_CARD)


def _fingerprint(
    store_id: int, amount: int, method: str, card_id: int | None = None, request_id: int | None = None
) -> str:
    parts = ["STORE_PAYMENT", store_id, amount, method] + ([card_id] if card_id is not None else [])
    parts += [request_id] if request_id is not None else []
    return hashlib.sha256(json.dumps(parts).encode()).hexdigest()


async def pay(
    buyer_id: int,
    code: str,
    amount: int,
    idempotency_key: str,
    *,
    store_id: int | None = None,
    method: str = WALLET,
    member_card_id: int | None = None,
    request_id: int | None = None,
    claim: Callable[[Any, Order], Awaitable[None]] | None = None,
) -> Order:
    """The signed-in customer pays `amount` fen at the code's store (`store_id`: the store the
    customer confirmed): from the wallet at once (WALLET), or (GATEWAY) the payment is left
    awaiting the gateway: the client opens the charge with `startGatewayPayment` on the order's
    payment, as for a checkout, and the gateway's callback pays it; or (MEMBER_CARD) from the
    buyer's member card `member_card_id` of the store's merchant (services.stores.member_cards:
    CARD_NOT_ACCEPTED in a store that does not take it). The same key and input
    answer the same order again; the same key with another input is IDEMPOTENCY_KEY_REUSED.
    Any refusal (INSUFFICIENT_FUNDS included) changes nothing. `claim(conn, order)` (a cashier's
    payment request, `request_id`) runs on the order's unit of work before the money moves."""
    key = (idempotency_key or "").strip()
    if not key or len(key) > MAX_KEY_LENGTH:
        raise DomainError(
            ErrorCode.INVALID_INPUT,
            f"An idempotency key of 1 to {MAX_KEY_LENGTH} characters is required.",
            "idempotencyKey",
        )
    store = await store_for_code(code)
    if store_id is not None and store_id != store.id:
        raise _invalid()
    check_amount(amount)
    if method not in METHODS:
        raise DomainError(
            ErrorCode.INVALID_INPUT, "Pay from the wallet, a member card or through the gateway.", "method"
        )
    if (method == MEMBER_CARD) != (member_card_id is not None):
        raise DomainError(
            ErrorCode.INVALID_INPUT, "A member card payment names the card (and only it).", "memberCardId"
        )
    fingerprint = _fingerprint(store.id, amount, method, member_card_id, request_id)
    try:
        if member_card_id is not None:
            await member_cards.accepting_card(buyer_id, member_card_id, store)
        return await _pay(buyer_id, store, amount, key, fingerprint, method, member_card_id, claim)
    except (DomainError, IntegrityError):
        payment = await Payment.get_or_none(buyer_id=buyer_id, idempotency_key=key)
        if payment is None:
            raise
        if payment.request_hash != fingerprint:
            raise DomainError(
                ErrorCode.IDEMPOTENCY_KEY_REUSED, "This idempotency key was used for another payment.", "idempotencyKey"
            ) from None
        return await Order.get(payment_id=payment.id)


async def _pay(
    buyer_id: int,
    store: Store,
    amount: int,
    key: str,
    fingerprint: str,
    method: str,
    card_id: int | None = None,
    claim: Callable[[Any, Order], Awaitable[None]] | None = None,
) -> Order:
    sku = await payment_sku(store.merchant_id)
    now = clock.now()
    async with unit_of_work() as conn:
        payment = await Payment.create(
            payment_no=new_number("P"),
            buyer_id=buyer_id,
            amount=amount,
            currency=settings.CURRENCY,
            expires_at=now + timedelta(minutes=settings.ORDER_PAY_TIMEOUT_MINUTES),
            idempotency_key=key,
            request_hash=fingerprint,
            using_db=conn,
        )
        order = await Order.create(
            order_no=new_number(),
            payment_id=payment.id,
            buyer_id=buyer_id,
            merchant_id=store.merchant_id,
            delivery_type=IN_STORE,
            store_id=store.id,
            goods_amount=amount,
            shipping_fee=0,
            pay_amount=amount,
            currency=payment.currency,
            using_db=conn,
        )
        await OrderLine.create(
            order_id=order.id,
            product_id=sku.product_id,
            sku_id=sku.id,
            title=f"{PRODUCT_TITLE} · {store.name}"[:128],
            zone=ZONE,
            unit_price=1,
            quantity=amount,
            amount=amount,
            using_db=conn,
        )
        if claim is not None:
            await claim(conn, order)
        if method == WALLET:
            # A nested unit (a savepoint) on this transaction: a refusal rolls the rows above back too.
            await order_payments.pay_with_wallet(buyer_id, payment.id)
        elif method == MEMBER_CARD:
            await member_cards.pay_order(buyer_id, card_id, store, payment, order, conn)
    return await Order.get(id=order.id)


async def announce_paid(paid: order_hooks.PaidOrder, conn) -> None:
    """PAID step: a payment at a store shows on the store's live feed (any payment method)."""
    order = paid.order
    if order.delivery_type == IN_STORE and order.store_id is not None:
        # a cashier's request a gateway payment held is paid with it (services.stores.payment_requests;
        # the wallet and a card marked it PAID as they claimed it)
        await (
            StorePaymentRequest.filter(order_id=order.id, status=request_states.OPEN)
            .using_db(conn)
            .update(status=request_states.PAID)
        )
        emit(store_channel(order.store_id), StorePaymentReceived(order.id, order.pay_amount))


async def refuse_at_checkout(buyer_id: int, lines: list, conn) -> None:
    """ZONE_RULES[STORE_PAYMENT]: the store-payment product is never bought through checkout."""
    raise DomainError(ErrorCode.PRODUCT_UNAVAILABLE, "This is paid at a store by its payment code.", "items")


# --------------------------------------------------------------------------- receipts


async def receipt(viewer_id: int, grants: Grants, order_id: int) -> Order:
    """A payment at a store, for its payer or the store's staff (store.cashier) / the
    merchant's order staff; NOT_FOUND for anyone else (existence is not leaked)."""
    order = await Order.get_or_none(id=order_id, delivery_type=IN_STORE)
    if order is None:
        raise DomainError(ErrorCode.NOT_FOUND, "No such payment.", "orderId")
    if order.buyer_id != viewer_id:
        try:
            require_store_permission(grants, order.store_id, order.merchant_id, "store.cashier")
        except DomainError:
            raise DomainError(ErrorCode.NOT_FOUND, "No such payment.", "orderId") from None
    return order


async def store_payments(grants: Grants, store_id: int):
    """The store's payments, newest first (store.cashier): a queryset for a connection."""
    store = await Store.get_or_none(id=store_id)
    if store is None:
        raise DomainError(ErrorCode.NOT_FOUND, "No such store.", "storeId")
    require_store_permission(grants, store.id, store.merchant_id, "store.cashier")
    return Order.filter(store_id=store.id, delivery_type=IN_STORE).exclude(status=PENDING_PAYMENT)


# --------------------------------------------------------------------------- refunds


async def refund(grants: Grants, actor_id: int, order_id: int, amount: int, reason: str = "") -> Refund:
    """Store staff with store.refund give back `amount` fen of a payment taken at their store
    (see the module notes). Refusals change nothing."""
    order = await Order.get_or_none(id=order_id, delivery_type=IN_STORE)
    if order is None:
        raise DomainError(ErrorCode.NOT_FOUND, "No such payment.", "orderId")
    require_store_permission(grants, order.store_id, order.merchant_id, "store.refund")
    if not isinstance(amount, int) or isinstance(amount, bool) or amount <= 0:
        raise DomainError(ErrorCode.INVALID_AMOUNT, "A refund must be at least 0.01.", "amount")
    reason = (reason or "").strip()
    if len(reason) > 256:
        raise DomainError(ErrorCode.INVALID_INPUT, "The reason is at most 256 characters.", "reason")
    if order.paid_at is None:
        raise DomainError(ErrorCode.INVALID_TRANSITION, "This payment was not made.", "orderId")
    now = clock.now()
    if now > order.paid_at + timedelta(days=settings.STORE_REFUND_DAYS):
        raise DomainError(
            ErrorCode.REFUND_WINDOW_CLOSED,
            f"Payments are refunded at the store within {settings.STORE_REFUND_DAYS} days.",
            "orderId",
        )
    async with unit_of_work() as conn:
        if conn.capabilities.dialect == "postgres":  # refunds of one payment one after another
            await conn.execute_query(sql(conn, "SELECT id FROM orders WHERE id = ? FOR NO KEY UPDATE"), [order.id])
            await conn.execute_query(sql(conn, "SELECT id FROM order_line WHERE order_id = ? FOR UPDATE"), [order.id])
        order = await Order.get(id=order.id).using_db(conn)
        line = await OrderLine.filter(order_id=order.id).using_db(conn).order_by("id").first()
        if line is None or line.requested_quantity + amount > line.quantity:
            raise DomainError(
                ErrorCode.REFUND_EXCEEDS_PAID, "That would refund more than is left of the payment.", "amount"
            )
        moved = (
            await OrderLine.filter(id=line.id, requested_quantity=line.requested_quantity)
            .filter(refunded_quantity=line.refunded_quantity)
            .using_db(conn)
            .update(
                requested_quantity=F("requested_quantity") + amount,
                refunded_quantity=F("refunded_quantity") + amount,
                refunded_amount=F("refunded_amount") + amount,
            )
        )
        if moved != 1:  # a concurrent refund moved first (SQLite has no row lock): refuse, nothing changed
            raise DomainError(
                ErrorCode.REFUND_EXCEEDS_PAID, "Another refund of this payment came first; retry.", "amount"
            )
        line.requested_quantity += amount
        line.refunded_quantity += amount
        line.refunded_amount += amount
        after_sale = await AfterSale.create(
            order_id=order.id,
            line_id=line.id,
            buyer_id=order.buyer_id,
            merchant_id=order.merchant_id,
            kind=after_sale_states.REFUND_ONLY,
            status=after_sale_states.REFUNDED,
            quantity=amount,
            amount=amount,
            reason=reason or "门店退款",
            reviewer_id=actor_id,
            reviewed_at=now,
            refunded_at=now,
            using_db=conn,
        )
        await order_hooks.LINE_REFUNDED.run(
            order_hooks.LineRefund(order=order, line=line, quantity=amount, amount=amount), conn
        )
        # by the payment's method (a member card's back onto the card: REFUND_METHODS)
        booked = await order_payments.book_refund(order, amount, conn, after_sale_id=after_sale.id)
        await Refund.filter(id=booked.id).using_db(conn).update(reason=REFUND_REASON)
        booked.reason = REFUND_REASON
        emit(store_channel(order.store_id), StorePaymentRefunded(order.id, booked.id, amount))
    if booked.method not in (order_payments.WALLET, member_cards.METHOD):
        booked = await order_payments.execute_refund(booked.id)
    return booked
