"""Store delivery (STO-5): a store's delivery rule, each store-delivery order's delivery, and
optional coordinates on addresses."""

from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0030_store_bookings')]

    initial = False

    operations = [
        ops.CreateModel(
            name='StoreDelivery',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('order', fields.OneToOneField('models.Order', source_field='order_id', db_constraint=True, to_field='id', related_name='store_delivery', on_delete=OnDelete.RESTRICT)),
                ('store', fields.ForeignKeyField('models.Store', source_field='store_id', db_constraint=True, to_field='id', related_name='deliveries', on_delete=OnDelete.RESTRICT)),
                ('buyer_id', fields.BigIntField(db_index=True)),
                ('provider', fields.CharField(max_length=64)),
                ('external_id', fields.CharField(default='', max_length=128)),
                ('status', fields.CharField(default='PENDING', db_index=True, max_length=16)),
                ('distance_m', fields.IntField()),
                ('fee', fields.BigIntField()),
                ('rider_name', fields.CharField(default='', max_length=64)),
                ('rider_phone', fields.CharField(default='', max_length=32)),
                ('dispatched_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('picked_up_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('delivered_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('cancelled_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'store_delivery', 'app': 'models', 'indexes': [Index(fields=['store_id', 'created_at'])], 'pk_attr': 'id', 'table_description': 'The delivery of one store-delivery order. PENDING (paid, awaiting dispatch) ->'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='StoreDeliveryRule',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('store', fields.OneToOneField('models.Store', source_field='store_id', db_constraint=True, to_field='id', related_name='delivery_rule', on_delete=OnDelete.CASCADE)),
                ('radius_m', fields.IntField()),
                ('base_fee', fields.BigIntField(default=0)),
                ('per_km_fee', fields.BigIntField(default=0)),
                ('free_over', fields.BigIntField(default=0)),
                ('min_order', fields.BigIntField(default=0)),
                ('is_active', fields.BooleanField(default=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'store_delivery_rule', 'app': 'models', 'pk_attr': 'id', 'table_description': 'Where and at what fee a store delivers: within `radius_m` of its coordinates, a fee of'},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='Address',
            name='latitude',
            field=fields.FloatField(null=True),
        ),
        ops.AddField(
            model_name='Address',
            name='longitude',
            field=fields.FloatField(null=True),
        ),
    ]
