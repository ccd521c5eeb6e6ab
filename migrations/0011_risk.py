from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0010_withdrawals')]

    initial = False

    operations = [
        ops.CreateModel(
            name='OrderOrigin',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('order_id', fields.BigIntField(unique=True)),
                ('buyer_id', fields.BigIntField(db_index=True)),
                ('device_id', fields.CharField(default='', max_length=128)),
                ('ip', fields.CharField(default='', max_length=64)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'risk_order_origin', 'app': 'models', 'indexes': [Index(fields=['device_id', 'created_at']), Index(fields=['ip', 'created_at'])], 'pk_attr': 'id', 'table_description': "Where an order was placed from: the client's device id header and the request IP."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='RiskAudit',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('actor_id', fields.BigIntField(null=True)),
                ('action', fields.CharField(max_length=32)),
                ('rule_id', fields.BigIntField(null=True, db_index=True)),
                ('case_id', fields.BigIntField(null=True, db_index=True)),
                ('reason', fields.CharField(default='', max_length=256)),
                ('before', fields.JSONField(null=True, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('after', fields.JSONField(null=True, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'risk_audit', 'app': 'models', 'pk_attr': 'id', 'table_description': 'Who did what to the risk rules and cases, when, and why.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='RiskRule',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('kind', fields.CharField(max_length=32)),
                ('params', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('enabled', fields.BooleanField(default=True)),
                ('description', fields.CharField(default='', max_length=256)),
                ('updated_by_id', fields.BigIntField(null=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'risk_rule', 'app': 'models', 'pk_attr': 'id', 'table_description': 'One enabled-or-not rule: a kind (services.risk.rules.KINDS) and its parameters.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='RiskCase',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('rule', fields.ForeignKeyField('models.RiskRule', source_field='rule_id', db_constraint=True, to_field='id', related_name='cases', on_delete=OnDelete.RESTRICT)),
                ('kind', fields.CharField(max_length=32)),
                ('subject_user_id', fields.BigIntField(db_index=True)),
                ('status', fields.CharField(default='OPEN', db_index=True, max_length=16)),
                ('open_key', fields.CharField(null=True, unique=True, max_length=48)),
                ('evidence', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('hit_count', fields.IntField(default=1)),
                ('decided_by_id', fields.BigIntField(null=True)),
                ('decided_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('decision_reason', fields.CharField(default='', max_length=256)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'risk_case', 'app': 'models', 'indexes': [Index(fields=['subject_user_id', 'status'])], 'pk_attr': 'id', 'table_description': 'A rule hit on one subject user, waiting in (or decided from) the review queue.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='RiskHit',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('case', fields.ForeignKeyField('models.RiskCase', source_field='case_id', db_constraint=True, to_field='id', related_name='hits', on_delete=OnDelete.CASCADE)),
                ('order_id', fields.BigIntField(null=True)),
                ('evidence', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'risk_hit', 'app': 'models', 'pk_attr': 'id', 'table_description': "Every time a rule hit, with its evidence (the first one is also the case's evidence)."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='RiskHold',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('case', fields.ForeignKeyField('models.RiskCase', source_field='case_id', db_constraint=True, to_field='id', related_name='holds', on_delete=OnDelete.CASCADE)),
                ('subject_kind', fields.CharField(max_length=32)),
                ('subject_id', fields.BigIntField()),
                ('outcome', fields.CharField(default='HELD', max_length=16)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'risk_hold', 'app': 'models', 'unique_together': (('case', 'subject_kind', 'subject_id'),), 'indexes': [Index(fields=['subject_kind', 'subject_id'])], 'pk_attr': 'id', 'table_description': 'One item a case holds: (kind, id), e.g. ("COMMISSION", 12) or ("WITHDRAWAL", 3).'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='RiskSignal',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('kind', fields.CharField(max_length=32)),
                ('user_id', fields.BigIntField()),
                ('order_id', fields.BigIntField(null=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'risk_signal', 'app': 'models', 'indexes': [Index(fields=['kind', 'user_id', 'created_at'])], 'pk_attr': 'id', 'table_description': 'A fact the rules count later, recorded when it happens (e.g. REFUND_AFTER_COMMISSION:'},
            bases=['Model'],
        ),
    ]
