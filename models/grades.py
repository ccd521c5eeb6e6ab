"""Member grades (CON-7, MEM-4, DIS-6): a user's current grade and its audited history."""

from tortoise import fields
from tortoise.models import Model


class UserGrade(Model):
    id = fields.BigIntField(primary_key=True)
    user = fields.OneToOneField("models.User", related_name="grade", on_delete=fields.CASCADE)
    grade = fields.CharField(max_length=16)  # V1 / V2 / V3 / AGENT ...
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "user_grade"


class GradeChange(Model):
    """Every change of a user's grade: who or what changed it, from what, to what."""

    id = fields.BigIntField(primary_key=True)
    user = fields.ForeignKeyField("models.User", related_name="grade_changes", on_delete=fields.CASCADE)
    from_grade = fields.CharField(max_length=16, default="")
    to_grade = fields.CharField(max_length=16)
    source = fields.CharField(max_length=16)  # GIFT_PACK / ADMIN / RULE
    reference_id = fields.CharField(max_length=64, default="")  # e.g. the order line
    actor_id = fields.BigIntField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "grade_change"
