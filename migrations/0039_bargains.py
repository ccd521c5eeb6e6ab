"""Bargains (MKT-3): bargain activities, the users' bargains with their cut sequences, and the
friends' helps."""

from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0038_group_buying')]

    initial = False

    operations = [
        ops.CreateModel(
            name='BargainActivity',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('merchant', fields.ForeignKeyField('models.Merchant', source_field='merchant_id', db_index=True, db_constraint=True, to_field='id', related_name='bargain_activities', on_delete=OnDelete.RESTRICT)),
                ('product', fields.ForeignKeyField('models.Product', source_field='product_id', db_index=True, db_constraint=True, to_field='id', related_name='bargain_activities', on_delete=OnDelete.RESTRICT)),
                ('sku', fields.ForeignKeyField('models.Sku', source_field='sku_id', db_index=True, db_constraint=True, to_field='id', related_name='bargain_activities', on_delete=OnDelete.RESTRICT)),
                ('name', fields.CharField(max_length=64)),
                ('start_price', fields.BigIntField()),
                ('floor_price', fields.BigIntField()),
                ('helps_needed', fields.IntField()),
                ('time_limit_minutes', fields.IntField()),
                ('starts_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('ends_at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=False)),
                ('status', fields.CharField(default='ACTIVE', max_length=16)),
                ('created_by_id', fields.BigIntField(null=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'bargain_activity', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A bargain activity (MKT-3, 砍价): a SKU whose buyers may start bargains from a start price'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Bargain',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('activity', fields.ForeignKeyField('models.BargainActivity', source_field='activity_id', db_index=True, db_constraint=True, to_field='id', related_name='bargains', on_delete=OnDelete.CASCADE)),
                ('user_id', fields.BigIntField()),
                ('seed', fields.CharField(max_length=64)),
                ('cuts', fields.JSONField(encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('taken', fields.IntField(default=0)),
                ('price', fields.BigIntField()),
                ('expires_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('device_id', fields.CharField(default='', max_length=128)),
                ('ip', fields.CharField(default='', max_length=64)),
                ('payment_id', fields.BigIntField(null=True, db_index=True)),
                ('bought_price', fields.BigIntField(null=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'bargain', 'app': 'models', 'indexes': [Index(fields=['activity_id', 'user_id'])], 'pk_attr': 'id', 'table_description': "One user's bargain of an activity: the cut sequence fixed at its start (from `seed`), how"},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='BargainHelp',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('bargain', fields.ForeignKeyField('models.Bargain', source_field='bargain_id', db_index=True, db_constraint=True, to_field='id', related_name='helps', on_delete=OnDelete.CASCADE)),
                ('helper_id', fields.BigIntField()),
                ('position', fields.IntField()),
                ('count', fields.IntField()),
                ('amount', fields.BigIntField()),
                ('new_user', fields.BooleanField(default=False)),
                ('device_id', fields.CharField(default='', max_length=128)),
                ('ip', fields.CharField(default='', max_length=64)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'bargain_help', 'app': 'models', 'unique_together': (('bargain', 'helper_id'),), 'indexes': [Index(fields=['bargain_id', 'device_id']), Index(fields=['bargain_id', 'ip'])], 'pk_attr': 'id', 'table_description': "A friend's help: the cuts it took (from `position`, `count` of them) and the amount cut, with"},
            bases=['Model'],
        ),
    ]
