"""A user's balances and statement (FIN-2): read from their ledger accounts and journal,
never stored elsewhere.

Commission figures: `commission_pending` is the COMMISSION_PENDING balance (booked, not yet
final). `commission_available` is the commission that reached the WALLET: the WALLET
entries of COMMISSION_RELEASED transactions minus those of COMMISSION_REVERSED ones (a
refund after release takes it back from the wallet). Money in the wallet is one balance —
this figure says how much of what came in was commission, lifetime; it is not a separate
pot (withdrawals and payments spend the wallet as a whole). A release that repaid
commission debt went to COMMISSION_DEBT, not the wallet, and is not counted.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from tortoise.expressions import Q

from models.ledger import JournalEntry, LedgerAccount
from services.core import pagination
from services.core.errors import DomainError, ErrorCode
from services.core.sql import sql
from services.ledger.ledger import USER, Purpose

# Business reasons (journal transaction kinds) a user's statement may show; anything else
# (a kind added later, test credits) reads as OTHER, with its code kept in `kind_code`.
KINDS = (
    "ORDER_PAYMENT",
    "ORDER_REFUND",
    "COMMISSION_BOOKED",
    "COMMISSION_RELEASED",
    "COMMISSION_REVERSED",
    "COMMISSION_REJECTED",
    "CONSIGNMENT_SALE",
    "CONSIGNMENT_SALE_REVERSED",
    "CONSIGNMENT_SETTLED",
    "SNAPUP_CONSOLATION",
    "COINS_SPENT",
    "COINS_RETURNED",
    "COINS_REFUNDED",
    "COINS_EARNED",
    "COINS_TAKEN_BACK",
    "COINS_EXPIRED",
    "POINTS_EARNED",
    "POINTS_TAKEN_BACK",
    "POINTS_EXPIRED",
    "POINTS_SPENT",
    "POINTS_REFUNDED",
    "LOTTERY_DRAW",
    "LOTTERY_PRIZE",
    "DEMO_CREDIT",
    "WITHDRAWAL_REQUESTED",
    "WITHDRAWAL_REJECTED",
    "WITHDRAWAL_FAILED",
    "WITHDRAWAL_PAID",
)
OTHER = "OTHER"


@dataclass(frozen=True)
class Balances:
    available: int  # WALLET: withdrawable, spendable (零钱)
    frozen: int  # held for withdrawals under review
    commission_pending: int  # commissions not yet final
    consignment_pending: int  # consignment proceeds and rewards not yet final
    coins: int
    points: int
    commission_available: int = 0  # commission that reached the wallet, net of reversals (lifetime)
    commission_debt: int = 0  # commission owed back (0 or more)


async def balances(user_id: int) -> Balances:
    rows = await LedgerAccount.filter(owner_type=USER, owner_id=user_id).values_list("id", "purpose", "balance")
    by_purpose = {purpose: balance for _, purpose, balance in rows}
    wallet_ids = [aid for aid, purpose, _ in rows if purpose == Purpose.WALLET]
    return Balances(
        available=by_purpose.get(Purpose.WALLET, 0),
        frozen=by_purpose.get(Purpose.FROZEN, 0),
        commission_pending=by_purpose.get(Purpose.COMMISSION_PENDING, 0),
        consignment_pending=by_purpose.get(Purpose.CONSIGNMENT_PENDING, 0),
        coins=by_purpose.get(Purpose.COINS, 0),
        points=by_purpose.get(Purpose.POINTS, 0),
        commission_available=await _commission_into(wallet_ids[0]) if wallet_ids else 0,
        commission_debt=max(-by_purpose.get(Purpose.COMMISSION_DEBT, 0), 0),
    )


async def _commission_into(wallet_id: int) -> int:
    conn = JournalEntry._meta.db
    rows = await conn.execute_query_dict(
        sql(
            conn,
            """
        SELECT COALESCE(SUM(e.amount), 0) AS total FROM ledger_entry e
        JOIN ledger_transaction t ON t.id = e.transaction_id
        WHERE e.account_id = ? AND t.kind IN ('COMMISSION_RELEASED', 'COMMISSION_REVERSED')""",
        ),
        [wallet_id],
    )
    return int(rows[0]["total"] or 0)


@dataclass(frozen=True)
class StatementLine:
    id: int  # the journal entry's id (the cursor)
    amount: int  # signed: positive credits the account
    currency: str
    purpose: str  # the account: WALLET, FROZEN, COMMISSION_PENDING ...
    balance_after: int
    created_at: datetime
    kind: str  # one of KINDS, or OTHER
    kind_code: str  # the journal's own kind
    reference_type: str
    reference_id: str
    memo: str


async def statement_line(owner_type: str, owner_id: int, entry_id: int) -> StatementLine | None:
    """One line of the owner's statement, or None when the entry is not on their accounts."""
    entry = (
        await JournalEntry.filter(id=entry_id, account__owner_type=owner_type, account__owner_id=owner_id)
        .select_related("transaction", "account")
        .first()
    )
    return None if entry is None else _line(entry)


def _line(entry: JournalEntry) -> StatementLine:
    tx, account = entry.transaction, entry.account
    return StatementLine(
        id=entry.id,
        amount=entry.amount,
        currency=account.currency,
        purpose=account.purpose,
        balance_after=entry.balance_after,
        created_at=entry.created_at,
        kind=tx.kind if tx.kind in KINDS else OTHER,
        kind_code=tx.kind,
        reference_type=tx.reference_type,
        reference_id=tx.reference_id,
        memo=tx.memo,
    )


async def statement(
    owner_type: str,
    owner_id: int,
    *,
    kinds: list[str] | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    first: int = 20,
    after: str | None = None,
) -> pagination.Page[StatementLine]:
    """Every journal entry on any of the owner's accounts, newest first (keyset on the entry
    id), optionally only some kinds (OTHER: kinds outside KINDS) and a period [since, until)."""
    if since and until and since >= until:
        raise DomainError(ErrorCode.INVALID_DATE_RANGE, "`from` must be before `to`.", "from")
    account_ids = await LedgerAccount.filter(owner_type=owner_type, owner_id=owner_id).values_list("id", flat=True)
    qs = JournalEntry.filter(account_id__in=list(account_ids) or [0])
    if kinds is not None:
        wanted = [k for k in kinds if k in KINDS]
        condition = Q(transaction__kind__in=wanted or [""])
        if OTHER in kinds:
            condition |= ~Q(transaction__kind__in=list(KINDS))
        qs = qs.filter(condition)
    if since:
        qs = qs.filter(created_at__gte=since)
    if until:
        qs = qs.filter(created_at__lt=until)
    page = await pagination.paginate(qs.select_related("transaction", "account"), first, after)
    return pagination.Page(
        items=[_line(e) for e in page.items], has_next_page=page.has_next_page, has_previous_page=page.has_previous_page
    )
