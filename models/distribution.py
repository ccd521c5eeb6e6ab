"""Three-level distribution (三级分销, DIS-1..4): the platform's commission settings, their
audit trail, and one `Commission` per (order line, beneficiary, level).

Commission states:
    PENDING (frozen) -> AVAILABLE   the order completed and the freeze period passed (worker)
    PENDING -> REVERSED             every unit of the line refunded
    AVAILABLE -> REVERSED           every unit refunded after release (taken back from the wallet)
    PENDING -> REJECTED             refused by risk review (admin)
    PENDING -> HELD                 a risk rule hit (services.risk.control): the release job skips it
    HELD -> PENDING                 risk review released it (released when due, as before)
    HELD -> REJECTED | REVERSED     risk review rejected it / every unit refunded meanwhile
A partial refund keeps the state and grows `reversed_amount`.

Kinds (`Commission.kind`): DISTRIBUTION (the upline chain, level 1..3), AGENT (regional
agents, MEM-2: level 1 province, 2 city, 3 county), STORE_SHARE (the franchisee of the
buyer's store, MEM-3, level 1) and STORE_PICKUP (the franchisee of the store that handed
the goods over, level 1). All kinds share the states and the money path.
"""

from tortoise import fields
from tortoise.models import Model

from models.audit import SettingsChange


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


class DistributionConfigChange(SettingsChange):
    """Audit trail of the distribution settings: who changed them, from what, to what."""

    class Meta:
        table = "distribution_config_change"


class Commission(Model):
    """What one beneficiary earns at one level on one order line (of one kind)."""

    id = fields.BigIntField(primary_key=True)
    order = fields.ForeignKeyField("models.Order", related_name="commissions", on_delete=fields.RESTRICT, db_index=True)
    line = fields.ForeignKeyField("models.OrderLine", related_name="commissions", on_delete=fields.RESTRICT)
    buyer = fields.ForeignKeyField(
        "models.User", related_name="commissions_generated", on_delete=fields.RESTRICT, db_index=True
    )
    beneficiary = fields.ForeignKeyField("models.User", related_name="commissions", on_delete=fields.RESTRICT)
    # DISTRIBUTION / AGENT / STORE_SHARE / STORE_PICKUP (see the module doc)
    # db_default: the column is added to existing rows by the migration (they are all DISTRIBUTION)
    kind = fields.CharField(max_length=16, default="DISTRIBUTION", db_default="DISTRIBUTION")
    level = fields.IntField()  # 1..3 (AGENT: 1 province, 2 city, 3 county; store kinds: 1)
    base = fields.BigIntField()  # the line's paid goods amount when booked (fen, shipping excluded)
    amount = fields.BigIntField()  # fen booked
    reversed_amount = fields.BigIntField(default=0)  # fen taken back by refunds (or the rejection)
    debt_amount = fields.BigIntField(default=0)  # part of a reversal the wallet could not cover: recorded as debt
    # Who pays: MERCHANT (the order's merchant, from its pending account) or PLATFORM (promotion budget)
    funded_by = fields.CharField(max_length=16)
    merchant_id = fields.BigIntField()  # the order's merchant (MERCHANT funding is taken from / returned to it)
    # Units of the line already refunded when this was booked (a pickup reward may be booked
    # after a partial refund): the reversal shares the remaining units only. 0 at payment.
    booked_refunded_quantity = fields.IntField(default=0, db_default=0)
    region_code = fields.CharField(max_length=12, default="", db_default="")  # AGENT: the agent's region
    store_id = fields.BigIntField(null=True)  # STORE_SHARE / STORE_PICKUP: the store earning it
    # PENDING -> AVAILABLE | REVERSED | REJECTED | HELD; HELD -> PENDING | REVERSED | REJECTED; AVAILABLE -> REVERSED
    status = fields.CharField(max_length=16, default="PENDING", db_index=True)
    reject_reason = fields.CharField(max_length=256, default="")
    rejected_by_id = fields.BigIntField(null=True)
    available_at = fields.DatetimeField(null=True)  # when it became available in the wallet
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "commission"
        unique_together = (("line", "beneficiary", "level", "kind"),)
        indexes = (
            ("beneficiary_id", "status"),
            ("status", "order_id"),
            ("created_at", "beneficiary_id"),
        )  # leaderboard by period (services.distribution.leaderboard)
