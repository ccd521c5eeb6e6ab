"""Risk control (RISK-2): rules as data, evaluated when an order is paid or refunded; a hit
opens a review case that HOLDS the commissions at stake; admins release or reject.

- Rules (models.risk.RiskRule): a kind and its parameters (services.risk.rules validates
  them), enabled or not; admins manage them (risk.manage, audited in RiskAudit). No rule
  exists until an admin creates one or installs the defaults (`install_default_rules`, also
  run by the demo seed): a fresh platform holds nothing it was not told to.
- Origins: the placeOrder resolver records each order's device id (`X-Device-Id` header)
  and request IP (`record_origin`), after the checkout commits; checkout itself is untouched.
- Evaluation runs inside the payment's (or refund's) own transaction, as order hooks
  registered after the commission hooks (services.distribution.commissions imports this module last), so
  the order's commissions are booked and visible. It runs in a savepoint and fails open: a
  bug or a deadlock in risk control is logged and never refuses money that has arrived.
- A hit opens a case per (rule, subject user), or joins the one still open (`open_key` is
  unique while OPEN), records the hit's evidence (RiskHit) and holds the commissions at stake
  (services.distribution.commissions.hold: PENDING -> HELD, one RiskHold row each). A hit with nothing to
  hold opens no case.
- Decision (`decide`): one conditional UPDATE OPEN -> RELEASED | REJECTED (so a release racing
  a reject has exactly one winner; the loser gets INVALID_TRANSITION), then each held item is
  handed to `risk_hooks.RELEASE[kind]` / `REJECT[kind]` in the same transaction. An item also
  held by another open case stays held on release (outcome KEPT) until that case is decided
  too; a reject is final. Every decision is audited.
- Withdrawals: a screen in `risk_hooks.WITHDRAWAL_SCREENS` answers a reason while the user is
  the subject of an open case, and adds the withdrawal to those cases' holds.
- Each commit that changes the number of open cases publishes `REVIEW_QUEUE_CHANGED` on the
  `admin` channel; `pending_review_count()` is the number.

Lock order (PostgreSQL): case row -> hold rows (by subject, then id) -> commission rows.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from datetime import timedelta

from tortoise import connections
from tortoise.exceptions import IntegrityError
from tortoise.expressions import F, Subquery

from models.accounts import Address, Session, User
from models.distribution import Commission
from models.orders import Order
from models.risk import OrderOrigin, RiskAudit, RiskCase, RiskHit, RiskHold, RiskRule, RiskSignal
from services.accounts import review_queues
from services.accounts.access import Grants
from services.accounts.events import ReviewQueueChanged
from services.core import clock
from services.core.errors import DomainError, ErrorCode
from services.core.events import admin_channel, emit, unit_of_work
from services.core.sensitive import mask_middle
from services.core.sql import sql
from services.distribution import commissions
from services.ledger import ledger
from services.orders import hooks as order_hooks
from services.orders.hooks import PaidOrder
from services.risk import hooks as risk_hooks
from services.risk import rules as rules_

log = logging.getLogger(__name__)

OPEN, RELEASED, REJECTED = "OPEN", "RELEASED", "REJECTED"
CASE_STATUSES = (OPEN, RELEASED, REJECTED)
COMMISSION = "COMMISSION"
HELD, KEPT = "HELD", "KEPT"  # hold outcomes besides RELEASED / REJECTED
REVIEW_QUEUE = "RISK_CASES"
PAID_KINDS = (rules_.SELF_PURCHASE, rules_.DEVICE_CLUSTER, rules_.ORDER_VELOCITY)
REFUND_KINDS = (rules_.REFUND_AFTER_COMMISSION,)
PERMISSION = "risk.manage"


def _require(grants: Grants) -> None:
    if not grants.has(PERMISSION):
        raise DomainError(ErrorCode.FORBIDDEN, f"This needs the {PERMISSION} permission.")


def _reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not 1 <= len(reason) <= 256:
        raise DomainError(ErrorCode.INVALID_INPUT, "A reason of 1 to 256 characters is required.", "reason")
    return reason


def _queue_changed(case_id: int, status: str) -> None:
    emit(admin_channel(), ReviewQueueChanged(REVIEW_QUEUE, case_id, status))


async def pending_review_count() -> int:
    """Open cases waiting for review (the admins' live counter)."""
    return await RiskCase.filter(status=OPEN).count()


# Its admin review queue; wiring.py registers it.
REVIEW = review_queues.ReviewQueue(
    REVIEW_QUEUE, "risk.manage", "Risk cases holding commissions or withdrawals, awaiting review.", pending_review_count
)


# --------------------------------------------------------------------------- origins


async def record_origin(buyer_id: int, order_ids: list[int], device_id: str, ip: str) -> None:
    """Where these orders were placed from; the first record of an order stays (a replayed
    checkout, or a concurrent replay that recorded it first, adds nothing: the order id is
    unique and the conflict ignored). One statement, in no transaction of its own."""
    if not order_ids:
        return
    device_id, ip = (device_id or "").strip()[:128], (ip or "").strip()[:64]
    conn = connections.get("default")
    rows = ", ".join("(?, ?, ?, ?, ?)" for _ in order_ids)
    values = [v for order_id in order_ids for v in (order_id, buyer_id, device_id, ip, clock.now())]
    await conn.execute_query(
        sql(
            conn,
            f"INSERT INTO risk_order_origin (order_id, buyer_id, device_id, ip, created_at) VALUES {rows} "
            "ON CONFLICT (order_id) DO NOTHING",
        ),
        values,
    )


# --------------------------------------------------------------------------- rules (admin)


def _rule_values(rule: RiskRule) -> dict:
    return {"kind": rule.kind, "params": rule.params, "enabled": rule.enabled, "description": rule.description}


def _description(description: str | None) -> str:
    text = (description or "").strip()
    if len(text) > 256:
        raise DomainError(ErrorCode.INVALID_INPUT, "The description is at most 256 characters.", "description")
    return text


async def list_rules() -> list[RiskRule]:
    return list(await RiskRule.all().order_by("id"))


async def create_rule(
    grants: Grants, actor_id: int | None, kind: str, params: dict | None, *, enabled: bool = True, description: str = ""
) -> RiskRule:
    _require(grants)
    params = rules_.validate(kind, params)
    text = _description(description) or rules_.DESCRIPTIONS[kind]
    async with unit_of_work() as conn:
        rule = await RiskRule.create(
            kind=kind, params=params, enabled=enabled, description=text, updated_by_id=actor_id, using_db=conn
        )
        await RiskAudit.create(
            actor_id=actor_id, action="RULE_CREATED", rule_id=rule.id, after=_rule_values(rule), using_db=conn
        )
    return rule


async def update_rule(
    grants: Grants,
    actor_id: int | None,
    rule_id: int,
    *,
    params: dict | None = None,
    enabled: bool | None = None,
    description: str | None = None,
) -> RiskRule:
    """Change what is given (parameters are validated whole: given ones replace the old)."""
    _require(grants)
    rule = await RiskRule.get_or_none(id=rule_id)
    if rule is None:
        raise DomainError(ErrorCode.NOT_FOUND, "No such rule.", "id")
    values = {}
    if params is not None:
        values["params"] = rules_.validate(rule.kind, params)
    if enabled is not None:
        values["enabled"] = enabled
    if description is not None:
        values["description"] = _description(description) or rules_.DESCRIPTIONS[rule.kind]
    async with unit_of_work() as conn:
        before = _rule_values(rule)
        if values:
            await (
                RiskRule.filter(id=rule_id)
                .using_db(conn)
                .update(updated_by_id=actor_id, updated_at=clock.now(), **values)
            )
        rule = await RiskRule.get(id=rule_id).using_db(conn)
        await RiskAudit.create(
            actor_id=actor_id,
            action="RULE_UPDATED",
            rule_id=rule_id,
            before=before,
            after=_rule_values(rule),
            using_db=conn,
        )
    return rule


async def delete_rule(grants: Grants, actor_id: int | None, rule_id: int) -> None:
    """Only a rule that never opened a case can be deleted; disable the others."""
    _require(grants)
    rule = await RiskRule.get_or_none(id=rule_id)
    if rule is None:
        raise DomainError(ErrorCode.NOT_FOUND, "No such rule.", "id")
    if await RiskCase.exists(rule_id=rule_id):
        raise DomainError(ErrorCode.RISK_RULE_IN_USE, "This rule has cases; disable it instead.", "id")
    async with unit_of_work() as conn:
        try:
            async with unit_of_work() as inner:
                await RiskRule.filter(id=rule_id).using_db(inner).delete()
        except IntegrityError:  # a case opened meanwhile
            raise DomainError(ErrorCode.RISK_RULE_IN_USE, "This rule has cases; disable it instead.", "id") from None
        await RiskAudit.create(
            actor_id=actor_id, action="RULE_DELETED", rule_id=rule_id, before=_rule_values(rule), using_db=conn
        )


async def install_default_rules(grants: Grants | None, actor_id: int | None) -> list[RiskRule]:
    """Create the default rule of each kind that has no rule yet (idempotent). `grants`
    None: the demo seed (no actor)."""
    if grants is not None:
        _require(grants)
    have = set(await RiskRule.all().values_list("kind", flat=True))
    for kind, params, description in rules_.defaults():
        if kind not in have:
            await create_rule(Grants(platform={PERMISSION}), actor_id, kind, params, description=description)
    return await list_rules()


# --------------------------------------------------------------------------- evaluation


@dataclass
class Hit:
    rule: RiskRule
    subject_user_id: int
    evidence: dict
    commission_ids: list[int] = field(default_factory=list)


def _phone_key(phone: str | None) -> str:
    digits = re.sub(r"\D", "", phone or "")
    return digits[-11:] if len(digits) >= 7 else ""


def _mask_phone(key: str) -> str:
    return mask_middle(key, 3, 4)


async def _enabled_rules(conn, kinds: tuple[str, ...]) -> list[RiskRule]:
    return list(await RiskRule.filter(enabled=True, kind__in=list(kinds)).using_db(conn).order_by("id"))


async def _commission_ids(conn, **filters) -> list[int]:
    return sorted(
        await Commission.filter(status__in=[commissions.PENDING, commissions.HELD], **filters)
        .using_db(conn)
        .values_list("id", flat=True)
    )


async def _self_purchase(
    rule: RiskRule, order: Order, origin: OrderOrigin | None, booked: list[dict], conn
) -> list[Hit]:
    by_beneficiary: dict[int, list[int]] = {}
    for c in booked:
        by_beneficiary.setdefault(c["beneficiary_id"], []).append(c["id"])
    if not by_beneficiary:
        return []
    signals = set(rule.params["signals"])
    since = clock.now() - timedelta(days=rule.params["lookback_days"])
    users = {u.id: u for u in await User.filter(id__in={order.buyer_id, *by_beneficiary}).using_db(conn)}
    buyer = users[order.buyer_id]
    buyer_phones = {_phone_key(buyer.phone), _phone_key(order.address_phone)} - {""}
    address_phones: dict[int, set[str]] = {}
    if "PHONE" in signals:  # address phones are encrypted without a blind index: decrypt the beneficiaries' few
        for address in await Address.filter(user_id__in=list(by_beneficiary)).using_db(conn):
            address_phones.setdefault(address.user_id, set()).add(_phone_key(address.phone))
    hits = []
    for beneficiary, ids in sorted(by_beneficiary.items()):
        found: dict[str, object] = {}
        ben = users.get(beneficiary)
        if beneficiary == buyer.id:
            if "SAME_USER" in signals:
                found["SAME_USER"] = True
        elif ben is not None:
            device = origin.device_id if origin else ""
            if (
                "DEVICE" in signals
                and device
                and await OrderOrigin.filter(buyer_id=beneficiary, device_id=device, created_at__gte=since)
                .using_db(conn)
                .exists()
            ):
                found["DEVICE"] = mask_middle(device, 4, 4)
            ip = origin.ip if origin else ""
            if (
                "IP" in signals
                and ip
                and (
                    await OrderOrigin.filter(buyer_id=beneficiary, ip=ip, created_at__gte=since).using_db(conn).exists()
                    or await Session.filter(user_id=beneficiary, ip=ip, created_at__gte=since).using_db(conn).exists()
                )
            ):
                found["IP"] = ip
            if "PHONE" in signals:
                shared = buyer_phones & (({_phone_key(ben.phone)} | address_phones.get(beneficiary, set())) - {""})
                if shared:
                    found["PHONE"] = _mask_phone(min(shared))
            if "WECHAT" in signals and buyer.wechat_unionid and buyer.wechat_unionid == ben.wechat_unionid:
                found["WECHAT"] = True
        if found:
            hits.append(
                Hit(
                    rule,
                    beneficiary,
                    {
                        "orderId": str(order.id),
                        "buyerId": str(buyer.id),
                        "beneficiaryId": str(beneficiary),
                        "signals": found,
                    },
                    ids,
                )
            )
    return hits


async def _device_cluster(
    rule: RiskRule, order: Order, origin: OrderOrigin | None, booked: list[dict], conn
) -> list[Hit]:
    if origin is None:
        return []
    uplines = await User.filter(id=order.buyer_id).using_db(conn).values_list("upline_id", flat=True)
    upline = uplines[0] if uplines else None
    if upline is None:
        return []
    since = clock.now() - timedelta(minutes=rule.params["window_minutes"])
    team = Subquery(User.filter(upline_id=upline).values("id"))
    for match in rule.params["match"]:
        column, value = ("device_id", origin.device_id) if match == "DEVICE" else ("ip", origin.ip)
        if not value:
            continue
        rows = (
            await OrderOrigin.filter(**{column: value}, created_at__gte=since, buyer_id__in=team)
            .using_db(conn)
            .values_list("buyer_id", "order_id")
        )
        accounts = sorted({b for b, _ in rows})
        if len(accounts) >= rule.params["min_accounts"]:
            order_ids = sorted({o for _, o in rows})
            shown = mask_middle(value, 4, 4) if match == "DEVICE" else value
            return [
                Hit(
                    rule,
                    upline,
                    {
                        "orderId": str(order.id),
                        "uplineId": str(upline),
                        "match": match,
                        "value": shown,
                        "accounts": [str(a) for a in accounts],
                        "orderIds": [str(o) for o in order_ids],
                    },
                    await _commission_ids(conn, order_id__in=order_ids),
                )
            ]
    return []


async def _velocity(rule: RiskRule, order: Order, origin: OrderOrigin | None, booked: list[dict], conn) -> list[Hit]:
    since = clock.now() - timedelta(minutes=rule.params["window_minutes"])
    limit = rule.params["max_orders"]
    hits = []
    if "BUYER" in rule.params["per"]:
        paid = Order.filter(buyer_id=order.buyer_id, paid_at__gte=since).using_db(conn)
        if (count := await paid.count()) > limit:
            ids = await paid.values_list("id", flat=True)
            hits.append(
                Hit(
                    rule,
                    order.buyer_id,
                    {
                        "orderId": str(order.id),
                        "per": "BUYER",
                        "paidOrders": count,
                        "windowMinutes": rule.params["window_minutes"],
                    },
                    await _commission_ids(conn, order_id__in=list(ids)),
                )
            )
    if "UPLINE" in rule.params["per"]:
        uplines = await User.filter(id=order.buyer_id).using_db(conn).values_list("upline_id", flat=True)
        upline = uplines[0] if uplines else None
        if upline is not None:
            team = Subquery(User.filter(upline_id=upline).values("id"))
            paid = Order.filter(buyer_id__in=team, paid_at__gte=since).using_db(conn)
            if (count := await paid.count()) > limit:
                ids = await paid.values_list("id", flat=True)
                hits.append(
                    Hit(
                        rule,
                        upline,
                        {
                            "orderId": str(order.id),
                            "per": "UPLINE",
                            "uplineId": str(upline),
                            "paidOrders": count,
                            "windowMinutes": rule.params["window_minutes"],
                        },
                        await _commission_ids(conn, order_id__in=list(ids), beneficiary_id=upline),
                    )
                )
    return hits


PAID_EVALUATORS = {
    rules_.SELF_PURCHASE: _self_purchase,
    rules_.DEVICE_CLUSTER: _device_cluster,
    rules_.ORDER_VELOCITY: _velocity,
}


async def _lock_open_case(conn, open_key: str) -> RiskCase | None:
    """The open case with this key, locked (PostgreSQL): a decision waits for us, or we see it decided."""
    if conn.capabilities.dialect == "postgres":
        await conn.execute_query(sql(conn, "SELECT id FROM risk_case WHERE open_key = ? FOR UPDATE"), [open_key])
    return await RiskCase.filter(open_key=open_key, status=OPEN).using_db(conn).first()


async def _add_holds(conn, case_id: int, kind: str, ids: list[int]) -> None:
    have = set(
        await RiskHold.filter(case_id=case_id, subject_kind=kind, subject_id__in=ids)
        .using_db(conn)
        .values_list("subject_id", flat=True)
    )
    new = [RiskHold(case_id=case_id, subject_kind=kind, subject_id=i) for i in ids if i not in have]
    if new:
        await RiskHold.bulk_create(new, using_db=conn)


async def _record(hit: Hit, order_id: int | None, conn) -> RiskCase | None:
    """Open a case for the hit, or join the open one of its rule and subject; hold its commissions."""
    if not hit.commission_ids:
        return None
    key = f"{hit.rule.id}:{hit.subject_user_id}"
    case = await _lock_open_case(conn, key)
    opened = False
    if case is None:
        try:
            async with unit_of_work() as inner:  # a savepoint: a concurrent hit may open it first
                case = await RiskCase.create(
                    rule_id=hit.rule.id,
                    kind=hit.rule.kind,
                    subject_user_id=hit.subject_user_id,
                    open_key=key,
                    evidence=hit.evidence,
                    using_db=inner,
                )
            opened = True
        except IntegrityError:
            case = await _lock_open_case(conn, key)
            if case is None:
                raise
    else:
        await RiskCase.filter(id=case.id).using_db(conn).update(hit_count=F("hit_count") + 1, updated_at=clock.now())
    held = await commissions.hold(conn, hit.commission_ids)
    await _add_holds(conn, case.id, COMMISSION, held)
    await RiskHit.create(case_id=case.id, order_id=order_id, evidence=hit.evidence, using_db=conn)
    if opened:
        _queue_changed(case.id, OPEN)
    return case


async def _record_all(hits: list[Hit], order_id: int | None, conn) -> None:
    """Record the hits of one payment / refund: the open cases they join are locked first,
    in id order, before any commission (the order a decision locks them in)."""
    hits = [h for h in hits if h.commission_ids]
    if not hits:
        return
    if conn.capabilities.dialect == "postgres":
        keys = sorted({f"{h.rule.id}:{h.subject_user_id}" for h in hits})
        await conn.execute_query(
            sql(
                conn,
                f"SELECT id FROM risk_case WHERE open_key IN ({', '.join('?' * len(keys))}) ORDER BY id FOR UPDATE",
            ),
            keys,
        )
    for hit in hits:
        await _record(hit, order_id, conn)


async def _evaluate(conn, evaluate) -> None:
    """Run `evaluate(conn)` in a savepoint; a failure is logged and changes nothing (fail open)."""
    try:
        async with unit_of_work() as inner:
            await evaluate(inner)
    except Exception:
        log.exception("risk evaluation failed; the payment / refund goes on without it")


async def on_paid(paid: PaidOrder, conn) -> None:
    """PAID step (after the commission hook): evaluate the enabled payment rules."""
    order = paid.order
    rules = await _enabled_rules(conn, PAID_KINDS)
    if not rules:
        return

    async def evaluate(inner) -> None:
        origin = await OrderOrigin.filter(order_id=order.id).using_db(inner).first()
        booked = list(
            await Commission.filter(order_id=order.id, status=commissions.PENDING)
            .using_db(inner)
            .values("id", "beneficiary_id")
        )
        hits = []
        for rule in rules:
            hits += await PAID_EVALUATORS[rule.kind](rule, order, origin, booked, inner)
        await _record_all(hits, order.id, inner)

    await _evaluate(conn, evaluate)


async def on_line_refunded(refund: order_hooks.LineRefund, conn) -> None:
    """LINE_REFUNDED step (after the commission reversal): a refund of a line whose
    commissions were booked is recorded, then the enabled refund rules are evaluated."""
    if not await Commission.filter(line_id=refund.line.id).using_db(conn).exists():
        return
    buyer_id = refund.order.buyer_id
    now = clock.now()
    await RiskSignal.create(
        kind=rules_.REFUND_AFTER_COMMISSION, user_id=buyer_id, order_id=refund.order.id, created_at=now, using_db=conn
    )
    rules = await _enabled_rules(conn, REFUND_KINDS)
    if not rules:
        return

    async def evaluate(inner) -> None:
        hits = []
        for rule in rules:
            since = now - timedelta(days=rule.params["window_days"])
            orders = (
                await RiskSignal.filter(kind=rule.kind, user_id=buyer_id, created_at__gte=since)
                .using_db(inner)
                .values_list("order_id", flat=True)
            )
            if len(orders) > rule.params["max_refunds"]:
                hit = Hit(
                    rule,
                    buyer_id,
                    {
                        "orderId": str(refund.order.id),
                        "buyerId": str(buyer_id),
                        "refunds": len(orders),
                        "refundedOrderIds": sorted({str(o) for o in orders}),
                        "windowDays": rule.params["window_days"],
                    },
                    await _commission_ids(inner, buyer_id=buyer_id),
                )
                hits.append(hit)
        await _record_all(hits, refund.order.id, inner)

    await _evaluate(conn, evaluate)


# --------------------------------------------------------------------------- review (admin)


def cases(status: str | None = None, subject_user_id: int | None = None):
    query = RiskCase.all()
    if status:
        query = query.filter(status=status)
    if subject_user_id:
        query = query.filter(subject_user_id=subject_user_id)
    return query


async def get_case(case_id: int) -> RiskCase:
    case = await RiskCase.get_or_none(id=case_id)
    if case is None:
        raise DomainError(ErrorCode.NOT_FOUND, "No such case.", "id")
    return case


async def _lock_holds_of(conn, kind: str, subject_id: int) -> None:
    """Before asking "does another open case hold it?": the item's hold rows, then (for a
    commission) its row, which a new hit locks before adding its hold; so the answer counts
    a hit committing meanwhile."""
    if conn.capabilities.dialect == "postgres":
        await conn.execute_query(
            sql(conn, "SELECT id FROM risk_hold WHERE subject_kind = ? AND subject_id = ? ORDER BY id FOR UPDATE"),
            [kind, subject_id],
        )
        if kind == COMMISSION:
            await conn.execute_query(sql(conn, "SELECT id FROM commission WHERE id = ? FOR UPDATE"), [subject_id])


async def decide(grants: Grants, actor_id: int, case_id: int, release: bool, reason: str) -> RiskCase:
    """An admin releases (held items go back on their normal path) or rejects (held items
    are refused, money back to its source) an open case; audited. A decided case answers
    INVALID_TRANSITION and nothing changes."""
    _require(grants)
    reason = _reason(reason)
    case = await get_case(case_id)
    status = RELEASED if release else REJECTED

    def decided(current: str) -> DomainError:
        return DomainError(ErrorCode.INVALID_TRANSITION, f"This case was already {current.lower()}.", "id")

    if case.status != OPEN:
        raise decided(case.status)
    accounts: list[int] = []
    if not release:  # the money a rejection moves: its accounts are locked before the case
        held = await RiskHold.filter(case_id=case_id, outcome=HELD).values_list("subject_kind", "subject_id")
        for kind, find in risk_hooks.REJECT_ACCOUNTS.items():
            if ids := [subject for k, subject in held if k == kind]:
                accounts += await find(ids)
    async with unit_of_work() as conn:
        await ledger.lock_accounts(conn, accounts)
        moved = (
            await RiskCase.filter(id=case_id, status=OPEN)
            .using_db(conn)
            .update(
                status=status,
                open_key=None,
                decided_by_id=actor_id,
                decided_at=clock.now(),
                decision_reason=reason,
                updated_at=clock.now(),
            )
        )
        if moved != 1:
            current = await RiskCase.filter(id=case_id).using_db(conn).values_list("status", flat=True)
            raise decided(current[0] if current else "decided")
        holds = (
            await RiskHold.filter(case_id=case_id, outcome=HELD)
            .using_db(conn)
            .order_by("subject_kind", "subject_id", "id")
        )
        outcomes = []
        for h in holds:
            callbacks = risk_hooks.RELEASE if release else risk_hooks.REJECT
            callback = callbacks.get(h.subject_kind)
            if callback is None:
                raise DomainError(
                    ErrorCode.INVALID_TRANSITION, f"Nothing handles held {h.subject_kind} items yet.", "id"
                )
            await _lock_holds_of(conn, h.subject_kind, h.subject_id)
            outcome = RELEASED if release else REJECTED
            if (
                release
                and await RiskHold.filter(
                    subject_kind=h.subject_kind,
                    subject_id=h.subject_id,
                    outcome=HELD,
                    case__status=OPEN,
                )
                .exclude(case_id=case_id)
                .using_db(conn)
                .exists()
            ):
                outcome = KEPT  # another open case still holds it
            else:
                await callback(h.subject_id, actor_id, reason, conn)
            await RiskHold.filter(id=h.id).using_db(conn).update(outcome=outcome)
            outcomes.append({"kind": h.subject_kind, "id": str(h.subject_id), "outcome": outcome})
        await RiskAudit.create(
            actor_id=actor_id,
            action=f"CASE_{status}",
            case_id=case_id,
            rule_id=case.rule_id,
            reason=reason,
            before={"status": OPEN},
            after={"status": status, "holds": outcomes},
            using_db=conn,
        )
        _queue_changed(case_id, status)
    return await RiskCase.get(id=case_id)


def audit(case_id: int | None = None, rule_id: int | None = None):
    query = RiskAudit.all()
    if case_id:
        query = query.filter(case_id=case_id)
    if rule_id:
        query = query.filter(rule_id=rule_id)
    return query


# --------------------------------------------------------------------------- seams (risk_hooks)


async def release_held_commission(subject_id: int, actor_id: int | None, reason: str, conn) -> None:
    await commissions.unhold(conn, subject_id)  # not held any more (reversed by a refund, rejected): nothing to do


async def reject_held_commission(subject_id: int, actor_id: int | None, reason: str, conn) -> None:
    await commissions.reject_held(conn, subject_id, actor_id, reason)


async def screen_withdrawal(user_id: int, withdrawal_id: int, amount: int, conn=None) -> str | None:
    """WITHDRAWAL_SCREENS entry: a user under an open case waits for review; the withdrawal
    joins the case's holds (released or rejected with it)."""

    async def run(c) -> str | None:
        keys = (
            await RiskCase.filter(subject_user_id=user_id, status=OPEN)
            .using_db(c)
            .order_by("id")
            .values_list("open_key", flat=True)
        )
        held = []
        for key in keys:
            case = await _lock_open_case(c, key)
            if case is None:
                continue  # decided meanwhile
            if withdrawal_id:
                await _add_holds(c, case.id, "WITHDRAWAL", [withdrawal_id])
            held.append(case.id)
        if not held:
            return None
        return f"Held for risk review (case {', '.join(f'#{i}' for i in held)})."

    if conn is not None:
        return await run(conn)
    async with unit_of_work() as own:
        return await run(own)
