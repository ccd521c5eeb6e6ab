"""Risk control (RISK-2): rules as data, the review queue, what a case holds, the audit
trail, and where each order came from (device id and IP).

Case states:
    OPEN -> RELEASED   an admin found nothing wrong: held items go back on their normal path
    OPEN -> REJECTED   an admin refused: held items are rejected (money back to its source)
"""

from tortoise import fields
from tortoise.models import Model


class RiskRule(Model):
    """One enabled-or-not rule: a kind (services.risk.rules.KINDS) and its parameters."""

    id = fields.BigIntField(primary_key=True)
    kind = fields.CharField(max_length=32)  # SELF_PURCHASE / DEVICE_CLUSTER / ORDER_VELOCITY / REFUND_AFTER_COMMISSION
    params = fields.JSONField(default=dict)  # validated and completed with defaults per kind
    enabled = fields.BooleanField(default=True)
    description = fields.CharField(max_length=256, default="")
    updated_by_id = fields.BigIntField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "risk_rule"


class RiskCase(Model):
    """A rule hit on one subject user, waiting in (or decided from) the review queue.

    `open_key` is "<rule id>:<subject user id>" while OPEN and null once decided: its unique
    index keeps one open case per rule and subject, so later hits join the open case."""

    id = fields.BigIntField(primary_key=True)
    rule = fields.ForeignKeyField("models.RiskRule", related_name="cases", on_delete=fields.RESTRICT, db_index=True)
    kind = fields.CharField(max_length=32)  # the rule's kind when the case opened
    subject_user_id = fields.BigIntField(db_index=True)
    status = fields.CharField(max_length=16, default="OPEN", db_index=True)  # OPEN -> RELEASED | REJECTED
    open_key = fields.CharField(max_length=48, null=True, unique=True)
    evidence = fields.JSONField(default=dict)  # the hit that opened the case; later hits are RiskHit rows
    hit_count = fields.IntField(default=1)
    decided_by_id = fields.BigIntField(null=True)
    decided_at = fields.DatetimeField(null=True)
    decision_reason = fields.CharField(max_length=256, default="")
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "risk_case"
        indexes = (("subject_user_id", "status"),)


class RiskHit(Model):
    """Every time a rule hit, with its evidence (the first one is also the case's evidence)."""

    id = fields.BigIntField(primary_key=True)
    case = fields.ForeignKeyField("models.RiskCase", related_name="hits", on_delete=fields.CASCADE, db_index=True)
    order_id = fields.BigIntField(null=True)  # the paid / refunded order that triggered it
    evidence = fields.JSONField(default=dict)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "risk_hit"


class RiskHold(Model):
    """One item a case holds: (kind, id), e.g. ("COMMISSION", 12) or ("WITHDRAWAL", 3).

    outcome: HELD while the case is open; RELEASED / REJECTED by its decision; KEPT when the
    case was released but another open case still holds the item."""

    id = fields.BigIntField(primary_key=True)
    case = fields.ForeignKeyField("models.RiskCase", related_name="holds", on_delete=fields.CASCADE)
    subject_kind = fields.CharField(max_length=32)
    subject_id = fields.BigIntField()
    outcome = fields.CharField(max_length=16, default="HELD")
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "risk_hold"
        unique_together = (("case", "subject_kind", "subject_id"),)
        indexes = (("subject_kind", "subject_id"),)


class RiskAudit(Model):
    """Who did what to the risk rules and cases, when, and why."""

    id = fields.BigIntField(primary_key=True)
    actor_id = fields.BigIntField(null=True)
    action = fields.CharField(
        max_length=32
    )  # RULE_CREATED / RULE_UPDATED / RULE_DELETED / CASE_RELEASED / CASE_REJECTED
    rule_id = fields.BigIntField(null=True, db_index=True)
    case_id = fields.BigIntField(null=True, db_index=True)
    reason = fields.CharField(max_length=256, default="")
    before = fields.JSONField(null=True)
    after = fields.JSONField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "risk_audit"


class OrderOrigin(Model):
    """Where an order was placed from: the client's device id header and the request IP."""

    id = fields.BigIntField(primary_key=True)
    order_id = fields.BigIntField(unique=True)
    buyer_id = fields.BigIntField(db_index=True)
    device_id = fields.CharField(max_length=128, default="")  # "" when the client sent none
    ip = fields.CharField(max_length=64, default="")
    created_at = fields.DatetimeField()  # services.core.clock time (the rules' windows use it)

    class Meta:
        table = "risk_order_origin"
        indexes = (("device_id", "created_at"), ("ip", "created_at"))


class RiskSignal(Model):
    """A fact the rules count later, recorded when it happens (e.g. REFUND_AFTER_COMMISSION:
    a line of `user_id`'s order was refunded after its commissions had been booked)."""

    id = fields.BigIntField(primary_key=True)
    kind = fields.CharField(max_length=32)
    user_id = fields.BigIntField()
    order_id = fields.BigIntField(null=True)
    created_at = fields.DatetimeField()  # services.core.clock time (the rules' windows use it)

    class Meta:
        table = "risk_signal"
        indexes = (("kind", "user_id", "created_at"),)
