"""Cashier-entered amounts (STO-1): the cashier enters what the customer owes; the customer
scans the request's QR code on the cashier's screen, sees the store and the amount, and pays
it (wallet, member card or gateway) as any payment at the store (services.stores.payments).

A request is OPEN until paid, cancelled by the store's staff, or STORE_PAYMENT_REQUEST_MINUTES
old (then EXPIRED, as read: nothing needs to run). Its code, `R<id>.<HMAC-SHA256>`, opens
STOREFRONT_STORE_REQUEST_URL. One request is paid once: the customer's order claims it by a
conditional UPDATE in the order's unit of work (a second customer, or a second tab, is refused
with STORE_PAYMENT_REQUEST_CLOSED and nothing is written). The wallet and a card pay at once; a
gateway payment holds the request until its callback pays it (the store's PAID step marks the
request PAID) or its order is cancelled unpaid (then the request may be claimed again).
"""

from __future__ import annotations

from datetime import timedelta

import settings
from models.merchants import Store
from models.orders import Order
from models.stores import StorePaymentRequest
from services.accounts.access import Grants, require_store_permission
from services.core import clock, qr, signing
from services.core.errors import DomainError, ErrorCode
from services.orders.states import CANCELLED
from services.stores import payments, request_states

OPEN, PAYING, PAID, CANCELLED_REQUEST, EXPIRED = (
    request_states.OPEN,
    request_states.PAYING,
    request_states.PAID,
    request_states.CANCELLED,
    request_states.EXPIRED,
)
NOTE_MAX = 64
_SIGNING_CONTEXT = "store-payment-request"


def request_code(request_id: int) -> str:
    signature = signing.sign(settings.SECRET_KEY, _SIGNING_CONTEXT, str(request_id), b"v1")
    return f"R{request_id}.{signature}"


def request_url(code: str) -> str:
    """The storefront page the request's QR code opens (STOREFRONT_STORE_REQUEST_URL)."""
    return settings.STOREFRONT_STORE_REQUEST_URL.replace("{code}", code)


def qr_png(code: str) -> bytes:
    return qr.png(request_url(code))


def qr_svg(code: str) -> str:
    return qr.svg(request_url(code))


def _invalid() -> DomainError:
    return DomainError(ErrorCode.STORE_PAYMENT_CODE_INVALID, "This is not a payment request's code.", "code")


def verified_request_id(code: str) -> int:
    """The request id a genuine code (or the link scanned from its QR) names; else raise."""
    text = (code or "").strip().rstrip("/")
    text = text.rsplit("=", 1)[-1] if "=" in text else text.rsplit("/", 1)[-1]
    head, _, signature = text.partition(".")
    if not head.startswith("R") or not head[1:].isdigit() or len(head) > 19 or not signature:
        raise _invalid()
    request_id = int(head[1:])
    if not signing.verify(settings.SECRET_KEY, _SIGNING_CONTEXT, str(request_id), b"v1", signature):
        raise _invalid()
    return request_id


def status_of(request: StorePaymentRequest) -> str:
    """OPEN; PAYING (a gateway payment holds it); PAID; CANCELLED; EXPIRED (open past its time)."""
    if request.status == OPEN and request.order_id is not None:
        return PAYING
    if request.status == OPEN and request.expires_at <= clock.now():
        return EXPIRED
    return request.status


async def _staff_store(grants: Grants, store_id: int) -> Store:
    store = await Store.get_or_none(id=store_id)
    if store is None:
        raise DomainError(ErrorCode.NOT_FOUND, "No such store.", "storeId")
    require_store_permission(grants, store.id, store.merchant_id, "store.cashier")
    return store


async def create(grants: Grants, actor_id: int, store_id: int, amount: int, note: str = "") -> StorePaymentRequest:
    """The cashier (store.cashier) asks `amount` fen of the next customer at the store."""
    store = await _staff_store(grants, store_id)
    payments.check_amount(amount)
    note = (note or "").strip()
    if len(note) > NOTE_MAX:
        raise DomainError(ErrorCode.INVALID_INPUT, f"The note is at most {NOTE_MAX} characters.", "note")
    await payments.store_for_code(payments.payment_code(store.id))  # STORE_CLOSED for a closed store
    return await StorePaymentRequest.create(
        store_id=store.id,
        amount=amount,
        note=note,
        created_by_id=actor_id,
        expires_at=clock.now() + timedelta(minutes=settings.STORE_PAYMENT_REQUEST_MINUTES),
    )


async def cancel(grants: Grants, request_id: int) -> StorePaymentRequest:
    """The store's staff take back an open request nobody is paying."""
    request = await StorePaymentRequest.get_or_none(id=request_id)
    if request is None:
        raise DomainError(ErrorCode.NOT_FOUND, "No such payment request.", "id")
    await _staff_store(grants, request.store_id)
    await _release_if_abandoned(request)
    moved = await StorePaymentRequest.filter(id=request.id, status=OPEN, order_id=None).update(status=CANCELLED_REQUEST)
    if moved != 1:
        raise DomainError(ErrorCode.INVALID_TRANSITION, "This request is paid, being paid, or was cancelled.", "id")
    return await StorePaymentRequest.get(id=request.id)


async def for_code(code: str) -> StorePaymentRequest:
    """What the customer scanning the request sees before paying."""
    request = await StorePaymentRequest.get_or_none(id=verified_request_id(code))
    if request is None:
        raise _invalid()
    return request


def _closed(why: str) -> DomainError:
    return DomainError(ErrorCode.STORE_PAYMENT_REQUEST_CLOSED, why, "code")


async def _release_if_abandoned(request: StorePaymentRequest) -> None:
    """A gateway payment's order cancelled unpaid no longer holds the request."""
    if request.order_id is None or request.status != OPEN:
        return
    if await Order.filter(id=request.order_id, status=CANCELLED).exists():
        await StorePaymentRequest.filter(id=request.id, order_id=request.order_id, status=OPEN).update(order_id=None)
        request.order_id = None


async def pay(
    buyer_id: int,
    code: str,
    idempotency_key: str,
    *,
    method: str = payments.WALLET,
    member_card_id: int | None = None,
) -> Order:
    """The signed-in customer pays a cashier's request: its store and amount, as payAtStore
    would (same methods, receipts, refunds). The same key answers the same receipt."""
    request = await for_code(code)
    await _release_if_abandoned(request)
    status = status_of(request)
    # a replay of the payment that claimed it still answers its receipt (payments.pay looks the key up)
    claim = _claimer(request, method) if status == OPEN else _refuser(status)
    store_code = payments.payment_code(request.store_id)
    return await payments.pay(
        buyer_id,
        store_code,
        request.amount,
        idempotency_key,
        store_id=request.store_id,
        method=method,
        member_card_id=member_card_id,
        request_id=request.id,
        claim=claim,
    )


def _claimer(request: StorePaymentRequest, method: str):
    async def claim(conn, order: Order) -> None:
        claimed = await (
            StorePaymentRequest.filter(id=request.id, status=OPEN, order_id=None, expires_at__gt=clock.now())
            .using_db(conn)
            .update(order_id=order.id, status=OPEN if method == payments.GATEWAY else PAID)
        )
        if claimed != 1:
            raise _closed("This request was just paid or closed.")

    return claim


def _refuser(status: str):
    why = {
        PAID: "This request is already paid.",
        CANCELLED_REQUEST: "The cashier cancelled this request.",
        EXPIRED: "This request has expired; ask the cashier for a new one.",
    }.get(status, "Someone else is paying this request.")

    async def refuse(conn, order: Order) -> None:
        raise _closed(why)

    return refuse


async def request_of_order(order_id: int) -> StorePaymentRequest | None:
    return await StorePaymentRequest.get_or_none(order_id=order_id)


async def store_requests(grants: Grants, store_id: int):
    """The store's requests, newest first (store.cashier): a queryset for a connection."""
    store = await _staff_store(grants, store_id)
    return StorePaymentRequest.filter(store_id=store.id).order_by("-id")


def qr_url(request_id: int, ext: str) -> str:
    """The request's QR image, served at /qr/store/<code>.<png|svg> like a store's."""
    return f"{settings.PUBLIC_BASE_URL.rstrip('/')}/qr/store/{request_code(request_id)}.{ext}"


async def is_staff(grants: Grants, request: StorePaymentRequest) -> bool:
    try:
        await _staff_store(grants, request.store_id)
    except DomainError:
        return False
    return True


async def staff_request(grants: Grants, request_id: int) -> StorePaymentRequest | None:
    """A request, for its store's staff (the node lookup); None for anyone else."""
    request = await StorePaymentRequest.get_or_none(id=request_id)
    return request if request is not None and await is_staff(grants, request) else None
