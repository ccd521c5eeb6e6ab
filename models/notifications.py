"""In-app notifications delivered live on `user:{id}` and kept for the inbox."""

from tortoise import fields
from tortoise.models import Model


class Notification(Model):
    id = fields.BigIntField(primary_key=True)
    user = fields.ForeignKeyField("models.User", related_name="notifications", on_delete=fields.CASCADE)
    kind = fields.CharField(max_length=32)
    title = fields.CharField(max_length=128)
    body = fields.CharField(max_length=1024, default="")
    data = fields.JSONField(default=dict)
    read_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "notification"
        indexes = (("user_id", "id"),)
