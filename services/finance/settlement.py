"""Merchant settlement (FIN-4): periodic statements computed from the ledger.

What a statement covers: the journal entries of the merchant's MERCHANT_PENDING account
(services.ledger.ledger) that no earlier statement covered, booked before the end of the period:
ids in (the previous statement's last entry id, this one's]. So a statement, once issued,
never changes; anything booked late for a past period (a refund after its statement, a
commission reversal) lands in the next statement. The kinds that touch that account:

  ORDER_PAYMENT               +  paid goods (the order's pay amount, shipping included)
  ORDER_REFUND                -  refunds (the buyer's money leaves the merchant)
  COMMISSION_BOOKED           -  distribution commissions funded by the merchant
  COMMISSION_REVERSED         +  their reversals (refunds)
  COMMISSION_REJECTED         +  their rejection by risk review (counted as reversed)
  CONSIGNMENT_SALE            -  a retail unit matched to a consigned unit hands its price on
  CONSIGNMENT_SALE_REVERSED   +  the match undone by a refund
  MERCHANT_REFUND_COVER       +  settled money taken back to cover a refund (services.orders.payments):
                                 reported under `other` (negative: already paid by the merchant)
  SETTLEMENT_APPROVED         -  this module's own approval (never part of a statement)

anything else is reported as `other`. The platform commission (抽点) is charged on the goods
of the orders paid in the statement, per order line at the merchant's rate for the line's
category (services.merchants.merchants.commission_rate_bp: category overrides, else the merchant's
rate), rounded down; the charge is kept per line (SettlementCharge), and a refund of q of a
line's n units gives back the cumulative floor share of it (services.distribution.commission_math
.reversal_share), so refunding every unit gives back exactly what was charged.

  net payable = paid goods − refunds − platform commission − distribution − consignment − other

which is exactly the statement's change of the pending account minus the platform
commission. Approval (ISSUED -> APPROVED, settlement.manage) books one journal transaction:
MERCHANT_PENDING -> platform COMMISSION_REVENUE (the commission) and -> MERCHANT_SETTLED (the
net; negative amounts move the other way). Settlement is cumulative: approving a statement
approves with it every earlier statement of the merchant still ISSUED, summed in the same
transaction — a late refund drains the pending account before the statement that carries
it, so the earlier statement alone may no longer be payable (INSUFFICIENT_FUNDS, nothing
changes) while the two together are.

Merchant debt: MERCHANT_PENDING may be below zero (a refund neither pending nor settled
could cover, services.orders.payments). Approval settles the pending account down to what the
entries after the approved statements need: the debt carried from before (pending's
balance less the statements' change less those later entries, when negative) is taken off
the amount paid to MERCHANT_SETTLED. A negative result takes from MERCHANT_SETTLED only
what it holds; the rest stays on pending as debt for the next statement. Approval never
takes pending lower than that debt (otherwise INSUFFICIENT_FUNDS: approve the later
statement, cumulatively). Each statement's status moves by a conditional UPDATE
(ascending ids) in the same unit of work as the journal, with an idempotency key: two
approvals at once book once.

Periods: SETTLEMENT_PERIOD_DAYS business days (UTC+8, services.consignment.stats), counted
from Monday 2024-01-01 (7 days: Monday to Sunday). A period is closed once its end plus
SETTLEMENT_GRACE_MINUTES has passed (a transaction committed late cannot slip under a
statement's watermark). The worker job finds the merchants with uncovered entries in one
query and issues their statements period by period; two workers at once are settled by
the unique (merchant, period_start): the loser's whole unit of work rolls back.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from tortoise import connections
from tortoise.exceptions import IntegrityError

import settings
from models.distribution import Commission
from models.ledger import LedgerAccount
from models.merchants import Merchant
from models.orders import Order, OrderLine, Refund
from models.settlement import SettlementCharge, SettlementLine, SettlementStatement
from services.accounts.access import Grants
from services.core import clock
from services.core.business_days import business_day, day_start
from services.core.errors import DomainError, ErrorCode
from services.core.events import unit_of_work
from services.core.pagination import Page, check_page_size, decode_cursor
from services.core.sql import sql
from services.core.states import StateMachine, Transition
from services.distribution.commission_math import reversal_share
from services.ledger import ledger
from services.ledger.ledger import MERCHANT, PLATFORM, Posting, Purpose
from services.marketing import pipeline
from services.merchants import merchants

ISSUED, APPROVED = "ISSUED", "APPROVED"
STATUSES = (ISSUED, APPROVED)
STATEMENT_STATES = StateMachine(
    "statement",
    {"approve": Transition(ISSUED, APPROVED, stamp="approved_at", code=ErrorCode.INVALID_TRANSITION)},
    field="id",
)
APPROVAL_KIND = "SETTLEMENT_APPROVED"
EPOCH = date(2024, 1, 1)  # a Monday: 7-day periods run Monday to Sunday

PAID, REFUND = "ORDER_PAYMENT", "ORDER_REFUND"
DIST_BOOKED, DIST_REVERSED, DIST_REJECTED = "COMMISSION_BOOKED", "COMMISSION_REVERSED", "COMMISSION_REJECTED"
CONSIGN, CONSIGN_REVERSED = "CONSIGNMENT_SALE", "CONSIGNMENT_SALE_REVERSED"


# --------------------------------------------------------------------------- periods


def period_of(day: date) -> tuple[date, date]:
    """The settlement period containing a business day: (first day, first day after)."""
    n = settings.SETTLEMENT_PERIOD_DAYS
    start = EPOCH + timedelta(days=((day - EPOCH).days // n) * n)
    return start, start + timedelta(days=n)


def closed_before(now: datetime) -> date:
    """Periods ending on or before this day are closed (their end + grace has passed)."""
    return period_of(business_day(now - timedelta(minutes=settings.SETTLEMENT_GRACE_MINUTES)))[0]


# --------------------------------------------------------------------------- computing a statement


@dataclass
class LineFigures:
    order_id: int | None
    paid_goods: int = 0
    refunds: int = 0
    platform_commission: int = 0
    distribution: int = 0
    consignment: int = 0
    other: int = 0

    @property
    def net_payable(self) -> int:
        return (
            self.paid_goods
            - self.refunds
            - self.platform_commission
            - self.distribution
            - self.consignment
            - self.other
        )


@dataclass
class Computed:
    entries: int = 0
    last_entry_id: int = 0
    paid_goods: int = 0
    refunds: int = 0
    commission_charged: int = 0
    commission_returned: int = 0
    distribution_booked: int = 0
    distribution_reversed: int = 0
    consignment: int = 0
    other: int = 0
    lines: dict[int | None, LineFigures] = field(default_factory=dict)
    charges: list[SettlementCharge] = field(default_factory=list)

    @property
    def platform_commission(self) -> int:
        return self.commission_charged - self.commission_returned

    @property
    def net_payable(self) -> int:
        return (
            self.paid_goods
            - self.refunds
            - self.platform_commission
            - (self.distribution_booked - self.distribution_reversed)
            - self.consignment
            - self.other
        )

    def line(self, order_id: int | None) -> LineFigures:
        if order_id not in self.lines:
            self.lines[order_id] = LineFigures(order_id)
        return self.lines[order_id]


# The statement's upper bound is the last entry booked before the period's end; every entry
# up to it is included, so an entry whose id and time disagree (concurrent commits at the
# boundary) is stated a period early rather than skipped forever.
_LAST_SQL = (
    "SELECT MAX(e.id) AS last FROM ledger_entry e JOIN ledger_transaction t ON t.id = e.transaction_id "
    "WHERE e.account_id = ? AND e.id > ? AND e.created_at < ? AND t.kind <> ?"
)
_ENTRIES_SQL = (
    "SELECT e.id AS id, e.amount AS amount, t.kind AS kind, t.reference_id AS ref, t.idempotency_key AS ikey "
    "FROM ledger_entry e JOIN ledger_transaction t ON t.id = e.transaction_id "
    "WHERE e.account_id = ? AND e.id > ? AND e.id <= ? AND t.kind <> ? ORDER BY e.id"
)


def _ref(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _consign_line(key: str | None) -> int | None:
    """consign-match:{unit}:{line} / consign-unmatch:{unit}:{line} -> the retail line id."""
    return _ref((key or "").rsplit(":", 1)[-1]) if key else None


async def _compute(merchant_id: int, account_id: int, after_id: int, end: date, conn) -> Computed:
    found = await conn.execute_query_dict(sql(conn, _LAST_SQL), [account_id, after_id, day_start(end), APPROVAL_KIND])
    last = found[0]["last"] if found else None
    if last is None:
        return Computed(last_entry_id=after_id)
    rows = await conn.execute_query_dict(sql(conn, _ENTRIES_SQL), [account_id, after_id, int(last), APPROVAL_KIND])
    out = Computed(entries=len(rows), last_entry_id=int(last))
    by_kind: dict[str, list[dict]] = defaultdict(list)
    for r in rows:
        by_kind[r["kind"]].append(r)
    # order ids for every reference, a few queries for the whole statement
    payment_ids = {_ref(r["ref"]) for r in by_kind[PAID]}
    paid_orders = (
        await Order.filter(payment_id__in=payment_ids, merchant_id=merchant_id)
        .using_db(conn)
        .values("id", "payment_id", "pay_amount", "platform_funded")
        if payment_ids
        else []
    )
    refund_ids = {_ref(r["ref"]) for r in by_kind[REFUND]}
    refunds = (
        {
            r["id"]: r
            for r in await Refund.filter(id__in=refund_ids)
            .using_db(conn)
            .values("id", "order_id", "after_sale__line_id", "after_sale__quantity")
        }
        if refund_ids
        else {}
    )
    reversed_lines = {_ref(r["ref"]) for r in by_kind[DIST_REVERSED]}
    consign_lines = {_consign_line(r["ikey"]) for r in by_kind[CONSIGN] + by_kind[CONSIGN_REVERSED]}
    line_orders = (
        dict(await OrderLine.filter(id__in=reversed_lines | consign_lines).using_db(conn).values_list("id", "order_id"))
        if reversed_lines | consign_lines
        else {}
    )
    rejected = {_ref(r["ref"]) for r in by_kind[DIST_REJECTED]}
    commission_orders = (
        dict(await Commission.filter(id__in=rejected).using_db(conn).values_list("id", "order_id")) if rejected else {}
    )

    # paid goods and the platform commission charged on their lines
    paid_amount_by_payment: dict[int, int] = defaultdict(int)
    for r in by_kind[PAID]:
        paid_amount_by_payment[_ref(r["ref"])] += int(r["amount"])
    # What the payment credited: the buyer's money and the discounts the platform funds (MKT-1/2).
    credited = {o["id"]: o["pay_amount"] + o["platform_funded"] for o in paid_orders}
    order_ids = [order_id for order_id, amount in credited.items() if amount]
    for order_id in order_ids:
        out.line(order_id).paid_goods += credited[order_id]
    attributed = sum(credited.values())
    out.paid_goods = sum(paid_amount_by_payment.values())
    if out.paid_goods != attributed:  # cannot happen; keep the figures whole all the same
        out.line(None).paid_goods += out.paid_goods - attributed
    if order_ids:
        lines = (
            await OrderLine.filter(order_id__in=order_ids)
            .using_db(conn)
            .values("id", "order_id", "amount", "discounts", "product__category_id")
        )
        known = set(
            await SettlementCharge.filter(line_id__in=[ln["id"] for ln in lines])
            .using_db(conn)
            .values_list("line_id", flat=True)
        )
        rates: dict[int | None, int] = {}
        for ln in lines:
            if ln["id"] in known:
                continue
            category = ln["product__category_id"]
            if category not in rates:
                rates[category] = await merchants.commission_rate_bp(merchant_id, category)
            goods = ln["amount"] + pipeline.funded_by_platform(ln["discounts"])
            commission = goods * rates[category] // 10000
            out.charges.append(
                SettlementCharge(
                    line_id=ln["id"],
                    merchant_id=merchant_id,
                    rate_bp=rates[category],
                    goods=goods,
                    commission=commission,
                )
            )
            out.commission_charged += commission
            out.line(ln["order_id"]).platform_commission += commission

    # refunds, and the commission given back on the refunded units
    refunded_lines = {r["after_sale__line_id"] for r in refunds.values() if r["after_sale__line_id"]}
    charges: dict[int, SettlementCharge] = {}
    quantities: dict[int, int] = {}
    before: dict[int, int] = {}
    if refunded_lines:
        charges = {c.line_id: c for c in await SettlementCharge.filter(line_id__in=refunded_lines).using_db(conn)}
        charges.update({c.line_id: c for c in out.charges if c.line_id in refunded_lines})
        quantities = dict(await OrderLine.filter(id__in=refunded_lines).using_db(conn).values_list("id", "quantity"))
        history = (
            await Refund.filter(after_sale__line_id__in=refunded_lines)
            .using_db(conn)
            .order_by("id")
            .values("id", "after_sale__line_id", "after_sale__quantity")
        )
        done: dict[int, int] = defaultdict(int)
        for h in history:
            before[h["id"]] = done[h["after_sale__line_id"]]
            done[h["after_sale__line_id"]] += h["after_sale__quantity"]
    for r in by_kind[REFUND]:
        refund = refunds.get(_ref(r["ref"]))
        amount = -int(r["amount"])
        out.refunds += amount
        order_id = refund["order_id"] if refund else None
        out.line(order_id).refunds += amount
        line_id = refund["after_sale__line_id"] if refund else None
        charge = charges.get(line_id) if line_id else None
        if charge is not None and charge.commission:
            back = reversal_share(
                charge.commission, quantities[line_id], before[refund["id"]], refund["after_sale__quantity"]
            )
            out.commission_returned += back
            out.line(order_id).platform_commission -= back

    # distribution commissions funded by the merchant
    for r in by_kind[DIST_BOOKED]:
        out.distribution_booked -= int(r["amount"])
        out.line(_ref(r["ref"])).distribution -= int(r["amount"])
    for kind, orders in ((DIST_REVERSED, line_orders), (DIST_REJECTED, commission_orders)):
        for r in by_kind[kind]:
            out.distribution_reversed += int(r["amount"])
            out.line(orders.get(_ref(r["ref"]))).distribution -= int(r["amount"])
    # consignment matches and their reversals
    for r in by_kind[CONSIGN] + by_kind[CONSIGN_REVERSED]:
        out.consignment -= int(r["amount"])
        out.line(line_orders.get(_consign_line(r["ikey"]))).consignment -= int(r["amount"])
    for kind, items in by_kind.items():
        if kind not in (PAID, REFUND, DIST_BOOKED, DIST_REVERSED, DIST_REJECTED, CONSIGN, CONSIGN_REVERSED):
            for r in items:
                out.other -= int(r["amount"])
                out.line(None).other -= int(r["amount"])
    return out


# --------------------------------------------------------------------------- issuing (worker)


_DUE_SQL = (
    "SELECT a.owner_id AS merchant_id, a.id AS account_id, MIN(e.created_at) AS first_at, "
    "COALESCE((SELECT MAX(s.last_entry_id) FROM settlement_statement s WHERE s.merchant_id = a.owner_id), 0) AS after_id, "
    "(SELECT MAX(s.period_end) FROM settlement_statement s WHERE s.merchant_id = a.owner_id) AS last_end "
    "FROM ledger_account a JOIN ledger_entry e ON e.account_id = a.id "
    "JOIN ledger_transaction t ON t.id = e.transaction_id "
    "WHERE a.owner_type = 'MERCHANT' AND a.purpose = 'MERCHANT_PENDING' AND e.created_at < ? AND t.kind <> ? "
    "AND e.id > COALESCE((SELECT MAX(s.last_entry_id) FROM settlement_statement s WHERE s.merchant_id = a.owner_id), 0) "
    "GROUP BY a.owner_id, a.id ORDER BY a.owner_id LIMIT ?"
)


def _as_date(value) -> date | None:
    if value is None or isinstance(value, date) and not isinstance(value, datetime):
        return value
    return date.fromisoformat(str(value)[:10])


def _as_datetime(value) -> datetime:
    if isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value))


async def issue_due(now: datetime | None = None, limit: int = 200) -> int:
    """Worker job: issue the statements of every closed period with uncovered entries.
    Returns how many statements were issued by this call."""
    limit_day = closed_before(now or clock.now())
    conn = connections.get("default")
    rows = await conn.execute_query_dict(sql(conn, _DUE_SQL), [day_start(limit_day), APPROVAL_KIND, limit])
    issued = 0
    for row in rows:
        merchant_id, account_id, after_id = int(row["merchant_id"]), int(row["account_id"]), int(row["after_id"])
        start = period_of(business_day(_as_datetime(row["first_at"])))[0]
        last_end = _as_date(row["last_end"])
        if last_end is not None and start < last_end:
            start = last_end  # booked late for a period already issued: the next statement
        while start < limit_day:
            end = start + timedelta(days=settings.SETTLEMENT_PERIOD_DAYS)
            statement = await _issue(merchant_id, account_id, after_id, start, end)
            if statement is not None:
                issued += 1
                after_id = statement.last_entry_id
            elif await SettlementStatement.exists(merchant_id=merchant_id, period_start=start):
                after_id = (await SettlementStatement.get(merchant_id=merchant_id, period_start=start)).last_entry_id
            start = end
    return issued


async def _issue(
    merchant_id: int, account_id: int, after_id: int, start: date, end: date
) -> SettlementStatement | None:
    """One statement, or None when there is nothing to state or another worker issued it."""
    try:
        async with unit_of_work() as conn:
            c = await _compute(merchant_id, account_id, after_id, end, conn)
            if not c.entries:
                return None
            statement = await SettlementStatement.create(
                merchant_id=merchant_id,
                period_start=start,
                period_end=end,
                status=ISSUED,
                after_entry_id=after_id,
                last_entry_id=c.last_entry_id,
                entry_count=c.entries,
                paid_goods=c.paid_goods,
                refunds=c.refunds,
                commission_charged=c.commission_charged,
                commission_returned=c.commission_returned,
                platform_commission=c.platform_commission,
                distribution_booked=c.distribution_booked,
                distribution_reversed=c.distribution_reversed,
                consignment=c.consignment,
                other=c.other,
                net_payable=c.net_payable,
                using_db=conn,
            )
            numbers = (
                dict(await Order.filter(id__in=[k for k in c.lines if k]).using_db(conn).values_list("id", "order_no"))
                if any(c.lines)
                else {}
            )
            await SettlementLine.bulk_create(
                [
                    SettlementLine(
                        statement_id=statement.id,
                        order_id=f.order_id,
                        order_no=numbers.get(f.order_id, ""),
                        paid_goods=f.paid_goods,
                        refunds=f.refunds,
                        platform_commission=f.platform_commission,
                        distribution=f.distribution,
                        consignment=f.consignment,
                        other=f.other,
                        net_payable=f.net_payable,
                    )
                    for f in sorted(c.lines.values(), key=lambda f: (f.order_id is None, f.order_id or 0))
                ],
                using_db=conn,
            )
            for charge in c.charges:
                charge.statement_id = statement.id
            if c.charges:
                await SettlementCharge.bulk_create(c.charges, using_db=conn)
            return statement
    except IntegrityError:
        return None  # another worker issued this statement (or charged these lines) first


# --------------------------------------------------------------------------- approval


async def approve(grants: Grants, actor_id: int, statement_id: int) -> SettlementStatement:
    """ISSUED -> APPROVED, booking the money of this statement and of every earlier statement
    of the merchant still ISSUED (settlement is cumulative: a statement carrying a late
    refund nets against the earlier ones, which the refund already drained), in one journal
    transaction. Approving again returns the statement as it is."""
    _require_manage(grants)
    statement = await SettlementStatement.get_or_none(id=statement_id)
    if statement is None:
        raise DomainError(ErrorCode.NOT_FOUND, "No such statement.", "id")
    if statement.status == APPROVED:
        return statement
    STATEMENT_STATES.target("approve", statement.status)
    keys = [
        (MERCHANT, statement.merchant_id, Purpose.MERCHANT_PENDING, "CNY"),
        (PLATFORM, 0, Purpose.COMMISSION_REVENUE, "CNY"),
        (MERCHANT, statement.merchant_id, Purpose.MERCHANT_SETTLED, "CNY"),
    ]
    accounts = await ledger.account_ids(keys)
    pending, revenue, settled = (accounts[k] for k in keys)
    async with unit_of_work() as conn:
        candidates = (
            await SettlementStatement.filter(
                merchant_id=statement.merchant_id, status=ISSUED, period_start__lte=statement.period_start
            )
            .using_db(conn)
            .order_by("id")
        )
        moved: list[SettlementStatement] = []
        for row in candidates:  # ascending ids: concurrent approvals lock in the same order
            query = SettlementStatement.filter(id=row.id).using_db(conn)
            if await STATEMENT_STATES.update(query, "approve", approved_by_id=actor_id) == 1:
                moved.append(row)
        if statement.id not in {row.id for row in moved}:  # another approval won meanwhile: it booked the money
            return await SettlementStatement.get(id=statement.id).using_db(conn)
        commission = sum(row.platform_commission for row in moved)
        net = await _to_settled(
            conn, moved, pending, revenue, settled, commission, sum(row.net_payable for row in moved)
        )
        postings = [
            p
            for p in (Posting(pending, -(commission + net)), Posting(revenue, commission), Posting(settled, net))
            if p.amount
        ]
        if len(postings) >= 2:
            result = await ledger.post(
                APPROVAL_KIND,
                postings,
                idempotency_key=f"settlement:{statement.id}",
                reference_type="SETTLEMENT_STATEMENT",
                reference_id=str(statement.id),
                actor_id=actor_id,
                memo=f"statements {','.join(str(r.id) for r in moved)}",
            )
            await (
                SettlementStatement.filter(id__in=[r.id for r in moved])
                .using_db(conn)
                .update(transaction_id=result.transaction.id)
            )
    return await SettlementStatement.get(id=statement.id)


_LATER_SQL = (
    "SELECT COALESCE(SUM(e.amount), 0) AS total FROM ledger_entry e JOIN ledger_transaction t ON t.id = e.transaction_id "
    "WHERE e.account_id = ? AND e.id > ? AND t.kind <> ?"
)


async def _to_settled(
    conn, moved: list[SettlementStatement], pending: int, revenue: int, settled: int, commission: int, net: int
) -> int:
    """What the approval pays to MERCHANT_SETTLED (negative: takes from it), netting the
    merchant's debt (see the module's docstring). The three accounts are locked first, in
    ascending ids (as ledger.post takes them), so refunds cannot move them meanwhile."""
    await ledger.lock_accounts(conn, [pending, revenue, settled])
    balances = dict(await LedgerAccount.filter(id__in=[pending, settled]).using_db(conn).values_list("id", "balance"))
    found = await conn.execute_query_dict(
        sql(conn, _LATER_SQL), [pending, max(r.last_entry_id for r in moved), APPROVAL_KIND]
    )
    later = int(found[0]["total"] or 0)
    carried = min(0, int(balances[pending]) - later - (commission + net))  # debt left by earlier approvals
    pay = max(net + carried, -max(int(balances[settled]), 0))
    shortfall = max(0, -(net + carried) - max(int(balances[settled]), 0))
    # Pending after the approval is the later entries' sum less the shortfall: refused when
    # those later entries net below zero (approve the statement that carries them instead).
    if int(balances[pending]) - (commission + pay) < -shortfall:
        raise DomainError(ErrorCode.INSUFFICIENT_FUNDS, "Insufficient balance.", "amount")
    return pay


# --------------------------------------------------------------------------- reading


def _require_manage(grants: Grants) -> None:
    if not grants.has("settlement.manage"):
        raise DomainError(ErrorCode.FORBIDDEN, "This needs the settlement.manage permission.")


def can_read(grants: Grants, merchant_id: int) -> bool:
    return grants.has("settlement.manage") or grants.has("merchant.finance", ("MERCHANT", merchant_id))


async def statement_for(grants: Grants, statement_id: int) -> SettlementStatement:
    """A statement its merchant's finance staff or a settlement admin may read; another
    merchant's statement is NOT_FOUND (its existence is not disclosed)."""
    statement = await SettlementStatement.get_or_none(id=statement_id)
    if statement is None or not can_read(grants, statement.merchant_id):
        raise DomainError(ErrorCode.NOT_FOUND, "No such statement.", "id")
    return statement


def statements(grants: Grants, merchant_id: int | None, status: str | None):
    """Statements the viewer may read, newest first: one merchant's (its finance staff, or an
    admin: another merchant's is FORBIDDEN), or without a merchant, every merchant's for an
    admin and those of the viewer's own merchants (merchant.finance) for anyone else."""
    if merchant_id is None:
        if grants.has("settlement.manage"):
            qs = SettlementStatement.all()
        else:
            qs = SettlementStatement.filter(merchant_id__in=grants.merchant_ids("merchant.finance"))
    else:
        if not can_read(grants, merchant_id):
            raise DomainError(
                ErrorCode.FORBIDDEN, "This needs the merchant.finance permission for this merchant.", "merchantId"
            )
        qs = SettlementStatement.filter(merchant_id=merchant_id)
    return qs.filter(status=status) if status else qs


async def line_page(statement: SettlementStatement, first: int, after: str | None) -> Page:
    """A page of a statement's lines, by order id (ascending keyset on the line id)."""
    check_page_size(first)
    qs = SettlementLine.filter(statement_id=statement.id)
    if after:
        qs = qs.filter(id__gt=decode_cursor(after))
    rows = await qs.order_by("id").limit(first + 1)
    return Page(items=list(rows[:first]), has_next_page=len(rows) > first, has_previous_page=after is not None)


async def merchant_name(merchant_id: int) -> str:
    rows = await Merchant.filter(id=merchant_id).values_list("name", flat=True)
    return rows[0] if rows else ""
