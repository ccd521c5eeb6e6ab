"""The end-to-end acceptance test: a full simulated month of trading (orders paid from the wallet
and through the sandbox gateway, wholesale units bought with vouchers and consigned,
three-level commissions, partial refunds before and after commission release, user and
merchant withdrawals approved / paid / rejected, settlement statements issued and approved,
coupons of the platform and of a merchant claimed, used and expired, a platform promotion,
shopping coins spent at checkout, coins and points earned per product),
driven at the service level with a seeded random.Random while services.core.clock moves one day
at a time and the worker jobs run each day. At the end every account equals the sum of its
journal lines, every transaction balances, the books sum to zero per currency, and a few
business totals recomputed from the simulation's own rows match the ledger.

`pytest -s tests/services/test_month_simulation.py` prints the totals table.

Refunds also reach orders whose merchant statement was already approved: the merchant's
pending money covers them, then its settled money, else a debt the next statement nets
(services/orders/payments.py); MONTH_SIM_LATE_REFUNDS=0 leaves those refunds out.
"""

from __future__ import annotations

import os
import random
import time
import uuid
from collections import Counter, defaultdict
from dataclasses import replace
from datetime import timedelta

from tortoise import connections

import settings
from jobs import consignment as consignment_jobs
from jobs import distribution as distribution_jobs
from jobs import marketing as marketing_jobs
from jobs import orders as order_jobs
from jobs import settlement as settlement_jobs
from jobs import withdrawals as withdrawal_jobs
from models.consignment import Voucher, WholesaleUnit
from models.distribution import Commission
from models.ledger import JournalEntry, LedgerAccount
from models.marketing import CouponTemplate, UserCoupon
from models.orders import Order, OrderLine, Payment, Refund
from models.settlement import SettlementStatement
from models.withdrawals import Withdrawal
from services.accounts import referral
from services.accounts.access import Grants
from services.consignment import queue as consignment
from services.core import clock
from services.core.errors import DomainError, ErrorCode
from services.distribution import commissions
from services.finance import settlement, withdrawals
from services.finance.payouts import Destination
from services.ledger import ledger
from services.ledger.ledger import MERCHANT, PLATFORM, Purpose
from services.marketing import coins, coupon_templates, coupons, promotions
from services.marketing.coupon_templates import TemplateData
from services.marketing.promotions import PromotionData
from services.marketing.rewards import POINT
from services.orders import after_sales, payments
from services.orders import fulfilment as orders
from tests.catalog_factories import make_merchant, make_product, owner_grants, sku
from tests.helpers import make_user, verify_identity
from tests.order_factories import fund_wallet, make_buyer, make_consignment_pair, place

DAYS = 30
SEED = int(os.environ.get("MONTH_SIM_SEED", "20261129"))  # other seeds: MONTH_SIM_SEED=<n>
USERS = 7
START_WALLET = 150_000  # fen each user starts with (from the promotion budget)
START_COINS = 3_000  # shopping coins each user starts with (1 coin pays 1 fen)
VOUCHER_TTL_DAYS = 8  # shorter than the month, so the expiry job has vouchers to expire
# Refunds of orders whose merchant statement was already approved happen too (the merchant's
# pending, then settled money cover them, else a debt the next statement nets);
# MONTH_SIM_LATE_REFUNDS=0 leaves them out.
LATE_REFUNDS = os.environ.get("MONTH_SIM_LATE_REFUNDS", "1") == "1"

STAFF = Grants(
    platform={"order.manage", "withdrawal.manage", "settlement.manage", "merchant.manage", "distribution.manage"}
)
BANK = Destination("BANK", "招商银行", "张三", "6225880212345678")


class Sim:
    """The simulation's own bookkeeping, kept apart from the ledger it is checked against."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.counts: Counter[str] = Counter()
        self.funded = 0  # START_WALLET credits
        self.gateway_paid = 0  # checkouts paid through the sandbox gateway
        self.wallet_paid = 0
        self.refunded_gateway = 0
        self.refunded_wallet = 0
        self.skipped: Counter[str] = Counter()  # expected refusals by code
        self.open_withdrawals: list[int] = []
        self.deferred: set[int] = set()  # statements whose approval was refused (INSUFFICIENT_FUNDS)
        self.day = 0
        self.templates: list[int] = []  # coupon templates users claim from


async def _wallet(user_id: int) -> int:
    return (await ledger.user_account(user_id, Purpose.WALLET)).balance


async def _pay(sim: Sim, buyer, placed) -> None:
    """Pay a placed checkout from the wallet when it covers it (and the dice say so), else
    through the sandbox gateway."""
    amount = placed.payment.amount
    if amount and (await _wallet(buyer.id) >= amount) and sim.rng.random() < 0.7:
        await payments.pay_with_wallet(buyer.id, placed.payment.id)
        sim.wallet_paid += amount
        sim.counts["paid by wallet"] += 1
    else:
        _, charge = await payments.start_gateway_payment(buyer.id, placed.payment.id)
        paid = await payments.sandbox_pay(buyer.id, charge.trade_no)
        assert paid.status == "PAID", paid.status
        sim.gateway_paid += amount
        sim.counts["paid by gateway"] += 1


async def _claim(sim: Sim, buyer) -> None:
    if sim.rng.random() < 0.5:
        await coupons.claim(buyer.id, sim.rng.choice(sim.templates))
        sim.counts["coupons claimed"] += 1


async def _buy_retail(sim: Sim, buyer, address, skus) -> None:
    chosen = sim.rng.sample(skus, k=sim.rng.choice((1, 1, 2)))
    lines = [(s.id, sim.rng.randint(1, 3)) for s in chosen]
    await _claim(sim, buyer)
    # the best coupons (null) most of the time, none sometimes; coins now and then, as many
    # as the buyer has up to a dice roll (the caps may refuse: then without coins)
    coupon_ids = None if sim.rng.random() < 0.8 else ()
    held = await coins.balance(buyer.id)
    spend = min(held, sim.rng.choice((0, 0, 300, 1_500)))
    try:
        placed = await place(buyer, address, lines, coupon_ids=coupon_ids, coins=spend)
    except DomainError as exc:
        assert exc.code == ErrorCode.COINS_OVER_CAP, exc.code
        sim.skipped["coins over the cap: placed without"] += 1
        placed, spend = await place(buyer, address, lines, coupon_ids=coupon_ids), 0
    await _pay(sim, buyer, placed)
    sim.counts["retail checkouts"] += 1
    sim.counts["coins spent"] += spend
    discounted = sum(o.discount_amount for o in placed.orders)
    sim.counts["checkouts with a discount"] += 1 if discounted else 0


async def _buy_wholesale(sim: Sim, buyer, address, wholesale_sku) -> None:
    unused = await Voucher.filter(owner_id=buyer.id, status="UNUSED").count()
    if not unused:
        return
    quantity = sim.rng.randint(1, min(unused, 3))
    at_once = sim.rng.random() < 0.5  # consign at checkout, or afterwards by hand
    placed = await place(buyer, address, [(wholesale_sku.id, quantity)], consign_wholesale=at_once)
    await _pay(sim, buyer, placed)
    if not at_once:
        units = await WholesaleUnit.filter(owner_id=buyer.id, order_line__order_id=placed.orders[0].id).values_list(
            "id", flat=True
        )
        await consignment.consign(buyer.id, list(units))
    sim.counts["wholesale checkouts"] += 1
    sim.counts["units consigned"] += quantity


async def _move_orders(sim: Sim) -> None:
    """Ship what is paid; buyers confirm some shipped orders, the rest auto-complete 15 days
    after shipping. Every third order's buyer never confirms, so orders shipped in the first
    half of the month always reach the auto-complete job, whatever the start date."""
    for order in await Order.filter(status="PAID").order_by("id"):
        if sim.rng.random() < 0.8:
            await orders.ship(STAFF, 0, order.id, "顺丰", f"SF{order.id:08d}")
            sim.counts["shipped"] += 1
    for order in await Order.filter(status="SHIPPED").order_by("id"):
        if order.id % 3 and sim.rng.random() < 0.2:
            await orders.confirm_receipt(order.buyer_id, order.id)
            sim.counts["confirmed by buyer"] += 1


async def _settled_watermark() -> dict[int, int]:
    """merchant -> last ledger entry id covered by an approved statement."""
    rows = await SettlementStatement.filter(status="APPROVED").values_list("merchant_id", "last_entry_id")
    mark: dict[int, int] = defaultdict(int)
    for merchant_id, last in rows:
        mark[merchant_id] = max(mark[merchant_id], last)
    return mark


async def _payment_entry(payment_id: int, merchant_id: int) -> int:
    conn = connections.get("default")
    rows = await conn.execute_query_dict(
        "SELECT MAX(e.id) AS id FROM ledger_entry e JOIN ledger_transaction t ON t.id = e.transaction_id "
        "JOIN ledger_account a ON a.id = e.account_id WHERE t.kind = 'ORDER_PAYMENT' AND t.reference_id = "
        f"'{payment_id}' AND a.owner_type = 'MERCHANT' AND a.owner_id = {merchant_id}"
    )
    return int(rows[0]["id"] or 0)


async def _refund_some(sim: Sim) -> None:
    """Partial refunds (one unit of a line) of a few orders, before or after their
    commissions were released; never of an order already covered by an approved statement."""
    mark = await _settled_watermark()
    candidates = (
        await OrderLine.filter(order__status__in=list(after_sales.REQUESTABLE), requested_quantity__lt=1_000_000)
        .select_related("order")
        .order_by("id")
    )
    # consigned wholesale units are not refundable (cancel the consignment first): retail lines only
    candidates = [ln for ln in candidates if ln.requested_quantity < ln.quantity and ln.zone != "WHOLESALE"]
    sim.rng.shuffle(candidates)
    for line in candidates[: sim.rng.randint(0, 3)]:
        order = line.order
        if not LATE_REFUNDS and await _payment_entry(order.payment_id, order.merchant_id) <= mark[order.merchant_id]:
            sim.skipped["refund skipped: statement already approved"] += 1
            continue
        released = await Commission.filter(order_id=order.id, status="AVAILABLE").exists()
        try:
            asked = await after_sales.request_after_sale(order.buyer_id, line.id, "REFUND_ONLY", 1, "不想要了")
        except DomainError as exc:
            assert exc.code == ErrorCode.AFTER_SALE_NOT_ALLOWED, exc.code  # e.g. the after-sales window closed
            sim.skipped[f"refund refused: {exc.code.value}"] += 1
            continue
        done = await after_sales.approve(STAFF, 0, asked.id)
        refund = await Refund.get_or_none(after_sale_id=done.id)
        if refund is not None:
            if refund.method == payments.WALLET:
                sim.refunded_wallet += refund.amount
            else:
                sim.refunded_gateway += refund.amount
        sim.counts["refunds after commission release" if released else "refunds before commission release"] += 1


async def _withdraw(sim: Sim, users) -> None:
    """Review yesterday's requests (approve + mark paid, or reject), then new requests."""
    for wid in sim.open_withdrawals:
        w = await Withdrawal.get(id=wid)
        if w.status != withdrawals.PENDING_REVIEW:
            sim.counts[f"withdrawals left in {w.status}"] += 1
            continue
        if sim.rng.random() < 0.25:
            await withdrawals.reject(STAFF, 0, wid, "信息不符")
            sim.counts["withdrawals rejected"] += 1
        else:
            await withdrawals.approve(STAFF, 0, wid, "manual")
            await withdrawals.mark_paid(STAFF, 0, wid, f"TR{wid:010d}")
            sim.counts["withdrawals paid"] += 1
    sim.open_withdrawals = []
    for user in users:
        balance = await _wallet(user.id)
        if balance < settings.WITHDRAWAL_MIN_AMOUNT or sim.rng.random() > 0.2:
            continue
        amount = sim.rng.randint(settings.WITHDRAWAL_MIN_AMOUNT, min(balance, 30_000))
        try:
            w = await withdrawals.request_for_user(user.id, amount, BANK, uuid.uuid4().hex)
        except DomainError as exc:
            assert exc.code == ErrorCode.DEBT_OUTSTANDING, exc.code
            sim.skipped[f"withdrawal refused: {exc.code.value}"] += 1
            continue
        sim.open_withdrawals.append(w.id)
        sim.counts["withdrawals requested"] += 1


async def _merchant_withdraw(sim: Sim, merchant) -> None:
    settled = (await ledger.get_account(MERCHANT, merchant.id, Purpose.MERCHANT_SETTLED)).balance
    if settled >= 2 * settings.WITHDRAWAL_MIN_AMOUNT:
        amount = min(settled // 2, settings.WITHDRAWAL_DAILY_AMOUNT)
        w = await withdrawals.request_for_merchant(
            STAFF, merchant.owner_id, merchant.id, amount, BANK, uuid.uuid4().hex
        )
        sim.open_withdrawals.append(w.id)
        sim.counts["merchant withdrawals requested"] += 1


async def _approve_statements(sim: Sim) -> None:
    for statement in await SettlementStatement.filter(status="ISSUED").order_by("id"):
        if sim.rng.random() < 0.6:
            pending = await _balance(Purpose.MERCHANT_PENDING, MERCHANT, statement.merchant_id)
            try:
                await settlement.approve(STAFF, 0, statement.id)
            except DomainError as exc:
                # By design (services/finance/settlement.py): a refund booked after the statement was
                # issued drained the pending account, so this statement alone is no longer
                # payable; it is approved together with the next statement, which carries the
                # refund. The refusal changes nothing.
                assert exc.code == ErrorCode.INSUFFICIENT_FUNDS, exc.code
                assert (await SettlementStatement.get(id=statement.id)).status == "ISSUED"
                assert await _balance(Purpose.MERCHANT_PENDING, MERCHANT, statement.merchant_id) == pending
                sim.deferred.add(statement.id)
                sim.skipped["statement approval refused: a later refund drained pending"] += 1
                continue
            sim.counts["statements approved"] += 1


async def _run_jobs(sim: Sim) -> None:
    """The worker's jobs, called directly so a failure fails the test (the runner logs it)."""
    for job in (
        order_jobs.cancel_unpaid,
        order_jobs.complete_delivered,
        order_jobs.retry_refunds,
        distribution_jobs.release_commissions,
        consignment_jobs.settle_consignments,
        consignment_jobs.expire_vouchers,
        settlement_jobs.issue_statements,
        withdrawal_jobs.submit_payouts,
        marketing_jobs.expire_coupons,
    ):
        summary = await job()
        number = next((int(w) for w in summary.split() if w.isdigit()), 0)
        sim.counts[f"job {job.__name__}"] += number


async def _balance(purpose: str, owner_type: str = PLATFORM, owner_id: int = 0) -> int:
    account = await LedgerAccount.get_or_none(owner_type=owner_type, owner_id=owner_id, purpose=purpose, currency="CNY")
    return account.balance if account else 0


async def _totals_table(sim: Sim) -> str:
    conn = connections.get("default")
    rows = await conn.execute_query_dict(
        "SELECT purpose, owner_type, currency, COUNT(*) AS n, SUM(balance) AS total FROM ledger_account "
        "GROUP BY purpose, owner_type, currency ORDER BY owner_type, purpose, currency"
    )
    out = [
        f"month simulation, seed {SEED}, {DAYS} days",
        f"{'purpose':<22}{'owner':<10}{'cur':<5}{'accounts':>9}{'sum (fen)':>14}",
    ]
    for r in rows:
        out.append(f"{r['purpose']:<22}{r['owner_type']:<10}{r['currency']:<5}{int(r['n']):>9}{int(r['total']):>14}")
    out.append("")
    out.append(f"{'paid through gateways':<40}{sim.gateway_paid:>14}")
    out.append(f"{'refunded through gateways':<40}{sim.refunded_gateway:>14}")
    out.append(f"{'money in through gateways (net)':<40}{-await _balance(Purpose.GATEWAY_CLEARING):>14}")
    out.append(f"{'paid from wallets':<40}{sim.wallet_paid:>14}")
    out.append(f"{'refunded to wallets':<40}{sim.refunded_wallet:>14}")
    out.append(f"{'money out through payouts':<40}{await _balance(Purpose.PAYOUT_CLEARING):>14}")
    out.append(f"{'fee revenue':<40}{await _balance(Purpose.FEE_REVENUE):>14}")
    out.append(f"{'commission revenue':<40}{await _balance(Purpose.COMMISSION_REVENUE):>14}")
    out.append(f"{'promotion expense':<40}{-await _balance(Purpose.PROMOTION_EXPENSE):>14}")
    out.append("")
    for key, value in sorted(sim.counts.items()):
        out.append(f"{key:<40}{value:>14}")
    for key, value in sorted(sim.skipped.items()):
        out.append(f"{key:<60}{value:>6}")
    return "\n".join(out)


async def test_a_month_of_trading_keeps_the_books_whole(monkeypatch):
    monkeypatch.setattr(settings, "VOUCHER_TTL_DAYS", VOUCHER_TTL_DAYS)
    started = time.monotonic()
    rng = random.Random(SEED)
    sim = Sim(rng)

    # given: distribution rates on three levels, freeze 3 days (shorter than the 7-day after-sales window)
    admin = await make_user("admin", roles=("admin",))
    await commissions.update_settings(
        STAFF,
        admin.id,
        levels=3,
        self_purchase=False,
        freeze_days=3,
        rules=[(1, "PERCENT", 1000), (2, "PERCENT", 500), (3, "PERCENT", 200)],
    )
    # a referral chain: each user invited by the previous one
    users, addresses = [], {}
    upline = None
    for i in range(USERS):
        user, address = await make_buyer(f"u{i}")
        await verify_identity(user, BANK.holder_name)  # user withdrawals need the payee's real name (RISK-3 / FIN-3)
        if upline is not None:
            user = await referral.bind_upline(user, upline.invite_code, source="SIGNUP")
        await fund_wallet(user, START_WALLET)
        sim.funded += START_WALLET
        users.append(user)
        addresses[user.id] = address
        upline = user
    # a third-party merchant (5 % platform commission) with two retail products
    third = await make_merchant(commission_rate_bp=500)
    third_skus = []
    for price in (3_900, 12_800):
        product = await make_product(third, title=f"商品{price}", skus=[sku(price=price, stock=10_000)])
        third_skus += list(await product.skus.all())
    # the self-operated merchant: retail granting 2 vouchers a unit, and its wholesale twin
    self_op, retail, wholesale = await make_consignment_pair(
        retail_price=2_200, wholesale_price=440, vouchers=2, stock=10_000
    )
    retail_skus = third_skus + [retail]
    # marketing: the platform's 满100减10 and the third merchant's 满50减5 (coupons valid 5 days
    # after claiming, so some expire), a platform 满200减20 promotion for the month, coins to
    # spend, and a product granting coins and points when its orders complete
    marketing = Grants(platform={"marketing.manage"})
    for merchant_id, grants, name, amount, at_least in (
        (None, marketing, "满100减10", 1_000, 10_000),
        (third.id, await owner_grants(third), "满50减5", 500, 5_000),
    ):
        data = TemplateData(name=name, kind="THRESHOLD", amount=amount, threshold=at_least, total_quantity=100_000)
        data = replace(data, merchant_id=merchant_id, valid_days=5, per_user_limit=100)
        sim.templates.append((await coupon_templates.create_template(grants, admin.id, data)).id)
    until = clock.now() + timedelta(days=DAYS + 14)
    tiers = ((20_000, 2_000),)
    await promotions.create(
        marketing, admin.id, PromotionData("满200减20", "FULL_REDUCTION", clock.now(), until, tiers=tiers)
    )
    rewarding = await make_product(
        third, title="积分商品", coins_granted=50, points_granted=20, skus=[sku(price=8_800, stock=10_000)]
    )
    retail_skus += list(await rewarding.skus.all())
    for user in users:
        await coins.from_budget("COINS_EARNED", user.id, START_COINS, f"sim-coins:{user.id}", ("SIM", str(user.id)))

    # when: a month goes by
    for day in range(DAYS):
        sim.day = day
        for user in users:
            if rng.random() < 0.35:
                await _buy_retail(sim, user, addresses[user.id], retail_skus)
            if rng.random() < 0.25:
                await _buy_wholesale(sim, user, addresses[user.id], wholesale)
        await _move_orders(sim)
        await _refund_some(sim)
        await _withdraw(sim, users)
        await _approve_statements(sim)
        await _merchant_withdraw(sim, third)
        clock.advance(timedelta(days=1))
        await _run_jobs(sim)
    # then a quiet week (no new trading) closes the last period: the worker runs, the last
    # withdrawals are reviewed, and finance approves every merchant's newest statement, which
    # approves the earlier ones still issued with it (also those refused above)
    for _ in range(settings.SETTLEMENT_PERIOD_DAYS + 1):
        clock.advance(timedelta(days=1))
        await _run_jobs(sim)
        await _withdraw(sim, [])
    newest = {}
    for statement in await SettlementStatement.filter(status="ISSUED").order_by("id"):
        newest[statement.merchant_id] = statement.id
    for statement_id in newest.values():
        await settlement.approve(STAFF, 0, statement_id)
        sim.counts["statements approved"] += 1
    assert not await SettlementStatement.filter(status="ISSUED").exists()

    # then: the ledger's own invariants hold
    assert await ledger.check_invariants() == []
    conn = connections.get("default")
    # every account equals the sum of its journal lines (one GROUP BY, independent of check_invariants)
    sums = {
        int(r["account_id"]): int(r["total"])
        for r in await conn.execute_query_dict(
            "SELECT account_id, SUM(amount) AS total FROM ledger_entry GROUP BY account_id"
        )
    }
    accounts = await LedgerAccount.all().values("id", "owner_type", "purpose", "balance", "allow_negative", "currency")
    assert accounts
    for a in accounts:
        assert a["balance"] == sums.get(a["id"], 0), a
    # every journal transaction sums to zero per currency
    unbalanced = await conn.execute_query_dict(
        "SELECT e.transaction_id, a.currency, SUM(e.amount) AS s FROM ledger_entry e JOIN ledger_account a "
        "ON a.id = e.account_id GROUP BY e.transaction_id, a.currency"
    )
    assert unbalanced and all(int(r["s"]) == 0 for r in unbalanced)
    # the books balance: all balances together are zero per currency
    per_currency: dict[str, int] = defaultdict(int)
    for a in accounts:
        per_currency[a["currency"]] += a["balance"]
    assert per_currency and all(v == 0 for v in per_currency.values()), per_currency
    # no account that may not go negative is negative (debts are the only user exception)
    for a in accounts:
        if not a["allow_negative"]:
            assert a["balance"] >= 0, a
        if a["purpose"] == Purpose.COMMISSION_DEBT:
            assert a["balance"] <= 0, a

    # and the business totals, recomputed from the simulation's rows, match the ledger
    paid = await Withdrawal.filter(status="PAID").values_list("amount", "fee", "net")
    assert await _balance(Purpose.PAYOUT_CLEARING) == sum(net for _, _, net in paid)
    consignment_fees = sum(await WholesaleUnit.filter(status__in=["MATCHED", "SETTLED"]).values_list("fee", flat=True))
    assert await _balance(Purpose.FEE_REVENUE) == sum(fee for _, fee, _ in paid) + consignment_fees
    approved = await SettlementStatement.filter(status="APPROVED").values_list("platform_commission", flat=True)
    assert await _balance(Purpose.COMMISSION_REVENUE) == sum(approved)
    gateway_payments = sum(
        await Payment.filter(status="PAID").exclude(method=payments.WALLET).values_list("amount", flat=True)
    )
    gateway_refunds = sum(await Refund.exclude(method=payments.WALLET).values_list("amount", flat=True))
    assert gateway_payments == sim.gateway_paid
    assert gateway_refunds == sim.refunded_gateway
    assert await _balance(Purpose.GATEWAY_CLEARING) == -(sim.gateway_paid - sim.refunded_gateway)
    platform_commissions = sum(
        a - r for a, r in await Commission.filter(funded_by="PLATFORM").values_list("amount", "reversed_amount")
    )
    rewards = sum(await WholesaleUnit.filter(status__in=["MATCHED", "SETTLED"]).values_list("reward", flat=True))
    # the discounts the platform funds (its coupons, its promotion, the coins' value), less
    # what refunded units gave back
    funded_discounts = sum(await Order.filter(paid_at__isnull=False).values_list("platform_funded", flat=True))
    discounts_back = sum(
        await JournalEntry.filter(
            account__purpose=Purpose.PROMOTION_EXPENSE,
            account__currency="CNY",
            transaction__kind="PLATFORM_DISCOUNT_RETURNED",
        ).values_list("amount", flat=True)
    )
    platform_discounts = funded_discounts - discounts_back
    assert await _balance(Purpose.PROMOTION_EXPENSE) == -(
        sim.funded + platform_commissions + rewards + platform_discounts
    )
    # commissions not yet released sit in COMMISSION_PENDING; sold consigned units not yet
    # settled in CONSIGNMENT_PENDING; approved statements less withdrawals in MERCHANT_SETTLED
    unreleased = sum(
        a - r
        for a, r in await Commission.filter(status__in=["PENDING", "HELD"]).values_list("amount", "reversed_amount")
    )
    assert sum(a["balance"] for a in accounts if a["purpose"] == Purpose.COMMISSION_PENDING) == unreleased
    unsettled = sum(
        p - f + r for p, f, r in await WholesaleUnit.filter(status="MATCHED").values_list("sale_price", "fee", "reward")
    )
    assert sum(a["balance"] for a in accounts if a["purpose"] == Purpose.CONSIGNMENT_PENDING) == unsettled
    stated = sum(await SettlementStatement.filter(status="APPROVED").values_list("net_payable", flat=True))
    withdrawn = sum(
        await Withdrawal.filter(owner_type=MERCHANT)
        .exclude(status__in=["REJECTED", "FAILED"])
        .values_list("amount", flat=True)
    )
    settled_now = sum(a["balance"] for a in accounts if a["purpose"] == Purpose.MERCHANT_SETTLED)
    pending_now = sum(a["balance"] for a in accounts if a["purpose"] == Purpose.MERCHANT_PENDING)
    covers = sum(
        await JournalEntry.filter(
            account__purpose=Purpose.MERCHANT_SETTLED, transaction__kind="MERCHANT_REFUND_COVER"
        ).values_list("amount", flat=True)
    )
    # settled = approved nets − withdrawals, less what refunds took back from it (covers: negative),
    # plus any debt an approval could not take (pending left below zero)
    assert settled_now == stated - withdrawn + covers - min(pending_now, 0), (
        settled_now,
        stated,
        withdrawn,
        covers,
        pending_now,
    )
    # what the users hold + what the merchants hold + the platform's revenue = money brought in
    users_and_merchants = sum(
        a["balance"] for a in accounts if a["owner_type"] in (ledger.USER, MERCHANT) and a["currency"] == "CNY"
    )
    platform_kept = sum(
        a["balance"]
        for a in accounts
        if a["owner_type"] == PLATFORM
        and a["purpose"] in (Purpose.FEE_REVENUE, Purpose.COMMISSION_REVENUE, Purpose.ORDER_CLEARING)
    )
    assert await _balance(Purpose.ORDER_CLEARING) == 0  # nothing stays in transit
    assert users_and_merchants + platform_kept == (
        sim.funded
        + platform_commissions
        + rewards
        + platform_discounts  # from the promotion budget
        + sim.gateway_paid
        - sim.refunded_gateway  # in through gateways
        - sum(net for _, _, net in paid)  # out through payouts
    )

    # coupons: every template counts what was claimed; a used coupon names what it paid for
    for template in await CouponTemplate.all():
        assert template.claimed_count == await UserCoupon.filter(template_id=template.id).count()
    for c in await UserCoupon.filter(status="USED"):
        assert c.payment_id is not None and c.discount > 0, c
    sim.counts["coupons used"] = await UserCoupon.filter(status="USED").count()
    sim.counts["coupons expired"] = await UserCoupon.filter(status="EXPIRED").count()
    # coins: what users hold = what they were given and earned, less spent, plus returned;
    # points: earned by the rewarding product's completed orders
    coin_accounts = [a for a in accounts if a["currency"] == coins.COIN and a["owner_type"] == ledger.USER]
    coin_moves = await conn.execute_query_dict(
        "SELECT SUM(e.amount) AS s FROM ledger_entry e JOIN ledger_account a ON a.id = e.account_id "
        "WHERE a.currency = 'COIN' AND a.owner_type = 'USER'"
    )
    assert sum(a["balance"] for a in coin_accounts) == int(coin_moves[0]["s"])
    sim.counts["points earned"] = sum(
        a["balance"] for a in accounts if a["currency"] == POINT and a["owner_type"] == ledger.USER
    )

    # the month really exercised every feature
    for key in (
        "paid by wallet",
        "paid by gateway",
        "wholesale checkouts",
        "refunds before commission release",
        "refunds after commission release",
        "withdrawals paid",
        "withdrawals rejected",
        "statements approved",
        "merchant withdrawals requested",
        "job release_commissions",
        "job settle_consignments",
        "job complete_delivered",
        "job issue_statements",
        "job expire_vouchers",
        "coupons claimed",
        "coupons used",
        "coupons expired",
        "checkouts with a discount",
        "coins spent",
        "points earned",
    ):
        assert sim.counts[key] > 0, (key, sim.counts)
    print()
    print(await _totals_table(sim))
    print(f"{'elapsed (s)':<40}{time.monotonic() - started:>14.1f}")
