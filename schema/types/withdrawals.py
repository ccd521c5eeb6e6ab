"""Withdrawal types (FIN-3): requests, review, payouts, live status events."""

from __future__ import annotations

from datetime import datetime
from enum import Enum

import strawberry

import settings
from models import withdrawals as m
from schema.errors import UserError
from schema.money import Amount, Money
from schema.node import Node, encode, node_id
from services.finance import withdrawals as service


@strawberry.enum(
    description="A withdrawal's state. RISK_REVIEW: held by risk control; PENDING_REVIEW: waiting for an admin; "
    "PROCESSING: approved and handed to the payout channel; COMPLETED: the money left (final); REJECTED: refused, "
    "the money came back (final); FAILED: the payout failed, the money came back (final)."
)
class WithdrawalStatus(Enum):
    RISK_REVIEW = strawberry.enum_value("RISK_REVIEW", description="Held by risk control until a reviewer decides.")
    PENDING_REVIEW = strawberry.enum_value("PENDING_REVIEW", description="Waiting for an admin's review.")
    PROCESSING = strawberry.enum_value(
        service.APPROVED, description="Approved and handed to the payout channel; not confirmed yet."
    )
    COMPLETED = strawberry.enum_value(service.PAID, description="The money left (final).")
    REJECTED = strawberry.enum_value("REJECTED", description="Refused by the reviewer; the money came back (final).")
    FAILED = strawberry.enum_value("FAILED", description="The payout failed; the money came back (final).")


@strawberry.enum(description="Where a withdrawal is paid: a bank account or WeChat (change).")
class DestinationKind(Enum):
    BANK = strawberry.enum_value("BANK", description="A bank account.")
    WECHAT = strawberry.enum_value("WECHAT", description="WeChat change (零钱).")


@strawberry.enum(description="Whose money: a user's wallet or a merchant's settled funds.")
class WithdrawalOwner(Enum):
    USER = strawberry.enum_value("USER", description="A user's wallet.")
    MERCHANT = strawberry.enum_value("MERCHANT", description="A merchant's settled funds.")


@strawberry.input(
    description="Where to pay a withdrawal. BANK: bank name, holder name, account number. WECHAT: openid and "
    "real name. Stored encrypted; shown masked."
)
class DestinationInput:
    kind: DestinationKind = strawberry.field(description="BANK or WECHAT.")
    holder_name: str = strawberry.field(description="Account holder (BANK) or real name (WECHAT), 1-64 characters.")
    account_no: str = strawberry.field(
        description="Bank account number, 8-30 digits (BANK), or the WeChat openid (WECHAT)."
    )
    bank_name: str = strawberry.field(default="", description="The bank's name (BANK).")


@strawberry.input(description="A withdrawal request.")
class WithdrawalInput:
    amount: Amount = strawberry.field(
        description="Amount in yuan, above 0, taken from the available balance; the fee is deducted from it."
    )
    destination: DestinationInput = strawberry.field(description="Where to pay it.")
    idempotency_key: str = strawberry.field(
        description="Unique per request (1-128 characters); a retry with the same key returns the first withdrawal."
    )


@strawberry.type(description="Where a withdrawal is paid, masked.")
class Destination:
    kind: DestinationKind = strawberry.field(description="BANK or WECHAT.")
    bank_name: str = strawberry.field(description="The bank's name (BANK); empty for WECHAT.")
    holder_name: str = strawberry.field(description="Holder or real name, masked (张*).")
    account: str = strawberry.field(description="Account number (**** 1234) or openid (abc****xyz), masked.")


@strawberry.type(description="A withdrawal: amount, fee, what is paid out, where, and its state.")
class Withdrawal(Node):
    id: strawberry.ID = node_id("Withdrawal", description="Withdrawal id.")
    status: WithdrawalStatus = strawberry.field(description="Where it is.")
    channel: str = strawberry.field(description="Payout channel once approved (MANUAL, SANDBOX …); empty before.")
    created_at: datetime = strawberry.field(description="When it was requested.")

    @strawberry.field(description="USER (a wallet) or MERCHANT (settled funds).")
    def owner(self: m.Withdrawal) -> WithdrawalOwner:
        return WithdrawalOwner(self.owner_type)

    @strawberry.field(description="The merchant whose funds these are (MERCHANT only).")
    def merchant_id(self: m.Withdrawal) -> strawberry.ID | None:
        return encode("Merchant", self.owner_id) if self.owner_type == "MERCHANT" else None

    @strawberry.field(description="Taken from the balance (frozen until paid or returned).")
    def amount(self: m.Withdrawal) -> Money:
        return Money.from_fen(self.amount, self.currency)

    @strawberry.field(description="Service fee kept by the platform.")
    def fee(self: m.Withdrawal) -> Money:
        return Money.from_fen(self.fee, self.currency)

    @strawberry.field(description="What is paid out: amount − fee.")
    def net(self: m.Withdrawal) -> Money:
        return Money.from_fen(self.net, self.currency)

    @strawberry.field(description="Where it is paid, masked.")
    def destination(self: m.Withdrawal) -> Destination:
        d = service.masked_destination(self)
        return Destination(
            kind=DestinationKind(d["kind"]),
            bank_name=d["bank_name"],
            holder_name=d["holder_name"],
            account=d["account"],
        )

    @strawberry.field(description="The transfer reference (manual) or the channel's transfer id, once known.")
    def transfer_reference(self: m.Withdrawal) -> str | None:
        return self.channel_reference or None

    @strawberry.field(description="Why it was rejected (REJECTED).")
    def reject_reason(self: m.Withdrawal) -> str | None:
        return self.reject_reason or None

    @strawberry.field(description="Why the payout failed (FAILED).")
    def failure_reason(self: m.Withdrawal) -> str | None:
        return self.failure_reason or None

    @strawberry.field(description="When an admin approved or rejected it.")
    def reviewed_at(self: m.Withdrawal) -> datetime | None:
        return self.reviewed_at

    @strawberry.field(description="When the money left (PAID).")
    def paid_at(self: m.Withdrawal) -> datetime | None:
        return self.paid_at


@strawberry.type(description="The result of a withdrawal mutation.")
class WithdrawalPayload:
    withdrawal: Withdrawal | None = strawberry.field(default=None, description="The withdrawal as it is now.")
    errors: list[UserError] = strawberry.field(default_factory=list, description="Why nothing was changed.")


@strawberry.type(description="The withdrawal rules in force (settings).")
class WithdrawalRules:
    min_amount: Money = strawberry.field(description="Smallest withdrawal.")
    fee_basis_points: int = strawberry.field(description="Service fee in basis points of the amount (700 = 7 %).")
    min_fee: Money = strawberry.field(description="The fee is never below this.")
    daily_count: int = strawberry.field(
        description="Requests per day (business day), rejected and failed ones not counted."
    )
    daily_amount: Money = strawberry.field(
        description="Total per day (business day), rejected and failed ones not counted."
    )
    identity_required: bool = strawberry.field(
        description="Whether a user must verify their real name (submitIdentity) before "
        "withdrawing, and be the destination's holder (bank account holder or WeChat real "
        "name equal to the verified name). Merchant withdrawals are not affected."
    )

    @classmethod
    def current(cls) -> WithdrawalRules:
        return cls(
            min_amount=Money.from_fen(settings.WITHDRAWAL_MIN_AMOUNT),
            fee_basis_points=settings.WITHDRAWAL_FEE_BP,
            min_fee=Money.from_fen(settings.WITHDRAWAL_MIN_FEE),
            daily_count=settings.WITHDRAWAL_DAILY_COUNT,
            daily_amount=Money.from_fen(settings.WITHDRAWAL_DAILY_AMOUNT),
            identity_required=settings.WITHDRAWAL_REQUIRE_IDENTITY,
        )


@strawberry.type(description="What a withdrawal of some amount would cost.")
class WithdrawalQuote:
    amount: Money = strawberry.field(description="Taken from the balance.")
    fee: Money = strawberry.field(description="Service fee.")
    net: Money = strawberry.field(description="Paid out.")


@strawberry.type(description="A merchant's money that can be withdrawn, and what is held by withdrawals in progress.")
class MerchantFunds:
    settled: Money = strawberry.field(description="Settled and withdrawable.")
    frozen: Money = strawberry.field(description="Held by withdrawals under review or being paid.")


@strawberry.type(description="A withdrawal changed state.")
class WithdrawalEvent:
    withdrawal: Withdrawal = strawberry.field(description="The withdrawal as it is now.")
    from_status: WithdrawalStatus | None = strawberry.field(description="Its state before (null: just requested).")
    status: WithdrawalStatus = strawberry.field(description="Its state after the change.")
