"""Withdrawals (FIN-3): a user's 零钱 (WALLET) or a merchant's settled funds
(MERCHANT_SETTLED), frozen on request, reviewed, paid out through a payout channel
(services/finance/payouts.py).

States (one transition table, `WITHDRAWAL_STATES`; each transition is one conditional UPDATE
`WHERE status = <from>` (services.core.states), so two admins, or an admin and a callback,
never both win):

    request ──> PENDING_REVIEW ──approve──> APPROVED ──pay──> PAID
         └───> RISK_REVIEW ──risk release──┘   │  └──fail──> FAILED     (funds back)
                    └──risk reject──> REJECTED  └──reject──> REJECTED   (funds back)

Money (services.ledger.ledger, one journal transaction per step, reference WITHDRAWAL/<id>):
  request   WITHDRAWAL_REQUESTED  source -amount, owner FROZEN +amount
            (a conditional UPDATE: never above the available balance, under any concurrency)
  reject    WITHDRAWAL_REJECTED   FROZEN -amount, source +amount
  fail      WITHDRAWAL_FAILED     FROZEN -amount, source +amount
  pay       WITHDRAWAL_PAID       FROZEN -amount, platform FEE_REVENUE +fee, PAYOUT_CLEARING +net
            (idempotency key per withdrawal: never paid twice)
The source is the user's WALLET, or the merchant's MERCHANT_SETTLED.

A request takes an idempotency key (unique per owner: same key + same input returns the
first withdrawal; other input IDEMPOTENCY_KEY_REUSED). Under the owner's ledger rows,
locked in id order, it checks commission debt (a user who owes commission cannot
withdraw; a merchant whose MERCHANT_PENDING is below zero, i.e. owes refunds neither its
pending nor its settled money covered, cannot either: DEBT_OUTSTANDING), the daily count and amount limits (per owner and business day; REJECTED and
FAILED requests do not count), freezes the money and asks risk control
(`risk_hooks.screen_withdrawal`); a hold reason sends it to RISK_REVIEW.

Real name (settings.WITHDRAWAL_REQUIRE_IDENTITY, on by default): the 7 % fee pays for
flexible-employment tax handling, which reports the payee by legal identity, so a USER's
request needs a submitted identity (services.accounts.identity; IDENTITY_REQUIRED otherwise) and the
destination's holder name (bank account holder, or the real name a WeChat payout carries)
must be that verified name, compared after trimming and collapsing inner whitespace
(DESTINATION_NAME_MISMATCH otherwise): paying someone else's account would report income
for a person who did not receive it. Both are checked before anything is written.
Merchants are companies (their settlement account is checked at onboarding): not affected.

Events after commit: `withdrawal_status` on the owner's channel (user:{id} or
merchant:{id}); `REVIEW_QUEUE_CHANGED` on `admin` whenever the number of withdrawals
awaiting review (PENDING_REVIEW) changes.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from dataclasses import asdict
from datetime import date, timedelta

from tortoise.exceptions import IntegrityError

import settings
from models.ledger import LedgerAccount
from models.merchants import Merchant
from models.withdrawals import PayoutNotification, Withdrawal, WithdrawalStatusChange
from services.accounts import identity, review_queues
from services.accounts.access import Grants, require_merchant
from services.core import clock, sensitive
from services.core.errors import DomainError, ErrorCode
from services.core.events import emit, merchant_channel, unit_of_work, user_channel
from services.core.masking import mask_name
from services.core.money import fen_to_decimal_string as yuan
from services.core.states import StateMachine, Transition
from services.finance import payouts
from services.finance.events import WithdrawalStatusChanged
from services.finance.payouts import Destination, PayoutRequest
from services.ledger import ledger
from services.ledger.ledger import MERCHANT, USER, Posting, Purpose
from services.risk import hooks as risk_hooks

log = logging.getLogger(__name__)

RISK_REVIEW = "RISK_REVIEW"
PENDING_REVIEW = "PENDING_REVIEW"
APPROVED = "APPROVED"
PAID = "PAID"
REJECTED = "REJECTED"
FAILED = "FAILED"
STATUSES = (RISK_REVIEW, PENDING_REVIEW, APPROVED, PAID, REJECTED, FAILED)
FINAL = frozenset({PAID, REJECTED, FAILED})
NOT_COUNTED = (REJECTED, FAILED)  # requests that do not use up the daily limits

# The table: each action's source state, target state and the timestamp column it sets.
WITHDRAWAL_STATES = StateMachine(
    "withdrawal",
    {
        "risk_release": Transition(RISK_REVIEW, PENDING_REVIEW),
        "risk_reject": Transition(RISK_REVIEW, REJECTED, stamp="reviewed_at"),
        "approve": Transition(PENDING_REVIEW, APPROVED, stamp="reviewed_at"),
        "reject": Transition(PENDING_REVIEW, REJECTED, stamp="reviewed_at"),
        "pay": Transition(APPROVED, PAID, stamp="paid_at"),
        "fail": Transition(APPROVED, FAILED),
    },
    touch="updated_at",
    field="id",
)

BANK, WECHAT = "BANK", "WECHAT"
REVIEW_QUEUE = "WITHDRAWALS"
_DIGITS = re.compile(r"^[0-9]{8,30}$")
_OPENID = re.compile(r"^[A-Za-z0-9_-]{6,64}$")


# --------------------------------------------------------------------------- pure rules


def compute_fee(amount: int, fee_bp: int | None = None, min_fee: int | None = None) -> int:
    """Service fee: basis points of the amount rounded down, never below the minimum fee."""
    bp = settings.WITHDRAWAL_FEE_BP if fee_bp is None else fee_bp
    floor = settings.WITHDRAWAL_MIN_FEE if min_fee is None else min_fee
    return max(amount * bp // 10_000, floor)


def business_day(now=None) -> date:
    return ((now or clock.now()) + timedelta(hours=settings.BUSINESS_UTC_OFFSET_HOURS)).date()


def check_amount(amount: int) -> int:
    """The fee of a valid amount, or raise."""
    if not isinstance(amount, int) or isinstance(amount, bool) or amount <= 0 or amount > ledger.MAX_AMOUNT:
        raise DomainError(ErrorCode.INVALID_AMOUNT, "The amount must be above zero.", "amount")
    fee = compute_fee(amount)
    if amount < settings.WITHDRAWAL_MIN_AMOUNT or fee >= amount:
        raise DomainError(
            ErrorCode.WITHDRAWAL_BELOW_MINIMUM,
            f"The smallest withdrawal is {yuan(max(settings.WITHDRAWAL_MIN_AMOUNT, settings.WITHDRAWAL_MIN_FEE + 1))} yuan.",
            "amount",
        )
    return fee


def normalise_destination(d: Destination) -> Destination:
    kind = (d.kind or "").strip().upper()
    holder = (d.holder_name or "").strip()
    if not 1 <= len(holder) <= 64:
        raise DomainError(
            ErrorCode.INVALID_DESTINATION,
            "The holder's (real) name is required (1-64 characters).",
            "destination.holderName",
        )
    if kind == BANK:
        bank = (d.bank_name or "").strip()
        if not 1 <= len(bank) <= 64:
            raise DomainError(
                ErrorCode.INVALID_DESTINATION, "The bank's name is required (1-64 characters).", "destination.bankName"
            )
        number = re.sub(r"[\s-]", "", d.account_no or "")
        if not _DIGITS.match(number):
            raise DomainError(
                ErrorCode.INVALID_DESTINATION, "A bank account number is 8 to 30 digits.", "destination.accountNo"
            )
        return Destination(BANK, bank, holder, number)
    if kind == WECHAT:
        openid = (d.account_no or "").strip()
        if not _OPENID.match(openid):
            raise DomainError(
                ErrorCode.INVALID_DESTINATION,
                "A WeChat openid is 6 to 64 letters, digits, _ or -.",
                "destination.accountNo",
            )
        return Destination(WECHAT, "", holder, openid)
    raise DomainError(ErrorCode.INVALID_DESTINATION, "The destination is BANK or WECHAT.", "destination.kind")


def destination_of(w: Withdrawal) -> Destination:
    """Decrypted (for the payout channel only; responses show masks)."""
    return Destination(
        w.destination_kind, w.bank_name, sensitive.decrypt(w.holder_name_cipher), sensitive.decrypt(w.account_no_cipher)
    )


def masked_destination(w: Withdrawal) -> dict:
    d = destination_of(w)
    account = sensitive.mask_bank_account(d.account_no) if d.kind == BANK else sensitive.mask_middle(d.account_no, 3, 3)
    return {"kind": d.kind, "bank_name": d.bank_name, "holder_name": mask_name(d.holder_name), "account": account}


# --------------------------------------------------------------------------- helpers


def _owner_channel(w: Withdrawal) -> str:
    return user_channel(w.owner_id) if w.owner_type == USER else merchant_channel(w.owner_id)


def _source_purpose(owner_type: str) -> str:
    return Purpose.WALLET if owner_type == USER else Purpose.MERCHANT_SETTLED


async def _accounts(owner_type: str, owner_id: int, currency: str) -> dict[str, int]:
    purposes = [_source_purpose(owner_type), Purpose.FROZEN] + (
        [Purpose.COMMISSION_DEBT] if owner_type == USER else [Purpose.MERCHANT_PENDING]
    )
    keys = [(owner_type, owner_id, p, currency) for p in purposes]
    ids = await ledger.account_ids(keys)
    return {p: ids[k] for p, k in zip(purposes, keys)}


async def _apply(
    w: Withdrawal, action: str, conn, *, actor_id: int | None = None, reason: str = "", **changes
) -> Withdrawal:
    """Apply `action` by a conditional UPDATE inside the caller's unit of work, record it and
    announce it, or raise INVALID_TRANSITION (nothing changed)."""
    from_status = await WITHDRAWAL_STATES.apply(w, action, conn=conn, **changes)
    await WithdrawalStatusChange.create(
        withdrawal_id=w.id,
        from_status=from_status,
        to_status=w.status,
        actor_id=actor_id,
        reason=reason[:256],
        using_db=conn,
    )
    w = await Withdrawal.get(id=w.id).using_db(conn)
    _announce(w, from_status)
    return w


def _announce(w: Withdrawal, from_status: str) -> None:
    emit(_owner_channel(w), WithdrawalStatusChanged(w.id, from_status, w.status))
    if (from_status == PENDING_REVIEW) != (w.status == PENDING_REVIEW):
        review_queues.changed(REVIEW_QUEUE)


async def _return_funds(w: Withdrawal, kind: str, actor_id: int | None, memo: str = "") -> None:
    ids = await _accounts(w.owner_type, w.owner_id, w.currency)
    await ledger.post(
        kind,
        [Posting(ids[Purpose.FROZEN], -w.amount), Posting(ids[_source_purpose(w.owner_type)], w.amount)],
        idempotency_key=f"withdrawal:{w.id}:returned",
        reference_type="WITHDRAWAL",
        reference_id=str(w.id),
        memo=memo,
        actor_id=actor_id,
    )


async def _pay_out(w: Withdrawal, actor_id: int | None, memo: str) -> None:
    ids = await _accounts(w.owner_type, w.owner_id, w.currency)
    fee_revenue = await ledger.platform_account(Purpose.FEE_REVENUE, w.currency)
    clearing = await ledger.platform_account(Purpose.PAYOUT_CLEARING, w.currency)
    postings = [Posting(ids[Purpose.FROZEN], -w.amount), Posting(clearing.id, w.net)]
    if w.fee:
        postings.append(Posting(fee_revenue.id, w.fee))
    await ledger.post(
        "WITHDRAWAL_PAID",
        postings,
        idempotency_key=f"withdrawal:{w.id}:paid",
        reference_type="WITHDRAWAL",
        reference_id=str(w.id),
        memo=memo,
        actor_id=actor_id,
    )


async def _require_finance(grants: Grants, merchant_id: int) -> None:
    if not await Merchant.exists(id=merchant_id):
        raise DomainError(ErrorCode.NOT_FOUND, "No such merchant.", "merchantId")
    require_merchant(grants, merchant_id, "merchant.finance")


def _require_manager(grants: Grants) -> None:
    if not grants.has("withdrawal.manage"):
        raise DomainError(ErrorCode.FORBIDDEN, "This needs the withdrawal.manage permission.")


async def _get(withdrawal_id: int) -> Withdrawal:
    w = await Withdrawal.get_or_none(id=withdrawal_id)
    if w is None:
        raise DomainError(ErrorCode.NOT_FOUND, "No such withdrawal.", "id")
    return w


def _reason(reason: str, field: str = "reason") -> str:
    reason = (reason or "").strip()
    if not 1 <= len(reason) <= 256:
        raise DomainError(ErrorCode.INVALID_INPUT, "A reason of 1 to 256 characters is required.", field)
    return reason


# --------------------------------------------------------------------------- request


async def request(
    actor_id: int,
    owner_type: str,
    owner_id: int,
    amount: int,
    destination: Destination,
    idempotency_key: str,
) -> Withdrawal:
    """Freeze `amount` of the owner's balance for a withdrawal (see the module's docstring).
    Callers check who may act for the owner (request_for_user / request_for_merchant)."""
    key = (idempotency_key or "").strip()
    if not 1 <= len(key) <= 128:
        raise DomainError(
            ErrorCode.INVALID_INPUT, "An idempotency key of 1 to 128 characters is required.", "idempotencyKey"
        )
    fee = check_amount(amount)
    dest = normalise_destination(destination)
    request_hash = hashlib.sha256(
        json.dumps([owner_type, owner_id, amount, asdict(dest)], sort_keys=True).encode()
    ).hexdigest()
    existing = await Withdrawal.get_or_none(owner_type=owner_type, owner_id=owner_id, idempotency_key=key)
    if existing is not None:
        return _replayed(existing, request_hash)
    if owner_type == USER:
        await check_payee_identity(owner_id, dest)
    currency = settings.CURRENCY
    ids = await _accounts(owner_type, owner_id, currency)  # created outside the transaction if missing
    try:
        async with unit_of_work() as conn:
            w = await Withdrawal.create(
                owner_type=owner_type,
                owner_id=owner_id,
                requested_by_id=actor_id,
                amount=amount,
                fee=fee,
                net=amount - fee,
                currency=currency,
                status=PENDING_REVIEW,
                idempotency_key=key,
                request_hash=request_hash,
                business_day=business_day(),
                destination_kind=dest.kind,
                bank_name=dest.bank_name,
                holder_name_cipher=sensitive.encrypt(dest.holder_name),
                account_no_cipher=sensitive.encrypt(dest.account_no),
                account_no_hash=sensitive.blind_index(dest.account_no),
                using_db=conn,
            )
            await ledger.lock_accounts(conn, list(ids.values()))
            if owner_type == USER:
                debt = (
                    await LedgerAccount.filter(id=ids[Purpose.COMMISSION_DEBT])
                    .using_db(conn)
                    .values_list("balance", flat=True)
                )
                if debt and debt[0] < 0:
                    raise DomainError(
                        ErrorCode.DEBT_OUTSTANDING,
                        f"You owe {-debt[0]} fen of commission taken back by refunds; it is repaid from your next "
                        "commissions before you can withdraw.",
                        "amount",
                    )
            else:
                owed = (
                    await LedgerAccount.filter(id=ids[Purpose.MERCHANT_PENDING])
                    .using_db(conn)
                    .values_list("balance", flat=True)
                )
                if owed and owed[0] < 0:  # a refund neither pending nor settled covered (services.orders.payments)
                    raise DomainError(
                        ErrorCode.DEBT_OUTSTANDING,
                        f"The merchant owes {-owed[0]} fen of refunds; it is netted by the next settlement "
                        "statement before the merchant can withdraw.",
                        "amount",
                    )
            await _check_daily_limits(conn, w)
            await ledger.post(
                "WITHDRAWAL_REQUESTED",
                [Posting(ids[_source_purpose(owner_type)], -amount), Posting(ids[Purpose.FROZEN], amount)],
                idempotency_key=f"withdrawal:{w.id}:frozen",
                reference_type="WITHDRAWAL",
                reference_id=str(w.id),
                actor_id=actor_id,
            )
            hold = await risk_hooks.screen_withdrawal(actor_id, w.id, amount, conn)
            status = PENDING_REVIEW
            if hold:
                status = RISK_REVIEW
                await Withdrawal.filter(id=w.id).using_db(conn).update(status=RISK_REVIEW, risk_reason=str(hold)[:256])
            await WithdrawalStatusChange.create(
                withdrawal_id=w.id,
                from_status="",
                to_status=status,
                actor_id=actor_id,
                reason=str(hold or "")[:256],
                using_db=conn,
            )
            w = await Withdrawal.get(id=w.id).using_db(conn)
            _announce(w, "")
    except IntegrityError:
        # the same key committed meanwhile (a concurrent retry): answer as a replay
        existing = await Withdrawal.get_or_none(owner_type=owner_type, owner_id=owner_id, idempotency_key=key)
        if existing is None:
            raise
        return _replayed(existing, request_hash)
    return w


def _same_name(a: str, b: str) -> bool:
    return " ".join((a or "").split()) == " ".join((b or "").split())


async def check_payee_identity(user_id: int, dest: Destination) -> None:
    """When settings.WITHDRAWAL_REQUIRE_IDENTITY: the user's verified identity exists
    (IDENTITY_REQUIRED) and the destination's holder is that person (DESTINATION_NAME_MISMATCH).
    Reads only; raises before the request writes anything."""
    if not settings.WITHDRAWAL_REQUIRE_IDENTITY:
        return
    verified = await identity.require_identity(user_id)
    if not _same_name(dest.holder_name, verified.real_name):
        field = "destination.holderName"
        what = "account holder" if dest.kind == BANK else "real name on this WeChat account"
        raise DomainError(
            ErrorCode.DESTINATION_NAME_MISMATCH,
            f"The {what} must be your verified real name; withdrawals are paid only to your own account.",
            field,
        )


def _replayed(existing: Withdrawal, request_hash: str) -> Withdrawal:
    if existing.request_hash != request_hash:
        raise DomainError(
            ErrorCode.IDEMPOTENCY_KEY_REUSED,
            "This idempotency key was already used for a different withdrawal.",
            "idempotencyKey",
        )
    return existing


async def _check_daily_limits(conn, w: Withdrawal) -> None:
    rows = await (
        Withdrawal.filter(owner_type=w.owner_type, owner_id=w.owner_id, business_day=w.business_day)
        .exclude(id=w.id)
        .exclude(status__in=NOT_COUNTED)
        .using_db(conn)
        .values_list("amount", flat=True)
    )
    if len(rows) + 1 > settings.WITHDRAWAL_DAILY_COUNT:
        raise DomainError(
            ErrorCode.WITHDRAWAL_DAILY_COUNT_EXCEEDED,
            f"At most {settings.WITHDRAWAL_DAILY_COUNT} withdrawals a day.",
            "amount",
        )
    if sum(rows) + w.amount > settings.WITHDRAWAL_DAILY_AMOUNT:
        raise DomainError(
            ErrorCode.WITHDRAWAL_DAILY_AMOUNT_EXCEEDED,
            f"At most {yuan(settings.WITHDRAWAL_DAILY_AMOUNT)} yuan a day; {yuan(settings.WITHDRAWAL_DAILY_AMOUNT - sum(rows))} left today.",
            "amount",
        )


async def request_for_user(user_id: int, amount: int, destination: Destination, idempotency_key: str) -> Withdrawal:
    return await request(user_id, USER, user_id, amount, destination, idempotency_key)


async def request_for_merchant(
    grants: Grants, actor_id: int, merchant_id: int, amount: int, destination: Destination, idempotency_key: str
) -> Withdrawal:
    await _require_finance(grants, merchant_id)
    return await request(actor_id, MERCHANT, merchant_id, amount, destination, idempotency_key)


# --------------------------------------------------------------------------- review


async def approve(grants: Grants, actor_id: int, withdrawal_id: int, channel: str | None = None) -> Withdrawal:
    """PENDING_REVIEW -> APPROVED, handed to the payout channel after the commit (the worker
    retries a hand-over that failed)."""
    _require_manager(grants)
    chosen = payouts.channel(channel)
    w = await _get(withdrawal_id)
    async with unit_of_work() as conn:
        w = await _apply(
            w,
            "approve",
            conn,
            actor_id=actor_id,
            channel=chosen.code,
            payout_no=f"WD{w.id:012d}",
            reviewed_by_id=actor_id,
        )
    await submit(w)
    return await Withdrawal.get(id=w.id)


async def submit(w: Withdrawal) -> bool:
    """Hand an APPROVED withdrawal to its channel (idempotent per payout number)."""
    try:
        result = await payouts.channel(w.channel).submit(
            PayoutRequest(payout_no=w.payout_no, amount=w.net, currency=w.currency, destination=destination_of(w))
        )
    except Exception:  # the channel is down: the worker tries again
        log.exception("payout hand-over of withdrawal %s failed", w.id)
        return False
    changes = {"submitted_at": clock.now()}
    if result.reference:
        changes["channel_reference"] = result.reference[:128]
    await Withdrawal.filter(id=w.id, submitted_at=None).update(**changes)
    return True


async def submit_due(limit: int = 100) -> int:
    """Worker: approved withdrawals not yet handed to their channel."""
    rows = await Withdrawal.filter(status=APPROVED, submitted_at=None).order_by("id").limit(limit)
    return sum([await submit(w) for w in rows])


async def reject(grants: Grants, actor_id: int, withdrawal_id: int, reason: str) -> Withdrawal:
    """PENDING_REVIEW -> REJECTED; the money goes back to the owner's available balance."""
    _require_manager(grants)
    reason = _reason(reason)
    w = await _get(withdrawal_id)
    async with unit_of_work() as conn:
        w = await _apply(
            w,
            "reject",
            conn,
            actor_id=actor_id,
            reason=reason,
            reject_reason=reason,
            reviewed_by_id=actor_id,
        )
        await _return_funds(w, "WITHDRAWAL_REJECTED", actor_id, reason)
    return w


async def mark_paid(grants: Grants, actor_id: int, withdrawal_id: int, transfer_reference: str) -> Withdrawal:
    """A manual-channel payout was transferred: record its reference, APPROVED -> PAID."""
    _require_manager(grants)
    reference = (transfer_reference or "").strip()
    if not 1 <= len(reference) <= 128:
        raise DomainError(
            ErrorCode.INVALID_INPUT, "The transfer reference is 1 to 128 characters.", "transferReference"
        )
    w = await _manual(withdrawal_id)
    async with unit_of_work() as conn:
        w = await _apply(w, "pay", conn, actor_id=actor_id, reason=reference, channel_reference=reference)
        await _pay_out(w, actor_id, reference)
    return w


async def mark_failed(grants: Grants, actor_id: int, withdrawal_id: int, reason: str) -> Withdrawal:
    """A manual-channel transfer could not be made: APPROVED -> FAILED, money back."""
    _require_manager(grants)
    reason = _reason(reason)
    w = await _manual(withdrawal_id)
    async with unit_of_work() as conn:
        w = await _apply(w, "fail", conn, actor_id=actor_id, reason=reason, failure_reason=reason)
        await _return_funds(w, "WITHDRAWAL_FAILED", actor_id, reason)
    return w


async def _manual(withdrawal_id: int) -> Withdrawal:
    w = await _get(withdrawal_id)
    if w.channel and not payouts.channel(w.channel).manual:
        raise DomainError(
            ErrorCode.INVALID_TRANSITION, f"This withdrawal is paid through {w.channel}; its callback settles it.", "id"
        )
    return w


# --------------------------------------------------------------------------- channel callbacks


async def handle_callback(channel_code: str, headers: dict[str, str], body: bytes) -> str:
    """A payout channel reports a result. Verified (signature, freshness, amount), recorded
    once per notify id (a repeat answers the first outcome); success pays, failure returns
    the money; a result for a withdrawal already final changes nothing (IGNORED)."""
    try:
        chosen = payouts.channel(channel_code)
    except DomainError:
        raise DomainError(ErrorCode.CALLBACK_INVALID, "Unknown payout channel.") from None
    notice = chosen.verify_callback(headers, body)
    recorded = await PayoutNotification.get_or_none(channel=chosen.code, notify_id=notice.notify_id)
    if recorded is not None:
        return recorded.outcome
    w = await Withdrawal.get_or_none(payout_no=notice.payout_no, channel=chosen.code)
    if w is None:
        raise DomainError(ErrorCode.CALLBACK_INVALID, "Unknown payout.")
    if notice.amount != w.net:
        raise DomainError(
            ErrorCode.CALLBACK_AMOUNT_MISMATCH, f"The callback says {notice.amount} fen; the payout is {w.net}."
        )
    try:
        async with unit_of_work() as conn:
            # first: a concurrent repeat blocks on this unique row, then replays
            row = await PayoutNotification.create(
                channel=chosen.code,
                notify_id=notice.notify_id,
                payout_no=notice.payout_no,
                succeeded=notice.succeeded,
                amount=notice.amount,
                outcome="IGNORED",
                using_db=conn,
            )
            changes = {} if notice.succeeded else {"failure_reason": notice.reason or "payout failed"}
            if notice.reference:
                changes["channel_reference"] = notice.reference[:128]
            try:
                w = await _apply(
                    w,
                    "pay" if notice.succeeded else "fail",
                    conn,
                    reason=f"{chosen.code} {notice.notify_id}",
                    **changes,
                )
            except DomainError:  # no longer APPROVED (already final): the result changes nothing
                current = await Withdrawal.filter(id=w.id).using_db(conn).values_list("status", flat=True)
                log.warning(
                    "payout callback %s for withdrawal %s ignored: it is %s", notice.notify_id, w.id, current[0]
                )
            else:
                if notice.succeeded:
                    await _pay_out(w, None, notice.reference)
                else:
                    await _return_funds(w, "WITHDRAWAL_FAILED", None, notice.reason)
                row.outcome = w.status
                await row.save(using_db=conn, update_fields=["outcome"])
    except IntegrityError:
        recorded = await PayoutNotification.get(channel=chosen.code, notify_id=notice.notify_id)
    else:
        recorded = row
    return recorded.outcome


async def sandbox_result(grants: Grants, withdrawal_id: int, succeeded: bool, reason: str = "") -> Withdrawal:
    """Development: play the bank of a SANDBOX payout; its signed callback is delivered
    in-process (the real path is POST /payouts/notify/sandbox)."""
    _require_manager(grants)
    w = await _get(withdrawal_id)
    if w.channel != payouts.SandboxChannel.code or not w.payout_no:
        raise DomainError(
            ErrorCode.PAYOUT_CHANNEL_UNAVAILABLE, "Only an approved SANDBOX payout has a sandbox result.", "id"
        )
    sandbox = payouts.channel("sandbox")
    if w.submitted_at is None:
        await submit(w)
    signed = await sandbox.simulate_result(w.payout_no, succeeded, (reason or "").strip()[:256] or "sandbox failure")
    await handle_callback("sandbox", signed.headers, signed.body)
    return await Withdrawal.get(id=w.id)


# --------------------------------------------------------------------------- risk review (services/risk_hooks)


async def release_held(withdrawal_id: int, actor_id: int | None, reason: str, conn=None) -> None:
    w = await _get(withdrawal_id)
    async with unit_of_work() as c:
        await _apply(w, "risk_release", c, actor_id=actor_id, reason=reason or "released by risk review")


async def reject_accounts(withdrawal_ids: list[int]) -> list[int]:
    """The ledger accounts rejecting these withdrawals moves money between (their owners'),
    for a caller that locks them first."""
    found: list[int] = []
    for owner_type, owner_id, currency in set(
        await Withdrawal.filter(id__in=withdrawal_ids).values_list("owner_type", "owner_id", "currency")
    ):
        found += (await _accounts(owner_type, owner_id, currency)).values()
    return found


async def reject_held(withdrawal_id: int, actor_id: int | None, reason: str, conn=None) -> None:
    w = await _get(withdrawal_id)
    reason = (reason or "rejected by risk review").strip()[:256]
    async with unit_of_work() as c:
        w = await _apply(
            w,
            "risk_reject",
            c,
            actor_id=actor_id,
            reason=reason,
            reject_reason=reason,
            reviewed_by_id=actor_id,
        )
        await _return_funds(w, "WITHDRAWAL_REJECTED", actor_id, reason)


# --------------------------------------------------------------------------- reading


def owned(owner_type: str, owner_id: int, status: str | None = None):
    qs = Withdrawal.filter(owner_type=owner_type, owner_id=owner_id)
    return qs.filter(status=status) if status else qs


async def for_merchant(grants: Grants, merchant_id: int, status: str | None = None):
    await _require_finance(grants, merchant_id)
    return owned(MERCHANT, merchant_id, status)


def all_withdrawals(grants: Grants, status: str | None = None):
    _require_manager(grants)
    qs = Withdrawal.all()
    return qs.filter(status=status) if status else qs


async def mine(user_id: int, withdrawal_id: int) -> Withdrawal:
    w = await Withdrawal.get_or_none(id=withdrawal_id, owner_type=USER, owner_id=user_id)
    if w is None:
        raise DomainError(ErrorCode.NOT_FOUND, "No such withdrawal.", "id")
    return w


async def pending_review_count() -> int:
    """Withdrawals awaiting an admin's review (PENDING_REVIEW; risk holds are risk control's queue)."""
    return await Withdrawal.filter(status=PENDING_REVIEW).count()


# Its admin review queue; wiring.py registers it.
REVIEW = review_queues.ReviewQueue(
    REVIEW_QUEUE, "withdrawal.manage", "Withdrawals awaiting approval.", pending_review_count
)


async def merchant_funds(grants: Grants, merchant_id: int) -> tuple[int, int]:
    """(settled and withdrawable, frozen in withdrawals) of a merchant."""
    await _require_finance(grants, merchant_id)
    rows = dict(
        await LedgerAccount.filter(
            owner_type=MERCHANT, owner_id=merchant_id, purpose__in=[Purpose.MERCHANT_SETTLED, Purpose.FROZEN]
        ).values_list("purpose", "balance")
    )
    return rows.get(Purpose.MERCHANT_SETTLED, 0), rows.get(Purpose.FROZEN, 0)
