from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0011_risk')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Grade',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('code', fields.CharField(unique=True, max_length=16)),
                ('name', fields.CharField(max_length=32)),
                ('rank', fields.IntField(unique=True)),
                ('description', fields.CharField(default='', max_length=256)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'grade', 'app': 'models', 'pk_attr': 'id', 'table_description': 'One rung of the grade ladder (V1 / V2 / V3 / AGENT ...): names and count are data,'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='GradeRule',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('grade', fields.ForeignKeyField('models.Grade', source_field='grade_id', db_constraint=True, to_field='id', related_name='rules', on_delete=OnDelete.CASCADE)),
                ('own_sales_min', fields.BigIntField(null=True)),
                ('team_sales_min', fields.BigIntField(null=True)),
                ('direct_members_min', fields.IntField(null=True)),
                ('team_members_min', fields.IntField(null=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'grade_rule', 'app': 'models', 'pk_attr': 'id', 'table_description': 'One way to reach a grade automatically: every threshold set (not null) must hold,'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Membership',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('user', fields.OneToOneField('models.User', source_field='user_id', db_constraint=True, to_field='id', related_name='membership', on_delete=OnDelete.CASCADE)),
                ('status', fields.CharField(default='ACTIVE', db_index=True, max_length=16)),
                ('started_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('expires_at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=False)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'membership', 'app': 'models', 'pk_attr': 'id', 'table_description': "A user's membership: valid while status is ACTIVE and expires_at is in the future."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='MembershipConfig',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('price', fields.BigIntField()),
                ('days', fields.IntField()),
                ('referral_reward', fields.BigIntField(default=0)),
                ('gift_pack_commission', fields.BooleanField(default=False)),
                ('updated_by_id', fields.BigIntField(null=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'membership_config', 'app': 'models', 'pk_attr': 'id', 'table_description': 'The membership settings (one row, id 1, the defaults from settings until first saved),'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='MembershipConfigChange',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('actor_id', fields.BigIntField(null=True)),
                ('before', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('after', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'membership_config_change', 'app': 'models', 'pk_attr': 'id', 'table_description': 'Audit trail of the membership settings.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='MembershipPeriod',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('user', fields.ForeignKeyField('models.User', source_field='user_id', db_constraint=True, to_field='id', related_name='membership_periods', on_delete=OnDelete.CASCADE)),
                ('line_id', fields.BigIntField(unique=True)),
                ('days', fields.IntField()),
                ('refunded_days', fields.IntField(default=0)),
                ('starts_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('ends_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'membership_period', 'app': 'models', 'indexes': [Index(fields=['user_id', 'id'])], 'pk_attr': 'id', 'table_description': 'Days added by one paid membership order line (and taken back by its refunds).'},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='GradeChange',
            name='reason',
            field=fields.CharField(default='', max_length=256),
        ),
        ops.AddField(
            model_name='GradeChange',
            name='rule_id',
            field=fields.BigIntField(null=True),
        ),
    ]
