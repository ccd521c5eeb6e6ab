"""Cashier-entered amounts a customer confirms and pays at a store (STO-1)."""

from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0036_restore_indexes')]

    initial = False

    operations = [
        ops.CreateModel(
            name='StorePaymentRequest',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('store', fields.ForeignKeyField('models.Store', source_field='store_id', db_index=True, db_constraint=True, to_field='id', related_name='payment_requests', on_delete=OnDelete.RESTRICT)),
                ('amount', fields.BigIntField()),
                ('note', fields.CharField(default='', max_length=64)),
                ('created_by', fields.ForeignKeyField('models.User', source_field='created_by_id', db_index=True, db_constraint=True, to_field='id', related_name='store_payment_requests', on_delete=OnDelete.RESTRICT)),
                ('status', fields.CharField(default='OPEN', max_length=16)),
                ('order', fields.ForeignKeyField('models.Order', source_field='order_id', null=True, db_index=True, db_constraint=True, to_field='id', related_name='payment_requests', on_delete=OnDelete.RESTRICT)),
                ('expires_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'store_payment_request', 'app': 'models', 'pk_attr': 'id', 'table_description': 'An amount the cashier entered at a store for a customer to confirm and pay (STO-1).'},
            bases=['Model'],
        ),
    ]
