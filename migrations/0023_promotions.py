"""Promotions (MKT-2, MKT-6): the platform's and merchants' 满减, 满件折 and limited-time prices."""

from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0022_order_line_sales_zone_index')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Promotion',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('merchant', fields.ForeignKeyField('models.Merchant', source_field='merchant_id', null=True, db_index=True, db_constraint=True, to_field='id', related_name='promotions', on_delete=OnDelete.RESTRICT)),
                ('name', fields.CharField(max_length=64)),
                ('kind', fields.CharField(max_length=24)),
                ('tiers', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('prices', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('scope', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('priority', fields.IntField(default=0)),
                ('exclusive', fields.BooleanField(default=False)),
                ('starts_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('ends_at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=False)),
                ('status', fields.CharField(default='DRAFT', db_index=True, max_length=16)),
                ('created_by_id', fields.BigIntField(null=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'promotion', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A promotion (MKT-2, MKT-6) of the platform or of a merchant (who funds it), priced by'},
            bases=['Model'],
        ),
    ]
