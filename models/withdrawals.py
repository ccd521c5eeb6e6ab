"""Withdrawals (FIN-3): a user's wallet (WALLET) or a merchant's settled funds
(MERCHANT_SETTLED) paid out to a bank account or WeChat, after review.

States and transitions live in services/finance/withdrawals.py (WITHDRAWAL_STATES). Destination details
are encrypted at rest (services/core/sensitive.py): columns `<x>_cipher` hold Fernet tokens
(re-encrypted by the key-rotation command), `<x>_hash` the blind index for lookups (the
same account number used by several owners, for risk control).
"""

from tortoise import fields
from tortoise.models import Model


class Withdrawal(Model):
    id = fields.BigIntField(primary_key=True)
    owner_type = fields.CharField(max_length=16)  # USER / MERCHANT (ledger owner types)
    owner_id = fields.BigIntField()
    requested_by_id = fields.BigIntField()  # the user who asked (the owner, or merchant finance staff)
    amount = fields.BigIntField()  # fen frozen and taken from the owner's balance
    fee = fields.BigIntField()  # fen kept by the platform (FEE_REVENUE)
    net = fields.BigIntField()  # fen paid out: amount - fee
    currency = fields.CharField(max_length=8, default="CNY")
    status = fields.CharField(max_length=16, db_index=True)
    idempotency_key = fields.CharField(max_length=128)
    request_hash = fields.CharField(max_length=64)
    business_day = fields.DateField()  # the day the request counts against (daily limits)
    # destination: BANK (bank name, holder, account number) or WECHAT (openid, real name)
    destination_kind = fields.CharField(max_length=16)
    bank_name = fields.CharField(max_length=64, default="")
    holder_name_cipher = fields.TextField(default="")
    account_no_cipher = fields.TextField(default="")
    account_no_hash = fields.CharField(max_length=64, default="", db_index=True)
    # risk control
    risk_reason = fields.CharField(max_length=256, default="")
    # review and payout
    channel = fields.CharField(max_length=32, default="")  # payout channel code once approved
    payout_no = fields.CharField(max_length=40, null=True, unique=True)  # our id sent to the channel
    channel_reference = fields.CharField(max_length=128, default="")  # transfer reference / channel trade no
    submitted_at = fields.DatetimeField(null=True)  # handed to the channel (null: the worker retries)
    reviewed_by_id = fields.BigIntField(null=True)
    reviewed_at = fields.DatetimeField(null=True)
    reject_reason = fields.CharField(max_length=256, default="")
    failure_reason = fields.CharField(max_length=256, default="")
    paid_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "withdrawal"
        unique_together = (("owner_type", "owner_id", "idempotency_key"),)
        indexes = (("owner_type", "owner_id", "business_day"),)


class WithdrawalStatusChange(Model):
    """Audit trail: every transition, who made it and why."""

    id = fields.BigIntField(primary_key=True)
    withdrawal = fields.ForeignKeyField(
        "models.Withdrawal", related_name="changes", on_delete=fields.RESTRICT, db_index=True
    )
    from_status = fields.CharField(max_length=16)
    to_status = fields.CharField(max_length=16)
    actor_id = fields.BigIntField(null=True)
    reason = fields.CharField(max_length=256, default="")
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "withdrawal_status_change"


class PayoutNotification(Model):
    """A payout channel's result callback, recorded once per notify id: repeats answer the
    first outcome."""

    id = fields.BigIntField(primary_key=True)
    channel = fields.CharField(max_length=32)
    notify_id = fields.CharField(max_length=64)
    payout_no = fields.CharField(max_length=40)
    succeeded = fields.BooleanField()
    amount = fields.BigIntField()
    outcome = fields.CharField(max_length=32)  # PAID, FAILED, IGNORED (the withdrawal was already final)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "payout_notification"
        unique_together = (("channel", "notify_id"),)


class SandboxPayout(Model):
    """The sandbox payout channel's own record of a transfer (stands for the bank's side)."""

    id = fields.BigIntField(primary_key=True)
    payout_no = fields.CharField(max_length=40, unique=True)
    trade_no = fields.CharField(max_length=40, unique=True)
    amount = fields.BigIntField()
    status = fields.CharField(max_length=16, default="PROCESSING")  # PROCESSING / SUCCESS / FAIL
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "sandbox_payout"
