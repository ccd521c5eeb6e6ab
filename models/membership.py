"""Paid partner membership (MEM-1): each user's membership, the periods bought (one per
paid membership order line), and the admin settings with their audit trail."""

from tortoise import fields
from tortoise.models import Model

from models.audit import SettingsChange


class Membership(Model):
    """A user's membership: valid while status is ACTIVE and expires_at is in the future.
    ACTIVE -> EXPIRED (worker, after expires_at) | CANCELLED (refunded before the end)."""

    id = fields.BigIntField(primary_key=True)
    user = fields.OneToOneField("models.User", related_name="membership", on_delete=fields.CASCADE)
    status = fields.CharField(max_length=16, default="ACTIVE", db_index=True)
    started_at = fields.DatetimeField()
    expires_at = fields.DatetimeField(db_index=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "membership"


class MembershipPeriod(Model):
    """Days added by one paid membership order line (and taken back by its refunds)."""

    id = fields.BigIntField(primary_key=True)
    user = fields.ForeignKeyField("models.User", related_name="membership_periods", on_delete=fields.CASCADE)
    line_id = fields.BigIntField(unique=True)  # the order line: paying twice never adds twice
    days = fields.IntField()  # days added (duration x quantity)
    refunded_days = fields.IntField(default=0)
    starts_at = fields.DatetimeField()
    ends_at = fields.DatetimeField()
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "membership_period"
        indexes = (("user_id", "id"),)


class MembershipConfig(Model):
    """The membership settings (one row, id 1, the defaults from settings until first saved),
    with the compliance switches of RISK-1 for recruitment fees."""

    id = fields.BigIntField(primary_key=True)
    price = fields.BigIntField()  # fen per period
    days = fields.IntField()  # one period
    referral_reward = fields.BigIntField(default=0)  # fen to the direct upline per member sign-up; 0 = off
    gift_pack_commission = fields.BooleanField(default=False)  # gift-pack lines in the commission base
    updated_by_id = fields.BigIntField(null=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "membership_config"


class MembershipConfigChange(SettingsChange):
    """Audit trail of the membership settings."""

    class Meta:
        table = "membership_config_change"
