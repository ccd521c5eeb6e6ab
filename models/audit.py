"""Shared shape of the audit trails of admin-edited settings rows (distribution, distributor
onboarding, membership, agents and stores): who changed them, from what, to what."""

from tortoise import fields
from tortoise.models import Model


class SettingsChange(Model):
    id = fields.BigIntField(primary_key=True)
    actor_id = fields.BigIntField(null=True)
    before = fields.JSONField(default=dict)
    after = fields.JSONField(default=dict)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        abstract = True
