from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0006_consignment')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Commission',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('order', fields.ForeignKeyField('models.Order', source_field='order_id', db_constraint=True, to_field='id', related_name='commissions', on_delete=OnDelete.RESTRICT)),
                ('line', fields.ForeignKeyField('models.OrderLine', source_field='line_id', db_constraint=True, to_field='id', related_name='commissions', on_delete=OnDelete.RESTRICT)),
                ('buyer', fields.ForeignKeyField('models.User', source_field='buyer_id', db_constraint=True, to_field='id', related_name='commissions_generated', on_delete=OnDelete.RESTRICT)),
                ('beneficiary', fields.ForeignKeyField('models.User', source_field='beneficiary_id', db_constraint=True, to_field='id', related_name='commissions', on_delete=OnDelete.RESTRICT)),
                ('level', fields.IntField()),
                ('base', fields.BigIntField()),
                ('amount', fields.BigIntField()),
                ('reversed_amount', fields.BigIntField(default=0)),
                ('debt_amount', fields.BigIntField(default=0)),
                ('funded_by', fields.CharField(max_length=16)),
                ('merchant_id', fields.BigIntField()),
                ('status', fields.CharField(default='PENDING', db_index=True, max_length=16)),
                ('reject_reason', fields.CharField(default='', max_length=256)),
                ('rejected_by_id', fields.BigIntField(null=True)),
                ('available_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'commission', 'app': 'models', 'unique_together': (('line', 'beneficiary', 'level'),), 'indexes': [Index(fields=['beneficiary_id', 'status']), Index(fields=['status', 'order_id'])], 'pk_attr': 'id', 'table_description': 'What one beneficiary earns at one level on one order line.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='DistributionConfig',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('levels', fields.IntField(default=3)),
                ('rules', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('grade_rules', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('self_purchase', fields.BooleanField(default=False)),
                ('freeze_days', fields.IntField(default=7)),
                ('updated_by_id', fields.BigIntField(null=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'distribution_config', 'app': 'models', 'pk_attr': 'id', 'table_description': "The platform's distribution settings: one row (id 1), saved by an admin."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='DistributionConfigChange',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('actor_id', fields.BigIntField(null=True)),
                ('before', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('after', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'distribution_config_change', 'app': 'models', 'pk_attr': 'id', 'table_description': 'Audit trail of the distribution settings: who changed them, from what, to what.'},
            bases=['Model'],
        ),
    ]
