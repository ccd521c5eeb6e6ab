"""Withdrawal races on PostgreSQL (skipped on SQLite, whose writers are serialised anyway):
many requests against one balance, repeated payout callbacks, an approval racing a
rejection, one idempotency key sent many times at once. Whatever the interleaving, money
moves exactly once and the ledger's invariants hold."""

from __future__ import annotations

import asyncio
import uuid

import settings
from models.ledger import JournalTransaction
from models.withdrawals import PayoutNotification, Withdrawal
from services.accounts.access import Grants
from services.core.errors import DomainError
from services.finance import payouts, withdrawals
from services.finance.payouts import Destination
from services.ledger import ledger
from services.ledger.ledger import USER, Purpose
from tests.conftest import requires_postgres
from tests.helpers import make_user, verify_identity
from tests.order_factories import fund_wallet

pytestmark = requires_postgres

ADMIN = Grants(platform={"withdrawal.manage"})
BANK = Destination("BANK", "工商银行", "张三", "6222021234567890")


async def _balances(user_id: int) -> tuple[int, int]:
    return (
        (await ledger.user_account(user_id, Purpose.WALLET)).balance,
        (await ledger.user_account(user_id, Purpose.FROZEN)).balance,
    )


def _codes(results) -> list[str]:
    return sorted(r.code.value for r in results if isinstance(r, DomainError))


async def test_fifty_requests_against_a_balance_covering_ten_accept_exactly_ten(monkeypatch):
    monkeypatch.setattr(settings, "WITHDRAWAL_DAILY_COUNT", 100)
    monkeypatch.setattr(settings, "WITHDRAWAL_DAILY_AMOUNT", 10**9)
    user = await make_user("提现")
    await verify_identity(user, "张三")
    await fund_wallet(user, 10 * 2_000)
    results = await asyncio.gather(
        *(withdrawals.request_for_user(user.id, 2_000, BANK, uuid.uuid4().hex) for _ in range(50)),
        return_exceptions=True,
    )
    accepted = [r for r in results if isinstance(r, Withdrawal)]
    assert len(accepted) == 10, [r for r in results if not isinstance(r, (Withdrawal, DomainError))]
    assert _codes(results) == ["INSUFFICIENT_FUNDS"] * 40
    assert await _balances(user.id) == (0, 20_000)
    assert await Withdrawal.filter(owner_type=USER, owner_id=user.id).count() == 10
    assert await ledger.check_invariants() == []


async def test_daily_count_holds_under_concurrency(monkeypatch):
    monkeypatch.setattr(settings, "WITHDRAWAL_DAILY_COUNT", 3)
    user = await make_user("限额")
    await verify_identity(user, "张三")
    await fund_wallet(user, 100_000)
    results = await asyncio.gather(
        *(withdrawals.request_for_user(user.id, 2_000, BANK, uuid.uuid4().hex) for _ in range(20)),
        return_exceptions=True,
    )
    assert len([r for r in results if isinstance(r, Withdrawal)]) == 3
    assert _codes(results) == ["WITHDRAWAL_DAILY_COUNT_EXCEEDED"] * 17
    assert await _balances(user.id) == (94_000, 6_000)
    assert await ledger.check_invariants() == []


async def test_one_key_sent_twenty_times_at_once_makes_one_withdrawal():
    user = await make_user("重试")
    await verify_identity(user, "张三")
    await fund_wallet(user, 10_000)
    key = uuid.uuid4().hex
    results = await asyncio.gather(
        *(withdrawals.request_for_user(user.id, 3_000, BANK, key) for _ in range(20)), return_exceptions=True
    )
    assert all(isinstance(r, Withdrawal) for r in results), results
    assert len({r.id for r in results}) == 1
    assert await _balances(user.id) == (7_000, 3_000)
    assert await ledger.check_invariants() == []


async def test_twenty_repeated_payout_callbacks_pay_once():
    user = await make_user("回调")
    await verify_identity(user, "张三")
    await fund_wallet(user, 10_000)
    w = await withdrawals.request_for_user(user.id, 10_000, BANK, uuid.uuid4().hex)
    w = await withdrawals.approve(ADMIN, 0, w.id, "SANDBOX")
    success = await payouts.channel("sandbox").simulate_result(w.payout_no, True)
    # the same notification repeated, and the same result under other notify ids
    others = [
        payouts.sign_callback(w.payout_no, w.channel_reference, w.net, True, notify_id=f"n{i}") for i in range(10)
    ]
    calls = [success] * 10 + others
    results = await asyncio.gather(
        *(withdrawals.handle_callback("sandbox", c.headers, c.body) for c in calls), return_exceptions=True
    )
    assert all(r in ("PAID", "IGNORED") for r in results), results
    # every repeat of the first notification answers its one outcome; whichever notify id
    # won the race is the one PAID (the first is not always first to commit)
    assert len(set(results[:10])) == 1, results
    assert sorted(set(results[:10]) | set(results[10:])) == ["IGNORED", "PAID"]
    assert await PayoutNotification.filter(outcome="PAID").count() == 1
    assert await JournalTransaction.filter(kind="WITHDRAWAL_PAID").count() == 1
    assert (await Withdrawal.get(id=w.id)).status == "PAID"
    assert await _balances(user.id) == (0, 0)
    assert (await ledger.platform_account(Purpose.FEE_REVENUE)).balance == w.fee
    assert (await ledger.platform_account(Purpose.PAYOUT_CLEARING)).balance == w.net
    assert await ledger.check_invariants() == []


async def test_approve_racing_reject_has_exactly_one_winner(monkeypatch):
    monkeypatch.setattr(settings, "WITHDRAWAL_DAILY_COUNT", 100)
    user = await make_user("审核")
    await verify_identity(user, "张三")
    rounds = 10
    await fund_wallet(user, rounds * 2_000)
    approved = 0
    for _ in range(rounds):
        w = await withdrawals.request_for_user(user.id, 2_000, BANK, uuid.uuid4().hex)
        results = await asyncio.gather(
            withdrawals.approve(ADMIN, 0, w.id, "MANUAL"),
            withdrawals.reject(ADMIN, 0, w.id, "no"),
            return_exceptions=True,
        )
        failures = [r for r in results if isinstance(r, Exception)]
        assert (
            len(failures) == 1
            and isinstance(failures[0], DomainError)
            and failures[0].code.value == "INVALID_TRANSITION"
        )
        status = (await Withdrawal.get(id=w.id)).status
        assert status in ("APPROVED", "REJECTED")
        approved += status == "APPROVED"
    assert await _balances(user.id) == ((rounds - approved) * 2_000, approved * 2_000)
    assert await JournalTransaction.filter(kind="WITHDRAWAL_REJECTED").count() == rounds - approved
    assert await ledger.check_invariants() == []


async def test_mark_paid_racing_a_failure_record_moves_the_money_once():
    user = await make_user("并发")
    await verify_identity(user, "张三")
    await fund_wallet(user, 5_000)
    w = await withdrawals.request_for_user(user.id, 5_000, BANK, uuid.uuid4().hex)
    await withdrawals.approve(ADMIN, 0, w.id, "MANUAL")
    results = await asyncio.gather(
        *(withdrawals.mark_paid(ADMIN, 0, w.id, f"T{i}") for i in range(5)),
        withdrawals.mark_failed(ADMIN, 0, w.id, "bounced"),
        return_exceptions=True,
    )
    assert len([r for r in results if isinstance(r, Withdrawal)]) == 1
    status = (await Withdrawal.get(id=w.id)).status
    assert await _balances(user.id) == ((5_000, 0) if status == "FAILED" else (0, 0))
    assert await JournalTransaction.filter(kind__in=["WITHDRAWAL_PAID", "WITHDRAWAL_FAILED"]).count() == 1
    assert await ledger.check_invariants() == []
