"""Flash sales (MKT-3): sessions, their items (flash price, flash stock, per-user limit), the
units each checkout holds, and the activity that priced an order line."""

from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0031_store_delivery')]

    initial = False

    operations = [
        ops.CreateModel(
            name='FlashSession',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('name', fields.CharField(max_length=64)),
                ('starts_at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=False)),
                ('ends_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('status', fields.CharField(default='ACTIVE', max_length=16)),
                ('reconciled_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_by_id', fields.BigIntField(null=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'flash_session', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A flash-sale session (MKT-3, 秒杀): a time slot of the platform (e.g. 10:00 to 12:00 on a'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='FlashItem',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('session', fields.ForeignKeyField('models.FlashSession', source_field='session_id', db_constraint=True, to_field='id', related_name='items', on_delete=OnDelete.CASCADE)),
                ('merchant', fields.ForeignKeyField('models.Merchant', source_field='merchant_id', db_constraint=True, to_field='id', related_name='flash_items', on_delete=OnDelete.RESTRICT)),
                ('product', fields.ForeignKeyField('models.Product', source_field='product_id', db_constraint=True, to_field='id', related_name='flash_items', on_delete=OnDelete.RESTRICT)),
                ('sku', fields.ForeignKeyField('models.Sku', source_field='sku_id', db_constraint=True, to_field='id', related_name='flash_items', on_delete=OnDelete.RESTRICT)),
                ('flash_price', fields.BigIntField()),
                ('stock', fields.IntField()),
                ('sold', fields.IntField(default=0)),
                ('per_user_limit', fields.IntField(default=1)),
                ('attempts', fields.BigIntField(default=0)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'flash_item', 'app': 'models', 'unique_together': (('session', 'sku'),), 'pk_attr': 'id', 'table_description': 'One SKU in a session: its flash price, flash stock and per-user limit. `sold` is what'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='FlashClaim',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('item', fields.ForeignKeyField('models.FlashItem', source_field='item_id', db_constraint=True, to_field='id', related_name='claims', on_delete=OnDelete.CASCADE)),
                ('user_id', fields.BigIntField()),
                ('payment_id', fields.BigIntField(db_index=True)),
                ('quantity', fields.IntField()),
                ('status', fields.CharField(default='HELD', max_length=16)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'flash_claim', 'app': 'models', 'indexes': [Index(fields=['item_id', 'user_id'])], 'pk_attr': 'id', 'table_description': "Units of a flash item a buyer's checkout holds: HELD while the order is unpaid or paid,"},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='OrderLine',
            name='activity_id',
            field=fields.BigIntField(null=True),
        ),
        ops.AddField(
            model_name='OrderLine',
            name='activity_kind',
            field=fields.CharField(null=True, max_length=16),
        ),
    ]
