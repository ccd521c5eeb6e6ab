"""Double-entry ledger core (FIN-1).

- `post()` writes one journal transaction whose entries sum to zero per currency.
- Balances change only inside `post()`, by a conditional `UPDATE ... RETURNING` that
  refuses to take a non-negative account below zero: no read-modify-write, so concurrent
  debits can never overdraw.
- Accounts are updated in ascending id order, so concurrent transactions cannot deadlock.
- An idempotency key makes a replay return the first transaction (same input) or fail with
  IDEMPOTENCY_KEY_REUSED (other input); replays, concurrent or not, are settled by the unique
  index (the journal row is inserted first, in a savepoint, before anything else is written).
- `check_invariants()` recomputes everything from the journal; tests call it.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from dataclasses import dataclass

from tortoise.exceptions import IntegrityError
from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from models.ledger import JournalEntry, JournalTransaction, LedgerAccount
from services.core.errors import DomainError, ErrorCode
from services.core.events import unit_of_work

USER = "USER"
MERCHANT = "MERCHANT"
PLATFORM = "PLATFORM"
OWNER_TYPES = (USER, MERCHANT, PLATFORM)


class Purpose:
    """Account purposes known so far; later features add theirs here."""

    # user
    WALLET = "WALLET"  # 零钱: withdrawable balance
    FROZEN = "FROZEN"  # amounts held (withdrawal requests, reviews)
    COMMISSION_PENDING = "COMMISSION_PENDING"
    CONSIGNMENT_PENDING = "CONSIGNMENT_PENDING"
    COINS = "COINS"
    POINTS = "POINTS"
    # Commission taken back after release that the wallet could not cover (services.distribution.commissions):
    # the only user account that may go negative; -x means the user owes x. Never above zero.
    COMMISSION_DEBT = "COMMISSION_DEBT"
    # merchant
    # Money of paid orders not yet on an approved statement (services.finance.settlement). May go
    # negative: a refund larger than what it and MERCHANT_SETTLED hold leaves the rest as the
    # merchant's debt to the platform, netted by the next statement (services.orders.payments).
    MERCHANT_PENDING = "MERCHANT_PENDING"
    MERCHANT_SETTLED = "MERCHANT_SETTLED"
    # platform
    GATEWAY_CLEARING = "GATEWAY_CLEARING"  # money entering through payment gateways
    ORDER_CLEARING = "ORDER_CLEARING"  # a payment passes through here on its way to merchants
    PAYOUT_CLEARING = "PAYOUT_CLEARING"  # money leaving through payout channels
    FEE_REVENUE = "FEE_REVENUE"
    COMMISSION_REVENUE = "COMMISSION_REVENUE"
    PROMOTION_EXPENSE = "PROMOTION_EXPENSE"  # source of coins, points and rewards


# Platform contra accounts stand for the outside world and may go negative.
NEGATIVE_ALLOWED = {Purpose.GATEWAY_CLEARING, Purpose.PAYOUT_CLEARING, Purpose.PROMOTION_EXPENSE}
# User accounts that record what the user owes the platform (a negative balance).
USER_NEGATIVE_ALLOWED = {Purpose.COMMISSION_DEBT}
# Merchant accounts that may go negative: below zero means the merchant owes the platform.
MERCHANT_NEGATIVE_ALLOWED = {Purpose.MERCHANT_PENDING}

MAX_AMOUNT = 10**15  # fen; far above any real movement, far below BIGINT


@dataclass(frozen=True)
class Posting:
    account_id: int
    amount: int  # signed fen: positive credits the account's balance, negative debits it


@dataclass(frozen=True)
class PostResult:
    transaction: JournalTransaction
    replayed: bool  # True when an earlier transaction with the same key was returned


async def get_account(owner_type: str, owner_id: int, purpose: str, currency: str = "CNY") -> LedgerAccount:
    """The account, created on first use (safe under concurrency)."""
    if owner_type not in OWNER_TYPES:
        raise DomainError(ErrorCode.INVALID_INPUT, f"unknown owner type {owner_type}", "ownerType")
    key = dict(owner_type=owner_type, owner_id=owner_id, purpose=purpose, currency=currency)
    account = await LedgerAccount.get_or_none(**key)
    if account is not None:
        return account
    try:
        async with in_transaction():
            return await LedgerAccount.create(
                **key,
                allow_negative=(owner_type == PLATFORM and purpose in NEGATIVE_ALLOWED)
                or (owner_type == USER and purpose in USER_NEGATIVE_ALLOWED)
                or (owner_type == MERCHANT and purpose in MERCHANT_NEGATIVE_ALLOWED),
            )
    except IntegrityError:
        return await LedgerAccount.get(**key)


AccountKey = tuple[str, int, str, str]  # (owner_type, owner_id, purpose, currency)


async def account_ids(keys: list[AccountKey]) -> dict[AccountKey, int]:
    """The ids of several accounts by key, read in one query; those missing are created
    (get_account: safe under concurrency)."""
    wanted = list(dict.fromkeys(keys))
    condition = Q()
    for owner_type, owner_id, purpose, currency in wanted:
        condition |= Q(owner_type=owner_type, owner_id=owner_id, purpose=purpose, currency=currency)
    rows = await LedgerAccount.filter(condition).values_list("owner_type", "owner_id", "purpose", "currency", "id")
    found = {(t, o, p, c): aid for t, o, p, c, aid in rows}
    for key in wanted:
        if key not in found:
            found[key] = (await get_account(*key)).id
    return found


async def user_account(user_id: int, purpose: str, currency: str = "CNY") -> LedgerAccount:
    return await get_account(USER, user_id, purpose, currency)


async def platform_account(purpose: str, currency: str = "CNY") -> LedgerAccount:
    return await get_account(PLATFORM, 0, purpose, currency)


def _request_hash(kind: str, postings: list[Posting], reference: tuple[str, str]) -> str:
    body = json.dumps(
        [kind, sorted((p.account_id, p.amount) for p in postings), list(reference)],
        separators=(",", ":"),
    )
    return hashlib.sha256(body.encode()).hexdigest()


async def _replay(key: str, request_hash: str) -> PostResult:
    existing = await JournalTransaction.get(idempotency_key=key)
    if existing.request_hash != request_hash:
        raise DomainError(
            ErrorCode.IDEMPOTENCY_KEY_REUSED,
            "This idempotency key was already used for a different operation.",
            "idempotencyKey",
        )
    return PostResult(existing, replayed=True)


def _check_amounts(postings: list[Posting]) -> None:
    if len(postings) < 2:
        raise DomainError(ErrorCode.UNBALANCED_TRANSACTION, "A transaction needs two entries or more.")
    for p in postings:
        if not isinstance(p.amount, int) or isinstance(p.amount, bool) or p.amount == 0:
            raise DomainError(ErrorCode.INVALID_AMOUNT, "Amounts are non-zero integers (fen).")
        if abs(p.amount) > MAX_AMOUNT:
            raise DomainError(ErrorCode.INVALID_AMOUNT, "Amount out of range.")


async def _validate(postings: list[Posting], net: dict[int, int], conn) -> dict[int, int]:
    """Check the postings (amounts, known accounts, zero sum per currency); returns the
    balances of the accounts whose net is zero (read, not changed: their entries need
    the balance they pass through). One query for both."""
    _check_amounts(postings)
    rows = await LedgerAccount.filter(id__in=list(net)).using_db(conn).values_list("id", "currency", "balance")
    if len(rows) != len(net):
        raise DomainError(ErrorCode.NOT_FOUND, "Unknown ledger account.")
    currencies = {aid: currency for aid, currency, _ in rows}
    sums: dict[str, int] = defaultdict(int)
    for p in postings:
        sums[currencies[p.account_id]] += p.amount
    if any(sums.values()):
        raise DomainError(ErrorCode.UNBALANCED_TRANSACTION, "Entries must sum to zero per currency.")
    return {aid: int(balance) for aid, _, balance in rows if net[aid] == 0}


async def _apply(conn, account_id: int, amount: int) -> int:
    """Conditionally move one account's balance; returns the new balance."""
    if conn.capabilities.dialect == "postgres":
        sql = (
            "UPDATE ledger_account SET balance = balance + $1 "
            "WHERE id = $2 AND (allow_negative OR balance + $1 >= 0) RETURNING balance"
        )
    else:
        sql = (
            "UPDATE ledger_account SET balance = balance + ?1 "
            "WHERE id = ?2 AND (allow_negative OR balance + ?1 >= 0) RETURNING balance"
        )
    rows = await conn.execute_query_dict(sql, [amount, account_id])
    if not rows:
        raise DomainError(ErrorCode.INSUFFICIENT_FUNDS, "Insufficient balance.", "amount")
    return int(rows[0]["balance"])


async def post(
    kind: str,
    postings: list[Posting],
    *,
    idempotency_key: str | None = None,
    reference_type: str = "",
    reference_id: str = "",
    memo: str = "",
    actor_id: int | None = None,
) -> PostResult:
    """Write one balanced journal transaction and move the balances it names.

    Runs in its own unit of work, or as a savepoint of the caller's, so a feature can move
    money and change its own rows atomically.
    """
    request_hash = _request_hash(kind, postings, (reference_type, reference_id))
    net: dict[int, int] = defaultdict(int)
    for p in postings:
        net[p.account_id] += p.amount
    try:
        async with unit_of_work() as conn:
            # The transaction row goes first: its unique idempotency key settles replays (an
            # earlier transaction with this key, committed or in this very transaction, makes
            # the INSERT fail: replayed below, before any validation, as a pre-check would),
            # and a concurrent replay blocks here, before touching any balance, and fails
            # once this one commits. The savepoint (a nested unit of work) undoes the row.
            tx = await JournalTransaction.create(
                kind=kind,
                idempotency_key=idempotency_key,
                request_hash=request_hash,
                reference_type=reference_type,
                reference_id=reference_id,
                memo=memo[:256],
                actor_id=actor_id,
                using_db=conn,
            )
            unchanged = await _validate(postings, net, conn)
            final: dict[int, int] = {}
            for account_id in sorted(net):
                if net[account_id] != 0:
                    final[account_id] = await _apply(conn, account_id, net[account_id])
            running = {aid: final.get(aid, 0) - net[aid] for aid in net}
            running.update(unchanged)  # accounts whose net is zero: their unchanged balance
            entries = []
            for p in postings:
                running[p.account_id] += p.amount
                entries.append(
                    JournalEntry(
                        transaction_id=tx.id,
                        account_id=p.account_id,
                        amount=p.amount,
                        balance_after=running[p.account_id],
                    )
                )
            await JournalEntry.bulk_create(entries, using_db=conn)
    except IntegrityError:
        if idempotency_key is None:
            raise
        return await _replay(idempotency_key, request_hash)
    return PostResult(tx, replayed=False)


async def transfer(
    kind: str,
    from_account: LedgerAccount,
    to_account: LedgerAccount,
    amount: int,
    **kwargs,
) -> PostResult:
    """The common two-entry case."""
    if not isinstance(amount, int) or amount <= 0:
        raise DomainError(ErrorCode.INVALID_AMOUNT, "Amount must be a positive integer (fen).", "amount")
    return await post(
        kind,
        [Posting(from_account.id, -amount), Posting(to_account.id, amount)],
        **kwargs,
    )


INVARIANT_QUERIES = {
    "transaction does not balance": """
        SELECT e.transaction_id AS id, a.currency AS detail, SUM(e.amount) AS value
        FROM ledger_entry e JOIN ledger_account a ON a.id = e.account_id
        GROUP BY e.transaction_id, a.currency HAVING SUM(e.amount) <> 0""",
    "transaction has fewer than two entries": """
        SELECT t.id AS id, t.kind AS detail, COUNT(e.id) AS value
        FROM ledger_transaction t LEFT JOIN ledger_entry e ON e.transaction_id = t.id
        GROUP BY t.id, t.kind HAVING COUNT(e.id) < 2""",
    "balance differs from the sum of entries": """
        SELECT a.id AS id, a.purpose AS detail, a.balance - COALESCE(SUM(e.amount), 0) AS value
        FROM ledger_account a LEFT JOIN ledger_entry e ON e.account_id = a.id
        GROUP BY a.id, a.purpose, a.balance HAVING a.balance <> COALESCE(SUM(e.amount), 0)""",
    "account below zero": """
        SELECT a.id AS id, a.purpose AS detail, a.balance AS value
        FROM ledger_account a WHERE a.balance < 0 AND NOT a.allow_negative""",
    "last entry's balance differs from the account's": """
        SELECT a.id AS id, a.purpose AS detail, e.balance_after AS value
        FROM ledger_account a JOIN ledger_entry e ON e.id = (
            SELECT MAX(e2.id) FROM ledger_entry e2 WHERE e2.account_id = a.id)
        WHERE e.balance_after <> a.balance""",
    "debt account above zero": """
        SELECT a.id AS id, a.purpose AS detail, a.balance AS value
        FROM ledger_account a WHERE a.purpose = 'COMMISSION_DEBT' AND a.balance > 0""",
}


@dataclass(frozen=True)
class InvariantViolation:
    rule: str
    subject_id: int
    detail: str
    value: int


async def check_invariants() -> list[InvariantViolation]:
    """Recompute the ledger's invariants from the journal; an empty list means all hold."""
    conn = JournalEntry._meta.db
    problems: list[InvariantViolation] = []
    for rule, sql in INVARIANT_QUERIES.items():
        for row in await conn.execute_query_dict(sql):
            problems.append(InvariantViolation(rule, int(row["id"]), str(row["detail"]), int(row["value"])))
    return problems
