"""The one place that connects the features: every same-transaction reaction in its order,
the zone rules, claim providers, review queues, risk decisions, built-in adapters,
scheduled jobs and the live events subscriptions decode.

The app, the worker, the management commands, the benchmarks and the tests call
`install()` once at start-up; nothing registers itself when imported. To add a reaction,
add one line to the list of its event, where it must run. The order is part of the
behaviour: each list says why it is what it is.
"""

from __future__ import annotations

from datetime import timedelta

from jobs import consignment as consignment_jobs
from jobs import distribution as distribution_jobs
from jobs import grades as grade_jobs
from jobs import housekeeping as housekeeping_jobs
from jobs import marketing as marketing_jobs
from jobs import orders as order_jobs
from jobs import settlement as settlement_jobs
from jobs import stores as store_jobs
from jobs import withdrawals as withdrawal_jobs
from jobs.runner import REGISTRY as JOBS
from jobs.runner import Job
from models import sealed
from services.accounts import events as account_events
from services.accounts import referral, review_queues
from services.catalog import events as catalog_events
from services.catalog import products
from services.consignment import events as consignment_events
from services.consignment import hooks as consignment
from services.consignment import queue, vouchers
from services.core import clock, events, sensitive
from services.distribution import agents, commissions, distributors, franchise, grades
from services.distribution import events as distribution_events
from services.finance import events as finance_events
from services.finance import withdrawals
from services.marketing import activities, bargain, coins, coupons, flash, group, points_mall, rewards
from services.marketing import events as marketing_events
from services.membership import events as membership_events
from services.membership import membership
from services.merchants import merchants
from services.orders import after_sales, fulfilment, gateways, hooks
from services.orders import events as order_events
from services.orders import payments as order_payments
from services.orders import states as order_states
from services.orders.sandbox_gateway import SandboxGateway
from services.risk import control as risk
from services.risk import hooks as risk_hooks
from services.stores import bookings as store_bookings
from services.stores import delivery as store_delivery
from services.stores import delivery_providers, member_cards, punch_cards
from services.stores import events as store_events
from services.stores import payments as store_payments

# An order was paid (inside the payment's transaction, after the money moved).
PAID = [
    # MKT-4: a points order's points leave the buyer with the cash (short: the payment is refused)
    ("marketing.take_points", points_mall.on_paid),
    ("membership.extend", membership.on_paid),  # MEM-1: a membership line starts / extends the membership
    ("consignment.use_vouchers", vouchers.use_for_order),  # CON-1: reserved vouchers become used
    ("consignment.create_units", queue.create_units),  # CON-2: one wholesale unit per item, consigned if asked
    ("consignment.grant_vouchers", vouchers.issue_for_order),  # CON-1/7: retail lines grant vouchers
    ("distribution.gift_packs", grades.apply_gift_packs),  # MEM-4: a gift pack raises the grade
    ("distribution.commissions", commissions.on_paid),  # DIS-2: three levels booked on the paid lines
    ("distribution.claims", commissions.on_paid_claims),  # MEM-2/3: agents' and stores' claims, after the levels
    ("risk.screen_payment", risk.on_paid),  # RISK-2: sees the commissions just booked, may hold them
    ("marketing.group_seats", group.on_paid),  # MKT-3: the seat counts (a failed team's refuses the payment)
    ("stores.announce_payment", store_payments.announce_paid),  # STO-1: the store's live feed
    ("stores.issue_punch_cards", punch_cards.issue_on_paid),  # STO-3: the cards, their price held until use
    ("stores.confirm_bookings", store_bookings.on_paid),  # STO-4: a booking paid online is BOOKED
    ("stores.open_deliveries", store_delivery.on_paid),  # STO-5: a store-delivery order awaits dispatch
    # STO-6/STO-1: nothing to deliver -> COMPLETED (and its reactions), after the money steps
    ("orders.complete_virtual", fulfilment.complete_on_payment),
    # Last: locks the product's consignment queue row, which every retail payment of that
    # product waits for, so it is held from here to the commit only.
    ("consignment.match_queue", queue.match_retail_order),  # CON-3
]

# An unpaid order was cancelled (buyer, admin or payment time-out).
CANCELLED = [
    ("consignment.release_vouchers", consignment.on_cancelled),  # reserved vouchers and snap-up quota back
    ("marketing.return_coupons", coupons.on_order_cancelled),  # MKT-1: the checkout's coupons usable again
    ("marketing.return_coins", coins.on_order_cancelled),  # MKT-4: the order's coins back
    ("stores.release_bookings", store_bookings.on_order_cancelled),  # STO-4: an unpaid booking's place back
    ("marketing.return_flash_units", flash.on_order_cancelled),  # MKT-3: flash units back to the session
    ("marketing.release_group_seats", group.on_order_cancelled),  # MKT-3: the seat back to its team
    ("marketing.free_bargains", bargain.on_order_cancelled),  # MKT-3: the bargain may be bought again
]

# An order was completed (receipt confirmed or auto-complete).
COMPLETED = [
    ("distribution.grades", grades.on_completed),  # DIS-6: own / team sales grew
    ("marketing.grant_rewards", rewards.on_completed),  # CAT-3: the products' coins and points
]

# Store staff verified a pickup code and handed the goods over.
PICKED_UP = [
    ("distribution.franchise_pickup", franchise.on_picked_up),  # MEM-3: the store's pickup reward
]

# Units of an order line were refunded (before the money moves back).
LINE_REFUNDED = [
    ("membership.shorten", membership.on_line_refunded),
    ("consignment.reverse", consignment.on_line_refunded),  # matches back to the queue, vouchers withdrawn
    ("distribution.commissions", commissions.on_line_refunded),  # after consignment: sees the unmatched units
    ("risk.screen_refund", risk.on_line_refunded),
    ("marketing.take_back_rewards", rewards.on_line_refunded),  # CAT-3: after completion, the units' grant
]

# A user was bound under an upline.
REFERRAL_BOUND = [
    ("distribution.grades", grades.on_team_member_added),  # DIS-6: the uplines' team sizes grew
]

# Zone -> the rule its lines must pass at checkout (inside the checkout's transaction).
ZONE_RULES = [
    ("WHOLESALE", consignment.reserve_vouchers),  # CON-1: one voucher per unit
    ("MEMBERSHIP", membership.check_lines),  # MEM-1: only the platform's membership SKU at its price
    ("STORE_PAYMENT", store_payments.refuse_at_checkout),  # STO-1: paid only by a store's payment code
    ("POINTS", points_mall.check_lines),  # MKT-4: every points line was priced in points
    ("SERVICE", store_bookings.refuse_at_checkout),  # STO-4: a service is bought by booking a slot
    *((zone, hooks.not_yet_available) for zone in hooks.ZONES_NOT_YET_AVAILABLE),
]

# Zones whose lines hold no stock: a cancel releases none.
UNSTOCKED_ZONES = [
    store_payments.ZONE,  # STO-1: a store payment's line is fen, not goods
    store_bookings.ZONE,  # STO-4: a service's places are its slots' capacity
]

# Activities that price a checkout line (MKT-3), by the kind a checkout's ticket names, and
# those whose lines hold the activity's own units (a cancel gives them back to it, not the SKU).
ACTIVITIES = [
    (flash.KIND, flash.ACTIVITY),  # flash sales: Redis admission, flash price, flash stock
    (group.KIND, group.ACTIVITY),  # group buying: group price, the SKU's stock, a team's seat
    (bargain.KIND, bargain.ACTIVITY),  # bargains: the bargain's current price, the SKU's stock
]
OWN_STOCK_ACTIVITIES = [flash.KIND]

# Payment methods whose refunds another domain books, not the orders domain.
REFUND_METHODS = [
    (member_cards.METHOD, member_cards.refund_payment),  # STO-2: back onto the member card
]

# Who else asks a share of a paid order's lines, after the three distribution levels.
CLAIM_PROVIDERS = [
    agents.agent_claims,  # MEM-2: regional agents of the delivery region
    franchise.share_claims,  # MEM-3: the franchise store of the buyer
]

# The admin review queues, in the order the live counter lists them.
REVIEW_QUEUES = [distributors.REVIEW, risk.REVIEW, withdrawals.REVIEW, merchants.REVIEW]

# Risk control (RISK-2): how a decided case hands each kind of held item back to its owner.
RISK_DECISIONS = {
    risk.COMMISSION: (risk.release_held_commission, risk.reject_held_commission),
    "WITHDRAWAL": (withdrawals.release_held, withdrawals.reject_held),
}
RISK_REJECT_ACCOUNTS = {risk.COMMISSION: commissions.reject_accounts, "WITHDRAWAL": withdrawals.reject_accounts}
WITHDRAWAL_SCREENS = [risk.screen_withdrawal]

# What a lower layer needs from a higher one.
PROVIDERS = [
    (products.GRADE_CODES, grades.codes),  # catalog checks a gift pack's grade against the ladder (DIS-6)
    (hooks.STORE_DELIVERY_QUOTE, store_delivery.quote),  # checkout asks a store's delivery offer (STO-5)
    (group.REFUND_ORDER, after_sales.refund_in_full),  # MKT-3: a failed team's orders refunded in full
]

# Checks that may hold an order's fulfilment (shipping, pickup, store delivery).
FULFILMENT_HOLDS = [
    group.hold_fulfilment,  # MKT-3: a group-buy order waits for its team to be full
]

# Built-in adapters, chosen by a setting's short name (production names "module:Class").
ADAPTERS = [
    (gateways.gateway, "sandbox", SandboxGateway),  # PAYMENT_GATEWAY=sandbox (development, tests)
    (delivery_providers.provider, "riders", delivery_providers.OwnRiders),  # STORE_DELIVERY_PROVIDER (default)
    (delivery_providers.provider, "dev", delivery_providers.DevProvider),  # a provider that moves itself (dev)
]

# Scheduled jobs run by the worker (OPS-3).
JOB_LIST = [
    Job("purge_stale_auth_rows", every=timedelta(hours=1), run=housekeeping_jobs.purge_stale_auth_rows),
    Job("cancel_unpaid_orders", every=timedelta(minutes=1), run=order_jobs.cancel_unpaid),
    Job("auto_complete_orders", every=timedelta(minutes=10), run=order_jobs.complete_delivered),
    Job("retry_gateway_refunds", every=timedelta(minutes=5), run=order_jobs.retry_refunds),
    Job("send_order_messages", every=timedelta(seconds=10), run=order_jobs.send_messages),
    Job("settle_consignments", every=timedelta(minutes=10), run=consignment_jobs.settle_consignments),
    Job("expire_vouchers", every=timedelta(hours=1), run=consignment_jobs.expire_vouchers),
    Job("release_commissions", every=timedelta(minutes=10), run=distribution_jobs.release_commissions),
    Job("submit_payouts", every=timedelta(minutes=5), run=withdrawal_jobs.submit_payouts),
    Job("evaluate_grades", every=timedelta(hours=1), run=grade_jobs.evaluate_grades, lease=timedelta(minutes=30)),
    Job("expire_memberships", every=timedelta(minutes=10), run=grade_jobs.expire_memberships),
    Job("issue_settlement_statements", every=timedelta(minutes=30), run=settlement_jobs.issue_statements),
    Job("expire_coupons", every=timedelta(hours=1), run=marketing_jobs.expire_coupons),
    Job("expire_coins_and_points", every=timedelta(hours=6), run=marketing_jobs.expire_coins_and_points),
    Job("mark_booking_no_shows", every=timedelta(minutes=5), run=store_jobs.mark_no_shows),  # STO-4
    Job("advance_dev_deliveries", every=timedelta(minutes=1), run=store_jobs.advance_dev_deliveries),  # STO-5
    Job("reconcile_flash_sessions", every=timedelta(minutes=1), run=marketing_jobs.reconcile_flash_sessions),
    Job("close_group_teams", every=timedelta(minutes=1), run=marketing_jobs.close_group_teams),  # MKT-3
    Job("warn_expiring_coupons", every=timedelta(minutes=10), run=marketing_jobs.warn_expiring_coupons),
]

# Live events by domain: a subscription decodes a message into its class by the wire type
# (a type not listed here is ignored, like one from a newer process).
LIVE_EVENTS = [
    account_events.NotificationSent,
    account_events.ReviewQueueChanged,
    account_events.SessionsRevoked,
    catalog_events.LowStock,
    catalog_events.ProductDelisted,
    catalog_events.ProductRelisted,
    membership_events.MembershipChanged,
    order_events.OrderStatusChanged,
    order_events.NewOrder,
    order_events.AfterSaleRequested,
    order_events.AfterSaleStatusChanged,
    consignment_events.UnitQueued,
    consignment_events.UnitSold,
    consignment_events.UnitLeft,
    consignment_events.UnitReturned,
    consignment_events.ConsignmentSold,
    consignment_events.ConsignmentReturned,
    consignment_events.ConsignmentSettled,
    consignment_events.VouchersGranted,
    consignment_events.StatsChanged,
    distribution_events.CommissionCreated,
    marketing_events.CouponGranted,
    marketing_events.CouponUsed,
    marketing_events.CouponReturned,
    marketing_events.CouponExpired,
    marketing_events.LotteryWon,
    marketing_events.FlashStockChanged,
    marketing_events.GroupTeamChanged,
    marketing_events.BargainChanged,
    marketing_events.CouponExpiring,
    distribution_events.CommissionAvailable,
    distribution_events.CommissionReversed,
    distribution_events.CommissionRejected,
    distribution_events.GradeChanged,
    finance_events.WithdrawalStatusChanged,
    store_events.StorePaymentReceived,
    store_events.StorePaymentRefunded,
    store_events.BookingChanged,
    store_events.DeliveryChanged,
]

_REACTIONS = [
    (hooks.PAID, PAID),
    (hooks.CANCELLED, CANCELLED),
    (hooks.COMPLETED, COMPLETED),
    (hooks.PICKED_UP, PICKED_UP),
    (hooks.LINE_REFUNDED, LINE_REFUNDED),
    (referral.BOUND, REFERRAL_BOUND),
]


def install() -> None:
    """Register everything above (again from scratch: safe to call more than once)."""
    clock.drive_orm_timestamps()
    sealed.use_cipher(sensitive)  # RISK-3: sealed model attributes encrypt with the data keys
    for provider, implementation in PROVIDERS:
        provider.set(implementation)
    for reactions, steps in _REACTIONS:
        reactions.reset()
        for name, run in steps:
            reactions.add(name, run)
        reactions.wired = True
    hooks.ZONE_RULES.reset()
    for zone, rule in ZONE_RULES:
        hooks.ZONE_RULES.add(zone, rule)
    hooks.UNSTOCKED_ZONES.clear()
    hooks.UNSTOCKED_ZONES.update(UNSTOCKED_ZONES)
    activities.ACTIVITIES.reset()
    for kind, activity in ACTIVITIES:
        activities.ACTIVITIES.add(kind, activity)
    activities.OWN_STOCK.clear()
    activities.OWN_STOCK.update(OWN_STOCK_ACTIVITIES)
    order_payments.REFUND_METHODS.reset()
    for method, refund in REFUND_METHODS:
        order_payments.REFUND_METHODS.add(method, refund)
    order_states.FULFILMENT_HOLDS[:] = FULFILMENT_HOLDS
    commissions.PAID_CLAIMS[:] = CLAIM_PROVIDERS
    review_queues.QUEUES.clear()
    for queue_ in REVIEW_QUEUES:
        review_queues.register(queue_)
    risk_hooks.RELEASE.clear()
    risk_hooks.REJECT.clear()
    for kind, (release, reject) in RISK_DECISIONS.items():
        risk_hooks.RELEASE[kind] = release
        risk_hooks.REJECT[kind] = reject
    risk_hooks.REJECT_ACCOUNTS.clear()
    risk_hooks.REJECT_ACCOUNTS.update(RISK_REJECT_ACCOUNTS)
    risk_hooks.WITHDRAWAL_SCREENS[:] = WITHDRAWAL_SCREENS
    for slot, name, cls in ADAPTERS:
        slot.offer(name, cls)
    JOBS.clear()
    for job in JOB_LIST:
        JOBS[job.name] = job
    events.register_events(LIVE_EVENTS)


def describe() -> dict[str, list[str]]:
    """The installed order of every reaction (docs/architecture.md, tests)."""
    return {reactions.event: reactions.names() for reactions, _ in _REACTIONS}
