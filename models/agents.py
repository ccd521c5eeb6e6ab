"""Regional agents (区域代理, MEM-2) and franchise stores (加盟门店, MEM-3).

What they earn is booked as `Commission` rows (models.distribution) of kind AGENT,
STORE_SHARE or STORE_PICKUP by the commission engine (services.distribution.commissions), so booking,
pro-rata reversal, release, rejection and the live events are the distribution's own.
"""

from tortoise import fields
from tortoise.models import Model

from models.audit import SettingsChange


class AgentAssignment(Model):
    """A user appointed agent of one region at one level (1 province, 2 city, 3 county).

    Rows are never deleted: an ended assignment keeps who appointed and who ended it (the
    audit trail). `active_region` equals `region_code` while the assignment runs and is NULL
    once ended; its unique index keeps at most one running agent per region (a region code
    names its level), whatever the database."""

    id = fields.BigIntField(primary_key=True)
    user = fields.ForeignKeyField("models.User", related_name="agent_assignments", on_delete=fields.RESTRICT)
    level = fields.IntField()  # 1 province, 2 city, 3 county
    region_code = fields.CharField(max_length=12, db_index=True)
    active_region = fields.CharField(max_length=12, null=True, unique=True)
    assigned_by_id = fields.BigIntField(null=True)
    assigned_at = fields.DatetimeField(auto_now_add=True)
    ended_at = fields.DatetimeField(null=True)
    ended_by_id = fields.BigIntField(null=True)

    class Meta:
        table = "agent_assignment"
        indexes = (("user_id", "ended_at"),)


class StoreFranchise(Model):
    """The franchisee of a store: the user who earns the store's share and pickup rewards."""

    id = fields.BigIntField(primary_key=True)
    store = fields.OneToOneField("models.Store", related_name="franchise", on_delete=fields.CASCADE)
    franchisee = fields.ForeignKeyField(
        "models.User", related_name="franchised_stores", on_delete=fields.RESTRICT, db_index=True
    )
    assigned_by_id = fields.BigIntField(null=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "store_franchise"


class StoreFranchiseChange(Model):
    """Audit trail of franchisee assignments."""

    id = fields.BigIntField(primary_key=True)
    store_id = fields.BigIntField(db_index=True)
    before_user_id = fields.BigIntField(null=True)
    after_user_id = fields.BigIntField()
    actor_id = fields.BigIntField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "store_franchise_change"


class StoreMember(Model):
    """A user bound to a franchise store through its invite code (one store per user, for good)."""

    id = fields.BigIntField(primary_key=True)
    user = fields.OneToOneField("models.User", related_name="store_membership", on_delete=fields.CASCADE)
    store = fields.ForeignKeyField("models.Store", related_name="members", on_delete=fields.RESTRICT, db_index=True)
    bound_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "store_member"


class PartnerSettings(Model):
    """Agent rates and franchise terms: one row (id 1), saved by an admin. Until the first
    save the defaults from settings (AGENT_RATE_*_BP, STORE_*) are in force."""

    id = fields.BigIntField(primary_key=True)
    province_rate_bp = fields.IntField()
    city_rate_bp = fields.IntField()
    county_rate_bp = fields.IntField()
    store_share_bp = fields.IntField()
    pickup_reward = fields.BigIntField()  # fen per pickup handled
    updated_by_id = fields.BigIntField(null=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "partner_settings"


class PartnerSettingsChange(SettingsChange):
    """Audit trail of the agent and franchise settings."""

    class Meta:
        table = "partner_settings_change"
