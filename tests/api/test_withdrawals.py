"""Wallet statement (FIN-2) and withdrawals (FIN-3) through GraphQL: freezing on request,
manual and sandbox payouts (fee to the platform, net out), rejection and failure returning
the money, risk holds, merchant withdrawals, bad input with stable codes that changes
nothing, signed payout callbacks (forged, repeated, wrong amount, out of order), and the
live status and review-queue events."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import timedelta

import pytest

import settings
from jobs import consignment as consignment_jobs
from jobs import distribution as distribution_jobs
from models.ledger import JournalTransaction
from models.withdrawals import Withdrawal, WithdrawalStatusChange
from services.accounts.events import ReviewQueueChanged
from services.core import clock, sensitive
from services.core.errors import DomainError
from services.core.events import LiveEvent, admin_channel, merchant_channel, user_channel
from services.core.money import fen_to_decimal_string as yuan
from services.finance import payouts, withdrawals
from services.ledger import ledger
from services.ledger.ledger import MERCHANT, Posting, Purpose
from services.risk import hooks as risk_hooks
from subscriptions.hub import listen
from tests.api import ops_withdrawals as ops
from tests.api.test_distribution import buy, configure, finish, member, refund
from tests.api.test_subscriptions import WsClient, open_ws, wait_for_listener
from tests.catalog_factories import make_merchant, make_staff
from tests.helpers import at, gid, make_user, pk_of, resident_id, token_for, verify_identity
from tests.order_factories import fund_wallet, make_consignment_pair, make_shop

ACCOUNT = "6222 0212 3456 7890 1234"


def bank(amount: int, key: str | None = None, **destination) -> dict:
    return {
        "amount": yuan(amount),
        "idempotencyKey": key or uuid.uuid4().hex,
        "destination": {
            "kind": "BANK",
            "bankName": "工商银行",
            "holderName": "张三",
            "accountNo": ACCOUNT,
            **destination,
        },
    }


async def finance_token() -> str:
    return await token_for(await make_user("财务", roles=("finance",)))


async def balances(owner_type: str, owner_id: int) -> tuple[int, int]:
    source = Purpose.WALLET if owner_type == ledger.USER else Purpose.MERCHANT_SETTLED
    return (
        (await ledger.get_account(owner_type, owner_id, source)).balance,
        (await ledger.get_account(owner_type, owner_id, Purpose.FROZEN)).balance,
    )


async def platform() -> tuple[int, int]:
    return (
        (await ledger.platform_account(Purpose.FEE_REVENUE)).balance,
        (await ledger.platform_account(Purpose.PAYOUT_CLEARING)).balance,
    )


async def ask(api, token, amount, key=None, **destination) -> dict:
    return (await api(ops.REQUEST, {"input": bank(amount, key, **destination)}, token=token))["requestWithdrawal"]


async def act(api, document, token, **variables) -> dict:
    data = await api(document, variables, token=token)
    return next(iter(data.values()))


async def callback(api, signed) -> tuple[int, dict]:
    response = await api.client.post("/payouts/notify/sandbox", content=signed.body, headers=signed.headers)
    return response.status_code, response.json()


async def customer(wallet: int, verified: bool = True):
    """A user, verified as 张三 (the holder name `bank` uses) unless `verified` is False."""
    user = await make_user("张三")
    if verified:
        await verify_identity(user, "张三")
    if wallet:
        await fund_wallet(user, wallet)
    return user, await token_for(user)


# --------------------------------------------------------------------------- happy paths


async def test_request_freezes_then_a_manual_payout_sends_the_net_and_keeps_the_fee(api):
    user, token = await customer(10_000)
    key = uuid.uuid4().hex
    asked = await ask(api, token, 5_000, key)
    assert asked["errors"] == []
    w = asked["withdrawal"]
    assert (w["status"], w["owner"], w["amount"]["amount"], w["fee"]["amount"], w["net"]["amount"]) == (
        "PENDING_REVIEW",
        "USER",
        "50.00",
        "3.50",
        "46.50",
    )
    assert w["destination"] == {"kind": "BANK", "bankName": "工商银行", "holderName": "张*", "account": "**** 1234"}
    assert await balances(ledger.USER, user.id) == (5_000, 5_000)
    wallet = (await api(ops.WALLET, token=token))["myWallet"]
    assert (wallet["available"]["amount"], wallet["frozen"]["amount"]) == ("50.00", "50.00")

    # stored encrypted, with a blind index; never the plain number
    row = await Withdrawal.get(id=pk_of(w["id"]))
    assert "1234" not in row.account_no_cipher and "张三" not in row.holder_name_cipher
    assert sensitive.decrypt(row.account_no_cipher) == ACCOUNT.replace(" ", "")
    assert row.account_no_hash == sensitive.blind_index(ACCOUNT.replace(" ", ""))

    # a retry with the same key answers the first withdrawal and freezes nothing more
    again = await ask(api, token, 5_000, key)
    assert again["errors"] == [] and again["withdrawal"]["id"] == w["id"]
    other = await ask(api, token, 4_000, key)
    assert other["errors"] == [{"code": "IDEMPOTENCY_KEY_REUSED", "field": ["idempotencyKey"]}]
    assert await balances(ledger.USER, user.id) == (5_000, 5_000) and await Withdrawal.all().count() == 1

    admin = await finance_token()
    queue = (await api(ops.ADMIN_LIST, {"status": "PENDING_REVIEW"}, token=admin))["withdrawals"]["nodes"]
    assert [n["id"] for n in queue] == [w["id"]]
    approved = await act(api, ops.APPROVE, admin, id=w["id"], channel="MANUAL")
    assert approved["errors"] == [] and (approved["withdrawal"]["status"], approved["withdrawal"]["channel"]) == (
        "PROCESSING",
        "MANUAL",
    )
    assert (await act(api, ops.APPROVE, admin, id=w["id"]))["errors"] == [
        {"code": "INVALID_TRANSITION", "field": ["id"]}
    ]

    paid = await act(api, ops.MARK_PAID, admin, id=w["id"], ref="ICBC20261129001")
    assert paid["errors"] == []
    assert (paid["withdrawal"]["status"], paid["withdrawal"]["transferReference"]) == ("COMPLETED", "ICBC20261129001")
    assert paid["withdrawal"]["paidAt"] is not None
    assert await balances(ledger.USER, user.id) == (5_000, 0)
    assert await platform() == (350, 4_650)  # fee kept, net left through the payout clearing account
    # paid once: a second record changes nothing
    assert (await act(api, ops.MARK_PAID, admin, id=w["id"], ref="again"))["errors"] == [
        {"code": "INVALID_TRANSITION", "field": ["id"]}
    ]
    assert (await act(api, ops.REJECT, admin, id=w["id"], reason="late"))["errors"] == [
        {"code": "INVALID_TRANSITION", "field": ["id"]}
    ]
    assert await platform() == (350, 4_650) and await JournalTransaction.filter(kind="WITHDRAWAL_PAID").count() == 1
    history = (
        await WithdrawalStatusChange.filter(withdrawal_id=pk_of(w["id"]))
        .order_by("id")
        .values_list("from_status", "to_status")
    )
    assert history == [("", "PENDING_REVIEW"), ("PENDING_REVIEW", "APPROVED"), ("APPROVED", "PAID")]
    mine = (await api(ops.MINE, token=token))["myWithdrawals"]["nodes"]
    assert [(n["id"], n["status"]) for n in mine] == [(w["id"], "COMPLETED")]
    assert await ledger.check_invariants() == []


async def test_rules_and_quote(api):
    _, token = await customer(0)
    rules = (await api(ops.RULES, token=token))["withdrawalRules"]
    assert rules == {
        "minAmount": {"amount": "10.00"},
        "feeBasisPoints": 700,
        "minFee": {"amount": "1.00"},
        "dailyCount": 3,
        "dailyAmount": {"amount": "50000.00"},
        "identityRequired": True,
    }
    quote = (await api(ops.QUOTE, {"a": "10.00"}, token=token))["withdrawalQuote"]
    assert quote == {
        "amount": {"amount": "10.00"},
        "fee": {"amount": "1.00"},
        "net": {"amount": "9.00"},
    }  # the minimum fee
    assert await api.error_code(ops.QUOTE, {"a": "9.99"}, token=token) == "WITHDRAWAL_BELOW_MINIMUM"


async def test_rejection_returns_the_money_and_nothing_can_follow_it(api):
    user, token = await customer(10_000)
    w = (await ask(api, token, 8_000))["withdrawal"]
    admin = await finance_token()
    assert (await act(api, ops.REJECT, admin, id=w["id"], reason=" "))["errors"] == [
        {"code": "INVALID_INPUT", "field": ["reason"]}
    ]
    rejected = await act(api, ops.REJECT, admin, id=w["id"], reason="账户名不符")
    assert rejected["errors"] == [] and (rejected["withdrawal"]["status"], rejected["withdrawal"]["rejectReason"]) == (
        "REJECTED",
        "账户名不符",
    )
    assert await balances(ledger.USER, user.id) == (10_000, 0)
    for document, variables in ((ops.APPROVE, {}), (ops.REJECT, {"reason": "again"}), (ops.MARK_PAID, {"ref": "x"})):
        result = await act(api, document, admin, id=w["id"], **variables)
        assert result["errors"] == [{"code": "INVALID_TRANSITION", "field": ["id"]}]
    assert await balances(ledger.USER, user.id) == (10_000, 0) and await platform() == (0, 0)
    # a rejected request does not use up the day's limits
    assert (await ask(api, token, 10_000))["errors"] == []
    assert await ledger.check_invariants() == []


async def test_manual_transfer_failure_returns_the_money(api):
    user, token = await customer(5_000)
    w = (await ask(api, token, 5_000))["withdrawal"]
    admin = await finance_token()
    await act(api, ops.APPROVE, admin, id=w["id"], channel="MANUAL")
    failed = await act(api, ops.MARK_FAILED, admin, id=w["id"], reason="户名不符，银行退回")
    assert failed["errors"] == [] and failed["withdrawal"]["status"] == "FAILED"
    assert await balances(ledger.USER, user.id) == (5_000, 0) and await platform() == (0, 0)
    assert await ledger.check_invariants() == []


# --------------------------------------------------------------------------- refusals change nothing


async def test_bad_requests_have_stable_codes_and_change_nothing(api, monkeypatch):
    user, token = await customer(20_000)
    cases = [
        (bank(999), "WITHDRAWAL_BELOW_MINIMUM", "amount"),
        (bank(0), "INVALID_AMOUNT", "amount"),
        (bank(20_001), "INSUFFICIENT_FUNDS", "amount"),
        (bank(5_000, accountNo="12ab"), "INVALID_DESTINATION", "destination.accountNo"),
        (bank(5_000, bankName=""), "INVALID_DESTINATION", "destination.bankName"),
        (bank(5_000, holderName=" "), "INVALID_DESTINATION", "destination.holderName"),
        (
            {**bank(5_000), "destination": {"kind": "WECHAT", "holderName": "张三", "accountNo": "o!"}},
            "INVALID_DESTINATION",
            "destination.accountNo",
        ),
        (bank(5_000, key=" "), "INVALID_INPUT", "idempotencyKey"),
    ]
    for data, code, field in cases:
        result = (await api(ops.REQUEST, {"input": data}, token=token))["requestWithdrawal"]
        assert result == {"withdrawal": None, "errors": [{"code": code, "field": at(field)}]}, (data, result)
    assert await balances(ledger.USER, user.id) == (20_000, 0) and await Withdrawal.all().count() == 0

    # daily limits, per business day
    monkeypatch.setattr(settings, "WITHDRAWAL_DAILY_COUNT", 2)
    monkeypatch.setattr(settings, "WITHDRAWAL_DAILY_AMOUNT", 9_000)
    assert (await ask(api, token, 4_000))["errors"] == []
    over = await ask(api, token, 5_001)
    assert over["errors"] == [{"code": "WITHDRAWAL_DAILY_AMOUNT_EXCEEDED", "field": ["amount"]}]
    assert (await ask(api, token, 5_000))["errors"] == []
    assert (await ask(api, token, 1_000))["errors"] == [
        {"code": "WITHDRAWAL_DAILY_COUNT_EXCEEDED", "field": ["amount"]}
    ]
    assert await balances(ledger.USER, user.id) == (11_000, 9_000) and await Withdrawal.all().count() == 2
    clock.advance(timedelta(days=1))  # the next business day
    assert (await ask(api, await token_for(user), 1_000))["errors"] == []
    assert await ledger.check_invariants() == []


async def test_a_user_who_owes_commission_cannot_withdraw(api):
    user, token = await customer(10_000)
    debt = await ledger.user_account(user.id, Purpose.COMMISSION_DEBT)
    budget = await ledger.platform_account(Purpose.PROMOTION_EXPENSE)
    await ledger.post(
        "COMMISSION_REVERSED", [Posting(debt.id, -300), Posting(budget.id, 300)]
    )  # as a refund after release would
    result = await ask(api, token, 5_000)
    assert result["errors"] == [{"code": "DEBT_OUTSTANDING", "field": ["amount"]}]
    assert await balances(ledger.USER, user.id) == (10_000, 0) and await Withdrawal.all().count() == 0
    wallet = (await api(ops.WALLET, token=token))["myWallet"]
    assert wallet["commissionDebt"]["amount"] == "3.00"
    assert await ledger.check_invariants() == []


async def test_someone_elses_withdrawal_is_not_found(api):
    owner, owner_token = await customer(5_000)
    w = (await ask(api, owner_token, 5_000))["withdrawal"]
    _, other = await customer(0)
    assert await api.error_code(ops.MY_ONE, {"id": w["id"]}, token=other) == "NOT_FOUND"
    assert (await api(ops.MINE, token=other))["myWithdrawals"]["nodes"] == []
    assert (await api(ops.MY_ONE, {"id": w["id"]}, token=owner_token))["myWithdrawal"]["id"] == w["id"]
    # a customer cannot review
    body = await api.raw(ops.APPROVE, {"id": w["id"]}, token=other)
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert (await Withdrawal.get(id=pk_of(w["id"]))).status == "PENDING_REVIEW"


# --------------------------------------------------------------------------- real name (RISK-3)

SUBMIT_IDENTITY = """mutation($n: String!, $i: String!) { submitIdentity(realName: $n, idNumber: $i) {
  identity { realName } errors { code field } } }"""


async def nothing_moved(user_id: int, wallet: int) -> None:
    assert await balances(ledger.USER, user_id) == (wallet, 0)
    assert await Withdrawal.filter(owner_id=user_id).count() == 0 and await WithdrawalStatusChange.all().count() == 0


async def test_a_user_without_a_verified_identity_cannot_withdraw_until_they_submit_one(api):
    user, token = await customer(10_000, verified=False)
    journal = await JournalTransaction.all().count()
    for data in (
        bank(5_000),
        {**bank(5_000), "destination": {"kind": "WECHAT", "holderName": "张三", "accountNo": "o_wx123456"}},
    ):
        refused = (await api(ops.REQUEST, {"input": data}, token=token))["requestWithdrawal"]
        assert refused == {"withdrawal": None, "errors": [{"code": "IDENTITY_REQUIRED", "field": None}]}
    await nothing_moved(user.id, 10_000)
    assert await JournalTransaction.all().count() == journal  # no freeze posted

    submitted = (await api(SUBMIT_IDENTITY, {"n": "张三", "i": resident_id()}, token=token))["submitIdentity"]
    assert submitted["errors"] == []
    asked = await ask(api, token, 5_000)
    assert asked["errors"] == [] and asked["withdrawal"]["status"] == "PENDING_REVIEW"
    assert await balances(ledger.USER, user.id) == (5_000, 5_000)
    assert await ledger.check_invariants() == []


async def test_the_destination_must_be_held_by_the_verified_person(api):
    user, token = await customer(20_000)  # verified as 张三
    journal = await JournalTransaction.all().count()
    wechat = {"kind": "WECHAT", "accountNo": "o_wx123456"}
    for data in (
        bank(5_000, holderName="李四"),
        bank(5_000, holderName="张 三"),
        bank(5_000, holderName="张三丰"),
        {**bank(5_000), "destination": {**wechat, "holderName": "李四"}},
    ):
        refused = (await api(ops.REQUEST, {"input": data}, token=token))["requestWithdrawal"]
        assert refused == {
            "withdrawal": None,
            "errors": [{"code": "DESTINATION_NAME_MISMATCH", "field": ["destination", "holderName"]}],
        }, data
    await nothing_moved(user.id, 20_000)
    assert await JournalTransaction.all().count() == journal

    # compared after trimming; a WeChat payout under the verified name is fine too
    assert (await ask(api, token, 5_000, holderName="  张三 "))["errors"] == []
    to_wechat = await api(
        ops.REQUEST, {"input": {**bank(5_000), "destination": {**wechat, "holderName": "张三"}}}, token=token
    )
    assert to_wechat["requestWithdrawal"]["errors"] == []
    assert await balances(ledger.USER, user.id) == (10_000, 10_000)
    assert await ledger.check_invariants() == []


async def test_with_the_requirement_off_any_user_and_holder_may_withdraw(api, monkeypatch):
    monkeypatch.setattr(settings, "WITHDRAWAL_REQUIRE_IDENTITY", False)
    user, token = await customer(10_000, verified=False)
    assert (await api(ops.RULES, token=token))["withdrawalRules"]["identityRequired"] is False
    assert (await ask(api, token, 5_000, holderName="李四"))["errors"] == []
    assert await balances(ledger.USER, user.id) == (5_000, 5_000)
    assert await ledger.check_invariants() == []


async def test_merchant_withdrawals_need_no_personal_identity(api):
    merchant = await make_merchant()
    settled = await ledger.get_account(MERCHANT, merchant.id, Purpose.MERCHANT_SETTLED)
    budget = await ledger.platform_account(Purpose.PROMOTION_EXPENSE)
    await ledger.post("TEST_SETTLEMENT", [Posting(budget.id, -20_000), Posting(settled.id, 20_000)])
    finance = await token_for(await make_staff(merchant, ["merchant.finance"]))  # no identity submitted
    company = bank(10_000, holderName="杭州某某贸易有限公司")
    asked = (await api(ops.REQUEST_MERCHANT, {"m": gid(merchant), "input": company}, token=finance))[
        "requestMerchantWithdrawal"
    ]
    assert asked["errors"] == [] and asked["withdrawal"]["owner"] == "MERCHANT"
    assert await balances(MERCHANT, merchant.id) == (10_000, 10_000)
    assert await ledger.check_invariants() == []


# --------------------------------------------------------------------------- sandbox channel


async def _approved_on_sandbox(api, amount=10_000):
    user, token = await customer(amount)
    w = (await ask(api, token, amount))["withdrawal"]
    approved = await act(api, ops.APPROVE, await finance_token(), id=w["id"], channel="SANDBOX")
    assert approved["errors"] == [] and approved["withdrawal"]["status"] == "PROCESSING"
    assert approved["withdrawal"]["transferReference"].startswith("SBP")
    return user, await Withdrawal.get(id=pk_of(w["id"]))


async def test_sandbox_callbacks_are_verified_and_pay_exactly_once(api):
    user, w = await _approved_on_sandbox(api)
    reference = w.channel_reference
    # forged: wrong key; stale; wrong amount (correctly signed); unknown payout
    forged = payouts.sign_callback(w.payout_no, reference, w.net, True, secret="not-the-key")
    stale = payouts.sign_callback(w.payout_no, reference, w.net, True, timestamp=int(clock.now().timestamp()) - 3600)
    wrong_amount = payouts.sign_callback(w.payout_no, reference, w.net + 1, True)
    unknown = payouts.sign_callback("WD999", reference, w.net, True)
    for signed, code in (
        (forged, "CALLBACK_INVALID"),
        (stale, "CALLBACK_INVALID"),
        (wrong_amount, "CALLBACK_AMOUNT_MISMATCH"),
        (unknown, "CALLBACK_INVALID"),
    ):
        status, body = await callback(api, signed)
        assert (status, body["error"]) == (400, code)
    tampered = payouts.sign_callback(w.payout_no, reference, w.net, True)
    status, body = await callback(
        api, payouts.SignedCallback(tampered.headers, tampered.body.replace(b"SUCCESS", b"FAIL"))
    )
    assert (status, body["error"]) == (400, "CALLBACK_INVALID")
    assert (await Withdrawal.get(id=w.id)).status == "APPROVED" and await balances(ledger.USER, user.id) == (0, 10_000)

    success = await payouts.channel("sandbox").simulate_result(w.payout_no, True)
    for _ in range(3):  # the channel repeats it
        assert await callback(api, success) == (200, {"code": "SUCCESS", "outcome": "PAID"})
    # a contradicting late result (another notify id) is recorded and changes nothing
    late = payouts.sign_callback(w.payout_no, reference, w.net, False, reason="bank says no")
    assert await callback(api, late) == (200, {"code": "SUCCESS", "outcome": "IGNORED"})
    row = await Withdrawal.get(id=w.id)
    assert row.status == "PAID" and row.paid_at is not None
    assert await balances(ledger.USER, user.id) == (0, 0)
    assert await platform() == (700, 9_300)
    assert await JournalTransaction.filter(kind="WITHDRAWAL_PAID").count() == 1
    assert await JournalTransaction.filter(kind="WITHDRAWAL_FAILED").count() == 0
    assert await ledger.check_invariants() == []


async def test_a_failed_payout_returns_the_money_and_a_late_success_is_ignored(api):
    user, w = await _approved_on_sandbox(api, 5_000)
    failure = await payouts.channel("sandbox").simulate_result(w.payout_no, False, "account closed")
    assert await callback(api, failure) == (200, {"code": "SUCCESS", "outcome": "FAILED"})
    assert await callback(api, failure) == (200, {"code": "SUCCESS", "outcome": "FAILED"})
    row = await Withdrawal.get(id=w.id)
    assert (row.status, row.failure_reason) == ("FAILED", "account closed")
    assert await balances(ledger.USER, user.id) == (5_000, 0)
    late = payouts.sign_callback(w.payout_no, w.channel_reference, w.net, True)
    assert await callback(api, late) == (200, {"code": "SUCCESS", "outcome": "IGNORED"})
    assert (await Withdrawal.get(id=w.id)).status == "FAILED"
    assert await balances(ledger.USER, user.id) == (5_000, 0) and await platform() == (0, 0)
    # the sandbox channel's withdrawal cannot be marked paid by hand
    marked = await act(api, ops.MARK_PAID, await finance_token(), id=gid(w), ref="x")
    assert marked["errors"] == [{"code": "INVALID_TRANSITION", "field": ["id"]}]
    assert await ledger.check_invariants() == []


async def test_sandbox_result_mutation_plays_the_bank_in_development(api):
    user, w = await _approved_on_sandbox(api, 5_000)
    admin = await finance_token()
    done = await act(api, ops.SANDBOX_RESULT, admin, id=gid(w), ok=True)
    assert done["errors"] == [] and done["withdrawal"]["status"] == "COMPLETED"
    again = await act(api, ops.SANDBOX_RESULT, admin, id=gid(w), ok=False)  # the bank already answered: nothing changes
    assert again["errors"] == [] and again["withdrawal"]["status"] == "COMPLETED"
    assert await balances(ledger.USER, user.id) == (0, 0) and await platform() == (350, 4_650)
    _, token = await customer(5_000)
    manual = (await ask(api, token, 5_000))["withdrawal"]
    await act(api, ops.APPROVE, admin, id=manual["id"], channel="MANUAL")
    refused = await act(api, ops.SANDBOX_RESULT, admin, id=manual["id"], ok=True)
    assert refused["errors"] == [{"code": "PAYOUT_CHANNEL_UNAVAILABLE", "field": ["id"]}]
    assert await ledger.check_invariants() == []


async def test_an_unknown_channel_is_refused(api):
    user, token = await customer(5_000)
    w = (await ask(api, token, 5_000))["withdrawal"]
    result = await act(api, ops.APPROVE, await finance_token(), id=w["id"], channel="PIGEON")
    assert result["errors"] == [{"code": "PAYOUT_CHANNEL_UNAVAILABLE", "field": ["channel"]}]
    assert (await Withdrawal.get(id=pk_of(w["id"]))).status == "PENDING_REVIEW"


async def test_a_channel_down_at_approval_is_retried_by_the_worker(api):
    user, token = await customer(5_000)
    w = (await ask(api, token, 5_000))["withdrawal"]

    class Down(payouts.SandboxChannel):
        async def submit(self, request):
            raise ConnectionError("channel down")

    payouts.register(Down(), "sandbox")
    try:
        approved = await act(api, ops.APPROVE, await finance_token(), id=w["id"], channel="SANDBOX")
        assert approved["withdrawal"]["status"] == "PROCESSING" and approved["withdrawal"]["transferReference"] is None
    finally:
        payouts.register(None)
    from jobs import withdrawals as withdrawal_jobs

    assert await withdrawal_jobs.submit_payouts() == "handed 1 payouts to their channel"
    assert await withdrawal_jobs.submit_payouts() == "handed 0 payouts to their channel"
    assert (await Withdrawal.get(id=pk_of(w["id"]))).channel_reference.startswith("SBP")


# --------------------------------------------------------------------------- risk review


async def test_risk_screening_holds_a_withdrawal_out_of_the_review_queue(api, monkeypatch):
    async def screen(user_id, withdrawal_id, amount, conn):
        return "new device and large amount" if amount >= 5_000 else None

    monkeypatch.setattr(risk_hooks, "WITHDRAWAL_SCREENS", [screen])
    user, token = await customer(20_000)
    held = (await ask(api, token, 5_000))["withdrawal"]
    other = (await ask(api, token, 6_000))["withdrawal"]
    normal = (await ask(api, token, 2_000))["withdrawal"]
    assert (held["status"], other["status"], normal["status"]) == ("RISK_REVIEW", "RISK_REVIEW", "PENDING_REVIEW")
    assert await balances(ledger.USER, user.id) == (7_000, 13_000)  # held money stays frozen
    admin = await finance_token()
    queue = (await api(ops.ADMIN_LIST, {"status": "PENDING_REVIEW"}, token=admin))["withdrawals"]["nodes"]
    assert [n["id"] for n in queue] == [normal["id"]]
    assert await withdrawals.pending_review_count() == 1
    assert (await act(api, ops.APPROVE, admin, id=held["id"]))["errors"] == [
        {"code": "INVALID_TRANSITION", "field": ["id"]}
    ]

    await risk_hooks.RELEASE["WITHDRAWAL"](pk_of(held["id"]), 1, "checked by phone", None)
    await risk_hooks.REJECT["WITHDRAWAL"](pk_of(other["id"]), 1, "stolen account", None)
    assert (await Withdrawal.get(id=pk_of(held["id"]))).status == "PENDING_REVIEW"
    rejected = await Withdrawal.get(id=pk_of(other["id"]))
    assert (rejected.status, rejected.reject_reason) == ("REJECTED", "stolen account")
    assert await balances(ledger.USER, user.id) == (13_000, 7_000)
    assert await withdrawals.pending_review_count() == 2
    with pytest.raises(DomainError) as caught:  # a decision on something no longer held is refused
        await risk_hooks.REJECT["WITHDRAWAL"](pk_of(held["id"]), 1, "too late", None)
    assert caught.value.code.value == "INVALID_TRANSITION"
    assert await balances(ledger.USER, user.id) == (13_000, 7_000)
    assert await ledger.check_invariants() == []


# --------------------------------------------------------------------------- merchants


async def test_merchant_finance_staff_withdraw_settled_funds(api):
    merchant = await make_merchant()
    settled = await ledger.get_account(MERCHANT, merchant.id, Purpose.MERCHANT_SETTLED)
    budget = await ledger.platform_account(Purpose.PROMOTION_EXPENSE)
    await ledger.post("TEST_SETTLEMENT", [Posting(budget.id, -100_000), Posting(settled.id, 100_000)])
    finance = await token_for(await make_staff(merchant, ["merchant.finance"]))
    orders_only = await token_for(await make_staff(merchant, ["merchant.orders"]))
    stranger = await token_for(await make_staff(await make_merchant(), ["merchant.finance"]))
    mid = gid(merchant)

    for token in (orders_only, stranger):
        refused = (await api(ops.REQUEST_MERCHANT, {"m": mid, "input": bank(10_000)}, token=token))[
            "requestMerchantWithdrawal"
        ]
        assert refused["errors"] == [{"code": "FORBIDDEN", "field": None}]
        assert await api.error_code(ops.MERCHANT_LIST, {"m": mid}, token=token) == "FORBIDDEN"
    asked = (await api(ops.REQUEST_MERCHANT, {"m": mid, "input": bank(60_000)}, token=finance))[
        "requestMerchantWithdrawal"
    ]
    assert asked["errors"] == []
    w = asked["withdrawal"]
    assert (w["owner"], w["merchantId"], w["fee"]["amount"], w["net"]["amount"]) == ("MERCHANT", mid, "42.00", "558.00")
    funds = (await api(ops.MERCHANT_FUNDS, {"m": mid}, token=finance))["merchantFunds"]
    assert funds == {"settled": {"amount": "400.00"}, "frozen": {"amount": "600.00"}}
    over = (await api(ops.REQUEST_MERCHANT, {"m": mid, "input": bank(40_001)}, token=finance))[
        "requestMerchantWithdrawal"
    ]
    assert over["errors"] == [{"code": "INSUFFICIENT_FUNDS", "field": ["amount"]}]

    admin = await finance_token()
    await act(api, ops.APPROVE, admin, id=w["id"])  # the default channel: MANUAL
    paid = await act(api, ops.MARK_PAID, admin, id=w["id"], ref="B2B-0001")
    assert paid["withdrawal"]["status"] == "COMPLETED"
    assert await balances(MERCHANT, merchant.id) == (40_000, 0) and await platform() == (4_200, 55_800)
    listed = (await api(ops.MERCHANT_LIST, {"m": mid}, token=finance))["merchantWithdrawals"]["nodes"]
    assert [(n["id"], n["status"]) for n in listed] == [(w["id"], "COMPLETED")]
    # a user's own list never shows the merchant's withdrawals
    assert (await api(ops.MINE, token=finance))["myWithdrawals"]["nodes"] == []
    assert await ledger.check_invariants() == []


# --------------------------------------------------------------------------- statement (FIN-2)


async def test_statement_shows_every_movement_with_its_business_reason(api):
    """U pays orders, gets a refund, consigns a unit that sells, earns a commission on the
    buyer's purchase, and withdraws: every line is there, newest first, with its kind."""
    began = clock.now()
    await configure(api, [("FIXED", 1_000)], freeze_days=0)
    merchant, retail, wholesale = await make_consignment_pair(retail_price=22_000, wholesale_price=4_400, vouchers=2)
    shop, _, [goods] = await make_shop(price=3_000, stock=10)
    u, u_address = await member("小U", wallet=100_000)
    await verify_identity(u, "张三")
    token = await token_for(u)
    await buy(api, u, u_address, retail.id, 1)
    bought = await buy(api, u, u_address, wholesale.id, 1)
    consign = await api(
        "mutation($l: ID!) { consignFromOrderLine(lineId: $l, quantity: 1) { errors { code } } }",
        {"l": bought["orders"][0]["lines"][0]["id"]},
        token=token,
    )
    assert consign["consignFromOrderLine"]["errors"] == []
    other = await buy(api, u, u_address, goods.id, 2)
    await refund(api, shop, other, u, 1)
    c, c_address = await member("小C", upline=u, wallet=50_000)
    sale = await buy(api, c, c_address, retail.id, 1)  # takes U's consigned unit; pays U a commission
    await finish(api, merchant, sale, c)
    clock.advance(timedelta(days=7, seconds=1))
    await consignment_jobs.settle_consignments()
    assert await distribution_jobs.release_commissions() == "released 1 commissions"
    token = await token_for(u)  # the clock moved past the first token's expiry
    wallet = (await api(ops.WALLET, token=token))["myWallet"]
    # 100000 - 22000 - 4400 - 6000 + 3000 (refund) + 17600 (22000 less the 20 % fee) + 1000
    assert (
        wallet["available"]["amount"],
        wallet["commissionAvailable"]["amount"],
        wallet["commissionPending"]["amount"],
    ) == ("892.00", "10.00", "0.00")
    w = (await ask(api, token, 50_000))["withdrawal"]
    admin = await finance_token()
    await act(api, ops.APPROVE, admin, id=w["id"], channel="MANUAL")
    await act(api, ops.MARK_PAID, admin, id=w["id"], ref="T-1")

    lines = (await api(ops.STATEMENT, {"first": 100}, token=token))["myStatement"]["nodes"]
    assert [pk_of(n["id"]) for n in lines] == sorted((pk_of(n["id"]) for n in lines), reverse=True)  # newest first
    kinds = [(n["kind"], n["account"], n["amount"]["amount"]) for n in reversed(lines)]
    assert kinds == [
        ("OTHER", "WALLET", "1000.00"),  # the test's credit (kindCode TEST_CREDIT)
        ("ORDER_PAYMENT", "WALLET", "-220.00"),
        ("ORDER_PAYMENT", "WALLET", "-44.00"),
        ("ORDER_PAYMENT", "WALLET", "-60.00"),
        ("ORDER_REFUND", "WALLET", "30.00"),
        ("COMMISSION_BOOKED", "COMMISSION_PENDING", "10.00"),  # one payment: the queue match is its last hook
        ("CONSIGNMENT_SALE", "CONSIGNMENT_PENDING", "176.00"),
        ("CONSIGNMENT_SETTLED", "CONSIGNMENT_PENDING", "-176.00"),
        ("CONSIGNMENT_SETTLED", "WALLET", "176.00"),
        ("COMMISSION_RELEASED", "COMMISSION_PENDING", "-10.00"),
        ("COMMISSION_RELEASED", "WALLET", "10.00"),
        ("WITHDRAWAL_REQUESTED", "WALLET", "-500.00"),
        ("WITHDRAWAL_REQUESTED", "FROZEN", "500.00"),
        ("WITHDRAWAL_PAID", "FROZEN", "-500.00"),
    ]
    first = lines[0]
    assert (first["referenceType"], first["referenceId"], first["memo"], first["balanceAfter"]["amount"]) == (
        "WITHDRAWAL",
        str(pk_of(w["id"])),  # referenceId (a String) names the row by its key
        "T-1",
        "0.00",
    )
    wallet_lines = [n for n in reversed(lines) if n["account"] == "WALLET"]
    running = 0
    for n in wallet_lines:  # each balance after is the running sum
        running += round(float(n["amount"]["amount"]) * 100)
        assert round(float(n["balanceAfter"]["amount"]) * 100) == running
    assert lines[-1]["kindCode"] == "TEST_CREDIT"

    only = (await api(ops.STATEMENT, {"kind": ["WITHDRAWAL_REQUESTED", "WITHDRAWAL_PAID"]}, token=token))[
        "myStatement"
    ]["nodes"]
    assert [n["kind"] for n in only] == ["WITHDRAWAL_PAID", "WITHDRAWAL_REQUESTED", "WITHDRAWAL_REQUESTED"]
    assert [
        n["kind"] for n in (await api(ops.STATEMENT, {"kind": ["OTHER"]}, token=token))["myStatement"]["nodes"]
    ] == ["OTHER"]
    # pages continue where the previous ended, without overlap
    page1 = (await api(ops.STATEMENT, {"first": 5}, token=token))["myStatement"]
    page2 = (await api(ops.STATEMENT, {"first": 5, "after": page1["pageInfo"]["endCursor"]}, token=token))[
        "myStatement"
    ]
    assert [n["id"] for n in page1["nodes"] + page2["nodes"]] == [n["id"] for n in lines[:10]]
    assert page1["pageInfo"]["hasNextPage"]
    # a period
    now = clock.now()
    window = {
        "from": (began - timedelta(hours=1)).isoformat(),
        "to": (now + timedelta(hours=1)).isoformat(),
        "first": 100,
    }
    assert len((await api(ops.STATEMENT, window, token=token))["myStatement"]["nodes"]) == len(lines)
    future = {"from": (now + timedelta(hours=1)).isoformat()}
    assert (await api(ops.STATEMENT, future, token=token))["myStatement"]["nodes"] == []
    backwards = {"from": (now + timedelta(hours=1)).isoformat(), "to": now.isoformat()}
    assert await api.error_code(ops.STATEMENT, backwards, token=token) == "INVALID_DATE_RANGE"
    # only mine: C's statement has none of U's lines
    c_lines = (await api(ops.STATEMENT, {"first": 100}, token=await token_for(c)))["myStatement"]["nodes"]
    assert not {n["id"] for n in c_lines} & {n["id"] for n in lines}
    assert await ledger.check_invariants() == []


# --------------------------------------------------------------------------- live


async def test_the_owner_hears_status_changes_and_admins_hear_the_queue(app, api):
    user, token = await customer(10_000)
    heard: list[LiveEvent] = []

    async def admins():
        async for event in listen(admin_channel()):
            heard.append(event)

    task = asyncio.create_task(admins())
    client, connect = await open_ws(app, "graphql-transport-ws")
    try:
        async with client, connect as ws:
            ws_client = WsClient(ws, "graphql-transport-ws")
            await ws_client.init(token)
            await ws.send_text(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": ops.MY_EVENTS}}))
            await wait_for_listener(user_channel(user.id))
            await wait_for_listener(admin_channel())
            w = (await ask(api, token, 5_000))["withdrawal"]
            event = (await ws_client.recv())["payload"]["data"]["myWithdrawalEvents"]
            assert (event["fromStatus"], event["status"], event["withdrawal"]["id"]) == (
                None,
                "PENDING_REVIEW",
                w["id"],
            )
            assert event["withdrawal"]["destination"]["account"] == "**** 1234"
            assert await withdrawals.pending_review_count() == 1
            await act(api, ops.APPROVE, await finance_token(), id=w["id"])
            event = (await ws_client.recv())["payload"]["data"]["myWithdrawalEvents"]
            assert (event["fromStatus"], event["status"]) == ("PENDING_REVIEW", "PROCESSING")
            assert await withdrawals.pending_review_count() == 0
            await act(api, ops.MARK_PAID, await finance_token(), id=w["id"], ref="R1")
            event = (await ws_client.recv())["payload"]["data"]["myWithdrawalEvents"]
            assert (event["fromStatus"], event["status"]) == ("PROCESSING", "COMPLETED")
            # a refused request announces nothing
            assert (await ask(api, token, 999_999))["errors"][0]["code"] == "INSUFFICIENT_FUNDS"
            with pytest.raises(asyncio.TimeoutError):
                await ws_client.recv(timeout=0.3)
    finally:
        task.cancel()
    queue_events = [e for e in heard if isinstance(e, ReviewQueueChanged)]
    assert len(queue_events) == 2  # into the queue (request), out of it (approval); paying does not change it


async def test_merchant_staff_hear_the_merchants_withdrawals(app, api):
    merchant = await make_merchant()
    settled = await ledger.get_account(MERCHANT, merchant.id, Purpose.MERCHANT_SETTLED)
    budget = await ledger.platform_account(Purpose.PROMOTION_EXPENSE)
    await ledger.post("TEST_SETTLEMENT", [Posting(budget.id, -20_000), Posting(settled.id, 20_000)])
    finance = await token_for(await make_staff(merchant, ["merchant.finance"]))
    client, connect = await open_ws(app, "graphql-transport-ws")
    async with client, connect as ws:
        ws_client = WsClient(ws, "graphql-transport-ws")
        await ws_client.init(finance)
        await ws.send_text(
            json.dumps(
                {
                    "id": "1",
                    "type": "subscribe",
                    "payload": {"query": ops.MERCHANT_EVENTS, "variables": {"m": gid(merchant)}},
                }
            )
        )
        await wait_for_listener(merchant_channel(merchant.id))
        asked = await api(ops.REQUEST_MERCHANT, {"m": gid(merchant), "input": bank(10_000)}, token=finance)
        w = asked["requestMerchantWithdrawal"]["withdrawal"]
        event = (await ws_client.recv())["payload"]["data"]["merchantWithdrawalEvents"]
        assert event == {
            "fromStatus": None,
            "status": "PENDING_REVIEW",
            "withdrawal": {"id": w["id"], "status": "PENDING_REVIEW"},
        }
    # someone without merchant.finance is refused at the start
    orders_only = await token_for(await make_staff(merchant, ["merchant.orders"]))
    client, connect = await open_ws(app, "graphql-transport-ws")
    async with client, connect as ws:
        ws_client = WsClient(ws, "graphql-transport-ws")
        await ws_client.init(orders_only)
        await ws.send_text(
            json.dumps(
                {
                    "id": "1",
                    "type": "subscribe",
                    "payload": {"query": ops.MERCHANT_EVENTS, "variables": {"m": gid(merchant)}},
                }
            )
        )
        message = await ws_client.recv()
        assert message["type"] == "error" or message["payload"].get("errors")
        payload = message["payload"]
        errors = payload if isinstance(payload, list) else payload["errors"]
        assert errors[0]["extensions"]["code"] == "FORBIDDEN"
