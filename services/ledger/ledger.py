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
from services.core.sql import add_per_row, sql

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
    # member cards (STO-2, services.stores.member_cards): the merchant's liabilities to card holders,
    # principal and bonus apart; the bonus's contra (minus the bonus outstanding); a payment's transit
    MEMBER_CARD_PRINCIPAL = "MEMBER_CARD_PRINCIPAL"
    MEMBER_CARD_BONUS = "MEMBER_CARD_BONUS"
    MEMBER_CARD_BONUS_FUNDING = "MEMBER_CARD_BONUS_FUNDING"
    MEMBER_CARD_CLEARING = "MEMBER_CARD_CLEARING"
    # punch cards (STO-3, services.stores.punch_cards): what was paid for uses not yet redeemed
    PUNCH_CARD_UNEARNED = "PUNCH_CARD_UNEARNED"
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
MERCHANT_NEGATIVE_ALLOWED = {Purpose.MERCHANT_PENDING, Purpose.MEMBER_CARD_BONUS_FUNDING}

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


def account_id_sql(owner_type: str, purpose: str, owner_id: str, currency: str) -> str:
    """A scalar subquery for a statement of the caller's: the id of the account whose owner id
    and currency are the SQL expressions `owner_id` and `currency` (e.g. the caller's columns),
    NULL while it does not exist (create it with `account_ids`). For statements that read a row
    and the accounts it will post to in one go."""
    if owner_type not in OWNER_TYPES or not purpose.replace("_", "").isalnum():
        raise ValueError(f"not an account: {owner_type} {purpose}")
    return (
        f"(SELECT la.id FROM ledger_account la WHERE la.owner_type = '{owner_type}' AND la.owner_id = {owner_id} "
        f"AND la.purpose = '{purpose}' AND la.currency = {currency})"
    )


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


def _check_balanced(postings: list[Posting], currencies: dict[int, str]) -> None:
    sums: dict[str, int] = defaultdict(int)
    for p in postings:
        sums[currencies[p.account_id]] += p.amount
    if any(sums.values()):
        raise DomainError(ErrorCode.UNBALANCED_TRANSACTION, "Entries must sum to zero per currency.")


async def lock_accounts(conn, account_ids) -> None:
    """Lock these accounts (PostgreSQL: `FOR NO KEY UPDATE`, the lock a balance UPDATE takes) in
    ascending id order, as `post` takes them, before reading balances to decide on, or before
    rows a payment locks after its accounts (a risk case): the one lock order that keeps a
    writer of the same accounts from deadlocking with us. SQLite serialises writers."""
    ids = sorted(set(account_ids))
    if ids and conn.capabilities.dialect == "postgres":
        marks = ", ".join("?" for _ in ids)
        await conn.execute_query(
            sql(conn, f"SELECT id FROM ledger_account WHERE id IN ({marks}) ORDER BY id FOR NO KEY UPDATE"), ids
        )


async def _refusal(postings: list[Posting], net: dict[int, int], conn) -> DomainError:
    """Why the balances could not move (read only then): an unknown account, entries that do
    not balance, else a balance that would go below zero, in that order."""
    currencies = dict(await LedgerAccount.filter(id__in=list(net)).using_db(conn).values_list("id", "currency"))
    if len(currencies) != len(net):
        return DomainError(ErrorCode.NOT_FOUND, "Unknown ledger account.")
    try:
        _check_balanced(postings, currencies)
    except DomainError as exc:
        return exc
    return DomainError(ErrorCode.INSUFFICIENT_FUNDS, "Insufficient balance.", "amount")


async def _move(postings: list[Posting], net: dict[int, int], conn) -> dict[int, int]:
    """Move the balances of the accounts whose net is not zero, by ONE conditional UPDATE (a
    non-negative account never goes below zero; rows locked in ascending id order first), and
    read those whose net is zero (their entries need the balance they pass through, which does
    not change: unlocked), in the same statement on PostgreSQL. Checks what a separate read
    would: every account known, the entries balanced per currency. Returns each account's
    balance after the transaction."""
    rows = await add_per_row(
        conn,
        "ledger_account",
        "balance",
        {aid: amount for aid, amount in net.items() if amount},
        condition="allow_negative OR balance + {amount} >= 0",
        returning="id, balance, currency",
        lock=True,
        also_read=[aid for aid, amount in net.items() if not amount],
    )
    if len(rows) != len(net):
        raise await _refusal(postings, net, conn)
    _check_balanced(postings, {row["id"]: row["currency"] for row in rows})
    return {row["id"]: int(row["balance"]) for row in rows}


async def _write(
    conn, kind, postings, net, request_hash, idempotency_key, reference_type, reference_id, memo, actor_id
) -> JournalTransaction:
    # The transaction row goes first: its unique idempotency key settles replays (an earlier
    # transaction with this key, committed or in this very transaction, makes the INSERT fail,
    # before any validation, as a pre-check would), and a concurrent replay blocks here,
    # before touching any balance, and fails once this one commits.
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
    _check_amounts(postings)
    final = await _move(postings, net, conn)
    running = {aid: final[aid] - net[aid] for aid in net}  # each account's balance before
    entries = []
    for p in postings:
        running[p.account_id] += p.amount
        entries.append(
            JournalEntry(
                transaction_id=tx.id, account_id=p.account_id, amount=p.amount, balance_after=running[p.account_id]
            )
        )
    await JournalEntry.bulk_create(entries, using_db=conn)
    return tx


async def post(
    kind: str,
    postings: list[Posting],
    *,
    idempotency_key: str | None = None,
    reference_type: str = "",
    reference_id: str = "",
    memo: str = "",
    actor_id: int | None = None,
    conn=None,
) -> PostResult:
    """Write one balanced journal transaction and move the balances it names.

    Runs in its own unit of work, or as a savepoint of the caller's, so a feature can move
    money and change its own rows atomically, and a replay (a transaction with this key
    exists) returns the first one.

    `conn`: write on the caller's unit of work itself, without a savepoint (two round trips
    fewer on PostgreSQL), for a key no other transaction can hold because the caller's own
    conditional UPDATE made the moment unique (a payment UNPAID -> PAID): a refusal or a
    conflict on the key then fails the caller's whole unit, which must not go on.
    """
    request_hash = _request_hash(kind, postings, (reference_type, reference_id))
    net: dict[int, int] = defaultdict(int)
    for p in postings:
        net[p.account_id] += p.amount
    args = (kind, postings, net, request_hash, idempotency_key, reference_type, reference_id, memo, actor_id)
    if conn is not None:
        return PostResult(await _write(conn, *args), replayed=False)
    try:
        async with unit_of_work() as own:  # nested: a savepoint, which undoes the row on a replay
            tx = await _write(own, *args)
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
    for rule, query in INVARIANT_QUERIES.items():
        for row in await conn.execute_query_dict(query):
            problems.append(InvariantViolation(rule, int(row["id"]), str(row["detail"]), int(row["value"])))
    return problems
