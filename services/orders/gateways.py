"""Payment gateway interface (ORD-4).

A gateway creates a charge the client pays, sends signed asynchronous notifications
(repeated, possibly late or out of order), and refunds by refund number. Production
gateways (WeChat Pay, Alipay, bank card) implement `PaymentGateway` in their own module
and are named by the PAYMENT_GATEWAY setting ("package.module:Class"); the sandbox
(services.orders.sandbox_gateway) behaves like them for development and tests.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

import settings
from services.core.plugins import PluginSlot


@dataclass(frozen=True)
class Charge:
    trade_no: str  # the gateway's id of this charge
    pay_url: str  # where the client is sent to pay (H5), if any
    client_params: dict = field(default_factory=dict)  # what a mini-program / app SDK needs


@dataclass(frozen=True)
class PaymentNotice:
    """A verified payment notification."""

    notify_id: str  # the same for every repeat of one notification
    payment_no: str  # our Payment.payment_no (out_trade_no)
    trade_no: str
    amount: int
    currency: str
    succeeded: bool


@dataclass(frozen=True)
class RefundResult:
    succeeded: bool  # False: accepted but not final yet; the worker asks again later
    gateway_refund_no: str


class PaymentGateway(Protocol):
    method: str  # stored on payments and refunds, e.g. "SANDBOX", "WECHAT_PAY"

    async def create_charge(self, payment_no: str, amount: int, currency: str, description: str) -> Charge: ...

    def verify_notification(self, headers: dict[str, str], body: bytes) -> PaymentNotice:
        """Check the signature and freshness, parse; DomainError(CALLBACK_INVALID) if not genuine."""
        ...

    async def refund(self, trade_no: str, refund_no: str, amount: int) -> RefundResult: ...

    async def close(self, trade_no: str) -> None:
        """Close an unpaid charge so it can no longer be paid (best effort)."""
        ...


# The built-in gateways (the sandbox) are offered by wiring.py.
gateway: PluginSlot[PaymentGateway] = PluginSlot(lambda: settings.PAYMENT_GATEWAY, {})
