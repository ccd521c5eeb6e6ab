"""Commissions of the three-level distribution (三级分销, DIS-1, DIS-2, DIS-4): booked when
an order is paid, reversed pro rata when its lines are refunded, released to the wallet by
the worker once the order has completed and the freeze period has passed, rejected by risk
review. Every change of money is one ledger journal transaction (services.ledger.ledger).

Who earns: the buyer's upline chain, as many levels as are on (at most three, RISK-1).
Self-purchase off: the buyer's upline is level 1, its upline level 2 …; on: the buyer is
level 1 of their own purchase and the upline level 2 … A disabled account at a level is
skipped without moving the others up: nobody is paid at a level that is not theirs. So is
a user who is not a distributor when the distributor mode is not AUTO (services.distribution.distributors).

Who pays (funding), decided per line at payment and kept on the commission, so that a
reversal always gives the money back to where it came from:
- goods of a THIRD-PARTY merchant: the merchant, from its MERCHANT_PENDING account (the
  distribution cost is the merchant's, deducted from what it will be settled);
- goods of the platform's SELF-OPERATED merchant: the platform's PROMOTION_EXPENSE budget.
  A self-operated retail unit matched to a consigned unit has already handed its whole
  price to the consignment seller and the platform's fee (services.consignment.queue), so the
  merchant's pending account cannot pay for it; the platform pays every self-operated
  commission alike. A third-party line with units matched to consignments is paid by the
  platform for the same reason.

Money path:
  paid       source -> beneficiary COMMISSION_PENDING       (one transaction per order)
  released   COMMISSION_PENDING -> COMMISSION_DEBT (repays debt first) -> WALLET
  reversed   while PENDING:   COMMISSION_PENDING -> source
             once AVAILABLE:  WALLET -> source as far as the wallet covers it; the shortfall
                              is recorded as debt: the user's COMMISSION_DEBT account goes
                              negative by it (-x = owes x) and pays the source. The source
                              always gets its full share back; nothing is lost silently. A
                              debt is repaid first from the user's next commission released.
  rejected   COMMISSION_PENDING -> source (what is left after refunds)

Rounding (services.distribution.commission_math): PERCENT shares round down; the levels together
never exceed the line's paid goods amount (deepest level cut first); a refund of q of n
units reverses each commission by the cumulative floor, so refunding every unit in any
number of steps gives back exactly what was booked.

Concurrency: a commission's status and reversed amount move only by conditional UPDATEs
in the same unit of work as their journal entries. A refund locks the line's commission
rows first (PostgreSQL), so the release job waits for it and then releases the rest; two
workers releasing at once skip what the other took. A beneficiary's WALLET and
COMMISSION_DEBT rows are locked (ascending ids) before their balances are read.
Live events go to `user_channel(beneficiary)`: commission_created / _available /
_reversed / _rejected.

Other kinds (Commission.kind): regional agents (AGENT) and franchise stores (STORE_SHARE,
STORE_PICKUP) are booked by the same engine through claims (section "other kinds" at the
end): same funding, states, reversal, release, rejection and events; capped together with
the distribution so that a line's commissions never exceed its base.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta

from tortoise.exceptions import IntegrityError
from tortoise.expressions import F, Subquery
from tortoise.functions import Sum

import settings
from models.accounts import User
from models.consignment import WholesaleUnit
from models.distribution import Commission, DistributionConfig, DistributionConfigChange
from models.ledger import LedgerAccount
from models.merchants import Merchant
from models.orders import Order
from services.accounts.access import Grants
from services.core import clock
from services.core.errors import DomainError, ErrorCode
from services.core.events import emit, unit_of_work, user_channel
from services.core.sql import insert_all, sql
from services.distribution import distributors
from services.distribution import grades as grade_ladder
from services.distribution.commission_math import (
    MAX_LEVELS,
    Config,
    Rule,
    build_config,
    resolve_rules,
    reversal_share,
    split_line,
)
from services.distribution.events import CommissionAvailable, CommissionCreated, CommissionRejected, CommissionReversed
from services.ledger import ledger
from services.ledger.ledger import MERCHANT, Posting, Purpose
from services.membership import membership
from services.orders import hooks as order_hooks
from services.orders import states as order_states
from services.orders.hooks import PaidOrder

PENDING, AVAILABLE, REVERSED, REJECTED = "PENDING", "AVAILABLE", "REVERSED", "REJECTED"
HELD = "HELD"  # risk control holds a PENDING commission for review (see "risk holds" below)
STATUSES = (PENDING, HELD, AVAILABLE, REVERSED, REJECTED)
FUNDED_BY_MERCHANT, FUNDED_BY_PLATFORM = "MERCHANT", "PLATFORM"
CONFIG_ID = 1


# --------------------------------------------------------------------------- settings


def default_config() -> Config:
    """The settings in force until an admin first edits them (settings.DISTRIBUTION_*)."""
    rules = []
    for level, text in enumerate(settings.DISTRIBUTION_RULES.split(","), start=1):
        kind, _, value = text.strip().partition(":")
        rules.append((level, kind.strip().upper(), int(value)))
    levels = settings.DISTRIBUTION_LEVELS
    return build_config(
        levels,
        rules[:levels],
        self_purchase=settings.DISTRIBUTION_SELF_PURCHASE,
        freeze_days=settings.COMMISSION_FREEZE_DAYS,
    )


def _from_row(row: DistributionConfig) -> Config:
    return _config(row.levels, row.rules, row.grade_rules, row.self_purchase, row.freeze_days)


def _config(levels: int, rules: list, grade_rules: dict, self_purchase: bool, freeze_days: int) -> Config:
    return Config(
        levels=levels,
        rules=tuple(Rule(r["kind"], int(r["value"])) for r in rules),
        self_purchase=bool(self_purchase),
        freeze_days=freeze_days,
        grade_rules={
            g: {int(lv): Rule(r["kind"], int(r["value"])) for lv, r in by.items()} for g, by in grade_rules.items()
        },
    )


def _to_values(config: Config) -> dict:
    return {
        "levels": config.levels,
        "rules": [{"kind": r.kind, "value": r.value} for r in config.rules],
        "grade_rules": {
            g: {str(lv): {"kind": r.kind, "value": r.value} for lv, r in sorted(by.items())}
            for g, by in sorted(config.grade_rules.items())
        },
        "self_purchase": config.self_purchase,
        "freeze_days": config.freeze_days,
    }


@dataclass(frozen=True)
class SettingsView:
    config: Config
    updated_at: object = None  # datetime; None while the defaults are in force
    updated_by_id: int | None = None


async def current_settings(conn=None) -> SettingsView:
    """What is in force: the row once an admin has saved settings, the defaults before
    (reading never writes, so payments never race to create the row)."""
    query = DistributionConfig.filter(id=CONFIG_ID)
    row = await (query.using_db(conn) if conn else query).first()
    if row is None:
        return SettingsView(default_config())
    return SettingsView(_from_row(row), row.updated_at, row.updated_by_id)


async def current_config(conn=None) -> Config:
    return (await current_settings(conn)).config


def _require_manager(grants: Grants) -> None:
    if not grants.has("distribution.manage"):
        raise DomainError(ErrorCode.FORBIDDEN, "This needs the distribution.manage permission.")


async def update_settings(
    grants: Grants,
    actor_id: int,
    *,
    levels: int,
    rules: list[tuple[int, str, int]],
    self_purchase: bool,
    freeze_days: int,
    grade_rules: list[tuple[str, int, str, int]] = (),
) -> SettingsView:
    """An admin replaces the distribution settings (validated as a whole: a refusal changes
    nothing); the change is recorded in DistributionConfigChange. Commissions already booked
    keep the terms they were booked with; the freeze period in force applies at release."""
    _require_manager(grants)
    config = build_config(
        levels,
        rules,
        self_purchase=self_purchase,
        freeze_days=freeze_days,
        grade_rules=grade_rules,
        grades=await grade_ladder.codes(),
    )
    values = _to_values(config)
    async with unit_of_work() as conn:
        if not await DistributionConfig.filter(id=CONFIG_ID).using_db(conn).exists():
            try:  # the first save: the row starts as the defaults, so the audit shows them as "before"
                async with unit_of_work() as inner:  # a savepoint: a concurrent first save may win
                    await DistributionConfig.create(id=CONFIG_ID, **_to_values(default_config()), using_db=inner)
            except IntegrityError:
                pass
        if conn.capabilities.dialect == "postgres":
            await conn.execute_query(
                sql(conn, "SELECT id FROM distribution_config WHERE id = ? FOR UPDATE"), [CONFIG_ID]
            )
        before = _to_values(await current_config(conn))
        await (
            DistributionConfig.filter(id=CONFIG_ID)
            .using_db(conn)
            .update(updated_by_id=actor_id, updated_at=clock.now(), **values)
        )
        await DistributionConfigChange.create(actor_id=actor_id, before=before, after=values, using_db=conn)
    return await current_settings()


# --------------------------------------------------------------------------- accounts


async def _source_account(funded_by: str, merchant_id: int) -> int:
    if funded_by == FUNDED_BY_PLATFORM:
        return (await ledger.platform_account(Purpose.PROMOTION_EXPENSE)).id
    return (await ledger.get_account(MERCHANT, merchant_id, Purpose.MERCHANT_PENDING)).id


async def _pending_account(user_id: int) -> int:
    return (await ledger.user_account(user_id, Purpose.COMMISSION_PENDING)).id


async def _lock_wallet_and_debt(conn, user_id: int, *also: int) -> tuple[int, int, int, int]:
    """(wallet id, wallet balance, debt id, debt balance), those rows (and `also`) locked in
    ascending id order on PostgreSQL before the balances are read; SQLite serialises writers."""
    wallet = (await ledger.user_account(user_id, Purpose.WALLET)).id
    debt = (await ledger.user_account(user_id, Purpose.COMMISSION_DEBT)).id
    await ledger.lock_accounts(conn, [wallet, debt, *also])
    balances = dict(await LedgerAccount.filter(id__in=[wallet, debt]).using_db(conn).values_list("id", "balance"))
    return wallet, int(balances[wallet]), debt, int(balances[debt])


# --------------------------------------------------------------------------- booking (order paid)


# Everything the booking reads before it computes, in one statement: the buyer and the upline
# chain (a recursive walk of account_user, deep enough for every level), each one's grade,
# distributor role and COMMISSION_PENDING account, the distribution settings and the distributor
# mode (both NULL while the defaults are in force).
_BOOKING = """WITH RECURSIVE chain(id, upline_id, is_active, depth) AS (
    SELECT id, upline_id, is_active, 0 FROM account_user WHERE id = ?
    UNION ALL
    SELECT u.id, u.upline_id, u.is_active, c.depth + 1 FROM account_user u JOIN chain c ON u.id = c.upline_id
    WHERE c.depth < ?
)
SELECT c.id, c.upline_id, c.is_active, c.depth, g.grade,
    {distributor} AS distributor,
    {pending} AS pending_account,
    d.id AS config_id, d.levels, d.rules, d.grade_rules, d.self_purchase, d.freeze_days,
    s.mode AS distributor_mode
FROM chain c
LEFT JOIN user_grade g ON g.user_id = c.id
LEFT JOIN distribution_config d ON d.id = ?
LEFT JOIN distributor_settings s ON s.id = ?
ORDER BY c.depth""".format(
    distributor=distributors.has_role_sql("c.id"),
    pending=ledger.account_id_sql(ledger.USER, Purpose.COMMISSION_PENDING, "c.id", "'CNY'"),
)
_CONFIG_FIELDS = DistributionConfig._meta.fields_map


@dataclass(frozen=True)
class _Booking:
    config: Config
    # The beneficiaries, level 1 first: (user id, or None for a level that is skipped: a disabled
    # account, or outside the AUTO mode a user who is not a distributor; grade).
    chain: list[tuple[int | None, str]]
    pending_accounts: dict[int, int]  # user id -> COMMISSION_PENDING account, those that exist


async def _booking(buyer_id: int, conn) -> _Booking:
    rows = await conn.execute_query_dict(
        sql(conn, _BOOKING), [buyer_id, MAX_LEVELS, CONFIG_ID, distributors.SETTINGS_ID]
    )
    first = rows[0] if rows else {}
    if first.get("config_id") is None:
        config = default_config()
    else:
        config = _config(
            first["levels"],
            _CONFIG_FIELDS["rules"].to_python_value(first["rules"]),
            _CONFIG_FIELDS["grade_rules"].to_python_value(first["grade_rules"]),
            first["self_purchase"],
            first["freeze_days"],
        )
    mode = first.get("distributor_mode") or distributors.default_rules().mode
    by_id = {row["id"]: row for row in rows}
    ids: list[int] = []
    if config.self_purchase:
        ids.append(buyer_id)
    upline = first.get("upline_id")
    seen = {buyer_id}
    while upline is not None and upline not in seen and upline in by_id and len(ids) < config.levels:
        seen.add(upline)  # bindings refuse cycles; this guard only keeps the walk finite
        ids.append(upline)
        upline = by_id[upline]["upline_id"]
    chain = []
    for uid in ids:
        row = by_id.get(uid)
        # DIS-3: unless the mode is AUTO, a level whose user is not a distributor is skipped
        # like a disabled account (the platform keeps it); the chain is not compressed.
        earns = bool(row and row["is_active"]) and (mode == distributors.AUTO or bool(row["distributor"]))
        chain.append((uid if earns else None, (row["grade"] if row else None) or ""))
    pending = {row["id"]: row["pending_account"] for row in rows if row["pending_account"] is not None}
    return _Booking(config, chain, pending)


async def _member_referral_reward(order: Order, line, reward: int, conn) -> tuple[Commission, list[Posting]] | None:
    """RISK-1, enabled by the membership settings: a fixed reward to the direct upline of a
    member's first sign-up, booked like a level-1 commission (platform funded; reversed by a
    refund of the membership line, released when the order completes)."""
    rows = await User.filter(id=order.buyer_id).using_db(conn).values_list("upline_id", flat=True)
    upline = rows[0] if rows else None
    if upline is None or not await User.filter(id=upline, is_active=True).using_db(conn).exists():
        return None
    if not await membership.is_first_sign_up(order.buyer_id, line.id, conn):
        return None
    base = line.amount - line.refunded_amount
    amount = min(reward, base)
    if amount <= 0:
        return None
    commission = await Commission.create(
        order_id=order.id,
        line_id=line.id,
        buyer_id=order.buyer_id,
        beneficiary_id=upline,
        level=1,
        base=base,
        amount=amount,
        funded_by=FUNDED_BY_PLATFORM,
        merchant_id=order.merchant_id,
        using_db=conn,
    )
    return commission, [
        Posting(await _source_account(FUNDED_BY_PLATFORM, order.merchant_id), -amount),
        Posting(await _pending_account(upline), amount),
    ]


async def on_paid(paid: PaidOrder, conn) -> list[Commission]:
    """PAID step: book every level's commission on each line of the paid order, in one
    journal transaction (source -> COMMISSION_PENDING), inside the payment's unit of work.
    Statements: the booking read, the commission rows (one INSERT), the journal (three)."""
    order = paid.order
    booking = await _booking(order.buyer_id, conn)
    config, chain = booking.config, booking.chain
    if not any(uid for uid, _ in chain):
        return []
    lines = paid.lines_in()
    self_operated = paid.merchant_kind == "SELF_OPERATED"
    matched: set[int] = set()
    # Only retail lines are ever matched to consigned units (services.consignment.queue): asked
    # only when there are some (the queue step runs after this one at payment, by the wiring).
    if not self_operated and any(ln.zone == "RETAIL" for ln in lines):
        matched = set(
            await WholesaleUnit.filter(matched_order_id=order.id)
            .using_db(conn)
            .values_list("matched_line_id", flat=True)
        )
    grades = [grade for _, grade in chain]
    postings: list[Posting] = []
    created: list[Commission] = []
    excluded = {membership.ZONE}  # RISK-1: no commission on recruitment-only fees ...
    if not settings.POINTS_ORDERS_EARN_COMMISSIONS:
        excluded.add("POINTS")  # MKT-4: the points mall earns none unless a setting says so
    if any(ln.zone in (membership.ZONE, "GIFT_PACK") for ln in lines):
        terms = await membership.current_terms(conn)
        if not terms.gift_pack_commission:  # ... unless explicitly enabled
            excluded.add("GIFT_PACK")
        for line in lines:
            if line.zone == membership.ZONE and terms.referral_reward > 0:
                reward = await _member_referral_reward(order, line, terms.referral_reward, conn)
                if reward is not None:
                    commission, reward_postings = reward
                    created.append(commission)
                    postings += reward_postings
    booked: list[Commission] = []
    for line in lines:
        if line.zone in excluded or line.is_gift:  # MKT-2: a gift line carries no commission
            continue
        product = paid.products.get(line.product_id)
        rules = resolve_rules(
            config,
            grades,
            enabled=product.distribution_enabled if product else False,
            product_rates=product.distribution_rates if product else {},
        )
        base = line.amount - line.refunded_amount
        amounts = split_line(base, line.quantity - line.refunded_quantity, rules)
        funded_by = FUNDED_BY_PLATFORM if self_operated or line.id in matched else FUNDED_BY_MERCHANT
        for level, ((beneficiary, _), amount) in enumerate(zip(chain, amounts), start=1):
            if beneficiary is None or amount <= 0:
                continue
            booked.append(
                Commission(
                    order_id=order.id,
                    line_id=line.id,
                    buyer_id=order.buyer_id,
                    beneficiary_id=beneficiary,
                    level=level,
                    base=base,
                    amount=amount,
                    funded_by=funded_by,
                    merchant_id=order.merchant_id,
                )
            )
    await insert_all(conn, booked)
    accounts = await _booking_accounts(paid, booking, booked)
    for commission in booked:
        postings += [
            Posting(accounts[_source_key(commission.funded_by, order.merchant_id)], -commission.amount),
            Posting(accounts[_pending_key(commission.beneficiary_id)], commission.amount),
        ]
    created += booked
    if postings:
        # On the payment's unit itself: the key is this order's, paid just now (once).
        await ledger.post(
            "COMMISSION_BOOKED",
            postings,
            idempotency_key=f"commission:paid:{order.id}",
            reference_type="ORDER",
            reference_id=str(order.id),
            conn=conn,
        )
    for commission in created:
        emit(user_channel(commission.beneficiary_id), CommissionCreated(commission.id))
    return created


def _source_key(funded_by: str, merchant_id: int) -> ledger.AccountKey:
    if funded_by == FUNDED_BY_PLATFORM:
        return (ledger.PLATFORM, 0, Purpose.PROMOTION_EXPENSE, "CNY")
    return (MERCHANT, merchant_id, Purpose.MERCHANT_PENDING, "CNY")


def _pending_key(user_id: int) -> ledger.AccountKey:
    return (ledger.USER, user_id, Purpose.COMMISSION_PENDING, "CNY")


async def _booking_accounts(paid: PaidOrder, booking: _Booking, booked: list[Commission]) -> dict:
    """The accounts of the booked commissions: the payment's (the merchant's pending account) and
    the booking read's (the beneficiaries'); any other, or one not created yet, looked up (and
    created) through the ledger in one query."""
    known = dict(paid.accounts)
    known.update({_pending_key(uid): account for uid, account in booking.pending_accounts.items()})
    wanted = {_source_key(c.funded_by, c.merchant_id) for c in booked} | {
        _pending_key(c.beneficiary_id) for c in booked
    }
    missing = [key for key in wanted if key not in known]
    if missing:
        known.update(await ledger.account_ids(missing))
    return known


# --------------------------------------------------------------------------- reversal (line refunded)


async def on_line_refunded(refund: order_hooks.LineRefund, conn) -> int:
    """LINE_REFUNDED step: reverse each live commission of the line pro rata (cumulative
    floor), inside the refund's unit of work and before the buyer's money leaves the
    merchant's pending account. Returns the fen reversed."""
    line = refund.line
    before = line.refunded_quantity - refund.quantity  # the refund already counted its units on the line
    if conn.capabilities.dialect == "postgres":
        await conn.execute_query(
            sql(conn, "SELECT id FROM commission WHERE line_id = ? ORDER BY id FOR UPDATE"), [line.id]
        )
    rows = await Commission.filter(line_id=line.id, status__in=[PENDING, HELD, AVAILABLE]).using_db(conn).order_by("id")
    postings: list[Posting] = []
    reversed_ids: list[tuple[int, int, int]] = []
    total = 0
    now = clock.now()
    for c in rows:
        booked = c.booked_refunded_quantity  # 0 for every commission booked at payment
        share = min(
            reversal_share(c.amount, line.quantity - booked, before - booked, refund.quantity),
            c.amount - c.reversed_amount,
        )
        if share <= 0:
            continue
        debt = 0
        source = await _source_account(c.funded_by, c.merchant_id)
        if c.status in (PENDING, HELD):
            postings += [Posting(await _pending_account(c.beneficiary_id), -share), Posting(source, share)]
        else:  # AVAILABLE: already in the wallet
            wallet, wallet_balance, debt_account, _ = await _lock_wallet_and_debt(conn, c.beneficiary_id)
            taken = sum(-p.amount for p in postings if p.account_id == wallet)  # an earlier commission of this refund
            from_wallet = max(min(share, wallet_balance - taken), 0)
            debt = share - from_wallet
            if from_wallet:
                postings.append(Posting(wallet, -from_wallet))
            if debt:
                postings.append(Posting(debt_account, -debt))
            postings.append(Posting(source, share))
        status = REVERSED if c.reversed_amount + share >= c.amount else c.status
        moved = (
            await Commission.filter(id=c.id, status=c.status, reversed_amount=c.reversed_amount)
            .using_db(conn)
            .update(
                reversed_amount=F("reversed_amount") + share,
                debt_amount=F("debt_amount") + debt,
                status=status,
                updated_at=now,
            )
        )
        if moved != 1:  # cannot happen under the row locks; refuse rather than reverse twice
            raise DomainError(
                ErrorCode.INVALID_TRANSITION, "A commission of this line changed meanwhile; try again.", "status"
            )
        reversed_ids.append((c.id, c.beneficiary_id, share))
        total += share
    if postings:
        await ledger.post(
            "COMMISSION_REVERSED",
            postings,
            idempotency_key=f"commission:reverse:{line.id}:{line.refunded_quantity}",
            reference_type="ORDER_LINE",
            reference_id=str(line.id),
        )
    for commission_id, beneficiary, share in reversed_ids:
        emit(user_channel(beneficiary), CommissionReversed(commission_id, share))
    return total


# --------------------------------------------------------------------------- release (worker)


async def release_due(limit: int = 500) -> int:
    """Worker job: commissions still PENDING whose order completed at least the freeze
    period ago become AVAILABLE: COMMISSION_PENDING -> WALLET (any commission debt of the
    beneficiary is repaid first). HELD commissions are skipped (only PENDING is selected and
    moved) until risk review releases them back to PENDING. Each commission moves by a conditional UPDATE in the same
    unit of work as its journal entry, so two workers at once release each one once."""
    config = await current_config()
    cutoff = clock.now() - timedelta(days=config.freeze_days)
    completed = Subquery(Order.filter(status=order_states.COMPLETED, completed_at__lte=cutoff).values("id"))
    ids = (
        await Commission.filter(status=PENDING, order_id__in=completed)
        .order_by("id")
        .limit(limit)
        .values_list("id", flat=True)
    )
    done = 0
    for commission_id in ids:
        async with unit_of_work() as conn:
            now = clock.now()
            moved = (
                await Commission.filter(id=commission_id, status=PENDING)
                .using_db(conn)
                .update(status=AVAILABLE, available_at=now, updated_at=now)
            )
            if moved != 1:
                continue  # another worker released it, or it was reversed / rejected meanwhile
            c = await Commission.get(id=commission_id).using_db(conn)  # fresh: a refund may have just reversed part
            left = c.amount - c.reversed_amount
            if left > 0:
                pending = await _pending_account(c.beneficiary_id)
                wallet, _, debt_account, debt_balance = await _lock_wallet_and_debt(conn, c.beneficiary_id, pending)
                repay = min(max(-debt_balance, 0), left)
                postings = [Posting(pending, -left)]
                if repay:
                    postings.append(Posting(debt_account, repay))
                if left - repay:
                    postings.append(Posting(wallet, left - repay))
                await ledger.post(
                    "COMMISSION_RELEASED",
                    postings,
                    idempotency_key=f"commission:release:{c.id}",
                    reference_type="COMMISSION",
                    reference_id=str(c.id),
                )
            emit(user_channel(c.beneficiary_id), CommissionAvailable(c.id))
        done += 1
    return done


# --------------------------------------------------------------------------- risk review


async def reject(grants: Grants, actor_id: int, commission_id: int, reason: str) -> Commission:
    """Risk review refuses a PENDING (or HELD) commission: it becomes REJECTED with the
    reason, and what is left of it goes back to its source. Admins only (distribution.manage)."""
    _require_manager(grants)
    reason = (reason or "").strip()
    if not 1 <= len(reason) <= 256:
        raise DomainError(ErrorCode.INVALID_INPUT, "A reason of 1 to 256 characters is required.", "reason")
    commission = await Commission.get_or_none(id=commission_id)
    if commission is None:
        raise DomainError(ErrorCode.NOT_FOUND, "No such commission.", "id")
    async with unit_of_work() as conn:
        c = await _lock_commission(conn, commission_id)
        if c.status not in (PENDING, HELD):
            raise DomainError(
                ErrorCode.INVALID_TRANSITION,
                f"Only a pending commission can be rejected; this one is {c.status.lower()}.",
                "id",
            )
        await _reject_locked(conn, c, actor_id, reason)
    return await Commission.get(id=commission_id)


async def _lock_commission(conn, commission_id: int) -> Commission:
    if conn.capabilities.dialect == "postgres":
        await conn.execute_query(sql(conn, "SELECT id FROM commission WHERE id = ? FOR UPDATE"), [commission_id])
    return await Commission.get(id=commission_id).using_db(conn)


async def _reject_locked(conn, c: Commission, actor_id: int | None, reason: str) -> None:
    """`c` (locked, PENDING or HELD) becomes REJECTED; what is left goes back to its source."""
    moved = (
        await Commission.filter(id=c.id, status=c.status, reversed_amount=c.reversed_amount)
        .using_db(conn)
        .update(status=REJECTED, reject_reason=reason[:256], rejected_by_id=actor_id, updated_at=clock.now())
    )
    if moved != 1:
        raise DomainError(ErrorCode.INVALID_TRANSITION, "This commission changed meanwhile; try again.", "id")
    left = c.amount - c.reversed_amount
    if left > 0:
        await ledger.post(
            "COMMISSION_REJECTED",
            [
                Posting(await _pending_account(c.beneficiary_id), -left),
                Posting(await _source_account(c.funded_by, c.merchant_id), left),
            ],
            idempotency_key=f"commission:reject:{c.id}",
            reference_type="COMMISSION",
            reference_id=str(c.id),
            memo=reason,
            actor_id=actor_id,
        )
    emit(user_channel(c.beneficiary_id), CommissionRejected(c.id))


# --------------------------------------------------------------------------- risk holds (services.risk.control)
# PENDING -> HELD when a risk rule hits; HELD -> PENDING when review releases it (then the
# release job makes it available when due); HELD -> REJECTED through _reject_locked. A refund
# reverses a HELD commission like a PENDING one. No money moves on hold / unhold: the amount
# stays in COMMISSION_PENDING either way.


async def _lock_ids(conn, ids: list[int]) -> None:
    if ids and conn.capabilities.dialect == "postgres":
        await conn.execute_query(
            sql(conn, f"SELECT id FROM commission WHERE id IN ({', '.join('?' * len(ids))}) ORDER BY id FOR UPDATE"),
            ids,
        )


async def hold(conn, commission_ids: list[int]) -> list[int]:
    """Hold these commissions (inside the caller's unit of work): the PENDING ones become
    HELD; ones already HELD stay so. Returns the ids now held (others were released,
    reversed or rejected already and are left alone)."""
    ids = sorted(set(commission_ids))
    await _lock_ids(conn, ids)
    held = sorted(
        await Commission.filter(id__in=ids, status__in=[PENDING, HELD]).using_db(conn).values_list("id", flat=True)
    )
    if held:
        await (
            Commission.filter(id__in=held, status__in=[PENDING, HELD])
            .using_db(conn)
            .update(status=HELD, updated_at=clock.now())
        )
    return held


async def unhold(conn, commission_id: int) -> bool:
    """Put a HELD commission back to PENDING (released when due). False if it is not held."""
    await _lock_ids(conn, [commission_id])
    return (
        await Commission.filter(id=commission_id, status=HELD)
        .using_db(conn)
        .update(status=PENDING, updated_at=clock.now())
        == 1
    )


async def reject_accounts(commission_ids: list[int]) -> list[int]:
    """The ledger accounts rejecting these commissions moves money between (each one's
    COMMISSION_PENDING and its source), for a caller that locks them first."""
    rows = await Commission.filter(id__in=commission_ids).values_list("beneficiary_id", "funded_by", "merchant_id")
    keys: set[ledger.AccountKey] = set()
    for beneficiary, funded_by, merchant_id in rows:
        keys.add((ledger.USER, beneficiary, Purpose.COMMISSION_PENDING, "CNY"))
        if funded_by == FUNDED_BY_PLATFORM:
            keys.add((ledger.PLATFORM, 0, Purpose.PROMOTION_EXPENSE, "CNY"))
        else:
            keys.add((MERCHANT, merchant_id, Purpose.MERCHANT_PENDING, "CNY"))
    return list((await ledger.account_ids(list(keys))).values())


async def reject_held(conn, commission_id: int, actor_id: int | None, reason: str) -> bool:
    """Reject a HELD commission (money back to its source). False if it is not held."""
    c = await _lock_commission(conn, commission_id)
    if c.status != HELD:
        return False
    await _reject_locked(conn, c, actor_id, reason)
    return True


# --------------------------------------------------------------------------- reading


def my_commissions(user_id: int, status: str | None = None):
    query = Commission.filter(beneficiary_id=user_id)
    return query.filter(status=status) if status else query


@dataclass(frozen=True)
class Summary:
    pending: int  # frozen: booked, not yet available (net of refunds), held for risk review included
    available: int  # released to the wallet (net of refunds after release)
    reversed: int  # taken back by refunds
    rejected: int  # refused by risk review
    debt: int  # owed after reversals the wallet could not cover (0 or more)


async def summary(user_id: int) -> Summary:
    rows = await (
        Commission.filter(beneficiary_id=user_id)
        .group_by("status")
        .annotate(amount_sum=Sum("amount"), reversed_sum=Sum("reversed_amount"))
        .values("status", "amount_sum", "reversed_sum")
    )
    net = {r["status"]: int(r["amount_sum"] or 0) - int(r["reversed_sum"] or 0) for r in rows}
    reversed_total = sum(int(r["reversed_sum"] or 0) for r in rows)
    debt = await LedgerAccount.filter(
        owner_type=ledger.USER, owner_id=user_id, purpose=Purpose.COMMISSION_DEBT
    ).values_list("balance", flat=True)
    return Summary(
        pending=net.get(PENDING, 0) + net.get(HELD, 0),
        available=net.get(AVAILABLE, 0),
        reversed=reversed_total,
        rejected=net.get(REJECTED, 0),
        debt=max(-int(debt[0]), 0) if debt else 0,
    )


async def release_times(order_ids: list[int]) -> list:
    """For each order: when the freeze of its PENDING commissions ends (completed_at +
    the freeze period in force), or None while the order has not completed. The release
    job makes them available on its first run after that."""
    days = (await current_config()).freeze_days
    done = dict(
        await Order.filter(id__in=set(order_ids), status=order_states.COMPLETED).values_list("id", "completed_at")
    )
    return [done[i] + timedelta(days=days) if done.get(i) else None for i in order_ids]


# --------------------------------------------------------------------------- other kinds: agents, franchise stores
#
# Regional agents (services.distribution.agents, MEM-2) and franchise stores (services.distribution.franchise, MEM-3)
# earn through the same engine: they register claim providers here; at payment (after the
# distribution booking above, which is unchanged) and when a pickup is verified, their
# claims are capped and booked as Commission rows of their kind, so reversal, release,
# rejection, myCommissions and the live events need nothing of their own.
#
# The cap: the live commissions of a line (every kind, net of reversals) never exceed the
# line's base. Distribution is served first; then the claims in PRIORITY order (agents
# province, city, county; the store share; the pickup reward), each taking at most what is
# left of the line: when the rates ask for more, the store share and the deepest agent
# level are cut first, and the distribution levels never.

KIND_DISTRIBUTION, KIND_AGENT, KIND_STORE_SHARE, KIND_STORE_PICKUP = (
    "DISTRIBUTION",
    "AGENT",
    "STORE_SHARE",
    "STORE_PICKUP",
)
KINDS = (KIND_DISTRIBUTION, KIND_AGENT, KIND_STORE_SHARE, KIND_STORE_PICKUP)
PRIORITY = {KIND_AGENT: 1, KIND_STORE_SHARE: 2, KIND_STORE_PICKUP: 3}


@dataclass(frozen=True)
class Claim:
    """What one beneficiary asks on each line (fen, before the cap)."""

    kind: str
    level: int
    beneficiary_id: int
    asks: dict[int, int]  # line id -> fen
    region_code: str = ""
    store_id: int | None = None


ClaimProvider = Callable[[Order, list, object], Awaitable[list[Claim]]]  # (order, its lines, conn)
PAID_CLAIMS: list[ClaimProvider] = []  # asked when an order is paid


def cap_claims(headroom: dict[int, int], claims: list[Claim]) -> list[tuple[Claim, dict[int, int]]]:
    """Pure: serve the claims in PRIORITY order (then level), each taking on every line at
    most what is left of the line's headroom; returns each claim with its capped amounts."""
    left = dict(headroom)
    out = []
    for claim in sorted(claims, key=lambda c: (PRIORITY[c.kind], c.level)):
        amounts = {}
        for line_id, ask in sorted(claim.asks.items()):
            amount = min(max(ask, 0), max(left.get(line_id, 0), 0))
            amounts[line_id] = amount
            left[line_id] = left.get(line_id, 0) - amount
        out.append((claim, amounts))
    return out


async def _line_funding(order: Order, conn) -> Callable[[int], str]:
    """Who pays for a line of this order (the distribution's rule, see the module doc)."""
    kinds = await Merchant.filter(id=order.merchant_id).using_db(conn).values_list("kind", flat=True)
    if kinds and kinds[0] == "SELF_OPERATED":
        return lambda line_id: FUNDED_BY_PLATFORM
    matched = set(
        await WholesaleUnit.filter(matched_order_id=order.id).using_db(conn).values_list("matched_line_id", flat=True)
    )
    return lambda line_id: FUNDED_BY_PLATFORM if line_id in matched else FUNDED_BY_MERCHANT


async def book_claims(
    order: Order, lines: list, claims: list[Claim], conn, *, idempotency_key: str
) -> list[Commission]:
    """Cap and book `claims` on `lines` of `order` in one journal transaction (source ->
    COMMISSION_PENDING), inside the caller's unit of work. The headroom of a line is its
    paid goods amount (net of refunds) less its live commissions (net of reversals)."""
    claims = [c for c in claims if any(a > 0 for a in c.asks.values())]
    if not claims:
        return []
    by_id = {ln.id: ln for ln in lines}
    if conn.capabilities.dialect == "postgres":  # refunds lock the same rows first: one order of locking
        await conn.execute_query(
            sql(
                conn,
                f"SELECT id FROM commission WHERE line_id IN ({', '.join('?' * len(by_id))}) ORDER BY id FOR UPDATE",
            ),
            list(by_id),
        )
    live = await (
        Commission.filter(line_id__in=list(by_id), status__in=[PENDING, AVAILABLE])
        .using_db(conn)
        .group_by("line_id")
        .annotate(a=Sum("amount"), r=Sum("reversed_amount"))
        .values("line_id", "a", "r")
    )
    taken = {row["line_id"]: int(row["a"] or 0) - int(row["r"] or 0) for row in live}
    headroom = {ln.id: ln.amount - ln.refunded_amount - taken.get(ln.id, 0) for ln in lines}
    funding = await _line_funding(order, conn)
    booked = [
        (claim, line_id, amount)
        for claim, amounts in cap_claims(headroom, claims)
        for line_id, amount in amounts.items()
        if amount > 0 and line_id in by_id
    ]
    if not booked:
        return []
    sources = {
        FUNDED_BY_MERCHANT: (MERCHANT, order.merchant_id, Purpose.MERCHANT_PENDING, "CNY"),
        FUNDED_BY_PLATFORM: (ledger.PLATFORM, 0, Purpose.PROMOTION_EXPENSE, "CNY"),
    }
    keys = [sources[funding(line_id)] for _, line_id, _ in booked]
    keys += [(ledger.USER, claim.beneficiary_id, Purpose.COMMISSION_PENDING, "CNY") for claim, _, _ in booked]
    accounts = await ledger.account_ids(keys)  # one query once the accounts exist
    postings: list[Posting] = []
    created: list[Commission] = []
    for claim, line_id, amount in booked:
        line = by_id[line_id]
        funded_by = funding(line_id)
        created.append(
            Commission(
                order_id=order.id,
                line_id=line_id,
                buyer_id=order.buyer_id,
                beneficiary_id=claim.beneficiary_id,
                kind=claim.kind,
                level=claim.level,
                base=line.amount - line.refunded_amount,
                amount=amount,
                funded_by=funded_by,
                merchant_id=order.merchant_id,
                booked_refunded_quantity=line.refunded_quantity,
                region_code=claim.region_code,
                store_id=claim.store_id,
            )
        )
        postings += [
            Posting(accounts[sources[funded_by]], -amount),
            Posting(accounts[(ledger.USER, claim.beneficiary_id, Purpose.COMMISSION_PENDING, "CNY")], amount),
        ]
    await insert_all(conn, created)  # one statement, ids set
    if postings:
        await ledger.post(
            "COMMISSION_BOOKED",
            postings,
            idempotency_key=idempotency_key,
            reference_type="ORDER",
            reference_id=str(order.id),
        )
    for commission in created:
        emit(user_channel(commission.beneficiary_id), CommissionCreated(commission.id))
    return created


async def on_paid_claims(paid: PaidOrder, conn) -> list[Commission]:
    """PAID step, after `on_paid`: the agents' and stores' claims on the paid order."""
    order = paid.order
    if not PAID_CLAIMS:
        return []
    lines = [ln for ln in paid.lines_in() if ln.zone != "POINTS" or settings.POINTS_ORDERS_EARN_COMMISSIONS]
    claims: list[Claim] = []
    for provider in PAID_CLAIMS:
        claims += await provider(order, lines, conn)
    return await book_claims(order, lines, claims, conn, idempotency_key=f"commission:paid:claims:{order.id}")
