"""Becoming a distributor (DIS-3) and the distributor centre's promotion records (DIS-5).

Distributor applications:
    PENDING -> APPROVED   an admin approved it (APPROVAL mode)
    PENDING -> REJECTED   an admin rejected it, with a reason (APPROVAL mode)
    (created APPROVED)    THRESHOLD mode, the applicant met the threshold
Being a distributor is the `distributor` role (services.accounts.access); the application rows are
the audit of how it was obtained.
"""

from tortoise import fields
from tortoise.models import Model

from models.audit import SettingsChange


class DistributorSettings(Model):
    """How a user becomes a distributor: one row (id 1), saved by an admin. Until the first
    save the defaults from settings (DISTRIBUTOR_*) are in force."""

    id = fields.BigIntField(primary_key=True)
    mode = fields.CharField(max_length=16, default="AUTO")  # AUTO / THRESHOLD / APPROVAL
    min_spent = fields.BigIntField(default=0)  # THRESHOLD: paid spending (fen, net of refunds); 0 = no condition
    min_paid_orders = fields.IntField(default=0)  # THRESHOLD: paid orders; 0 = no condition
    match = fields.CharField(max_length=8, default="ALL")  # THRESHOLD with both conditions: ALL or ANY
    updated_by_id = fields.BigIntField(null=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "distributor_settings"


class DistributorSettingsChange(SettingsChange):
    """Audit trail of the distributor settings."""

    class Meta:
        table = "distributor_settings_change"


class DistributorApplication(Model):
    """A user's application to become a distributor, and its outcome."""

    id = fields.BigIntField(primary_key=True)
    user = fields.ForeignKeyField("models.User", related_name="distributor_applications", on_delete=fields.RESTRICT)
    # The user's id while PENDING, null otherwise: one pending application per user, even racing.
    pending_user_id = fields.BigIntField(null=True, unique=True)
    mode = fields.CharField(max_length=16)  # the mode it was made under: THRESHOLD / APPROVAL
    status = fields.CharField(max_length=16, default="PENDING")  # PENDING / APPROVED / REJECTED
    spent = fields.BigIntField(default=0)  # the applicant's paid spending when applying (fen)
    paid_orders = fields.IntField(default=0)  # the applicant's paid orders when applying
    reason = fields.CharField(max_length=256, default="")  # the reviewer's reason (rejections)
    reviewed_by_id = fields.BigIntField(null=True)  # null: decided automatically (THRESHOLD)
    reviewed_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "distributor_application"
        indexes = (("status", "id"), ("user_id", "id"))


class InviteClick(Model):
    """One visit of a distributor's tracking link (`/r/{code}`). No raw IP is kept: only a
    keyed hash of IP + user agent, enough to count distinct visitors."""

    id = fields.BigIntField(primary_key=True)
    distributor_id = fields.BigIntField()  # the code's owner
    code = fields.CharField(max_length=12)
    visitor_hash = fields.CharField(max_length=64)
    material_id = fields.BigIntField(null=True)  # the shared material (MKT-5) the link carried, if any
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "distributor_invite_click"
        indexes = (("distributor_id", "created_at"), ("material_id", "created_at"))


class InviteSignup(Model):
    """A user bound to an upline through the upline's invite code (sign-up, link or first
    order; not an admin rebinding): who brought whom, how and when. Kept as history: an
    admin moving the user later does not erase who recruited them."""

    id = fields.BigIntField(primary_key=True)
    user_id = fields.BigIntField(unique=True)  # a user binds themselves once
    upline_id = fields.BigIntField()
    source = fields.CharField(max_length=16)  # SIGNUP / LINK / FIRST_ORDER
    material_id = fields.BigIntField(null=True)  # the shared material (MKT-5) the code came with, if any
    created_at = fields.DatetimeField(auto_now_add=True, db_index=True)

    class Meta:
        table = "distributor_invite_signup"
        indexes = (("upline_id", "created_at"), ("material_id", "created_at"))
