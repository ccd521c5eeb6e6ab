"""A sandbox payment gateway that behaves like WeChat Pay / Alipay for dev and tests.

- `create_charge` opens a trade; the client "pays" it with `simulate_payment` (the
  `sandboxPay` mutation or the sandbox page), which returns the signed notification a
  real gateway would POST to our callback URL.
- Notifications are signed with HMAC-SHA256 over timestamp, nonce and body (WeChat Pay
  v3 signs the same three); a stale timestamp or a bad signature is refused.
- Refunds are idempotent per refund number and never exceed the trade's amount.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass

from tortoise.exceptions import IntegrityError
from tortoise.expressions import F

import settings
from models.orders import SandboxRefund, SandboxTrade
from services.core import clock, signing
from services.core.errors import DomainError, ErrorCode
from services.core.events import unit_of_work
from services.orders.gateways import Charge, PaymentNotice, RefundResult

MAX_AGE_SECONDS = 300  # a notification older than this is treated as a replay
# A sandbox trade's states, named as WeChat Pay's trade_state.
NOTPAY, SUCCESS, CLOSED = "NOTPAY", "SUCCESS", "CLOSED"
STATUSES = (NOTPAY, SUCCESS, CLOSED)


@dataclass(frozen=True)
class SignedNotification:
    headers: dict[str, str]
    body: bytes


def sign(body: bytes, *, secret: str | None = None, timestamp: int | None = None) -> SignedNotification:
    ts = str(int(clock.now().timestamp()) if timestamp is None else timestamp)
    nonce = secrets.token_hex(8)
    sig = signing.sign(secret or settings.SANDBOX_GATEWAY_SECRET, ts, nonce, body)
    return SignedNotification({"X-Sandbox-Timestamp": ts, "X-Sandbox-Nonce": nonce, "X-Sandbox-Signature": sig}, body)


def _invalid(message: str) -> DomainError:
    return DomainError(ErrorCode.CALLBACK_INVALID, message)


class SandboxGateway:
    method = "SANDBOX"

    async def create_charge(self, payment_no: str, amount: int, currency: str, description: str) -> Charge:
        trade = await SandboxTrade.create(
            trade_no="SBX" + secrets.token_hex(10), payment_no=payment_no, amount=amount, currency=currency
        )
        return Charge(
            trade_no=trade.trade_no,
            pay_url=f"{settings.PUBLIC_BASE_URL}/sandbox/pay/{trade.trade_no}",
            client_params={"tradeNo": trade.trade_no, "amount": amount, "currency": currency},
        )

    def verify_notification(self, headers: dict[str, str], body: bytes) -> PaymentNotice:
        lower = {k.lower(): v for k, v in headers.items()}
        ts, nonce, sig = (lower.get(f"x-sandbox-{k}", "") for k in ("timestamp", "nonce", "signature"))
        if not (ts.isdigit() and nonce and sig):
            raise _invalid("Missing signature headers.")
        if not signing.verify(settings.SANDBOX_GATEWAY_SECRET, ts, nonce, body, sig):
            raise _invalid("Bad signature.")
        if abs(clock.now().timestamp() - int(ts)) > MAX_AGE_SECONDS:
            raise _invalid("Stale notification (replayed?).")
        try:
            data = json.loads(body)
            return PaymentNotice(
                notify_id=str(data["id"]),
                payment_no=str(data["out_trade_no"]),
                trade_no=str(data["trade_no"]),
                amount=int(data["amount"]["total"]),
                currency=str(data["amount"]["currency"]),
                succeeded=data["event"] == "TRANSACTION.SUCCESS",
            )
        except (ValueError, KeyError, TypeError):
            raise _invalid("Malformed notification.") from None

    async def refund(self, trade_no: str, refund_no: str, amount: int) -> RefundResult:
        if await SandboxRefund.exists(refund_no=refund_no):  # idempotent, like a real gateway
            return RefundResult(True, "SBR" + refund_no)
        try:
            async with unit_of_work():
                taken = await SandboxTrade.filter(
                    trade_no=trade_no, status=SUCCESS, refunded__lte=F("amount") - amount
                ).update(refunded=F("refunded") + amount)
                if taken != 1:
                    raise DomainError(ErrorCode.REFUND_EXCEEDS_PAID, "The sandbox trade cannot refund that much.")
                await SandboxRefund.create(refund_no=refund_no, trade_no=trade_no, amount=amount)
        except IntegrityError:
            pass  # a concurrent call with the same refund number won
        return RefundResult(True, "SBR" + refund_no)

    async def close(self, trade_no: str) -> None:
        await SandboxTrade.filter(trade_no=trade_no, status=NOTPAY).update(status=CLOSED)

    # ---------------------------------------------------------------- the client's side

    async def simulate_payment(self, trade_no: str) -> SignedNotification:
        """The buyer pays the trade; returns the notification the gateway then sends."""
        trade = await SandboxTrade.get_or_none(trade_no=trade_no)
        if trade is None:
            raise DomainError(ErrorCode.NOT_FOUND, "No such sandbox trade.", "tradeNo")
        await SandboxTrade.filter(id=trade.id, status=NOTPAY).update(status=SUCCESS)
        trade = await SandboxTrade.get(id=trade.id)
        if trade.status != SUCCESS:
            raise DomainError(ErrorCode.PAYMENT_NOT_PAYABLE, "This sandbox trade is closed.", "tradeNo")
        return self.notification_for(trade)

    def notification_for(self, trade: SandboxTrade, *, amount: int | None = None) -> SignedNotification:
        body = {
            "id": f"{trade.trade_no}-SUCCESS",
            "event": "TRANSACTION.SUCCESS",
            "out_trade_no": trade.payment_no,
            "trade_no": trade.trade_no,
            "amount": {"total": trade.amount if amount is None else amount, "currency": trade.currency},
        }
        return sign(json.dumps(body, separators=(",", ":")).encode())
