"""Three-level distribution (三级分销, DIS-1..4): the platform's commission settings, their
audit trail, and one `Commission` per (order line, beneficiary, level).

Commission states:
    PENDING (frozen) -> AVAILABLE   the order completed and the freeze period passed (worker)
    PENDING -> REVERSED             every unit of the line refunded
    AVAILABLE -> REVERSED           every unit refunded after release (taken back from the wallet)
    PENDING -> REJECTED             refused by risk review (admin)
    PENDING -> HELD                 a risk rule hit (services.risk): the release job skips it
    HELD -> PENDING                 risk review released it (released when due, as before)
    HELD -> REJECTED | REVERSED     risk review rejected it / every unit refunded meanwhile
A partial refund keeps the state and grows `reversed_amount`.
"""

from tortoise import fields
from tortoise.models import Model


class DistributionConfig(Model):
    """The platform's distribution settings: one row (id 1), saved by an admin.

    Until the first save the defaults from settings (DISTRIBUTION_*) are in force."""

    id = fields.BigIntField(primary_key=True)
    levels = fields.IntField(default=3)  # 1..3 (RISK-1)
    rules = fields.JSONField(default=list)  # [{"kind": "FIXED"|"PERCENT", "value": int}], level 1 first
    grade_rules = fields.JSONField(default=dict)  # {"V2": {"1": {"kind": ..., "value": ...}}}
    self_purchase = fields.BooleanField(default=False)
    freeze_days = fields.IntField(default=7)
    updated_by_id = fields.BigIntField(null=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "distribution_config"


class DistributionConfigChange(Model):
    """Audit trail of the distribution settings: who changed them, from what, to what."""

    id = fields.BigIntField(primary_key=True)
    actor_id = fields.BigIntField(null=True)
    before = fields.JSONField(default=dict)
    after = fields.JSONField(default=dict)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "distribution_config_change"


class Commission(Model):
    """What one beneficiary earns at one level on one order line."""

    id = fields.BigIntField(primary_key=True)
    order = fields.ForeignKeyField("models.Order", related_name="commissions", on_delete=fields.RESTRICT)
    line = fields.ForeignKeyField("models.OrderLine", related_name="commissions", on_delete=fields.RESTRICT)
    buyer = fields.ForeignKeyField("models.User", related_name="commissions_generated", on_delete=fields.RESTRICT)
    beneficiary = fields.ForeignKeyField("models.User", related_name="commissions", on_delete=fields.RESTRICT)
    level = fields.IntField()  # 1..3
    base = fields.BigIntField()  # the line's paid goods amount when booked (fen, shipping excluded)
    amount = fields.BigIntField()  # fen booked
    reversed_amount = fields.BigIntField(default=0)  # fen taken back by refunds (or the rejection)
    debt_amount = fields.BigIntField(default=0)  # part of a reversal the wallet could not cover: recorded as debt
    # Who pays: MERCHANT (the order's merchant, from its pending account) or PLATFORM (promotion budget)
    funded_by = fields.CharField(max_length=16)
    merchant_id = fields.BigIntField()  # the order's merchant (MERCHANT funding is taken from / returned to it)
    # PENDING -> AVAILABLE | REVERSED | REJECTED | HELD; HELD -> PENDING | REVERSED | REJECTED; AVAILABLE -> REVERSED
    status = fields.CharField(max_length=16, default="PENDING", db_index=True)
    reject_reason = fields.CharField(max_length=256, default="")
    rejected_by_id = fields.BigIntField(null=True)
    available_at = fields.DatetimeField(null=True)  # when it became available in the wallet
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "commission"
        unique_together = (("line", "beneficiary", "level"),)
        indexes = (("beneficiary_id", "status"), ("status", "order_id"),
                   ("created_at", "beneficiary_id"))  # leaderboard by period (services.leaderboard)
