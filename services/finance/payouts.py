"""Payout channels (FIN-3): how an approved withdrawal's money leaves the platform.

A channel takes a payout (our payout number, the net amount, the decrypted destination)
and either reports the result later through signed asynchronous callbacks (a bank/WeChat
transfer API; the SANDBOX channel here) or is settled by hand: MANUAL means a finance
admin makes the bank transfer and records its reference (`markWithdrawalPaid`).

Channels are pluggable like payment gateways (services/orders/gateways.py): the built-ins are
"manual" and "sandbox"; PAYOUT_CHANNEL may name another as "package.module:Class". Each
channel has a `code` (stored on the withdrawal; the callback route is
/payouts/notify/{code lower-cased}).
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from typing import Protocol

from tortoise.exceptions import IntegrityError

import settings
from models.withdrawals import SandboxPayout
from services.core import clock, signing
from services.core.errors import DomainError, ErrorCode
from services.core.plugins import load_plugin

MAX_AGE_SECONDS = 300  # a callback older than this is treated as a replay
# A sandbox payout's states; its callback reports SUCCESS or FAIL.
PROCESSING, SUCCESS, FAIL = "PROCESSING", "SUCCESS", "FAIL"
STATUSES = (PROCESSING, SUCCESS, FAIL)


@dataclass(frozen=True)
class Destination:
    kind: str  # BANK / WECHAT
    bank_name: str = ""
    holder_name: str = ""  # account holder (BANK) or real name (WECHAT)
    account_no: str = ""  # bank account number (BANK) or openid (WECHAT)


@dataclass(frozen=True)
class PayoutRequest:
    payout_no: str  # ours, unique per withdrawal: the channel's idempotency key
    amount: int  # net fen to transfer
    currency: str
    destination: Destination


@dataclass(frozen=True)
class Submission:
    reference: str  # the channel's id of the transfer ("" for MANUAL until the admin records it)


@dataclass(frozen=True)
class PayoutNotice:
    """A verified result callback."""

    notify_id: str  # the same for every repeat of one notification
    payout_no: str
    reference: str
    amount: int
    succeeded: bool
    reason: str = ""


class PayoutChannel(Protocol):
    code: str  # e.g. "MANUAL", "SANDBOX", "WECHAT_TRANSFER"
    manual: bool  # True: an admin records the outcome; no callbacks

    async def submit(self, request: PayoutRequest) -> Submission:
        """Hand the payout to the channel; idempotent per payout_no (the worker may retry)."""
        ...

    def verify_callback(self, headers: dict[str, str], body: bytes) -> PayoutNotice:
        """Check signature and freshness, parse; DomainError(CALLBACK_INVALID) if not genuine."""
        ...


def _invalid(message: str) -> DomainError:
    return DomainError(ErrorCode.CALLBACK_INVALID, message)


class ManualChannel:
    """Finance transfers the money by hand and records the transfer reference."""

    code = "MANUAL"
    manual = True

    async def submit(self, request: PayoutRequest) -> Submission:
        return Submission(reference="")

    def verify_callback(self, headers: dict[str, str], body: bytes) -> PayoutNotice:
        raise _invalid("The manual channel sends no callbacks.")


# --------------------------------------------------------------------------- sandbox


@dataclass(frozen=True)
class SignedCallback:
    headers: dict[str, str]
    body: bytes


def sign_callback(
    payout_no: str,
    reference: str,
    amount: int,
    succeeded: bool,
    *,
    reason: str = "",
    notify_id: str | None = None,
    secret: str | None = None,
    timestamp: int | None = None,
) -> SignedCallback:
    """The callback the sandbox channel sends (tests forge variations of it)."""
    status = SUCCESS if succeeded else FAIL
    body = json.dumps(
        {
            "id": notify_id or f"{reference}:{status}",
            "payout_no": payout_no,
            "trade_no": reference,
            "amount": amount,
            "status": status,
            "reason": reason,
        },
        separators=(",", ":"),
    ).encode()
    ts = str(int(clock.now().timestamp()) if timestamp is None else timestamp)
    nonce = secrets.token_hex(8)
    sig = signing.sign(secret or settings.SANDBOX_PAYOUT_SECRET, ts, nonce, body)
    return SignedCallback({"X-Payout-Timestamp": ts, "X-Payout-Nonce": nonce, "X-Payout-Signature": sig}, body)


class SandboxChannel:
    """Behaves like a transfer API: accepts a payout, later calls back (signed, possibly
    repeated or late) with SUCCESS or FAIL."""

    code = "SANDBOX"
    manual = False

    async def submit(self, request: PayoutRequest) -> Submission:
        row = await SandboxPayout.get_or_none(payout_no=request.payout_no)
        if row is None:
            try:
                row = await SandboxPayout.create(
                    payout_no=request.payout_no, trade_no="SBP" + secrets.token_hex(10), amount=request.amount
                )
            except IntegrityError:  # a concurrent retry created it
                row = await SandboxPayout.get(payout_no=request.payout_no)
        return Submission(reference=row.trade_no)

    def verify_callback(self, headers: dict[str, str], body: bytes) -> PayoutNotice:
        lower = {k.lower(): v for k, v in headers.items()}
        ts, nonce, sig = (lower.get(f"x-payout-{k}", "") for k in ("timestamp", "nonce", "signature"))
        if not (ts.isdigit() and nonce and sig):
            raise _invalid("Missing signature headers.")
        if not signing.verify(settings.SANDBOX_PAYOUT_SECRET, ts, nonce, body, sig):
            raise _invalid("Bad signature.")
        if abs(clock.now().timestamp() - int(ts)) > MAX_AGE_SECONDS:
            raise _invalid("Stale callback (replayed?).")
        try:
            data = json.loads(body)
            return PayoutNotice(
                notify_id=str(data["id"]),
                payout_no=str(data["payout_no"]),
                reference=str(data["trade_no"]),
                amount=int(data["amount"]),
                succeeded=data["status"] == SUCCESS,
                reason=str(data.get("reason", ""))[:256],
            )
        except (ValueError, KeyError, TypeError):
            raise _invalid("Malformed callback.") from None

    async def simulate_result(self, payout_no: str, succeeded: bool, reason: str = "") -> SignedCallback:
        """The bank's side finishes the transfer; returns the callback it then sends."""
        row = await SandboxPayout.get_or_none(payout_no=payout_no)
        if row is None:
            raise DomainError(ErrorCode.NOT_FOUND, "No such sandbox payout.", "payoutNo")
        await SandboxPayout.filter(id=row.id, status=PROCESSING).update(status=SUCCESS if succeeded else FAIL)
        row = await SandboxPayout.get(id=row.id)
        return sign_callback(
            row.payout_no,
            row.trade_no,
            row.amount,
            row.status == SUCCESS,
            reason=reason if row.status == FAIL else "",
        )


# --------------------------------------------------------------------------- registry

BUILTINS: dict[str, type] = {"manual": ManualChannel, "sandbox": SandboxChannel}
_instances: dict[str, PayoutChannel] = {}


def channel(name: str | None = None) -> PayoutChannel:
    """The channel called `name` ("manual", "sandbox", a channel's code, or the configured
    "module:Class"); the configured default when None."""
    spec = (name or settings.PAYOUT_CHANNEL).strip()
    key = spec.lower() if ":" not in spec else spec
    if key in _instances:
        return _instances[key]
    configured = settings.PAYOUT_CHANNEL.strip()
    if key not in BUILTINS and spec != configured:
        # a custom channel may be asked for by its code, once the configured one is loaded
        if ":" in configured:
            custom = channel(configured)
            if custom.code.lower() == key:
                return custom
        raise DomainError(ErrorCode.PAYOUT_CHANNEL_UNAVAILABLE, f"No payout channel {spec!r}.", "channel")
    instance = load_plugin(key, BUILTINS)
    _instances[key] = instance
    _instances.setdefault(instance.code.lower(), instance)
    return instance


def register(instance: PayoutChannel | None, name: str | None = None) -> None:
    """Swap a channel in (tests); None forgets every instance."""
    if instance is None:
        _instances.clear()
        return
    _instances[(name or instance.code).lower()] = instance
