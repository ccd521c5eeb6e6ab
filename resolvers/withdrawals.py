"""Withdrawals (FIN-3): users and merchants request, admins review, payouts are recorded."""

from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry.types import Info

from resolvers.common import MERCHANT_IDS, api_errors, login_required, parse_id, payload_errors, requires, viewer
from schema.money import Amount, Money
from schema.pagination import Connection, to_connection
from schema.types.withdrawals import (
    MerchantFunds,
    Withdrawal,
    WithdrawalInput,
    WithdrawalPayload,
    WithdrawalQuote,
    WithdrawalRules,
    WithdrawalStatus,
)
from services.core.pagination import paginate
from services.finance import withdrawals
from services.finance.payouts import Destination
from services.ledger.ledger import USER

StatusArg = Annotated[WithdrawalStatus | None, strawberry.argument(description="Only withdrawals in this state.")]
FirstArg = Annotated[int, strawberry.argument(description="Page size.")]
AfterArg = Annotated[str | None, strawberry.argument(description="Cursor from the previous page.")]
IdArg = Annotated[strawberry.ID, strawberry.argument(description="The withdrawal.")]
MerchantArg = Annotated[strawberry.ID, strawberry.argument(description="The merchant.")]


def _destination(input: WithdrawalInput) -> Destination:
    d = input.destination
    return Destination(kind=d.kind.value, bank_name=d.bank_name, holder_name=d.holder_name, account_no=d.account_no)


@strawberry.type
class WithdrawalQueries:
    @strawberry.field(
        description="The withdrawal rules in force: minimum, fee, daily limits.", extensions=login_required()
    )
    def withdrawal_rules(self) -> WithdrawalRules:
        return WithdrawalRules.current()

    @strawberry.field(description="The fee and net payout of a withdrawal of this amount.", extensions=login_required())
    @api_errors
    async def withdrawal_quote(
        self, amount: Annotated[Amount, strawberry.argument(description="Amount in yuan, above 0.")]
    ) -> WithdrawalQuote:
        fee = withdrawals.check_amount(amount)
        return WithdrawalQuote(amount=Money.from_fen(amount), fee=Money.from_fen(fee), net=Money.from_fen(amount - fee))

    @strawberry.field(description="My withdrawals, newest first.", extensions=login_required())
    @api_errors
    async def my_withdrawals(
        self, info: Info, status: StatusArg = None, first: FirstArg = 20, after: AfterArg = None
    ) -> Connection[Withdrawal]:
        qs = withdrawals.owned(USER, viewer(info).id, status.value if status else None)
        return to_connection(await paginate(qs, first, after))

    @strawberry.field(description="One of my withdrawals.", extensions=login_required())
    @api_errors
    async def my_withdrawal(self, info: Info, id: IdArg) -> Withdrawal:
        return await withdrawals.mine(viewer(info).id, parse_id(id, of="Withdrawal"))

    @strawberry.field(
        description="A merchant's withdrawals, newest first (merchant.finance).", extensions=login_required()
    )
    @api_errors
    async def merchant_withdrawals(
        self,
        info: Info,
        merchant_id: MerchantArg,
        status: StatusArg = None,
        first: FirstArg = 20,
        after: AfterArg = None,
    ) -> Connection[Withdrawal]:
        qs = await withdrawals.for_merchant(
            await info.context.grants(),
            parse_id(merchant_id, "merchantId", of=MERCHANT_IDS),
            status.value if status else None,
        )
        return to_connection(await paginate(qs, first, after))

    @strawberry.field(
        description="A merchant's withdrawable settled funds and what withdrawals hold (merchant.finance).",
        extensions=login_required(),
    )
    @api_errors
    async def merchant_funds(self, info: Info, merchant_id: MerchantArg) -> MerchantFunds:
        settled, frozen = await withdrawals.merchant_funds(
            await info.context.grants(), parse_id(merchant_id, "merchantId", of=MERCHANT_IDS)
        )
        return MerchantFunds(settled=Money.from_fen(settled), frozen=Money.from_fen(frozen))

    @strawberry.field(
        description="Every withdrawal, newest first, by state: the review queue is PENDING_REVIEW (withdrawal.manage).",
        extensions=requires("withdrawal.manage"),
    )
    @api_errors
    async def withdrawals(
        self, info: Info, status: StatusArg = None, first: FirstArg = 20, after: AfterArg = None
    ) -> Connection[Withdrawal]:
        qs = withdrawals.all_withdrawals(await info.context.grants(), status.value if status else None)
        return to_connection(await paginate(qs, first, after))


@strawberry.type
class WithdrawalMutations:
    @strawberry.mutation(
        description="Withdraw from my wallet: the amount is frozen at once (never more than available) and "
        "waits for review; the fee is deducted from it. When withdrawalRules.identityRequired: refused with "
        "IDENTITY_REQUIRED before submitIdentity, and with DESTINATION_NAME_MISMATCH unless the "
        "destination's holder name is the verified real name.",
        extensions=login_required(),
    )
    @payload_errors
    async def request_withdrawal(
        self, info: Info, input: Annotated[WithdrawalInput, strawberry.argument(description="The request.")]
    ) -> WithdrawalPayload:
        w = await withdrawals.request_for_user(
            viewer(info).id, input.amount, _destination(input), input.idempotency_key
        )
        return WithdrawalPayload(withdrawal=w)

    @strawberry.mutation(
        description="Withdraw a merchant's settled funds (merchant.finance).", extensions=login_required()
    )
    @payload_errors
    async def request_merchant_withdrawal(
        self,
        info: Info,
        merchant_id: MerchantArg,
        input: Annotated[WithdrawalInput, strawberry.argument(description="The request.")],
    ) -> WithdrawalPayload:
        w = await withdrawals.request_for_merchant(
            await info.context.grants(),
            viewer(info).id,
            parse_id(merchant_id, "merchantId", of=MERCHANT_IDS),
            input.amount,
            _destination(input),
            input.idempotency_key,
        )
        return WithdrawalPayload(withdrawal=w)

    @strawberry.mutation(
        description="Approve a withdrawal awaiting review: it is handed to a payout channel (withdrawal.manage).",
        extensions=requires("withdrawal.manage"),
    )
    @payload_errors
    async def approve_withdrawal(
        self,
        info: Info,
        id: IdArg,
        channel: Annotated[
            str | None,
            strawberry.argument(description="Payout channel (MANUAL, SANDBOX …); the configured default when omitted."),
        ] = None,
    ) -> WithdrawalPayload:
        return WithdrawalPayload(
            withdrawal=await withdrawals.approve(
                await info.context.grants(), viewer(info).id, parse_id(id, of="Withdrawal"), channel
            )
        )

    @strawberry.mutation(
        description="Reject a withdrawal awaiting review; the money goes back to the available balance "
        "(withdrawal.manage).",
        extensions=requires("withdrawal.manage"),
    )
    @payload_errors
    async def reject_withdrawal(
        self,
        info: Info,
        id: IdArg,
        reason: Annotated[str, strawberry.argument(description="Why (1-256 characters), shown to the owner.")],
    ) -> WithdrawalPayload:
        return WithdrawalPayload(
            withdrawal=await withdrawals.reject(
                await info.context.grants(), viewer(info).id, parse_id(id, of="Withdrawal"), reason
            )
        )

    @strawberry.mutation(
        description="Record the bank transfer of an approved manual-channel withdrawal: it is PAID "
        "(withdrawal.manage).",
        extensions=requires("withdrawal.manage"),
    )
    @payload_errors
    async def mark_withdrawal_paid(
        self,
        info: Info,
        id: IdArg,
        transfer_reference: Annotated[str, strawberry.argument(description="The bank's transfer reference.")],
    ) -> WithdrawalPayload:
        return WithdrawalPayload(
            withdrawal=await withdrawals.mark_paid(
                await info.context.grants(), viewer(info).id, parse_id(id, of="Withdrawal"), transfer_reference
            )
        )

    @strawberry.mutation(
        description="Record that the transfer of an approved manual-channel withdrawal failed; the money "
        "goes back (withdrawal.manage).",
        extensions=requires("withdrawal.manage"),
    )
    @payload_errors
    async def mark_withdrawal_failed(
        self,
        info: Info,
        id: IdArg,
        reason: Annotated[str, strawberry.argument(description="Why (1-256 characters).")],
    ) -> WithdrawalPayload:
        return WithdrawalPayload(
            withdrawal=await withdrawals.mark_failed(
                await info.context.grants(), viewer(info).id, parse_id(id, of="Withdrawal"), reason
            )
        )


@strawberry.type
class SandboxPayoutMutations:
    """In the schema only with the sandbox payout channel (settings.sandbox_payouts()): development and tests."""

    @strawberry.mutation(
        description="Development: the sandbox payout channel finishes an approved SANDBOX payout (success or "
        "failure) and sends its signed callback (withdrawal.manage).",
        extensions=requires("withdrawal.manage"),
    )
    @payload_errors
    async def sandbox_payout_result(
        self,
        info: Info,
        id: IdArg,
        succeeded: Annotated[bool, strawberry.argument(description="True: the transfer arrived; false: it failed.")],
        reason: Annotated[str, strawberry.argument(description="Failure reason (failure only).")] = "",
    ) -> WithdrawalPayload:
        return WithdrawalPayload(
            withdrawal=await withdrawals.sandbox_result(
                await info.context.grants(), parse_id(id, of="Withdrawal"), succeeded, reason
            )
        )
