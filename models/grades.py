"""Member grades (CON-7, MEM-4, DIS-6): the grade ladder as data, upgrade rules per grade,
a user's current grade and its audited history."""

from tortoise import fields
from tortoise.models import Model


class Grade(Model):
    """One rung of the grade ladder (V1 / V2 / V3 / AGENT ...): names and count are data,
    edited by an admin (grades.manage). A higher rank is a higher grade."""

    id = fields.BigIntField(primary_key=True)
    code = fields.CharField(max_length=16, unique=True)
    name = fields.CharField(max_length=32)
    rank = fields.IntField(unique=True)
    description = fields.CharField(max_length=256, default="")
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "grade"


class GradeRule(Model):
    """One way to reach a grade automatically: every threshold set (not null) must hold,
    a grade with several rules is reached when any one of them holds."""

    id = fields.BigIntField(primary_key=True)
    grade = fields.ForeignKeyField("models.Grade", related_name="rules", on_delete=fields.CASCADE, db_index=True)
    own_sales_min = fields.BigIntField(null=True)  # fen: the user's own completed, paid purchases (net of refunds)
    team_sales_min = fields.BigIntField(null=True)  # fen: the same for the team (3 levels down)
    direct_members_min = fields.IntField(null=True)  # users directly bound under the user
    team_members_min = fields.IntField(null=True)  # users within 3 levels below the user
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "grade_rule"


class UserGrade(Model):
    id = fields.BigIntField(primary_key=True)
    user = fields.OneToOneField("models.User", related_name="grade", on_delete=fields.CASCADE)
    grade = fields.CharField(max_length=16, db_index=True)  # a Grade.code
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "user_grade"


class GradeChange(Model):
    """Every change of a user's grade: who or what changed it, from what, to what."""

    id = fields.BigIntField(primary_key=True)
    user = fields.ForeignKeyField("models.User", related_name="grade_changes", on_delete=fields.CASCADE, db_index=True)
    from_grade = fields.CharField(max_length=16, default="")
    to_grade = fields.CharField(max_length=16)
    source = fields.CharField(max_length=16)  # GIFT_PACK / ADMIN / RULE
    reference_id = fields.CharField(max_length=64, default="")  # e.g. the order line
    rule_id = fields.BigIntField(null=True)  # RULE: the GradeRule that fired
    reason = fields.CharField(max_length=256, default="")  # ADMIN: why
    actor_id = fields.BigIntField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "grade_change"
