"""Roles and permissions as data (ACC-3)."""

from tortoise import fields
from tortoise.models import Model


class Permission(Model):
    id = fields.IntField(primary_key=True)
    code = fields.CharField(max_length=64, unique=True)
    description = fields.CharField(max_length=256, default="")

    class Meta:
        table = "access_permission"


class Role(Model):
    id = fields.IntField(primary_key=True)
    code = fields.CharField(max_length=32, unique=True)
    name = fields.CharField(max_length=64)
    description = fields.CharField(max_length=256, default="")
    # MERCHANT / STORE roles are granted for one merchant or store; PLATFORM roles globally.
    scope = fields.CharField(max_length=16, default="PLATFORM")
    permissions = fields.ManyToManyField("models.Permission", related_name="roles", through="access_role_permission")

    class Meta:
        table = "access_role"


class UserRole(Model):
    id = fields.BigIntField(primary_key=True)
    user = fields.ForeignKeyField("models.User", related_name="role_grants", on_delete=fields.CASCADE)
    role = fields.ForeignKeyField("models.Role", related_name="grants", on_delete=fields.CASCADE, db_index=True)
    # 0 for platform-wide grants; the merchant or store id for scoped ones.
    scope_id = fields.BigIntField(default=0)
    granted_by_id = fields.BigIntField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "access_user_role"
        unique_together = (("user", "role", "scope_id"),)
