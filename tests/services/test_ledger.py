"""Ledger core: balanced postings, conditional balances, idempotency, invariants."""

import asyncio

import pytest

from models.ledger import JournalEntry, JournalTransaction, LedgerAccount
from services.core.errors import DomainError, ErrorCode
from services.ledger import ledger
from services.ledger.ledger import Posting, Purpose
from tests.conftest import requires_postgres
from tests.helpers import make_user


async def funded_wallet(amount: int):
    """A user's wallet with `amount` fen that came in through the gateway."""
    user = await make_user()
    wallet = await ledger.user_account(user.id, Purpose.WALLET)
    clearing = await ledger.platform_account(Purpose.GATEWAY_CLEARING)
    if amount:
        await ledger.transfer("TOP_UP", clearing, wallet, amount)
    return user, wallet, clearing


async def balances(*accounts):
    return [(await LedgerAccount.get(id=a.id)).balance for a in accounts]


async def assert_books_sound():
    assert await ledger.check_invariants() == []


async def test_transfer_moves_money_and_writes_balanced_entries():
    _, wallet, clearing = await funded_wallet(10_000)
    assert await balances(wallet, clearing) == [10_000, -10_000]
    entries = await JournalEntry.all().order_by("id")
    assert [e.amount for e in entries] == [-10_000, 10_000]
    assert [e.balance_after for e in entries] == [-10_000, 10_000]
    await assert_books_sound()


async def test_overdraw_is_refused_and_changes_nothing():
    _, wallet, _ = await funded_wallet(500)
    revenue = await ledger.platform_account(Purpose.FEE_REVENUE)
    with pytest.raises(DomainError) as exc:
        await ledger.transfer("FEE", wallet, revenue, 501)
    assert exc.value.code is ErrorCode.INSUFFICIENT_FUNDS
    assert await balances(wallet, revenue) == [500, 0]
    assert await JournalTransaction.all().count() == 1
    await assert_books_sound()


async def test_unbalanced_and_bad_amounts_are_refused():
    _, wallet, clearing = await funded_wallet(0)
    cases = [
        ([Posting(wallet.id, 100), Posting(clearing.id, -99)], ErrorCode.UNBALANCED_TRANSACTION),
        ([Posting(wallet.id, 100)], ErrorCode.UNBALANCED_TRANSACTION),
        ([Posting(wallet.id, 0), Posting(clearing.id, 0)], ErrorCode.INVALID_AMOUNT),
        ([Posting(wallet.id, 1.5), Posting(clearing.id, -1.5)], ErrorCode.INVALID_AMOUNT),
        ([Posting(wallet.id, 100), Posting(999_999, -100)], ErrorCode.NOT_FOUND),
    ]
    for postings, code in cases:
        with pytest.raises(DomainError) as exc:
            await ledger.post("TEST", postings)
        assert exc.value.code is code
    assert await JournalTransaction.all().count() == 0
    assert await balances(wallet, clearing) == [0, 0]


async def test_currencies_balance_separately():
    user = await make_user()
    coins = await ledger.user_account(user.id, Purpose.COINS, "COIN")
    cash = await ledger.user_account(user.id, Purpose.WALLET)
    with pytest.raises(DomainError) as exc:
        await ledger.post("MIXED", [Posting(coins.id, 100), Posting(cash.id, -100)])
    assert exc.value.code is ErrorCode.UNBALANCED_TRANSACTION


async def test_one_post_moves_many_accounts_through_a_pass_through_one():
    from services.core.events import unit_of_work

    _, wallet, gateway = await funded_wallet(1_000)
    through = await ledger.platform_account(Purpose.ORDER_CLEARING)
    shops = [await ledger.get_account(ledger.MERCHANT, i, Purpose.MERCHANT_PENDING) for i in (1, 2, 3)]
    postings = [Posting(wallet.id, -600), Posting(through.id, 600)]
    for shop, amount in zip(shops, (100, 200, 300), strict=True):
        postings += [Posting(through.id, -amount), Posting(shop.id, amount)]
    async with unit_of_work() as conn:  # on the caller's unit, no savepoint of its own
        await ledger.post("ORDER_PAYMENT", postings, idempotency_key="pay-9", conn=conn)
    assert await balances(wallet, through, *shops) == [400, 0, 100, 200, 300]
    entries = await JournalEntry.filter(transaction__kind="ORDER_PAYMENT").order_by("id")
    assert [(e.account_id, e.balance_after) for e in entries] == [
        (wallet.id, 400),
        (through.id, 600),
        (through.id, 500),
        (shops[0].id, 100),
        (through.id, 300),
        (shops[1].id, 200),
        (through.id, 0),
        (shops[2].id, 300),
    ]
    await assert_books_sound()

    # Refusals, as the separate checks gave them: an unknown account before entries that do not
    # balance before a balance that would go below zero; nothing changed.
    coins = await ledger.user_account(1, Purpose.COINS, "COIN")
    refused = [
        ([Posting(wallet.id, -900), Posting(shops[0].id, 900), Posting(999_999, 5), Posting(999_999, -5)], "NOT_FOUND"),
        ([Posting(wallet.id, -900), Posting(coins.id, 900)], "UNBALANCED_TRANSACTION"),
        (
            [Posting(wallet.id, -401), Posting(through.id, 401), Posting(through.id, -401), Posting(shops[0].id, 401)],
            "INSUFFICIENT_FUNDS",
        ),
    ]
    for postings, code in refused:
        with pytest.raises(DomainError) as exc:
            await ledger.post("TEST", postings)
        assert exc.value.code.value == code
    assert await balances(wallet, through, *shops, coins) == [400, 0, 100, 200, 300, 0]
    assert await JournalTransaction.filter(kind="TEST").count() == 0
    assert (await ledger.transfer("TOP_UP", gateway, wallet, 1)).replayed is False


async def test_idempotency_key_replay_returns_the_first_transaction():
    _, wallet, clearing = await funded_wallet(0)
    first = await ledger.transfer("TOP_UP", clearing, wallet, 300, idempotency_key="pay-1")
    again = await ledger.transfer("TOP_UP", clearing, wallet, 300, idempotency_key="pay-1")
    assert again.replayed and again.transaction.id == first.transaction.id
    assert await balances(wallet) == [300]
    with pytest.raises(DomainError) as exc:
        await ledger.transfer("TOP_UP", clearing, wallet, 301, idempotency_key="pay-1")
    assert exc.value.code is ErrorCode.IDEMPOTENCY_KEY_REUSED
    assert await balances(wallet) == [300]
    await assert_books_sound()


async def test_a_failed_post_inside_a_unit_of_work_rolls_back_with_it():
    from services.core.events import unit_of_work

    user, wallet, clearing = await funded_wallet(100)
    revenue = await ledger.platform_account(Purpose.FEE_REVENUE)
    with pytest.raises(DomainError):
        async with unit_of_work():
            await ledger.transfer("FEE", wallet, revenue, 60)
            await ledger.transfer("FEE", wallet, revenue, 60)  # only 40 left: the whole unit fails
    assert await balances(wallet, revenue) == [100, 0]
    await assert_books_sound()


async def test_invariant_checker_notices_tampering():
    _, wallet, _ = await funded_wallet(100)
    await LedgerAccount.filter(id=wallet.id).update(balance=1_000_000)
    rules = {v.rule for v in await ledger.check_invariants()}
    assert "balance differs from the sum of entries" in rules
    entry = await JournalEntry.filter(account_id=wallet.id).first()
    await JournalEntry.filter(id=entry.id).update(amount=99)
    rules = {v.rule for v in await ledger.check_invariants()}
    assert "transaction does not balance" in rules


async def test_accounts_are_created_once_under_concurrency():
    user = await make_user()
    accounts = await asyncio.gather(*[ledger.user_account(user.id, Purpose.WALLET) for _ in range(10)])
    assert len({a.id for a in accounts}) == 1


@requires_postgres
async def test_concurrent_debits_never_overdraw():
    # 50 debits of 100 race against a balance of 1000: exactly 10 succeed.
    _, wallet, _ = await funded_wallet(1_000)
    revenue = await ledger.platform_account(Purpose.FEE_REVENUE)

    async def debit():
        try:
            await ledger.transfer("FEE", wallet, revenue, 100)
            return True
        except DomainError as exc:
            assert exc.code is ErrorCode.INSUFFICIENT_FUNDS
            return False

    results = await asyncio.gather(*[debit() for _ in range(50)])
    assert sum(results) == 10
    assert await balances(wallet, revenue) == [0, 1_000]
    await assert_books_sound()


@requires_postgres
async def test_opposite_transfers_do_not_deadlock():
    _, a, _ = await funded_wallet(10_000)
    _, b, _ = await funded_wallet(10_000)
    moves = [ledger.transfer("MOVE", a, b, 7) if i % 2 else ledger.transfer("MOVE", b, a, 5) for i in range(40)]
    await asyncio.wait_for(asyncio.gather(*moves), timeout=30)
    assert await balances(a, b) == [10_000 - 20 * 7 + 20 * 5, 10_000 + 20 * 7 - 20 * 5]
    await assert_books_sound()


@requires_postgres
async def test_idempotent_post_replayed_20_times_concurrently_takes_effect_once():
    _, wallet, clearing = await funded_wallet(0)
    results = await asyncio.gather(
        *[ledger.transfer("TOP_UP", clearing, wallet, 250, idempotency_key="callback-42") for _ in range(20)]
    )
    assert len({r.transaction.id for r in results}) == 1
    assert sum(not r.replayed for r in results) == 1
    assert await balances(wallet) == [250]
    assert await JournalTransaction.filter(idempotency_key="callback-42").count() == 1
    await assert_books_sound()
